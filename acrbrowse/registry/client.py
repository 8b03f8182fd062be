"""The registry client: catalog, tags, manifests and blobs over the OCI distribution API."""

from __future__ import annotations

import asyncio
import hashlib
import random
import ssl
from pathlib import Path
from typing import AsyncIterator

import httpx

from acrbrowse import __version__
from acrbrowse.registry import mediatypes as mt
from acrbrowse.registry.auth import ROUTE, SCOPE, RegistryAuth, retry_after_seconds, secret_forms
from acrbrowse.registry.cache import ContentCache
from acrbrowse.registry.challenge import Challenge, parse_challenges, pick
from acrbrowse.registry.credential import Credential
from acrbrowse.registry.errors import (
    AccessDenied,
    CatalogDenied,
    IntegrityError,
    InsecureRequest,
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
from acrbrowse.registry.models import Descriptor, ImageConfig, Manifest, parse_config, parse_manifest
from acrbrowse.registry.reference import Reference, is_loopback_host, parse_registry, split_host_port, validate_digest

USER_AGENT = f"acrbrowse/{__version__}"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # distribution's own limit
MAX_CONFIG_BYTES = 32 * 1024 * 1024
PAGE_SIZE = 1000
MANIFEST_MEMORY = 1024  # manifests kept in memory per client, oldest dropped first
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is reported, not slept through


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
            raise TLSFailure(f"cannot use --ca-cert {ca_cert}: {exc.strerror or exc}") from None
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
    ) -> None:
        self.reference = registry if isinstance(registry, Reference) else parse_registry(registry)
        self.registry = self.reference.registry
        loopback = is_loopback_host(self.registry)
        self.plain_http = loopback if plain_http is None else plain_http
        self.scheme = "http" if self.plain_http else "https"
        self.credential = credential
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.cache = cache
        # Manifests by digest for this client's life, and the fetches under way: many tags point at
        # one digest, and each is fetched once.
        self._manifests: dict[tuple[str, str], Manifest] = {}
        self._fetching: dict[tuple[str, str], asyncio.Future[Manifest]] = {}
        self.auth = RegistryAuth(self.registry, credential, plain_http_loopback=self.plain_http and loopback,
                                 known_challenge=known_challenge)
        self._http = httpx.AsyncClient(
            base_url=f"{self.scheme}://{self.reference.api_host}",
            auth=self.auth,
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,  # httpx drops Authorization when a redirect leaves the origin
            http2=not self.plain_http and transport is None,
            # An SSLContext even for plain HTTP: verify=True would load certifi's bundle (~15 ms),
            # and an HTTPS redirect from a plain registry is still verified against the OS store.
            verify=tls_context(ca_cert),
            transport=transport,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )

    def __repr__(self) -> str:
        return f"RegistryClient({self.scheme}://{self.registry}, credential={self.credential!r})"

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- transport: retries and error mapping -------------------------------------------

    async def _send(self, method: str, url: str | httpx.URL, *, route: str, scope: str, headers=None) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    method, url, headers=headers, extensions={ROUTE: route, SCOPE: scope}
                )
            except (RateLimited, ServerError) as exc:  # raised by the token service inside the auth flow
                delay = exc.retry_after if isinstance(exc, RateLimited) else None
                if attempt >= self.retries or (delay is not None and delay > MAX_RETRY_AFTER):
                    raise
            except httpx.TimeoutException:
                raise Timeout(
                    f"{self.registry} did not answer within {self.timeout:g} s; try again, or raise --timeout"
                ) from None
            except httpx.ConnectError as exc:
                raise self._connect_error(exc) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if attempt >= self.retries or method not in ("GET", "HEAD"):
                    raise Unreachable(
                        f"the connection to {self.registry} kept failing ({_reason(exc)}); try again later"
                    ) from None
                delay = None
            except httpx.TooManyRedirects:
                raise MalformedResponse(f"{self.registry} redirected too many times") from None
            except httpx.HTTPError as exc:
                raise Unreachable(f"request to {self.registry} failed: {_reason(exc)}") from None
            else:
                if response.status_code == 429:
                    delay = retry_after_seconds(response)
                    if attempt >= self.retries or (delay is not None and delay > MAX_RETRY_AFTER):
                        wait = f"; it asks to wait {delay:.0f} s" if delay else ""
                        raise RateLimited(f"{self.registry} is throttling requests (429){wait}; try again later", delay)
                elif response.status_code in RETRY_STATUSES and method in ("GET", "HEAD") and attempt < self.retries:
                    delay = None
                else:
                    return response
            attempt += 1
            await asyncio.sleep(delay if delay is not None else self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))

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
                return TLSFailure(f"{target} does not speak HTTPS; if it is a plain-HTTP registry, add --plain-http")
            return TLSFailure(f"TLS with {target} failed ({_reason(exc)}); if it uses a private CA, pass --ca-cert FILE")
        return Unreachable(f"cannot reach {target} ({_reason(exc)}); check the name and your network")

    def _fail(self, response: httpx.Response, *, what: str, repository: str | None = None, catalog: bool = False) -> RegistryError:
        """Map a final non-2xx answer to a typed error with a message a person can act on."""
        status = response.status_code
        codes = oci_error_codes(response.content)
        detail = oci_error_summary(response.content, secret_forms(self.credential))
        if status == 401:
            challenge = pick(parse_challenges(response.headers.get_list("www-authenticate")))
            if self.credential is None:
                if catalog:
                    reason = f"{self.registry} does not let anonymous users list repositories"
                    return CatalogDenied(
                        f"{reason}; sign in with: acrbrowse login {self.registry}, "
                        f"or name one: acrbrowse {self.registry}/REPO", reason=reason
                    )
                return sign_in_required(self.registry)
            if challenge is not None and challenge.scheme == "basic":
                return credentials_refused(self.registry, self.credential.username, self.credential.source,
                                           "wrong username or password")
        if status in (401, 403):
            if catalog:
                reason = f"this credential cannot list repositories of {self.registry}"
                return CatalogDenied(f"{reason}; name one: acrbrowse {self.registry}/REPO", reason=reason)
            target = f" {repository}" if repository else ""
            return AccessDenied(f"access to{target} on {self.registry} denied: the credential lacks the right to {what}")
        if status == 404:
            if catalog:
                reason = f"{self.registry} has no repository catalog"
                return CatalogDenied(f"{reason}; name a repository: acrbrowse {self.registry}/REPO", reason=reason)
            if "NAME_UNKNOWN" in codes:
                return RepositoryNotFound(f"repository {repository} not found on {self.registry}")
            if "MANIFEST_UNKNOWN" in codes or what.startswith("read manifest"):
                return ManifestNotFound(f"{what.removeprefix('read manifest ')} not found on {self.registry}")
            return NotFound(f"{what}: not found on {self.registry}" + (f" ({detail})" if detail else ""))
        if status == 429:
            return RateLimited(f"{self.registry} is throttling requests (429); try again later", retry_after_seconds(response))
        if status >= 500:
            return ServerError(
                f"{self.registry} failed to {what} ({status} {response.reason_phrase}); try again later", status
            )
        return MalformedResponse(
            f"{self.registry} answered {status} to {what}" + (f": {detail}" if detail else "")
        )

    # ---- operations -----------------------------------------------------------------------

    async def ping(self) -> httpx.Response:
        """GET /v2/. With a credential this runs the whole sign-in (token exchange or Basic)."""
        response = await self._send("GET", "/v2/", route="ping", scope="")
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
        url: httpx.URL = self._http.base_url.join(path).copy_merge_params({"n": page_size})
        seen: set[str] = set()
        while True:
            response = await self._send("GET", url, route=route, scope=scope)
            if not response.is_success:
                raise self._fail(response, what=what, repository=repository, catalog=catalog)
            try:
                body = response.json()
            except (ValueError, UnicodeDecodeError):
                raise MalformedResponse(f"{self.registry} answered {path} with something that is not JSON") from None
            items = body.get(key) if isinstance(body, dict) else None
            if items is None and isinstance(body, dict) and key in body:
                items = []  # distribution says "tags": null for a repository without tags
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise MalformedResponse(f"{self.registry} answered {path} without a list of {key}")
            seen.add(str(url))
            if items:
                yield items
            link = response.links.get("next", {}).get("url")
            if not link:
                return
            next_url = response.url.join(link)
            if (next_url.scheme, next_url.host, next_url.port) != (response.url.scheme, response.url.host, response.url.port):
                raise InsecureRequest(
                    f"{self.registry}'s next page of {key} points to another host ({next_url.host}); refusing to follow it"
                )
            if str(next_url) in seen:
                return  # a registry that links a page to itself would loop forever
            url = next_url

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

    async def _get_content(self, method: str, path: str, repository: str, *, what: str, accept: str | None = None) -> httpx.Response:
        headers = {"Accept": accept} if accept else None
        response = await self._send(method, path, route=f"pull:{repository}",
                                    scope=f"repository:{repository}:pull", headers=headers)
        if not response.is_success:
            raise self._fail(response, what=what, repository=repository)
        return response

    async def head_manifest(self, repository: str, reference: str) -> Descriptor:
        """Resolve a tag (or check a digest) without downloading the manifest."""
        response = await self._get_content("HEAD", f"/v2/{repository}/manifests/{reference}", repository,
                                           what=f"read manifest {repository}:{reference}", accept=mt.MANIFEST_ACCEPT)
        digest = response.headers.get("docker-content-digest")
        if not digest:  # some registries omit it on HEAD; the body tells (and is kept, not fetched again)
            manifest = await self.get_manifest(repository, reference)
            self._remember((repository, manifest.digest), manifest)
            return manifest.descriptor()
        return Descriptor(mt.bare(response.headers.get("content-type")), digest,
                          int(response.headers.get("content-length") or 0))

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
        if len(self._manifests) >= MANIFEST_MEMORY:
            self._manifests.pop(next(iter(self._manifests)))
        self._manifests[key] = manifest

    async def get_manifest(self, repository: str, reference: str) -> Manifest:
        """A manifest by tag or digest. By digest, the bytes must hash to it; by tag, to Docker-Content-Digest."""
        label = f"{repository}@{reference}" if ":" in reference else f"{repository}:{reference}"
        if ":" in reference and self.cache is not None:
            cached = self.cache.get(reference)
            if cached is not None:
                return parse_manifest(cached[1], reference, cached[0])
        response = await self._get_content("GET", f"/v2/{repository}/manifests/{reference}", repository,
                                           what=f"read manifest {label}", accept=mt.MANIFEST_ACCEPT)
        raw = response.content
        if len(raw) > MAX_MANIFEST_BYTES:
            raise MalformedResponse(f"manifest {label} is larger than {MAX_MANIFEST_BYTES // 2**20} MiB; refusing it")
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
            validate_digest(expected)
            algorithm = expected.split(":", 1)[0]
            actual = digest_of(data, algorithm)
        except (RegistryError, ValueError):
            raise IntegrityError(f"{what}: the registry announced an unusable digest {expected[:80]!r}") from None
        if actual != expected:
            raise IntegrityError(
                f"{what} does not match its digest (expected {expected[:19]}…, got {actual[:19]}…); "
                "not showing it: the registry or something in between altered it"
            )
        return expected

    async def get_blob(self, repository: str, digest: str, *, max_bytes: int = MAX_CONFIG_BYTES) -> bytes:
        """A (small) blob, verified against its digest. Redirects are followed without credentials."""
        validate_digest(digest)
        if self.cache is not None:
            cached = self.cache.get(digest)
            if cached is not None:
                return cached[1]
        response = await self._get_content("GET", f"/v2/{repository}/blobs/{digest}", repository,
                                           what=f"read blob {digest[:19]} of {repository}")
        data = response.content
        if len(data) > max_bytes:
            raise MalformedResponse(f"blob {digest[:19]} is larger than {max_bytes // 2**20} MiB; not reading it")
        self._verified_digest(data, digest, f"blob {digest[:19]} of {repository}")
        if self.cache is not None:
            self.cache.put(digest, mt.bare(response.headers.get("content-type")) or "application/octet-stream", data)
        return data

    async def get_config(self, repository: str, config: Descriptor) -> ImageConfig:
        data = await self.get_blob(repository, config.digest)
        return parse_config(data, config.digest)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:160] or exc.__class__.__name__
