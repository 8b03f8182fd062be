"""Run ``docker-registry`` (CNCF distribution 2.8) processes on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REGISTRY_BIN = os.environ.get("ACRBROWSE_TESTBED_REGISTRY", shutil.which("docker-registry") or "/usr/bin/docker-registry")


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM me when the process that started me dies
    (Linux), so a SIGKILLed pytest leaves no registries behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


class TestbedError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class Endpoint:
    """How tests reach one registry: ``host`` ("127.0.0.1:PORT"), ``url`` ("http://…"), and
    ``service`` (the token service name; the same as host)."""

    name: str
    host: str
    auth: str  # "anon" | "basic" | "token"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def service(self) -> str:
        return self.host


class RegistryProcess:
    def __init__(self, name: str, *, rootdir: Path, workdir: Path, port: int | None = None,
                 auth: dict[str, Any] | None = None, secret: str = "acrbrowse-testbed-secret",
                 loglevel: str = "info") -> None:
        self.name = name
        self.rootdir = rootdir
        self.workdir = workdir
        self.port = port or free_port()
        self.auth = auth
        self.secret = secret
        self.loglevel = loglevel
        self.proc: subprocess.Popen[bytes] | None = None
        self.config_path = workdir / f"{name}.yml"
        self.log_path = workdir / f"{name}.log"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": self.loglevel, "formatter": "text", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.rootdir)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
                "redirect": {"disable": True},
            },
            "http": {
                "addr": self.host,
                "secret": self.secret,
                "headers": {"X-Content-Type-Options": ["nosniff"]},
            },
            "health": {"storagedriver": {"enabled": False}},
            # allow foreign layers (windows base layers) with http(s) URLs
            "validation": {"manifests": {"urls": {"allow": ["^https?://"]}}},
        }
        if self.auth:
            cfg["auth"] = self.auth
        return cfg

    def start(self) -> RegistryProcess:
        # JSON is valid YAML, and distribution reads YAML.
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the process's life, closed in stop()
        self.proc = subprocess.Popen(
            [REGISTRY_BIN, "serve", str(self.config_path)],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, preexec_fn=_die_with_parent,
        )
        return self

    def log_tail(self, n: int = 30) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        last_err: Exception | None = None
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise TestbedError(
                        f"registry {self.name!r} exited with {self.proc.returncode} during startup; "
                        f"log {self.log_path}:\n{self.log_tail()}")
                try:
                    r = client.get(f"{self.url}/v2/")
                    if r.status_code in (200, 401):
                        return
                except httpx.HTTPError as e:
                    last_err = e
                time.sleep(0.05)
        raise TestbedError(
            f"registry {self.name!r} did not answer /v2/ on {self.host} within {timeout}s "
            f"(last error: {last_err!r}); log {self.log_path}:\n{self.log_tail()}")

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        self.proc = None
        with contextlib.suppress(Exception):
            self._log.close()
