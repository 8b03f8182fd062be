"""walk(): an index, its platform manifests and their image configs, fetched concurrently."""

import asyncio

import httpx

from acrbrowse.oci.errors import IntegrityError, ManifestNotFound, ServerError
from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.walk import ImageNode, fill_node, walk

from . import content as c
from .conftest import REALM, REGISTRY, auth_of, bearer_challenge, protected

AMD_CONFIG = c.image_config()
ARM_CONFIG = c.image_config(architecture="arm64")
AMD = c.image_manifest(AMD_CONFIG, (1000, 2000))
ARM = c.image_manifest(ARM_CONFIG, (3000,))
ATTESTATION = c.attestation_manifest(c.sha256(AMD))
INDEX = c.index([
    c.platform_entry(AMD, "linux", "amd64"),
    c.platform_entry(ARM, "linux", "arm64", variant="v8"),
    c.attestation_entry(ATTESTATION, c.sha256(AMD)),
])


def _serve(mock, *, skip: set[bytes] = frozenset()):
    """Routes for the index (by tag), every manifest (by digest) and both image configs."""
    mock.get("/v2/app/manifests/v1").respond(200, content=INDEX, headers={"Docker-Content-Digest": c.sha256(INDEX)})
    manifests = {}
    for body in (INDEX, AMD, ARM, ATTESTATION):
        if body not in skip:
            manifests[body] = mock.get(f"/v2/app/manifests/{c.sha256(body)}").respond(200, content=body)
    configs = {body: mock.get(f"/v2/app/blobs/{c.sha256(body)}").respond(200, content=body)
               for body in (AMD_CONFIG, ARM_CONFIG)}
    any_blob = mock.get(url__regex=r"/v2/app/blobs/").respond(404)  # anything else, e.g. the attestation's config
    return manifests, configs, any_blob


