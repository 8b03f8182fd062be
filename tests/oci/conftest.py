"""Fixtures for the registry client tests: a respx-mocked registry, recorded sleeps, a fake clock, and a
real registry of these tests' own to push into (`scratch_registry`)."""

from __future__ import annotations

import asyncio
import base64
import json
import time as _time
import types
from collections.abc import Iterator

import httpx
import pytest
import respx

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.remote import auth as auth_module
from acrbrowse.oci.remote import transport as transport_module
from acrbrowse.oci.remote.client import RegistryClient

from .pushing import ScratchRegistry

REGISTRY = "reg.example.io"
BASE = f"https://{REGISTRY}"
REALM = "https://auth.example.io/oauth2/token"
# Never appears in anything acrbrowse shows or logs; tests assert so.
CANARY = "canary-Pw-5f1e9c"
CANARY_BASIC = base64.b64encode(f"alice:{CANARY}".encode()).decode()


def bearer_challenge(scope: str = "repository:app:pull", *, realm: str = REALM, service: str = REGISTRY,
                     error: str | None = None) -> str:
    text = f'Bearer realm="{realm}",service="{service}",scope="{scope}"'
    return text + (f',error="{error}"' if error else "")


def unauthorized(challenge: str) -> httpx.Response:
    return httpx.Response(401, headers={"WWW-Authenticate": challenge},
                          json={"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})


def protected(valid: set[str], respond, challenge: str):
    """A registry route: 401 with `challenge` unless the request carries one of the `valid` Bearer tokens."""
    def handler(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and header[len("Bearer "):] in valid:
            return respond(request) if callable(respond) else respond
        return unauthorized(challenge)
    return handler


def at_most(calls: int, handler):
    """A side effect that fails the test when a route is asked more than `calls` times (a loop)."""
    seen = 0

    def guarded(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        assert seen <= calls, f"{request.url} requested {seen} times"
        return handler(request)
    return guarded


def token_responder(*tokens: str, **extra):
    """A token service route handing out `tokens` in turn (the last one again when they run out)."""
    issued: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        value = tokens[min(len(issued), len(tokens) - 1)]
        issued.append(value)
        return httpx.Response(200, json={"token": value, **extra})
    return handler


def jwt(exp: float, **claims) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'exp': int(exp), 'sub': 'alice', **claims})}.c2ln"


@pytest.fixture
def password():
    return Credential("alice", Secret(CANARY), source="test")


@pytest.fixture
def identity_token():
    return Credential("00000000-0000-0000-0000-000000000000", Secret(CANARY), kind="identity_token", source="test")


@pytest.fixture
def mock():
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps(monkeypatch):
    """Every delay the client asks asyncio.sleep for, without waiting it out."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay, *args, **kwargs):
        delays.append(delay)
        # an unbounded retry loop fails the test instead of spinning forever
        assert len(delays) <= 50, "the client keeps retrying"
        await real_sleep(0)

    # Only the transport module's view of asyncio: the event loop and httpx keep the real sleep.
    fake_asyncio = types.SimpleNamespace(**{**vars(asyncio), "sleep": fake_sleep})
    monkeypatch.setattr(transport_module, "asyncio", fake_asyncio)
    return delays


class FakeClock:
    """Stands in for the auth module's `time`: real time plus an offset a test can advance."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return _time.monotonic() + self.offset

    def time(self) -> float:
        return _time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(auth_module, "time", fake)
    return fake


@pytest.fixture
async def make_client(sleeps):
    clients: list[RegistryClient] = []

    def make(credential: Credential | None = None, **kwargs) -> RegistryClient:
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("timeout", 5.0)
        client = RegistryClient(kwargs.pop("registry", REGISTRY), credential=credential, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def auth_of(route: respx.Route) -> list[str | None]:
    """The Authorization header of each request a route saw, in order."""
    return [call.request.headers.get("authorization") for call in route.calls]


@pytest.fixture(scope="session")
def scratch_registry(tmp_path_factory) -> Iterator[ScratchRegistry]:
    """Anonymous and Basic distribution registries over one storage, for tests that push."""
    registry = ScratchRegistry(tmp_path_factory.mktemp("scratch-registry")).start()
    try:
        yield registry
    finally:
        registry.stop()
