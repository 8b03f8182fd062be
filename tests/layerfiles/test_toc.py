"""Listing eStargz and zstd:chunked layers from their table of contents: real blobs (written here to the
formats' byte layouts) pushed to a real registry, read through the fault proxy to count the requests."""

from __future__ import annotations

import pytest

from acrbrowse.layerfiles.reader import LayerReader
from acrbrowse.layerfiles.toc import ESTARGZ, ZSTD_CHUNKED, TocPlan, read_toc, toc_plan
from acrbrowse.oci.errors import IntegrityError
from acrbrowse.oci.manifest import Descriptor
from acrbrowse.oci.remote.client import RegistryClient

from .stargz import (
    GZIP_LAYER,
    TOC_DIGEST,
    ZSTD_CHECKSUM,
    ZSTD_LAYER,
    ZSTD_POSITION,
    Layer,
    decompressed,
    drop_names,
    push,
    scratch_registry,
    tar_entries,
    write_estargz,
    write_zstd_chunked,
)

__all__ = ["scratch_registry"]  # the module's registry fixture

WRITERS = {
    "eStargz": lambda: write_estargz(),
    "legacy stargz footer": lambda: write_estargz(legacy=True),
    "zstd:chunked": lambda: write_zstd_chunked(),
    "zstd:chunked, stargz-snapshotter's": lambda: write_zstd_chunked(estargz_variant=True),
}


def expected_listing(layer: Layer) -> list:
    """What `tarfile` lists from the whole stream (zstd:chunked's TOC names no users)."""
    entries = tar_entries(decompressed(layer))
    return entries if layer.media_type == GZIP_LAYER else drop_names(entries)


def asked_ranges(layer: Layer) -> list[str]:
    """The Range headers a TOC read sends: the footer (when the position must be read from it), the TOC."""
    size = len(layer.data)
    footer = [f"bytes={size - layer.footer_bytes}-{size - 1}"] if layer.footer_bytes else []
    return [*footer, f"bytes={layer.toc_start}-{layer.toc_end - 1}"]


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
async def test_the_toc_lists_what_the_whole_stream_holds_in_two_requests(scratch_registry, fault_proxy, writer):
    layer = writer()
    repository = push(scratch_registry, layer)
    proxy = fault_proxy(scratch_registry.anon.host)
    async with RegistryClient(proxy.host) as client:
        listing = await read_toc(client, repository, layer.descriptor())
    assert listing is not None and listing.complete
    assert listing.method == ("eStargz table of contents" if layer.media_type == GZIP_LAYER
                              else "zstd:chunked table of contents")
    assert list(listing) == expected_listing(layer)
    assert len(listing) == 14  # the sample's 15 entries but the root; chunks are no entries
    assert [entry.headers["Range"] for entry in proxy.log] == asked_ranges(layer)
    assert [entry.status for entry in proxy.log] == [206] * len(proxy.log) and len(proxy.log) <= 2
    asked = sum(int(end) - int(start) + 1 for start, end in
                (entry.headers["Range"].removeprefix("bytes=").split("-") for entry in proxy.log))
    assert asked < len(layer.data) // 10  # footer and TOC, not the 300 KiB file before them


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
async def test_the_toc_and_the_stream_reader_list_the_same(scratch_registry, writer):
    """A layer listed from its TOC or streamed whole (when the registry ignores Range) looks the same;
    the stream also holds the TOC's own tar entry, which is no file of the image."""
    layer = writer()
    repository = push(scratch_registry, layer)
    async with RegistryClient(scratch_registry.anon.host) as client:
        listing = await read_toc(client, repository, layer.descriptor())
    reader = LayerReader(layer.media_type)
    streamed = [*reader.feed(layer.data), *reader.finish()]
    if layer.media_type == ZSTD_LAYER:
        streamed = drop_names(streamed)
    assert listing is not None
    assert list(listing) == [entry for entry in streamed if entry.path != "stargz.index.json"]


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
async def test_a_registry_that_ignores_range_is_left_after_one_request(scratch_registry, fault_proxy, writer):
    layer = writer()
    repository = push(scratch_registry, layer)
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.replace_body("GET", r"/blobs/", lambda _: layer.data, status=200)
    async with RegistryClient(proxy.host) as client:
        assert await read_toc(client, repository, layer.descriptor()) is None  # the caller streams it instead
    assert len(proxy.log) == 1


async def test_a_registry_that_botches_ranges_is_left_for_the_stream(scratch_registry, fault_proxy):
    layer = write_estargz()
    repository = push(scratch_registry, layer)
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.respond("GET", r"/blobs/", 206, body=layer.data[:51], headers={"Content-Range": f"bytes 0-50/{len(layer.data)}"})
    async with RegistryClient(proxy.host) as client:
        assert await read_toc(client, repository, layer.descriptor()) is None
    assert len(proxy.log) == 1


