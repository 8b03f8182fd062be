"""Two image configs compared: env, entrypoint, cmd, labels, user, workdir, exposed ports, volumes,
created, platform; and their history steps aligned like a diff."""

from __future__ import annotations

from dataclasses import dataclass

from acrbrowse.oci.manifest import ImageConfig


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


def compare_configs(a: ImageConfig, b: ImageConfig) -> tuple[list[ConfigChange], list[HistoryLine]]:
    raise NotImplementedError
