"""repos / tags / tree against the real registry of the test bed, in its three auth modes."""

from __future__ import annotations

import json

from acrbrowse.present.units import human_size
from tests.cli.conftest import assert_one_line_error


def platform_label(platform: dict) -> str:
    label = f"{platform['os']}/{platform['architecture']}"
    if platform.get("variant"):
        label += f"/{platform['variant']}"
    if platform.get("os.version"):
        label += f" {platform['os.version']}"
    return label


def as_user(testbed, user: str) -> dict:
    return {"ACRBROWSE_USERNAME": user, "ACRBROWSE_PASSWORD": testbed.users[user]}


def test_tree_as_the_pull_only_user_shows_every_platform_layer_and_total(cli, testbed):
    content = testbed.content
    result = cli("tree", f"{testbed.token.host}/aspnetapp:latest", "-u", "readonlypull", "--password-stdin",
                 stdin=testbed.users["readonlypull"] + "\n")
    assert result.code == 0, result.err
    assert result.lines[0] == f"{testbed.token.host}/aspnetapp:latest"
    assert result.lines[1] == f"{content.aspnetapp.digest}  Docker manifest list, 4 platforms"
    assert len(content.aspnetapp_platforms) == 4
    labels = []
    for image in content.aspnetapp_platforms.values():
        label = platform_label(image.platform)
        labels.append(label)
        assert f"── {label}  {image.digest}" in result.out
        assert f"config  {image.config.digest}  {human_size(image.config.size)}" in result.out
        for position, layer in enumerate(image.layers, 1):
            assert f"layer {position}  {layer.digest}  {human_size(layer.size)}" in result.out
        assert f"total  {len(image.layers)} layers, {human_size(image.layers_size)}" in result.out
    assert "windows/amd64 10.0.17763.5329" in labels and "linux/arm64/v8" in labels
    assert len(content.aspnetapp_amd64.layers) == 7


