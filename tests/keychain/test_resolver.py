"""resolve(): command line > environment > keyring > docker config > anonymous, each labelled."""

from __future__ import annotations

import base64

import pytest

from acrbrowse.config import Config
from acrbrowse.keychain.errors import IncompleteCredential
from acrbrowse.keychain.logins import save_login
from acrbrowse.keychain.resolver import KnownRegistry, known_registries, resolve
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import Hint, InvalidReference

ACR = "myregistry.azurecr.io"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def summary(credential):
    if credential is None:
        return None
    return (credential.username, credential.secret.reveal(), credential.kind, credential.source)


@pytest.fixture
def every_source(secret_service_keyring, sandbox, monkeypatch):
    """The same registry known to all four sources, each with its own user."""
    save_login(ACR, Credential("keyring-user", Secret("keyring-pw")))
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("docker-user:docker-pw")}}})
    monkeypatch.setenv("ACRBROWSE_USERNAME", "env-user")
    monkeypatch.setenv("ACRBROWSE_PASSWORD", "env-pw")
    return sandbox


def test_precedence_walks_down_the_sources(every_source, monkeypatch):
    explicit = resolve(ACR, username="cli-user", password=Secret("cli-pw"))
    assert summary(explicit) == ("cli-user", "cli-pw", "password", "command line")

    assert summary(resolve(ACR)) == ("env-user", "env-pw", "password", "environment")

    monkeypatch.delenv("ACRBROWSE_USERNAME")
    monkeypatch.delenv("ACRBROWSE_PASSWORD")
    assert summary(resolve(ACR)) == ("keyring-user", "keyring-pw", "password", "keyring")

    Config().forget_stored_login(ACR)  # the index is what sends resolve() to the keyring
    assert summary(resolve(ACR)) == ("docker-user", "docker-pw", "password", "docker config")

    every_source.docker_dir.joinpath("config.json").unlink()
    notes: list[str] = []
    assert resolve(ACR, notes=notes) is None
    assert notes[-1] == f"no credential for {ACR}; trying anonymous access"


def test_env_passed_explicitly_wins_over_os_environ(every_source):
    env = {k: v for k, v in every_source.env.items() if not k.startswith("ACRBROWSE_")}
    env["ACRBROWSE_CONFIG_DIR"] = str(every_source.config_dir)
    env["DOCKER_CONFIG"] = str(every_source.docker_dir)
    assert resolve(ACR, env=env).source == "keyring"
    env.update(ACRBROWSE_USERNAME="other", ACRBROWSE_PASSWORD="other-pw")
    assert summary(resolve(ACR, env=env)) == ("other", "other-pw", "password", "environment")


def test_docker_helper_source_is_named(secret_service_keyring, sandbox):
    sandbox.install_helper("acrtest", {ACR: ("<token>", "refresh")})
    sandbox.write_docker_config({"credHelpers": {ACR: "acrtest"}})
    assert summary(resolve(ACR)) == ("<token>", "refresh", "identity_token", "docker-credential-acrtest")


def test_keyring_keeps_the_kind(secret_service_keyring, sandbox):
    save_login(ACR, Credential("00000000-0000-0000-0000-000000000000", Secret("t" * 3000), "identity_token"))
    found = resolve(ACR)
    assert (found.kind, found.source, len(found.secret.reveal())) == ("identity_token", "keyring", 3000)


def test_password_without_username_is_an_error(sandbox):
    with pytest.raises(IncompleteCredential, match="without a username") as caught:
        resolve(ACR, password=Secret("pw"))
    assert caught.value.hint is Hint.GIVE_USERNAME
    with pytest.raises(IncompleteCredential, match="empty"):
        resolve(ACR, username="u", password=Secret(""))


def test_registry_names_are_validated_and_folded(secret_service_keyring, sandbox):
    save_login("index.docker.io", Credential("hub", Secret("pw")))
    assert resolve("docker.io").username == "hub"
    with pytest.raises(InvalidReference):
        resolve("not a registry")


