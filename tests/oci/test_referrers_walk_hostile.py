"""The referrers walk against registries built to make it loop or fan out: a referrer chain longer
than the depth cap, a registry that lists an ancestor as a referrer (a cycle), more referrers than
the tree may hold, and strings that must reach a terminal escaped. respx serves them: a real
registry cannot answer a referrers list that lies."""

from __future__ import annotations

import re

import httpx

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci import walk as walk_module
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.walk import MAX_REFERRER_DEPTH, walk
from acrbrowse.present.render import render_json, render_text

from . import content as c
from .conftest import REGISTRY

CONFIG = c.image_config()
IMAGE = c.image_manifest(CONFIG, (10,))


def _artifact(subject: bytes, n: int, artifact_type: str = "application/vnd.example.sig") -> bytes:
    return c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": artifact_type,
                     "config": c.descriptor(mt.OCI_EMPTY, c.sha256(b"{}"), 2),
                     "layers": [c.descriptor("application/octet-stream", c.fake_digest(500 + n), 10)],
                     "subject": c.descriptor(mt.OCI_MANIFEST, c.sha256(subject), len(subject))})


def _entry(body: bytes, artifact_type: str = "application/vnd.example.sig") -> dict:
    return c.descriptor(mt.OCI_MANIFEST, c.sha256(body), len(body), artifactType=artifact_type)


def _serve(mock, manifests: list[bytes], referrers: dict[str, list[dict]]):
    """The image under tag v1, every manifest by digest, the referrers API from `referrers`, and no
    cosign tags. Returns the referrers route."""
    by_digest = {c.sha256(body): body for body in manifests}
    mock.get("/v2/app/manifests/v1").respond(200, content=IMAGE, headers={"Docker-Content-Digest": c.sha256(IMAGE)})
    mock.route(method="HEAD", url__regex=r"/v2/app/manifests/sha256-").respond(404)
    mock.get(url__regex=r"/v2/app/blobs/").respond(200, content=CONFIG)

    def manifest(request: httpx.Request) -> httpx.Response:
        body = by_digest.get(request.url.path.rsplit("/", 1)[1])
        return httpx.Response(200, content=body) if body else httpx.Response(404)

    def listed(request: httpx.Request) -> httpx.Response:
        digest = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, content=c.index(referrers.get(digest, [])), headers={"Content-Type": mt.OCI_INDEX})

    mock.get(url__regex=r"/v2/app/manifests/sha256:").mock(side_effect=manifest)
    return mock.get(url__regex=r"/v2/app/referrers/").mock(side_effect=listed)


def _depth(nodes) -> int:
    return 1 + max((_depth(n.referrers) for n in nodes), default=0) if nodes else 0


async def test_a_referrer_chain_stops_at_the_depth_cap(mock, make_client):
    chain = [IMAGE]
    for n in range(MAX_REFERRER_DEPTH + 3):
        chain.append(_artifact(chain[-1], n))
    route = _serve(mock, chain, {c.sha256(chain[i]): [_entry(chain[i + 1])] for i in range(len(chain) - 1)})
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"), referrers=True)
    assert _depth(tree.nodes[0].referrers) == MAX_REFERRER_DEPTH
    assert route.call_count == MAX_REFERRER_DEPTH  # nothing asked below the cap
    assert tree.errors == []


async def test_a_registry_listing_an_ancestor_as_a_referrer_is_not_followed_round(mock, make_client):
    signature = _artifact(IMAGE, 1)
    on_signature = _artifact(signature, 2)
    # the registry says the image and the signature refer to the signature's own referrer's referrer
    route = _serve(mock, [IMAGE, signature, on_signature], {
        c.sha256(IMAGE): [_entry(signature)],
        c.sha256(signature): [_entry(on_signature)],
        c.sha256(on_signature): [_entry(signature), _entry(IMAGE)],
    })
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"), referrers=True)
    [first] = tree.nodes[0].referrers
    [second] = first.referrers
    assert {n.descriptor.digest for n in second.referrers} == {c.sha256(signature), c.sha256(IMAGE)}
    assert all(n.referrers == [] for n in second.referrers)  # ancestors: listed, never walked again
    assert route.call_count == 3


async def test_more_referrers_than_the_tree_may_hold(mock, make_client, monkeypatch):
    monkeypatch.setattr(walk_module, "MAX_REFERRERS", 3)
    signatures = [_artifact(IMAGE, n) for n in range(5)]
    _serve(mock, [IMAGE, *signatures], {c.sha256(IMAGE): [_entry(s) for s in signatures]})
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"), referrers=True)
    assert len(tree.nodes[0].referrers) == 3
    assert any("more than 3" in str(error) for error in tree.errors)
    assert "more than 3" in render_json(tree)["referrersError"]


async def test_hostile_artifact_types_reach_the_terminal_escaped(mock, make_client):
    hostile = "application/x\x1b]52;c;ZWNobyBQV05FRA==\x07\nforged line"
    signature = _artifact(IMAGE, 1, hostile)
    _serve(mock, [IMAGE, signature], {c.sha256(IMAGE): [_entry(signature, hostile)]})
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"), referrers=True)
    text = render_text(tree)
    assert "\x1b" not in text and "\x07" not in text and "forged line" in text
    assert not any(line.startswith("forged line") for line in text.splitlines())
    assert re.search(r"artifact application/x\\x1b\]52;c;ZWNobyBQV05FRA==\\x07\\x0aforged line  sha256:", text)
    assert render_json(tree)["referrers"][0]["artifactType"] == hostile  # exact in JSON


async def test_a_registry_without_the_api_is_asked_for_it_once(mock, make_client):
    """A plain 404 (no OCI error body: the route is unknown) means no API: later subjects go
    straight to the tag schema. One with an OCI error body keeps the API in use."""
    other = c.fake_digest(8)
    api = mock.get(url__regex=r"/v2/app/referrers/").respond(404, text="404 page not found")
    tags = mock.get(url__regex=r"/v2/app/manifests/sha256-").respond(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    client = make_client()
    assert await client.referrers("app", c.fake_digest(7)) == [] and await client.referrers("app", other) == []
    assert api.call_count == 1 and tags.call_count == 2


async def test_an_oci_error_from_the_referrers_api_keeps_it_in_use(mock, make_client):
    api = mock.get(url__regex=r"/v2/app/referrers/").respond(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    mock.get(url__regex=r"/v2/app/manifests/sha256-").respond(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    client = make_client()
    await client.referrers("app", c.fake_digest(7))
    await client.referrers("app", c.fake_digest(8))
    assert api.call_count == 2
