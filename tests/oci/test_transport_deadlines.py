"""One deadline per request: connect, send, every retry and wait, and the whole body. A body that
trickles in (never idle long enough for a per-read timeout) still ends at the deadline, and a
Retry-After is waited out only when it fits, saying so through on_notice."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import Hint, RateLimited, Timeout
from acrbrowse.oci.remote.client import RegistryClient

from .conftest import REALM, REGISTRY, bearer_challenge

TAGS = {"tags": ["v1"]}


class TrickleServer:
    """A plain-HTTP server on loopback (a real socket): `/token` and `/v2/…/manifests/…` send their
    headers at once, then one body byte every `gap` seconds; `/v2/…/tags/list` answers 401 with a
    Bearer challenge whose realm is this server's /token."""

    def __init__(self, gap: float) -> None:
        self.gap, self.bytes_sent, self.server = gap, 0, None

    async def start(self) -> TrickleServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.host = f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1]
            if b"/tags/list" in path and b"authorization: bearer" not in request.lower():
                challenge = f'Bearer realm="http://{self.host}/token",service="trickle",scope="repository:app:pull"'
                writer.write(f"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\n"
                             "Content-Length: 0\r\n\r\n".encode())
                await writer.drain()
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n")
            await writer.drain()
            for _ in range(60_000):
                writer.write(b" ")
                await writer.drain()
                self.bytes_sent += 1
                await asyncio.sleep(self.gap)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def trickle():
    server = await TrickleServer(gap=0.1).start()
    yield server
    await server.stop()


async def test_a_trickling_manifest_ends_at_the_deadline(trickle):
    started = time.monotonic()
    async with RegistryClient(trickle.host, timeout=1.5) as client:
        with pytest.raises(Timeout) as caught:
            await client.get_manifest("app", "v1")
    elapsed = time.monotonic() - started
    assert 1.4 <= elapsed < 3.0, f"took {elapsed:.1f} s"
    assert trickle.bytes_sent >= 5  # it did trickle: each read alone would have been quick enough
    assert str(caught.value) == f"{trickle.host} did not answer within 1.5 s"
    assert caught.value.hint is Hint.RAISE_TIMEOUT


async def test_a_trickling_token_answer_ends_at_the_deadline(trickle):
    credential = Credential("alice", Secret("pw"), source="test")
    started = time.monotonic()
    async with RegistryClient(trickle.host, credential=credential, timeout=1.5) as client:
        with pytest.raises(Timeout):
            [t async for t in client.tags("app")]
    assert 1.4 <= time.monotonic() - started < 3.0


# ---- Retry-After within the deadline --------------------------------------------------------------

async def test_retry_after_longer_than_the_deadline_fails_at_once(mock):
    route = mock.get("/v2/app/tags/list").respond(429, headers={"Retry-After": "59"})
    notices: list[str] = []
    started = time.monotonic()
    async with RegistryClient(REGISTRY, timeout=5, on_notice=notices.append) as client:
        with pytest.raises(RateLimited) as caught:
            [t async for t in client.tags("app")]
    assert time.monotonic() - started < 1.0
    assert route.call_count == 1 and notices == []
    assert str(caught.value) == (f"{REGISTRY} is throttling requests (429); it asks to wait 59 s, longer than the "
                                 "5 s timeout allows")
    assert caught.value.hint is Hint.TRY_LATER
    assert caught.value.retry_after == 59


async def test_a_token_service_asking_too_long_a_wait_fails_at_once(mock, password):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    realm = mock.get(REALM).respond(429, headers={"Retry-After": "59"})
    started = time.monotonic()
    async with RegistryClient(REGISTRY, credential=password, timeout=5) as client:
        with pytest.raises(RateLimited) as caught:
            [t async for t in client.tags("app")]
    assert time.monotonic() - started < 1.0 and realm.call_count == 1
    assert str(caught.value) == (f"{REGISTRY}'s token service is throttling requests; it asks to wait 59 s, "
                                 "longer than the 5 s timeout allows")


async def test_a_wait_that_fits_is_waited_and_announced(mock, make_client, sleeps):
    mock.get("/v2/app/tags/list").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=TAGS)])
    notices: list[str] = []
    client = make_client(timeout=5, on_notice=notices.append)
    assert [t async for t in client.tags("app")] == ["v1"]
    assert sleeps == [2.0]
    assert notices == [f"{REGISTRY} is throttling requests (429); waiting 2 s as it asks"]


async def test_a_throttle_without_retry_after_is_announced_too(mock, make_client, sleeps):
    mock.get("/v2/app/tags/list").mock(side_effect=[httpx.Response(429), httpx.Response(200, json=TAGS)])
    notices: list[str] = []
    assert [t async for t in make_client(on_notice=notices.append).tags("app")] == ["v1"]
    assert len(notices) == 1 and notices[0].startswith(f"{REGISTRY} is throttling requests (429); waiting 0.0")


async def test_waits_add_up_within_one_deadline(mock):
    route = mock.get("/v2/app/tags/list").respond(429, headers={"Retry-After": "0.4"})
    notices: list[str] = []
    started = time.monotonic()
    async with RegistryClient(REGISTRY, timeout=1.0, retries=10, on_notice=notices.append) as client:
        with pytest.raises(RateLimited, match="longer than the 1 s timeout allows"):
            [t async for t in client.tags("app")]
    elapsed = time.monotonic() - started
    assert route.call_count == 3 and len(notices) == 2  # 0.4 + 0.4 fit in 1 s; a third 0.4 does not
    assert 0.8 <= elapsed < 1.2


@pytest.mark.parametrize("value", ["1e400", "inf", "nan", "-inf", "9" * 400])
async def test_absurd_retry_after_values_are_not_slept(mock, make_client, sleeps, value):
    mock.get("/v2/app/tags/list").respond(429, headers={"Retry-After": value})
    with pytest.raises(RateLimited) as caught:
        [t async for t in make_client(retries=2).tags("app")]
    assert all(delay < 1 for delay in sleeps)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


async def test_a_wait_past_the_retry_cap_within_a_long_deadline_is_reported_as_such(mock, make_client, sleeps):
    mock.get("/v2/app/tags/list").respond(429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as caught:
        [t async for t in make_client(timeout=600).tags("app")]
    assert sleeps == []
    assert str(caught.value) == f"{REGISTRY} is throttling requests (429); it asks to wait 120 s"
