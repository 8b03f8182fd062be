"""What a file-level comparison reads: both images' layer listings, each distinct layer once.

An exact file diff needs every layer of both images, the shared lower ones too: a path only one
side's own layers touch is "added" or "modified" (or not a change at all) depending on what the
layers below held, and a whiteout removes only what is there. So the shared layers' listings are
read as well, once for both images (not once per image): from the listing cache when a view of
either image (`ls`, the Files view) put them there, else from a table of contents or a stream.
`LayerRead.method` says which, for every distinct layer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from acrbrowse.layerfiles.entries import Listing
from acrbrowse.layerfiles.fetch import PARALLEL_LAYERS, Progress, read_listings
from acrbrowse.layerfiles.listcache import ListingCache
from acrbrowse.layerfiles.merge import MergedFilesystem, merge
from acrbrowse.oci.manifest import Descriptor, ImageManifest
from acrbrowse.oci.source import Source


@dataclass(frozen=True)
class ImageSide:
    """One image of a comparison and where to read its layers (two registries: two sources)."""

    source: Source
    repository: str
    image: ImageManifest


@dataclass(frozen=True)
class LayerRead:
    layer: Descriptor
    method: str  # the listing's: "cache", "stream", "eStargz table of contents", …
    in_a: bool
    in_b: bool

    @property
    def shared(self) -> bool:
        return self.in_a and self.in_b


@dataclass(frozen=True)
class MergedPair:
    a: MergedFilesystem
    b: MergedFilesystem
    reads: tuple[LayerRead, ...]  # each distinct layer once: A's in order, then B's own

    @property
    def fetched(self) -> tuple[LayerRead, ...]:
        """The layers read from the registry (not from the listing cache)."""
        return tuple(read for read in self.reads if read.method != "cache")


# (the layer's digest, how far its read is); called on the event loop
PairProgress = Callable[[Descriptor, Progress], None]
LayerDone = Callable[[LayerRead, int, int], None]  # (what was read, layers done, of how many)


def distinct_layers(a: ImageManifest, b: ImageManifest) -> list[tuple[Descriptor, bool, bool]]:
    """Each layer digest of either image once, with whether A and B hold it: A's in order, then B's own."""
    in_a = {layer.digest for layer in a.layers}
    in_b = {layer.digest for layer in b.layers}
    out: list[tuple[Descriptor, bool, bool]] = []
    seen: set[str] = set()
    for layer in (*a.layers, *b.layers):
        if layer.digest not in seen:
            seen.add(layer.digest)
            out.append((layer, layer.digest in in_a, layer.digest in in_b))
    return out


async def read_merged_pair(a: ImageSide, b: ImageSide, *, cache: ListingCache | None,
                           on_progress: PairProgress | None = None, on_layer: LayerDone | None = None,
                           parallel: int = PARALLEL_LAYERS) -> MergedPair:
    """Both merged filesystems, each distinct layer's listing read once (at most `parallel` at a time)
    through `read_listing` (cache, TOC, stream). A layer both hold is read from A's registry."""
    wanted = distinct_layers(a.image, b.image)
    reads: dict[str, LayerRead] = {}

    def read(position: int, listing: Listing) -> None:
        layer, in_a, in_b = wanted[position]
        reads[layer.digest] = LayerRead(layer, listing.method, in_a, in_b)
        if on_layer is not None:
            on_layer(reads[layer.digest], len(reads), len(wanted))

    sources: list[tuple[Source, str, Descriptor]] = []
    for layer, in_a, _ in wanted:
        side = a if in_a else b  # a layer both hold is read from A's registry
        sources.append((side.source, side.repository, layer))
    found = await read_listings(
        sources, cache=cache, on_listing=read, parallel=parallel,
        on_progress=(lambda position, p: on_progress(wanted[position][0], p)) if on_progress is not None else None)
    listings = {layer.digest: listing for (layer, _, _), listing in zip(wanted, found, strict=True)}
    # Merging a large image takes seconds of CPU: off the event loop.
    merged_a, merged_b = await asyncio.to_thread(
        lambda: (merge([listings[layer.digest] for layer in a.image.layers]),
                 merge([listings[layer.digest] for layer in b.image.layers])))
    return MergedPair(merged_a, merged_b, tuple(reads[layer.digest] for layer, _, _ in wanted))
