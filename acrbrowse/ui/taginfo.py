"""What the tags table shows beside a tag: digest, kind and platform count, resolved lazily."""

from __future__ import annotations

from dataclasses import dataclass

from acrbrowse.oci.manifest import ImageIndex, ImageManifest, Manifest


@dataclass(frozen=True)
class TagInfo:
    tag: str
    manifest: Manifest

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


class TagCache:
    """tag -> TagInfo (or the error that came instead), per (registry, repository), for the session."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], dict[str, TagInfo | Exception]] = {}

    def of(self, registry: str, repository: str) -> dict[str, TagInfo | Exception]:
        return self._entries.setdefault((registry, repository), {})

    def clear(self, registry: str, repository: str) -> None:
        self._entries.pop((registry, repository), None)
