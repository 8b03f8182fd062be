"""The merged filesystem of an image (dive's view): its layers' listings applied bottom to top,
with whiteouts and opaque directories, each path marked with the layer that last wrote or removed
it, and the bytes stored in the layers that never reach the final filesystem.

The rules are the OCI image-spec's layer changesets:
- a whiteout removes its path, and everything below it, from the layers below (never from its own
  layer: a layer's deletions are applied before its files); an opaque marker removes every child of
  its directory from the layers below;
- a non-directory written where a directory stands removes the directory's subtree; a directory
  (listed, or implied by a file below it) written where a file stands replaces the file;
- a directory listed again is a change only when its mode or owner differs; otherwise it keeps the
  layer that created it;
- a file whose parent directory has no entry implies that directory (`MergedPath.implicit`).

`wasted` counts the bytes of a path's versions that never reach the final filesystem: the versions a
later write replaced, and the last version of a removed path. dive counts differently: its "wasted
space" also includes the copy that survives of a file stored in more than one layer. Here
`stored_bytes == visible_bytes + wasted_bytes` always holds. A hard link stores no bytes of its own
(its target's bytes are counted once, on the target's path: if a later layer overwrites or removes
the target while the link stands, those bytes count as wasted though the link still reaches them).

Memory: the result is columnar (`MergedPaths`, ~30 bytes a path plus the listings it reads entries
from); while merging, each path costs a small record and a place in its directory's list of children
(a removal walks only the removed subtree).
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing


class Change(enum.Enum):
    ADDED = "added"  # the filesystem of the layers below had no such path
    MODIFIED = "modified"  # the layers below had it; this layer wrote it again
    REMOVED = "removed"  # a whiteout (or an opaque directory, or a file replaced by a directory) removed it


class MergedPath(NamedTuple):
    path: str
    entry: FileEntry  # the version that stands (for REMOVED: the last version before the removal)
    layer: int  # 0-based index of the layer that last wrote it, or removed it
    change: Change
    wasted: int  # bytes of this path stored in layers but not in the final filesystem
    implicit: bool = False  # a directory no layer lists: implied by a path below it


class LayerSummary(NamedTuple):
    """What one layer changed in the filesystem of the layers below it (each path counted once)."""

    added: int = 0
    modified: int = 0
    removed: int = 0
    added_bytes: int = 0  # bytes of the files it added
    modified_bytes: int = 0  # bytes of the new versions it wrote
    removed_bytes: int = 0  # bytes of the versions below that it removed
    stored_bytes: int = 0  # every file's bytes in this layer


@dataclass
class MergedFilesystem:
    paths: MergedPaths  # in path order (see `path_order`); removed paths included (change REMOVED)
    stored_bytes: int  # every file's bytes in every layer
    visible_bytes: int  # the bytes of the final filesystem
    wasted_bytes: int  # stored_bytes - visible_bytes
    layers: list[LayerSummary] = field(default_factory=list)  # one per listing, bottom first

    @property
    def efficiency(self) -> float:
        """visible / stored (1.0 for an image that stores nothing twice and deletes nothing)."""
        return self.visible_bytes / self.stored_bytes if self.stored_bytes else 1.0


def path_order(path: str) -> str:
    """The order of `MergedFilesystem.paths`: the paths compared part by part (code points), so a
    directory is followed by everything below it: "a", "a/b", "a-b". ("/" becomes NUL, which sorts
    before every character a name can hold.)"""
    return path.replace("/", "\0")


# Kinds whose entries store no bytes of their own, whatever their tar header claims.
_NO_BYTES = frozenset({Kind.DIR, Kind.SYMLINK, Kind.HARDLINK, Kind.WHITEOUT, Kind.OPAQUE})
_CHANGES = tuple(Change)


def stored_size(entry: FileEntry) -> int:
    """The bytes a layer stores for this entry (0 for a directory, a link or a deletion)."""
    return 0 if entry.kind in _NO_BYTES else entry.size


def implied_dir(path: str) -> FileEntry:
    """The entry of a directory no layer lists."""
    return FileEntry(path, Kind.DIR, mode=0o755)


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


class MergedPaths(Sequence[MergedPath]):
    """The merged paths in columns (a million cost about 40 bytes each, not a tuple and an entry
    apiece): each MergedPath is made when read, its entry from the listing that holds it."""

    def __init__(self, listings: Sequence[Listing]) -> None:
        self._listings = listings
        self._paths: list[str] = []
        self._origin = array("i")  # the listing that holds the entry (-1: an implied directory)
        self._index = array("i")  # the entry's index in that listing
        self._layer = array("i")
        self._change = bytearray()
        self._wasted = array("q")

    def _append(self, path: str, origin: int, index: int, layer: int, change: Change, wasted: int) -> None:
        self._paths.append(path)
        self._origin.append(origin)
        self._index.append(index)
        self._layer.append(layer)
        self._change.append(_CHANGES.index(change))
        self._wasted.append(wasted)

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, row: int) -> MergedPath:  # type: ignore[override]  # no slices
        path, origin = self._paths[row], self._origin[row]
        entry = self._listings[origin][self._index[row]] if origin >= 0 else implied_dir(path)
        return MergedPath(path, entry, self._layer[row], _CHANGES[self._change[row]], self._wasted[row], origin < 0)

    def __iter__(self) -> Iterator[MergedPath]:
        for row in range(len(self._paths)):
            yield self[row]

    @property
    def paths(self) -> Sequence[str]:
        """Every row's path (not a copy)."""
        return self._paths

    def path(self, row: int) -> str:
        return self._paths[row]

    def change(self, row: int) -> Change:
        return _CHANGES[self._change[row]]

    def wasted(self, row: int) -> int:
        return self._wasted[row]

    def size(self, row: int) -> int:
        """The row's entry's size, read from its listing without making the entry (0: implied directory)."""
        origin = self._origin[row]
        return self._listings[origin].size(self._index[row]) if origin >= 0 else 0


