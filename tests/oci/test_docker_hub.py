"""Docker Hub's pull quota: every manifest GET is a pull, HEAD is free, and a spent quota is a 429
that waiting seconds does not cure. The registry is the real test bed behind a proxy that answers
as Hub does (its headers on every answer, its 429 once the quota is spent) and counts the pulls."""

from __future__ import annotations

import time

import httpx
import pytest

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import Hint, RateLimited
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.remote.transport import PullQuota, describe_window, pull_quota

REPOSITORY = "aspnetapp"  # tags latest, 8.0 (one index), 8.0-amd64, sbom


@pytest.mark.parametrize("registry", ["docker.io", "index.docker.io", "registry-1.docker.io",
                                      "registry.hub.docker.com"])
def test_docker_hub_is_known_by_its_names(registry):
    assert RegistryClient(registry).counts_pulls


@pytest.mark.parametrize("registry", ["ghcr.io", "myregistry.azurecr.io", "localhost:5000", "docker.example.com"])
def test_other_registries_count_no_pulls(registry):
    assert not RegistryClient(registry).counts_pulls


def test_the_seam_says_so_either_way():
    assert RegistryClient("localhost:5000", counts_pulls=True).counts_pulls
    assert not RegistryClient("docker.io", counts_pulls=False).counts_pulls


@pytest.mark.parametrize(("limit", "remaining", "expected"), [
    ("100;w=21600", "76;w=21600", (100, 76, 21600)),
    ("10", "0", (10, 0, None)),
    (" 200 ; w=3600 ", "199;w=3600", (200, 199, 3600)),
])
def test_the_quota_headers_are_read(limit, remaining, expected):
    before = time.time()
    quota = pull_quota(httpx.Headers({"ratelimit-limit": limit, "ratelimit-remaining": remaining}))
    assert quota is not None and (quota.limit, quota.remaining, quota.window) == expected
    assert before <= quota.read_at <= time.time()


@pytest.mark.parametrize("headers", [{}, {"ratelimit-limit": "100;w=21600"}, {"ratelimit-remaining": "lots"},
                                     {"ratelimit-limit": "-1", "ratelimit-remaining": "5"},
                                     {"ratelimit-limit": "1" * 40, "ratelimit-remaining": "5"}])
def test_unusable_quota_headers_are_no_quota(headers):
    assert pull_quota(httpx.Headers(headers)) is None


def test_a_remaining_count_alone_keeps_the_limit_it_had():
    before = PullQuota(limit=100, remaining=50, window=21600, read_at=0.0)
    quota = pull_quota(httpx.Headers({"ratelimit-remaining": "49"}), previous=before)
    assert quota is not None and (quota.limit, quota.remaining, quota.window) == (100, 49, 21600)


@pytest.mark.parametrize(("seconds", "text"), [(21600, "6 h"), (3600, "1 h"), (600, "10 min"), (90, "90 s")])
def test_windows_are_worded(seconds, text):
    assert describe_window(seconds) == text


async def test_rows_resolve_with_head_and_spend_no_pulls(testbed, fault_proxy):
    proxy = fault_proxy("anon")
    hub = proxy.docker_hub(limit=10)
    async with RegistryClient(proxy.host, counts_pulls=True) as client:
        assert client.counts_pulls and client.pull_quota is None
        tags = [tag async for tag in client.tags(REPOSITORY)]
        rows = [await client.head_manifest(REPOSITORY, tag) for tag in tags]
        assert {row.digest for row in rows} == set(testbed.content.tags[REPOSITORY].values())
        assert hub.pulls == 0
        assert [row.digest for row in rows if client.known_manifest(REPOSITORY, row.digest)] == []
        quota = client.pull_quota
        assert quota is not None and (quota.limit, quota.remaining, quota.window) == (10, 10, 21600)

        opened = await client.manifest_by_digest(REPOSITORY, rows[0].digest)  # the row a person opens
        assert hub.pulls == 1
        assert client.pull_quota is not None and client.pull_quota.remaining == 9
        assert client.known_manifest(REPOSITORY, rows[0].digest) == opened  # read again: no pull
        await client.manifest_by_digest(REPOSITORY, rows[0].digest)
        assert hub.pulls == 1
    assert [entry.method for entry in proxy.log if "/manifests/" in entry.path].count("GET") == 1


async def test_a_spent_quota_says_so_at_once_without_retrying(testbed, fault_proxy, sleeps):
    proxy = fault_proxy("anon")
    hub = proxy.docker_hub(limit=1)
    digest = testbed.content.tags[REPOSITORY]["8.0-amd64"]
    async with RegistryClient(proxy.host, counts_pulls=True, retries=3, backoff=0.01) as client:
        await client.get_manifest(REPOSITORY, "8.0-amd64")
        with pytest.raises(RateLimited) as caught:
            await client.get_manifest(REPOSITORY, digest)
        assert client.pull_quota is not None and client.pull_quota.remaining == 0
        # HEAD spends nothing, and still answers once the quota is spent
        assert (await client.head_manifest(REPOSITORY, "8.0-amd64")).digest == digest
    assert str(caught.value) == ("Docker Hub's pull limit is spent: 1 pulls per 6 h for anonymous users; "
                                 "signing in raises it")
    assert caught.value.hint is Hint.TRY_LATER
    assert (hub.pulls, hub.refused) == (1, 1)  # the 429 was not asked again
    assert sleeps == []


async def test_a_signed_in_user_is_not_told_to_sign_in(testbed, fault_proxy, sleeps):
    proxy = fault_proxy("basic")
    proxy.docker_hub(limit=2, window=3600)
    admin = Credential("admin", Secret(testbed.users["admin"]), source="test")
    async with RegistryClient(proxy.host, credential=admin, counts_pulls=True) as client:
        await client.get_manifest(REPOSITORY, "latest")
        await client.get_manifest(REPOSITORY, "8.0")
        with pytest.raises(RateLimited) as caught:
            await client.get_manifest(REPOSITORY, "sbom")
    assert str(caught.value) == "Docker Hub's pull limit is spent: 2 pulls per 1 h"


async def test_elsewhere_a_429_is_still_retried(testbed, fault_proxy, sleeps):
    proxy = fault_proxy("anon")
    hub = proxy.docker_hub(limit=0)
    async with RegistryClient(proxy.host, retries=2, backoff=0.01) as client:
        assert not client.counts_pulls
        with pytest.raises(RateLimited, match="is throttling requests"):
            await client.get_manifest(REPOSITORY, "latest")
        assert client.pull_quota is not None and client.pull_quota.remaining == 0  # read wherever it is sent
    assert hub.refused == 3 and len(sleeps) == 2
