"""Docker's config.json and credential helpers, with real helper processes on PATH."""

from __future__ import annotations

import base64

import pytest

from acrbrowse.keychain.docker_config import (
    DOCKER_HUB_KEY,
    convert_to_hostname,
    docker_config_path,
    docker_credential,
    docker_key,
    docker_known_registries,
    helper_list,
)
from acrbrowse.keychain.errors import CredentialHelperError, DockerConfigError

ACR = "myregistry.azurecr.io"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def as_tuple(credential):
    return (credential.username, credential.secret.reveal(), credential.kind, credential.source)


# ---------------------------------------------------------------- pure rules


def test_config_path(tmp_path):
    assert docker_config_path({"DOCKER_CONFIG": str(tmp_path)}) == tmp_path / "config.json"
    assert docker_config_path({"HOME": str(tmp_path)}) == tmp_path / ".docker" / "config.json"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("myreg.io", "myreg.io"),
        ("https://myreg.io", "myreg.io"),
        ("https://myreg.io/v1/", "myreg.io"),
        ("http://localhost:5000/v2/", "localhost:5000"),
        ("https://index.docker.io/v1/", "index.docker.io"),
    ],
)
def test_convert_to_hostname(url, host):
    assert convert_to_hostname(url) == host


@pytest.mark.parametrize("registry", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_docker_hub_key(registry):
    assert docker_key(registry) == DOCKER_HUB_KEY == "https://index.docker.io/v1/"


def test_other_keys_are_the_host():
    assert docker_key("MyRegistry.azurecr.io") == ACR
    assert docker_key("localhost:5000") == "localhost:5000"


# ---------------------------------------------------------------- auths


def test_no_config_file_is_none(sandbox):
    assert docker_credential(ACR) is None


def test_auths_base64_auth(sandbox):
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("alice:pa:ss")}}})
    assert as_tuple(docker_credential(ACR)) == ("alice", "pa:ss", "password", "docker config")


def test_auths_username_and_password_fields(sandbox):
    sandbox.write_docker_config({"auths": {ACR: {"username": "bob", "password": "pw"}}})
    assert as_tuple(docker_credential(ACR)) == ("bob", "pw", "password", "docker config")


def test_auths_identitytoken(sandbox):
    sandbox.write_docker_config(
        {"auths": {ACR: {"auth": b64("00000000-0000-0000-0000-000000000000:"), "identitytoken": "refresh"}}}
    )
    assert as_tuple(docker_credential(ACR)) == (
        "00000000-0000-0000-0000-000000000000", "refresh", "identity_token", "docker config",
    )


def test_identitytoken_without_a_username(sandbox):
    sandbox.write_docker_config({"auths": {ACR: {"identitytoken": "refresh"}}})
    assert as_tuple(docker_credential(ACR)) == ("<token>", "refresh", "identity_token", "docker config")


def test_legacy_url_keys_match_by_host(sandbox):
    sandbox.write_docker_config({"auths": {f"https://{ACR}/v1/": {"auth": b64("old:pw")}}})
    assert docker_credential(ACR).username == "old"


def test_exact_key_wins_over_a_legacy_one(sandbox):
    sandbox.write_docker_config(
        {"auths": {f"https://{ACR}/v1/": {"auth": b64("old:pw")}, ACR: {"auth": b64("new:pw")}}}
    )
    assert docker_credential(ACR).username == "new"


@pytest.mark.parametrize("registry", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_docker_hub_uses_the_index_key(sandbox, registry):
    sandbox.write_docker_config({"auths": {DOCKER_HUB_KEY: {"auth": b64("hubuser:pw")}}})
    assert docker_credential(registry).username == "hubuser"


def test_docker_hub_is_not_found_under_a_bare_key(sandbox):
    # docker itself only looks Hub up under https://index.docker.io/v1/
    sandbox.write_docker_config({"auths": {"docker.io": {"auth": b64("x:y")}}})
    assert docker_credential("docker.io") is None


def test_another_registrys_entry_does_not_match(sandbox):
    sandbox.write_docker_config({"auths": {"other.azurecr.io": {"auth": b64("x:y")}, ACR: {}}})
    assert docker_credential(ACR) is None  # `{}` is what docker leaves when a helper holds the secret


def test_invalid_json_config(sandbox):
    sandbox.docker_dir.joinpath("config.json").write_text('{"auths": {')
    with pytest.raises(DockerConfigError, match=r"config.json is not valid JSON \(line 1\)"):
        docker_credential(ACR)


def test_bad_base64_auth(sandbox):
    sandbox.write_docker_config({"auths": {ACR: {"auth": "%%%not base64"}}})
    with pytest.raises(DockerConfigError, match="not base64 of user:password"):
        docker_credential(ACR)
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("no-colon")}}})
    with pytest.raises(DockerConfigError, match="not base64 of user:password"):
        docker_credential(ACR)


