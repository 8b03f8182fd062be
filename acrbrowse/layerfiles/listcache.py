"""Listings of layers already read, on disk by the layer's digest, so that opening a layer again is
instant. Only complete, verified listings are kept; compressed; the folder has its own size cap.

One file per layer: a plain header line ("acrbrowse-listing 1 <digest>"), then a zlib stream of JSON
lines, each a batch of entries as columns, and a last line {"entries": N, "crc32": C} (C over every
batch line). Written to a temp file and renamed, so a reader sees a whole file or none; a file whose
header, count, checksum or zlib stream does not hold is damaged: deleted, and a miss."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing
from acrbrowse.limits import LAYER_ENTRIES, LISTING_CACHE_BYTES, MiB

FORMAT = b"acrbrowse-listing 1"
SUFFIX = ".listing"
_DIGEST = re.compile(r"(sha256):([0-9a-f]{64})|(sha512):([0-9a-f]{128})")
_BATCH_ENTRIES = 4096
_BATCH_TEXT = 1 * MiB  # a batch with more path text than this is split: lines stay small
_LINE_BYTES = 64 * MiB  # a longer line is damage (a batch is a few MiB at most)
_READ_BYTES = 256 * 1024
_STALE_TEMP_SECONDS = 3600  # a temp file this old was left by a writer that died
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_KINDS = tuple(Kind)


class _Damaged(Exception):
    pass


class ListingCache:
    def __init__(self, root: Path, *, max_bytes: int = LISTING_CACHE_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _path(self, digest: str) -> Path | None:
        match = _DIGEST.fullmatch(digest)
        if match is None:
            return None
        return self.root / f"{match[1] or match[3]}-{match[2] or match[4]}{SUFFIX}"

    def get(self, digest: str) -> Listing | None:
        """The listing (complete, method "cache") or None; a damaged entry is deleted and is a miss."""
        path = self._path(digest)
        if path is None:
            return None
        try:
            listing = self._read(path, digest)
        except FileNotFoundError:
            return None
        except (OSError, _Damaged, ValueError, TypeError, OverflowError, RecursionError, zlib.error):
            with contextlib.suppress(OSError):  # a symlink is removed, not its target
                path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path, follow_symlinks=False)  # recently used: trimmed last
        return listing

    def put(self, digest: str, listing: Listing) -> None:
        """Keep a complete listing (an incomplete one is ignored); never raises on a full or read-only disk."""
        path = self._path(digest)
        if path is None or not listing.complete:
            return
        temp: str | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=self.root)
            with os.fdopen(fd, "wb") as handle:
                _write(handle, digest, listing)
            if os.path.getsize(temp) > self.max_bytes:
                return  # it alone would empty the cache
            os.replace(temp, path)
            temp = None
        except (OSError, ValueError, OverflowError):
            return
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        self.trim()

    def trim(self) -> None:
        """Delete the least recently used listings until the folder is within its cap."""
        listings = []
        now = time.time()
        try:
            children = list(os.scandir(self.root))
        except OSError:
            return
        for child in children:
            try:
                info = child.stat(follow_symlinks=False)
            except OSError:
                continue
            if child.name.endswith(".tmp") and now - info.st_mtime > _STALE_TEMP_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(child.path)
            elif child.name.endswith(SUFFIX):
                listings.append((info.st_mtime, info.st_size, child.path))
        total = sum(size for _, size, _ in listings)
        for _, size, path in sorted(listings):
            if total <= self.max_bytes:
                return
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size

    def _read(self, path: Path, digest: str) -> Listing:
        fd = os.open(path, _OPEN_FLAGS)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > self.max_bytes:
                raise _Damaged
            if handle.readline(300) != FORMAT + b" " + digest.encode() + b"\n":
                raise _Damaged
            return _parse(_lines(handle))


def _write(handle: IO[bytes], digest: str, listing: Listing) -> None:
    handle.write(FORMAT + b" " + digest.encode() + b"\n")
    compressor = zlib.compressobj(1)  # level 1: a third of the time of 6, a fifth bigger
    crc = 0
    for batch in _batches(listing):
        line = json.dumps(batch, separators=(",", ":")).encode() + b"\n"
        crc = zlib.crc32(line, crc)
        handle.write(compressor.compress(line))
    handle.write(compressor.compress(json.dumps({"entries": len(listing), "crc32": crc}).encode() + b"\n"))
    handle.write(compressor.flush())


def _batches(listing: Listing) -> Iterator[list[list[Any]]]:
    """The listing as column batches of a few thousand entries (no giant string in memory); entries
    with very long names go one per batch."""
    for start in range(0, len(listing), _BATCH_ENTRIES):
        columns = listing.columns(start, min(start + _BATCH_ENTRIES, len(listing)))
        paths, links = columns[0], columns[8]
        if sum(map(len, paths)) + sum(map(len, links)) <= _BATCH_TEXT:
            yield columns
        else:
            yield from ([[value] for value in entry] for entry in zip(*columns, strict=True))


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    """The zlib body's lines, each at most _LINE_BYTES; raises _Damaged for a stream that ends early
    or goes on after its end."""
    inflater = zlib.decompressobj()
    pending = b""
    while not inflater.eof:
        data = inflater.unconsumed_tail or handle.read(_READ_BYTES)
        if not data:
            raise _Damaged
        pending += inflater.decompress(data, _LINE_BYTES)
        *lines, pending = pending.split(b"\n")
        yield from lines
        if len(pending) > _LINE_BYTES:
            raise _Damaged
    if pending or inflater.unused_data or handle.read(1):
        raise _Damaged


def _parse(lines: Iterator[bytes]) -> Listing:
    listing = Listing()
    crc = 0
    for line in lines:
        record = json.loads(line)
        if isinstance(record, dict):  # the trailer: the count and checksum must hold, and nothing after it
            if record != {"entries": len(listing), "crc32": crc} or next(lines, None) is not None:
                raise _Damaged
            listing.complete = True
            listing.method = "cache"
            return listing
        crc = zlib.crc32(line + b"\n", crc)
        _add_batch(listing, record)
        if len(listing) > LAYER_ENTRIES:
            raise _Damaged
    raise _Damaged


def _add_batch(listing: Listing, columns: Any) -> None:
    if not isinstance(columns, list) or len(columns) != len(FileEntry._fields):
        raise _Damaged
    paths, kinds, _, _, _, _, users, groups, links, _ = columns
    if (any(not isinstance(column, list) or len(column) != len(paths) for column in columns)
            or not all(type(text) is str for column in (paths, users, groups, links) for text in column)
            or not all(type(kind) is int and 0 <= kind < len(_KINDS) for kind in kinds)):
        raise _Damaged
    try:
        listing.extend_columns(columns)
    except (ValueError, TypeError, OverflowError):
        raise _Damaged from None
