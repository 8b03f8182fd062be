"""The user's keymap: binding id -> keys, from the "keymap" object in config.json.

    {"keymap": {"acrbrowse.copy_digest": "y", "acrbrowse.quit": "ctrl+q"}}

A missing or unreadable file means no remapping; the UI must start anyway. The file is read by
the same bounded reader as the rest of config.json (the start screen reports a broken one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from acrbrowse.keychain.errors import SettingsError
from acrbrowse.keychain.settings import Settings

KEYMAP_KEY = "keymap"


def load_keymap(path: Path | None = None, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    try:
        doc = Settings(path, env=env).document()
    except SettingsError:
        return {}
    keymap = doc.get(KEYMAP_KEY)
    if not isinstance(keymap, dict):
        return {}
    return {str(k): v for k, v in keymap.items() if isinstance(v, str) and v.strip()}
