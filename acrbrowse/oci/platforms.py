"""Choosing one platform's image: `--platform OS/ARCH[/VARIANT]` parsed and matched against an
index's entries (as containerd matches: arm64 is arm64/v8 when no variant is given)."""

from __future__ import annotations

from dataclasses import dataclass

from acrbrowse.oci.errors import Hint, InvalidReference, RegistryError
from acrbrowse.oci.manifest import Descriptor, ImageIndex, ImageManifest, Manifest, Platform
from acrbrowse.oci.source import Source
from acrbrowse.present.safe import terminal_safe

# containerd's defaults: an arm64 without a variant is v8, an arm without one is v7.
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}
MAX_INDEX_DEPTH = 8  # an index inside an index inside …: as the tree walks them


@dataclass(frozen=True)
class PlatformSpec:
    os: str
    architecture: str
    variant: str | None = None

    @property
    def label(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)

    def matches(self, platform: Platform | None) -> bool:
        if platform is None or (platform.os, platform.architecture) != (self.os, self.architecture):
            return False
        if self.variant is None:
            return True
        default = _DEFAULT_VARIANTS.get(self.architecture)
        return (platform.variant or default) == self.variant


def parse_platform(text: str) -> PlatformSpec:
    """"linux/arm64/v8" -> PlatformSpec("linux", "arm64", "v8")."""
    parts = text.strip().lower().split("/")
    if not 2 <= len(parts) <= 3 or not all(part and part.isprintable() and " " not in part for part in parts):
        raise InvalidReference(f"{terminal_safe(text, 80)!r} is not a platform; expected OS/ARCH[/VARIANT], "
                               "e.g. linux/amd64 or linux/arm64/v8")
    return PlatformSpec(*parts)


def choose_platform(index: ImageIndex, spec: PlatformSpec | None, what: str) -> Descriptor:
    """The index entry for `spec`; without one, the index's only platform. Several matches (windows
    images of several OS versions) are refused with their labels, as is no match."""
    entries = index.platforms
    labels = ", ".join(e.platform.label if e.platform else "unknown" for e in entries) or "none"
    if spec is None:
        if len(entries) == 1:
            return entries[0]
        raise RegistryError(f"{what} is an index of {len(entries)} platforms ({labels})", hint=Hint.CHOOSE_PLATFORM)
    found = [entry for entry in entries if spec.matches(entry.platform)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise RegistryError(f"{what} has no {spec.label} image; its platforms: {labels}", hint=Hint.CHOOSE_PLATFORM)
    if spec.variant is None:  # linux/arm64 given, arm64 and arm64/v8 listed: the default variant wins
        default = _DEFAULT_VARIANTS.get(spec.architecture)
        preferred = [e for e in found if e.platform is not None and e.platform.variant in (None, default)]
        if len(preferred) == 1:
            return preferred[0]
    several = ", ".join(e.platform.label for e in found if e.platform is not None)
    raise RegistryError(f"{what} has {len(found)} {spec.label} images ({several})", hint=Hint.CHOOSE_PLATFORM)


async def image_for(source: Source, repository: str, reference: str, spec: PlatformSpec | None,
                    what: str) -> ImageManifest:
    """The image manifest `reference` (a tag or a digest) names, through its index (and nested
    indexes) to `spec`'s."""
    manifest: Manifest = await (source.manifest_by_digest(repository, reference) if ":" in reference
                                else source.get_manifest(repository, reference))
    for _ in range(MAX_INDEX_DEPTH):
        if not isinstance(manifest, ImageIndex):
            break
        entry = choose_platform(manifest, spec, what)
        manifest = await source.manifest_by_digest(repository, entry.digest)
    if isinstance(manifest, ImageManifest):
        return manifest
    raise RegistryError(f"{what} is a {manifest.kind}, not an image with layers")
