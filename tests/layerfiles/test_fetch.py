"""read_listing against a real registry: the cache first, then a table of contents, then the stream;
progress while it streams; a stream that does not match its digest is neither returned nor cached;
cancelling stops the download; a foreign layer is never asked for."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from acrbrowse.layerfiles.entries import Listing
from acrbrowse.layerfiles.fetch import read_listing
from acrbrowse.layerfiles.listcache import ListingCache
from acrbrowse.oci.errors import IntegrityError, UnreadableLayer
from acrbrowse.oci.manifest import Descriptor
from acrbrowse.oci.remote.client import RegistryClient

from . import layers as L
from .stargz import push, scratch_registry, write_estargz

__all__ = ["scratch_registry"]

MEMBERS = [L.directory("app"), *(L.file(f"app/f{i}", bytes([i % 251]) * (3000 + i)) for i in range(300)),
           L.symlink("app/latest", "f1"), L.whiteout("old")]


def pushed_layer(registry, compression: str = "gzip") -> tuple[str, Descriptor, bytes]:
    tar = L.build_tar(MEMBERS)
    blob = L.compress(tar, compression)
    repository = push(registry, _Blob(blob), "fetch")
    return repository, Descriptor(L.media_type(compression), L.sha256(blob), len(blob)), tar


class _Blob:  # what stargz.push needs of a layer
    def __init__(self, data: bytes) -> None:
        self.data = data


async def test_streams_then_answers_from_the_cache(scratch_registry, tmp_path: Path):
    repository, layer, tar = pushed_layer(scratch_registry)
    cache = ListingCache(tmp_path / "listings")
    seen: list = []
    progress: list = []
    async with RegistryClient(scratch_registry.anon.host) as client:
        first = await read_listing(client, repository, layer, cache=cache, on_entries=seen.extend,
                                   on_progress=progress.append)
        second = await read_listing(client, repository, layer, cache=cache)
    assert first.method == "stream" and first.complete and list(first) == L.tarfile_listing(tar)
    assert seen == list(first)  # the entries as they came, in order
    assert progress[-1].received == progress[-1].total == layer.size and progress[-1].entries == len(first)
    assert second.method == "cache" and list(second) == list(first)


async def test_into_is_the_listing_that_grows(scratch_registry):
    repository, layer, tar = pushed_layer(scratch_registry, "zstd")
    into = Listing()
    sizes: list[int] = []
    async with RegistryClient(scratch_registry.anon.host) as client:
        result = await read_listing(client, repository, layer, into=into, on_entries=lambda _: sizes.append(len(into)))
    assert result is into and list(into) == L.tarfile_listing(tar) and sizes[-1] == len(into)


async def test_a_stream_that_does_not_match_its_digest_is_dropped(scratch_registry, fault_proxy, tmp_path: Path):
    repository, layer, _ = pushed_layer(scratch_registry, "none")
    proxy = fault_proxy(scratch_registry.anon.host)
    # the same tar, one byte of a file's content changed: every entry still parses
    proxy.replace_body("GET", r"/blobs/", lambda body: body.replace(bytes([7]) * 3007, bytes([8]) * 3007, 1))
    cache = ListingCache(tmp_path / "listings")
    async with RegistryClient(proxy.host) as client:
        with pytest.raises(IntegrityError, match="does not match its digest"):
            await read_listing(client, repository, layer, cache=cache)
    assert cache.get(layer.digest) is None


async def test_estargz_lists_the_same_from_its_toc_and_from_the_stream(scratch_registry, fault_proxy):
    stargz = write_estargz()
    repository = push(scratch_registry, stargz)
    descriptor = stargz.descriptor()
    proxy = fault_proxy(scratch_registry.anon.host)
    async with RegistryClient(proxy.host) as client:
        from_toc = await read_listing(client, repository, descriptor)
        proxy.replace_body("GET", r"/blobs/", lambda body: body, status=200)  # Range ignored: the whole blob
        streamed = await read_listing(client, repository, descriptor)
    assert from_toc.method == "eStargz table of contents" and streamed.method == "stream"
    assert [e.path for e in streamed] == [e.path for e in from_toc]  # stargz.index.json left out of both
    assert "stargz.index.json" not in [e.path for e in streamed]


async def test_cancelling_stops_the_download(scratch_registry, fault_proxy):
    repository, layer, _ = pushed_layer(scratch_registry)
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.delay("GET", r"/blobs/", 30)
    async with RegistryClient(proxy.host) as client:
        task = asyncio.create_task(read_listing(client, repository, layer))
        while not proxy.log:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_foreign_layer_is_never_asked_for(scratch_registry, fault_proxy):
    proxy = fault_proxy(scratch_registry.anon.host)
    foreign = Descriptor(L.DOCKER_FOREIGN, "sha256:" + "a" * 64, 1000, urls=("https://example.com/layer",))
    async with RegistryClient(proxy.host) as client:
        with pytest.raises(UnreadableLayer, match="foreign layer: its bytes are not in this registry"):
            await read_listing(client, "anything", foreign)
    assert proxy.log == []
