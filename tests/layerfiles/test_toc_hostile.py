"""Tables of contents a hostile or broken registry could serve (each pushed as a real blob, read from a
real registry): an UnreadableLayer, a listing, or None (stream instead), never a crash or a hang."""

from __future__ import annotations

import gzip
import json
import tarfile

import pytest

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing
from acrbrowse.layerfiles.toc import read_toc
from acrbrowse.limits import TOC_BYTES, MiB
from acrbrowse.oci.errors import UnreadableLayer
from acrbrowse.oci.remote.client import RegistryClient

from .stargz import (
    GZIP_LAYER,
    TOC_DIGEST,
    ZSTD_POSITION,
    Layer,
    push,
    scratch_registry,
    write_estargz,
    write_zstd_chunked,
)

__all__ = ["scratch_registry"]  # the module's registry fixture


async def listed(registry, fault_proxy, layer: Layer, **annotations: str) -> tuple[Listing | None | UnreadableLayer, int]:
    """(what read_toc gave or raised, the requests it sent)."""
    repository = push(registry, layer, "hostile-toc")
    proxy = fault_proxy(registry.anon.host)
    result: Listing | None | UnreadableLayer
    async with RegistryClient(proxy.host) as client:
        try:
            result = await read_toc(client, repository, layer.descriptor(**annotations))
        except UnreadableLayer as exc:
            result = exc
    return result, len(proxy.log)


def unreadable(result, message: str) -> bool:
    return isinstance(result, UnreadableLayer) and message in str(result) and "\n" not in str(result)


# ---- footers -------------------------------------------------------------------------------------

async def test_a_footer_pointing_past_the_blob(scratch_registry, fault_proxy):
    result, requests = await listed(scratch_registry, fault_proxy, write_estargz(footer_offset=2**63 - 1))
    assert unreadable(result, "its eStargz footer points outside the layer") and requests == 1


async def test_a_footer_pointing_at_a_file_instead_of_the_toc(scratch_registry, fault_proxy):
    result, requests = await listed(scratch_registry, fault_proxy, write_estargz(footer_offset=0))
    assert unreadable(result, "holds no stargz.index.json") and requests == 2


async def test_a_footer_pointing_into_the_middle_of_a_member(scratch_registry, fault_proxy):
    result, _ = await listed(scratch_registry, fault_proxy, write_estargz(footer_offset=7))
    assert unreadable(result, "its eStargz table of contents is not gzip")


async def test_a_gzip_layer_with_no_footer(scratch_registry, fault_proxy):
    layer = Layer(gzip.compress(bytes(range(256)) * 8), GZIP_LAYER, {TOC_DIGEST: "sha256:" + "0" * 64})
    result, requests = await listed(scratch_registry, fault_proxy, layer)
    assert unreadable(result, "has an eStargz annotation but no eStargz footer") and requests == 1


async def test_a_blob_too_small_to_hold_a_footer_is_not_asked_for(scratch_registry, fault_proxy):
    layer = Layer(b"tiny", GZIP_LAYER, {TOC_DIGEST: "sha256:" + "0" * 64})
    result, requests = await listed(scratch_registry, fault_proxy, layer)
    assert unreadable(result, "is too small to be an eStargz layer") and requests == 0


async def test_a_zstd_footer_without_its_magic(scratch_registry, fault_proxy):
    good = write_zstd_chunked(estargz_variant=True)
    layer = Layer(good.data[:-8] + b"NOTMAGIC", good.media_type, good.annotations)
    result, requests = await listed(scratch_registry, fault_proxy, layer)
    assert unreadable(result, "has a zstd:chunked annotation but no zstd:chunked footer") and requests == 1


async def test_a_zstd_position_past_the_blob_is_not_asked_for(scratch_registry, fault_proxy):
    layer = write_zstd_chunked()
    result, requests = await listed(scratch_registry, fault_proxy, layer,
                                    **{ZSTD_POSITION: f"{len(layer.data) - 10}:11:100:1"})
    assert unreadable(result, "its zstd:chunked position points outside the layer") and requests == 0


# ---- tables of contents past the limit: None (the caller streams the layer) -------------------------

async def test_a_zstd_toc_claimed_bigger_than_the_limit_is_not_asked_for(scratch_registry, fault_proxy):
    layer = write_zstd_chunked()
    for claim in (f"{layer.toc_start}:{100 * MiB}:2000:1", f"{layer.toc_start}:500:{100 * MiB}:1"):
        result, requests = await listed(scratch_registry, fault_proxy, layer, **{ZSTD_POSITION: claim})
        assert result is None and requests == 0


async def test_an_estargz_toc_entry_claiming_100_mib(scratch_registry, fault_proxy):
    info = tarfile.TarInfo("stargz.index.json")
    info.size = 100 * MiB
    member = gzip.compress(info.tobuf(tarfile.USTAR_FORMAT) + b'{"version":1,"entries":[]}')
    result, requests = await listed(scratch_registry, fault_proxy, write_estargz(toc_member=member))
    assert result is None and requests == 2


async def test_an_estargz_toc_that_inflates_past_the_limit(scratch_registry, fault_proxy):
    info = tarfile.TarInfo("stargz.index.json")
    info.size = TOC_BYTES + MiB
    member = gzip.compress(info.tobuf(tarfile.USTAR_FORMAT) + bytes(info.size), compresslevel=1)  # ~70 KiB
    result, requests = await listed(scratch_registry, fault_proxy, write_estargz(toc_member=member))
    assert result is None and requests == 2


async def test_a_zstd_toc_that_inflates_past_the_limit(scratch_registry, fault_proxy):
    import zstandard

    bomb = zstandard.ZstdCompressor().compress(bytes(TOC_BYTES + MiB))
    result, requests = await listed(scratch_registry, fault_proxy, write_zstd_chunked(toc_frame=bomb))
    assert result is None and requests == 1


