"""Fixtures for the credentials tests: a real Secret Service, a sandboxed HOME/config/docker dir,
and fake docker-credential helpers on PATH."""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.keychain.secret_service import (  # noqa: F401  (fixtures)
    bus_without_secret_service,
    locked_secret_service,
    secret_service,
    secret_service_keyring,
)

_HELPER_SCRIPT = '''#!{python}
"""A docker credential helper for tests: answers from a JSON file, logs what it was asked."""
import json, sys, time
from pathlib import Path

here = Path(__file__).resolve().parent
name = Path(__file__).name
store = json.loads((here / (name + ".json")).read_text())
action = sys.argv[1] if len(sys.argv) > 1 else ""
request = sys.stdin.read()
with open(here / (name + ".log"), "a") as log:
    log.write(json.dumps({{"action": action, "stdin": request}}) + "\\n")
if store.get("sleep"):
    time.sleep(store["sleep"])
if store.get("flood"):  # that many bytes on stdout (or stderr), made as they are written
    out = sys.stderr.buffer if store.get("flood_stderr") else sys.stdout.buffer
    chunk = b'{{"Username": "' + b"x" * (1024 * 1024 - 15)
    for _ in range(store["flood"] // len(chunk)):
        out.write(chunk)
    sys.exit(3 if store.get("flood_stderr") else 0)
if store.get("stderr"):
    sys.stderr.write(store["stderr"])
    sys.exit(3)
if store.get("fail"):
    print(store["fail"])
    sys.exit(3)
if store.get("garbage"):
    print(store["garbage"])
    sys.exit(0)
if action == "list":
    print(json.dumps({{url: entry[0] for url, entry in store["credentials"].items()}}))
    sys.exit(0)
if action != "get":
    print("unknown action", action, file=sys.stderr)
    sys.exit(2)
entry = store["credentials"].get(request.strip())
if entry is None:
    print("credentials not found in native keychain")
    sys.exit(1)
print(json.dumps({{"ServerURL": request.strip(), "Username": entry[0], "Secret": entry[1]}}))
'''


@dataclass
class Helper:
    name: str
    path: Path

    @property
    def program(self) -> str:
        return f"docker-credential-{self.name}"

    def requests(self) -> list[dict[str, str]]:
        log = self.path.with_name(self.path.name + ".log")
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


@dataclass
class Sandbox:
    """A throwaway HOME, config/cache dirs, DOCKER_CONFIG and a bin dir on PATH."""

    root: Path
    home: Path
    config_dir: Path
    cache_dir: Path
    docker_dir: Path
    bin_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ)

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.json"

    def write_docker_config(self, doc: dict) -> Path:
        path = self.docker_dir / "config.json"
        path.write_text(json.dumps(doc))
        return path

    def write_podman_auth(self, doc: dict) -> Path:
        """~/.config/containers/auth.json (Podman's persistent login file)."""
        path = self.home / ".config" / "containers" / "auth.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
        return path

    def install_helper(self, name: str, credentials: dict[str, tuple[str, str]] | None = None, **options) -> Helper:
        """docker-credential-NAME answering `get` from {server URL: (username, secret)}.
        Options: sleep=seconds, fail="message" (exit 3), garbage="stdout" (exit 0),
        stderr="message" (exit 3), flood=bytes on stdout (exit 0; on stderr and exit 3 with
        flood_stderr=True)."""
        path = self.bin_dir / f"docker-credential-{name}"
        path.write_text(_HELPER_SCRIPT.format(python=sys.executable))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        store = {"credentials": {url: list(entry) for url, entry in (credentials or {}).items()}, **options}
        path.with_name(path.name + ".json").write_text(json.dumps(store))
        return Helper(name, path)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    box = Sandbox(
        root=tmp_path,
        home=tmp_path / "home",
        config_dir=tmp_path / "config",
        cache_dir=tmp_path / "cache",
        docker_dir=tmp_path / "docker",
        bin_dir=tmp_path / "bin",
    )
    for directory in (box.home, box.docker_dir, box.bin_dir):
        directory.mkdir()
    monkeypatch.setenv("HOME", str(box.home))
    monkeypatch.setenv("ACRBROWSE_CONFIG_DIR", str(box.config_dir))
    monkeypatch.setenv("ACRBROWSE_CACHE_DIR", str(box.cache_dir))
    monkeypatch.setenv("DOCKER_CONFIG", str(box.docker_dir))
    monkeypatch.setenv("PATH", f"{box.bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    for name in ("ACRBROWSE_USERNAME", "ACRBROWSE_PASSWORD", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return box


@pytest.fixture
def fail_keyring(monkeypatch: pytest.MonkeyPatch):
    """keyring's `fail` backend as the process-wide keyring (what keyring picks when none works)."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield keyring.get_keyring()
    keyring.set_keyring(previous)
