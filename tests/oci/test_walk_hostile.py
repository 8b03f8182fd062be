"""walk() against indexes built to make it fan out, repeat itself or loop. respx serves them: a
real registry refuses to store an index whose entries it does not hold."""

from __future__ import annotations

import httpx
import pytest

from acrbrowse import limits
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci import walk as walk_module
from acrbrowse.oci.errors import InvalidReference, MalformedResponse, ManifestNotFound
from acrbrowse.oci.manifest import ImageIndex, parse_manifest
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.walk import ImageNode, fill_node, walk

from . import content as c
from .conftest import REGISTRY

CONFIG = c.image_config()
IMAGE = c.image_manifest(CONFIG, (10,))
PASTE_ATTACK = "sha256:" + "a" * 64 + "\necho PWNED; #"


def _serve_index(mock, body: bytes, tag: str = "v1"):
    return mock.get(f"/v2/app/manifests/{tag}").respond(200, content=body,
                                                         headers={"Docker-Content-Digest": c.sha256(body)})


def _children(mock):
    """Every manifest fetched by digest, and every blob: what the walk fans out to."""
    by_digest = mock.get(url__regex=r"/v2/app/manifests/sha(256|512):").mock(side_effect=_by_digest)
    blobs = mock.get(url__regex=r"/v2/app/blobs/").mock(side_effect=_by_digest)
    return by_digest, blobs


KNOWN = {c.sha256(body): body for body in (IMAGE, CONFIG)}


def _by_digest(request: httpx.Request) -> httpx.Response:
    body = KNOWN.get(request.url.path.rsplit("/", 1)[1])
    return httpx.Response(200, content=body) if body else httpx.Response(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})


