"""LayerReader: every kind of tar entry mapped to a FileEntry, every compression registries hold
layers in, checked against what Python's tarfile reads; and layers pushed to a real registry of the
tests' own, streamed back through RegistryClient.blob_stream into the reader."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator

import pytest
import zstandard

from acrbrowse.layerfiles.entries import FileEntry, Kind
from acrbrowse.layerfiles.reader import LayerReader
from acrbrowse.oci.errors import UnreadableLayer
from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.oci.remote.client import RegistryClient
from tests.oci.pushing import ScratchRegistry, scratch_repository

from .layers import (
    COMPRESSIONS,
    DOCKER_FOREIGN,
    DOCKER_TAR_GZIP,
    MTIME,
    OCI_NONDISTRIBUTABLE,
    OCI_TAR,
    OCI_TAR_GZIP,
    OCI_TAR_ZSTD,
    LayerSpec,
    build_tar,
    compress,
    device,
    directory,
    file,
    hardlink,
    media_type,
    opaque,
    push_layers_image,
    push_layers_index,
    skippable_frame,
    symlink,
    tarfile_listing,
    whiteout,
)
from .layers import layer as make_layer
from .stargz import write_estargz, write_zstd_chunked

LONG = "deep/" * 30 + "name-past-one-hundred-bytes.txt"  # 181 characters: pax 'x' or GNU 'L' records
ODD = "odd/\x1b[31mred\u202e\x07 ünïcödé 名前.txt"

MEMBERS = [
    directory("./"),
    directory("usr", mode=0o755),
    directory("usr/bin"),
    file("usr/bin/tool", b"#!/bin/sh\necho hi\n", mode=0o4755, uid=1000, gid=100, user="builder", group="staff"),
    file("usr/share/big.bin", size=300_000),
    symlink("usr/bin/link", "../../etc/target"),
    hardlink("usr/bin/tool2", "./usr/bin/tool"),
    device("dev/null", "char"),
    device("dev/sda", "block"),
    device("run/pipe", "fifo"),
    whiteout("etc/removed.conf"),
    opaque("var/cache"),
    file(LONG, b"long"),
    symlink("links/long", "/target/" + "t" * 150),
    file(ODD, b"odd", user="üser", group="grøup", uid=70000, gid=2**21),
    file("empty"),
]


def read(blob: bytes, media: str = OCI_TAR_GZIP, chunk: int = 64 * 1024) -> list[FileEntry]:
    reader = LayerReader(media)
    entries = []
    for start in range(0, len(blob), chunk):
        entries += reader.feed(blob[start:start + chunk])
    return entries + reader.finish()


# ---- mapping ---------------------------------------------------------------------------------------

def test_each_kind_of_entry_becomes_the_file_entry_it_is():
    entries = {entry.path: entry for entry in read(compress(build_tar(MEMBERS), "gzip"))}
    assert "" not in entries and "." not in entries  # the root is no entry
    assert entries["usr"] == FileEntry("usr", Kind.DIR, 0, 0o755, 0, 0, "root", "root", "", MTIME)
    assert entries["usr/bin/tool"] == FileEntry("usr/bin/tool", Kind.FILE, 18, 0o4755, 1000, 100, "builder", "staff",
                                                "", MTIME)
    assert entries["usr/share/big.bin"].size == 300_000
    assert entries["usr/bin/link"][:2] == ("usr/bin/link", Kind.SYMLINK)
    assert entries["usr/bin/link"].link == "../../etc/target"  # a symlink's target as written
    assert entries["usr/bin/tool2"].kind == Kind.HARDLINK
    assert entries["usr/bin/tool2"].link == "usr/bin/tool"  # a hard link's target is a member name: normalized
    assert (entries["dev/null"].kind, entries["dev/sda"].kind, entries["run/pipe"].kind) == (Kind.CHAR, Kind.BLOCK,
                                                                                              Kind.FIFO)
    assert entries["etc/removed.conf"] == FileEntry("etc/removed.conf", Kind.WHITEOUT)
    assert entries["var/cache"] == FileEntry("var/cache", Kind.OPAQUE)
    assert entries[LONG].size == 4
    assert entries["links/long"].link == "/target/" + "t" * 150
    assert entries[ODD][5:8] == (2**21, "üser", "grøup")
    assert entries["empty"].size == 0
    assert len(entries) == len(MEMBERS) - 1


@pytest.mark.parametrize("tar_format", ["pax", "gnu"])
@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_every_compression_and_format_reads_as_tarfile_does(compression, tar_format):
    tar = build_tar(MEMBERS, format=tar_format)
    blob = compress(tar, compression)
    assert read(blob, media_type(compression), chunk=999) == tarfile_listing(tar)


def test_a_global_pax_header_applies_to_every_entry_after_it_and_a_per_entry_one_wins():
    tar = build_tar([file("a", b"1"), file("b", b"2", pax={"uname": "own"})], global_pax={"uname": "global", "gid": "7"})
    a, b = read(tar, OCI_TAR)
    assert (a.user, a.gid, b.user, b.gid) == ("global", 7, "own", 7)
    assert [a, b] == tarfile_listing(tar)


def test_pax_records_override_the_header():
    tar = build_tar([file("short", b"x", pax={"path": "from/pax", "mtime": "1700000000.75", "uid": "4242"}),
                     symlink("l", "old", pax={"linkpath": "new/target"})])
    a, link = read(tar, OCI_TAR)
    assert (a.path, a.mtime, a.uid) == ("from/pax", 1_700_000_000, 4242)
    assert link.link == "new/target"


def test_a_name_that_is_not_utf8_still_lists():
    info = tarfile.TarInfo("bad-\udcff-name")  # the byte 0xff, as surrogateescape keeps it
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as archive:
        archive.addfile(info, io.BytesIO(b""))
    assert b"bad-\xff-name" in out.getvalue()
    [entry] = read(out.getvalue(), OCI_TAR)
    assert entry.path == "bad-\udcff-name"


def test_an_old_style_directory_with_a_trailing_slash_is_a_directory():
    info = tarfile.TarInfo("olddir/")
    info.type = tarfile.AREGTYPE
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        archive.addfile(info)
    [entry] = read(out.getvalue(), OCI_TAR)
    assert entry[:2] == ("olddir", Kind.DIR)


# ---- compression -------------------------------------------------------------------------------------

def test_the_compression_is_sniffed_whatever_the_media_type_says():
    tar = build_tar(MEMBERS)
    for compression in ("gzip", "zstd", "none"):
        assert read(compress(tar, compression), OCI_TAR_ZSTD) == tarfile_listing(tar)
        assert read(compress(tar, compression), "application/x-something-else") == tarfile_listing(tar)


def test_zstd_chunked_layout_starting_with_a_skippable_frame():
    tar = build_tar(MEMBERS)
    blob = skippable_frame(b"leading") + compress(tar, "zstd-frames", pieces=30)
    reader = LayerReader(OCI_TAR_ZSTD)
    assert reader.feed(blob) + reader.finish() == tarfile_listing(tar)
    assert reader.compression == "zstd"


def test_many_gzip_members_as_estargz_writes_them():
    tar = build_tar(MEMBERS)
    blob = compress(tar, "gzip-members", pieces=200)
    assert blob.count(b"\x1f\x8b\x08") >= 100
    assert read(blob, chunk=777) == tarfile_listing(tar)


def test_what_follows_the_end_of_the_archive_is_not_read():
    tar = build_tar([file("a", b"1")])
    blob = gzip.compress(tar) + b"the footer of some format, or garbage" * 100
    reader = LayerReader(OCI_TAR_GZIP)
    assert [e.path for e in reader.feed(blob) + reader.finish()] == ["a"]
    assert reader.unpacked_bytes <= len(tar)


def test_unpacked_bytes_counts_the_decompressed_tar():
    tar = build_tar([file("x", size=2_000_000)])
    reader = LayerReader(OCI_TAR_ZSTD)
    reader.feed(compress(tar, "zstd"))
    reader.finish()
    assert 2_000_000 < reader.unpacked_bytes <= len(tar)


def test_an_empty_archive_lists_nothing():
    assert read(compress(build_tar([]), "gzip")) == []


@pytest.mark.parametrize("media", [DOCKER_FOREIGN, OCI_NONDISTRIBUTABLE, OCI_NONDISTRIBUTABLE + "; x=y"])
def test_a_foreign_layer_is_refused_before_any_byte(media):
    with pytest.raises(UnreadableLayer, match="foreign.*not fetch"):
        LayerReader(media)


@pytest.mark.parametrize(("head", "name"), [(b"BZh91AY&SY", "bzip2"), (b"\xfd7zXZ\x00\x00", "xz")])
def test_a_compression_acrbrowse_does_not_read_is_named(head, name):
    with pytest.raises(UnreadableLayer, match=name):
        read(head + bytes(600))


def test_a_blob_that_is_not_a_tar():
    with pytest.raises(UnreadableLayer, match="not a tar archive"):
        read(json.dumps({"hello": "world" * 200}).encode(), "application/vnd.example+json")


# ---- a real registry ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[ScratchRegistry]:
    scratch = ScratchRegistry(tmp_path_factory.mktemp("layers-registry")).start()
    try:
        yield scratch
    finally:
        scratch.stop()


async def stream_listing(client: RegistryClient, repository: str, digest: str, media: str) -> list[FileEntry]:
    reader = LayerReader(media)
    entries = []
    async for chunk in client.blob_stream(repository, digest):
        entries += reader.feed(chunk)
    return entries + reader.finish()


async def test_pushed_layers_stream_from_the_registry_into_the_reader(registry):
    tars = [build_tar(MEMBERS), build_tar([file("big", size=3_000_000), whiteout("usr/bin/tool")], format="gnu"),
            build_tar([directory("zstd"), file("zstd/f", b"z" * 5000)])]
    layers = [(compress(tars[0], "gzip"), OCI_TAR_GZIP, None),
              (compress(tars[1], "gzip-members"), DOCKER_TAR_GZIP, {"org.example": "many members"}),
              (compress(tars[2], "zstd"), OCI_TAR_ZSTD, None)]
    repository = scratch_repository("layers")
    digest = push_layers_image(registry.anon.host, repository, "v1", layers)
    async with RegistryClient(registry.anon.host) as client:
        manifest = await client.get_manifest(repository, "v1")
        assert isinstance(manifest, ImageManifest) and manifest.digest == digest
        assert [d.media_type for d in manifest.layers] == [OCI_TAR_GZIP, DOCKER_TAR_GZIP, OCI_TAR_ZSTD]
        assert manifest.layers[1].annotations == {"org.example": "many members"}
        for descriptor, tar in zip(manifest.layers, tars, strict=True):
            listing = await stream_listing(client, repository, descriptor.digest, descriptor.media_type)
            assert listing == tarfile_listing(tar)
        assert manifest.config is not None
        config = json.loads(await client.get_blob(repository, manifest.config.digest))
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    assert len(config["history"]) == 3


async def test_a_two_platform_index_of_layer_images(registry):
    amd: list[LayerSpec] = [(make_layer([file("amd64-only")]), OCI_TAR_GZIP, None)]
    arm: list[LayerSpec] = [(make_layer([file("arm64-only")], "zstd"), OCI_TAR_ZSTD, None)]
    repository = scratch_repository("layers-index")
    digest = push_layers_index(registry.anon.host, repository, "multi", {"linux/amd64": amd, "linux/arm64": arm})
    async with RegistryClient(registry.anon.host) as client:
        index = await client.get_manifest(repository, "multi")
        assert isinstance(index, ImageIndex) and index.digest == digest
        seen = {}
        for child in index.manifests:
            assert child.platform is not None
            image = await client.get_manifest(repository, child.digest)
            assert isinstance(image, ImageManifest)
            [layer] = image.layers
            listing = await stream_listing(client, repository, layer.digest, layer.media_type)
            seen[f"{child.platform.os}/{child.platform.architecture}"] = [e.path for e in listing]
    assert seen == {"linux/amd64": ["amd64-only"], "linux/arm64": ["arm64-only"]}


def test_zstandard_itself_reads_the_multi_frame_builder_output():
    """The builder's zstd:chunked-like blob is valid zstd (so reader tests on it mean something)."""
    tar = build_tar([file("a", b"1" * 1000)])
    blob = compress(tar, "zstd-frames", pieces=3)
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob), read_across_frames=True)
    assert reader.read() == tar