# ---------------------------------------------------------------- helpers


def test_cred_helper_gets_the_server_url_on_stdin(sandbox):
    helper = sandbox.install_helper("acrtest", {ACR: ("helper-user", "helper-secret")})
    sandbox.write_docker_config({"credHelpers": {ACR: "acrtest"}})
    assert as_tuple(docker_credential(ACR)) == ("helper-user", "helper-secret", "password", "docker-credential-acrtest")
    assert helper.requests() == [{"action": "get", "stdin": ACR}]


def test_cred_helper_token_username_means_identity_token(sandbox):
    sandbox.install_helper("acrtest", {ACR: ("<token>", "refresh-token")})
    sandbox.write_docker_config({"credHelpers": {ACR: "acrtest"}})
    assert as_tuple(docker_credential(ACR)) == ("<token>", "refresh-token", "identity_token", "docker-credential-acrtest")


def test_cred_helper_for_docker_hub_is_asked_for_the_index_url(sandbox):
    helper = sandbox.install_helper("acrtest", {DOCKER_HUB_KEY: ("hub", "pw")})
    sandbox.write_docker_config({"credHelpers": {DOCKER_HUB_KEY: "acrtest"}})
    assert docker_credential("docker.io").username == "hub"
    assert helper.requests() == [{"action": "get", "stdin": DOCKER_HUB_KEY}]


def test_creds_store_is_the_fallback(sandbox):
    special = sandbox.install_helper("acrtest", {ACR: ("special", "s")})
    default = sandbox.install_helper("store", {"other.io": ("default", "d")})
    sandbox.write_docker_config({"credHelpers": {ACR: "acrtest"}, "credsStore": "store"})
    assert as_tuple(docker_credential("other.io")) == ("default", "d", "password", "docker-credential-store")
    assert docker_credential(ACR).username == "special"
    assert [r["stdin"] for r in default.requests()] == ["other.io"]
    assert [r["stdin"] for r in special.requests()] == [ACR]


def test_creds_store_hides_inline_auths_as_docker_does(sandbox):
    sandbox.install_helper("store", {})
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("inline:pw")}}, "credsStore": "store"})
    assert docker_credential(ACR) is None


def test_helper_says_not_found(sandbox):
    helper = sandbox.install_helper("acrtest", {})
    sandbox.write_docker_config({"credHelpers": {ACR: "acrtest"}})
    assert docker_credential(ACR) is None
    assert len(helper.requests()) == 1


def test_helper_not_on_path(sandbox):
    sandbox.write_docker_config({"credsStore": "nosuchhelper"})
    with pytest.raises(CredentialHelperError, match="docker-credential-nosuchhelper is not on PATH"):
        docker_credential(ACR)


def test_helper_failure_is_one_line(sandbox):
    sandbox.install_helper("acrtest", fail="error getting credentials\nsecond line")
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError) as caught:
        docker_credential(ACR)
    assert str(caught.value) == "docker-credential-acrtest get failed (exit 3): error getting credentials second line"


def test_helper_timeout(sandbox):
    sandbox.install_helper("acrtest", {ACR: ("u", "s")}, sleep=30)
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError, match=r"docker-credential-acrtest get did not answer within 0.5 s"):
        docker_credential(ACR, timeout=0.5)


def test_helper_printing_nonsense(sandbox):
    sandbox.install_helper("acrtest", garbage="Password: hunter2")
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError) as caught:
        docker_credential(ACR)
    assert "not JSON" in str(caught.value) and "hunter2" not in str(caught.value)


def test_helper_json_missing_fields(sandbox):
    sandbox.install_helper("acrtest", garbage='{"ServerURL": "x"}')
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError, match="did not print Username and Secret"):
        docker_credential(ACR)


def test_helper_list(sandbox):
    sandbox.install_helper("store", {"https://index.docker.io/v1/": ("hub", "x"), "a.io": ("ua", "y")})
    assert helper_list("store") == {"https://index.docker.io/v1/": "hub", "a.io": "ua"}


# ---------------------------------------------------------------- listing


def test_known_registries(sandbox):
    sandbox.install_helper("store", {"listed.io": ("lister", "x"), DOCKER_HUB_KEY: ("hub", "y")})
    sandbox.write_docker_config(
        {
            "auths": {
                f"https://{ACR}/v1/": {"auth": b64("alice:pw")},
                "tokens.io": {"identitytoken": "t"},
                "helped.io": {},
            },
            "credHelpers": {"helped.io": "acrtest", "gcr.io": "gcloud"},
            "credsStore": "store",
        }
    )
    known = {k.registry: (k.username, k.source) for k in docker_known_registries()}
    assert known == {
        ACR: (None, "docker-credential-store"),  # credsStore holds every secret, as for docker
        "tokens.io": (None, "docker-credential-store"),
        "helped.io": (None, "docker-credential-acrtest"),
        "gcr.io": (None, "docker-credential-gcloud"),
        "listed.io": ("lister", "docker-credential-store"),
        "docker.io": ("hub", "docker-credential-store"),
    }


