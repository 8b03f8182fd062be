"""Registry authentication as an httpx.Auth flow: Basic, and Bearer tokens fetched from the realm.

The flow goes straight to the resource and lets its 401 challenge say which token it needs
(no separate /v2/ ping). Tokens are cached per scope until they expire; the challenge each
route answered with is remembered, so later requests carry a token up front.
"""

from __future__ import annotations

import asyncio
import base64
import math
import re
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import httpx

from acrbrowse import boundedjson
from acrbrowse.limits import TOKEN_ANSWER_BYTES
from acrbrowse.oci.credential import RENEW_MARGIN, Credential, Secret
from acrbrowse.oci.errors import (
    AuthenticationFailed,
    Hint,
    InsecureRequest,
    MalformedResponse,
    RateLimited,
    ServerError,
    credentials_refused,
    oci_error_summary,
    sign_in_required,
)
from acrbrowse.oci.name import is_loopback_name
from acrbrowse.oci.remote.challenge import Challenge, parse_challenges, pick

ROUTE = "acrbrowse_route"  # request extension: which kind of request this is, e.g. "pull:aspnetapp"
SCOPE = "acrbrowse_scope"  # request extension: the scope it needs, before any challenge said so
BODY = "acrbrowse_body"  # request extension: (cap in bytes, what the body is) for a 2xx answer's body
SENDS_SECRET = "acrbrowse_sends_secret"  # request extension: the origin a token request may go to
DEFAULT_TOKEN_LIFETIME = 60.0  # seconds; the distribution spec's default when expires_in is absent
MAX_TOKEN_LIFETIME = 24 * 3600.0  # a longer promise is not believed
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # a token travels in a header: visible ASCII only


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def http_url(text: str, what: str, *, base: httpx.URL | None = None) -> httpx.URL:
    """An http(s) URL with a host and a usable port, or MalformedResponse (never httpx.InvalidURL).
    A scheme other than http(s) is InsecureRequest: acrbrowse follows nothing else."""
    try:
        url = base.join(text) if base is not None else httpx.URL(text)
        port = url.port
    except (httpx.InvalidURL, ValueError, TypeError):
        raise MalformedResponse(f"{what} is not a usable URL: {text[:100]!r}") from None
    if url.scheme and url.scheme not in ("https", "http"):
        raise InsecureRequest(f"{what} is not HTTP(S): {url.scheme[:20]!r}")
    if not url.scheme or not url.host or (port is not None and not 0 < port < 65536):
        raise MalformedResponse(f"{what} is not a usable URL: {text[:100]!r}")
    return url


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
        payload = boundedjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:  # bad base64, not UTF-8, not JSON, nested too deep
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return _finite(exp)


