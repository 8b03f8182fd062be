"""One file of a layer (FileEntry) and a layer's whole listing (Listing), kept in columns so that a
million entries cost about 130 bytes each rather than an object apiece."""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


class Kind(enum.IntEnum):
    FILE = 0
    DIR = 1
    SYMLINK = 2
    HARDLINK = 3
    CHAR = 4
    BLOCK = 5
    FIFO = 6
    WHITEOUT = 7  # `dir/.wh.NAME`: removes dir/NAME of the layers below; the entry's path is dir/NAME
    OPAQUE = 8  # `dir/.wh..wh..opq`: hides everything below dir in the layers below; the path is dir
    OTHER = 9  # a tar type acrbrowse does not know (listed, never interpreted)

    @property
    def is_deletion(self) -> bool:
        return self in (Kind.WHITEOUT, Kind.OPAQUE)


class FileEntry(NamedTuple):
    """A tar entry as it applies to the filesystem. `path` is normalized (no leading "./" or "/", no
    "." parts or trailing "/"; ".." is kept as a name: nothing is extracted). `size` is the bytes the
    entry stores (0 for links, directories and whiteouts); `mode` the permission bits (0o7777);
    `link` a symlink's or hard link's target ("" otherwise); `mtime` seconds since the epoch."""

    path: str
    kind: Kind
    size: int = 0
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    user: str = ""
    group: str = ""
    link: str = ""
    mtime: int = 0


def normalize_path(name: str) -> str:
    """A tar member name as a path in the image: "./usr//bin/" -> "usr/bin", "/" and "." -> ""."""
    return "/".join(part for part in name.split("/") if part and part != ".")


def split_whiteout(path: str) -> tuple[str, Kind] | None:
    """For a normalized path whose last part is a whiteout marker: (the path it deletes, the kind)."""
    parent, _, name = path.rpartition("/")
    if name == OPAQUE_MARKER:
        return parent, Kind.OPAQUE
    if name.startswith(WHITEOUT_PREFIX) and len(name) > len(WHITEOUT_PREFIX):
        deleted = name[len(WHITEOUT_PREFIX):]
        return (f"{parent}/{deleted}" if parent else deleted), Kind.WHITEOUT
    return None


_KIND_VALUES = frozenset(int(kind) for kind in Kind)
# Numbers past these don't fit the columns; they are clamped (a listing shows them, nothing adds them up).
_MAX_SIZE = 2**63 - 1
_MAX_ID = 2**32 - 1


class Listing(Sequence[FileEntry]):
    """A layer's entries in the order the layer holds them. Append-only while the layer streams;
    `complete` once its last entry (and, for a full stream, its digest) has been checked."""

    def __init__(self, entries: Iterable[FileEntry] = ()) -> None:
        self._paths: list[str] = []
        self._kinds = bytearray()
        self._sizes = array("q")
        self._modes = array("I")
        self._uids = array("I")
        self._gids = array("I")
        self._mtimes = array("q")
        self._owners = array("I")  # index into _names of "user\0group"
        self._names: list[str] = []
        self._name_index: dict[str, int] = {}
        self._links: dict[int, str] = {}
        self._total_size = 0  # kept as entries come: a title repainted while a million stream in reads it
        self.complete = False
        self.method = ""  # how it was read: "stream", "eStargz table of contents", "cache", …
        self.extend(entries)

    def __len__(self) -> int:
        # The column appended last: an entry counts once every column has it, so a reader in another
        # thread never sees half an entry while a stream appends.
        return len(self._owners)

    def append(self, entry: FileEntry) -> None:
        index = len(self._paths)
        self._paths.append(entry.path)
        self._kinds.append(int(entry.kind))
        size = min(max(entry.size, 0), _MAX_SIZE)
        self._sizes.append(size)
        self._total_size += size
        self._modes.append(entry.mode & 0o7777)
        self._uids.append(min(max(entry.uid, 0), _MAX_ID))
        self._gids.append(min(max(entry.gid, 0), _MAX_ID))
        self._mtimes.append(max(min(entry.mtime, _MAX_SIZE), -_MAX_SIZE))
        owner = f"{entry.user}\0{entry.group}"
        slot = self._name_index.get(owner)
        if slot is None:
            slot = self._name_index[owner] = len(self._names)
            self._names.append(owner)
        if entry.link:
            self._links[index] = entry.link
        self._owners.append(slot)

    def extend(self, entries: Iterable[FileEntry]) -> None:
        for entry in entries:
            self.append(entry)

    def columns(self, start: int, end: int) -> list[list]:
        """Entries `start` to `end` as columns in FileEntry's field order (the listing cache's form)."""
        owners = [self._names[slot].partition("\0") for slot in self._owners[start:end]]
        return [self._paths[start:end], list(self._kinds[start:end]), self._sizes[start:end].tolist(),
                self._modes[start:end].tolist(), self._uids[start:end].tolist(), self._gids[start:end].tolist(),
                [user for user, _, _ in owners], [group for _, _, group in owners],
                [self._links.get(index, "") for index in range(start, end)], self._mtimes[start:end].tolist()]

    def extend_columns(self, columns: Sequence[Sequence]) -> None:
        """Entries given as columns (what `columns` gives): every column as long as the first, the
        numbers within the columns' ranges, else ValueError, TypeError or OverflowError and nothing
        added. About three times as fast as `extend` for a listing read back from the cache."""
        paths, kinds, sizes, modes, uids, gids, users, groups, links, mtimes = columns
        count = len(paths)
        if any(len(column) != count for column in columns):
            raise ValueError("columns of different lengths")
        if any(kind not in _KIND_VALUES for kind in kinds):
            raise ValueError("not a kind")
        new = (array("q", sizes), array("I", modes), array("I", uids), array("I", gids), array("q", mtimes))
        if min(new[0], default=0) < 0 or any(mode > 0o7777 for mode in new[1]):
            raise ValueError("a size or mode out of range")
        slots = array("I")
        for user, group in zip(users, groups, strict=True):
            owner = f"{user}\0{group}"
            slot = self._name_index.get(owner)
            if slot is None:
                slot = self._name_index[owner] = len(self._names)
                self._names.append(owner)
            slots.append(slot)
        start = len(self._paths)
        self._paths.extend(paths)
        self._kinds.extend(kinds)
        for column, values in zip((self._sizes, self._modes, self._uids, self._gids, self._mtimes), new, strict=True):
            column.extend(values)
        self._total_size += sum(new[0])
        self._links.update((start + offset, link) for offset, link in enumerate(links) if link)
        self._owners.extend(slots)  # last: the entries count once every column has them

    def __getitem__(self, index: int) -> FileEntry:  # type: ignore[override]  # no slices
        user, _, group = self._names[self._owners[index]].partition("\0")
        return FileEntry(self._paths[index], Kind(self._kinds[index]), self._sizes[index], self._modes[index],
                         self._uids[index], self._gids[index], user, group, self._links.get(index, ""),
                         self._mtimes[index])

    def __iter__(self) -> Iterator[FileEntry]:
        for index in range(len(self)):
            yield self[index]

    @property
    def paths(self) -> Sequence[str]:
        """Every entry's path, in order (the list itself: read it, don't change it)."""
        return self._paths

    def path(self, index: int) -> str:
        return self._paths[index]

    def kind(self, index: int) -> Kind:
        return Kind(self._kinds[index])

    def size(self, index: int) -> int:
        return self._sizes[index]

    @property
    def total_size(self) -> int:
        """The bytes of every entry's content (what the layer unpacks to, tar headers aside)."""
        return self._total_size
