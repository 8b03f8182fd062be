"""Small JSON files kept on this machine: acrbrowse's config.json, its realm memo, Docker's
config.json. One bounded reader and one atomic writer for all of them.

Such a file can be anything: not UTF-8, nested 100,000 deep, a gigabyte, a FIFO nobody writes
to, a symlink to /dev/zero. Only a regular file of at most SETTINGS_FILE_BYTES is read, and every
way it can be wrong is one LocalFileError line that says what is wrong with it. A write goes to a
temp file beside the target and is renamed over it, so a reader (another acrbrowse process among
them) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acrbrowse import boundedjson
from acrbrowse.limits import JSON_DEPTH, SETTINGS_FILE_BYTES, describe_bytes
from acrbrowse.regularfile import FileTooLarge, NotRegularFile, read_capped


class LocalFileError(Exception):
    """`problem` is a phrase about the file ("is not UTF-8 text"); str() is path + problem."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"{path} {problem}")


def report_unusable(text: str, notes: list[str] | None, warnings: list[str] | None) -> None:
    """A local file acrbrowse goes on without: a warning when the caller collects them (the CLI
    prints every one), else a note like any other skipped source."""
    target = warnings if warnings is not None else notes
    if target is not None:
        target.append(f"{text} (going on without it)" if warnings is not None else text)


def read_json_object(path: Path, cap: int = SETTINGS_FILE_BYTES) -> dict[str, Any] | None:
    """The JSON object in `path`; None when there is no file; {} when it is empty."""
    raw = read_regular_file(path, cap)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LocalFileError(path, "is not UTF-8 text") from None
    if not text.strip():
        return {}
    try:
        doc = boundedjson.loads(text)
    except boundedjson.JSONTooDeep:
        raise LocalFileError(path, f"is nested deeper than {JSON_DEPTH} levels") from None
    except ValueError as exc:
        # Not str(exc): the document may hold secrets (Docker's inline auths).
        line = getattr(exc, "lineno", None)
        raise LocalFileError(path, "is not valid JSON" + (f" (line {line})" if line else "")) from None
    if not isinstance(doc, dict):
        raise LocalFileError(path, "should hold a JSON object")
    return doc


def read_regular_file(path: Path, cap: int) -> bytes | None:
    """The bytes of `path` if it is a regular file (symlinks followed) of at most `cap` bytes;
    None when it does not exist."""
    try:
        return read_capped(path, cap)
    except FileNotFoundError:
        return None
    except NotRegularFile:
        raise LocalFileError(path, "is not a regular file") from None
    except FileTooLarge:
        raise LocalFileError(path, f"is larger than {describe_bytes(cap)}") from None
    except OSError as exc:
        raise LocalFileError(path, f"can't be read ({exc.strerror or exc})") from None


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to a temp file beside `path` (private to the user), fsync it when `durable`, then
    os.replace it over `path`: readers see the old file or the new one, never half. On any failure
    the temp file is removed and `path` is as it was; an OSError is raised as it is, for the caller
    to word (or to ignore, for a file that only saves a request)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the first failure is the one worth reporting
            Path(temp).unlink(missing_ok=True)
        raise


def write_json_atomically(path: Path, doc: Mapping[str, Any]) -> None:
    """`doc` as indented UTF-8 JSON, durably and atomically (see write_atomically)."""
    write_atomically(path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
