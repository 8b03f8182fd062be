"""Referrers: what is attached to a manifest (signatures, SBOMs, provenance).

The test bed's registry (distribution 2.8) has no referrers API, so the fallback (the referrers tag
schema, as oras and cosign write it) runs against a real registry (the tests' own, to push into);
the API's own answers, which it cannot give, come from respx."""

from __future__ import annotations

import json

import httpx
import pytest

from acrbrowse.limits import MANIFEST_BYTES
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import AccessDenied, InsecureRequest, InvalidReference, MalformedResponse, RepositoryNotFound
from acrbrowse.oci.remote.client import RegistryClient

from . import content as c
from .conftest import REGISTRY
from .pushing import artifact, image, push_manifest, referrers_index, referrers_tag, scratch_repository

SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"
SBOM = "application/spdx+json"


# ---- the referrers tag schema, against the real registry ------------------------------------------

@pytest.fixture
def attached(scratch_registry):
    """An image with a signature and an SBOM attached, listed under the referrers tag as oras does."""
    repository = scratch_repository("referrers")
    subject = image(repository)
    signature = artifact(subject, SIGNATURE, b"signature of " + repository.encode())
    sbom = artifact(subject, SBOM, b'{"spdxVersion":"SPDX-2.3"}')
    push_manifest(scratch_registry, repository, "latest", subject)
    for referrer in (signature, sbom):
        push_manifest(scratch_registry, repository, referrer.digest, referrer)
    push_manifest(scratch_registry, repository, referrers_tag(subject.digest), referrers_index(signature, sbom))
    return repository, subject, signature, sbom


async def test_the_referrers_tag_is_read_when_the_registry_has_no_referrers_api(scratch_registry, fault_proxy, attached):
    repository, subject, signature, sbom = attached
    proxy = fault_proxy(scratch_registry.anon.host)
    async with RegistryClient(proxy.host) as client:
        found = await client.referrers(repository, subject.digest)
    assert [(d.digest, d.artifact_type, d.size) for d in found] == [
        (signature.digest, SIGNATURE, signature.size), (sbom.digest, SBOM, sbom.size)]
    assert found[0].annotations == {"org.opencontainers.image.created": "2024-06-01T00:00:00Z"}
    asked = [(entry.method, entry.path.split("?")[0], entry.status) for entry in proxy.log]
    assert asked == [
        ("GET", f"/v2/{repository}/referrers/{subject.digest}", 404),  # distribution 2.8: no such API
        ("GET", f"/v2/{repository}/manifests/{referrers_tag(subject.digest)}", 200),
    ]
    assert proxy.log[0].headers["Accept"] == mt.OCI_INDEX


async def test_the_referrers_tag_filtered_by_artifact_type(scratch_registry, attached):
    repository, subject, _, sbom = attached
    async with RegistryClient(scratch_registry.anon.host) as client:
        assert [d.digest for d in await client.referrers(repository, subject.digest, SBOM)] == [sbom.digest]
        assert await client.referrers(repository, subject.digest, "application/vnd.example.none") == []


async def test_a_referrer_is_a_real_manifest_whose_subject_is_the_image(scratch_registry, attached):
    repository, subject, signature, _ = attached
    async with RegistryClient(scratch_registry.anon.host) as client:
        [first, *_] = await client.referrers(repository, subject.digest)
        manifest = await client.manifest_by_digest(repository, first.digest)
    assert manifest.digest == signature.digest
    assert manifest.subject is not None and manifest.subject.digest == subject.digest


async def test_an_image_without_referrers_has_none(scratch_registry):
    repository = scratch_repository("no-referrers")
    subject = image(repository)
    push_manifest(scratch_registry, repository, "latest", subject)
    async with RegistryClient(scratch_registry.anon.host) as client:
        assert await client.referrers(repository, subject.digest) == []


async def test_referrers_through_a_token_registry_ask_for_pull_on_the_repository(testbed, token_server):
    admin = Credential("admin", Secret(testbed.users["admin"]), source="test")
    async with RegistryClient(testbed.token.host, credential=admin) as client:
        # the bed's SBOM names this image as its subject, but nobody wrote the referrers tag
        assert await client.referrers("aspnetapp", testbed.content.aspnetapp_amd64.digest) == []
    scopes = [path for _, path, _ in token_server.requests if "/oauth2/token" in path]
    assert scopes and all("scope=repository%3Aaspnetapp%3Apull" in path for path in scopes)


# ---- the referrers API, which the test bed's registry does not have ----------------------------------

SUBJECT = c.fake_digest(7)
PATH = f"/v2/app/referrers/{SUBJECT}"


