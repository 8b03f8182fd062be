"""The registry client: catalog, tags, manifests and blobs over the OCI distribution API."""

from __future__ import annotations

import asyncio
import hashlib
import random
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from acrbrowse import __version__, boundedjson
from acrbrowse.limits import (
    CONFIG_BYTES,
    ERROR_BODY_BYTES,
    LIST_PAGE_BYTES,
    MANIFEST_BYTES,
    MANIFEST_MEMORY_BYTES,
    MAX_LIST_PAGES,
    describe_bytes,
)
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.cache import ContentCache
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.errors import (
    AccessDenied,
    CatalogDenied,
    Hint,
    InsecureRequest,
    IntegrityError,
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
from acrbrowse.oci.manifest import Descriptor, ImageConfig, Manifest, parse_config, parse_manifest
from acrbrowse.oci.name import (
    Reference,
    is_loopback_host,
    parse_registry,
    split_host_port,
    validate_digest,
    validate_repository,
    validate_tag,
)
from acrbrowse.oci.remote.auth import (
    BODY,
    ROUTE,
    SCOPE,
    RegistryAuth,
    http_url,
    origin,
    retry_after_seconds,
    secret_forms,
)
from acrbrowse.oci.remote.challenge import Challenge, parse_challenges, pick

USER_AGENT = f"acrbrowse/{__version__}"
PAGE_SIZE = 1000
MANIFEST_MEMORY = 1024  # manifests kept in memory per client, oldest dropped first
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


class RegistryClient:
    """One registry, one connection pool, one token cache. Use as `async with RegistryClient(...)`."""

    def __init__(
        self,
        registry: str | Reference,
        *,
        credential: Credential | None = None,
        plain_http: bool | None = None,
        ca_cert: Path | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: ContentCache | None = None,
        known_challenge: Challenge | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.reference = registry if isinstance(registry, Reference) else parse_registry(registry)
        self.registry = self.reference.registry
        loopback = is_loopback_host(self.registry)
        self.plain_http = loopback if plain_http is None else plain_http
        self.scheme = "http" if self.plain_http else "https"
        self.credential = credential
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout  # the deadline of one request: connect, send, every retry and wait, whole body
        self.cache = cache
        self.on_notice = on_notice
        # Manifests by digest for this client's life, and the fetches under way: many tags point at
        # one digest, and each is fetched once.
        self._manifests: dict[tuple[str, str], Manifest] = {}
        self._manifest_bytes = 0  # the raw size of what _manifests holds
        self._fetching: dict[tuple[str, str], asyncio.Future[Manifest]] = {}
        self.auth = RegistryAuth(self.registry, credential, loopback=loopback, known_challenge=known_challenge)
        self._http = httpx.AsyncClient(
            base_url=f"{self.scheme}://{self.reference.api_host}",
            auth=self.auth,
            # identity only: a compressed body's size is unknown until inflated (see cap_body)
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,  # httpx drops Authorization when a redirect leaves the origin
            http2=not self.plain_http and transport is None,
            # An SSLContext even for plain HTTP: verify=True would load certifi's bundle (~15 ms),
            # and an HTTPS redirect from a plain registry is still verified against the OS store.
            verify=tls_context(ca_cert),
            transport=transport,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            event_hooks={"request": [self.auth.guard_request], "response": [cap_body]},
        )

    @property
    def challenge(self) -> Challenge | None:
        """How the registry asks for credentials (None: it has not asked)."""
        return self.auth.challenge

    @property
    def challenge_confirmed(self) -> bool:
        """Whether this client's challenge was sent by the registry, or worked, during this run."""
        return self.auth.confirmed

    def __repr__(self) -> str:
        return f"RegistryClient({self.scheme}://{self.registry}, credential={self.credential!r})"

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- transport: retries and error mapping -------------------------------------------

    async def _send(self, method: str, url: str | httpx.URL, *, route: str, scope: str, headers=None,
                    body: tuple[int, str] = (ERROR_BODY_BYTES, "the answer")) -> httpx.Response:
        """One request with its retries, all within one deadline of `timeout` seconds. `body` is the
        cap of a 2xx answer's body and what to call it when it is larger."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: RegistryError | None = None  # what to raise when no retry is left
            delay: float | None = None
            try:
                async with asyncio.timeout_at(deadline):
                    response = await self._http.request(
                        method, url, headers=headers, extensions={ROUTE: route, SCOPE: scope, BODY: body}
                    )
            except RateLimited as exc:  # the token service, inside the auth flow
                failure = exc
                delay = exc.retry_after
            except ServerError as exc:  # the token service, inside the auth flow
                failure = exc
            except (TimeoutError, httpx.TimeoutException):
                raise Timeout(f"{self.registry} did not answer within {self.timeout:g} s",
                              hint=Hint.RAISE_TIMEOUT) from None
            except httpx.ConnectError as exc:
                raise self._connect_error(exc) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if "Invalid URL in location header" in str(exc):
                    raise MalformedResponse(f"{self.registry} redirected to an unusable URL") from None
                failure = Unreachable(f"the connection to {self.registry} kept failing ({_reason(exc)})",
                                      hint=Hint.TRY_LATER)
                if method not in ("GET", "HEAD"):
                    raise failure from None
            except httpx.TooManyRedirects:
                raise MalformedResponse(f"{self.registry} redirected too many times") from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
                raise MalformedResponse(f"{self.registry} led to a request that cannot be made ({_reason(exc)})") from None
            except httpx.HTTPError as exc:
                raise Unreachable(f"request to {self.registry} failed: {_reason(exc)}") from None
            except RegistryError:
                raise
            except (ValueError, OverflowError) as exc:  # e.g. a redirect to port 99999, from below httpx
                raise MalformedResponse(f"{self.registry} led to a request that cannot be made ({_reason(exc)})") from None
            else:
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
                self._notice(f"{failure}; {asked}")
            attempt += 1
            await asyncio.sleep(wait)

    def _throttled_text(self, failure: RegistryError, delay: float, beyond_deadline: bool) -> str:
        text = f"{failure}; it asks to wait {_seconds(delay)}"
        if beyond_deadline:
            text += f", longer than the {self.timeout:g} s timeout allows"
        return text

    def _notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)

    def _connect_error(self, exc: httpx.ConnectError) -> RegistryError:
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
            return TLSFailure(f"TLS with {target} failed ({_reason(exc)})", hint=Hint.CA_CERT)
        return Unreachable(f"cannot reach {target} ({_reason(exc)})", hint=Hint.CHECK_NETWORK)

    def _fail(self, response: httpx.Response, *, what: str, repository: str | None = None, catalog: bool = False) -> RegistryError:
        """Map a final non-2xx answer to a typed error with a message a person can act on."""
        status = response.status_code
        codes = oci_error_codes(response.content)
        detail = oci_error_summary(response.content, secret_forms(self.credential))
        if status in (401, 403) and origin(response.url) != origin(self._http.base_url):
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
        if status == 429:
            return RateLimited(f"{self.registry} is throttling requests (429)", retry_after_seconds(response))
        if status >= 500:
            return ServerError(
                f"{self.registry} failed to {what} ({status} {response.reason_phrase})", status
            )
        return MalformedResponse(
            f"{self.registry} answered {status} to {what}" + (f": {detail}" if detail else "")
        )

    # ---- operations -----------------------------------------------------------------------

    async def ping(self) -> httpx.Response:
        """GET /v2/. With a credential this runs the whole sign-in (token exchange or Basic)."""
        response = await self._send("GET", "/v2/", route="ping", scope="",
                                    body=(ERROR_BODY_BYTES, f"{self.registry}'s answer to /v2/"))
        if response.status_code == 404:
            raise MalformedResponse(f"{self.registry} does not serve the registry API at /v2/")
        if not response.is_success:
            raise self._fail(response, what="answer /v2/")
        return response

    async def verify_credentials(self, repository: str | None = None) -> None:
        """Prove the credential works: a token exchange / Basic sign-in, or reading `repository`'s tags."""
        if repository is not None:
            async for _ in self.tag_pages(repository, page_size=1):
                break
            return
        await self.ping()  # a registry that asks for no credentials answers without a challenge

    async def _pages(self, path: str, key: str, *, route: str, scope: str, what: str,
                     repository: str | None = None, catalog: bool = False, page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
        if repository is not None:
            validate_repository(repository)
        url: httpx.URL = self._http.base_url.join(path).copy_merge_params({"n": page_size})
        seen: set[str] = set()
        body_cap = (LIST_PAGE_BYTES, f"a page of {what.removeprefix('list ')} from {self.registry}")
        while True:
            response = await self._send("GET", url, route=route, scope=scope, body=body_cap)
            if not response.is_success:
                raise self._fail(response, what=what, repository=repository, catalog=catalog)
            items = self._page_items(response.content, key, path)
            if items:
                yield items
            seen.add(str(url))
            next_url = self._next_page(response, key)
            if next_url is None or str(next_url) in seen:
                return  # the last page, or a registry linking back to a page already read
            if len(seen) >= MAX_LIST_PAGES:
                raise MalformedResponse(f"{self.registry} lists {key} over more than {MAX_LIST_PAGES:,} pages; "
                                        "stopped there")
            url = next_url

    def _page_items(self, raw: bytes, key: str, path: str) -> list[str]:
        try:
            body = boundedjson.loads(raw)
        except ValueError:
            raise MalformedResponse(f"{self.registry} answered {path} with something that is not JSON") from None
        items = body.get(key) if isinstance(body, dict) else None
        if items is None and isinstance(body, dict) and key in body:
            items = []  # distribution says "tags": null for a repository without tags
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise MalformedResponse(f"{self.registry} answered {path} without a list of {key}")
        return items

    def _next_page(self, response: httpx.Response, key: str) -> httpx.URL | None:
        """The Link rel="next" URL: on the same origin as the page, or refused."""
        try:
            link = response.links.get("next", {}).get("url")
        except (ValueError, TypeError, AttributeError):
            raise MalformedResponse(f"{self.registry} sent a Link header that cannot be read") from None
        if not link:
            return None
        next_url = http_url(link, f"{self.registry}'s next page of {key}", base=response.url)
        if origin(next_url) != origin(response.url):
            raise InsecureRequest(
                f"{self.registry}'s next page of {key} points to another host ({next_url.host[:100]}); "
                "refusing to follow it"
            )
        return next_url

    def repository_pages(self, page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
        return self._pages("/v2/_catalog", "repositories", route="catalog", scope="registry:catalog:*",
                           what="list repositories", catalog=True, page_size=page_size)

    async def repositories(self, page_size: int = PAGE_SIZE) -> AsyncIterator[str]:
        async for page in self.repository_pages(page_size):
            for name in page:
                yield name

    def tag_pages(self, repository: str, page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
        return self._pages(f"/v2/{repository}/tags/list", "tags", route=f"pull:{repository}",
                           scope=f"repository:{repository}:pull", what=f"list the tags of {repository}",
                           repository=repository, page_size=page_size)

    async def tags(self, repository: str, page_size: int = PAGE_SIZE) -> AsyncIterator[str]:
        async for page in self.tag_pages(repository, page_size):
            for tag in page:
                yield tag

    async def _get_content(self, method: str, path: str, repository: str, *, what: str, accept: str | None = None,
                           body: tuple[int, str] = (ERROR_BODY_BYTES, "the answer")) -> httpx.Response:
        headers = {"Accept": accept} if accept else None
        response = await self._send(method, path, route=f"pull:{repository}",
                                    scope=f"repository:{repository}:pull", headers=headers, body=body)
        if not response.is_success:
            raise self._fail(response, what=what, repository=repository)
        return response

    @staticmethod
    def _manifest_label(repository: str, reference: str) -> str:
        """repository:tag or repository@digest, each validated first: nothing else becomes a URL."""
        validate_repository(repository)
        if ":" in reference:
            return f"{repository}@{validate_digest(reference)}"
        return f"{repository}:{validate_tag(reference)}"

    async def head_manifest(self, repository: str, reference: str) -> Descriptor:
        """Resolve a tag (or check a digest) without downloading the manifest."""
        label = self._manifest_label(repository, reference)
        response = await self._get_content("HEAD", f"/v2/{repository}/manifests/{reference}", repository,
                                           what=f"read manifest {label}", accept=mt.MANIFEST_ACCEPT)
        digest = response.headers.get("docker-content-digest")
        if not digest:  # some registries omit it on HEAD; the body tells (and is kept, not fetched again)
            manifest = await self.get_manifest(repository, reference)
            self._remember((repository, manifest.digest), manifest)
            return manifest.descriptor()
        try:
            validate_digest(digest)
        except RegistryError as exc:
            raise IntegrityError(f"manifest {label}: the registry announced an unusable digest: {exc}") from None
        length = response.headers.get("content-length", "")
        size = int(length) if length.isascii() and length.isdigit() and len(length) < 19 else 0
        return Descriptor(mt.bare(response.headers.get("content-type")), digest, size)

    async def manifest_for_tag(self, repository: str, tag: str) -> Manifest:
        """What a tag points at, for a list of tags: a HEAD for the digest (cheap, and not a pull
        on Docker Hub's rate limit), then the manifest by digest, from memory or the disk cache when
        seen before, and fetched once however many tags share it."""
        descriptor = await self.head_manifest(repository, tag)
        return await self.manifest_by_digest(repository, descriptor.digest)

    async def manifest_by_digest(self, repository: str, digest: str) -> Manifest:
        key = (repository, digest)
        known = self._manifests.get(key)
        if known is not None:
            return known
        future = self._fetching.get(key)
        if future is None:
            future = self._fetching[key] = asyncio.ensure_future(self.get_manifest(repository, digest))
            future.add_done_callback(lambda done: self._settle(key, done))
        # shield: a waiter that gives up (its worker was cancelled) must not cancel the others' fetch
        return await asyncio.shield(future)

    def _settle(self, key: tuple[str, str], done: asyncio.Future[Manifest]) -> None:
        self._fetching.pop(key, None)
        if not done.cancelled() and done.exception() is None:
            self._remember(key, done.result())

    def _remember(self, key: tuple[str, str], manifest: Manifest) -> None:
        """Keep a manifest, dropping the oldest past MANIFEST_MEMORY entries or MANIFEST_MEMORY_BYTES."""
        old = self._manifests.pop(key, None)
        self._manifest_bytes -= old.size if old is not None else 0
        while self._manifests and (len(self._manifests) >= MANIFEST_MEMORY
                                   or self._manifest_bytes + manifest.size > MANIFEST_MEMORY_BYTES):
            self._manifest_bytes -= self._manifests.pop(next(iter(self._manifests))).size
        self._manifests[key] = manifest
        self._manifest_bytes += manifest.size

    async def get_manifest(self, repository: str, reference: str) -> Manifest:
        """A manifest by tag or digest. By digest, the bytes must hash to it; by tag, to Docker-Content-Digest."""
        label = self._manifest_label(repository, reference)
        if ":" in reference and self.cache is not None:
            cached = self.cache.get(reference, max_bytes=MANIFEST_BYTES)
            if cached is not None:
                return parse_manifest(cached[1], reference, cached[0])
        response = await self._get_content("GET", f"/v2/{repository}/manifests/{reference}", repository,
                                           what=f"read manifest {label}", accept=mt.MANIFEST_ACCEPT,
                                           body=(MANIFEST_BYTES, f"manifest {label}"))
        raw = response.content
        announced = response.headers.get("docker-content-digest")
        expected = reference if ":" in reference else announced
        digest = self._verified_digest(raw, expected, f"manifest {label}")
        manifest = parse_manifest(raw, digest, response.headers.get("content-type"))
        if self.cache is not None:
            self.cache.put(digest, manifest.media_type, raw)
        return manifest

    def _verified_digest(self, data: bytes, expected: str | None, what: str) -> str:
        if expected is None:
            return digest_of(data)
        try:
            validate_digest(expected)  # sha256 or sha512 only: shake_128 has no fixed length, md5 is broken
        except RegistryError as exc:
            raise IntegrityError(f"{what}: the registry announced an unusable digest: {exc}") from None
        actual = digest_of(data, expected.split(":", 1)[0])
        if actual != expected:
            raise IntegrityError(
                f"{what} does not match its digest (expected {expected[:19]}…, got {actual[:19]}…); "
                "not showing it: the registry or something in between altered it"
            )
        return expected

    async def get_blob(self, repository: str, digest: str, *, max_bytes: int = CONFIG_BYTES) -> bytes:
        """A (small) blob, verified against its digest. Redirects are followed without credentials."""
        validate_repository(repository)
        validate_digest(digest)
        if self.cache is not None:
            cached = self.cache.get(digest, max_bytes=max_bytes)
            if cached is not None:
                return cached[1]
        response = await self._get_content("GET", f"/v2/{repository}/blobs/{digest}", repository,
                                           what=f"read blob {digest[:19]} of {repository}",
                                           body=(max_bytes, f"blob {digest[:19]} of {repository}"))
        data = response.content
        self._verified_digest(data, digest, f"blob {digest[:19]} of {repository}")
        if self.cache is not None:
            self.cache.put(digest, mt.bare(response.headers.get("content-type")) or "application/octet-stream", data)
        return data

    async def get_config(self, repository: str, config: Descriptor) -> ImageConfig:
        data = await self.get_blob(repository, config.digest)
        return parse_config(data, config.digest)


def _seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay < 10**9 else "a very long time"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:160] or exc.__class__.__name__