# ---- tables of contents that are not ---------------------------------------------------------------

NOT_TOCS = {
    "not JSON": (b"\x00garbage {", "is not JSON"),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "is not JSON"),
    "a 5,000-digit number": (b'{"entries":[{"name":"a","size":' + b"9" * 5000 + b"}]}", "is not JSON"),
    "not UTF-8": (b'{"entries":[{"name":"\xff\xfe"}]}', "is not JSON"),
    "an array": (b"[1, 2]", "lists no entries"),
    "entries not a list": (b'{"entries": {"a": 1}}', "lists no entries"),
    "an entry not an object": (b'{"entries": [{"name": "a"}, 7]}', "has an entry that is not an object"),
}


@pytest.mark.parametrize(("toc_json", "message"), NOT_TOCS.values(), ids=NOT_TOCS.keys())
async def test_a_toc_that_is_not_a_toc(scratch_registry, fault_proxy, toc_json, message):
    for layer, toc_format in ((write_estargz(toc_json=toc_json), "eStargz"),
                              (write_zstd_chunked(toc_json=toc_json), "zstd:chunked")):
        result, _ = await listed(scratch_registry, fault_proxy, layer)
        assert unreadable(result, f"its {toc_format} table of contents {message}"), result


async def test_a_zstd_toc_that_is_not_zstd(scratch_registry, fault_proxy):
    result, _ = await listed(scratch_registry, fault_proxy, write_zstd_chunked(toc_frame=b"\x28\xb5\x2f\xfdjunk" * 9))
    assert unreadable(result, "its zstd:chunked table of contents is not zstd")


async def test_a_zstd_toc_of_another_size_than_announced(scratch_registry, fault_proxy):
    layer = write_zstd_chunked()
    offset, compressed, uncompressed, _ = layer.annotations[ZSTD_POSITION].split(":")
    result, _ = await listed(scratch_registry, fault_proxy, layer,
                             **{ZSTD_POSITION: f"{offset}:{compressed}:{int(uncompressed) - 1}:1"})
    assert unreadable(result, "is not the size its annotation says")


# ---- entries that are odd but a TOC: listed, values bounded -----------------------------------------

ODD_ENTRIES = [
    {"name": "./\x1b[31mred\x07\nline", "type": "reg", "size": 2**70, "mode": 2**40 + 0o755, "uid": -1,
     "gid": 2**40, "modtime": "9999-12-31T23:59:59Z", "userName": "\x1b]0;title\x07"},
    {"name": "neg", "type": "reg", "size": -5, "modtime": "0001-01-01T00:00:00Z"},
    {"name": "strings", "type": "reg", "size": "12", "uid": "0", "mode": None, "modtime": "yesterday"},
    {"name": "floats", "type": "reg", "size": 1e300, "uid": 1.5, "modtime": 12345},
    {"name": "bools", "type": "symlink", "size": True, "linkName": ["x"], "modtime": "2024-01-01T00:00:00+02:00"},
    {"name": "weird", "type": "socket"},
    {"name": "no type"},
    {"name": 5, "type": "reg"},
    {"type": "dir"},
    {"name": "big.bin", "type": "chunk", "offset": 3, "chunkOffset": 4},
    {"name": "../../etc/shadow", "type": "hardlink", "linkName": "../x/./y"},
    {"name": "/", "type": "dir"},
    {"name": "dir/.wh.gone", "type": "reg", "size": 99},
    {"name": "x" * 100_000, "type": "dir", "modtime": "2" * 10_000},
]
ODD_LISTING = [
    FileEntry("\x1b[31mred\x07\nline", Kind.FILE, 2**63 - 1, 0o755, 0, 2**32 - 1, "\x1b]0;title\x07", "",
              "", 253402300799),
    FileEntry("neg", Kind.FILE, 0, 0, 0, 0, "", "", "", -62135596800),
    FileEntry("strings", Kind.FILE, 0, 0, 0, 0, "", "", "", 0),
    FileEntry("floats", Kind.FILE, 0, 0, 0, 0, "", "", "", 0),
    FileEntry("bools", Kind.SYMLINK, 0, 0, 0, 0, "", "", "", 1704060000),
    FileEntry("weird", Kind.OTHER, 0, 0, 0, 0, "", "", "", 0),
    FileEntry("no type", Kind.OTHER, 0, 0, 0, 0, "", "", "", 0),
    FileEntry("../../etc/shadow", Kind.HARDLINK, 0, 0, 0, 0, "", "", "../x/y", 0),
    FileEntry("dir/gone", Kind.WHITEOUT),
    FileEntry("x" * 100_000, Kind.DIR, 0, 0, 0, 0, "", "", "", 0),
]


@pytest.mark.parametrize("writer", [write_estargz, write_zstd_chunked])
async def test_odd_entries_are_listed_with_bounded_values(scratch_registry, fault_proxy, writer):
    layer = writer(toc_json=json.dumps({"version": 1, "entries": ODD_ENTRIES}).encode())
    result, _ = await listed(scratch_registry, fault_proxy, layer)
    assert isinstance(result, Listing) and result.complete
    assert list(result) == ODD_LISTING


async def test_a_toc_listing_more_files_than_the_limit(scratch_registry, fault_proxy, monkeypatch):
    from acrbrowse.layerfiles import toc

    monkeypatch.setattr(toc, "LAYER_ENTRIES", 5)  # the limit, not the registry: 2,000,000 entries take minutes
    result, _ = await listed(scratch_registry, fault_proxy, write_estargz())
    assert unreadable(result, "lists more than 5 files")
