"""The file-level difference of two images' merged filesystems: added, removed, modified (type,
size, mode, owner, link, time). Only the layers the images do not share are fetched for it; the shared
ones come from the listing cache or are streamed once."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from acrbrowse.layerfiles.entries import FileEntry
from acrbrowse.layerfiles.merge import MergedFilesystem


class FileChangeKind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: FileChangeKind
    a: FileEntry | None  # the path in A (None: added)
    b: FileEntry | None  # in B (None: removed)
    what: tuple[str, ...]  # for MODIFIED: "type", "size", "mode", "owner", "link", "time"


def compare_files(a: MergedFilesystem, b: MergedFilesystem) -> list[FileChange]:
    """In path order."""
    raise NotImplementedError
