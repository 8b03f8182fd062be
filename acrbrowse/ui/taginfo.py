"""What the tags table shows beside a tag: digest, kind, platform count and size, resolved lazily;
and what the listing itself said of it (times, locks, a size) where the registry keeps that."""

from __future__ import annotations

from dataclasses import dataclass

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import Descriptor, ImageIndex, ImageManifest, Manifest
from acrbrowse.oci.source import TagMetadata


def image_size(manifest: ImageManifest) -> int:
    """An image's size as the tree, the details and the tags table all give it: its layers,
    compressed (the config, a few kB, is shown apart)."""
    return manifest.compressed_size


@dataclass(frozen=True)
class TagInfo:
    tag: str
    manifest: Manifest
    platforms_size: int | None = None  # an index's: the sum of its platforms' image sizes, once fetched
    platforms_size_failed: bool = False  # a platform manifest could not be read: the sum stays unknown

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def kind(self) -> str:
        """index · image · artifact (legacy, unknown for the rare others)."""
        return self.manifest.kind

    @property
    def platform_count(self) -> int | None:
        """Runnable platforms of an index (attestations not counted); 1 for an image; None for an artifact."""
        if isinstance(self.manifest, ImageIndex):
            return len(self.manifest.platforms)
        if isinstance(self.manifest, ImageManifest) and not self.manifest.is_artifact:
            return 1
        return None

    @property
    def size(self) -> int | None:
        """Compressed bytes: an image's (or artifact's) layers; for an index the sum over
        its platforms (attestations not counted), None until they are fetched or when unknown."""
        if isinstance(self.manifest, ImageManifest):
            return image_size(self.manifest)
        if isinstance(self.manifest, ImageIndex):
            return self.platforms_size
        return None

    @property
    def size_pending(self) -> bool:
        """An index whose platform manifests are still to be fetched."""
        return isinstance(self.manifest, ImageIndex) and self.platforms_size is None and not self.platforms_size_failed


@dataclass(frozen=True)
class TagHead:
    """A tag resolved by a HEAD alone: its digest and media type, the manifest not fetched (on Docker
    Hub every manifest GET is a pull of a quota: only the tag a person opens is fetched)."""

    tag: str
    head: Descriptor

    @property
    def digest(self) -> str:
        return self.head.digest

    @property
    def media_type(self) -> str:
        return self.head.media_type

    @property
    def kind(self) -> str:
        """index or image from the media type; an image manifest may be an artifact: only its
        config tells, so it reads "manifest"."""
        if mt.is_index(self.media_type):
            return "index"
        if mt.is_image(self.media_type):
            return "manifest"
        if mt.is_schema1(self.media_type):
            return "legacy"
        return "unknown"


TagRow = TagInfo | TagHead | Exception  # what the cache holds for a resolved tag (or why it failed)


class TagCache:
    """tag -> TagInfo or TagHead (or the error that came instead), per (registry, repository), for the
    session; and what the listing said of each tag (TagMetadata: times, locks), where it said more than
    the name."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], dict[str, TagRow]] = {}
        self._listed: dict[tuple[str, str], dict[str, TagMetadata]] = {}

    def of(self, registry: str, repository: str) -> dict[str, TagRow]:
        return self._entries.setdefault((registry, repository), {})

    def listed(self, registry: str, repository: str) -> dict[str, TagMetadata]:
        return self._listed.setdefault((registry, repository), {})

    def clear(self, registry: str, repository: str) -> None:
        self._entries.pop((registry, repository), None)
        self._listed.pop((registry, repository), None)
