"""HTTP for one registry: the pooled httpx client, one request with its retries inside one deadline,
body caps on every answer, and a final non-2xx answer mapped to a typed error. Nothing here knows
what a manifest or a tag is; client.py does."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from acrbrowse import __version__
from acrbrowse.limits import BLOB_CHUNK_BYTES, ERROR_BODY_BYTES, describe_bytes
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.errors import (
    AccessDenied,
    CatalogDenied,
    Hint,
    MalformedResponse,
    ManifestNotFound,
    NotFound,
    RateLimited,
    RegistryError,
    RepositoryNotFound,
    ServerError,
    Timeout,
    TLSFailure,
    Unreachable,
    credentials_refused,
    oci_error_codes,
    oci_error_summary,
    sign_in_required,
)
from acrbrowse.oci.name import Reference, split_host_port
from acrbrowse.oci.remote.auth import BODY, ROUTE, SCOPE, RegistryAuth, origin, retry_after_seconds, secret_forms
from acrbrowse.oci.remote.challenge import parse_challenges, pick

USER_AGENT = f"acrbrowse/{__version__}"
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is reported, not slept through


class BodyTooLarge(MalformedResponse):
    """A 2xx body past the cap for its kind: refused after reading at most the cap (plus a chunk)."""


class CappedBody(httpx.AsyncByteStream):
    """A response body that ends at `cap` bytes: cut short (`too_large` None: an error body, read only
    for its OCI error code) or refused with `too_large`. Nothing past the cap plus one chunk is read."""

    def __init__(self, stream: httpx.AsyncByteStream, cap: int, too_large: Exception | None) -> None:
        self._stream, self._cap, self._too_large = stream, cap, too_large

    async def __aiter__(self) -> AsyncIterator[bytes]:
        room = self._cap
        async for chunk in self._stream:
            if len(chunk) > room:
                if self._too_large is not None:
                    raise self._too_large
                if room:
                    yield chunk[:room]
                return
            room -= len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


async def cap_body(response: httpx.Response) -> None:
    """Response hook, so it bounds every body httpx reads: redirects, 401s and token answers inside the
    auth flow, and the final answer. The cap comes from the request's BODY extension."""
    request = response.request
    cap, what = request.extensions.get(BODY, (ERROR_BODY_BYTES, "the answer"))
    too_large: Exception | None = None
    if response.is_success:
        too_large = BodyTooLarge(f"{what} is larger than {describe_bytes(cap)}; refusing it")
        length = response.headers.get("content-length", "")
        if request.method != "HEAD" and length.isascii() and length.isdigit() and int(length[:20]) > cap:
            raise too_large
    else:
        cap = min(cap, ERROR_BODY_BYTES)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity") and request.method != "HEAD":
        # Only identity is asked for: a compressed body's real size is unknown until it is inflated.
        if too_large is not None:
            raise MalformedResponse(f"{what} came compressed ({encoding[:20]!r}) though acrbrowse asks for "
                                    "uncompressed answers; refusing it")
        cap = 0
        del response.headers["content-encoding"]
    assert isinstance(response.stream, httpx.AsyncByteStream)  # an AsyncClient's responses
    response.stream = CappedBody(response.stream, cap, too_large)


@dataclass(frozen=True)
class PullQuota:
    """Docker Hub's pull allowance as its last answer told it (`ratelimit-limit: 100;w=21600`)."""

    limit: int  # pulls allowed per window
    remaining: int  # pulls left in the current window
    window: int | None  # the window in seconds (None: not said)
    read_at: float  # time.time() of the answer that said so


_QUOTA = re.compile(r"\s*([0-9]{1,12})\s*(?:;\s*w\s*=\s*([0-9]{1,12}))?\s*(?:;.*)?", re.ASCII)


def pull_quota(headers: httpx.Headers, *, previous: PullQuota | None = None) -> PullQuota | None:
    """The allowance in an answer's ratelimit-limit / ratelimit-remaining headers; None when it
    carries none that can be read (a limit or window it omits is kept from `previous`)."""
    remaining = _QUOTA.fullmatch(headers.get("ratelimit-remaining", ""))
    limit = _QUOTA.fullmatch(headers.get("ratelimit-limit", ""))
    if remaining is None or (limit is None and previous is None):
        return None
    window = (limit[2] if limit else None) or remaining[2]
    return PullQuota(
        limit=int(limit[1]) if limit else previous.limit if previous else 0,
        remaining=int(remaining[1]),
        window=int(window) if window else previous.window if previous else None,
        read_at=time.time(),
    )


