"""LayerReader against layers made to hurt: cut short, damaged, lying about sizes, stuffed with
metadata, bombs. Each is refused with one line (UnreadableLayer), or read within bounds."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import tracemalloc
import zlib
from typing import Literal

import pytest
import zstandard

from acrbrowse.layerfiles import tar as tar_module
from acrbrowse.layerfiles.decompress import OUTPUT_CHUNK
from acrbrowse.layerfiles.entries import FileEntry
from acrbrowse.layerfiles.reader import LayerReader
from acrbrowse.limits import TAR_ENTRY_BYTES, TAR_META_BYTES, MiB
from acrbrowse.oci.errors import UnreadableLayer

from .layers import OCI_TAR, OCI_TAR_GZIP, OCI_TAR_ZSTD, build_tar, compress, directory, file, tarfile_listing

TAR = build_tar([directory("etc"), file("etc/a", b"a" * 700), file("etc/b", b"b" * 1500), file("etc/c", b"c")])
# Offsets in TAR (ustar, no pax records for these names): header, data, header, data, …
A_HEADER, B_HEADER, C_HEADER = 512, 512 * 4, 512 * 8


def read_all(blob: bytes, media: str = OCI_TAR_GZIP, chunk: int = 4096) -> list[FileEntry]:
    reader = LayerReader(media)
    entries = []
    for start in range(0, len(blob), chunk):
        entries += reader.feed(blob[start:start + chunk])
    return entries + reader.finish()


def header(name: str, size: int, kind: bytes = tarfile.REGTYPE,
           tar_format: Literal[0, 1, 2] = tarfile.GNU_FORMAT) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(tar_format, "utf-8", "surrogateescape")


def test_the_fixture_layout_is_as_the_offsets_say():
    assert [e.path for e in tarfile_listing(TAR)] == ["etc", "etc/a", "etc/b", "etc/c"]
    assert TAR[B_HEADER:B_HEADER + 5] == b"etc/b" and TAR[C_HEADER:C_HEADER + 5] == b"etc/c"


# ---- cut short ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cut", [A_HEADER + 100, A_HEADER + 512 + 300, B_HEADER + 512 + 1024, C_HEADER + 511])
@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_a_tar_cut_short_says_where(cut, compression):
    with pytest.raises(UnreadableLayer, match=r"^the layer ends inside .*\(truncated\)$"):
        read_all(compress(TAR[:cut], compression), OCI_TAR)


def test_a_cut_inside_a_file_names_the_file():
    with pytest.raises(UnreadableLayer, match='inside the file "etc/b"'):
        read_all(TAR[:B_HEADER + 600], OCI_TAR)


def test_a_gzip_stream_cut_short_is_truncated_even_at_a_header_boundary():
    # The tar cut cleanly at a header, in a whole gzip stream, is a short archive (as Go's tar reads it)…
    whole = gzip.compress(TAR[:C_HEADER])
    assert [e.path for e in read_all(whole)] == ["etc", "etc/a", "etc/b"]
    # …but not when the gzip stream itself is cut, even after the last byte of the tar (its trailer is missing).
    for cut in (20, len(whole) // 2, len(whole) - 9, len(whole) - 4, len(whole) - 1):
        with pytest.raises(UnreadableLayer, match="truncated"):
            read_all(whole[:cut])
    with pytest.raises(UnreadableLayer, match="gzip stream is cut short"):
        read_all(whole[:-1])


def test_a_gzip_stream_that_stops_inside_a_pax_header():
    tar = build_tar([file("p" * 200, b"x")])  # a pax 'x' record first
    with pytest.raises(UnreadableLayer, match="inside a tar header"):
        read_all(gzip.compress(tar[:700]))


# ---- damaged -----------------------------------------------------------------------------------------

def test_a_bad_checksum_names_the_entry_before_it():
    damaged = bytearray(TAR)
    damaged[B_HEADER + 100] ^= 0x01  # the mode field of etc/b
    with pytest.raises(UnreadableLayer, match=r'damaged header after "etc/a" \(bad checksum\)'):
        read_all(compress(bytes(damaged), "zstd"), OCI_TAR_ZSTD)


def test_a_path_in_a_message_is_terminal_safe():
    tar = build_tar([file("\x1b]52;c;ZXZpbA==\x07\u202eevil", b"x"), file("next", b"y")])
    damaged = bytearray(tar)
    at = tar.index(b"next")
    damaged[at] ^= 0x20
    with pytest.raises(UnreadableLayer) as caught:
        read_all(bytes(damaged), OCI_TAR)
    message = str(caught.value)
    assert "\\x1b]52" in message and "\\u202e" in message
    assert "\x1b" not in message and "\u202e" not in message and "\x07" not in message


NOISE = random.Random(15).randbytes(4096)


@pytest.mark.parametrize("garbage", [NOISE, bytes(100) + NOISE[:900], b'{"not": "a tar"}'],
                         ids=["noise", "zeros-then-noise", "json"])
def test_garbage_is_not_a_tar(garbage):
    with pytest.raises(UnreadableLayer, match="not a tar archive"):
        read_all(garbage.lstrip(b"\x1f\x28\xfd"), OCI_TAR_GZIP)


def test_garbage_after_a_gzip_magic_is_a_damaged_gzip_stream():
    with pytest.raises(UnreadableLayer, match="gzip stream is damaged"):
        read_all(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8)


def test_garbage_between_gzip_members_before_the_archive_ended():
    half = len(TAR) // 2
    blob = gzip.compress(TAR[:half]) + b"NOT GZIP" * 10 + gzip.compress(TAR[half:])
    with pytest.raises(UnreadableLayer, match="gzip stream is damaged"):
        read_all(blob)


def test_a_damaged_zstd_stream():
    blob = bytearray(compress(TAR, "zstd"))
    blob[6:40] = bytes(34)
    with pytest.raises(UnreadableLayer, match="zstd stream is damaged"):
        read_all(bytes(blob), OCI_TAR_ZSTD)


def test_an_entry_after_one_end_of_archive_block():
    with pytest.raises(UnreadableLayer, match="after an end-of-archive block"):
        read_all(TAR[:C_HEADER] + bytes(512) + TAR[C_HEADER:], OCI_TAR)


@pytest.mark.parametrize("record", [b"11 path=abc\n", b"99 path=abc\n", b"x path=a\n", b"9 pathabc\n"])
def test_a_damaged_pax_record(record):
    blob = header("././@PaxHeader", len(record), tarfile.XHDTYPE) + record.ljust(512, b"\0") + TAR[A_HEADER:]
    with pytest.raises(UnreadableLayer, match="damaged pax header"):
        read_all(blob, OCI_TAR)


def test_a_pax_size_that_is_no_number():
    record = b"14 size=12a45\n"
    blob = TAR[:A_HEADER] + header("x", len(record), tarfile.XHDTYPE) + record.ljust(512, b"\0") + TAR[A_HEADER:]
    with pytest.raises(UnreadableLayer, match='bad size in a pax header after "etc"'):
        read_all(blob, OCI_TAR)


# ---- lying sizes, stuffed metadata ---------------------------------------------------------------

def test_a_header_claiming_two_to_the_sixty_bytes():
    blob = gzip.compress(TAR[:A_HEADER] + header("huge", 2**60) + bytes(4096))
    with pytest.raises(UnreadableLayer, match=f"claims an entry of {2**60:,} bytes"):
        read_all(blob)


def test_a_pax_size_past_the_limit():
    text = f"size={TAR_ENTRY_BYTES + 1}\n"
    record = f"{len(text) + 3} {text}".encode()
    blob = header("x", len(record), tarfile.XHDTYPE) + record.ljust(512, b"\0") + TAR[A_HEADER:]
    with pytest.raises(UnreadableLayer, match="claims an entry of"):
        read_all(blob, OCI_TAR)


def test_a_negative_size():
    block = bytearray(header("neg", 0))
    block[124:136] = b"\xff" * 12  # base-256: -1
    block[148:156] = b"        "
    block[148:155] = f"{sum(block):06o}\0".encode()
    with pytest.raises(UnreadableLayer, match="claims an entry of -1 bytes"):
        read_all(bytes(block) + bytes(1024), OCI_TAR)


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK])
def test_a_ten_mebibyte_metadata_record_is_refused_before_it_is_read(kind):
    reader = LayerReader(OCI_TAR_GZIP)
    # Only the header arrives: the refusal comes from the size it claims, not from reading 10 MiB.
    with pytest.raises(UnreadableLayer, match="metadata record over 1 MiB"):
        reader.feed(gzip.compress(header("meta", 10 * MiB, kind)))


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE])
def test_pax_records_piling_up_past_the_limit(kind):
    def pax(key: str) -> bytes:
        text = f"{key}={'v' * 600_000}\n"
        record = f"{len(text) + 7} {text}".encode()
        return header("pax", len(record), kind) + record.ljust(-(-len(record) // 512) * 512, b"\0")

    with pytest.raises(UnreadableLayer, match="pax records over 1 MiB"):
        read_all(gzip.compress(pax("comment") + pax("other") + TAR[A_HEADER:]))
    assert len(read_all(gzip.compress(pax("comment") + pax("comment") + TAR[A_HEADER:]))) == 3  # replaced, not piled


def test_metadata_just_under_the_limit_is_read():
    name = "n/" * ((TAR_META_BYTES - 4096) // 2) + "end"
    tar = build_tar([file(name, b"x"), file("after", b"y")])
    entries = read_all(compress(tar, "zstd"), OCI_TAR_ZSTD, chunk=100_000)
    assert [e.path for e in entries] == ["/".join(["n"] * ((TAR_META_BYTES - 4096) // 2) + ["end"]), "after"]


def test_more_entries_than_the_limit(monkeypatch):
    monkeypatch.setattr(tar_module, "LAYER_ENTRIES", 10)
    assert len(read_all(build_tar([file(f"f{n}") for n in range(10)]), OCI_TAR)) == 10
    with pytest.raises(UnreadableLayer, match="more than 10 files"):
        read_all(build_tar([file(f"f{n}") for n in range(11)]), OCI_TAR)


# ---- bombs -------------------------------------------------------------------------------------------

GiB = 1024 * MiB


def zeros_gzip(size: int) -> bytes:
    """`size` zero bytes as gzip members of 64 MiB each (compressed once, repeated: cheap to make)."""
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    one = member.compress(bytes(64 * MiB)) + member.flush()
    return one * (size // (64 * MiB))


def feed_watching_memory(reader: LayerReader, blob: bytes, chunk: int = 64 * 1024) -> tuple[list[FileEntry], int]:
    """The entries, and the most Python memory held at once while feeding (tracemalloc's peak)."""
    tracemalloc.start()
    try:
        entries = []
        for start in range(0, len(blob), chunk):
            entries += reader.feed(blob[start:start + chunk])
        entries += reader.finish()
        return entries, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zstd_bomb_inside_a_file_is_read_in_bounded_pieces():
    # A 1 GiB file of zeros, a few kilobytes compressed: all of it must be decompressed to reach the next header.
    tar_head = header("zeros", GiB, tar_format=tarfile.USTAR_FORMAT)
    compressor = zstandard.ZstdCompressor(level=3)
    writer = io.BytesIO()
    with compressor.stream_writer(writer, closefd=False) as stream:
        stream.write(tar_head)
        for _ in range(GiB // (64 * MiB)):
            stream.write(bytes(64 * MiB))
        stream.write(build_tar([file("after", b"!")]))
    blob = writer.getvalue()
    assert len(blob) < 200 * 1024
    reader = LayerReader(OCI_TAR_ZSTD)
    entries, peak = feed_watching_memory(reader, blob)
    assert [(e.path, e.size) for e in entries] == [("zeros", GiB), ("after", 1)]
    assert reader.unpacked_bytes > GiB
    assert peak < 4 * OUTPUT_CHUNK


def test_a_gzip_bomb_inside_a_file_is_read_in_bounded_pieces():
    blob = gzip.compress(header("zeros", GiB, tar_format=tarfile.USTAR_FORMAT)) + zeros_gzip(GiB) \
        + gzip.compress(build_tar([file("after", b"!")]))
    assert len(blob) < 2 * MiB
    reader = LayerReader(OCI_TAR_GZIP)
    entries, peak = feed_watching_memory(reader, blob, chunk=1 * MiB)
    assert [e.path for e in entries] == ["zeros", "after"]
    assert peak < 4 * OUTPUT_CHUNK + 2 * MiB  # the chunk fed, and bounded output


def test_a_bomb_of_zeros_after_the_archive_is_not_decompressed():
    blob = gzip.compress(TAR) + zeros_gzip(GiB)
    reader = LayerReader(OCI_TAR_GZIP)
    entries, _ = feed_watching_memory(reader, blob)
    assert len(entries) == 4
    assert reader.unpacked_bytes < 2 * OUTPUT_CHUNK


def test_a_bomb_of_zeros_alone_is_an_empty_archive_read_no_further():
    blob = zstandard.ZstdCompressor().compress(bytes(256 * MiB))
    reader = LayerReader(OCI_TAR_ZSTD)
    assert feed_watching_memory(reader, blob)[0] == []
    assert reader.unpacked_bytes <= OUTPUT_CHUNK


def test_gzip_members_that_end_on_a_full_output_chunk():
    tar = build_tar([file("exact", size=OUTPUT_CHUNK - 512), file("next", b"!")])  # first member: exactly one chunk
    blob = gzip.compress(tar[:OUTPUT_CHUNK]) + gzip.compress(tar[OUTPUT_CHUNK:])
    for chunk in (len(gzip.compress(tar[:OUTPUT_CHUNK])), 4096, len(blob)):
        assert [e.path for e in read_all(blob, chunk=chunk)] == ["exact", "next"]
    whole_tar_in_one_chunk = gzip.compress(tar[:OUTPUT_CHUNK])  # a short archive, ending at a header
    assert [e.path for e in read_all(whole_tar_in_one_chunk, chunk=len(whole_tar_in_one_chunk))] == ["exact"]