async def test_an_index_repeating_one_digest_fetches_it_once(mock, make_client):
    entry = c.platform_entry(IMAGE, "linux", "amd64")
    index = c.index([entry] * 5_000)
    _serve_index(mock, index)
    by_digest, blobs = _children(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    assert by_digest.call_count == 1 and blobs.call_count == 1
    assert len(tree.nodes) == limits.MAX_INDEX_CHILDREN == 4096
    assert all(n.manifest is tree.nodes[0].manifest and n.config is tree.nodes[0].config for n in tree.nodes)
    assert tree.errors == [tree.truncated]
    assert str(tree.truncated) == (f"index {c.sha256(index)[:19]}… lists 5,000 manifests; acrbrowse reads only "
                                   "the first 4,096, and shows only those")


async def test_fan_out_stops_at_the_cap(mock, make_client, monkeypatch):
    monkeypatch.setattr(walk_module, "MAX_INDEX_CHILDREN", 40)
    index = c.index([c.descriptor(mt.OCI_MANIFEST, c.fake_digest(1000 + i), 10) for i in range(100)])
    _serve_index(mock, index)
    by_digest, _ = _children(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    asked = {call.request.url.path.rsplit("/", 1)[1] for call in by_digest.calls}
    assert by_digest.call_count == 40 and asked == {c.fake_digest(1000 + i) for i in range(40)}
    assert [n.descriptor.digest for n in tree.nodes] == sorted(asked)
    assert all(isinstance(n.error, ManifestNotFound) for n in tree.nodes)
    assert tree.errors[-1] is tree.truncated and "lists 100 manifests" in str(tree.truncated)
    assert len(tree.errors) == 41


async def test_an_index_at_the_cap_is_whole(mock, make_client, monkeypatch):
    monkeypatch.setattr(walk_module, "MAX_INDEX_CHILDREN", 3)
    index = c.index([c.platform_entry(IMAGE, "linux", "amd64")] * 3)
    _serve_index(mock, index)
    _children(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    assert tree.truncated is None and tree.errors == [] and len(tree.nodes) == 3


async def test_entries_sharing_a_failing_digest_report_it_once(mock, make_client):
    missing = c.descriptor(mt.OCI_MANIFEST, c.fake_digest(404), 10)
    _serve_index(mock, c.index([missing, c.platform_entry(IMAGE, "linux", "amd64"), missing, missing]))
    by_digest, _ = _children(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    assert by_digest.call_count == 2
    assert len(tree.errors) == 1 and isinstance(tree.errors[0], ManifestNotFound)
    assert tree.nodes[0].error is tree.nodes[2].error is tree.nodes[3].error


@pytest.mark.parametrize("digest", ["x", PASTE_ATTACK, "md5:" + "0" * 32, "latest"])
async def test_an_index_with_bad_digests_is_refused_before_any_child_is_fetched(mock, make_client, digest):
    entry = {"digest": digest}
    count = min(100_000, limits.MANIFEST_BYTES // (len(c.encode(entry)) + 1) - 10)  # under the manifest cap
    index = c.encode({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [entry] * count})
    _serve_index(mock, index)
    anything_else = mock.get(url__regex=r"/v2/app/(manifests/(?!v1$)|blobs/)").respond(404)
    with pytest.raises(MalformedResponse, match="entry 1: digest .* is not a sha256 or sha512 digest$"):
        await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    assert not anything_else.called


def _chain(levels: int) -> list[bytes]:
    """Indexes nested `levels` deep, the innermost listing IMAGE: [outermost, …, innermost]."""
    inner = c.index([c.platform_entry(IMAGE, "linux", "amd64")])
    chain = [inner]
    for _ in range(levels - 1):
        chain.insert(0, c.index([c.descriptor(mt.OCI_INDEX, c.sha256(chain[0]), len(chain[0]))]))
    return chain


async def test_nested_indexes_are_walked_to_the_nesting_cap_and_no_deeper(mock, make_client, monkeypatch):
    # Content addressing rules out a cycle of digests (an index cannot hold its own hash), so the
    # depth cap is what keeps a long chain of nested indexes from being followed without end.
    chain = _chain(walk_module.MAX_NESTING + 3)
    KNOWN.update({c.sha256(body): body for body in chain[1:]})
    try:
        _serve_index(mock, chain[0])
        by_digest, blobs = _children(mock)
        tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    finally:
        for body in chain[1:]:
            del KNOWN[c.sha256(body)]
    depth, node = 1, tree.nodes[0]
    while node.children:
        assert isinstance(node.manifest, ImageIndex) and node.not_walked is None
        [node] = node.children
        depth += 1
    assert depth == walk_module.MAX_NESTING + 1 and node.not_walked == "too deep"
    assert isinstance(node.manifest, ImageIndex) and node.manifest.digest == c.sha256(chain[depth])
    assert by_digest.call_count == depth and not blobs.called  # nothing below the cap is fetched


async def test_a_nested_index_three_deep_reaches_its_image(mock, make_client):
    chain = _chain(4)
    KNOWN.update({c.sha256(body): body for body in chain[1:]})
    try:
        _serve_index(mock, chain[0])
        _children(mock)
        tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    finally:
        for body in chain[1:]:
            del KNOWN[c.sha256(body)]
    leaf = tree.nodes[0].children[0].children[0].children[0]
    assert leaf.image is not None and leaf.config is not None and leaf.config.architecture == "amd64"
    assert tree.errors == []


async def test_an_index_listing_itself_is_not_walked_again(mock, make_client):
    raw = c.index([c.platform_entry(IMAGE, "linux", "amd64")])
    index = parse_manifest(raw, c.sha256(raw))
    looped = ImageIndex(index.media_type, index.digest, index.raw, manifests=(index.descriptor(), *index.manifests))
    mock.get("/v2/app/manifests/v1").respond(200, content=raw, headers={"Docker-Content-Digest": c.sha256(raw)})
    _children(mock)

    class Looping:  # a source whose tag answers the looped index (no registry can: its digest is not its hash)
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        async def get_manifest(self, repository, reference):
            return looped

    tree = await walk(Looping(make_client()), parse_reference(f"{REGISTRY}/app:v1"))
    assert tree.nodes[0].manifest is looped and tree.nodes[0].not_walked == "cycle" and not tree.nodes[0].children
    assert tree.nodes[1].image is not None


async def test_an_index_named_twice_is_walked_once(mock, make_client):
    inner = c.index([c.platform_entry(IMAGE, "linux", "amd64")])
    entry = c.descriptor(mt.OCI_INDEX, c.sha256(inner), len(inner))
    KNOWN[c.sha256(inner)] = inner
    try:
        _serve_index(mock, c.index([entry, entry]))
        by_digest, _ = _children(mock)
        tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    finally:
        del KNOWN[c.sha256(inner)]
    first, second = tree.nodes
    assert len(first.children) == 1 and second.children == [] and second.not_walked == "shown above"
    assert by_digest.call_count == 2


def test_index_nodes_give_an_entry_naming_the_index_the_index_itself():
    raw = c.index([c.platform_entry(IMAGE, "linux", "amd64")])
    index = parse_manifest(raw, c.sha256(raw))
    self_entry = index.descriptor()
    looped = ImageIndex(index.media_type, index.digest, index.raw, manifests=(self_entry, *index.manifests))
    nodes, truncated = walk_module.index_nodes(looped)
    assert truncated is None and nodes[0].manifest is looped and nodes[1].manifest is None


async def test_fill_node_fetches_only_by_a_valid_digest(mock, make_client):
    """Descriptors cannot hold a bad digest; fill_node checks again, should one ever get through."""
    descriptor = parse_manifest(IMAGE, c.sha256(IMAGE)).descriptor()
    object.__setattr__(descriptor, "digest", PASTE_ATTACK)
    anything = mock.route().respond(404)
    node = await fill_node(make_client(), "app", ImageNode(descriptor))
    assert isinstance(node.error, InvalidReference) and node.manifest is None
    assert not anything.called


async def test_a_tree_stops_fetching_past_its_byte_budget(mock, make_client, monkeypatch):
    images = [c.image_manifest(CONFIG, (10 + i,)) for i in range(30)]
    KNOWN.update({c.sha256(image): image for image in images})
    monkeypatch.setattr(walk_module, "TREE_BYTES", 1)
    _serve_index(mock, c.index([c.platform_entry(image, "linux", f"arch{i}") for i, image in enumerate(images)]))
    by_digest, _ = _children(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"), concurrency=4)
    fetched = by_digest.call_count
    assert 1 <= fetched <= 4  # the first, and any already under way when the budget ran out
    assert sum(n.manifest is not None for n in tree.nodes) == fetched
    assert tree.errors == [tree.truncated]
    assert f"more than 0 MiB; acrbrowse stopped there and left {30 - fetched} of them unread" in str(tree.truncated)


async def test_the_client_keeps_manifests_in_memory_within_a_byte_budget(mock, make_client, monkeypatch):
    from acrbrowse.oci.remote import client as client_module

    images = [c.image_manifest(CONFIG, (100 + i,)) for i in range(3)]
    KNOWN.update({c.sha256(image): image for image in images})
    monkeypatch.setattr(client_module, "MANIFEST_MEMORY_BYTES", 2 * len(images[0]) + 10)
    by_digest, _ = _children(mock)
    client = make_client()
    for image in images:
        await client.manifest_by_digest("app", c.sha256(image))
    await client.manifest_by_digest("app", c.sha256(images[2]))  # newest: still in memory
    assert by_digest.call_count == 3
    await client.manifest_by_digest("app", c.sha256(images[0]))  # oldest: dropped, fetched again
    assert by_digest.call_count == 4