def describe_window(seconds: int) -> str:
    """21600 → '6 h', 3600 → '1 h', 90 → '90 s'."""
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def tls_context(ca_cert: Path | None) -> ssl.SSLContext:
    """The OS trust store (via truststore), plus an extra CA file when given."""
    import truststore

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_cert is not None:
        try:
            context.load_verify_locations(cafile=str(ca_cert))
        except (OSError, ssl.SSLError) as exc:
            raise TLSFailure(f"cannot use the CA certificate file {ca_cert}: {exc.strerror or exc}") from None
    return context


class Transport:
    """One registry's connection pool and request discipline; a RegistryClient owns one."""

    def __init__(
        self,
        reference: Reference,
        auth: RegistryAuth,
        *,
        credential: Credential | None,
        plain_http: bool,
        ca_cert: Path | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
        on_notice: Callable[[str], None] | None = None,
        counts_pulls: bool = False,
    ) -> None:
        self.reference = reference
        # Docker Hub: every manifest GET is a pull on a quota; a 429 means it is spent (waiting
        # seconds does not bring it back), so it is reported at once, not retried.
        self.counts_pulls = counts_pulls
        self.pull_quota: PullQuota | None = None
        self.registry = reference.registry
        self.credential = credential
        self.auth = auth
        # The deadline of one request: connect, send, every retry and wait, whole body. A streamed body
        # (`chunks`) has it as an idle deadline between chunks instead.
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.on_notice = on_notice
        scheme = "http" if plain_http else "https"
        self.http = httpx.AsyncClient(
            base_url=f"{scheme}://{reference.api_host}",
            auth=auth,
            # identity only: a compressed body's size is unknown until inflated (see cap_body)
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,  # httpx drops Authorization when a redirect leaves the origin
            http2=not plain_http and transport is None,
            # An SSLContext even for plain HTTP: verify=True would load certifi's bundle (~15 ms),
            # and an HTTPS redirect from a plain registry is still verified against the OS store.
            verify=tls_context(ca_cert),
            transport=transport,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            event_hooks={"request": [auth.guard_request], "response": [cap_body]},
        )

    @property
    def base_url(self) -> httpx.URL:
        return self.http.base_url

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, method: str, url: str | httpx.URL, *, route: str, scope: str, headers=None,
                   body: tuple[int, str] = (ERROR_BODY_BYTES, "the answer"), stream: bool = False) -> httpx.Response:
        """One request with its retries, all within one deadline of `timeout` seconds. `body` is the
        cap of a 2xx answer's body and what to call it when it is larger.

        With `stream`, the deadline covers the answer's headers only and a 2xx body is left unread for
        the caller to read (and close); a non-2xx answer's (capped) body is read, for `fail`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: RegistryError | None = None  # what to raise when no retry is left
            delay: float | None = None
            try:
                async with asyncio.timeout_at(deadline):
                    extensions = {ROUTE: route, SCOPE: scope, BODY: body}
                    if stream:
                        request = self.http.build_request(method, url, headers=headers, extensions=extensions)
                        response = await self.http.send(request, stream=True)
                        if not response.is_success:
                            response = await self._read_error(response)
                    else:
                        response = await self.http.request(method, url, headers=headers, extensions=extensions)
            except RateLimited as exc:  # the token service, inside the auth flow
                failure = exc
                delay = exc.retry_after
            except ServerError as exc:  # the token service, inside the auth flow
                failure = exc
            except (TimeoutError, httpx.TimeoutException):
                raise self.timed_out() from None
            except httpx.ConnectError as exc:
                raise self.connect_error(exc) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if "Invalid URL in location header" in str(exc):
                    raise MalformedResponse(f"{self.registry} redirected to an unusable URL") from None
                failure = Unreachable(f"the connection to {self.registry} kept failing ({reason(exc)})",
                                      hint=Hint.TRY_LATER)
                if method not in ("GET", "HEAD"):
                    raise failure from None
            except httpx.TooManyRedirects:
                raise MalformedResponse(f"{self.registry} redirected too many times") from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
                raise MalformedResponse(f"{self.registry} led to a request that cannot be made ({reason(exc)})") from None
            except httpx.HTTPError as exc:
                raise Unreachable(f"request to {self.registry} failed: {reason(exc)}") from None
            except RegistryError:
                raise
            except (ValueError, OverflowError) as exc:  # e.g. a redirect to port 99999, from below httpx
                raise MalformedResponse(f"{self.registry} led to a request that cannot be made ({reason(exc)})") from None
            else:
                self._read_quota(response)
                if response.status_code == 429 and self.counts_pulls and self._from_registry(response):
                    return response  # the quota is spent: `fail` says so
                if response.status_code == 429:
                    delay = retry_after_seconds(response)
                    failure = RateLimited(f"{self.registry} is throttling requests (429)", delay)
                elif response.status_code not in RETRY_STATUSES or method not in ("GET", "HEAD"):
                    return response
            throttled = isinstance(failure, RateLimited)
            wait = delay if delay is not None else self.backoff * 2 ** attempt * (1 + random.random() / 2)
            if attempt >= self.retries or wait > MAX_RETRY_AFTER or loop.time() + wait > deadline:
                if failure is None:
                    if response is None:  # unreachable: every path without an answer sets a failure
                        raise Unreachable(f"request to {self.registry} failed")
                    return response  # a 5xx after the retries: the caller words it
                if throttled and delay:
                    beyond = attempt < self.retries and loop.time() + wait > deadline
                    raise RateLimited(self._throttled_text(failure, delay, beyond), delay) from None
                raise failure
            if throttled:
                asked = f"waiting {wait:.0f} s as it asks" if delay is not None else f"waiting {wait:.1f} s"
                self.notice(f"{failure}; {asked}")
            attempt += 1
            await asyncio.sleep(wait)

    async def chunks(self, response: httpx.Response) -> AsyncGenerator[bytes]:
        """A streamed answer's body as it arrives, then the response closed. A long download is not
        cut off by `timeout` as a whole: `timeout` bounds each wait for the next chunk (an idle
        deadline), so a big layer that keeps arriving keeps going, and a stalled one ends."""
        try:
            parts = response.aiter_raw().__aiter__()
            while True:
                try:
                    # No yield inside the timeout: it would cancel whatever the consumer is doing.
                    async with asyncio.timeout(self.timeout):
                        chunk = await parts.__anext__()
                except StopAsyncIteration:
                    return
                except (TimeoutError, httpx.TimeoutException):
                    raise Timeout(f"{self.registry} sent nothing for {self.timeout:g} s in the middle of a download",
                                  hint=Hint.RAISE_TIMEOUT) from None
                except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                    raise Unreachable(f"the connection to {self.registry} broke during a download ({reason(exc)})",
                                      hint=Hint.TRY_LATER) from None
                except httpx.HTTPError as exc:
                    raise Unreachable(f"a download from {self.registry} failed: {reason(exc)}") from None
                for at in range(0, len(chunk), BLOB_CHUNK_BYTES):
                    yield chunk[at:at + BLOB_CHUNK_BYTES]
        finally:
            await response.aclose()

    @staticmethod
    async def _read_error(response: httpx.Response) -> httpx.Response:
        """A streamed non-2xx answer with its (capped) body read, for `fail`. A body that breaks off
        is read as empty: it is read only for an error code (distribution answers a Range past the
        end with the blob's Content-Length and a short message)."""
        try:
            await response.aread()
            return response
        except (httpx.RemoteProtocolError, httpx.ReadError):
            return httpx.Response(response.status_code, headers=response.headers, content=b"",
                                  request=response.request)
        finally:
            await response.aclose()

    def timed_out(self) -> Timeout:
        return Timeout(f"{self.registry} did not answer within {self.timeout:g} s", hint=Hint.RAISE_TIMEOUT)

    def _throttled_text(self, failure: RegistryError, delay: float, beyond_deadline: bool) -> str:
        text = f"{failure}; it asks to wait {seconds(delay)}"
        if beyond_deadline:
            text += f", longer than the {self.timeout:g} s timeout allows"
        return text

    def notice(self, text: str) -> None:
        """Tell the person something worth knowing that is not a failure (through `on_notice`)."""
        if self.on_notice is not None:
            self.on_notice(text)

    def _from_registry(self, response: httpx.Response) -> bool:
        return origin(response.url) == origin(self.http.base_url)

    def _read_quota(self, response: httpx.Response) -> None:
        if self._from_registry(response):
            quota = pull_quota(response.headers, previous=self.pull_quota)
            if quota is not None:
                self.pull_quota = quota

    def pull_limit_spent(self, response: httpx.Response) -> RateLimited:
        """Docker Hub's 429: the pull quota is spent for the rest of its window."""
        quota = self.pull_quota
        text = "Docker Hub's pull limit is spent"
        if quota is not None and quota.limit:
            text += f": {quota.limit:,} pulls per {describe_window(quota.window)}" if quota.window else \
                f": {quota.limit:,} pulls"
        if self.credential is None:
            text += " for anonymous users; signing in raises it"
        return RateLimited(text, retry_after_seconds(response), registry=self.registry)

    def connect_error(self, exc: httpx.ConnectError) -> RegistryError:
        cause = exc.__cause__ or exc.__context__
        seen = {id(exc)}  # a cause chain can loop back on itself; don't walk it forever
        while cause is not None and not isinstance(cause, ssl.SSLError) and cause.__cause__ is not None:
            if id(cause) in seen:
                break
            seen.add(id(cause))
            cause = cause.__cause__
        text = str(exc)
        target = self.registry
        try:
            host = exc.request.url.host
        except RuntimeError:  # no request attached
            host = None
        if host and host != split_host_port(self.reference.api_host)[0]:
            target = f"{self.registry}'s token or blob service at {host}"
        if isinstance(cause, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
            if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
                return TLSFailure(f"{target} does not speak HTTPS", hint=Hint.PLAIN_HTTP)
            return TLSFailure(f"TLS with {target} failed ({reason(exc)})", hint=Hint.CA_CERT)
        return Unreachable(f"cannot reach {target} ({reason(exc)})", hint=Hint.CHECK_NETWORK)

    def fail(self, response: httpx.Response, *, what: str, repository: str | None = None, catalog: bool = False) -> RegistryError:
        """Map a final non-2xx answer to a typed error with a message a person can act on."""
        status = response.status_code
        codes = oci_error_codes(response.content)
        detail = oci_error_summary(response.content, secret_forms(self.credential))
        if status in (401, 403) and origin(response.url) != origin(self.http.base_url):
            host = response.url.host[:100]
            return AccessDenied(f"{host}, where {self.registry} sent acrbrowse to {what}, refused it ({status}); "
                                "acrbrowse sends no credentials there")
        if status == 401:
            challenge = pick(parse_challenges(response.headers.get_list("www-authenticate")))
            if self.credential is None:
                if catalog:
                    return CatalogDenied(f"{self.registry} does not let anonymous users list repositories",
                                         hint=Hint.SIGN_IN_OR_NAME_REPOSITORY, registry=self.registry)
                return sign_in_required(self.registry)
            if challenge is not None and challenge.scheme == "basic":
                return credentials_refused(self.registry, self.credential.username, self.credential.source,
                                           "wrong username or password")
        if status in (401, 403):
            if catalog:
                return CatalogDenied(f"this credential cannot list repositories of {self.registry}",
                                     hint=Hint.NAME_A_REPOSITORY, registry=self.registry)
            target = f" {repository}" if repository else ""
            return AccessDenied(f"access to{target} on {self.registry} denied: the credential lacks the right to {what}")
        if status == 404:
            if catalog:
                return CatalogDenied(f"{self.registry} has no repository catalog",
                                     hint=Hint.NAME_A_REPOSITORY, registry=self.registry)
            if "NAME_UNKNOWN" in codes:
                return RepositoryNotFound(f"repository {repository} not found on {self.registry}")
            if "MANIFEST_UNKNOWN" in codes or what.startswith("read manifest"):
                return ManifestNotFound(f"{what.removeprefix('read manifest ')} not found on {self.registry}")
            return NotFound(f"{what}: not found on {self.registry}" + (f" ({detail})" if detail else ""))
        if status == 429 and self.counts_pulls:
            return self.pull_limit_spent(response)
        if status == 429:
            return RateLimited(f"{self.registry} is throttling requests (429)", retry_after_seconds(response))
        if status >= 500:
            return ServerError(
                f"{self.registry} failed to {what} ({status} {response.reason_phrase})", status
            )
        return MalformedResponse(
            f"{self.registry} answered {status} to {what}" + (f": {detail}" if detail else "")
        )


def seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay < 10**9 else "a very long time"


def reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:160] or exc.__class__.__name__
