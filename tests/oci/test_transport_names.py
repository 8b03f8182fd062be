"""Requests are built only from valid names, and whatever URL a registry leads to (a redirect, a realm)
ends as a RegistryError, never httpx.InvalidURL or another exception type."""

from __future__ import annotations

import httpx
import pytest

from acrbrowse.oci.errors import (
    IntegrityError,
    InvalidReference,
    MalformedResponse,
    RegistryError,
)

from . import content as c

ESC_TAG = "v1\x1b]52;c;ZWNobyBQV05FRA==\x07"
GOOD_DIGEST = c.fake_digest(1)


@pytest.fixture
def anything(mock):
    """A route that answers every request: the tests assert it is never asked."""
    return mock.route().respond(200, json={"tags": []})


@pytest.mark.parametrize("tag", [ESC_TAG, "v1\n", "a" * 200, "", "../../x", "v 1", "tag\x00", "é"])
async def test_a_bad_tag_is_refused_before_any_request(make_client, anything, tag):
    client = make_client()
    for call in (client.get_manifest, client.head_manifest, client.manifest_for_tag):
        with pytest.raises(InvalidReference):
            await call("app", tag)
    assert not anything.called


@pytest.mark.parametrize("digest", ["sha256:" + "a" * 63 + "\x1b", "md5:" + "0" * 32, "shake_128:" + "0" * 64,
                                    "sha256:" + "A" * 64, "sha256:../../etc/passwd" + "0" * 40])
async def test_a_bad_digest_is_refused_before_any_request(make_client, anything, digest):
    client = make_client()
    for call in (client.get_manifest, client.head_manifest, client.manifest_by_digest, client.get_blob):
        with pytest.raises(InvalidReference):
            await call("app", digest)
    assert not anything.called


@pytest.mark.parametrize("repository", ["app\x1b[2J", "App", "a//b", "/app", "app/", "a" * 300, "app?x=1", "app#x"])
async def test_a_bad_repository_is_refused_before_any_request(make_client, anything, repository):
    client = make_client()
    with pytest.raises(InvalidReference):
        await client.get_manifest(repository, "v1")
    with pytest.raises(InvalidReference):
        await client.get_blob(repository, GOOD_DIGEST)
    with pytest.raises(InvalidReference):
        [page async for page in client.tag_pages(repository)]
    assert not anything.called


@pytest.mark.parametrize("location", ["https://blobs.other.io:abc/x", "https://blobs.other.io:99999/x",
                                      "ftp://blobs.other.io/x", "file:///etc/passwd", "https://bl\x1bobs/x",
                                      "http://[::1"])
async def test_an_unusable_redirect_is_a_registry_error(mock, make_client, location):
    mock.get(f"/v2/app/blobs/{GOOD_DIGEST}").mock(
        return_value=httpx.Response(307, headers=[(b"Location", location.encode("latin-1"))]))
    with pytest.raises(RegistryError) as caught:
        await make_client(retries=0).get_blob("app", GOOD_DIGEST)
    assert isinstance(caught.value, MalformedResponse), repr(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("announced", ["shake_128:" + "0" * 64, "md5:" + "0" * 32, "sha1:" + "0" * 40])
async def test_an_unsupported_announced_digest_is_refused_clearly(mock, make_client, announced):
    raw = c.image_manifest(c.image_config())
    mock.get("/v2/app/manifests/v1").respond(200, content=raw, headers={"Docker-Content-Digest": announced})
    mock.head("/v2/app/manifests/v1").respond(200, headers={"Docker-Content-Digest": announced})
    client = make_client()
    for call in (client.get_manifest, client.head_manifest, client.manifest_for_tag):
        with pytest.raises(IntegrityError) as caught:
            await call("app", "v1")
        assert "unsupported digest algorithm" in str(caught.value)


@pytest.mark.parametrize("length", ["-5", "abc", "9" * 30, "\u0661"])
async def test_an_odd_content_length_on_head_is_no_crash(mock, make_client, length):
    mock.head("/v2/app/manifests/v1").respond(
        200, headers=[(b"Docker-Content-Digest", GOOD_DIGEST.encode()), (b"Content-Length", length.encode())])
    try:
        descriptor = await make_client().head_manifest("app", "v1")
    except RegistryError as error:
        assert "\n" not in str(error)
    else:
        assert descriptor.digest == GOOD_DIGEST and isinstance(descriptor.size, int)
