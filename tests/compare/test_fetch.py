"""read_merged_pair against the real registry (the bed's, behind the fault proxy): each distinct
layer read once, at most 3 at a time, from the cache when there; progress and per-layer reports; a
layer that fails stops the others and raises."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from acrbrowse.compare.fetch import ImageSide, distinct_layers, read_merged_pair
from acrbrowse.compare.files import compare_files
from acrbrowse.layerfiles.fetch import read_listing
from acrbrowse.layerfiles.listcache import ListingCache
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import ImageManifest
from acrbrowse.oci.remote.client import RegistryClient
from tests.compare.images import ComparedImages, push_compared_images
from tests.oci.pushing import scratch_repository


@pytest.fixture(scope="module")
def compared(testbed) -> ComparedImages:
    return push_compared_images(testbed.anon.host, scratch_repository("fetch-pair"))


class CountingClient:
    """The real client, with the number of blob streams open at once counted (nothing else changed)."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.open = 0
        self.most = 0

    def __getattr__(self, name: str):
        return getattr(self.client, name)

    async def blob_stream(self, repository: str, digest: str, **options):
        self.open += 1
        self.most = max(self.most, self.open)
        try:
            async for chunk in self.client.blob_stream(repository, digest, **options):
                await asyncio.sleep(0.01)  # long enough for the others to start, if they could
                yield chunk
        finally:
            self.open -= 1


async def sides(client, compared: ComparedImages) -> tuple[ImageSide, ImageSide]:
    out = []
    for tag in ("a", "b"):
        image = await client.get_manifest(compared.repository, tag)
        assert isinstance(image, ImageManifest)
        out.append(ImageSide(client, compared.repository, image))
    return out[0], out[1]


def blob_gets(proxy, digests) -> Counter[str]:
    return Counter(e.path.rsplit("/", 1)[-1] for e in proxy.log
                   if e.method == "GET" and e.path.rsplit("/", 1)[-1] in digests)


async def test_each_distinct_layer_once_three_at_a_time(compared, fault_proxy, tmp_path: Path):
    proxy = fault_proxy("anon")
    every = {digest for digest, _ in compared.a.layers + compared.b.layers}
    progressed: set[str] = set()
    done: list[tuple[str, int, int]] = []
    async with RegistryClient(proxy.host) as real:
        client = CountingClient(real)
        a, b = await sides(client, compared)
        pair = await read_merged_pair(a, b, cache=ListingCache(tmp_path / "listings"),
                                      on_progress=lambda layer, p: progressed.add(layer.digest),
                                      on_layer=lambda read, n, of: done.append((read.layer.digest, n, of)))
    assert blob_gets(proxy, every) == {digest: 1 for digest in every}
    assert client.most == 3
    assert progressed == every
    assert sorted(n for _, n, _ in done) == list(range(1, 10)) and {of for _, _, of in done} == {9}
    assert [read.layer for read in pair.reads] == [layer for layer, _, _ in distinct_layers(a.image, b.image)]
    assert [(read.in_a, read.in_b) for read in pair.reads] == [(True, True)] * 5 + [(True, False)] * 2 + \
        [(False, True)] * 2
    assert len(pair.fetched) == 9
    assert [c.path for c in compare_files(pair.a, pair.b)][:2] == ["app/a-only", "app/a-second"]


async def test_the_shared_layers_come_from_the_cache(compared, fault_proxy, tmp_path: Path):
    proxy = fault_proxy("anon")
    cache = ListingCache(tmp_path / "listings")
    async with RegistryClient(proxy.host) as client:
        a, b = await sides(client, compared)
        for layer in a.image.layers[:5]:
            await read_listing(client, compared.repository, layer, cache=cache)
        proxy.clear_log()
        pair = await read_merged_pair(a, b, cache=cache)
    own = {layer.digest for layer in a.image.layers[5:] + b.image.layers[5:]}
    assert blob_gets(proxy, {layer.digest for layer in a.image.layers + b.image.layers}) == \
        {digest: 1 for digest in own}
    assert {read.layer.digest for read in pair.fetched} == own
    assert [read.method for read in pair.reads if read.shared] == ["cache"] * 5


async def test_a_layer_that_fails_stops_the_pair(compared, fault_proxy, tmp_path: Path):
    proxy = fault_proxy("anon")
    broken = compared.b.layers[6][0]
    proxy.error("GET", f"/blobs/{broken}", status=404, times=None)
    async with RegistryClient(proxy.host) as client:
        a, b = await sides(client, compared)
        with pytest.raises(RegistryError):
            await read_merged_pair(a, b, cache=ListingCache(tmp_path / "listings"))
