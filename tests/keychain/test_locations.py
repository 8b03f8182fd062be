from pathlib import Path

import platformdirs

from acrbrowse import locations


def test_env_overrides_win(tmp_path):
    env = {"ACRBROWSE_CONFIG_DIR": str(tmp_path / "c"), "ACRBROWSE_CACHE_DIR": str(tmp_path / "k")}
    assert locations.config_dir(env) == tmp_path / "c"
    assert locations.config_file(env) == tmp_path / "c" / "config.json"
    assert locations.cache_dir(env) == tmp_path / "k"


def test_defaults_are_the_platform_dirs():
    assert locations.config_dir({}) == Path(platformdirs.user_config_dir("acrbrowse", appauthor=False))
    assert locations.cache_dir({}) == Path(platformdirs.user_cache_dir("acrbrowse", appauthor=False))
    assert locations.config_file({}).parent == locations.config_dir({})


def test_empty_override_means_default():
    assert locations.config_dir({"ACRBROWSE_CONFIG_DIR": ""}) == locations.config_dir({})


def test_reads_os_environ_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("ACRBROWSE_CONFIG_DIR", str(tmp_path))
    assert locations.config_file() == tmp_path / "config.json"


def test_nothing_is_created(tmp_path):
    locations.config_file({"ACRBROWSE_CONFIG_DIR": str(tmp_path / "new")})
    assert not (tmp_path / "new").exists()