class _Record:
    """The merged state of one path while the layers are applied: the entry that stands (as the
    listing and index that hold it: -1 for an implied directory) and its kind."""

    __slots__ = ("change", "index", "kind", "layer", "origin", "wasted")

    def __init__(self) -> None:
        self.origin = self.index = -1
        self.kind = Kind.DIR
        self.layer = -1
        self.change = Change.REMOVED  # not yet written
        self.wasted = 0

    @property
    def present(self) -> bool:
        return self.change is not Change.REMOVED


class _Merger:
    def __init__(self, listings: Sequence[Listing]) -> None:
        self.listings = listings
        self.records: dict[str, _Record] = {}
        # The children of every present directory ("" is the root): a removal walks only the removed
        # subtree. A path removed from a directory that stays is left in its list (and skipped there).
        self.children: dict[str, list[str]] = {"": []}
        self.layer = -1
        # For each path this layer touched: (present, stored bytes) in the filesystem below it.
        self.below: dict[str, tuple[bool, int]] = {}

    def apply(self, layer: int) -> LayerSummary:
        listing = self.listings[layer]
        self.layer, self.below = layer, {}
        count = len(listing)  # a listing still streaming is read as far as it is now
        for index in range(count):
            kind = listing.kind(index)
            if kind is Kind.WHITEOUT:
                self.remove(listing.path(index))
            elif kind is Kind.OPAQUE:
                self.remove_children(listing.path(index))
        stored = 0
        for index in range(count):
            kind, path = listing.kind(index), listing.path(index)
            if kind is Kind.WHITEOUT:
                self.ensure_dir(_parent(path))  # the marker lives in its directory, in this layer
            elif kind is Kind.OPAQUE:
                self.ensure_dir(path)
            else:
                if kind not in _NO_BYTES:
                    stored += listing.size(index)
                self.write(path, kind, index)
        return self.summary(stored)

    def summary(self, stored: int) -> LayerSummary:
        added = modified = removed = added_bytes = modified_bytes = removed_bytes = 0
        for path, (was_present, was_bytes) in self.below.items():
            record = self.records[path]
            if record.present:
                if was_present:
                    modified += 1
                    modified_bytes += self._bytes(record)
                else:
                    added += 1
                    added_bytes += self._bytes(record)
            elif was_present:
                removed += 1
                removed_bytes += was_bytes
        return LayerSummary(added, modified, removed, added_bytes, modified_bytes, removed_bytes, stored)

    def _touch(self, path: str, record: _Record) -> Change:
        """Note the path's state below this layer (once per layer); the change a write makes."""
        below = self.below.get(path)
        if below is None:
            below = self.below[path] = (True, self._bytes(record)) if record.present else (False, 0)
        return Change.MODIFIED if below[0] else Change.ADDED

    def _bytes(self, record: _Record) -> int:
        """The bytes the entry that stands for the path stores (read from its listing)."""
        if record.origin < 0 or record.kind in _NO_BYTES:
            return 0
        return self.listings[record.origin].size(record.index)

    def _owner(self, record: _Record) -> tuple[int, int, int]:
        if record.origin < 0:
            return 0o755, 0, 0
        entry = self.listings[record.origin][record.index]
        return entry.mode, entry.uid, entry.gid

    def write(self, path: str, kind: Kind, index: int) -> None:
        if not path:
            return  # the root itself (a hostile "/" entry): nothing to file
        record = self.records.get(path)
        is_dir = kind is Kind.DIR
        if record is not None and record.present:
            if record.kind is Kind.DIR:
                if is_dir:
                    new = self.listings[self.layer][index]
                    if record.layer != self.layer and self._owner(record) == (new.mode, new.uid, new.gid):
                        # A directory listed again, unchanged: it keeps the layer that created it (and
                        # takes this entry if the layers below only implied it).
                        if record.origin < 0:
                            record.origin, record.index = self.layer, index
                        return
                else:
                    self.remove_children(path)
                    del self.children[path]
            elif is_dir:
                self.children[path] = []
        else:
            self.ensure_dir(_parent(path))
            self.children[_parent(path)].append(path)
            if is_dir:
                self.children[path] = []
            if record is None:
                record = self.records[path] = _Record()
        self._set(path, record, kind, self.layer, index)

    def _set(self, path: str, record: _Record, kind: Kind, origin: int, index: int) -> None:
        change = self._touch(path, record)
        if record.present:
            record.wasted += self._bytes(record)
        record.kind, record.origin, record.index = kind, origin, index
        record.layer, record.change = self.layer, change

    def ensure_dir(self, path: str) -> None:
        """Make `path` a directory if it is not one: missing parents are implied, a file in the way replaced."""
        missing: list[str] = []
        while path:
            record = self.records.get(path)
            if record is not None and record.present:
                if record.kind is not Kind.DIR:
                    missing.append(path)  # a file where a directory must be (its own parents exist)
                break
            missing.append(path)
            path = _parent(path)
        for path in reversed(missing):
            record = self.records.get(path)
            if record is None:
                record = self.records[path] = _Record()
            if not record.present:
                self.children[_parent(path)].append(path)
            self.children[path] = []
            self._set(path, record, Kind.DIR, -1, -1)

    def remove(self, path: str) -> None:
        """A whiteout: the path and everything below it."""
        record = self.records.get(path)
        if not path or record is None or not record.present:
            return  # nothing below this layer to remove (a root whiteout is not one)
        self._remove_tree(path)

    def remove_children(self, path: str) -> None:
        """An opaque directory, or a directory a non-directory replaces: everything below it."""
        children = self.children.get(path)
        if not children:
            return
        for child in children:
            self._remove_tree(child)
        children.clear()

    def _remove_tree(self, top: str) -> None:
        pending = [top]
        while pending:
            path = pending.pop()
            record = self.records[path]
            if not record.present:
                continue  # removed before (or listed twice: removed, then written again)
            self._touch(path, record)
            record.wasted += self._bytes(record)
            record.layer, record.change = self.layer, Change.REMOVED
            pending.extend(self.children.pop(path, ()))

    def result(self, layers: list[LayerSummary]) -> MergedFilesystem:
        """The rows in path order: depth first, each directory's children sorted apart (names
        under one parent compare as their paths do), which needs no sort key string per path."""
        self.children, self.below = {}, {}  # done with: free them first
        records, paths = self.records, MergedPaths(self.listings)
        every_child: dict[str, list[str]] = {}  # every path ever written (a removed one too) by its parent
        for path in records:
            siblings = every_child.get(parent := _parent(path))
            if siblings is None:
                every_child[parent] = [path]
            else:
                siblings.append(path)
        visible = 0
        pending = [iter(sorted(every_child.pop("", ())))]
        while pending:
            for path in pending[-1]:
                record = records.pop(path)
                paths._append(path, record.origin, record.index, record.layer, record.change, record.wasted)
                if record.present:
                    visible += self._bytes(record)
                children = every_child.pop(path, None)
                if children is not None:
                    children.sort()
                    pending.append(iter(children))
                    break
            else:
                pending.pop()
        stored = sum(layer.stored_bytes for layer in layers)
        return MergedFilesystem(paths, stored, visible, stored - visible, layers)


def merge(listings: Sequence[Listing]) -> MergedFilesystem:
    """Apply the listings bottom (index 0) to top. A listing still streaming counts as far as it
    goes; it must not be emptied while the result is read (a merged path reads its entry from it)."""
    merger = _Merger(listings)
    layers = [merger.apply(layer) for layer in range(len(listings))]
    return merger.result(layers)
