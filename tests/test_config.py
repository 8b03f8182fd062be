import json
import os
import stat
import sys

import pytest

from acrbrowse.keychain.errors import SettingsError
from acrbrowse.keychain.settings import (
    RECENT_REGISTRIES_MAX,
    VISITED_REPOSITORIES_MAX,
    Settings,
    StoredLogin,
)


@pytest.fixture
def settings(sandbox):
    return Settings()


def test_uses_the_config_dir_from_the_environment(sandbox, settings):
    assert settings.path == sandbox.config_file
    settings.record_recent_registry("a.azurecr.io")
    assert sandbox.config_file.exists()


def test_empty_when_there_is_no_file(settings):
    assert settings.stored_logins() == {}
    assert settings.recent_registries() == []
    assert settings.visited_repositories("a.io") == []


def test_stored_logins_round_trip(settings):
    settings.record_stored_login("MyReg.azurecr.io", "alice", "password")
    settings.record_stored_login("index.docker.io", "bob", "identity_token")
    assert settings.stored_login("myreg.azurecr.io") == StoredLogin("myreg.azurecr.io", "alice", "password")
    assert settings.stored_login("docker.io") == StoredLogin("docker.io", "bob", "identity_token")
    assert set(Settings(settings.path).stored_logins()) == {"myreg.azurecr.io", "docker.io"}
    assert settings.forget_stored_login("myreg.azurecr.io") is True
    assert settings.forget_stored_login("myreg.azurecr.io") is False
    assert settings.stored_login("myreg.azurecr.io") is None


def test_recent_registries_most_recent_first_deduplicated_and_capped(settings):
    for i in range(RECENT_REGISTRIES_MAX + 5):
        settings.record_recent_registry(f"r{i}.io")
    settings.record_recent_registry("r10.io")
    recent = settings.recent_registries()
    assert len(recent) == RECENT_REGISTRIES_MAX
    assert recent[0] == "r10.io"
    assert recent[1] == f"r{RECENT_REGISTRIES_MAX + 4}.io"
    assert recent.count("r10.io") == 1
    assert "r0.io" not in recent


def test_visited_repositories_per_registry_and_capped(settings):
    for i in range(VISITED_REPOSITORIES_MAX + 3):
        settings.record_visited_repository("a.io", f"team/repo{i}")
    settings.record_visited_repository("b.io", "other")
    settings.record_visited_repository("a.io", "team/repo5")
    visited = settings.visited_repositories("a.io")
    assert len(visited) == VISITED_REPOSITORIES_MAX
    assert visited[0] == "team/repo5"
    assert settings.visited_repositories("b.io") == ["other"]


def test_keys_it_does_not_own_are_kept(sandbox, settings):
    sandbox.config_dir.mkdir()
    sandbox.config_file.write_text(json.dumps({"theme": "nord", "keymap": {"quit": "ctrl+q"}}))
    settings.record_recent_registry("a.io")
    doc = json.loads(sandbox.config_file.read_text())
    assert doc["theme"] == "nord" and doc["keymap"] == {"quit": "ctrl+q"}
    assert doc["recent_registries"] == ["a.io"]


def test_a_broken_file_is_reported_and_left_alone(sandbox, settings):
    sandbox.config_dir.mkdir()
    sandbox.config_file.write_text('{"recent_registries": [')
    with pytest.raises(SettingsError) as caught:
        settings.record_recent_registry("a.io")
    assert str(caught.value).startswith(str(sandbox.config_file))
    assert "\n" not in str(caught.value)
    assert sandbox.config_file.read_text() == '{"recent_registries": ['


def test_sections_of_the_wrong_type_are_replaced(sandbox, settings):
    sandbox.config_dir.mkdir()
    sandbox.config_file.write_text(json.dumps({"recent_registries": "nope", "stored_logins": [1]}))
    assert settings.recent_registries() == []
    assert settings.stored_logins() == {}
    settings.record_stored_login("a.io", "u")
    assert settings.stored_login("a.io").username == "u"


def test_writes_are_atomic_and_leave_no_temp_files(sandbox, settings, monkeypatch):
    settings.record_recent_registry("a.io")
    before = sandbox.config_file.read_text()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", boom)
        with pytest.raises(SettingsError, match="No space left"):
            settings.record_recent_registry("b.io")
    assert sandbox.config_file.read_text() == before
    assert [p.name for p in sandbox.config_dir.iterdir()] == ["config.json"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_file_is_private_to_the_user(sandbox, settings):
    settings.record_recent_registry("a.io")
    assert stat.S_IMODE(sandbox.config_file.stat().st_mode) == 0o600


def test_no_method_takes_a_secret():
    import inspect

    for name, method in inspect.getmembers(Settings, inspect.isfunction):
        params = set(inspect.signature(method).parameters)
        assert not params & {"secret", "password", "token", "credential"}, name
