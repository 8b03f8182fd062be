"""`acrbrowse manifests [--untagged] [--json]`: every manifest from ACR's /acr/v1 (the test bed's
ACR layer), untagged ones without platforms or referrers; elsewhere the tagged manifests only."""

from __future__ import annotations

import json

import pytest

from acrbrowse.present.units import human_size
from tests.cli.conftest import assert_one_line_error
from tests.oci.pushing import artifact, image, push_manifest, scratch_repository
from tests.testbed.content import OCI_INDEX, make_index

ADMIN = "admin"


def as_user(testbed, user: str) -> dict:
    return {"ACRBROWSE_USERNAME": user, "ACRBROWSE_PASSWORD": testbed.users[user]}


@pytest.fixture
def mixed(scratch):
    """A tagged image, a tagged index with untagged platforms, a referrer, an untagged image."""
    repo = scratch_repository("manifests")
    kept = image(f"kept-{repo}")
    push_manifest(scratch, repo, "kept", kept)
    platforms = [image(f"p{i}-{repo}") for i in (1, 2)]
    for p in platforms:
        push_manifest(scratch, repo, p.digest, p)
    index = make_index(OCI_INDEX, platforms)
    push_manifest(scratch, repo, "multi", index)
    signature = artifact(kept, "application/vnd.example.signature", b"sig")
    push_manifest(scratch, repo, signature.digest, signature)
    orphan = image(f"orphan-{repo}")
    push_manifest(scratch, repo, orphan.digest, orphan)
    return repo, {"kept": kept, "index": index, "platforms": platforms, "signature": signature, "orphan": orphan}


def test_untagged_lists_only_the_orphan_with_its_bytes(cli, testbed, scratch, mixed):
    repo, m = mixed
    result = cli("manifests", f"{scratch.host}/{repo}", "--untagged", extra_env=as_user(testbed, ADMIN))
    assert result.code == 0, result.err
    [line] = result.lines
    orphan = m["orphan"]
    freed = len(orphan.raw) + orphan.config.size + sum(layer.size for layer in orphan.layers)
    assert line.startswith(orphan.digest) and human_size(freed) in line and line.endswith("(untagged)")
    [summary] = result.err.strip().splitlines()
    assert "1 untagged manifest holding" in summary and "1 referrers" in summary and "2 platform" in summary


def test_json_lists_every_manifest_with_its_tags(cli, testbed, scratch, mixed):
    repo, m = mixed
    result = cli("manifests", f"{scratch.host}/{repo}", "--json", extra_env=as_user(testbed, ADMIN))
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    tags = {row["digest"]: row["tags"] for row in doc["manifests"]}
    assert len(tags) == 6
    assert tags[m["kept"].digest] == ["kept"] and tags[m["index"].digest] == ["multi"]
    assert tags[m["orphan"].digest] == [] and tags[m["signature"].digest] == []
    index_row = next(row for row in doc["manifests"] if row["digest"] == m["index"].digest)
    assert [r["digest"] for r in index_row["references"]] == [p.digest for p in m["platforms"]]
    untagged = json.loads(cli("manifests", f"{scratch.host}/{repo}", "--untagged", "--json",
                              extra_env=as_user(testbed, ADMIN)).out)
    assert [row["digest"] for row in untagged["untagged"]] == [m["orphan"].digest]
    assert untagged["exclusiveBytes"] == untagged["untagged"][0]["exclusiveBytes"] > 0


def test_elsewhere_the_tagged_manifests_and_a_note(cli, testbed):
    result = cli("manifests", f"{testbed.anon.host}/aspnetapp")
    assert result.code == 0, result.err
    digests = {line.split()[0] for line in result.lines}
    assert digests == set(testbed.content.tags["aspnetapp"].values())
    [note] = result.err.strip().splitlines()
    assert "untagged ones cannot be known" in note
    refused = cli("manifests", f"{testbed.anon.host}/aspnetapp", "--untagged")
    assert_one_line_error(refused, "untagged manifests cannot be known", "not an Azure Container Registry")


def test_the_pull_only_token_cannot_list_untagged(cli, testbed, acr):
    result = cli("manifests", f"{acr.host}/aspnetapp", "--untagged", extra_env=as_user(testbed, "readonlypull"))
    assert_one_line_error(result, "metadata_read")


def test_hostile_platform_strings_are_escaped(cli, testbed, scratch, mixed):
    repo, m = mixed
    scratch.layer.overrides[(repo, m["kept"].digest)] = {"os": "\x1b]52;c;aGk=\x07", "architecture": "\u202eevil"}
    result = cli("manifests", f"{scratch.host}/{repo}", extra_env=as_user(testbed, ADMIN))
    assert result.code == 0, result.err
    [line] = [line for line in result.lines if line.startswith(m["kept"].digest)]
    assert "\x1b" not in result.out and "\u202e" not in result.out
    assert "\\x1b]52;c;aGk=\\x07/\\u202eevil" in line
