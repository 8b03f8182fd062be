"""ACR's /acr/v1 metadata through AcrMetadata, against the test bed's ACR layer (tests/testbed/acr.py)
over the real registry's storage, and the fallbacks on registries that are not ACR."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import AuthenticationFailed, InsecureRequest, MalformedResponse, RepositoryNotFound
from acrbrowse.oci.name import parse_registry
from acrbrowse.oci.remote.acr import AcrMetadata, MetadataState, MetadataUnavailable
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.source import ManifestMetadataSource, TagMetadataSource
from acrbrowse.session import Session, SessionOptions
from tests.oci.pushing import image, push_manifest, scratch_repository


def session(tmp_path) -> Session:
    return Session(SessionOptions(use_cache=False), env={"ACRBROWSE_CACHE_DIR": str(tmp_path / "cache")})


def user(testbed, name: str) -> Credential:
    return Credential(name, Secret(testbed.users[name]), source="test")


async def collect(pages) -> list:
    return [item async for page in pages for item in page]


def acr_requests(layer) -> list[str]:
    return [entry.path for entry in layer.log if entry.path.startswith("/acr/v1/")]


async def test_tags_newest_first_with_times_as_admin(testbed, scratch, tmp_path):
    repo = scratch_repository("acr-order")
    for tag in ("first", "second", "third"):
        push_manifest(scratch, repo, tag, image(f"{repo}-{tag}"))
    s = session(tmp_path)
    async with s.opened(parse_registry(scratch.host), user(testbed, "admin")) as client:
        meta = s.metadata(client)
        assert isinstance(meta, TagMetadataSource) and isinstance(meta, ManifestMetadataSource)
        tags = await collect(meta.tag_metadata_pages(repo))
        assert [t.name for t in tags] == ["third", "second", "first"]
        assert meta.state is MetadataState.AVAILABLE and meta.has_times and meta.take_note() is None
        now = datetime.now(UTC)
        for tag in tags:
            assert tag.updated is not None and now - timedelta(minutes=10) < tag.updated <= now + timedelta(seconds=5)
            assert tag.created is not None and tag.created <= tag.updated
            assert tag.digest is not None and tag.digest.startswith("sha256:")
            assert tag.signed is False and tag.changeable is not None and not tag.locked
        assert tags[0].updated >= tags[1].updated >= tags[2].updated  # type: ignore[operator]
        head = await client.head_manifest(repo, "third")
        assert tags[0].digest == head.digest


async def test_tags_with_sizes_match_the_images(testbed, scratch, tmp_path):
    repo = scratch_repository("acr-sizes")
    pushed = image(repo)
    push_manifest(scratch, repo, "v1", pushed)
    s = session(tmp_path)
    async with s.opened(parse_registry(scratch.host), user(testbed, "admin")) as client:
        tags = await s.metadata(client).tags_with_sizes(repo)
    [tag] = tags
    expected = pushed.config.size + sum(layer.size for layer in pushed.layers)
    assert (tag.name, tag.digest, tag.size) == ("v1", pushed.digest, expected)


async def test_manytags_pages_through_link_and_lists_every_tag(testbed, acr, tmp_path):
    s = session(tmp_path)
    async with s.opened(parse_registry(acr.host), user(testbed, "admin")) as client:
        meta = s.metadata(client)
        pages = [page async for page in meta.tag_metadata_pages("manytags")]
    assert len(pages) == 3  # 2,100 tags, 1,000 a page
    tags = {t.name: t.digest for page in pages for t in page}
    assert tags == testbed.content.manytags
    paths = acr_requests(acr)
    assert len(paths) == 3 and all("orderby=timedesc" in p for p in paths)


async def test_pull_only_token_lists_names_and_says_why_once(testbed, acr, tmp_path):
    s = session(tmp_path)
    async with s.opened(parse_registry(acr.host), user(testbed, "readonlypull")) as client:
        meta = s.metadata(client)
        tags = await collect(meta.tag_metadata_pages("aspnetapp"))
        assert {t.name for t in tags} == set(testbed.content.tags["aspnetapp"])
        assert all(t.updated is None and t.digest is None for t in tags)
        assert meta.state is MetadataState.REFUSED and meta.has_times is False
        note = meta.take_note()
        assert note is not None and "metadata_read" in note and "\n" not in note
        assert meta.take_note() is None
        asked = len(acr_requests(acr))
        assert asked >= 1
        await collect(meta.tag_metadata_pages("aspnetapp"))  # again: straight to /v2/
        assert len(acr_requests(acr)) == asked
        with pytest.raises(MetadataUnavailable, match="metadata_read"):
            await collect(meta.manifest_metadata_pages("aspnetapp"))
    # the token server was asked for the scope, and refused it
    scopes = [a for claims in testbed.token_server.issued for a in claims["access"]
              if a["name"] == "aspnetapp" and claims["sub"] == "readonlypull"]
    assert any(a["actions"] == [] for a in scopes)


async def test_a_registry_without_acr_v1_is_asked_once_per_session(testbed, fault_proxy, tmp_path):
    proxy = fault_proxy("token")  # a bearer registry whose realm looks like ACR's, without /acr/v1
    s = session(tmp_path)
    for _ in range(2):
        async with s.opened(parse_registry(proxy.host), user(testbed, "admin")) as client:
            meta = s.metadata(client)
            tags = await collect(meta.tag_metadata_pages("aspnetapp"))
            assert {t.name for t in tags} == set(testbed.content.tags["aspnetapp"])
            assert meta.state is MetadataState.NOT_ACR
    assert len([e for e in proxy.log if e.path.startswith("/acr/v1/")]) == 1


async def test_a_registry_that_does_not_look_like_acr_is_never_asked(testbed, fault_proxy, tmp_path):
    proxy = fault_proxy("anon")
    s = session(tmp_path)
    async with s.opened(parse_registry(proxy.host), None) as client:
        meta = s.metadata(client)
        tags = await collect(meta.tag_metadata_pages("aspnetapp"))
        assert tags and meta.state is MetadataState.NOT_ACR
        assert "not an Azure Container Registry" in (meta.take_note() or "")
    assert not [e for e in proxy.log if e.path.startswith("/acr/v1/")]


async def test_unknown_repository_is_repository_not_found(testbed, acr, tmp_path):
    s = session(tmp_path)
    async with s.opened(parse_registry(acr.host), user(testbed, "admin")) as client:
        with pytest.raises(RepositoryNotFound):
            await collect(s.metadata(client).tag_metadata_pages("no/such-repo"))


async def test_repository_details_count_tags_and_manifests(testbed, scratch, tmp_path):
    repo = scratch_repository("acr-details")
    push_manifest(scratch, repo, "a", image(f"{repo}-a"))
    push_manifest(scratch, repo, "b", image(f"{repo}-b"))
    s = session(tmp_path)
    async with s.opened(parse_registry(scratch.host), user(testbed, "admin")) as client:
        details = await s.metadata(client).repository_details(repo)
    assert (details.name, details.tag_count, details.manifest_count) == (repo, 2, 2)
    assert details.updated is not None and details.created is not None and details.created <= details.updated


async def test_hostile_fields_read_as_unknown(testbed, scratch, tmp_path):
    repo = scratch_repository("acr-hostile")
    push_manifest(scratch, repo, "ok", image(f"{repo}-ok"))
    push_manifest(scratch, repo, "weird", image(f"{repo}-weird"))
    acr = scratch.layer
    acr.overrides[(repo, "weird")] = {"createdTime": 12, "lastUpdateTime": "9999-99-99T99:99:99Z",
                                      "digest": "sha256:zz", "signed": "yes", "changeableAttributes": [1]}
    acr.overrides[(repo, "ok")] = {"name": "../../etc", "lastUpdateTime": "2024-06-01T12:00:00.1234567Z",
                                   "changeableAttributes": {"writeEnabled": False, "deleteEnabled": "no"}}
    s = session(tmp_path)
    async with s.opened(parse_registry(scratch.host), user(testbed, "admin")) as client:
        tags = await collect(s.metadata(client).tag_metadata_pages(repo))
    [weird] = tags  # the entry with an unusable name is left out
    assert (weird.name, weird.digest, weird.created, weird.updated, weird.signed, weird.changeable) == \
        ("weird", None, None, None, None, None)


def test_a_client_is_not_itself_a_metadata_source():
    client = RegistryClient("reg.example.io")
    assert not isinstance(client, TagMetadataSource)
    meta = AcrMetadata(client, is_acr=lambda c: False)
    assert meta.has_times is None


@pytest.mark.parametrize(("body", "headers", "error"), [
    (b"not json", {}, MalformedResponse),
    (b'{"tags": {"a": 1}}', {}, MalformedResponse),
    (b'{"tags": []}', {"Link": '<http://elsewhere.example/acr/v1/aspnetapp/_tags?last=a>; rel="next"'},
     InsecureRequest),
])
async def test_hostile_pages_end_in_one_line_errors(testbed, acr, tmp_path, body, headers, error):
    acr.respond("GET", r"^/acr/v1/aspnetapp/_tags$", 200, body, {"Content-Type": "application/json", **headers})
    s = session(tmp_path)
    async with s.opened(parse_registry(acr.host), user(testbed, "admin")) as client:
        with pytest.raises(error) as caught:
            await collect(s.metadata(client).tag_metadata_pages("aspnetapp"))
    message = str(caught.value)
    assert "\n" not in message and acr.host in message


async def test_a_page_linking_to_itself_ends_the_listing(testbed, acr, tmp_path):
    acr.respond("GET", r"^/acr/v1/aspnetapp/_tags$", 200,
                b'{"tags": [{"name": "loop", "lastUpdateTime": "2024-06-01T12:00:00.0000000Z"}]}',
                {"Content-Type": "application/json", "Link": '</acr/v1/aspnetapp/_tags?n=1000&orderby=timedesc>; rel="next"'})
    s = session(tmp_path)
    async with s.opened(parse_registry(acr.host), user(testbed, "admin")) as client:
        tags = await collect(s.metadata(client).tag_metadata_pages("aspnetapp"))
    assert [t.name for t in tags] == ["loop"]


async def test_the_session_keeps_one_metadata_per_client(testbed, acr, tmp_path):
    s = session(tmp_path)
    await s.use_credential(acr.host, user(testbed, "admin"))
    first = s.registry_metadata(acr.host)
    assert s.registry_metadata(acr.host) is first
    tags = await collect(first.tag_metadata_pages("aspnetapp"))
    assert all(t.updated is not None for t in tags) and first.has_times
    await s.use_credential(acr.host, user(testbed, "readonlypull"))  # a new client: what it may read is learnt anew
    second = s.registry_metadata(acr.host)
    assert second is not first and second.state is MetadataState.UNKNOWN
    await collect(second.tag_metadata_pages("aspnetapp"))
    assert second.state is MetadataState.REFUSED
    await s.aclose()


async def test_google_s_tag_list_times_come_through_without_the_note(testbed, fault_proxy, tmp_path):
    proxy = fault_proxy("anon")
    tags = testbed.content.tags["aspnetapp"]
    listed = {digest: {"tag": [t for t, d in tags.items() if d == digest], "imageSizeBytes": "1234",
                       "timeUploadedMs": "1717243200000", "timeCreatedMs": "0"} for digest in set(tags.values())}
    proxy.replace_body("GET", r"/v2/aspnetapp/tags/list$",
                       lambda body: json.dumps({**json.loads(body), "manifest": listed}).encode())
    s = session(tmp_path)
    async with s.opened(parse_registry(proxy.host), None) as client:
        meta = s.metadata(client)
        found = await meta.tags_with_sizes("aspnetapp")
        assert meta.state is MetadataState.NOT_ACR and meta.take_note() is None
    assert {t.name for t in found} == set(tags)
    for tag in found:
        assert (tag.digest, tag.size, tag.updated) == (tags[tag.name], 1234, datetime(2024, 6, 1, 12, tzinfo=UTC))


async def test_a_token_service_that_refuses_the_scope_falls_back_to_names(testbed, acr, token_server, tmp_path):
    token_server.strict_users.add("readonlypull")
    try:
        s = session(tmp_path)
        async with s.opened(parse_registry(acr.host), user(testbed, "readonlypull")) as client:
            meta = s.metadata(client)
            tags = await collect(meta.tag_metadata_pages("aspnetapp"))
            assert {t.name for t in tags} == set(testbed.content.tags["aspnetapp"])
            assert meta.state is MetadataState.REFUSED and "metadata_read" in (meta.take_note() or "")
        assert any("metadata_read" in path for _, path, _ in token_server.requests)
    finally:
        token_server.strict_users.discard("readonlypull")


async def test_wrong_credentials_still_say_so(testbed, acr, tmp_path):
    s = session(tmp_path)
    wrong = Credential("admin", Secret("not-the-password"), source="test")
    async with s.opened(parse_registry(acr.host), wrong) as client:
        with pytest.raises(AuthenticationFailed):
            await collect(s.metadata(client).tag_metadata_pages("aspnetapp"))
