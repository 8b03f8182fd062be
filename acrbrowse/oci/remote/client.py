"""The registry client: catalog, tags, manifests, blobs and referrers over the OCI distribution API.

HTTP itself (the pool, retries, deadlines, body caps, error mapping) is transport.py's; this module
knows the API's paths, pages and documents. A RegistryClient is a source.Source."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from acrbrowse import boundedjson
from acrbrowse.limits import (
    CONFIG_BYTES,
    ERROR_BODY_BYTES,
    LIST_PAGE_BYTES,
    MANIFEST_BYTES,
    MANIFEST_MEMORY_BYTES,
    MAX_LIST_PAGES,
    MAX_REFERRERS,
)
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.cache import ContentCache
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.errors import (
    InsecureRequest,
    IntegrityError,
    MalformedResponse,
    ManifestNotFound,
    RangeIgnored,
    RegistryError,
)
from acrbrowse.oci.manifest import (
    MAX_SIZE,
    Descriptor,
    ImageConfig,
    ImageIndex,
    Manifest,
    parse_config,
    parse_manifest,
    schema1_payload,
)
from acrbrowse.oci.name import (
    CATALOG_SCOPE,
    DOCKER_HUB,
    Reference,
    digest_or_none,
    is_loopback_host,
    parse_registry,
    scope,
    validate_digest,
    validate_repository,
    validate_tag,
)
from acrbrowse.oci.remote.auth import RegistryAuth, http_url, origin
from acrbrowse.oci.remote.challenge import Challenge
from acrbrowse.oci.remote.transport import PullQuota, Transport, digest_of
from acrbrowse.oci.source import TagMetadata

PAGE_SIZE = 1000
MANIFEST_MEMORY = 1024  # manifests kept in memory per client, oldest dropped first
REFERRERS_UNSUPPORTED = frozenset({400, 404, 405})  # answers to /referrers/ that mean "no such API here"
TAG_METADATA_REPOSITORIES = 8  # repositories whose tags/list metadata a client keeps, oldest dropped first


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
        counts_pulls: bool | None = None,
    ) -> None:
        """`counts_pulls`: whether every manifest GET spends a pull quota, as on Docker Hub (None:
        Docker Hub, known by its name; a test or a mirror that passes Hub's quota on says True)."""
        self.reference = registry if isinstance(registry, Reference) else parse_registry(registry)
        self.registry = self.reference.registry
        loopback = is_loopback_host(self.registry)
        self.plain_http = loopback if plain_http is None else plain_http
        self.scheme = "http" if self.plain_http else "https"
        self.credential = credential
        self.cache = cache
        # Manifests by digest for this client's life, and the fetches under way: many tags point at
        # one digest, and each is fetched once.
        self._manifests: dict[tuple[str, str], Manifest] = {}
        self._manifest_bytes = 0  # the raw size of what _manifests holds
        self._fetching: dict[tuple[str, str], asyncio.Future[Manifest]] = {}
        # What tags/list said of each tag beyond its name (Google's `manifest` map), per repository.
        self._tag_metadata: dict[str, dict[str, TagMetadata]] = {}
        # False once the registry showed it has no referrers API: then only the tag schema is asked.
        self._referrers_api = True
        self.auth = RegistryAuth(self.registry, credential, loopback=loopback, known_challenge=known_challenge)
        self.transport = Transport(
            self.reference, self.auth, credential=credential, plain_http=self.plain_http, ca_cert=ca_cert,
            timeout=timeout, retries=retries, backoff=backoff, transport=transport, on_notice=on_notice,
            counts_pulls=self.registry == DOCKER_HUB if counts_pulls is None else counts_pulls,
        )

    @property
    def counts_pulls(self) -> bool:
        """Every manifest GET spends a pull of a quota (Docker Hub): resolve rows with HEAD
        (`head_manifest`, `known_manifest`) and GET only the manifest a person opens."""
        return self.transport.counts_pulls

    @property
    def pull_quota(self) -> PullQuota | None:
        """The pull quota as the registry's last answer told it (Docker Hub's ratelimit headers)."""
        return self.transport.pull_quota

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
        await self.transport.aclose()

    # ---- operations -----------------------------------------------------------------------

    async def ping(self) -> httpx.Response:
        """GET /v2/. With a credential this runs the whole sign-in (token exchange or Basic)."""
        response = await self.transport.send("GET", "/v2/", route="ping", scope="",
                                             body=(ERROR_BODY_BYTES, f"{self.registry}'s answer to /v2/"))
        if response.status_code == 404:
            raise MalformedResponse(f"{self.registry} does not serve the registry API at /v2/")
        if not response.is_success:
            raise self.transport.fail(response, what="answer /v2/")
        return response

    async def verify_credentials(self, repository: str | None = None) -> None:
        """Prove the credential works: a token exchange / Basic sign-in, or reading `repository`'s tags."""
        if repository is not None:
            async for _ in self.tag_pages(repository, page_size=1):
                break
            return
        await self.ping()  # a registry that asks for no credentials answers without a challenge

    async def _pages(self, path: str, key: str, *, route: str, needs: str, what: str,
                     repository: str | None = None, catalog: bool = False, page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
        if repository is not None:
            validate_repository(repository)
        url: httpx.URL = self.transport.base_url.join(path).copy_merge_params({"n": page_size})
        seen: set[str] = set()
        body_cap = (LIST_PAGE_BYTES, f"a page of {what.removeprefix('list ')} from {self.registry}")
        while True:
            response = await self.transport.send("GET", url, route=route, scope=needs, body=body_cap)
            if not response.is_success:
                raise self.transport.fail(response, what=what, repository=repository, catalog=catalog)
            items, body = self._page_items(response.content, key, path)
            if key == "tags" and repository is not None:
                self._keep_tag_metadata(repository, body, first_page=not seen)
            if items:
                yield items
            seen.add(str(url))
            next_url = self.next_page(response, key)
            if next_url is None or str(next_url) in seen:
                return  # the last page, or a registry linking back to a page already read
            if len(seen) >= MAX_LIST_PAGES:
                raise MalformedResponse(f"{self.registry} lists {key} over more than {MAX_LIST_PAGES:,} pages; "
                                        "stopped there")
            url = next_url

    def _page_items(self, raw: bytes, key: str, path: str) -> tuple[list[str], Any]:
        try:
            body = boundedjson.loads(raw)
        except ValueError:
            raise MalformedResponse(f"{self.registry} answered {path} with something that is not JSON") from None
        items = body.get(key) if isinstance(body, dict) else None
        if items is None and isinstance(body, dict) and key in body:
            items = []  # distribution says "tags": null for a repository without tags
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise MalformedResponse(f"{self.registry} answered {path} without a list of {key}")
        return items, body

    def _keep_tag_metadata(self, repository: str, body: Any, *, first_page: bool) -> None:
        """Keep what a tags/list page says of its tags beyond their names: Google's registries
        (GCR, Artifact Registry) add a `manifest` map of digest → sizes, times and tags."""
        if first_page:
            self._tag_metadata.pop(repository, None)
        listed = body.get("manifest") if isinstance(body, dict) else None
        if listed is None:
            return
        found = gcr_tag_metadata(listed)
        if found is None:
            if first_page:
                self.transport.notice(f"{self.registry}'s tag list of {repository} carries a manifest map that "
                                      "cannot be read; its tags are shown without times or sizes")
            return
        kept = self._tag_metadata.pop(repository, {})
        kept.update(found)
        self._tag_metadata[repository] = kept  # now the newest
        while len(self._tag_metadata) > TAG_METADATA_REPOSITORIES:
            del self._tag_metadata[next(iter(self._tag_metadata))]

    def tag_list_metadata(self, repository: str) -> Mapping[str, TagMetadata]:
        """Tag → what the registry's tag list said of it beyond its name (digest, upload and creation
        times, size: Google's registries), for the pages listed so far; empty where the list says
        nothing more. Read it after (or while) `tag_pages` lists the repository."""
        return MappingProxyType(self._tag_metadata.get(repository, {}))

    def next_page(self, response: httpx.Response, key: str) -> httpx.URL | None:
        """The Link rel="next" URL of a listing's page (`key`: what is listed): on the same origin as
        the page, or refused. ACR's /acr/v1 listings page the same way."""
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
        return self._pages("/v2/_catalog", "repositories", route="catalog", needs=CATALOG_SCOPE,
                           what="list repositories", catalog=True, page_size=page_size)

    async def repositories(self, page_size: int = PAGE_SIZE) -> AsyncIterator[str]:
        async for page in self.repository_pages(page_size):
            for name in page:
                yield name

    def tag_pages(self, repository: str, page_size: int = PAGE_SIZE) -> AsyncIterator[list[str]]:
        return self._pages(f"/v2/{repository}/tags/list", "tags", route=f"pull:{repository}",
                           needs=scope(repository), what=f"list the tags of {repository}",
                           repository=repository, page_size=page_size)

    async def tags(self, repository: str, page_size: int = PAGE_SIZE) -> AsyncIterator[str]:
        async for page in self.tag_pages(repository, page_size):
            for tag in page:
                yield tag

    async def _get_content(self, method: str, path: str, repository: str, *, what: str, accept: str | None = None,
                           body: tuple[int, str] = (ERROR_BODY_BYTES, "the answer")) -> httpx.Response:
        headers = {"Accept": accept} if accept else None
        response = await self.transport.send(method, path, route=f"pull:{repository}",
                                             scope=scope(repository), headers=headers, body=body)
        if not response.is_success:
            raise self.transport.fail(response, what=what, repository=repository)
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
        """What a tag points at, for a list of tags: a HEAD for the digest, then the manifest by
        digest, from memory or the disk cache when seen before, and fetched once however many tags
        share it. (On Docker Hub that GET is a pull: see `counts_pulls`.) A registry whose announced
        digest is of another serialization than it serves is read by tag instead, with a warning."""
        descriptor = await self.head_manifest(repository, tag)
        try:
            return await self.manifest_by_digest(repository, descriptor.digest)
        except IntegrityError:
            manifest = await self.get_manifest(repository, tag)
            if manifest.digest == descriptor.digest:
                raise  # by tag the same digest, and it held: the by-digest answer was altered
            return manifest

    def known_manifest(self, repository: str, digest: str) -> Manifest | None:
        """A manifest read before, from memory or the disk cache, without asking the registry."""
        validate_repository(repository)
        validate_digest(digest)
        key = (repository, digest)
        known = self._manifests.get(key)
        if known is None:
            known = self._cached_manifest(digest)
            if known is not None:
                self._remember(key, known)  # asked again (each row in view): not read from disk again
        return known

    def _cached_manifest(self, digest: str) -> Manifest | None:
        """The manifest `digest` from the disk cache (verified there against its digest), or None."""
        cached = self.cache.get(digest, max_bytes=MANIFEST_BYTES) if self.cache is not None else None
        return parse_manifest(cached[1], digest, cached[0]) if cached is not None else None

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
        """A manifest by tag or digest. By digest, the bytes must hash to it (a signed schema 1
        manifest's canonical payload must). By tag, Docker-Content-Digest is checked the same way;
        a body that hashes to another digest is kept under the digest of what was received, with
        `announced_digest` set and a notice (a registry that announces another serialization's)."""
        label = self._manifest_label(repository, reference)
        by_digest = ":" in reference
        cached = self._cached_manifest(reference) if by_digest else None
        if cached is not None:
            return cached
        response = await self._get_content("GET", f"/v2/{repository}/manifests/{reference}", repository,
                                           what=f"read manifest {label}", accept=mt.MANIFEST_ACCEPT,
                                           body=(MANIFEST_BYTES, f"manifest {label}"))
        raw = response.content
        announced = response.headers.get("docker-content-digest")
        other: str | None = None
        if by_digest:
            digest = self._verified_digest(raw, reference, f"manifest {label}", manifest=True)
        else:
            digest, other = self._tag_digest(raw, announced, f"manifest {label}")
        manifest = parse_manifest(raw, digest, response.headers.get("content-type"))
        if other is not None:
            manifest = dataclasses.replace(manifest, announced_digest=other)
        if self.cache is not None and digest == digest_of(raw, digest.split(":", 1)[0]):
            # (a signed schema 1 manifest's digest is of its payload: the cache would refuse the bytes)
            self.cache.put(digest, manifest.media_type, raw)
        return manifest

    def _tag_digest(self, raw: bytes, announced: str | None, what: str) -> tuple[str, str | None]:
        """(digest, announced digest of another serialization or None) for a manifest read by tag."""
        if announced is None:
            payload = schema1_payload(raw)
            return digest_of(raw if payload is None else payload), None
        self._usable(announced, what)
        if self._hashes_to(raw, announced, manifest=True):
            return announced, None
        actual = digest_of(raw)
        self.transport.notice(f"{what}: {self.registry} announced digest {announced[:19]}… but sent content "
                              f"that hashes to {actual[:19]}…; shown under the digest of what was received")
        return actual, announced

    def _verified_digest(self, data: bytes, expected: str | None, what: str, *, manifest: bool = False) -> str:
        """`expected`, once `data` is shown to hash to it (a `manifest`: or its signed schema 1 payload)."""
        if expected is None:
            return digest_of(data)
        self._usable(expected, what)
        if not self._hashes_to(data, expected, manifest=manifest):
            actual = digest_of(data, expected.split(":", 1)[0])
            raise IntegrityError(
                f"{what} does not match its digest (expected {expected[:19]}…, got {actual[:19]}…); "
                "not showing it: the registry or something in between altered it"
            )
        return expected

    @staticmethod
    def _usable(digest: str, what: str) -> None:
        try:
            validate_digest(digest)  # sha256 or sha512 only: shake_128 has no fixed length, md5 is broken
        except RegistryError as exc:
            raise IntegrityError(f"{what}: the registry announced an unusable digest: {exc}") from None

    @staticmethod
    def _hashes_to(data: bytes, digest: str, *, manifest: bool) -> bool:
        algorithm = digest.split(":", 1)[0]
        if digest_of(data, algorithm) == digest:
            return True
        payload = schema1_payload(data) if manifest else None
        return payload is not None and digest_of(payload, algorithm) == digest

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

    async def blob_stream(self, repository: str, digest: str, *, start: int = 0,
                          end: int | None = None, ranged_only: bool = False) -> AsyncIterator[bytes]:
        """A blob's bytes as they arrive, never held whole: all of it, or bytes `start` to `end`
        (inclusive; None: to the end) through an HTTP Range. A whole read is checked against `digest`
        after its last chunk (IntegrityError then: its bytes are unverified until the end); a part
        cannot be. Redirects (blob storage elsewhere) are followed without credentials. `ranged_only`:
        a registry that ignores Range raises RangeIgnored before a byte is read."""
        validate_repository(repository)
        validate_digest(digest)
        if not _offset(start) or (end is not None and (not _offset(end) or end < start)):
            raise ValueError(f"not a byte range of a blob: start={start!r}, end={end!r}")
        ranged = start > 0 or end is not None
        label = f"blob {digest[:19]} of {repository}"
        headers = {"Range": f"bytes={start}-{'' if end is None else end}"} if ranged else None
        response = await self.transport.send("GET", f"/v2/{repository}/blobs/{digest}", route=f"pull:{repository}",
                                             scope=scope(repository), headers=headers, body=(MAX_SIZE, label),
                                             stream=True)
        if not response.is_success:
            raise self.transport.fail(response, what=f"read {label}", repository=repository)
        try:
            if response.status_code == 206:
                if not ranged:
                    raise MalformedResponse(f"{self.registry} answered part of {label} though all of it was asked for")
                parts = self._partial(response, label, start, end)
            elif response.status_code == 200 and ranged and ranged_only:
                raise RangeIgnored(f"{self.registry} ignores byte ranges: it answered the whole of {label}",
                                   registry=self.registry)
            elif response.status_code == 200:
                # A registry that ignores Range sends the whole blob: skip to `start` here, hashing
                # what is skipped, so that a read to the end is still verified.
                parts = self._whole(response, label, digest, start, end)
            else:
                raise MalformedResponse(f"{self.registry} answered {response.status_code} to read {label}")
            async with contextlib.aclosing(parts):
                async for chunk in parts:
                    yield chunk
        finally:
            await response.aclose()

    async def _whole(self, response: httpx.Response, label: str, digest: str, start: int,
                     end: int | None) -> AsyncGenerator[bytes]:
        hasher = hashlib.new(digest.split(":", 1)[0])
        at = 0  # offset in the blob of the next byte
        async with contextlib.aclosing(self.transport.chunks(response)) as chunks:
            async for chunk in chunks:
                hasher.update(chunk)
                first, at = at, at + len(chunk)
                if at > start:
                    yield chunk[max(0, start - first):len(chunk) if end is None else end + 1 - first]
                if end is not None and at > end:
                    return  # the range is read; the rest of the blob is not
        actual = f"{hasher.name}:{hasher.hexdigest()}"
        if end is None and actual != digest:
            raise IntegrityError(f"{label} does not match its digest (expected {digest[:19]}…, got {actual[:19]}…); "
                                 "the registry or something in between altered it")

    async def _partial(self, response: httpx.Response, label: str, start: int,
                       end: int | None) -> AsyncGenerator[bytes]:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
        if match is None:
            raise MalformedResponse(f"{self.registry} answered part of {label} without a usable Content-Range")
        first, last = int(match["first"]), int(match["last"])
        if first != start or last < first or (end is not None and last > end):
            raise MalformedResponse(f"{self.registry} answered bytes {first}-{last} of {label} "
                                    f"when bytes {start}-{'' if end is None else end} were asked for")
        left = last - first + 1
        async with contextlib.aclosing(self.transport.chunks(response)) as chunks:
            async for chunk in chunks:
                if len(chunk) > left:
                    raise MalformedResponse(f"{self.registry} sent more of {label} than its Content-Range says")
                left -= len(chunk)
                yield chunk
        if left:
            raise MalformedResponse(f"{self.registry} sent {left:,} bytes less of {label} than its Content-Range says")

    async def referrers(self, repository: str, digest: str, artifact_type: str | None = None) -> list[Descriptor]:
        """What refers to the manifest `digest` through its `subject` (signatures, SBOMs, provenance),
        with `artifact_type` only when given: the referrers API (OCI 1.1), or on a registry without it
        the referrers tag schema (the index tagged `<alg>-<hex>`); neither: []."""
        validate_repository(repository)
        validate_digest(digest)
        label = f"{repository}@{digest[:19]}…"
        what = f"the referrers of {label}"
        url = self.transport.base_url.join(f"/v2/{repository}/referrers/{digest}")
        if artifact_type is not None:
            url = url.copy_merge_params({"artifactType": artifact_type})
        found: list[Descriptor] = []
        seen: set[str] = set()
        if not self._referrers_api:
            return await self._referrers_by_tag(repository, digest, artifact_type)
        while True:
            response = await self.transport.send("GET", url, route=f"pull:{repository}", scope=scope(repository),
                                                 headers={"Accept": mt.OCI_INDEX},
                                                 body=(MANIFEST_BYTES, f"a page of {what} from {self.registry}"))
            if not seen and response.status_code in REFERRERS_UNSUPPORTED:
                # A route the registry does not know (no OCI error body) means no API at all: a tree
                # of many manifests asks the tag schema straight away after the first.
                self._referrers_api = self._referrers_api and _is_oci_error(response)
                return await self._referrers_by_tag(repository, digest, artifact_type)
            if not response.is_success:
                raise self.transport.fail(response, what=f"list {what}", repository=repository)
            page = self._referrers_page(response, what).manifests
            applied = {name.strip() for name in response.headers.get("oci-filters-applied", "").split(",")}
            if artifact_type is not None and "artifactType" not in applied:
                page = tuple(d for d in page if d.artifact_type == artifact_type)
            found += page
            if len(found) > MAX_REFERRERS:
                raise MalformedResponse(f"{self.registry} lists more than {MAX_REFERRERS:,} referrers of {label}; "
                                        "stopped there")
            seen.add(str(url))
            next_url = self.next_page(response, "referrers")
            if next_url is None or str(next_url) in seen:
                return found
            if len(seen) >= MAX_LIST_PAGES:
                raise MalformedResponse(f"{self.registry} lists referrers over more than {MAX_LIST_PAGES:,} pages; "
                                        "stopped there")
            url = next_url

    def _referrers_page(self, response: httpx.Response, what: str) -> ImageIndex:
        raw = response.content
        made_up = digest_of(raw)  # an API answer has no digest of its own; this one only names it
        try:
            page = parse_manifest(raw, made_up, response.headers.get("content-type"))
        except MalformedResponse as exc:
            detail = str(exc).removeprefix(f"manifest {made_up[:19]}…").lstrip(": ")
            raise MalformedResponse(f"{self.registry} answered {what} with an unusable index ({detail})") from None
        if not isinstance(page, ImageIndex):
            raise MalformedResponse(f"{self.registry} answered {what} with a {mt.describe(page.media_type)[:100]}, "
                                    "not an image index")
        return page

    async def _referrers_by_tag(self, repository: str, digest: str, artifact_type: str | None) -> list[Descriptor]:
        algorithm, _, encoded = digest.partition(":")
        tag = f"{algorithm[:32]}-{encoded[:64]}"  # the OCI 1.1 referrers tag schema
        try:
            index = await self.get_manifest(repository, tag)
        except ManifestNotFound:
            return []
        if not isinstance(index, ImageIndex):
            raise MalformedResponse(f"{self.registry}'s referrers tag {repository}:{tag[:19]}… holds a "
                                    f"{mt.describe(index.media_type)[:100]}, not an image index")
        found = [d for d in index.manifests if artifact_type is None or d.artifact_type == artifact_type]
        if len(found) > MAX_REFERRERS:
            raise MalformedResponse(f"{self.registry} lists more than {MAX_REFERRERS:,} referrers of "
                                    f"{repository}@{digest[:19]}…; stopped there")
        return found


def _is_oci_error(response: httpx.Response) -> bool:
    """An OCI error document (`{"errors": [...]}`): the registry knows the route and refused this call."""
    try:
        body = boundedjson.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and isinstance(body.get("errors"), list)


MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def gcr_tag_metadata(listed: Any) -> dict[str, TagMetadata] | None:
    """Tag → TagMetadata from the `manifest` map of a Google tags/list answer (digest → {imageSizeBytes,
    timeUploadedMs, timeCreatedMs, tag: [...], mediaType}; numbers as strings of digits, or numbers),
    or None when the map is not that shape: every field is type-checked, none is taken on trust.
    `updated` (pushed) is timeUploadedMs; `created` is timeCreatedMs, the image's own creation time
    (Google sends 0 when it does not know it)."""
    if not isinstance(listed, dict):
        return None
    found: dict[str, TagMetadata] = {}
    for digest, entry in listed.items():
        if digest_or_none(digest) is None or not isinstance(entry, dict):
            return None
        tags = entry.get("tag") or []
        size = _whole_number(entry.get("imageSizeBytes"), MAX_SIZE - 1)
        uploaded = _whole_number(entry.get("timeUploadedMs"), MAX_EPOCH_MS)
        created = _whole_number(entry.get("timeCreatedMs"), MAX_EPOCH_MS)
        if (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)
                or any(value is False for value in (size, uploaded, created))):
            return None
        for tag in tags:
            found[tag] = TagMetadata(tag, digest=digest, created=_epoch_ms(created), updated=_epoch_ms(uploaded),
                                     size=size if isinstance(size, int) else None)
    return found


def _whole_number(value: Any, most: int) -> int | None | bool:
    """An int, or a string of digits as Google writes them, from 0 to `most`; None when absent,
    False when anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most:
        return value
    return False


def _epoch_ms(value: int | None | bool) -> datetime | None:
    """Milliseconds since 1970 as a UTC time; 0 (Google's "not known") as None."""
    if not isinstance(value, int) or isinstance(value, bool) or value == 0:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


_CONTENT_RANGE = re.compile(r"bytes (?P<first>[0-9]{1,19})-(?P<last>[0-9]{1,19})/(?:[0-9]{1,19}|\*)", re.ASCII)


def _offset(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_SIZE
