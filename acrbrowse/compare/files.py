"""The file-level difference of two images' merged filesystems: added, removed, modified (type,
size, mode, owner, link, time). Only the layers the images do not share are fetched for it; the shared
ones come from the listing cache or are streamed once (compare/fetch.py)."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from acrbrowse.layerfiles.entries import FileEntry
from acrbrowse.layerfiles.merge import Change, MergedFilesystem, MergedPaths, path_order


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


def differences(a: FileEntry, b: FileEntry) -> tuple[str, ...]:
    """What differs between two versions of a path ("type", "size", "mode", "owner", "link", "time")."""
    what = []
    if a.kind != b.kind:
        what.append("type")
    if a.size != b.size:
        what.append("size")
    if a.mode != b.mode:
        what.append("mode")
    if (a.uid, a.gid, a.user, a.group) != (b.uid, b.gid, b.user, b.group):
        what.append("owner")
    if a.link != b.link:
        what.append("link")
    if a.mtime != b.mtime:
        what.append("time")
    return tuple(what)


def _standing(paths: MergedPaths) -> Iterator[int]:
    """The rows of the paths that stand in the merged view (a REMOVED row is a path that is absent)."""
    return (row for row in range(len(paths)) if paths.change(row) is not Change.REMOVED)


def compare_files(a: MergedFilesystem, b: MergedFilesystem) -> list[FileChange]:
    """In path order: both views are in `path_order`, so one walk of each, side by side, pairs them."""
    out: list[FileChange] = []
    a_paths, b_paths = a.paths.paths, b.paths.paths
    a_rows, b_rows = _standing(a.paths), _standing(b.paths)
    a_row, b_row = next(a_rows, None), next(b_rows, None)
    while a_row is not None and b_row is not None:
        a_path, b_path = a_paths[a_row], b_paths[b_row]
        if a_path == b_path:  # most paths: no sort key needed
            old, new = a.paths[a_row].entry, b.paths[b_row].entry
            if old != new:
                out.append(FileChange(a_path, FileChangeKind.MODIFIED, old, new, differences(old, new)))
            a_row, b_row = next(a_rows, None), next(b_rows, None)
        elif path_order(a_path) < path_order(b_path):
            out.append(FileChange(a_path, FileChangeKind.REMOVED, a.paths[a_row].entry, None, ()))
            a_row = next(a_rows, None)
        else:
            out.append(FileChange(b_path, FileChangeKind.ADDED, None, b.paths[b_row].entry, ()))
            b_row = next(b_rows, None)
    while a_row is not None:
        out.append(FileChange(a_paths[a_row], FileChangeKind.REMOVED, a.paths[a_row].entry, None, ()))
        a_row = next(a_rows, None)
    while b_row is not None:
        out.append(FileChange(b_paths[b_row], FileChangeKind.ADDED, None, b.paths[b_row].entry, ()))
        b_row = next(b_rows, None)
    return out