@pytest.mark.parametrize("write", [write_estargz, write_zstd_chunked], ids=["estargz", "zstd:chunked"])
def test_estargz_and_zstd_chunked_layers_stream_like_any_other(write):
    """Their files stream like a plain layer's (the footers after the archive's end are not read).
    eStargz's table of contents is a tar entry of its own, stargz.index.json: listed, as a runtime unpacks it."""
    written = write()
    listing = read(written.data, written.media_type, chunk=1000)
    assert listing == tarfile_listing(written.data)
    assert len(listing) > 3


# GNU tar 1.34's `tar --sparse` of three files (holes.bin: 10 MiB with 4 bytes of data; many.bin: 30
# separate bytes, which take old GNU sparse extension blocks; after.txt), in its gnu and posix (pax
# sparse 1.0) formats, gzip'd.
SPARSE_GNU = base64.b64decode(
    "H4sIAAAAAAACA+3ZbUobURQG4PFvV5EVyP3OQrqClFpaaA3ECHb3HcdSP3JQULQ1fR6QCWcSxnNm5sd779ft97OL00/fzqfXk2aj"
    "teU4e3DMy+fca6q9tNbzlPLoI02rj9MbuLzYb3ar1bTbbvePfe+p8y+ZTqmpHUxk/usPJrZ8fs4F+rN/DAAA3Pq82W9MAXiPfmzO"
    "f77y8s/j6z+1j5Hy/fWfUkaq/9H6zzyeFK3/pNxyWC+lhPV5hgf1k+vvj3VaxhxevY5w9Sm1Ftd76WF93LRxWJ+vHtXXPew6pxp2"
    "nWdxfR1OI5dew3qtYV/zsHtcX4d95d7j+qhhv7//zYN6uTuTe/UR9lVyC/uaH4q4Hq0untze/1JH2Pf8Mob9lV7C/srIcX83t//P"
    "e788iHcfyhetbgIAAMAbuDICAAAA+QkAAEB+AgAAkJ8AAADkJwAAAAAAAIB/mv1TAAAA+QkAAEB+AgAAkJ8AAADkJwAAAPkJAAAA"
    "AAAA4BjYPwUAAJCfAAAA5CcAAAD5CQAAQH4CAACQnwAAAAAAAACOgf1TAAAA+QkAAEB+AgAAkJ8AAADkJwAAAPkJAAAAAAAA4BjY"
    "PwUAAJCfAAAA5CcAAAD5CQAAQH4CAACQnwAAAAAAAACOwd/eP9182Z/tTvdX+1e8RpqN1pbj7OHx+uyUe021l9Z6nlLOLbdpld5i"
    "AJcX+81utZp22+2jM3jq/Du13P8P3kMAAAA4Zr8AIwjKOwAIAgA="
)
SPARSE_PAX = base64.b64decode(
    "H4sIAAAAAAACA+3Zy24bNxQAUK31Ff4CefiY4XDhbZtVEaDoB0wTFXXhRyEpgNuvL22PglhxnKZ13dg5Z+GRRV2OROkSuJer49fT"
    "1av19Ha92R7/enm23q5+Pr1YPKquGXK+uTaH1y51aRH69rePOfdh0YXYlbI4ulo8gXfb3bRpb2XxbYrx6Psfflptf5822/XqfPrt"
    "cnMSlgfPnl60Z7tlrB8+ezGdr0/e/2KW6U7IZj2dbU//XJ+ELo99Gbpl6o7Od6ctJJQ6hBhrDKsxpRpLHuP16PTRaL0ZLfV69M2n"
    "Yxf8c6vj9q39ePOlfXd6tl6l0Jf+kTeCh/M/hOvHd/N/CF1YHHVPmf+by8vdQ6/73Pjhh3su+b/MtZa24S5zV4fl+3TtpBUAAMAd"
    "b6fdZBWA52j1Yf//fLr44/Hb/3+j/x8O+n+hRP3/J/FF/f/xo/7//hezTOHe9v9w2+K9v/v/YX//nu7/2A+pT/n+7v/7WCn8L/P/"
    "vv7/424ED+Z/um43H+Z/ew9F//8ppLAMdRi68bb/n2pJId4+7uvYheH2calj2Z8R1FpzzPN5QQvu0hwQUh1KmiNCX0vO+2OFFh/y"
    "PqbWcczzDWP7r+/nCWKbIAxzTOzrMA5zTCy19MM+pk0QyxyTQh1rmW+aUm1B8wSpTRDH/Qdre0et+5jaIuock9sEuZtjchsK3XzT"
    "3Lcb7Vem7TVD3i/HnTOTPtQy7hekT23finNM3yaI+9XpS1u4/eq0gaFvC5JyX5b7TdKZCwAAwNfryhIAAAConwAAANRPAAAA6icA"
    "AAD1EwAAAAAAAMBXzfkpAACA+gkAAED9BAAAoH4CAABQPwEAAKifAAAAAAAAAF4C56cAAADqJwAAAPUTAACA+gkAAED9BAAAoH4C"
    "AAAAAAAAeAmcnwIAAKifAAAA1E8AAADqJwAAAPUTAACA+gkAAAAAAADgJXB+CgAAoH4CAABQPwEAAKifAAAA1E8AAADqJwAAAAAA"
    "AICX4P8+P10dv56uXq2nt+vN9nj6ZbferHZXu8e9R9cMOd9cm8NrF1JchD51qY8592HRhRhSvzh6krV5t91Nm/ZWvtHfX+qOznen"
    "5+uTUOoQYqwxrMaaaiy51GUbnT4eHfuhliFfj775dKzcfg7+o5T/ovxvo4f5X0JeHHVPmf+by8sH1+Bz44cf7jl9/3IVAAAAAAAA"
    "AAAAAJ6FvwAtJZdVADACAA=="
)


@pytest.mark.parametrize("blob", [SPARSE_GNU, SPARSE_PAX], ids=["gnu", "pax"])
def test_sparse_files_list_with_their_whole_size(blob):
    listing = read(blob, chunk=100)
    assert [(e.path, e.kind, e.size) for e in listing] == [
        ("holes.bin", Kind.FILE, 10 * 1024 * 1024), ("many.bin", Kind.FILE, 6_000_001), ("after.txt", Kind.FILE, 6)]
    assert listing == tarfile_listing(blob)