def test_known_registries_from_the_file_alone(sandbox):
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("alice:pw")}, DOCKER_HUB_KEY: {"identitytoken": "t"}}})
    known = {k.registry: (k.username, k.source) for k in docker_known_registries()}
    assert known == {ACR: ("alice", "docker config"), "docker.io": (None, "docker config")}


def test_known_registries_survive_a_broken_helper_and_file(sandbox):
    notes: list[str] = []
    sandbox.write_docker_config({"auths": {ACR: {}}, "credsStore": "missing"})
    assert [k.registry for k in docker_known_registries(notes=notes)] == [ACR]
    assert notes == ["docker-credential-missing is not on PATH (Docker's config names it as a credential helper)"]
    sandbox.docker_dir.joinpath("config.json").write_text("nope")
    notes.clear()
    assert docker_known_registries(notes=notes) == []
    assert "not valid JSON" in notes[0]


# ---------------------------------------------------------------- hostile or broken local state


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"auths": ["x"]}, "'auths' should be a JSON object"),
        ({"credHelpers": "acrtest"}, "'credHelpers' should be a JSON object"),
        ({"credsStore": {"name": "x"}}, "'credsStore' should be a string"),
        ({"credsStore": "../../../bin/sh"}, "names a credential helper '../../../bin/sh' that is not a plain name"),
        ({"credHelpers": {ACR: "x\x1b]52;c;aGk=\x07"}}, "that is not a plain name"),
    ],
)
def test_a_config_of_the_wrong_shape_is_one_line(sandbox, doc, says):
    path = sandbox.write_docker_config(doc)
    with pytest.raises(DockerConfigError) as caught:
        docker_credential(ACR)
    message = str(caught.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message
    assert not isinstance(caught.value, CredentialHelperError)


def test_entries_of_the_wrong_type_are_skipped(sandbox):
    sandbox.write_docker_config({"auths": {ACR: 5, "other.io": {"auth": 7, "username": ["u"]}}, "credHelpers": {"x.io": 3}})
    assert docker_credential(ACR) is None
    assert docker_credential("other.io") is None
    assert docker_credential("x.io") is None


def test_a_non_utf8_config_is_one_line(sandbox):
    sandbox.docker_dir.joinpath("config.json").write_bytes(b'{"auths": {"\xff\x1b[2J": {}}}')
    with pytest.raises(DockerConfigError, match=r"config.json is not UTF-8 text; fix or delete it$"):
        docker_credential(ACR)


def test_helper_stderr_is_one_escaped_line(sandbox):
    sandbox.install_helper("acrtest", stderr="bad\x1b]52;c;UFdORUQK\x07 news\n\u202eevil\r\nmore")
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError) as caught:
        docker_credential(ACR)
    assert str(caught.value) == (
        "docker-credential-acrtest get failed (exit 3): bad\\x1b]52;c;UFdORUQK\\x07 news \\u202eevil more"
    )


def test_long_helper_stderr_is_cut(sandbox):
    sandbox.install_helper("acrtest", stderr="e" * 5000)
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError) as caught:
        docker_credential(ACR)
    assert len(str(caught.value)) < 250 and str(caught.value).endswith("…")


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_helper_printing_300_mb_is_stopped_at_the_cap(sandbox, stream):
    helper = sandbox.install_helper("acrtest", flood=300 * 1024 * 1024, flood_stderr=stream == "stderr")
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError, match=r"^docker-credential-acrtest get printed more than 1 MiB; stopped it$"):
        docker_credential(ACR, timeout=30)
    assert helper.requests() == [{"action": "get", "stdin": ACR}]


@pytest.mark.parametrize(
    "answer",
    [
        '{"Username": 5, "Secret": "s"}',
        '{"Username": "u", "Secret": ["s"]}',
        '["u", "s"]',
        '"u:s"',
        "[" * 100_000 + "]" * 100_000,
        '{"Username": "u", "Secret": ' + "1" * 5000 + "}",
    ],
    ids=["username-int", "secret-list", "array", "string", "deep", "huge-int"],
)
def test_helper_json_of_the_wrong_shape_is_one_line(sandbox, answer):
    sandbox.install_helper("acrtest", garbage=answer)
    sandbox.write_docker_config({"credsStore": "acrtest"})
    with pytest.raises(CredentialHelperError) as caught:
        docker_credential(ACR)
    message = str(caught.value)
    assert message.startswith("docker-credential-acrtest ") and "\n" not in message and len(message) < 200


def test_helper_list_of_the_wrong_shape(sandbox):
    sandbox.install_helper("store", garbage="[1, 2]")
    with pytest.raises(CredentialHelperError, match="list did not print a JSON object"):
        helper_list("store")
