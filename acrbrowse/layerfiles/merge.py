"""The merged filesystem of an image (dive's view): its layers' listings applied bottom to top,
with whiteouts and opaque directories, each path marked with the layer that last wrote or removed
it, and the bytes stored in the layers that never reach the final filesystem."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import NamedTuple

from acrbrowse.layerfiles.entries import FileEntry, Listing


class Change(enum.Enum):
    ADDED = "added"  # no layer below had the path
    MODIFIED = "modified"  # a layer below had it; this layer wrote it again
    REMOVED = "removed"  # a whiteout (or an opaque directory, or a file replaced by a directory) removed it


class MergedPath(NamedTuple):
    path: str
    entry: FileEntry  # the version that stands (for REMOVED: the last version before the removal)
    layer: int  # 0-based index of the layer that last wrote it, or removed it
    change: Change
    wasted: int  # bytes of this path stored in layers but not in the final filesystem


class MergedFilesystem:
    paths: list[MergedPath]  # in path order; removed paths included (change REMOVED)
    stored_bytes: int  # every file's bytes in every layer
    visible_bytes: int  # the bytes of the final filesystem
    wasted_bytes: int  # stored_bytes - visible_bytes

    @property
    def efficiency(self) -> float:
        """visible / stored (1.0 for an image that stores nothing twice and deletes nothing)."""
        raise NotImplementedError


def merge(listings: Sequence[Listing]) -> MergedFilesystem:
    raise NotImplementedError