def test_tree_json_has_exact_sizes_shaped_like_oci(cli, testbed):
    content = testbed.content
    result = cli("tree", f"{testbed.token.host}/aspnetapp:8.0", "--json", extra_env=as_user(testbed, "readonlypull"))
    assert result.code == 0, result.err
    tree = json.loads(result.out)
    assert tree["digest"] == content.aspnetapp.digest
    assert tree["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert tree["size"] == content.aspnetapp.size
    by_digest = {m["digest"]: m for m in tree["manifests"]}
    for image in content.aspnetapp_platforms.values():
        entry = by_digest[image.digest]
        assert entry["platform"] == image.platform
        assert entry["size"] == image.size
        assert entry["config"]["digest"] == image.config.digest
        assert entry["config"]["size"] == image.config.size
        assert [(layer["digest"], layer["size"]) for layer in entry["layers"]] == [
            (layer.digest, layer.size) for layer in image.layers
        ]
        assert entry["totalSize"] == image.layers_size


def test_tree_of_a_single_image_puts_config_and_layers_at_the_top(cli, testbed):
    image = testbed.content.aspnetapp_amd64
    result = cli("tree", f"{testbed.anon.host}/aspnetapp:8.0-amd64", "--json")
    assert result.code == 0, result.err
    tree = json.loads(result.out)
    assert tree["digest"] == image.digest and "manifests" not in tree
    assert tree["config"]["digest"] == image.config.digest
    assert len(tree["layers"]) == 7
    assert tree["totalSize"] == image.layers_size


def test_tree_of_an_oci_index_marks_attestations(cli, testbed):
    content = testbed.content
    text = cli("tree", f"{testbed.anon.host}/buildkit/app:latest")
    assert text.code == 0, text.err
    assert f"{content.buildkit.digest}  OCI image index, 2 platforms" in text.out
    assert "attestations (2)" in text.out
    for platform, attestation in content.buildkit_attestations.items():
        assert f"attestation for {platform}  {attestation.digest}" in text.out
    assert "https://spdx.dev/Document" in text.out
    data = json.loads(cli("tree", f"{testbed.anon.host}/buildkit/app:latest", "--json").out)
    attestations = [m for m in data["manifests"] if m.get("attestation")]
    assert {m["digest"] for m in attestations} == {a.digest for a in content.buildkit_attestations.values()}
    assert all(m["platform"] == {"architecture": "unknown", "os": "unknown"} for m in attestations)


def test_tree_of_an_artifact_and_of_a_nested_name(cli, testbed):
    chart = cli("tree", f"{testbed.anon.host}/charts/mychart:0.1.0")
    assert chart.code == 0, chart.err
    assert "artifact application/vnd.cncf.helm.config.v1+json" in chart.lines[1]
    nested = cli("tree", f"{testbed.anon.host}/dotnet/nightly/aspnet:9.0-preview")
    assert nested.code == 0, nested.err
    assert nested.lines[1].startswith(testbed.content.nightly.digest)
    sbom = cli("tree", f"{testbed.anon.host}/aspnetapp:sbom")
    assert sbom.code == 0, sbom.err
    assert f"refers to {testbed.content.aspnetapp_amd64.digest}" in sbom.out


def test_tree_by_digest(cli, testbed):
    image = testbed.content.aspnetapp_platforms["linux/arm64/v8"]
    result = cli("tree", f"{testbed.anon.host}/aspnetapp@{image.digest}")
    assert result.code == 0, result.err
    assert result.lines[1].startswith(image.digest)


def test_repos_with_a_repository_scoped_credential_says_to_name_one(cli, testbed):
    result = cli("repos", testbed.token.host, extra_env=as_user(testbed, "readonlypull"))
    assert_one_line_error(result, "this credential cannot list repositories",
                          f"name one: acrbrowse {testbed.token.host}/REPO")


def bed_own(repositories: list[str]) -> list[str]:
    """The catalog without the scratch/ repositories other tests in this worker may have pushed."""
    return [name for name in repositories if not name.startswith("scratch/")]


def test_repos_as_admin_lists_every_repository(cli, testbed):
    result = cli("repos", testbed.token.host, extra_env=as_user(testbed, "admin"))
    assert result.code == 0, result.err
    assert len(result.lines) >= 150
    assert sorted(bed_own(result.lines)) == sorted(testbed.content.repositories)


def test_tags_as_admin_lists_every_tag(cli, testbed):
    result = cli("tags", f"{testbed.token.host}/manytags", extra_env=as_user(testbed, "admin"))
    assert result.code == 0, result.err
    assert len(result.lines) >= 2000
    assert sorted(result.lines) == sorted(testbed.content.manytags)
    as_json = json.loads(cli("tags", f"{testbed.anon.host}/aspnetapp", "--json").out)
    assert sorted(as_json["tags"]) == sorted(testbed.content.tags["aspnetapp"])
    repos_json = json.loads(cli("repos", testbed.anon.host, "--json").out)
    assert sorted(bed_own(repos_json["repositories"])) == sorted(testbed.content.repositories)


def test_anonymous_pull_of_a_public_repository_in_token_mode(cli, testbed):
    result = cli("tree", f"{testbed.token.host}/public/hello")
    assert result.code == 0, result.err
    assert result.lines[1].startswith(testbed.content.public_hello.digest)
    denied = cli("tags", f"{testbed.token.host}/aspnetapp")
    assert_one_line_error(denied, "requires you to sign in", f"acrbrowse login {testbed.token.host}")
    catalog = cli("repos", testbed.token.host)
    assert_one_line_error(catalog, "does not let anonymous users list repositories")


def test_pull_only_user_is_denied_another_repository(cli, testbed):
    result = cli("tags", f"{testbed.token.host}/buildkit/app", extra_env=as_user(testbed, "readonlypull"))
    assert_one_line_error(result, "denied", "buildkit/app")


def test_wrong_password_is_one_line_without_the_password(cli, testbed):
    canary = "Canary-Pw-7f3a9c1e"
    for host in (testbed.token.host, testbed.basic.host):
        result = cli("tags", f"{host}/aspnetapp", "-u", "admin", "--password-stdin", stdin=canary)
        assert_one_line_error(result, "refused the credentials of 'admin'", f"acrbrowse login {host}")
        assert canary not in result.err + result.out


def test_basic_auth_registry(cli, testbed):
    ok = cli("tags", f"{testbed.basic.host}/aspnetapp", extra_env=as_user(testbed, "admin"))
    assert ok.code == 0, ok.err
    assert sorted(ok.lines) == sorted(testbed.content.tags["aspnetapp"])
    anonymous = cli("tags", f"{testbed.basic.host}/aspnetapp")
    assert_one_line_error(anonymous, "requires you to sign in")


def test_not_found_and_unreachable(cli, testbed):
    missing_tag = cli("tree", f"{testbed.anon.host}/aspnetapp:nope")
    assert_one_line_error(missing_tag, "aspnetapp:nope not found")
    missing_repo = cli("tags", f"{testbed.anon.host}/no/such/repo")
    assert_one_line_error(missing_repo, "no/such/repo", "not found")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connection refused
        unreachable = cli("repos", f"127.0.0.1:{port}")
    assert_one_line_error(unreachable, f"cannot reach 127.0.0.1:{port}")


def test_usage_errors_exit_2(cli, testbed):
    bad = cli("tree", f"{testbed.anon.host}/UPPER:case")
    assert bad.code == 2 and "must be lowercase" in bad.err and "Traceback" not in bad.err
    no_password_flag = cli("tags", f"{testbed.anon.host}/aspnetapp", "--password", "secret")
    assert no_password_flag.code == 2
    no_user = cli("tags", f"{testbed.anon.host}/aspnetapp", "--password-stdin", stdin="x")
    assert no_user.code == 2 and "--username" in no_user.err
    not_a_repo = cli("tags", testbed.anon.host)
    assert not_a_repo.code == 2 and "names no repository" in not_a_repo.err


def test_verbose_says_where_the_credential_came_from(cli, testbed):
    result = cli("tags", f"{testbed.token.host}/aspnetapp", "-v", extra_env=as_user(testbed, "readonlypull"))
    assert result.code == 0, result.err
    assert "using 'readonlypull'" in result.err and "from environment" in result.err