def test_half_an_environment_is_ignored_with_a_note(sandbox, monkeypatch):
    monkeypatch.setenv("ACRBROWSE_PASSWORD", "pw")
    notes: list[str] = []
    assert resolve(ACR, notes=notes) is None
    assert notes[0] == "ACRBROWSE_PASSWORD is set but ACRBROWSE_USERNAME is not; ignoring it"
    monkeypatch.delenv("ACRBROWSE_PASSWORD")
    monkeypatch.setenv("ACRBROWSE_USERNAME", "u")
    notes.clear()
    assert resolve(ACR, notes=notes) is None
    assert notes[0] == "ACRBROWSE_USERNAME is set without ACRBROWSE_PASSWORD; ignoring it"


def test_username_alone_picks_the_password_from_the_environment(sandbox, monkeypatch):
    monkeypatch.setenv("ACRBROWSE_PASSWORD", "pw")
    assert summary(resolve(ACR, username="u")) == ("u", "pw", "password", "environment")


def test_explicit_username_filters_the_other_sources(every_source, monkeypatch):
    notes: list[str] = []
    # environment has env-user: not the one asked for
    found = resolve(ACR, username="keyring-user", notes=notes)
    assert summary(found) == ("keyring-user", "keyring-pw", "password", "keyring")
    assert "ignoring the environment" in notes[0]
    notes.clear()
    found = resolve(ACR, username="docker-user", notes=notes)
    assert found.source == "docker config"
    notes.clear()
    assert resolve(ACR, username="nobody", notes=notes) is None
    assert any("has 'docker-user'" in n for n in notes)


def test_unusable_keyring_is_skipped_with_a_note(fail_keyring, sandbox):
    Config().record_stored_login(ACR, "keyring-user")
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("docker-user:docker-pw")}}})
    notes: list[str] = []
    assert resolve(ACR, notes=notes).source == "docker config"
    assert notes == [
        "keyring skipped: No usable keyring (no keyring backend is installed)"
    ]


def test_locked_keyring_is_skipped_during_resolve(locked_secret_service, sandbox):
    Config().record_stored_login(ACR, "keyring-user")
    notes: list[str] = []
    assert resolve(ACR, notes=notes) is None
    assert notes[0].startswith("keyring skipped: No usable keyring (the keyring is locked")


def test_a_registry_never_logged_into_does_not_touch_the_keyring(fail_keyring, sandbox):
    notes: list[str] = []
    assert resolve("public.example.com", notes=notes) is None
    assert notes == ["no credential for public.example.com; trying anonymous access"]


def test_a_broken_docker_helper_is_skipped_with_a_note(sandbox):
    sandbox.write_docker_config({"credsStore": "gone"})
    notes: list[str] = []
    assert resolve(ACR, notes=notes) is None
    assert notes[0] == (
        "docker config skipped: docker-credential-gone is not on PATH (Docker's config names it as a credential helper)"
    )


def test_a_broken_settings_file_does_not_stop_resolve(sandbox):
    sandbox.config_dir.mkdir()
    sandbox.config_file.write_text("{")
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("d:p")}}})
    notes: list[str] = []
    assert resolve(ACR, notes=notes).source == "docker config"
    assert "not valid JSON" in notes[0]


def test_known_registries_merges_sources(secret_service_keyring, sandbox):
    settings = Config()
    save_login(ACR, Credential("alice", Secret("pw")))
    save_login("b.azurecr.io", Credential("bob", Secret("pw")))
    settings.record_recent_registry("recent-only.io")
    settings.record_recent_registry(ACR)
    sandbox.install_helper("acrtest", {})
    sandbox.write_docker_config(
        {"auths": {ACR: {"auth": b64("docker-alice:pw")}, "docker-only.io": {"auth": b64("d:p")}},
         "credHelpers": {"gcr.io": "acrtest"}}
    )
    assert known_registries() == [
        KnownRegistry(ACR, ("recent", "keyring", "docker config"), "alice"),
        KnownRegistry("recent-only.io", ("recent",), None),
        KnownRegistry("b.azurecr.io", ("keyring",), "bob"),
        KnownRegistry("docker-only.io", ("docker config",), "d"),
        KnownRegistry("gcr.io", ("docker-credential-acrtest",), None),
    ]


def test_known_registries_never_asks_the_keyring(fail_keyring, sandbox):
    Config().record_stored_login(ACR, "alice")
    assert known_registries() == [KnownRegistry(ACR, ("keyring",), "alice")]
