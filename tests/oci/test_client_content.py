"""Catalog and tag pages, manifests and blobs: shapes and digests a real registry won't get wrong on demand."""

import httpx
import pytest

from acrbrowse.limits import MANIFEST_BYTES as MAX_MANIFEST_BYTES
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import (
    CatalogDenied,
    Hint,
    InsecureRequest,
    IntegrityError,
    InvalidReference,
    MalformedResponse,
    ManifestNotFound,
    NotFound,
    RepositoryNotFound,
)
from acrbrowse.oci.manifest import ImageIndex, ImageManifest, parse_manifest

from . import content as c
from .conftest import REGISTRY, at_most


async def collect(pages):
    return [page async for page in pages]


# ---- catalog and tags ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"<html>502 Bad Gateway</html>"])
async def test_tags_that_are_not_json(mock, make_client, body):
    mock.get("/v2/app/tags/list").respond(200, content=body)
    with pytest.raises(MalformedResponse) as caught:
        await collect(make_client().tag_pages("app"))
    assert str(caught.value) == f"{REGISTRY} answered /v2/app/tags/list with something that is not JSON"


@pytest.mark.parametrize("body", [[], ["a"], {"name": "app"}, {"tags": "v1"}, {"tags": [1, 2]}, {"tags": {"v1": 1}}, "x"])
async def test_tags_of_the_wrong_shape(mock, make_client, body):
    mock.get("/v2/app/tags/list").respond(200, json=body)
    with pytest.raises(MalformedResponse, match="without a list of tags"):
        await collect(make_client().tag_pages("app"))


async def test_catalog_that_is_not_json(mock, make_client):
    mock.get("/v2/_catalog").respond(200, content=b"{")
    with pytest.raises(MalformedResponse, match="not JSON"):
        await collect(make_client().repository_pages())
    mock.get("/v2/_catalog").respond(200, json={"repositories": None, "x": 1})
    assert await collect(make_client().repository_pages()) == []
    mock.get("/v2/_catalog").respond(200, json={"repos": []})
    with pytest.raises(MalformedResponse, match="without a list of repositories"):
        await collect(make_client().repository_pages())


async def test_null_tags_is_an_empty_repository(mock, make_client):
    mock.get("/v2/app/tags/list").respond(200, json={"name": "app", "tags": None})
    client = make_client()
    assert await collect(client.tag_pages("app")) == []
    assert [t async for t in client.tags("app")] == []


