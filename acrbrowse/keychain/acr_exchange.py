"""Entra ID token -> ACR refresh token: `POST https://HOST/oauth2/exchange` (ACR's AAD exchange),
`grant_type=access_token&service=HOST&access_token=…[&tenant=…]`.

Synchronous (httpx.Client): the credential chain runs in the CLI's main thread and in the UI's
thread workers. The Entra token goes only to the registry's own host, over HTTPS (or plain HTTP
between loopback ends, as every other secret), with the run's CA and timeout, and never follows a
redirect.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from acrbrowse import boundedjson
from acrbrowse.keychain.entra import EntraError, EntraToken
from acrbrowse.limits import ERROR_BODY_BYTES, TOKEN_ANSWER_BYTES
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import (
    Hint,
    MalformedResponse,
    RegistryError,
    ServerError,
    Timeout,
    TLSFailure,
    Unreachable,
    oci_error_summary,
)
from acrbrowse.oci.name import is_loopback_host, parse_registry, split_host_port
from acrbrowse.oci.remote.auth import http_url, jwt_expiry, realm_may_see_secret
from acrbrowse.oci.remote.challenge import Challenge, parse_challenges, pick
from acrbrowse.oci.remote.transport import USER_AGENT, tls_context

# The username ACR gives its refresh tokens (`az acr login --expose-token` prints the same).
ACR_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000"
TOKEN_PATH = "/oauth2/token"
EXCHANGE_PATH = "/oauth2/exchange"


class ExchangeRefused(EntraError):
    """The registry would not exchange the Entra token: the identity has no role on it, or the
    registry is not one that exchanges (not ACR)."""


@dataclass(frozen=True)
class Connection:
    """How to reach the registry: the session's options."""

    plain_http: bool | None = None
    ca_cert: Path | None = None
    timeout: float = 30.0


def exchange_url(registry: str, challenge: Challenge | None, *, loopback: bool) -> tuple[httpx.URL, str]:
    """Where to exchange and the `service` to name: the realm's origin when the registry's bearer
    realm is its own host's /oauth2/token (ACR's shape). ExchangeRefused otherwise."""
    if challenge is None or challenge.scheme != "bearer" or not challenge.realm:
        raise ExchangeRefused(f"{registry} does not ask for bearer tokens, so it cannot take an Entra ID sign-in "
                              "(that works with Azure Container Registry)")
    realm = http_url(challenge.realm, f"{registry}'s token service")
    host, port = split_host_port(registry)
    # The registry's own host; and its own port too, but on loopback (the test bed's token service
    # listens on a port of its own).
    same_port = loopback or (realm.port or 443) == (port or 443)
    if realm.host.lower() != host.lower() or not same_port or realm.path != TOKEN_PATH:
        raise ExchangeRefused(f"{registry}'s token service is not its own {TOKEN_PATH}, so it is not an Azure "
                              "Container Registry; Entra ID sign-in works with those only")
    if not realm_may_see_secret(realm, loopback):
        raise ExchangeRefused(f"{registry}'s token service is plain HTTP; refusing to send an Entra ID token there")
    return realm.copy_with(path=EXCHANGE_PATH, query=None, fragment=None), challenge.service or registry


def exchange_entra_token(
    registry: str,
    entra_token: Callable[[], EntraToken],
    *,
    tenant: str | None = None,
    connection: Connection = Connection(),
    known_challenge: Challenge | None = None,
) -> Credential:
    """The ACR refresh token for the Entra ID token `entra_token()` gives, as a Credential of kind
    "entra" with its expiry.

    Asks the registry for its challenge first (GET /v2/) unless `known_challenge` is a bearer one,
    and asks for the Entra token only once the registry proved it can exchange one. Raises
    ExchangeRefused / EntraError, or a RegistryError when the registry can't be reached."""
    reference = parse_registry(registry)
    loopback = is_loopback_host(reference.registry)
    plain = loopback if connection.plain_http is None else connection.plain_http
    base = f"{'http' if plain else 'https'}://{reference.api_host}"
    with httpx.Client(
        verify=tls_context(connection.ca_cert),
        timeout=httpx.Timeout(connection.timeout, connect=min(connection.timeout, 10.0)),
        follow_redirects=False,  # the Entra token never follows a redirect anywhere
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    ) as http:
        challenge = known_challenge
        if challenge is None or challenge.scheme != "bearer" or not challenge.realm:
            challenge = _challenge(http, base, reference.registry)
        url, service = exchange_url(reference.registry, challenge, loopback=loopback)
        entra = entra_token()
        form = {"grant_type": "access_token", "service": service, "access_token": entra.value.reveal()}
        if tenant:
            form["tenant"] = tenant
        status, _, body = _send(http, reference.registry, "POST", url, data=form,
                                cap=TOKEN_ANSWER_BYTES, secret=entra.value.reveal())
    return _refresh_token(reference.registry, status, body, entra, tenant)


