"""`acrbrowse tags --sort time --long --json` against the test bed's ACR layer (/acr/v1 over the
real registry's storage), and the names-only fallbacks with their one-line note."""

from __future__ import annotations

import json

import pytest

from acrbrowse.present.order import natural_key
from acrbrowse.present.units import human_size
from tests.oci.pushing import image, push_manifest, scratch_repository


def as_user(testbed, user: str) -> dict:
    return {"ACRBROWSE_USERNAME": user, "ACRBROWSE_PASSWORD": testbed.users[user]}


@pytest.fixture
def three_tags(scratch) -> tuple[str, dict]:
    repo = scratch_repository("times")
    images = {}
    for tag in ("v1.10", "v1.9", "v2"):
        images[tag] = image(f"{repo}-{tag}")
        push_manifest(scratch, repo, tag, images[tag])
    return repo, images


def test_sort_time_long_lists_newest_first_with_digest_time_and_size(cli, testbed, scratch, three_tags):
    repo, images = three_tags
    result = cli("tags", f"{scratch.host}/{repo}", "--sort", "time", "--long", extra_env=as_user(testbed, "admin"))
    assert result.code == 0, result.err
    assert result.err == ""
    assert [line.split()[0] for line in result.lines] == ["v2", "v1.9", "v1.10"]  # push order, newest first
    for line in result.lines:
        tag = line.split()[0]
        image = images[tag]
        size = image.config.size + sum(layer.size for layer in image.layers)
        assert image.digest in line and human_size(size) in line
        assert "ago" in line or "just now" in line


def test_json_carries_times_and_sizes_in_name_order(cli, testbed, scratch, three_tags):
    repo, images = three_tags
    result = cli("tags", f"{scratch.host}/{repo}", "--json", "--long", extra_env=as_user(testbed, "admin"))
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["tags"] == ["v1.9", "v1.10", "v2"] and doc["times"] is True
    for detail in doc["details"]:
        image = images[detail["name"]]
        assert detail["digest"] == image.digest
        assert detail["size"] == image.config.size + sum(layer.size for layer in image.layers)
        assert detail["pushed"].endswith("Z") and detail["created"] <= detail["pushed"]
        assert (detail["signed"], detail["locked"]) == (False, False)


def test_locked_and_signed_tags_are_marked(cli, testbed, scratch, three_tags):
    repo, _ = three_tags
    scratch.layer.overrides[(repo, "v2")] = {"signed": True, "changeableAttributes": {"writeEnabled": False}}
    result = cli("tags", f"{scratch.host}/{repo}", "--long", extra_env=as_user(testbed, "admin"))
    assert result.code == 0, result.err
    marked = {line.split()[0]: line for line in result.lines}
    assert marked["v2"].endswith("locked, signed (DCT)")
    assert not marked["v1.9"].endswith(")") and "locked" not in marked["v1.9"]


def test_the_pull_only_token_lists_names_and_says_why_once(cli, testbed, acr):
    result = cli("tags", f"{acr.host}/aspnetapp", "--sort", "time", "--long", extra_env=as_user(testbed, "readonlypull"))
    assert result.code == 0, result.err
    names = sorted(testbed.content.tags["aspnetapp"], key=natural_key)
    assert [line.split()[0] for line in result.lines] == names
    assert all(line.split()[1:] == ["-", "-", "-"] for line in result.lines)
    [note] = result.err.strip().splitlines()
    assert note.startswith("acrbrowse: note: ") and "metadata_read" in note and "keeping name order" in note


def test_a_registry_that_is_not_acr_keeps_name_order_and_says_so(cli, testbed):
    result = cli("tags", f"{testbed.anon.host}/aspnetapp", "--sort", "time")
    assert result.code == 0, result.err
    assert result.lines == sorted(testbed.content.tags["aspnetapp"], key=natural_key)
    [note] = result.err.strip().splitlines()
    assert "not an Azure Container Registry" in note and "keeping name order" in note


def test_plain_tags_and_json_ask_nothing_of_acr_v1_unless_the_name_is_acr_s(cli, testbed, acr):
    result = cli("tags", f"{acr.host}/manytags", extra_env=as_user(testbed, "admin"))
    assert result.code == 0, result.err
    assert sorted(result.lines) == sorted(testbed.content.manytags)
    as_json = json.loads(cli("tags", f"{acr.host}/aspnetapp", "--json", extra_env=as_user(testbed, "admin")).out)
    assert sorted(as_json["tags"]) == sorted(testbed.content.tags["aspnetapp"]) and "details" not in as_json
    assert acr.acr_requests == 0
