"""The user's keymap: binding id -> keys, from the "keymap" object in config.json.

    {"keymap": {"acrbrowse.copy_digest": "y", "acrbrowse.quit": "ctrl+q"}}

A missing or unreadable file means no remapping; the UI must start anyway.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from acrbrowse.locations import config_file

KEYMAP_KEY = "keymap"


def load_keymap(path: Path | None = None, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    path = path or config_file(env)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    keymap = doc.get(KEYMAP_KEY) if isinstance(doc, dict) else None
    if not isinstance(keymap, dict):
        return {}
    return {str(k): v for k, v in keymap.items() if isinstance(v, str) and v.strip()}
