"""Unexpected errors (bugs) go to a log file, never to the terminal as a traceback: a traceback
with locals can print a secret, and one from a registry's data can carry control characters.

The file holds the traceback without locals, with anything shaped like an Authorization value
masked and every control character escaped; the person sees one line that says where it is.
"""

from __future__ import annotations

import datetime
import os
import re
import traceback
from collections.abc import Mapping
from pathlib import Path

from acrbrowse import __version__
from acrbrowse.locations import cache_dir
from acrbrowse.present.safe import terminal_safe, terminal_safe_block

LOG_NAME = "errors.log"
MAX_LOG_BYTES = 1024 * 1024  # past this the log starts over
_CREDENTIAL = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}")


def log_path(env: Mapping[str, str] = os.environ) -> Path:
    return cache_dir(env) / LOG_NAME


def scrub(text: str) -> str:
    return terminal_safe_block(_CREDENTIAL.sub(lambda m: f"{m.group(1)} ********", text))


def record(error: BaseException, env: Mapping[str, str] = os.environ) -> Path | None:
    """Append `error`'s traceback (no locals) to the log; returns its path, or None if unwritable."""
    path = log_path(env)
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    entry = f"--- {stamp} acrbrowse {__version__}\n{scrub(text)}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "w" if path.exists() and path.stat().st_size > MAX_LOG_BYTES else "a"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC), 0o600)
        with os.fdopen(fd, mode, encoding="utf-8", errors="replace") as log:
            log.write(entry)
    except OSError:
        return None
    return path


def one_line(error: BaseException, path: Path | None) -> str:
    """What the person reads: the bug's type and first words, and where the details are."""
    detail = terminal_safe(" ".join(scrub(str(error)).split()), limit=160)
    where = f"; details in {path}" if path else ""
    return f"internal error ({type(error).__name__}: {detail}){where}; please report it"
