"""Registry authentication as an httpx.Auth flow: Basic, and Bearer tokens fetched from the realm.

The flow goes straight to the resource and lets its 401 challenge say which token it needs
(no separate /v2/ ping). Tokens are cached per scope until they expire; the challenge each
route answered with is remembered, so later requests carry a token up front.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass
from typing import AsyncGenerator

import httpx

from acrbrowse.registry.challenge import Challenge, parse_challenges, pick
from acrbrowse.registry.credential import Credential, Secret
from acrbrowse.registry.errors import (
    InsecureRequest,
    MalformedResponse,
    RateLimited,
    ServerError,
    credentials_refused,
    oci_error_summary,
    sign_in_required,
)

ROUTE = "acrbrowse_route"  # request extension: which kind of request this is, e.g. "pull:aspnetapp"
SCOPE = "acrbrowse_scope"  # request extension: the scope it needs, before any challenge said so
DEFAULT_TOKEN_LIFETIME = 60.0  # seconds; the distribution spec's default when expires_in is absent


@dataclass
class Token:
    value: Secret
    expires_at: float  # time.monotonic() deadline, already less a safety margin

    def valid(self, now: float) -> bool:
        return now < self.expires_at


def basic_header(credential: Credential) -> str:
    raw = f"{credential.username}:{credential.secret.reveal()}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def secret_forms(credential: Credential | None) -> tuple[str, ...]:
    """The ways a credential's secret travels, to be masked in anything a server says back."""
    if credential is None:
        return ()
    return credential.secret.reveal(), basic_header(credential).removeprefix("Basic ")


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (seconds since the epoch), or None if it isn't a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def token_lifetime(body: dict, token: str, now_wall: float) -> float:
    expires_in = body.get("expires_in")
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
        return float(expires_in)
    exp = jwt_expiry(token)
    if exp is not None:
        return max(0.0, exp - now_wall)
    return DEFAULT_TOKEN_LIFETIME


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class RegistryAuth(httpx.Auth):
    def __init__(self, registry: str, credential: Credential | None, *, plain_http_loopback: bool,
                 known_challenge: Challenge | None = None) -> None:
        self.registry = registry
        self.credential = credential
        # A token realm over plain HTTP may see credentials only when the registry itself is
        # a plain-HTTP loopback one (a local test registry); never for a remote registry.
        self._plain_http_loopback = plain_http_loopback
        self.challenge: Challenge | None = known_challenge
        self._tokens: dict[tuple[str, ...], Token] = {}
        self._route_scopes: dict[str, tuple[str, ...]] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"RegistryAuth(registry={self.registry!r}, credential={self.credential!r})"

    def sync_auth_flow(self, request):  # pragma: no cover - acrbrowse is async only
        raise RuntimeError("RegistryAuth works with httpx.AsyncClient only")

    def _scopes_for(self, request: httpx.Request) -> tuple[str, ...]:
        route = request.extensions.get(ROUTE)
        if route and route in self._route_scopes:
            return self._route_scopes[route]
        scope = request.extensions.get(SCOPE)
        return (scope,) if scope else ()

    def _authorize_basic_up_front(self, request: httpx.Request) -> None:
        if self.challenge is not None and self.challenge.scheme == "basic" and self.credential:
            request.headers["Authorization"] = basic_header(self.credential)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        challenge = self.challenge
        scopes = self._scopes_for(request)
        if challenge is not None and challenge.scheme == "bearer" and scopes:
            # The realm is known (from an earlier 401, or remembered from another run): get the
            # token first instead of spending a round trip on a 401.
            async with self._locks.setdefault(scopes, asyncio.Lock()):
                token = self._tokens.get(scopes)
                if token is None or not token.valid(time.monotonic()):
                    token_response = yield self._token_request(challenge, scopes)
                    token = self._tokens[scopes] = await self._read_token(token_response)
            request.headers["Authorization"] = f"Bearer {token.value.reveal()}"
        else:
            self._authorize_basic_up_front(request)
        sent = request.headers.get("Authorization")
        response = yield request
        if response.status_code != 401:
            return
        challenge = pick(parse_challenges(response.headers.get_list("www-authenticate")))
        if challenge is None:
            return
        if challenge.scheme == "basic":
            self.challenge = challenge
            if self.credential and not (sent or "").startswith("Basic "):
                request.headers["Authorization"] = basic_header(self.credential)
                yield request
            return
        if not challenge.realm:
            raise MalformedResponse(f"{self.registry} asked for a bearer token but named no realm")
        self.challenge = challenge
        scopes = challenge.scopes or self._scopes_for(request)
        route = request.extensions.get(ROUTE)
        if route:
            self._route_scopes[route] = scopes
        lock = self._locks.setdefault(scopes, asyncio.Lock())
        async with lock:
            token = self._tokens.get(scopes)
            stale = token is None or not token.valid(time.monotonic()) or sent == f"Bearer {token.value.reveal()}"
            if stale:
                # A 401 for the token we sent means it expired or lacks the scope: fetch anew, once.
                self._tokens.pop(scopes, None)
                token_response = yield self._token_request(challenge, scopes)
                token = self._tokens[scopes] = await self._read_token(token_response)
        request.headers["Authorization"] = f"Bearer {token.value.reveal()}"
        yield request

    def _token_request(self, challenge: Challenge, scopes: tuple[str, ...]) -> httpx.Request:
        realm = httpx.URL(challenge.realm)
        if realm.scheme not in ("https", "http"):
            raise InsecureRequest(f"{self.registry} named a token service that is not HTTP(S): {realm.scheme}")
        if self.credential and realm.scheme == "http" and not self._plain_http_loopback:
            raise InsecureRequest(
                f"{self.registry} wants credentials sent to a plain-HTTP token service ({realm.host}); "
                "refusing to expose them"
            )
        self.token_requests += 1
        service = challenge.service or ""
        if self.credential and self.credential.kind == "identity_token":
            form = {"grant_type": "refresh_token", "service": service, "client_id": "acrbrowse",
                    "refresh_token": self.credential.secret.reveal()}
            if scopes:
                form["scope"] = " ".join(scopes)
            return httpx.Request("POST", realm, data=form)
        params = [("service", service)] if service else []
        params += [("scope", scope) for scope in scopes]
        headers = {"Authorization": basic_header(self.credential)} if self.credential else {}
        return httpx.Request("GET", realm.copy_merge_params(params), headers=headers)

    async def _read_token(self, response: httpx.Response) -> Token:
        # httpx reads bodies inside an auth flow only in its default async_auth_flow, which this
        # class overrides: read the token service's answer here.
        await response.aread()
        status = response.status_code
        if status in (401, 403):
            if self.credential:
                raise credentials_refused(self.registry, self.credential.username, self.credential.source)
            raise sign_in_required(self.registry)
        if status == 429:
            raise RateLimited(f"{self.registry}'s token service is throttling requests", retry_after_seconds(response))
        if status >= 500:
            raise ServerError(f"{self.registry}'s token service failed ({status}); try again later", status)
        if status != 200:
            detail = oci_error_summary(response.content, secret_forms(self.credential))
            raise MalformedResponse(
                f"{self.registry}'s token service answered {status}" + (f" ({detail})" if detail else "")
            )
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        value = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise MalformedResponse(f"{self.registry}'s token service answered without a token")
        lifetime = token_lifetime(body, value, time.time())
        margin = min(30.0, lifetime * 0.1)
        return Token(Secret(value), time.monotonic() + lifetime - margin)
