"""What the tags table shows beside a tag: digest, kind, platform count and size, resolved lazily."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from acrbrowse.oci.manifest import ImageIndex, ImageManifest, Manifest


def image_size(manifest: ImageManifest) -> int:
    """An image's size as the tree, the details and the tags table all give it: its layers,
    compressed (the config, a few kB, is shown apart)."""
    return manifest.compressed_size


@dataclass(frozen=True)
class TagInfo:
    tag: str
    manifest: Manifest
    pushed: datetime | None = None  # from a source that keeps tag times (ACR); None on a plain registry
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


class TagCache:
    """tag -> TagInfo (or the error that came instead), per (registry, repository), for the session."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], dict[str, TagInfo | Exception]] = {}

    def of(self, registry: str, repository: str) -> dict[str, TagInfo | Exception]:
        return self._entries.setdefault((registry, repository), {})

    def clear(self, registry: str, repository: str) -> None:
        self._entries.pop((registry, repository), None)
