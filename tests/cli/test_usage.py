"""`acrbrowse usage` against the real registry: each tag's total, shared and alone bytes, computed
here independently from what was pushed; no layer is downloaded."""

from __future__ import annotations

import json

import pytest

from tests.compare.images import ComparedImages, push_compared_images
from tests.layerfiles import layers as L
from tests.oci.pushing import scratch_repository


@pytest.fixture(scope="module")
def compared(testbed) -> ComparedImages:
    return push_compared_images(testbed.anon.host, scratch_repository("usage"))


def expected(tags: dict[str, dict[str, int]]) -> tuple[dict[str, tuple[int, int, int]], int, int]:
    """(tag -> (total, shared, alone), unique bytes, shared bytes), counted the plain way."""
    out = {}
    for tag, blobs in tags.items():
        others = set().union(*(set(b) for t, b in tags.items() if t != tag))
        alone = sum(size for digest, size in blobs.items() if digest not in others)
        out[tag] = (sum(blobs.values()), sum(blobs.values()) - alone, alone)
    every = {digest: size for blobs in tags.values() for digest, size in blobs.items()}
    counts = {digest: sum(digest in blobs for blobs in tags.values()) for digest in every}
    return out, sum(every.values()), sum(size for digest, size in every.items() if counts[digest] > 1)


def test_usage_adds_up_to_the_repositorys_unique_bytes(cli, compared, fault_proxy):
    proxy = fault_proxy("anon")
    result = cli("usage", f"{proxy.host}/{compared.repository}", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    per_tag, unique, shared = expected({image.tag: image.blobs() for image in (compared.a, compared.b, compared.base)})
    assert {t["tag"]: (t["totalBytes"], t["sharedBytes"], t["aloneBytes"]) for t in document["tags"]} == per_tag
    assert [t["tag"] for t in document["tags"]] == ["a", "b", "base"]
    assert (document["uniqueBytes"], document["sharedBytes"]) == (unique, shared)
    assert unique == sum(t["aloneBytes"] for t in document["tags"]) + shared
    # the base's 5 layers are shared by all three; its manifest and config are its own
    assert per_tag["base"][2] == compared.base.manifest_size + compared.base.config_size
    layers = {digest for image in (compared.a, compared.b) for digest, _ in image.layers}
    assert not [e for e in proxy.log if e.method == "GET" and e.path.rsplit("/", 1)[-1] in layers]

    text = cli("usage", f"{proxy.host}/{compared.repository}")
    assert text.code == 0, text.err
    assert text.lines[0].split() == ["tag", "total", "shared", "alone"]
    assert text.lines[1].split() == ["a", *(f"{n:,}" for n in per_tag["a"])]
    alone = sum(t["aloneBytes"] for t in document["tags"])
    assert text.lines[-1] == f"check: {alone:,} held alone + {shared:,} shared = {unique:,} = {unique:,}"


def test_an_index_counts_its_children_and_their_blobs(cli, testbed):
    repository = scratch_repository("usage-index")
    amd = [(L.compress(L.build_tar([L.file("a", b"amd")]), "gzip"), L.media_type("gzip"), None)]
    arm = [(L.compress(L.build_tar([L.file("a", b"arm")]), "gzip"), L.media_type("gzip"), None)]
    L.push_layers_index(testbed.anon.host, repository, "multi", {"linux/amd64": amd, "linux/arm64": arm})
    L.push_layers_image(testbed.anon.host, repository, "amd", amd)
    result = cli("usage", f"{testbed.anon.host}/{repository}", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    tags = {t["tag"]: t for t in document["tags"]}
    # "amd" is the index's amd64 child pushed again: every blob it reaches, the index reaches too
    assert tags["amd"]["aloneBytes"] == 0 and tags["amd"]["sharedBytes"] == tags["amd"]["totalBytes"]
    arm_blob = arm[0][0]
    assert tags["multi"]["aloneBytes"] > len(arm_blob)  # the index, the arm64 manifest, config and layer
    assert document["uniqueBytes"] == tags["multi"]["totalBytes"]


def test_usage_of_an_unknown_repository_is_one_line(cli, testbed):
    result = cli("usage", f"{testbed.anon.host}/{scratch_repository('usage-none')}")
    assert result.code == 1 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