def entry(n: int, artifact_type: str | None = SBOM) -> dict:
    extra = {"artifactType": artifact_type} if artifact_type else {}
    return c.descriptor(mt.OCI_MANIFEST, c.fake_digest(100 + n), 500 + n, **extra)


def answer(*entries: dict, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=c.index(list(entries)), headers={"Content-Type": mt.OCI_INDEX, **headers})


async def test_the_referrers_api_answer_is_read(mock, make_client):
    route = mock.get(PATH).mock(return_value=answer(entry(1, SIGNATURE), entry(2)))
    tag = mock.get(url__regex=r".*/manifests/.*").respond(404)
    found = await make_client().referrers("app", SUBJECT)
    assert [(d.digest, d.artifact_type, d.size) for d in found] == [
        (c.fake_digest(101), SIGNATURE, 501), (c.fake_digest(102), SBOM, 502)]
    assert route.calls.last.request.headers["accept"] == mt.OCI_INDEX
    assert not tag.called


async def test_an_empty_answer_means_no_referrers(mock, make_client):
    mock.get(PATH).mock(return_value=answer())
    assert await make_client().referrers("app", SUBJECT) == []


async def test_referrers_pages_follow_link_on_the_same_origin(mock, make_client):
    def page(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("next") == "2":
            return answer(entry(3))
        return answer(entry(1), entry(2), Link=f'<{PATH}?next=2>; rel="next"')

    route = mock.get(PATH).mock(side_effect=page)
    found = await make_client().referrers("app", SUBJECT)
    assert [d.digest for d in found] == [c.fake_digest(101), c.fake_digest(102), c.fake_digest(103)]
    assert route.call_count == 2


async def test_a_referrers_page_linking_elsewhere_is_refused(mock, make_client):
    mock.get(PATH).mock(return_value=answer(entry(1), Link=f'<https://evil.example.com{PATH}?next=2>; rel="next"'))
    elsewhere = mock.get(url__regex=r"^https://evil\.example\.com/").respond(200)
    with pytest.raises(InsecureRequest, match="refusing to follow it"):
        await make_client().referrers("app", SUBJECT)
    assert not elsewhere.called


async def test_a_referrers_page_linking_to_itself_stops(mock, make_client):
    route = mock.get(PATH).mock(return_value=answer(entry(1), Link=f'<{PATH}>; rel="next"'))
    assert [d.digest for d in await make_client().referrers("app", SUBJECT)] == [c.fake_digest(101)]
    assert route.call_count == 1


async def test_a_filter_the_registry_did_not_apply_is_applied_here(mock, make_client):
    route = mock.get(PATH).mock(return_value=answer(entry(1, SIGNATURE), entry(2, SBOM), entry(3, None)))
    found = await make_client().referrers("app", SUBJECT, artifact_type=SBOM)
    assert [d.digest for d in found] == [c.fake_digest(102)]
    assert route.calls.last.request.url.params["artifactType"] == SBOM


async def test_a_filter_the_registry_applied_is_trusted(mock, make_client):
    # OCI-Filters-Applied says the registry filtered: its answer stands as it is.
    route = mock.get(PATH).mock(return_value=answer(entry(2, SBOM), entry(4, SBOM), **{"OCI-Filters-Applied": "artifactType"}))
    found = await make_client().referrers("app", SUBJECT, artifact_type=SBOM)
    assert [d.digest for d in found] == [c.fake_digest(102), c.fake_digest(104)]
    assert route.calls.last.request.url.params["artifactType"] == SBOM


@pytest.mark.parametrize("status", [400, 404, 405])
async def test_no_referrers_api_falls_back_to_the_tag(mock, make_client, status):
    mock.get(PATH).respond(status)
    fallback = c.index([entry(1, SIGNATURE), entry(2)])
    tag = mock.get(f"/v2/app/manifests/sha256-{SUBJECT[7:]}").respond(
        200, content=fallback, headers={"Content-Type": mt.OCI_INDEX, "Docker-Content-Digest": c.sha256(fallback)})
    found = await make_client().referrers("app", SUBJECT, artifact_type=SIGNATURE)
    assert [d.digest for d in found] == [c.fake_digest(101)]
    assert tag.call_count == 1


async def test_no_referrers_api_and_no_tag_is_none(mock, make_client):
    mock.get(PATH).respond(404)
    mock.get(f"/v2/app/manifests/sha256-{SUBJECT[7:]}").respond(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    assert await make_client().referrers("app", SUBJECT) == []


async def test_no_referrers_api_in_a_repository_the_registry_does_not_know(mock, make_client):
    mock.get(PATH).respond(404)
    mock.get(f"/v2/app/manifests/sha256-{SUBJECT[7:]}").respond(
        404, json={"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]})
    with pytest.raises(RepositoryNotFound, match=f"repository app not found on {REGISTRY}"):
        await make_client().referrers("app", SUBJECT)


async def test_a_sha512_subject_has_a_tag_of_64_hex_digits(mock, make_client):
    subject = "sha512:" + "ab" * 64
    mock.get(f"/v2/app/referrers/{subject}").respond(404)
    tag = mock.get(f"/v2/app/manifests/sha512-{'ab' * 32}").respond(404)
    assert await make_client().referrers("app", subject) == []
    assert tag.call_count == 1


async def test_a_referrers_tag_holding_an_image_is_refused(mock, make_client):
    mock.get(PATH).respond(404)
    raw = c.image_manifest(c.image_config())
    mock.get(f"/v2/app/manifests/sha256-{SUBJECT[7:]}").respond(200, content=raw, headers={"Content-Type": mt.OCI_MANIFEST})
    with pytest.raises(MalformedResponse, match="holds a OCI image manifest, not an image index"):
        await make_client().referrers("app", SUBJECT)


async def test_a_denied_referrers_request_is_not_mistaken_for_no_api(mock, make_client):
    mock.get(PATH).respond(403, json={"errors": [{"code": "DENIED", "message": "denied"}]})
    tag = mock.get(url__regex=r".*/manifests/.*").respond(404)
    with pytest.raises(AccessDenied):
        await make_client().referrers("app", SUBJECT)
    assert not tag.called


@pytest.mark.parametrize("digest", ["sha256:../../etc/passwd", "md5:" + "0" * 32, "sha256:" + "A" * 64, "latest"])
async def test_an_invalid_subject_is_refused_before_any_request(mock, make_client, digest):
    route = mock.route().respond(200)
    with pytest.raises(InvalidReference):
        await make_client().referrers("app", digest)
    assert not route.called


# ---- hostile answers: one MalformedResponse line each ------------------------------------------------

def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and len(text) < 300
    return text


async def test_an_answer_that_is_an_image_not_an_index(mock, make_client):
    mock.get(PATH).respond(200, content=c.image_manifest(c.image_config()), headers={"Content-Type": mt.OCI_MANIFEST})
    with pytest.raises(MalformedResponse) as caught:
        await make_client().referrers("app", SUBJECT)
    assert one_line(caught.value) == (f"{REGISTRY} answered the referrers of app@{SUBJECT[:19]}… with a OCI image "
                                      "manifest, not an image index")


async def test_an_answer_with_a_bad_digest_in_an_entry(mock, make_client):
    bad = {**entry(2), "digest": "sha256:nothex\x1b]0;PWNED\x07"}
    mock.get(PATH).mock(return_value=answer(entry(1), bad))
    with pytest.raises(MalformedResponse) as caught:
        await make_client().referrers("app", SUBJECT)
    text = one_line(caught.value)
    assert text.startswith(f"{REGISTRY} answered the referrers of app@{SUBJECT[:19]}… with an unusable index (entry 2: ")
    assert "\x1b" not in text and "\x07" not in text


@pytest.mark.parametrize("body", [b"{not json", b"[]", json.dumps({"manifests": "x"}).encode(), b"[" * 100_000])
async def test_an_answer_that_is_not_an_index_at_all(mock, make_client, body):
    mock.get(PATH).respond(200, content=body, headers={"Content-Type": mt.OCI_INDEX})
    with pytest.raises(MalformedResponse) as caught:
        await make_client().referrers("app", SUBJECT)
    assert one_line(caught.value).startswith(f"{REGISTRY} answered the referrers of app@")


async def test_an_answer_too_big_is_refused_unread(mock, make_client):
    mock.get(PATH).respond(200, content=b"{" + b" " * MANIFEST_BYTES + b"}", headers={"Content-Type": mt.OCI_INDEX})
    with pytest.raises(MalformedResponse) as caught:
        await make_client().referrers("app", SUBJECT)
    assert one_line(caught.value) == (f"a page of the referrers of app@{SUBJECT[:19]}… from {REGISTRY} is larger than "
                                      "4 MiB; refusing it")


async def test_too_many_referrers_stop(mock, make_client, monkeypatch):
    from acrbrowse.oci.remote import client as client_module

    monkeypatch.setattr(client_module, "MAX_REFERRERS", 3)
    mock.get(PATH).mock(return_value=answer(*(entry(n) for n in range(4))))
    with pytest.raises(MalformedResponse, match="more than 3 referrers"):
        await make_client().referrers("app", SUBJECT)
