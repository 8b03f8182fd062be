"""Two image configs compared: env, entrypoint, cmd, labels, user, workdir, exposed ports, volumes,
created, platform; and their history steps aligned like a diff."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from acrbrowse.oci.manifest import HistoryEntry, ImageConfig


@dataclass(frozen=True)
class ConfigChange:
    field: str  # "env", "entrypoint", "cmd", "labels", "user", "workdir", "exposed ports", "volumes", "created", …
    key: str | None  # an env variable's or a label's name (None for the other fields)
    a: str | None  # the value in A (None: not set there)
    b: str | None


@dataclass(frozen=True)
class HistoryLine:
    change: str  # "same", "removed" (only in A), "added" (only in B)
    a: str | None  # A's created_by for this step
    b: str | None


def _env(variables: Sequence[str]) -> dict[str, str]:
    """NAME=value lines by name (the last one wins, as a runtime applies them); a line without "="
    is a name with no value."""
    out: dict[str, str] = {}
    for line in variables:
        name, _, value = line.partition("=")
        out[name] = value
    return out


def _by_key(field: str, a: Mapping[str, str], b: Mapping[str, str]) -> list[ConfigChange]:
    return [ConfigChange(field, key, a.get(key), b.get(key))
            for key in sorted(a.keys() | b.keys()) if a.get(key) != b.get(key)]


def _words(values: Sequence[str]) -> str | None:
    """An argv as JSON (exact, quoting shown); None when empty."""
    return json.dumps(list(values), ensure_ascii=False) if values else None


def _listed(values: Sequence[str]) -> str | None:
    return ", ".join(values) if values else None


def _single(field: str, a: str | None, b: str | None) -> list[ConfigChange]:
    return [ConfigChange(field, None, a, b)] if a != b else []


def history_step(entry: HistoryEntry) -> str:
    """A step as one line: its created_by (the comment when there is none), whitespace runs folded."""
    text = entry.created_by or entry.comment or ""
    return " ".join(text.split())


def align_history(a: Sequence[HistoryEntry], b: Sequence[HistoryEntry]) -> list[HistoryLine]:
    """Every step of both histories (empty_layer ones too), as a diff aligns lines."""
    a_lines = [history_step(entry) for entry in a]
    b_lines = [history_step(entry) for entry in b]
    out: list[HistoryLine] = []
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            out.extend(HistoryLine("same", line, line) for line in a_lines[a_start:a_end])
            continue
        out.extend(HistoryLine("removed", line, None) for line in a_lines[a_start:a_end])
        out.extend(HistoryLine("added", None, line) for line in b_lines[b_start:b_end])
    return out


def compare_configs(a: ImageConfig, b: ImageConfig) -> tuple[list[ConfigChange], list[HistoryLine]]:
    """Only what differs, in a fixed field order (env and labels by name); and the history aligned."""
    ra, rb = a.runtime, b.runtime
    changes = [
        *_by_key("env", _env(ra.env), _env(rb.env)),
        *_single("entrypoint", _words(ra.entrypoint), _words(rb.entrypoint)),
        *_single("cmd", _words(ra.cmd), _words(rb.cmd)),
        *_by_key("labels", ra.labels, rb.labels),
        *_single("user", ra.user, rb.user),
        *_single("workdir", ra.working_dir, rb.working_dir),
        *_single("exposed ports", _listed(ra.exposed_ports), _listed(rb.exposed_ports)),
        *_single("volumes", _listed(ra.volumes), _listed(rb.volumes)),
        *_single("created", a.created, b.created),
        *_single("os", a.os, b.os),
        *_single("architecture", a.architecture, b.architecture),
        *_single("os.version", a.os_version, b.os_version),
    ]
    return changes, align_history(a.history, b.history)
