"""The client against the real registry of the test bed: paging, token lifetimes, identity tokens."""

from __future__ import annotations

import asyncio

import pytest

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import AuthenticationFailed
from acrbrowse.oci.manifest import ImageIndex
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.walk import walk


def admin(testbed) -> Credential:
    return Credential("admin", Secret(testbed.users["admin"]), source="test")


async def test_catalog_pages_follow_the_registry_link_header(testbed):
    async with RegistryClient(testbed.token.host, credential=admin(testbed)) as client:
        pages = [page async for page in client.repository_pages(page_size=50)]
        whole = [page async for page in client.repository_pages(page_size=1000)]
    names = [name for page in pages for name in page]
    # Other tests in this worker may have pushed scratch repositories before this one ran.
    assert len(whole) == 1 and names == whole[0] == sorted(names)
    assert set(testbed.content.repositories) <= set(names)
    assert len(pages) == -(-len(names) // 50) >= 4  # ceil: 166 repositories or more -> 4 pages or more
    assert all(len(page) == 50 for page in pages[:-1])


async def test_a_token_that_expires_mid_run_is_replaced(testbed, token_server, fault_proxy):
    proxy = fault_proxy("token")
    proxy.strip_expired_bearer()
    token_server.lifetime = 2
    async with RegistryClient(proxy.host, credential=admin(testbed)) as client:
        first = [tag async for tag in client.tags("aspnetapp")]
        await asyncio.sleep(2.2)
        second = [tag async for tag in client.tags("aspnetapp")]
    assert first == second and "latest" in first
    token_requests = [r for r in token_server.requests if "/oauth2/token" in r[1]]
    assert len(token_requests) == 2


async def test_a_token_without_expires_in_lives_by_its_jwt_exp(testbed, token_server):
    token_server.send_expires_in = False
    async with RegistryClient(testbed.token.host, credential=admin(testbed)) as client:
        for _ in range(3):
            assert [t async for t in client.tags("aspnetapp")]
    assert len([r for r in token_server.requests if "/oauth2/token" in r[1]]) == 1


async def test_an_identity_token_is_exchanged_as_a_refresh_token(testbed, token_server):
    refresh = token_server.refresh_token_for("readonlypull", testbed.token.service)
    credential = Credential("00000000-0000-0000-0000-000000000000", Secret(refresh), "identity_token")
    async with RegistryClient(testbed.token.host, credential=credential) as client:
        tree = await walk(client, parse_reference(f"{testbed.token.host}/aspnetapp:latest"))
    assert isinstance(tree.root, ImageIndex) and not tree.errors
    assert any(method == "POST" for method, _, _ in token_server.requests)


async def test_an_unknown_identity_token_is_refused(testbed, token_server):
    credential = Credential("00000000-0000-0000-0000-000000000000", Secret("not-a-refresh-token"), "identity_token")
    async with RegistryClient(testbed.token.host, credential=credential) as client:
        with pytest.raises(AuthenticationFailed):
            await client.verify_credentials()


async def test_one_token_per_repository_is_reused_across_a_tree(testbed, token_server):
    async with RegistryClient(testbed.token.host, credential=admin(testbed)) as client:
        tree = await walk(client, parse_reference(f"{testbed.token.host}/aspnetapp:latest"))
        assert len(tree.nodes) == 4 and not tree.errors
        await walk(client, parse_reference(f"{testbed.token.host}/buildkit/app:latest"))
    scopes = [path for _, path, _ in token_server.requests]
    assert len(scopes) == 2, scopes  # one per repository, shared by every manifest and blob in it


async def test_head_resolves_a_tag_to_its_digest_without_the_body(testbed, fault_proxy):
    proxy = fault_proxy("anon")
    async with RegistryClient(proxy.host) as client:
        descriptor = await client.head_manifest("aspnetapp", "latest")
    assert descriptor.digest == testbed.content.aspnetapp.digest
    assert descriptor.media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert descriptor.size == testbed.content.aspnetapp.size
    assert [(e.method, e.path) for e in proxy.log] == [("HEAD", "/v2/aspnetapp/manifests/latest")]
    accept = proxy.log[0].headers.get("Accept", "")
    assert "application/vnd.oci.image.index.v1+json" in accept and "manifest.list.v2+json" in accept


async def test_tags_resolve_by_head_and_each_digest_is_fetched_once(testbed, fault_proxy):
    proxy = fault_proxy("anon")
    tags = sorted(testbed.content.manytags)[:60]
    digests = {testbed.content.manytags[t] for t in tags}
    assert len(digests) < len(tags)  # the 2,100 tags share a handful of images
    async with RegistryClient(proxy.host) as client:
        first = await asyncio.gather(*(client.manifest_for_tag("manytags", t) for t in tags))
        heads = [e for e in proxy.log if e.method == "HEAD"]
        gets = [e for e in proxy.log if e.method == "GET"]
        assert len(heads) == len(tags)
        assert sorted(e.path.rsplit("/", 1)[1] for e in gets) == sorted(digests)  # one GET per digest
        proxy.clear_log()
        again = await asyncio.gather(*(client.manifest_for_tag("manytags", t) for t in tags))
        assert {e.method for e in proxy.log} == {"HEAD"}  # tags can move: asked again; bodies are not
    assert [m.digest for m in first] == [testbed.content.manytags[t] for t in tags] == [m.digest for m in again]


async def test_a_shared_fetch_survives_one_waiter_giving_up(testbed, fault_proxy):
    proxy = fault_proxy("anon")
    digest = testbed.content.aspnetapp.digest
    proxy.delay("GET", rf"/manifests/{digest}$", seconds=0.5)
    async with RegistryClient(proxy.host) as client:
        impatient = asyncio.ensure_future(client.manifest_by_digest("aspnetapp", digest))
        patient = asyncio.ensure_future(client.manifest_by_digest("aspnetapp", digest))
        await asyncio.sleep(0.1)
        impatient.cancel()
        manifest = await patient
    assert manifest.digest == digest
    assert len([e for e in proxy.log if e.method == "GET"]) == 1


async def test_a_throttle_that_fits_the_deadline_is_waited_out_and_announced(testbed, fault_proxy):
    import time

    proxy = fault_proxy("token")
    proxy.throttle("GET", r"/tags/list", retry_after=1, times=1)
    notices: list[str] = []
    started = time.monotonic()
    async with RegistryClient(proxy.host, credential=admin(testbed), timeout=5, on_notice=notices.append) as client:
        tags = [tag async for tag in client.tags("aspnetapp")]
    assert "latest" in tags and 1.0 <= time.monotonic() - started < 5
    assert notices == [f"{proxy.host} is throttling requests (429); waiting 1 s as it asks"]


async def test_a_throttle_longer_than_the_deadline_fails_at_once(testbed, fault_proxy):
    import time

    from acrbrowse.oci.errors import RateLimited

    proxy = fault_proxy("anon")
    rule = proxy.throttle("GET", r"/tags/list", retry_after=59, times=None)
    notices: list[str] = []
    started = time.monotonic()
    async with RegistryClient(proxy.host, timeout=5, on_notice=notices.append) as client:
        with pytest.raises(RateLimited, match="it asks to wait 59 s, longer than the 5 s timeout allows"):
            [tag async for tag in client.tags("aspnetapp")]
    assert time.monotonic() - started < 2 and rule.hits == 1 and notices == []


async def test_the_real_registry_manifests_fit_their_caps_and_digests(testbed):
    async with RegistryClient(testbed.anon.host) as client:
        descriptor = await client.head_manifest("aspnetapp", "latest")
        manifest = await client.manifest_by_digest("aspnetapp", descriptor.digest)
    assert manifest.digest == descriptor.digest and descriptor.digest.startswith("sha256:")
