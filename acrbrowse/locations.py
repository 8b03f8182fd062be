"""Where acrbrowse keeps its files: the platform's config and cache folders, or env overrides.

ACRBROWSE_CONFIG_DIR / ACRBROWSE_CACHE_DIR replace the platform folders outright (tests and
portable installs use them). Nothing here creates a folder: writers do that when they write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "acrbrowse"
CONFIG_DIR_ENV = "ACRBROWSE_CONFIG_DIR"
CACHE_DIR_ENV = "ACRBROWSE_CACHE_DIR"
CONFIG_FILE_NAME = "config.json"


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder for config.json: $ACRBROWSE_CONFIG_DIR, else e.g. ~/.config/acrbrowse."""
    override = env.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file(env: Mapping[str, str] = os.environ) -> Path:
    """The JSON file with the non-secret settings (see acrbrowse.config)."""
    return config_dir(env) / CONFIG_FILE_NAME


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The folder for disposable data: $ACRBROWSE_CACHE_DIR, else e.g. ~/.cache/acrbrowse."""
    override = env.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
