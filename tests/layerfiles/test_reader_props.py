"""Property tests of LayerReader: any chunking of a blob gives the same entries; any archive tarfile
writes reads as tarfile reads it back; any damage to a layer gives UnreadableLayer or a listing,
never another exception."""

from __future__ import annotations

import tarfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrbrowse.layerfiles.entries import FileEntry
from acrbrowse.layerfiles.reader import LayerReader
from acrbrowse.layerfiles.tar import plain_header
from acrbrowse.oci.errors import UnreadableLayer

from .layers import (
    COMPRESSIONS,
    Member,
    build_tar,
    compress,
    directory,
    file,
    hardlink,
    media_type,
    opaque,
    symlink,
    tarfile_listing,
    whiteout,
)

SETTINGS = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Name parts biased towards what tar formats and the whiteout rules care about; long ones force
# pax 'x' or GNU 'L'/'K' records.
PARTS = st.one_of(
    st.sampled_from(["usr", "bin", ".", "..", ".wh.gone", ".wh..wh..opq", ".wh.", "ünï", "名前", "\x1b[0m", "\u202e",
                     "a b", "tab\there", "x" * 120, "é" * 70]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00/"), min_size=1,
            max_size=12),
)
NAMES = st.lists(PARTS, min_size=1, max_size=4).map("/".join)
OWNERS = st.sampled_from([(0, 0, "root", "root"), (1000, 100, "ünï", "staff"), (2**21 + 5, 65534, "", "nogroup")])


@st.composite
def members(draw) -> Member:
    name = draw(NAMES)
    uid, gid, user, group = draw(OWNERS)
    meta = {"uid": uid, "gid": gid, "user": user, "group": group, "mode": draw(st.integers(0, 0o7777)),
            "mtime": draw(st.integers(0, 2**33))}
    kind = draw(st.sampled_from(["file", "dir", "symlink", "hardlink", "whiteout", "opaque"]))
    if kind == "file":
        return file(name, draw(st.binary(max_size=1200)), **meta)
    if kind == "dir":
        return directory(name, **meta)
    if kind == "symlink":
        return symlink(name, draw(NAMES), **meta)
    if kind == "hardlink":
        return hardlink(name, draw(NAMES), **meta)
    return whiteout(name, **meta) if kind == "whiteout" else opaque(name, **meta)


ARCHIVES = st.tuples(st.lists(members(), max_size=12), st.sampled_from(["pax", "gnu"]))


def read_in(blob: bytes, media: str, cuts: list[int]) -> list[FileEntry]:
    """The blob fed in pieces cut at `cuts` (positions, any order, repeats make empty pieces)."""
    reader = LayerReader(media)
    entries, start = [], 0
    for cut in sorted(cut % (len(blob) + 1) for cut in cuts):
        entries += reader.feed(blob[start:cut])
        start = cut
    entries += reader.feed(blob[start:])
    return entries + reader.finish()


@SETTINGS
@given(ARCHIVES, st.sampled_from(COMPRESSIONS), st.lists(st.integers(min_value=0), max_size=40))
def test_any_chunking_gives_the_same_entries_as_tarfile(archive, compression, cuts):
    entries, tar_format = archive
    tar = build_tar(entries, format=tar_format)
    blob = compress(tar, compression)
    expected = tarfile_listing(tar)
    assert read_in(blob, media_type(compression), cuts) == expected
    assert read_in(blob, media_type(compression), list(range(0, len(blob), 1 + len(blob) // 500))) == expected


@SETTINGS
@given(ARCHIVES, st.sampled_from(COMPRESSIONS), st.data())
def test_damage_gives_unreadable_layer_or_a_listing(archive, compression, data):
    entries, tar_format = archive
    blob = bytearray(compress(build_tar(entries, format=tar_format), compression))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(blob)))
    try:
        listing = read_in(bytes(blob[:cut]), media_type(compression), data.draw(st.lists(st.integers(0), max_size=5)))
    except UnreadableLayer as error:
        assert "\n" not in str(error) and "\x1b" not in str(error)
    else:
        assert all(isinstance(entry, FileEntry) for entry in listing)


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from(COMPRESSIONS))
def test_any_bytes_give_unreadable_layer_or_a_listing(garbage, compression):
    try:
        listing = read_in(garbage, media_type(compression), [7, 513])
    except UnreadableLayer as error:
        assert "\n" not in str(error)
    else:  # garbage that happens to be a tar (an empty one, all zeros)
        assert all(isinstance(entry, FileEntry) for entry in listing)


def _header_fields(info: tarfile.TarInfo) -> tuple:
    return (info.name, info.mode, info.uid, info.gid, info.size, info.mtime, info.chksum, info.type, info.linkname,
            info.uname, info.gname, info.devmajor, info.devminor)


HEADER_NAMES = st.one_of(NAMES, st.text(max_size=300), st.just("dir/"), st.just("a" * 99 + "/"))


@st.composite
def header_blocks(draw) -> bytes:
    """A header tarfile writes (any format, type, numbers), then maybe damaged."""
    info = tarfile.TarInfo(draw(HEADER_NAMES))
    info.type = draw(st.sampled_from([tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE,
                                      tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE, tarfile.CONTTYPE,
                                      tarfile.GNUTYPE_SPARSE, b"Z"]))
    info.linkname = draw(st.sampled_from(["", "target", "../up/" * 20]))
    info.size = draw(st.sampled_from([0, 1, 511, 8**11 - 1, 8**11, 2**40]))  # 8**11: base-256 in GNU
    info.mode, info.uid, info.gid = draw(st.integers(0, 0o7777)), draw(st.integers(0, 2**22)), draw(st.integers(0, 9))
    info.mtime = draw(st.sampled_from([0, 1_700_000_000, 8**11 + 3]))
    info.uname, info.gname = draw(st.sampled_from(["", "root", "ünï"])), "staff"
    tar_format = draw(st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]))
    try:
        raw = info.tobuf(tar_format, "utf-8", "surrogateescape")
    except ValueError:  # what ustar cannot hold
        raw = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    blocks = [raw[at:at + 512] for at in range(0, len(raw), 512)]
    block = bytearray(draw(st.sampled_from(blocks)))  # a pax or long-name header, or the member's own
    for _ in range(draw(st.integers(0, 3))):
        block[draw(st.integers(0, 511))] = draw(st.sampled_from([0, 0x20, 0x30, 0x37, 0x38, 0x80, 0xFF, 0x2F]))
    if draw(st.booleans()):  # a damaged field whose checksum is right again
        unsigned = sum(block) - sum(block[148:156]) + 256
        block[148:156] = b"%06o\0 " % unsigned
    return bytes(block)


@settings(max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_blocks())
def test_the_plain_header_fast_path_decodes_as_frombuf_does(block):
    try:
        expected = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        assert plain_header(block) is None
        return
    fast = plain_header(block)
    if fast is not None:
        assert _header_fields(fast) == _header_fields(expected)
