"""config.json through its one model, Config: stored logins, recent registries, visited
repositories, keymap and theme; atomic writes; a broken or hostile file is one ConfigError line or
a value ignored, never trusted."""

import inspect
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from acrbrowse.cli.browse import keymap_and_theme
from acrbrowse.config import (
    RECENT_REGISTRIES_MAX,
    VISITED_REPOSITORIES_MAX,
    Config,
    ConfigError,
    StoredLogin,
)
from acrbrowse.oci.cache import ChallengeMemo
from acrbrowse.oci.remote.challenge import Challenge
from tests.test_import_rules import PACKAGE, imports_of


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ACRBROWSE_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def config_file(config_dir: Path) -> Path:
    return config_dir / "config.json"


@pytest.fixture
def settings(config_dir: Path) -> Config:
    return Config()


def write(path: Path, doc: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def test_uses_the_config_dir_from_the_environment(config_file, settings):
    assert settings.path == config_file
    settings.record_recent_registry("a.azurecr.io")
    assert config_file.exists()


def test_empty_when_there_is_no_file(settings):
    assert settings.stored_logins() == {}
    assert settings.recent_registries() == []
    assert settings.visited_repositories("a.io") == []
    assert settings.keymap() == {}
    assert settings.theme() is None


def test_stored_logins_round_trip(settings):
    settings.record_stored_login("MyReg.azurecr.io", "alice", "password")
    settings.record_stored_login("index.docker.io", "bob", "identity_token")
    assert settings.stored_login("myreg.azurecr.io") == StoredLogin("myreg.azurecr.io", "alice", "password")
    assert settings.stored_login("docker.io") == StoredLogin("docker.io", "bob", "identity_token")
    assert set(Config(settings.path).stored_logins()) == {"myreg.azurecr.io", "docker.io"}
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


def test_keys_it_does_not_own_are_kept(config_file, settings):
    write(config_file, {"theme": "nord", "keymap": {"quit": "ctrl+q"}, "future": [1, {"x": None}]})
    settings.record_recent_registry("a.io")
    doc = json.loads(config_file.read_text())
    assert doc["theme"] == "nord" and doc["keymap"] == {"quit": "ctrl+q"} and doc["future"] == [1, {"x": None}]
    assert doc["recent_registries"] == ["a.io"] and doc["version"] == 1


def test_the_last_writer_wins(config_file):
    first, second = Config(config_file), Config(config_file)
    first.record_recent_registry("a.io")
    second.record_recent_registry("b.io")  # reads the file afresh: a.io is kept
    assert first.recent_registries() == ["b.io", "a.io"]


def test_a_broken_file_is_reported_and_left_alone(config_file, settings):
    config_file.parent.mkdir()
    config_file.write_text('{"recent_registries": [')
    for call in (lambda: settings.record_recent_registry("a.io"), settings.keymap, settings.theme):
        with pytest.raises(ConfigError) as caught:
            call()
        assert str(caught.value) == f"{config_file} is not valid JSON (line 1); fix or delete it"
        assert caught.value.hint is None
    assert config_file.read_text() == '{"recent_registries": ['


def test_sections_of_the_wrong_type_are_replaced(config_file, settings):
    write(config_file, {"recent_registries": "nope", "stored_logins": [1]})
    assert settings.recent_registries() == []
    assert settings.stored_logins() == {}
    settings.record_stored_login("a.io", "u")
    assert settings.stored_login("a.io").username == "u"


def test_writes_are_atomic_and_leave_no_temp_files(config_file, settings, monkeypatch):
    settings.record_recent_registry("a.io")
    before = config_file.read_text()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", boom)
        with pytest.raises(ConfigError) as caught:
            settings.record_recent_registry("b.io")
    assert str(caught.value) == f"can't write {config_file}: No space left on device"
    assert config_file.read_text() == before
    assert [p.name for p in config_file.parent.iterdir()] == ["config.json"]


def test_a_folder_that_takes_no_new_file_is_one_line(config_file, settings, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("acrbrowse.localfile.tempfile.mkstemp", refused)
    with pytest.raises(ConfigError) as caught:
        settings.record_recent_registry("a.io")
    assert str(caught.value) == f"can't write {config_file}: Permission denied"
    assert list(config_file.parent.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_file_is_private_to_the_user(config_file, settings):
    settings.record_recent_registry("a.io")
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_no_method_takes_a_secret():
    for name, method in inspect.getmembers(Config, inspect.isfunction):
        params = set(inspect.signature(method).parameters)
        assert not params & {"secret", "password", "token", "credential"}, name


# ---- keymap ---------------------------------------------------------------------------------


def test_keymap_keeps_binding_ids_mapped_to_keys(config_file, settings):
    write(config_file, {"keymap": {"acrbrowse.copy_digest": "y", "acrbrowse.quit": "ctrl+q,f10"}, "version": 1})
    assert settings.keymap() == {"acrbrowse.copy_digest": "y", "acrbrowse.quit": "ctrl+q,f10"}


@pytest.mark.parametrize("keymap", [None, 3, "y", ["acrbrowse.quit", "q"], {}])
def test_a_keymap_that_is_not_an_object_is_no_keymap(config_file, settings, keymap):
    write(config_file, {"keymap": keymap})
    assert settings.keymap() == {}


@pytest.mark.parametrize("keys", [3, None, True, ["q"], {"q": 1}, "", "   "])
def test_keymap_entries_that_are_not_keys_are_dropped(config_file, settings, keys):
    write(config_file, {"keymap": {"acrbrowse.quit": keys, "acrbrowse.copy_digest": "y"}})
    assert settings.keymap() == {"acrbrowse.copy_digest": "y"}


@pytest.mark.parametrize("hostile", [
    "\x1b]52;c;aGk=\x07",  # OSC 52: would write the clipboard if printed in the footer
    "ctrl+q\n",
    "q\tx",
    "\x1b[2J",
    "q\u202e",  # bidi override
    "q\u200b",  # zero-width space
    "\x7f",
    "\x9b31m",  # C1 CSI
    "q" * 101,
])
def test_keymap_refuses_hostile_ids_and_keys(config_file, settings, hostile):
    write(config_file, {"keymap": {"acrbrowse.quit": hostile, hostile: "q", "acrbrowse.copy_digest": "y"}})
    assert settings.keymap() == {"acrbrowse.copy_digest": "y"}


# ---- theme ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nord", "textual-dark", "catppuccin-mocha", "Solarized-Light", "x" * 64])
def test_theme_names_a_theme(config_file, settings, name):
    write(config_file, {"theme": name})
    assert settings.theme() == name


@pytest.mark.parametrize("value", [
    None, 3, True, ["nord"], {"name": "nord"}, "", " nord", "nord ", "nord\n", "-nord", "nord,gruvbox",
    "../../etc/passwd", "nord\x1b]0;pwned\x07", "nord\u202e", "nörd", "x" * 65,
])
def test_a_theme_that_is_not_a_theme_name_is_none(config_file, settings, value):
    write(config_file, {"theme": value})
    assert settings.theme() is None


def test_record_theme_keeps_it_and_the_rest_of_the_file(config_file, settings):
    write(config_file, {"keymap": {"acrbrowse.quit": "ctrl+q"}, "future": [1]})
    settings.record_theme("nord")
    assert settings.theme() == "nord"
    settings.record_theme("textual-light")
    doc = json.loads(config_file.read_text())
    assert doc["theme"] == "textual-light" and doc["keymap"] == {"acrbrowse.quit": "ctrl+q"} and doc["future"] == [1]


@pytest.mark.parametrize("name", ["", "nord\x1b", "../x", "x" * 65])
def test_record_theme_refuses_what_is_not_a_theme_name(config_file, settings, name):
    with pytest.raises(ValueError):
        settings.record_theme(name)
    assert not config_file.exists()


# ---- what the browser takes from it -----------------------------------------------------------


def test_the_browser_gets_the_keymap_and_theme_or_neither_when_the_file_is_broken(config_file):
    write(config_file, {"keymap": {"acrbrowse.copy_digest": "y", "acrbrowse.quit": 3}, "theme": "nord", "version": 1})
    assert keymap_and_theme(Config(config_file)) == ({"acrbrowse.copy_digest": "y"}, "nord")
    config_file.write_text("{not json")
    assert keymap_and_theme(Config(config_file)) == ({}, None)
    config_file.unlink()
    assert keymap_and_theme(Config(config_file)) == ({}, None)


# ---- one atomic writer for config.json and the realm memo --------------------------------------


def test_config_and_the_realm_memo_write_through_the_one_writer(tmp_path, monkeypatch):
    import acrbrowse.localfile

    written: list[Path] = []
    real = acrbrowse.localfile.write_json_atomically

    def spy(path, doc):
        written.append(path)
        real(path, doc)

    monkeypatch.setattr("acrbrowse.config.write_json_atomically", spy)
    monkeypatch.setattr("acrbrowse.oci.cache.write_json_atomically", spy)
    Config(tmp_path / "config.json").record_recent_registry("a.io")
    ChallengeMemo(tmp_path / "challenges.json").put("a.io", Challenge("basic", {"realm": "a.io"}))
    assert written == [tmp_path / "config.json", tmp_path / "challenges.json"]


def test_a_failed_memo_write_is_skipped_and_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    memo = ChallengeMemo(tmp_path / "challenges.json")
    memo.put("a.io", Challenge("basic", {"realm": "a.io"}))
    before = memo.path.read_text()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", boom)
        memo.put("b.io", Challenge("basic", {"realm": "b.io"}))  # no error: it is only a memo
        memo.forget("a.io")
    assert memo.path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["challenges.json"]
    assert memo.get("a.io") == Challenge("basic", {"realm": "a.io"}) and memo.get("b.io") is None


# ---- config.json's model stays below every front end ------------------------------------------


@pytest.mark.parametrize("module", ["config.py", "localfile.py"])
def test_the_config_model_imports_no_front_end_and_no_keychain(module):
    forbidden = ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain", "acrbrowse.session")
    names = imports_of((PACKAGE / module).read_text(encoding="utf-8"), f"acrbrowse.{module[:-3]}")
    assert [n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)] == []


# ---- the front ends word a ConfigError as they word a credential error --------------------------


def test_the_ui_shows_a_config_error_in_its_own_words(tmp_path, monkeypatch):
    from acrbrowse.session import Session, SessionOptions
    from acrbrowse.ui.app import AcrBrowseApp

    monkeypatch.setenv("ACRBROWSE_CACHE_DIR", str(tmp_path / "cache"))  # where a bug would be logged
    env = {"ACRBROWSE_CONFIG_DIR": str(tmp_path / "config"), "ACRBROWSE_CACHE_DIR": str(tmp_path / "cache")}
    app = AcrBrowseApp(session=Session(SessionOptions(use_cache=False), env=env))
    line = f"{tmp_path}/config/config.json is not UTF-8 text; fix or delete it"
    assert app.failure_line(ConfigError(line)) == line
    assert not (tmp_path / "cache").exists()  # worded, not logged as a bug
    assert "internal error" in app.failure_line(RuntimeError("a bug")) and (tmp_path / "cache").exists()


def test_visited_repositories_are_kept_per_user(settings):
    settings.record_visited_repository("a.io", "admin/only", "admin")
    settings.record_visited_repository("a.io", "anon/one")
    assert settings.visited_repositories("a.io", "admin") == ["admin/only"]
    assert settings.visited_repositories("a.io", "readonlypull") == []
    assert settings.visited_repositories("a.io") == ["anon/one"]
    assert settings.visited_repositories("b.io", "admin") == []


def test_visits_stored_before_they_were_per_user_are_the_anonymous_ones(config_file, settings):
    write(config_file, {"visited_repositories": {"a.io": ["old/one"]},
                        "visited_repositories_by_user": {"a.io": ["not", "a", "dict"], "b.io": {"u": [1, "x"]}}})
    assert settings.visited_repositories("a.io") == ["old/one"]
    assert settings.visited_repositories("a.io", "admin") == []
    assert settings.visited_repositories("b.io", "u") == ["x"]
    settings.record_visited_repository("a.io", "new/one", "admin")
    assert settings.visited_repositories("a.io", "admin") == ["new/one"]
    assert settings.visited_repositories("a.io") == ["old/one"]
