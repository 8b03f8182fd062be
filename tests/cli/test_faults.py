"""What a real registry here cannot produce, injected by the fault proxy in front of it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from tests.cli.conftest import assert_one_line_error

ADMIN = "admin"


def creds(testbed, user=ADMIN) -> dict:
    return {"ACRBROWSE_USERNAME": user, "ACRBROWSE_PASSWORD": testbed.users[user]}


def requests_to(proxy, fragment: str, method: str = "GET") -> list:
    return [e for e in proxy.log if e.method == method and fragment in e.path]


def test_tags_follow_link_pages(cli, testbed, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.paginate_tags(default_n=100)
    result = cli("tags", f"{proxy.host}/manytags")
    assert result.code == 0, result.err
    assert sorted(result.lines) == sorted(testbed.content.manytags)
    assert len(result.lines) == len(set(result.lines))
    assert len(requests_to(proxy, "/tags/list")) == 3  # 2,100 tags, 1,000 a page


def test_a_next_page_on_another_host_is_refused(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.paginate_tags(default_n=100, link_host="evil.example:443")
    result = cli("tags", f"{proxy.host}/manytags")
    assert result.code == 1
    assert "points to another host (evil.example); refusing to follow it" in result.err
    assert "Traceback" not in result.err


def test_429_with_retry_after_is_waited_out(cli, testbed, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.throttle("GET", r"/manifests/latest$", retry_after=1, times=1)
    result = cli("tree", f"{proxy.host}/aspnetapp:latest")
    assert result.code == 0, result.err
    statuses = [e.status for e in requests_to(proxy, "/manifests/latest")]
    assert statuses == [429, 200]


def test_429_that_never_ends_is_one_line(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.throttle("GET", r"/tags/list", retry_after=0, times=None)
    result = cli("tags", f"{proxy.host}/aspnetapp")
    *waits, last = result.err.splitlines()
    assert len(waits) == 3 and all(w.startswith("acrbrowse: ") and "waiting" in w for w in waits), result.err
    assert_one_line_error(replace(result, err=last + "\n"), "throttling requests (429)")
    assert len(requests_to(proxy, "/tags/list")) == 4  # the first try and three retries


def test_5xx_and_resets_are_retried(cli, testbed, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.error("GET", r"/tags/list", status=503, times=2)
    proxy.reset("GET", r"/manifests/", times=1)
    tags = cli("tags", f"{proxy.host}/aspnetapp")
    assert tags.code == 0, tags.err
    assert sorted(tags.lines) == sorted(testbed.content.tags["aspnetapp"])
    tree = cli("tree", f"{proxy.host}/aspnetapp:latest")
    assert tree.code == 0, tree.err


def test_a_500_is_not_retried(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.error("GET", r"/tags/list", status=500, times=None)
    result = cli("tags", f"{proxy.host}/aspnetapp")
    assert_one_line_error(result, "(500 Internal Server Error); try again later")
    assert len(requests_to(proxy, "/tags/list")) == 1


def test_malformed_json_is_one_line(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.replace_body("GET", r"/tags/list", b'{"name": "aspnetapp", "tags": [')
    result = cli("tags", f"{proxy.host}/aspnetapp")
    assert_one_line_error(result, "not JSON")


def test_a_slow_answer_past_the_timeout(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.delay("GET", r"/tags/list", seconds=3)
    result = cli("tags", f"{proxy.host}/aspnetapp", "--timeout", "1")
    assert_one_line_error(result, "did not answer within 1 s", "--timeout")


@pytest.mark.parametrize("order", ["before", "after"])
def test_shared_options_work_before_or_after_the_subcommand(cli, fault_proxy, order):
    proxy = fault_proxy("anon")
    proxy.delay("GET", r"/tags/list", seconds=3)
    options, command = ["-v", "--timeout", "1"], ["tags", f"{proxy.host}/aspnetapp"]
    result = cli(*(options + command if order == "before" else command + options))
    assert result.err.count("did not answer within 1 s") == 1  # the 1 given, not the default 30
    assert "no credential for" in result.err  # -v


def test_a_manifest_that_does_not_match_its_digest_is_not_shown(cli, testbed, fault_proxy):
    arm = testbed.content.aspnetapp_platforms["linux/arm/v7"]
    proxy = fault_proxy("anon")
    tampered = arm.raw.replace(b'"size"', b'"size" ', 1)
    proxy.replace_body("GET", rf"/manifests/{arm.digest}$", tampered)
    result = cli("tree", f"{proxy.host}/aspnetapp:latest", "--no-cache")
    assert result.code == 1
    assert "does not match its digest" in result.err
    arm_section = result.out.split("linux/arm/v7", 1)[1].split("windows/amd64", 1)[0]
    assert "error: manifest" in arm_section and "layer 1" not in arm_section


def test_a_tag_whose_announced_digest_is_of_another_body_is_shown_with_a_warning(cli, testbed, fault_proxy):
    """By tag, a registry may announce the digest of another serialization: what was received is
    shown under its own digest, and the mismatch is said (by digest it stays an error, above)."""
    image = testbed.content.aspnetapp_amd64
    tag_tampered = fault_proxy("anon")
    tag_tampered.replace_body("GET", r"/manifests/8.0-amd64$", lambda body: body + b" ")
    by_tag = cli("tree", f"{tag_tampered.host}/aspnetapp:8.0-amd64", "--no-cache")
    assert by_tag.code == 0, by_tag.err
    assert "announced digest" in by_tag.err and image.digest[:19] in by_tag.err  # one line, digests shortened
    assert by_tag.err.count("\n") == 1
    received = "sha256:" + hashlib.sha256(image.raw + b" ").hexdigest()
    assert received[:19] in by_tag.out and "layer 1" in by_tag.out


def test_blob_redirects_to_another_host_get_no_credentials(cli, testbed, fault_proxy):
    proxy = fault_proxy("basic")
    proxy.redirect_blobs()
    result = cli("tree", f"{proxy.host}/aspnetapp:latest", "--json", "--no-cache", extra_env=creds(testbed))
    assert result.code == 0, result.err
    configs = {m["config"]["digest"] for m in json.loads(result.out)["manifests"]}
    served = proxy.blob_server.requests
    assert {r.path.split("?")[0].rsplit("/", 1)[-1] for r in served} == configs  # SAS-like URLs, as Azure sends
    assert all("authorization" not in {k.lower() for k in r.headers} for r in served)
    # ...while the registry itself did get them
    answered = [e for e in requests_to(proxy, "/manifests/") if e.status == 200]
    assert answered and all("authorization" in {k.lower() for k in e.headers} for e in answered)


def test_a_warm_cache_asks_nothing_for_digest_addressed_content(cli, testbed, fault_proxy):
    proxy = fault_proxy("anon")
    cold = cli("tree", f"{proxy.host}/aspnetapp:latest")
    assert cold.code == 0, cold.err
    assert len(requests_to(proxy, "/blobs/")) == 4 and len(requests_to(proxy, "/manifests/sha256:")) == 4
    proxy.clear_log()
    warm = cli("tree", f"{proxy.host}/aspnetapp:latest")
    assert warm.out == cold.out
    assert [e.path for e in proxy.log] == ["/v2/aspnetapp/manifests/latest"]  # tags can move: always asked