def _challenge(http: httpx.Client, base: str, registry: str) -> Challenge | None:
    status, headers, _ = _send(http, registry, "GET", httpx.URL(base + "/v2/"), cap=ERROR_BODY_BYTES)
    return pick(parse_challenges(headers.get_list("www-authenticate"))) if status == 401 else None


def _send(http: httpx.Client, registry: str, method: str, url: httpx.URL, *, cap: int,
          data: dict[str, str] | None = None, secret: str = "") -> tuple[int, httpx.Headers, bytes]:
    """One request, its body read up to `cap` bytes, the whole exchange within the client's timeout
    (httpx's own is per read: a byte just in time would keep it going); transport failures as RegistryErrors."""
    timeout = http.timeout.read or 30.0
    deadline = time.monotonic() + timeout
    late = Timeout(f"{registry} did not answer within {timeout:g} s", hint=Hint.RAISE_TIMEOUT, registry=registry)
    try:
        with http.stream(method, url, data=data) as response:
            body = bytearray()
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > cap:
                    raise MalformedResponse(f"{registry} answered {method} {url.path} with more than {cap:,} bytes")
                if time.monotonic() > deadline:
                    raise late
            return response.status_code, response.headers, bytes(body)
    except RegistryError:
        raise
    except httpx.TimeoutException:
        raise late from None
    except httpx.ConnectError as exc:
        raise _connect_error(registry, exc, secret) from None
    except httpx.HTTPError as exc:
        raise Unreachable(f"request to {registry} failed: {_reason(exc, secret)}", hint=Hint.TRY_LATER,
                          registry=registry) from None


def _connect_error(registry: str, exc: httpx.ConnectError, secret: str) -> RegistryError:
    text = str(exc)
    if isinstance(exc.__cause__, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
        if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
            return TLSFailure(f"{registry} does not speak HTTPS", hint=Hint.PLAIN_HTTP, registry=registry)
        return TLSFailure(f"TLS with {registry} failed ({_reason(exc, secret)})", hint=Hint.CA_CERT, registry=registry)
    return Unreachable(f"cannot reach {registry} ({_reason(exc, secret)})", hint=Hint.CHECK_NETWORK, registry=registry)


def _reason(exc: BaseException, secret: str) -> str:
    text = " ".join(str(exc).split())[:160] or type(exc).__name__
    return text.replace(secret, "********") if secret else text


def _refresh_token(registry: str, status: int, body: bytes, entra: EntraToken, tenant: str | None) -> Credential:
    secret = entra.value.reveal()
    if status in (401, 403):
        detail = oci_error_summary(body, (secret,))
        raise ExchangeRefused(
            f"{registry} refused the Entra ID identity ({detail or status}): it needs a role on the registry "
            "(AcrPull, or Container Registry Repository Reader where repository permissions are on)"
            + (f", in tenant {tenant}" if tenant else "")
        )
    if status == 404:
        raise ExchangeRefused(f"{registry} has no {EXCHANGE_PATH}, so it is not an Azure Container Registry; "
                              "Entra ID sign-in works with those only")
    if status >= 500:
        raise ServerError(f"{registry}'s token exchange failed ({status})", status, registry=registry)
    if status != 200:
        detail = oci_error_summary(body, (secret,))
        raise MalformedResponse(f"{registry}'s token exchange answered {status}" + (f" ({detail})" if detail else ""),
                                registry=registry)
    try:
        answer = boundedjson.loads(body)
    except ValueError:
        answer = None
    token = answer.get("refresh_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable() or " " in token:
        raise MalformedResponse(f"{registry}'s token exchange answered without a usable refresh token",
                                registry=registry)
    return Credential(ACR_TOKEN_USERNAME, Secret(token), "entra", source=entra.source,
                      expires_at=jwt_expiry(token), tenant=tenant)
