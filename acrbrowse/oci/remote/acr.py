"""Azure Container Registry's metadata API (/acr/v1): tags with their times, every manifest of a
repository (tagged or not) with its size, a repository's counts. Scope `repository:REPO:metadata_read`.

`AcrMetadata` wraps a RegistryClient and is a TagMetadataSource and a ManifestMetadataSource. It asks
/acr/v1 only of a registry that looks like ACR (the Session decides, from the host name or the token
realm) and stops asking when the registry proves otherwise: a 404 that is not a repository's
NAME_UNKNOWN means "not ACR", a 401/403 after the token was fetched with the scope means "this
credential lacks metadata_read". Either way tags still come, by name, from /v2/.../tags/list, and
`note` says once why there are no times.

Every field of an answer is outside input: type-checked one by one; an unusable field reads as
unknown, an unusable entry is left out, and nothing in an answer can crash the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from acrbrowse import boundedjson
from acrbrowse.limits import LIST_PAGE_BYTES, MAX_LIST_PAGES
from acrbrowse.oci.errors import (
    AuthenticationFailed,
    AuthenticationRequired,
    MalformedResponse,
    RegistryError,
    RepositoryNotFound,
    oci_error_codes,
)
from acrbrowse.oci.name import METADATA_READ, digest_or_none, is_valid_tag, metadata_scope, validate_repository
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.source import (
    ChangeableAttributes,
    ManifestMetadata,
    PlatformRef,
    RepositoryDetails,
    TagMetadata,
)

PAGE_SIZE = 1000
MAX_SIZE = 2**62  # bytes; anything larger is not a size
_HEAD_START = 8  # turns of the event loop the next page's request gets to go out before a page is read


class MetadataState(enum.Enum):
    UNKNOWN = "unknown"  # not asked yet
    AVAILABLE = "available"  # /acr/v1 answered
    NOT_ACR = "not ACR"  # the registry has no /acr/v1 (or does not look like ACR): never asked again
    REFUSED = "refused"  # the credential lacks metadata_read: tags by name only


class _Fallback(Exception):
    """/acr/v1 cannot serve this client: list by name instead."""


class AcrMetadata:
    """ACR's metadata for one client. `is_acr(client)` says whether the registry looks like ACR;
    `not_acr` starts it as known not to be (a memo of the session's); `on_not_acr(registry)` hears
    when a registry proves it is not."""

    def __init__(self, client: RegistryClient, *, is_acr: Callable[[RegistryClient], bool],
                 not_acr: bool = False, on_not_acr: Callable[[str], None] | None = None,
                 page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.registry = client.registry
        self._is_acr = is_acr
        self._on_not_acr = on_not_acr
        self.page_size = page_size
        self.state = MetadataState.UNKNOWN
        self.note: str | None = None  # why tags come without times, once known (one line)
        self.reason: str | None = None  # the same, short: "not an Azure Container Registry", ...
        self._note_taken = False
        self._deciding = asyncio.Lock()
        if not_acr:
            self._not_acr(tell=False)

    def __repr__(self) -> str:
        return f"AcrMetadata({self.registry!r}, state={self.state.value!r})"

    def take_note(self) -> str | None:
        """`note`, the first time it is asked for after it is set; None after (say it once)."""
        if self.note is None or self._note_taken:
            return None
        self._note_taken = True
        return self.note

    @property
    def has_times(self) -> bool | None:
        """Whether /acr/v1 gives times: True when it answered, False when it cannot (tags/list may still
        carry times, as Google's does: see each TagMetadata), None before it was tried."""
        if self.state is MetadataState.AVAILABLE:
            return True
        return None if self.state is MetadataState.UNKNOWN else False

    # ---- deciding whether to ask ------------------------------------------------------------

    async def _worth_asking(self) -> bool:
        async with self._deciding:
            if self.state is MetadataState.UNKNOWN and not self._is_acr(self.client) and self.client.challenge is None:
                await self.client.ping()  # learn how it signs in: ACR's realm is its own /oauth2/token
            if self.state is MetadataState.UNKNOWN and not self._is_acr(self.client):
                self._not_acr()
        return self.state in (MetadataState.UNKNOWN, MetadataState.AVAILABLE)

    def _not_acr(self, *, tell: bool = True) -> None:
        self.state = MetadataState.NOT_ACR
        self.reason = "not an Azure Container Registry"
        self.note = f"{self.registry} keeps no tag times or sizes ({self.reason})"
        if tell and self._on_not_acr is not None:
            self._on_not_acr(self.registry)

    def _refused(self) -> None:
        self.state = MetadataState.REFUSED
        self.reason = f"this credential may not read metadata on {self.registry} (its token lacks {METADATA_READ})"
        self.note = f"no tag times or sizes: {self.reason}; tags are listed by name"

    # ---- requests ---------------------------------------------------------------------------

    async def _get(self, url: httpx.URL, repository: str, what: str) -> httpx.Response:
        transport = self.client.transport
        try:
            response = await transport.send("GET", url, route=f"metadata:{repository}",
                                            scope=metadata_scope(repository),
                                            body=(LIST_PAGE_BYTES, f"a page of {what} from {self.registry}"))
        except (AuthenticationFailed, AuthenticationRequired):
            # The token service refused the metadata_read scope itself (some do, instead of a token
            # without it). Were the credentials wrong, /v2/ says so next, as it would have anyway.
            if self.state is MetadataState.AVAILABLE:
                raise
            self._refused()
            raise _Fallback from None
        if response.is_success:
            if self.state is MetadataState.UNKNOWN:
                self.state = MetadataState.AVAILABLE
            return response
        codes = oci_error_codes(response.content)
        if response.status_code == 404 and "NAME_UNKNOWN" in codes:
            raise RepositoryNotFound(f"repository {repository} not found on {self.registry}")
        if self.state is MetadataState.UNKNOWN and response.status_code in (404, 405):
            self._not_acr()
            raise _Fallback
        if response.status_code in (401, 403) and self.state is not MetadataState.AVAILABLE:
            self._refused()
            raise _Fallback
        raise transport.fail(response, what=f"read {what}", repository=repository)

    async def _pages(self, repository: str, path: str, key: str, what: str,
                     params: Mapping[str, str | int]) -> AsyncIterator[list[Any]]:
        validate_repository(repository)
        url = self.client.transport.base_url.join(f"/acr/v1/{repository}{path}").copy_merge_params(dict(params))
        seen: set[str] = set()
        response = await self._get(url, repository, what)
        while True:
            seen.add(str(url))
            next_url = self.client.next_page(response, what)
            upcoming: asyncio.Future[httpx.Response] | None = None
            if next_url is not None and str(next_url) not in seen:
                if len(seen) >= MAX_LIST_PAGES:
                    raise MalformedResponse(f"{self.registry} lists {what} over more than {MAX_LIST_PAGES:,} pages; "
                                            "stopped there")
                # Ask for the next page before this one is read: the reading overlaps the round trip.
                upcoming = asyncio.ensure_future(self._get(next_url, repository, what))
                for _ in range(_HEAD_START):
                    await asyncio.sleep(0)
            try:
                yield _items(response.content, key, self.registry, what)
            except BaseException:
                if upcoming is not None:
                    upcoming.cancel()
                    with contextlib.suppress(BaseException):
                        await upcoming
                raise
            if upcoming is None or next_url is None:
                return
            response, url = await upcoming, next_url

    # ---- what it offers -----------------------------------------------------------------------

    async def tag_metadata_pages(self, repository: str, *, newest_first: bool = True) -> AsyncIterator[list[TagMetadata]]:
        """The tags with digest, times, DCT signature and locks (no sizes: see `tags_with_sizes`),
        newest first; by name from /v2/ when /acr/v1 cannot serve (then `note` says why)."""
        if await self._worth_asking():
            params: dict[str, str | int] = {"n": self.page_size}
            if newest_first:
                params["orderby"] = "timedesc"
            try:
                async for items in self._pages(repository, "/_tags", "tags", f"the tags of {repository}", params):
                    yield [tag for tag in map(parse_tag, items) if tag is not None]
                return
            except _Fallback:
                pass
        async for page in self._listed_by_name(repository):
            yield page

    async def _listed_by_name(self, repository: str) -> AsyncIterator[list[TagMetadata]]:
        """/v2/ tags/list, with what the list itself says of each tag (Google's registries: digest,
        times, size); the note stands only when no tag came with more than its name."""
        note, self.note = self.note, None
        told = False
        try:
            async for names in self.client.tag_pages(repository):
                known = self.client.tag_list_metadata(repository)
                told = told or any(name in known for name in names)
                yield [known.get(name) or TagMetadata(name) for name in names]
        finally:
            self.note = None if told else note

    async def manifest_metadata_pages(self, repository: str) -> AsyncIterator[list[ManifestMetadata]]:
        """Every manifest of the repository, tagged or not, newest first. Raises MetadataUnavailable
        when the registry cannot list them (not ACR, or the credential lacks metadata_read)."""
        if await self._worth_asking():
            try:
                async for items in self._pages(repository, "/_manifests", "manifests",
                                               f"the manifests of {repository}",
                                               {"n": self.page_size, "orderby": "timedesc"}):
                    yield [m for m in map(parse_manifest_metadata, items) if m is not None]
                return
            except _Fallback:
                pass
        raise MetadataUnavailable(f"{self.registry} cannot list every manifest of {repository}: {self.reason}")

    async def repository_details(self, repository: str) -> RepositoryDetails:
        """Counts and times of a repository. Raises MetadataUnavailable as `manifest_metadata_pages`."""
        validate_repository(repository)
        if await self._worth_asking():
            url = self.client.transport.base_url.join(f"/acr/v1/{repository}")
            try:
                response = await self._get(url, repository, f"the details of {repository}")
            except _Fallback:
                pass
            else:
                return parse_repository(_document(response.content, self.registry, "repository details"), repository)
        raise MetadataUnavailable(f"{self.registry} keeps no details of {repository}: {self.reason}")

    async def tags_with_sizes(self, repository: str) -> list[TagMetadata]:
        """All tags, newest first where times are known, each with its manifest's size: the tag
        and manifest listings run side by side (one round trip per page of the longer)."""
        tags_task = asyncio.ensure_future(_collect(self.tag_metadata_pages(repository)))
        try:
            sizes = await self.manifest_sizes(repository)
        except MetadataUnavailable:
            sizes = {}
        except BaseException:
            tags_task.cancel()
            raise
        tags = await tags_task
        return [tag if tag.digest is None or tag.digest not in sizes else _with_size(tag, sizes[tag.digest])
                for tag in tags]

    async def manifest_sizes(self, repository: str) -> dict[str, int]:
        sizes: dict[str, int] = {}
        async for page in self.manifest_metadata_pages(repository):
            sizes.update((m.digest, m.size) for m in page if m.size is not None)
        return sizes


class MetadataUnavailable(RegistryError):
    """The registry (or this credential) cannot list manifests or repository details: not ACR, or no
    metadata_read."""


async def _collect(pages: AsyncIterator[list[TagMetadata]]) -> list[TagMetadata]:
    return [tag async for page in pages for tag in page]


def _with_size(tag: TagMetadata, size: int) -> TagMetadata:
    return replace(tag, size=size)


# ---- parsing (pure; every field checked) -------------------------------------------------

_TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?"
                      r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?", re.ASCII)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as ACR writes it (`2024-06-01T12:00:00.1234567Z`: 7 fractional digits),
    aware, in UTC; None for anything else. A time without a zone is taken as UTC."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _TIME_RE.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int((match[7] or "0")[:6].ljust(6, "0"))
    zone: timezone = UTC
    if match[9]:
        offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
        if offset >= timedelta(hours=24):
            return None
        zone = timezone(offset if match[9] == "+" else -offset)
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _text(value: object, limit: int = 256) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_SIZE else None


def parse_changeable(value: object) -> ChangeableAttributes | None:
    if not isinstance(value, dict):
        return None
    return ChangeableAttributes(delete_enabled=_flag(value.get("deleteEnabled")),
                                write_enabled=_flag(value.get("writeEnabled")),
                                read_enabled=_flag(value.get("readEnabled")),
                                list_enabled=_flag(value.get("listEnabled")))


def parse_tag(item: object) -> TagMetadata | None:
    """One entry of /_tags' "tags"; None when it has no usable name."""
    if not isinstance(item, dict):
        return None
    name = item.get("name")
    if not is_valid_tag(name):
        return None
    assert isinstance(name, str)
    return TagMetadata(name, digest=digest_or_none(item.get("digest")), created=parse_time(item.get("createdTime")),
                       updated=parse_time(item.get("lastUpdateTime")), signed=_flag(item.get("signed")),
                       changeable=parse_changeable(item.get("changeableAttributes")))


def parse_manifest_metadata(item: object) -> ManifestMetadata | None:
    """One entry of /_manifests' "manifests"; None without a usable digest."""
    if not isinstance(item, dict):
        return None
    digest = digest_or_none(item.get("digest"))
    if digest is None:
        return None
    tags = item.get("tags")
    names = tuple(t for t in tags if is_valid_tag(t)) if isinstance(tags, list) else ()
    refs = item.get("references")
    references = tuple(ref for ref in map(_reference, refs) if ref is not None) if isinstance(refs, list) else ()
    changeable = item.get("changeableAttributes")
    quarantine = _text(changeable.get("quarantineState"), 64) if isinstance(changeable, dict) else None
    return ManifestMetadata(digest, size=_size(item.get("imageSize")), created=parse_time(item.get("createdTime")),
                            updated=parse_time(item.get("lastUpdateTime")), media_type=_text(item.get("mediaType")),
                            architecture=_text(item.get("architecture"), 64), os=_text(item.get("os"), 64),
                            tags=names, references=references, quarantine_state=quarantine,
                            changeable=parse_changeable(changeable))


def _reference(item: object) -> PlatformRef | None:
    if not isinstance(item, dict):
        return None
    digest = digest_or_none(item.get("digest"))
    if digest is None:
        return None
    return PlatformRef(digest, architecture=_text(item.get("architecture"), 64), os=_text(item.get("os"), 64))


def parse_repository(doc: dict[str, Any], repository: str) -> RepositoryDetails:
    return RepositoryDetails(repository, tag_count=_size(doc.get("tagCount")),
                             manifest_count=_size(doc.get("manifestCount")),
                             created=parse_time(doc.get("createdTime")), updated=parse_time(doc.get("lastUpdateTime")),
                             changeable=parse_changeable(doc.get("changeableAttributes")))


def _document(raw: bytes, registry: str, what: str) -> dict[str, Any]:
    try:
        body = boundedjson.loads(raw)
    except ValueError:
        raise MalformedResponse(f"{registry} answered {what} with something that is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"{registry} answered {what} with something that is not a JSON object")
    return body


def _items(raw: bytes, key: str, registry: str, what: str) -> list[Any]:
    body = _document(raw, registry, what)
    items = body.get(key)
    if items is None:
        return []  # an empty repository: ACR leaves the list out
    if not isinstance(items, list):
        raise MalformedResponse(f"{registry} answered {what} without a list of {key}")
    return items
