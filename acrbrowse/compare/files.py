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
    a_rows, b_rows = _standing(a.paths), _standing(b.paths)
    a_row, b_row = next(a_rows, None), next(b_rows, None)
    while a_row is not None or b_row is not None:
        a_key = path_order(a.paths.path(a_row)) if a_row is not None else None
        b_key = path_order(b.paths.path(b_row)) if b_row is not None else None
        if b_key is None or (a_key is not None and a_key < b_key):
            assert a_row is not None
            entry = a.paths[a_row].entry
            out.append(FileChange(a.paths.path(a_row), FileChangeKind.REMOVED, entry, None, ()))
            a_row = next(a_rows, None)
        elif a_key is None or b_key < a_key:
            assert b_row is not None
            entry = b.paths[b_row].entry
            out.append(FileChange(b.paths.path(b_row), FileChangeKind.ADDED, None, entry, ()))
            b_row = next(b_rows, None)
        else:
            assert a_row is not None and b_row is not None
            old, new = a.paths[a_row].entry, b.paths[b_row].entry
            what = differences(old, new)
            if what:
                out.append(FileChange(a.paths.path(a_row), FileChangeKind.MODIFIED, old, new, what))
            a_row, b_row = next(a_rows, None), next(b_rows, None)
    return out
