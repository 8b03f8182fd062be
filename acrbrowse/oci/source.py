"""What the CLI and the UI read images from: a `Source`. A registry (remote/client.py's
RegistryClient) is one today; an OCI layout directory can be another without either front end
changing.

Where things go:
- referrers (signatures, SBOMs, provenance attached to a manifest): `Source.referrers` here, the
  registry's API and its tag-schema fallback in remote/client.py;
- ACR's tag metadata (times, sizes): oci/remote/acr.py, a `TagMetadataSource`;
- an OCI layout directory (index.json, blobs/<alg>/<hex>): oci/layout.py, another `Source`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from acrbrowse.limits import CONFIG_BYTES
from acrbrowse.oci.manifest import Descriptor, ImageConfig, Manifest


@runtime_checkable
class Source(Protocol):
    """Repositories, tags, manifests and blobs, read-only. Manifests, configs and small blobs come
    verified against their digests; a failure to read is an acrbrowse.oci.errors.RegistryError."""

    def repository_pages(self, page_size: int = ...) -> AsyncIterator[list[str]]:
        """Repository names, a page at a time."""
        ...

    def tag_pages(self, repository: str, page_size: int = ...) -> AsyncIterator[list[str]]:
        """A repository's tags, a page at a time."""
        ...

    async def head_manifest(self, repository: str, reference: str) -> Descriptor:
        """What a tag (or digest) points at, without reading the manifest when that can be avoided."""
        ...

    async def get_manifest(self, repository: str, reference: str) -> Manifest:
        """A manifest by tag or digest."""
        ...

    async def manifest_for_tag(self, repository: str, tag: str) -> Manifest:
        """A tag's manifest, each digest read once however many tags share it."""
        ...

    async def manifest_by_digest(self, repository: str, digest: str) -> Manifest:
        """A manifest by digest, from memory when read before."""
        ...

    async def get_config(self, repository: str, config: Descriptor) -> ImageConfig:
        """An image's config blob, parsed."""
        ...

    async def get_blob(self, repository: str, digest: str, *, max_bytes: int = CONFIG_BYTES) -> bytes:
        """A small blob, whole and verified; larger than `max_bytes` is refused."""
        ...

    def blob_stream(self, repository: str, digest: str, *, start: int = 0,
                    end: int | None = None, ranged_only: bool = False) -> AsyncIterator[bytes]:
        """A blob's bytes `start` to `end` (inclusive; None: to the end) as they arrive, never held
        whole. A whole read raises IntegrityError after its last chunk if it does not match `digest`.
        `ranged_only`: raise RangeIgnored rather than read the whole blob to reach the range."""
        ...

    async def referrers(self, repository: str, digest: str, artifact_type: str | None = None) -> list[Descriptor]:
        """The manifests whose `subject` is `digest` (only those of `artifact_type` when given)."""
        ...


@dataclass(frozen=True)
class ChangeableAttributes:
    """What a registry lets anyone do with a tag, manifest or repository (ACR's
    changeableAttributes). None: the registry did not say."""

    delete_enabled: bool | None = None
    write_enabled: bool | None = None
    read_enabled: bool | None = None
    list_enabled: bool | None = None

    @property
    def locked(self) -> bool:
        """Write or delete disabled: the tag (or manifest) cannot be moved or removed."""
        return self.write_enabled is False or self.delete_enabled is False


@dataclass(frozen=True)
class TagMetadata:
    """One tag as a source that keeps tag metadata lists it. Only the name is certain.

    `updated` is when the tag last moved ("pushed"); `created` when it was first made. `signed` is
    Docker Content Trust (ACR's `signed`), not a cosign or Notation signature."""

    name: str
    digest: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    size: int | None = None  # bytes, as the source counts them
    signed: bool | None = None
    changeable: ChangeableAttributes | None = None

    @property
    def pushed(self) -> datetime | None:
        return self.updated

    @property
    def locked(self) -> bool:
        return self.changeable is not None and self.changeable.locked


@dataclass(frozen=True)
class PlatformRef:
    """A manifest an index lists, as the metadata tells it (no fetch)."""

    digest: str
    architecture: str | None = None
    os: str | None = None


@dataclass(frozen=True)
class ManifestMetadata:
    """One manifest of a repository, tagged or not, as ACR's /_manifests lists it."""

    digest: str
    size: int | None = None  # ACR's imageSize: config and layers of an image
    created: datetime | None = None
    updated: datetime | None = None
    media_type: str | None = None
    architecture: str | None = None
    os: str | None = None
    tags: tuple[str, ...] = ()
    references: tuple[PlatformRef, ...] = ()  # an index's platform manifests
    quarantine_state: str | None = None
    changeable: ChangeableAttributes | None = None

    @property
    def tagged(self) -> bool:
        return bool(self.tags)


@dataclass(frozen=True)
class RepositoryDetails:
    """A repository's counts and times (ACR's /acr/v1/<repository>)."""

    name: str
    tag_count: int | None = None
    manifest_count: int | None = None
    created: datetime | None = None
    updated: datetime | None = None  # the last push to the repository
    changeable: ChangeableAttributes | None = None


@runtime_checkable
class TagMetadataSource(Protocol):
    """An optional capability: a source that can list tags with their times and sizes in one go
    (ACR's /acr/v1/<repository>/_tags), where the OCI API lists bare names. Check with isinstance."""

    def tag_metadata_pages(self, repository: str) -> AsyncIterator[list[TagMetadata]]:
        """A repository's tags with what the source knows of each, a page at a time."""
        ...


@runtime_checkable
class ManifestMetadataSource(Protocol):
    """An optional capability: every manifest of a repository, tagged or not, with sizes and times
    (ACR's /acr/v1/<repository>/_manifests), and a repository's counts. Check with isinstance."""

    def manifest_metadata_pages(self, repository: str) -> AsyncIterator[list[ManifestMetadata]]:
        ...

    async def repository_details(self, repository: str) -> RepositoryDetails:
        ...
