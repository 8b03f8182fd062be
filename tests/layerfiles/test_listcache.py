"""The listing cache on disk: what goes in comes out (as "cache"), damaged or planted files are misses
(and deleted), the folder stays under its cap, and a disk that refuses writes is no error."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing
from acrbrowse.layerfiles.listcache import FORMAT, ListingCache

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32

ODD = [
    FileEntry("etc", Kind.DIR, 0, 0o755, 0, 0, "root", "root", "", 1_700_000_000),
    FileEntry("etc/passwd", Kind.FILE, 1234, 0o644, 0, 0, "root", "root", "", 1_700_000_001),
    FileEntry("usr/bin/sh", Kind.SYMLINK, 0, 0o777, 0, 0, "", "", "/bin/busybox", 0),
    FileEntry("usr/bin/ash", Kind.HARDLINK, 0, 0o755, 0, 0, "", "", "usr/bin/sh", -5),
    FileEntry("dev/null", Kind.CHAR, 0, 0o666),
    FileEntry("dev/sda", Kind.BLOCK),
    FileEntry("run/fifo", Kind.FIFO),
    FileEntry("var/cache", Kind.WHITEOUT),
    FileEntry("opt", Kind.OPAQUE),
    FileEntry("odd", Kind.OTHER),
    FileEntry("\x1b[31mred\x07\n\t\\\"line\x00", Kind.FILE, 2**63 - 1, 0o7777, 2**32 - 1, 2**32 - 1,
              "\x1b]0;x\x07", "grüppe", "", 2**62),
    FileEntry("bad-utf8-\udcff\ud800", Kind.FILE, 1, 0o644, 7, 8, "\udcfe", "", "\udcfd", -(2**62)),
    FileEntry("名前/ファイル 😀", Kind.FILE, 3),
    FileEntry("long/" + "x" * 1_500_000, Kind.SYMLINK, link="y" * 700_000),  # past a batch's text: alone
    FileEntry("after/the/long/one", Kind.FILE, 9),
]


def listing_of(entries, complete: bool = True) -> Listing:
    listing = Listing(entries)
    listing.complete = complete
    return listing


def many(count: int) -> Listing:
    return listing_of(FileEntry(f"usr/share/doc/package-{i // 50}/file-{i}.txt", Kind.FILE, i * 7, 0o644, i % 3, 0,
                                "root", "root", "", 1_700_000_000 + i) for i in range(count))


def the_file(root: Path) -> Path:
    [path] = [child for child in root.iterdir() if not child.name.endswith(".tmp")]
    return path


def test_a_listing_comes_back_as_it_went_in(tmp_path):
    cache = ListingCache(tmp_path)
    cache.put(DIGEST, listing_of(ODD))
    back = cache.get(DIGEST)
    assert back is not None and back.complete and back.method == "cache"
    assert list(back) == list(listing_of(ODD))  # as the Listing holds them (its clamps applied)
    assert the_file(tmp_path).name == "sha256-" + "ab" * 32 + ".listing"
    assert the_file(tmp_path).read_bytes().startswith(FORMAT + b" " + DIGEST.encode() + b"\n")


def test_many_entries_come_back_over_several_batches(tmp_path):
    cache = ListingCache(tmp_path)
    cache.put(DIGEST, many(20_000))
    back = cache.get(DIGEST)
    assert back is not None and len(back) == 20_000
    assert list(back) == list(many(20_000))
    assert cache.get(OTHER) is None  # another layer: a miss


def test_an_empty_listing_is_kept(tmp_path):
    cache = ListingCache(tmp_path)
    cache.put(DIGEST, listing_of([]))
    back = cache.get(DIGEST)
    assert back is not None and len(back) == 0 and back.complete


def test_an_incomplete_listing_is_not_kept(tmp_path):
    cache = ListingCache(tmp_path)
    cache.put(DIGEST, listing_of(ODD, complete=False))
    assert cache.get(DIGEST) is None
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("digest", ["sha256:" + "AB" * 32, "sha256:../../etc", "md5:" + "0" * 32, "sha256:abc", "",
                                    "sha256:" + "ab" * 32 + "\n", "sha512:" + "ab" * 32])
def test_a_digest_that_cannot_be_is_never_a_path(tmp_path, digest):
    cache = ListingCache(tmp_path / "cache")
    cache.put(digest, listing_of(ODD))
    assert cache.get(digest) is None
    assert not (tmp_path / "cache").exists()


def test_a_sha512_digest_is_kept_too(tmp_path):
    cache = ListingCache(tmp_path)
    digest = "sha512:" + "ef" * 64
    cache.put(digest, listing_of(ODD[:3]))
    assert list(cache.get(digest) or []) == ODD[:3]


# ---- damage and planted files: a miss, and the file is gone -----------------------------------------

def body(*lines: bytes) -> bytes:
    return zlib.compress(b"".join(line + b"\n" for line in lines))


def batch_line(*entries: FileEntry) -> bytes:
    return json.dumps([list(column) for column in zip(*entries, strict=True)]).encode()


def trailer(count: int, *lines: bytes) -> bytes:
    crc = 0
    for line in lines:
        crc = zlib.crc32(line + b"\n", crc)
    return json.dumps({"entries": count, "crc32": crc}).encode()


HEADER = FORMAT + b" " + DIGEST.encode() + b"\n"
GOOD = batch_line(*ODD[:3])
KINDLESS = b'[["a"],[99],[0],[0],[0],[0],[""],[""],[""],[0]]'
TYPELESS = b'[["a"],[0],["big"],[0],[0],[0],[""],[""],[""],[0]]'
PATHLESS = b'[[7],[0],[0],[0],[0],[0],[""],[""],[""],[0]]'
DEEP = b"[" * 200_000 + b"]" * 200_000

DAMAGED = {
    "truncated": lambda good: good[:len(good) // 2],
    "a flipped byte": lambda good: good[:len(HEADER) + 10] + bytes([good[len(HEADER) + 10] ^ 0x40]) + good[len(HEADER) + 11:],
    "bytes after the stream": lambda good: good + b"more",
    "another layer's header": lambda good: FORMAT + b" " + OTHER.encode() + b"\n" + good[len(HEADER):],
    "another format version": lambda good: good.replace(b"acrbrowse-listing 1", b"acrbrowse-listing 9", 1),
    "no header": lambda good: good[len(HEADER):],
    "empty": lambda good: b"",
    "a wrong checksum": lambda good: HEADER + body(GOOD, json.dumps({"entries": 3, "crc32": 1}).encode()),
    "a wrong count": lambda good: HEADER + body(GOOD, trailer(4, GOOD)),
    "no trailer": lambda good: HEADER + body(GOOD),
    "lines after the trailer": lambda good: HEADER + body(GOOD, trailer(3, GOOD), GOOD),
    "a kind out of range": lambda good: HEADER + body(KINDLESS, trailer(1, KINDLESS)),
    "a size that is text": lambda good: HEADER + body(TYPELESS, trailer(1, TYPELESS)),
    "a path that is a number": lambda good: HEADER + body(PATHLESS, trailer(1, PATHLESS)),
    "nested 200,000 deep": lambda good: HEADER + body(DEEP, trailer(0, DEEP)),
    "not JSON": lambda good: HEADER + body(b"{nope", trailer(0, b"{nope")),
    "a zlib bomb of one line": lambda good: HEADER + zlib.compress(b"x" * (80 * 1024 * 1024)),
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_file_is_a_miss_and_is_deleted(tmp_path, damage):
    cache = ListingCache(tmp_path)
    cache.put(DIGEST, listing_of(ODD[:3]))
    path = the_file(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(DIGEST) is None
    assert not path.exists()
    cache.put(DIGEST, listing_of(ODD[:3]))  # and the next read of the layer writes it anew
    assert list(cache.get(DIGEST) or []) == ODD[:3]


def test_a_file_larger_than_the_cap_is_not_read(tmp_path):
    cache = ListingCache(tmp_path, max_bytes=10 * 1024 * 1024)
    cache.put(DIGEST, listing_of(ODD[:3]))
    path = the_file(tmp_path)
    with path.open("ab") as handle:
        handle.truncate(11 * 1024 * 1024)
    assert cache.get(DIGEST) is None and not path.exists()


def test_a_planted_symlink_is_removed_not_followed(tmp_path):
    cache = ListingCache(tmp_path / "cache")
    cache.put(OTHER, listing_of(ODD[:3]))
    target = the_file(tmp_path / "cache")
    (tmp_path / "cache" / target.name.replace("cd" * 32, "ab" * 32)).symlink_to(target)
    assert cache.get(DIGEST) is None
    assert list(cache.get(OTHER) or []) == ODD[:3]  # the target is untouched


def test_a_planted_fifo_is_no_hang(tmp_path):
    cache = ListingCache(tmp_path)
    cache.put(OTHER, listing_of([]))
    fifo = tmp_path / ("sha256-" + "ab" * 32 + ".listing")
    os.mkfifo(fifo)
    assert cache.get(DIGEST) is None
    assert not fifo.exists()


def test_a_planted_directory_is_a_miss(tmp_path):
    cache = ListingCache(tmp_path)
    (tmp_path / ("sha256-" + "ab" * 32 + ".listing")).mkdir()
    assert cache.get(DIGEST) is None
    cache.put(DIGEST, listing_of(ODD[:3]))  # the rename over a directory fails: no error
    assert cache.get(DIGEST) is None


# ---- the cap, and disks that refuse ------------------------------------------------------------------

def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def test_the_oldest_listings_go_first_past_the_cap(tmp_path):
    cache = ListingCache(tmp_path, max_bytes=10**9)
    for n in range(5):
        cache.put(digest(n), many(2_000))
        os.utime(cache._path(digest(n)), (time.time() - 1000 + n, time.time() - 1000 + n))  # type: ignore[arg-type]
    size = os.path.getsize(cache._path(digest(0)))  # type: ignore[arg-type]  # each the same
    assert cache.get(digest(0)) is not None  # used now: the newest
    cache.max_bytes = 4 * size + size // 2
    cache.put(digest(5), many(2_000))
    kept = sorted(path.name[7:-8] for path in tmp_path.iterdir())
    assert kept == [f"{n:064x}" for n in (0, 3, 4, 5)]  # 1 and 2 were the least recently used


def test_a_listing_bigger_than_the_whole_cap_is_not_kept(tmp_path):
    cache = ListingCache(tmp_path, max_bytes=1000)
    cache.put(digest(1), listing_of(ODD[:2]))
    cache.put(digest(2), many(2_000))
    assert cache.get(digest(2)) is None
    assert cache.get(digest(1)) is not None


def test_stale_temp_files_are_swept_fresh_ones_kept(tmp_path):
    cache = ListingCache(tmp_path)
    stale, fresh = tmp_path / ".sha256-x.listing.abc.tmp", tmp_path / ".sha256-y.listing.def.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    cache.put(DIGEST, listing_of(ODD[:2]))
    assert not stale.exists() and fresh.exists()


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a folder")
    cache = ListingCache(blocker / "listings")
    cache.put(DIGEST, listing_of(ODD))
    assert cache.get(DIGEST) is None


def test_writing_streams_in_batches(tmp_path):
    """200,000 entries (~20 MB of JSON) are written without the whole body ever in memory."""
    listing = many(200_000)
    cache = ListingCache(tmp_path)
    tracemalloc.start()
    try:
        cache.put(DIGEST, listing)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
    assert len(cache.get(DIGEST) or []) == 200_000


def test_a_file_listing_more_than_the_limit_is_damage(tmp_path, monkeypatch):
    from acrbrowse.layerfiles import listcache

    cache = ListingCache(tmp_path)
    cache.put(DIGEST, many(10_000))
    monkeypatch.setattr(listcache, "LAYER_ENTRIES", 5_000)  # the limit: 2,000,000 entries take seconds
    assert cache.get(DIGEST) is None
    assert list(tmp_path.iterdir()) == []
