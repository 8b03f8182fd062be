"""One side of a comparison (the marked tag or platform, or the highlighted one) and how both sides
become images: an index follows the platform the other side names (or runs on), as `--platform`
would choose it."""

from __future__ import annotations

from dataclasses import dataclass

from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.manifest import ImageConfig, ImageManifest
from acrbrowse.oci.platforms import PlatformSpec, image_for, parse_platform
from acrbrowse.oci.source import Source


@dataclass(frozen=True)
class Side:
    """A tag (or digest) of a repository; `platform` and `digest` when it is one platform of an index,
    marked on its line in the tree."""

    registry: str
    repository: str
    reference: str  # a tag, or a digest
    platform: str | None = None  # "linux/amd64", as the tree names it
    digest: str | None = None  # the platform's image manifest

    @property
    def label(self) -> str:
        """"repo:tag linux/amd64", "repo@sha256:abc…" (outside text: escape it where it is shown)."""
        name = f"{self.repository}@{self.reference[:19]}…" if ":" in self.reference \
            else f"{self.repository}:{self.reference}"
        return f"{name} {self.platform}" if self.platform else name


@dataclass(frozen=True)
class Resolved:
    side: Side
    image: ImageManifest
    config: ImageConfig | None
    platform: str | None  # the platform chosen in an index, or the image's own (from its config)

    @property
    def label(self) -> str:
        base = self.side.label
        if self.platform and not self.side.platform:
            return f"{base} {self.platform}"
        return base


def _spec(label: str | None) -> PlatformSpec | None:
    try:
        return parse_platform(label) if label else None
    except InvalidReference:  # an odd platform name from the registry: the index's only platform, or the error
        return None


async def resolve(source: Source, side: Side, platform: str | None) -> Resolved:
    """`side` as an image: its own platform's when it names one, else `platform`'s in an index (an image
    is taken as it is); raises RegistryError (e.g. an index without that platform)."""
    image = await image_for(source, side.repository, side.digest or side.reference, _spec(side.platform or platform),
                            side.label)
    config = await source.get_config(side.repository, image.config) \
        if image.config is not None and not image.is_artifact else None
    own = side.platform
    if own is None and config is not None and config.os and config.architecture:
        own = f"{config.os}/{config.architecture}"
    return Resolved(side, image, config, own)


async def resolve_pair(source: Source, a: Side, b: Side) -> tuple[Resolved, Resolved]:
    """Both sides, the one that names its platform first: the other follows it."""
    if a.platform is None and b.platform is not None:
        second = await resolve(source, b, None)
        return await resolve(source, a, second.platform), second
    first = await resolve(source, a, None)
    return first, await resolve(source, b, first.platform)