async def test_catalog_pagination_follows_relative_links(mock, make_client):
    pages = {
        None: (["a", "b"], '</v2/_catalog?last=b&n=2>; rel="next"'),
        "b": (["c", "d"], '</v2/_catalog?last=d&n=2>; rel="next"'),
        "d": (["e"], None),
    }

    def page(request):
        names, link = pages[request.url.params.get("last")]
        return httpx.Response(200, json={"repositories": names}, headers={"Link": link} if link else {})

    route = mock.get("/v2/_catalog").mock(side_effect=page)
    client = make_client()
    assert await collect(client.repository_pages(page_size=2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert [str(call.request.url) for call in route.calls] == [
        f"https://{REGISTRY}/v2/_catalog?n=2",
        f"https://{REGISTRY}/v2/_catalog?last=b&n=2",
        f"https://{REGISTRY}/v2/_catalog?last=d&n=2",
    ]
    assert [name async for name in client.repositories(page_size=2)] == ["a", "b", "c", "d", "e"]


async def test_tag_pagination_with_an_absolute_same_host_link(mock, make_client):
    mock.get("/v2/team/app/tags/list").mock(side_effect=lambda request: httpx.Response(
        200, json={"tags": ["v2"]} if request.url.params.get("last") else {"tags": ["v1"]},
        headers={} if request.url.params.get("last") else
        {"Link": f'<https://{REGISTRY}/v2/team/app/tags/list?last=v1&n=1000>; rel="next"'}))
    assert [t async for t in make_client().tags("team/app")] == ["v1", "v2"]


@pytest.mark.parametrize("link", [
    '<https://evil.example.com/v2/_catalog?last=b>; rel="next"',
    '<//evil.example.com/v2/_catalog?last=b>; rel="next"',
    f'<http://{REGISTRY}/v2/_catalog?last=b>; rel="next"',
    f'<https://{REGISTRY}:8443/v2/_catalog?last=b>; rel="next"',
])
async def test_a_next_link_elsewhere_is_refused(mock, make_client, link):
    mock.get("/v2/_catalog").respond(200, json={"repositories": ["a", "b"]}, headers={"Link": link})
    elsewhere = mock.get(url__regex=r"^(?!https://reg\.example\.io/).*").respond(200, json={"repositories": ["x"]})
    seen = []
    with pytest.raises(InsecureRequest) as caught:
        async for page in make_client().repository_pages():
            seen.append(page)
    assert seen == [["a", "b"]]  # the first page was already shown
    assert "refusing to follow it" in str(caught.value)
    assert not elsewhere.called


async def test_a_self_link_loop_stops(mock, make_client):
    pages = {
        None: (["a"], '</v2/_catalog?last=a&n=1000>; rel="next"'),
        "a": (["b"], '</v2/_catalog?last=a&n=1000>; rel="next"'),  # links to itself
    }

    def page(request):
        names, link = pages[request.url.params.get("last")]
        return httpx.Response(200, json={"repositories": names}, headers={"Link": link})

    route = mock.get("/v2/_catalog").mock(side_effect=at_most(5, page))
    assert await collect(make_client().repository_pages()) == [["a"], ["b"]]
    assert route.call_count == 2


async def test_a_link_back_to_the_first_page_stops(mock, make_client):
    mock.get("/v2/_catalog").mock(side_effect=at_most(5, lambda request: httpx.Response(
        200, json={"repositories": ["b"] if request.url.params.get("last") else ["a"]},
        headers={"Link": '</v2/_catalog?n=1000>; rel="next"' if request.url.params.get("last")
                 else '</v2/_catalog?last=a&n=1000>; rel="next"'})))
    assert await collect(make_client().repository_pages()) == [["a"], ["b"]]


async def test_catalog_404_means_no_catalog(mock, make_client):
    mock.get("/v2/_catalog").respond(404)
    with pytest.raises(CatalogDenied, match="has no repository catalog") as caught:
        await collect(make_client().repository_pages())
    assert caught.value.hint is Hint.NAME_A_REPOSITORY and caught.value.registry == REGISTRY


async def test_tags_of_an_unknown_repository(mock, make_client):
    mock.get("/v2/nope/tags/list").respond(
        404, json={"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]})
    with pytest.raises(RepositoryNotFound) as caught:
        await collect(make_client().tag_pages("nope"))
    assert str(caught.value) == f"repository nope not found on {REGISTRY}"


# ---- manifests ----------------------------------------------------------------------------------

IMAGE = c.image_manifest(c.image_config())
IMAGE_DIGEST = c.sha256(IMAGE)


async def test_manifest_by_digest_is_verified_and_asks_for_every_type(mock, make_client):
    route = mock.get(f"/v2/app/manifests/{IMAGE_DIGEST}").respond(
        200, content=IMAGE, headers={"Content-Type": mt.OCI_MANIFEST})
    manifest = await make_client().get_manifest("app", IMAGE_DIGEST)
    assert isinstance(manifest, ImageManifest) and manifest.digest == IMAGE_DIGEST
    accept = route.calls.last.request.headers["accept"]
    assert accept == mt.MANIFEST_ACCEPT
    for media_type in (mt.OCI_INDEX, mt.DOCKER_MANIFEST_LIST, mt.OCI_MANIFEST, mt.DOCKER_MANIFEST):
        assert media_type in accept


async def test_manifest_by_digest_that_does_not_hash_to_it(mock, make_client):
    tampered = IMAGE.replace(b'"size":1000', b'"size":1001')
    mock.get(f"/v2/app/manifests/{IMAGE_DIGEST}").respond(
        200, content=tampered, headers={"Docker-Content-Digest": IMAGE_DIGEST})
    with pytest.raises(IntegrityError) as caught:
        await make_client().get_manifest("app", IMAGE_DIGEST)
    message = str(caught.value)
    assert f"manifest app@{IMAGE_DIGEST} does not match its digest" in message
    assert IMAGE_DIGEST[:19] in message and c.sha256(tampered)[:19] in message and "\n" not in message


async def test_manifest_by_tag_checks_docker_content_digest(mock, make_client):
    mock.get("/v2/app/manifests/v1").respond(200, content=IMAGE, headers={"Docker-Content-Digest": IMAGE_DIGEST})
    manifest = await make_client().get_manifest("app", "v1")
    assert manifest.digest == IMAGE_DIGEST and manifest.announced_digest is None
    # Another serialization's digest (issue 13): the body's own digest, and a warning; by digest stays strict.
    mock.get("/v2/app/manifests/v2").respond(200, content=IMAGE, headers={"Docker-Content-Digest": c.fake_digest(3)})
    notices: list[str] = []
    manifest = await make_client(on_notice=notices.append).get_manifest("app", "v2")
    assert manifest.digest == IMAGE_DIGEST and manifest.announced_digest == c.fake_digest(3)
    [notice] = notices
    assert notice.startswith("manifest app:v2: reg.example.io announced digest") and IMAGE_DIGEST[:19] in notice


async def test_manifest_by_tag_without_a_digest_header_is_hashed(mock, make_client):
    mock.get("/v2/app/manifests/v1").respond(200, content=IMAGE)
    assert (await make_client().get_manifest("app", "v1")).digest == IMAGE_DIGEST


@pytest.mark.parametrize("announced", ["md5", "sha256:short", "sha256:" + "Z" * 64])
async def test_an_unusable_announced_digest(mock, make_client, announced):
    mock.get("/v2/app/manifests/v1").respond(200, content=IMAGE, headers={"Docker-Content-Digest": announced})
    with pytest.raises(IntegrityError, match="unusable digest"):
        await make_client().get_manifest("app", "v1")


async def test_sha512_digest_is_verified(mock, make_client):
    digest = c.sha512(IMAGE)
    mock.get(f"/v2/app/manifests/{digest}").respond(200, content=IMAGE)
    manifest = await make_client().get_manifest("app", digest)
    assert manifest.digest == digest
    wrong = "sha512:" + "0" * 128
    mock.get(f"/v2/app/manifests/{wrong}").respond(200, content=IMAGE)
    with pytest.raises(IntegrityError, match="does not match its digest"):
        await make_client().get_manifest("app", wrong)


async def test_index_by_tag_uses_the_content_type(mock, make_client):
    body = c.index([c.platform_entry(IMAGE, "linux", "amd64")])
    body_without_type = body.replace(b'"mediaType":"application/vnd.oci.image.index.v1+json",', b"")
    mock.get("/v2/app/manifests/v1").respond(
        200, content=body_without_type, headers={"Content-Type": mt.DOCKER_MANIFEST_LIST})
    manifest = await make_client().get_manifest("app", "v1")
    assert isinstance(manifest, ImageIndex) and manifest.media_type == mt.DOCKER_MANIFEST_LIST


async def test_manifest_not_found(mock, make_client):
    mock.get("/v2/app/manifests/v9").respond(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    with pytest.raises(ManifestNotFound) as caught:
        await make_client().get_manifest("app", "v9")
    assert str(caught.value) == f"app:v9 not found on {REGISTRY}"


async def test_oversized_manifest_is_refused(mock, make_client):
    mock.get("/v2/app/manifests/big").respond(200, content=b"{" + b" " * MAX_MANIFEST_BYTES + b"}")
    with pytest.raises(MalformedResponse, match="larger than 4 MiB"):
        await make_client().get_manifest("app", "big")


async def test_head_manifest(mock, make_client):
    mock.head("/v2/app/manifests/v1").respond(200, headers={
        "Docker-Content-Digest": IMAGE_DIGEST, "Content-Type": mt.OCI_MANIFEST, "Content-Length": str(len(IMAGE))})
    descriptor = await make_client().head_manifest("app", "v1")
    assert (descriptor.media_type, descriptor.digest, descriptor.size) == (mt.OCI_MANIFEST, IMAGE_DIGEST, len(IMAGE))


async def test_head_manifest_without_a_digest_falls_back_to_get(mock, make_client):
    mock.head("/v2/app/manifests/v1").respond(200, headers={"Content-Type": mt.OCI_MANIFEST})
    get = mock.get("/v2/app/manifests/v1").respond(200, content=IMAGE)
    descriptor = await make_client().head_manifest("app", "v1")
    assert descriptor.digest == IMAGE_DIGEST and descriptor.size == len(IMAGE)
    assert get.call_count == 1


# ---- blobs ----------------------------------------------------------------------------------

CONFIG = c.image_config()


async def test_blob_is_verified(mock, make_client):
    mock.get(f"/v2/app/blobs/{c.sha256(CONFIG)}").respond(200, content=CONFIG)
    assert await make_client().get_blob("app", c.sha256(CONFIG)) == CONFIG
    mock.get(f"/v2/app/blobs/{c.fake_digest(4)}").respond(200, content=CONFIG)
    with pytest.raises(IntegrityError, match=f"blob {c.fake_digest(4)[:19]} of app does not match its digest"):
        await make_client().get_blob("app", c.fake_digest(4))


async def test_blob_size_limit(mock, make_client):
    mock.get(f"/v2/app/blobs/{c.sha256(CONFIG)}").respond(200, content=CONFIG)
    with pytest.raises(MalformedResponse, match="larger than"):
        await make_client().get_blob("app", c.sha256(CONFIG), max_bytes=10)


async def test_blob_with_an_invalid_digest_is_not_requested(mock, make_client):
    route = mock.get(url__regex=r".*/blobs/.*").respond(200, content=b"")
    with pytest.raises(InvalidReference):
        await make_client().get_blob("app", "sha256:../../etc")
    assert not route.called


async def test_blob_not_found(mock, make_client):
    mock.get(f"/v2/app/blobs/{c.fake_digest(4)}").respond(
        404, json={"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry"}]})
    with pytest.raises(NotFound) as caught:
        await make_client().get_blob("app", c.fake_digest(4))
    assert "BLOB_UNKNOWN: blob unknown to registry" in str(caught.value)


async def test_get_config(mock, make_client):
    mock.get(f"/v2/app/blobs/{c.sha256(CONFIG)}").respond(200, content=CONFIG)
    image = c.image_manifest(CONFIG)
    config = await make_client().get_config("app", parse_manifest(image, c.sha256(image)).config)
    assert config.digest == c.sha256(CONFIG)
    assert config.os == "linux" and config.runtime.exposed_ports == ("443/tcp", "8080/tcp")


async def test_a_head_without_digest_falls_back_to_one_get_for_the_tag_list(mock, make_client):
    raw = c.image_manifest(c.image_config())
    mock.head("/v2/app/manifests/v1").mock(return_value=httpx.Response(200, headers={"Content-Type": mt.OCI_MANIFEST}))
    by_tag = mock.get("/v2/app/manifests/v1").mock(return_value=httpx.Response(
        200, content=raw, headers={"Content-Type": mt.OCI_MANIFEST}))
    by_digest = mock.get(path__regex=r"/v2/app/manifests/sha256:").mock(return_value=httpx.Response(
        200, content=raw, headers={"Content-Type": mt.OCI_MANIFEST}))
    manifest = await make_client().manifest_for_tag("app", "v1")
    assert isinstance(manifest, ImageManifest)
    assert by_tag.call_count == 1 and by_digest.call_count == 0  # the fallback's body is not fetched again
