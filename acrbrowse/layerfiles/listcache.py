"""Listings of layers already read, on disk by the layer's digest, so that opening a layer again is
instant. Only complete, verified listings are kept; compressed; the folder has its own size cap."""

from __future__ import annotations

from pathlib import Path

from acrbrowse.layerfiles.entries import Listing
from acrbrowse.limits import LISTING_CACHE_BYTES


class ListingCache:
    def __init__(self, root: Path, *, max_bytes: int = LISTING_CACHE_BYTES) -> None:
        raise NotImplementedError

    def get(self, digest: str) -> Listing | None:
        """The listing (complete, method "cache") or None; a damaged entry is deleted and is a miss."""
        raise NotImplementedError

    def put(self, digest: str, listing: Listing) -> None:
        """Keep a complete listing (an incomplete one is ignored); never raises on a full or read-only disk."""
        raise NotImplementedError