def _finite(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else (bool, nan, inf, 400 digits)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int of 400 digits
        return None
    return number if math.isfinite(number) else None


def token_lifetime(body: dict, token: str, now_wall: float) -> float:
    """Seconds a token may be used: expires_in, else the JWT's exp, else 60 s; never over 24 h."""
    expires_in = body.get("expires_in")
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
        return float(min(expires_in, MAX_TOKEN_LIFETIME))  # min, not float(): 400 digits overflow a float
    exp = jwt_expiry(token)
    if exp is not None:
        return min(MAX_TOKEN_LIFETIME, max(0.0, exp - now_wall))
    return DEFAULT_TOKEN_LIFETIME


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def realm_may_see_secret(realm: httpx.URL, registry_loopback: bool) -> bool:
    """A password or refresh token goes over HTTPS, or over plain HTTP between loopback ends only."""
    return realm.scheme == "https" or (registry_loopback and is_loopback_name(realm.host))


class RegistryAuth(httpx.Auth):
    def __init__(self, registry: str, credential: Credential | None, *, loopback: bool,
                 known_challenge: Challenge | None = None) -> None:
        self.registry = registry
        self.credential = credential
        # A token realm over plain HTTP may see credentials only when it and the registry are both
        # on loopback (a local test registry); never for a remote registry or a remote realm.
        self._loopback = loopback
        self.challenge: Challenge | None = known_challenge
        # True once this run saw the challenge work: the registry sent it, or a request made with
        # it was accepted. A remembered challenge that never did is not worth remembering again.
        self.confirmed = False
        self._tokens: dict[tuple[str, ...], Token] = {}
        self._route_scopes: dict[str, tuple[str, ...]] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}
        self._renewing = asyncio.Lock()
        self.token_requests = 0
        self.renewals = 0

    def __repr__(self) -> str:
        return f"RegistryAuth(registry={self.registry!r}, credential={self.credential!r})"

    async def guard_request(self, request: httpx.Request) -> None:
        """Request hook, so it sees every request httpx sends, redirects included: only to an http(s)
        URL with a usable port; a token request carrying a secret in its body (a POSTed refresh token,
        which a 307 would re-send) never to another origin. httpx itself drops the Authorization
        header when a redirect leaves the origin."""
        url = request.url
        if url.scheme not in ("http", "https") or not url.host or (url.port is not None and not 0 < url.port < 65536):
            raise MalformedResponse(f"{self.registry} led to a URL acrbrowse cannot use: {str(url)[:100]!r}")
        allowed = request.extensions.get(SENDS_SECRET)
        if allowed is not None and origin(url) != allowed and request.method == "POST":
            raise InsecureRequest(f"{self.registry}'s token service redirected the credential to another host "
                                  f"({url.host[:100]}); refusing to send it there")

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
                    await self._renew_if_expiring()
                    token_response = yield self._token_request(challenge, scopes)
                    token = self._tokens[scopes] = await self._read_token(token_response)
            request.headers["Authorization"] = f"Bearer {token.value.reveal()}"
        else:
            self._authorize_basic_up_front(request)
        sent = request.headers.get("Authorization")
        response = yield request
        if response.status_code != 401 and self.challenge is not None and sent:
            self.confirmed = True
        if response.status_code != 401 or origin(response.url) != origin(request.url):
            # A 401 from where a redirect led (blob storage on another host) is that host's own
            # business: its challenge never gets the user's credential, nor replaces the registry's.
            return
        challenge = pick(parse_challenges(response.headers.get_list("www-authenticate")))
        if challenge is None:
            return
        if challenge.scheme == "basic":
            self.challenge, self.confirmed = challenge, True
            if self.credential and not (sent or "").startswith("Basic "):
                request.headers["Authorization"] = basic_header(self.credential)
                yield request
            return
        if not challenge.realm:
            raise MalformedResponse(f"{self.registry} asked for a bearer token but named no realm")
        http_url(challenge.realm, f"{self.registry}'s token service")  # refused before it is remembered
        self.challenge, self.confirmed = challenge, True
        scopes = challenge.scopes or self._scopes_for(request)
        route = request.extensions.get(ROUTE)
        if route:
            self._route_scopes[route] = scopes
        lock = self._locks.setdefault(scopes, asyncio.Lock())
        async with lock:
            token = self._tokens.get(scopes)
            if token is None or not token.valid(time.monotonic()) or sent == f"Bearer {token.value.reveal()}":
                # A 401 for the token we sent means it expired or lacks the scope: fetch anew, once.
                self._tokens.pop(scopes, None)
                await self._renew_if_expiring()
                token_response = yield self._token_request(challenge, scopes)
                token = self._tokens[scopes] = await self._read_token(token_response)
        request.headers["Authorization"] = f"Bearer {token.value.reveal()}"
        yield request

    async def _renew_if_expiring(self) -> None:
        """A refresh token that can be renewed (an Entra ID sign-in) and is about to expire is
        replaced before it is sent: the renewal runs `az` or azure-identity, so in a thread."""
        credential = self.credential
        if credential is None or credential.renew is None or not credential.expired(time.time(), RENEW_MARGIN):
            return
        async with self._renewing:
            if self.credential is not credential:  # another request renewed it meanwhile
                return
            try:
                self.credential = await asyncio.to_thread(credential.renew)
            except Exception as exc:  # the renewal's own errors are one line with no secret in them
                raise AuthenticationFailed(f"the Entra ID sign-in for {self.registry} expired and could not be "
                                           f"renewed: {exc}", hint=Hint.SIGN_IN_AGAIN, registry=self.registry) from None
            self.renewals += 1

    def _token_request(self, challenge: Challenge, scopes: tuple[str, ...]) -> httpx.Request:
        realm = http_url(challenge.realm or "", f"{self.registry}'s token service")
        if self.credential and not realm_may_see_secret(realm, self._loopback):
            raise InsecureRequest(
                f"{self.registry} wants credentials sent to a plain-HTTP token service ({realm.host}); "
                "refusing to expose them"
            )
        self.token_requests += 1
        service = challenge.service or ""
        extensions: dict[str, object] = {BODY: (TOKEN_ANSWER_BYTES, f"{self.registry}'s token service answer")}
        if self.credential:
            extensions[SENDS_SECRET] = origin(realm)
        if self.credential and self.credential.is_refresh_token:
            form = {"grant_type": "refresh_token", "service": service, "client_id": "acrbrowse",
                    "refresh_token": self.credential.secret.reveal()}
            if scopes:
                form["scope"] = " ".join(scopes)
            return httpx.Request("POST", realm, data=form, extensions=extensions)
        params: list[tuple[str, str | int | float | bool | None]] = [("service", service)] if service else []
        params += [("scope", scope) for scope in scopes]
        headers = {"Authorization": basic_header(self.credential)} if self.credential else {}
        return httpx.Request("GET", realm.copy_merge_params(params), headers=headers, extensions=extensions)

    async def _read_token(self, response: httpx.Response) -> Token:
        # httpx reads bodies inside an auth flow only in its default async_auth_flow, which this
        # class overrides: read the token service's answer here (the client's response hook caps it
        # at TOKEN_ANSWER_BYTES, and an error body at ERROR_BODY_BYTES).
        await response.aread()
        status = response.status_code
        if status in (401, 403):
            if self.credential:
                raise credentials_refused(self.registry, self.credential.username, self.credential.source)
            raise sign_in_required(self.registry)
        if status == 429:
            raise RateLimited(f"{self.registry}'s token service is throttling requests", retry_after_seconds(response))
        if status >= 500:
            raise ServerError(f"{self.registry}'s token service failed ({status})", status)
        if status != 200:
            detail = oci_error_summary(response.content, secret_forms(self.credential))
            raise MalformedResponse(
                f"{self.registry}'s token service answered {status}" + (f" ({detail})" if detail else "")
            )
        try:
            body = boundedjson.loads(response.content)
        except ValueError:
            body = None
        value = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise MalformedResponse(f"{self.registry}'s token service answered without a token")
        if not _HEADER_SAFE.fullmatch(value):
            raise MalformedResponse(f"{self.registry}'s token service answered a token that cannot be sent "
                                    "(it holds spaces, control or non-ASCII characters)")
        lifetime = token_lifetime(body, value, time.time())
        margin = min(30.0, lifetime * 0.1)
        return Token(Secret(value), time.monotonic() + lifetime - margin)
