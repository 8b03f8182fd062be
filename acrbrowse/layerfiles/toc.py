"""eStargz and zstd:chunked layers carry a table of contents (TOC) at their end: their files can be
listed with two HTTP Range requests (footer, then TOC) instead of the whole blob. The TOC is checked
against the layer's annotation before it is believed."""

from __future__ import annotations

from dataclasses import dataclass

from acrbrowse.layerfiles.entries import Listing
from acrbrowse.oci.manifest import Descriptor
from acrbrowse.oci.source import Source


@dataclass(frozen=True)
class TocPlan:
    format: str  # "eStargz" or "zstd:chunked"
    toc_digest: str  # from the layer's annotation: what the TOC must hash to


def toc_plan(layer: Descriptor) -> TocPlan | None:
    """How to list `layer` from its TOC, or None (no usable annotation: stream it)."""
    raise NotImplementedError


async def read_toc(source: Source, repository: str, layer: Descriptor) -> Listing | None:
    """The layer's listing from its TOC (complete, method names the format), or None when it must be
    streamed instead: no plan, the registry ignores Range, a TOC over limits.TOC_BYTES. A TOC that
    does not match its annotation raises IntegrityError; one that is not a TOC, UnreadableLayer."""
    raise NotImplementedError