async def test_walk_an_index(mock, make_client):
    manifests, configs, any_blob = _serve(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    assert isinstance(tree.root, ImageIndex) and tree.root.digest == c.sha256(INDEX)
    assert [n.descriptor.digest for n in tree.nodes] == [c.sha256(AMD), c.sha256(ARM), c.sha256(ATTESTATION)]
    assert tree.errors == []
    amd, arm, attestation = tree.nodes
    assert isinstance(amd.manifest, ImageManifest) and amd.image is amd.manifest
    assert amd.config.architecture == "amd64" and arm.config.architecture == "arm64"
    assert isinstance(attestation.manifest, ImageManifest)
    assert attestation.config is None  # an attestation's config says nothing worth fetching
    assert manifests[AMD].call_count == manifests[ARM].call_count == manifests[ATTESTATION].call_count == 1
    assert configs[AMD_CONFIG].call_count == configs[ARM_CONFIG].call_count == 1
    assert not any_blob.called


async def test_a_failing_child_keeps_its_error_and_the_others_succeed(mock, make_client, sleeps):
    manifests, configs, _ = _serve(mock, skip={ARM})
    mock.get(f"/v2/app/manifests/{c.sha256(ARM)}").respond(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    mock.get(f"/v2/app/blobs/{c.sha256(AMD_CONFIG)}").respond(500)  # the amd64 config fails too
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    amd, arm, attestation = tree.nodes
    assert isinstance(arm.error, ManifestNotFound) and arm.manifest is None and arm.config is None
    assert isinstance(amd.error, ServerError) and isinstance(amd.manifest, ImageManifest) and amd.config is None
    assert attestation.error is None and isinstance(attestation.manifest, ImageManifest)
    assert tree.errors == [amd.error, arm.error]


async def test_a_child_that_does_not_match_its_digest(mock, make_client):
    _serve(mock, skip={ARM})
    mock.get(f"/v2/app/manifests/{c.sha256(ARM)}").respond(200, content=AMD)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    assert isinstance(tree.nodes[1].error, IntegrityError)
    assert tree.nodes[0].error is None and tree.nodes[0].config is not None


async def test_walk_without_configs(mock, make_client):
    _, configs, any_blob = _serve(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"), with_configs=False)
    assert all(n.config is None and n.error is None for n in tree.nodes)
    assert not any(route.called for route in configs.values()) and not any_blob.called


async def test_walk_a_single_image_by_digest(mock, make_client):
    _, configs, _ = _serve(mock)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app@{c.sha256(AMD)}"))
    assert isinstance(tree.root, ImageManifest)
    [node] = tree.nodes
    assert node.manifest is tree.root and node.descriptor.digest == c.sha256(AMD)
    assert node.config.architecture == "amd64"
    assert configs[AMD_CONFIG].call_count == 1


async def test_walk_defaults_to_latest(mock, make_client):
    mock.get("/v2/app/manifests/latest").respond(200, content=AMD)
    mock.get(f"/v2/app/blobs/{c.sha256(AMD_CONFIG)}").respond(200, content=AMD_CONFIG)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app"))
    assert tree.root.digest == c.sha256(AMD)


async def test_the_root_failing_raises(mock, make_client):
    mock.get("/v2/app/manifests/v1").respond(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})
    try:
        await walk(make_client(), parse_reference(f"{REGISTRY}/app:v1"))
    except ManifestNotFound as error:
        assert str(error) == f"app:v1 not found on {REGISTRY}"
    else:
        raise AssertionError("walk() should raise when the root manifest cannot be read")


async def test_concurrency_is_bounded(mock, make_client):
    entries = []
    bodies = []
    for i in range(12):
        body = c.image_manifest(c.image_config(architecture=f"arch{i}"), (i + 1,),
                                config_type="application/vnd.example.not-an-image-config")
        bodies.append(body)
        entries.append(c.platform_entry(body, "linux", f"arch{i}"))
    index = c.index(entries)
    mock.get("/v2/app/manifests/many").respond(200, content=index)
    in_flight = peak = 0

    async def slow(request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        digest = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, content=next(b for b in bodies if c.sha256(b) == digest))

    mock.get(url__regex=r"/v2/app/manifests/sha256:").mock(side_effect=slow)
    tree = await walk(make_client(), parse_reference(f"{REGISTRY}/app:many"), concurrency=3)
    assert tree.errors == [] and len(tree.nodes) == 12
    assert 1 < peak <= 3
    assert all(n.config is None for n in tree.nodes)  # artifact configs are not fetched


async def test_fill_node_with_a_known_manifest(mock, make_client):
    route = mock.get(f"/v2/app/blobs/{c.sha256(AMD_CONFIG)}").respond(200, content=AMD_CONFIG)
    from acrbrowse.oci.manifest import parse_manifest
    manifest = parse_manifest(AMD, c.sha256(AMD))
    node = await fill_node(make_client(), "app", ImageNode(manifest.descriptor(), manifest))
    assert node.config.os == "linux" and route.call_count == 1


async def test_walk_behind_a_token_asks_for_it_once(mock, make_client, password):
    def guard(body):
        return protected({"tok"}, httpx.Response(200, content=body), bearer_challenge())

    mock.get("/v2/app/manifests/v1").mock(side_effect=guard(INDEX))
    for body in (AMD, ARM, ATTESTATION):
        mock.get(f"/v2/app/manifests/{c.sha256(body)}").mock(side_effect=guard(body))
    blobs = [mock.get(f"/v2/app/blobs/{c.sha256(body)}").mock(side_effect=guard(body)) for body in (AMD_CONFIG, ARM_CONFIG)]
    realm = mock.get(REALM).respond(200, json={"token": "tok", "expires_in": 300})
    tree = await walk(make_client(password), parse_reference(f"{REGISTRY}/app:v1"))
    assert tree.errors == []
    assert realm.call_count == 1
    assert all(auth_of(route) == ["Bearer tok"] for route in blobs)  # the children carry it up front
