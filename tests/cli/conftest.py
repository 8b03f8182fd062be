"""CLI tests: acrbrowse run as a real process against the test bed, in a sandboxed HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.keychain.secret_service import secret_service  # noqa: F401  (fixture)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@dataclass
class Cli:
    """Runs `python -m acrbrowse` with a private HOME, config, cache and Docker config."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None,
                 timeout: float = 60) -> Result:
        process = subprocess.run(
            [sys.executable, "-m", "acrbrowse", *args],
            input=stdin if stdin is not None else "",
            capture_output=True, text=True, timeout=timeout,
            env={**self.env, **(extra_env or {})},
        )
        return Result(process.returncode, process.stdout, process.stderr)

    def files_containing(self, needle: str) -> list[Path]:
        """Every file under the sandbox (HOME, config, cache) whose bytes contain `needle`."""
        hits = []
        for path in self.root.rglob("*"):
            if path.is_file() and needle.encode() in path.read_bytes():
                hits.append(path)
        return hits


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "ACRBROWSE_CONFIG_DIR": str(home / ".config" / "acrbrowse"),
        "ACRBROWSE_CACHE_DIR": str(home / ".cache" / "acrbrowse"),
        "DOCKER_CONFIG": str(home / ".docker"),
        # No keyring unless a test brings one: the fail backend is what a headless box has.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "LANG": "C.UTF-8",
    }
    return Cli(tmp_path, env)


@pytest.fixture
def keyring_cli(cli: Cli, secret_service) -> Cli:  # noqa: F811
    """The CLI with the test's real Secret Service (gnome-keyring on a private D-Bus)."""
    if secret_service.is_locked():
        secret_service.unlock()
    secret_service.clear()
    cli.env.update(secret_service.env)
    return cli


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.code == 1, (result.code, result.err)
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    assert lines[0].startswith("acrbrowse: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