@pytest.mark.parametrize(("writer", "key"), [(write_estargz, TOC_DIGEST), (write_zstd_chunked, ZSTD_CHECKSUM),
                                             (lambda: write_zstd_chunked(estargz_variant=True), TOC_DIGEST)])
async def test_a_toc_that_does_not_match_its_annotation_is_refused(scratch_registry, writer, key):
    layer = writer()
    repository = push(scratch_registry, layer)
    wrong = "sha256:" + "0" * 64
    async with RegistryClient(scratch_registry.anon.host) as client:
        with pytest.raises(IntegrityError) as caught:
            await read_toc(client, repository, layer.descriptor(**{key: wrong}))
    assert str(caught.value).startswith(f"the table of contents of layer {layer.digest[:19]}… does not match "
                                        "its annotation (expected sha256:000000000000…, got sha256:")


async def test_a_layer_without_a_toc_annotation_is_not_asked_for(scratch_registry, fault_proxy):
    layer = write_estargz()
    repository = push(scratch_registry, layer)
    proxy = fault_proxy(scratch_registry.anon.host)
    async with RegistryClient(proxy.host) as client:
        assert await read_toc(client, repository, Descriptor(GZIP_LAYER, layer.digest, len(layer.data))) is None
    assert proxy.log == []


# ---- the plan: which annotations make a TOC usable ---------------------------------------------------

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


def plan(media_type: str, **annotations: str) -> TocPlan | None:
    return toc_plan(Descriptor(media_type, "sha256:" + "11" * 32, 10_000, annotations))


def test_an_estargz_plan_needs_the_toc_digest_on_a_gzip_layer():
    assert plan(GZIP_LAYER, **{TOC_DIGEST: DIGEST}) == TocPlan(ESTARGZ, DIGEST)
    assert plan("application/vnd.docker.image.rootfs.diff.tar.gzip", **{TOC_DIGEST: DIGEST}) == TocPlan(ESTARGZ, DIGEST)
    assert plan(GZIP_LAYER) is None
    assert plan("application/vnd.oci.image.layer.v1.tar", **{TOC_DIGEST: DIGEST}) is None  # uncompressed: no footer
    assert plan("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", **{TOC_DIGEST: DIGEST}) is None


@pytest.mark.parametrize("digest", ["sha256:abc", "md5:" + "0" * 32, "", "sha256:" + "AB" * 32, "sha256:../" + "a" * 61])
def test_an_unusable_digest_is_no_plan(digest):
    assert plan(GZIP_LAYER, **{TOC_DIGEST: digest}) is None
    assert plan(ZSTD_LAYER, **{ZSTD_CHECKSUM: digest, ZSTD_POSITION: "10:20:30:1"}) is None


def test_a_zstd_chunked_plan_takes_the_position_and_the_checksum():
    assert plan(ZSTD_LAYER, **{ZSTD_CHECKSUM: DIGEST, ZSTD_POSITION: "100:200:300:1"}) == \
        TocPlan(ZSTD_CHUNKED, DIGEST, digest_of_compressed=True, position=(100, 200, 300))
    # stargz-snapshotter's older annotation names
    assert plan(ZSTD_LAYER, **{"io.containers.zstd-chunked.manifest-checksum": DIGEST,
                               "io.containers.zstd-chunked.manifest-position": "1:2:3:1"}) == \
        TocPlan(ZSTD_CHUNKED, DIGEST, digest_of_compressed=True, position=(1, 2, 3))
    # the checksum wins over toc.digest (it is what containers/storage checks)
    assert plan(ZSTD_LAYER, **{ZSTD_CHECKSUM: DIGEST, ZSTD_POSITION: "1:2:3:1", TOC_DIGEST: OTHER}) == \
        TocPlan(ZSTD_CHUNKED, DIGEST, digest_of_compressed=True, position=(1, 2, 3))
    # toc.digest alone: the JSON's digest, the position from the annotation or else the footer
    assert plan(ZSTD_LAYER, **{TOC_DIGEST: OTHER}) == TocPlan(ZSTD_CHUNKED, OTHER)
    assert plan(ZSTD_LAYER, **{TOC_DIGEST: OTHER, ZSTD_POSITION: "5:6:7:1"}) == TocPlan(ZSTD_CHUNKED, OTHER,
                                                                                         position=(5, 6, 7))


@pytest.mark.parametrize("position", ["1:2:3", "1:2:3:2", "a:b:c:1", "-1:2:3:1", "1:2:3:1:5", " 1:2:3:1",
                                      "99999999999999999999:2:3:1", ""])
def test_a_position_that_cannot_be_is_no_plan(position):
    assert plan(ZSTD_LAYER, **{ZSTD_CHECKSUM: DIGEST, ZSTD_POSITION: position}) is None
    assert plan(ZSTD_LAYER, **{ZSTD_CHECKSUM: DIGEST}) is None  # a checksum with nowhere to read
