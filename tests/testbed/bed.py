"""The test bed: three distribution registries (anon / basic / token) over one storage dir,
an ACR-like token server, and deterministic content pushed through the registry API."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import bcrypt
import httpx

from .content import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    Blob,
    Content,
    Manifest,
    build_content,
    image_config,
    make_image,
)
from .fill import fill
from .registry import Endpoint, RegistryProcess, TestbedError, port_is_free
from .tokenserver import TokenServer

# Fixed, random-looking passwords (the bed is loopback-only).
USERS: dict[str, str] = {
    "admin": "Adm1n-q7VfX2kLp9Rz4TmW8cNe",
    "readonlypull": "r0Pull-Hj3sD8wQ5yBn1GxK6uZa",
}

MARKER = "acrbrowse-testbed.json"


OWNER = "owner.pid"


def _remove_stale_workdirs(base: Path) -> None:
    """Remove work dirs left by beds whose process was SIGKILLed (they may sit in RAM)."""
    for d in base.glob("acrbrowse-testbed-*"):
        try:
            pid = int((d / OWNER).read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def _tmp_base() -> str | None:
    """Where work/storage dirs go: $ACRBROWSE_TESTBED_TMP, else /dev/shm when usable (the
    registry's many small file writes cost ~5x less CPU on tmpfs here), else the default."""
    env = os.environ.get("ACRBROWSE_TESTBED_TMP")
    if env:
        return env
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        try:
            st = os.statvfs(shm)
            if st.f_bavail * st.f_frsize > 256 * 1024 * 1024:
                return shm
        except OSError:
            pass
    return None
ISSUER = "acrbrowse-testbed-issuer"


class Testbed:
    """Start with :meth:`start` (or use as a context manager); stop with :meth:`stop`.

    Attributes after start: ``anon``, ``basic``, ``token`` (:class:`Endpoint` with
    ``.host``, ``.url``, ``.service``), ``token_server`` (:class:`TokenServer`),
    ``users`` (name → password), ``content`` (:class:`Content`), ``data_dir``,
    ``workdir``, ``timings`` (seconds: ``start``, ``fill``, ``total``) and ``filled``
    (False when an already-filled ``data_dir`` was reused).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, *, data_dir: str | Path | None = None, port_anon: int | None = None,
                 port_basic: int | None = None, port_token: int | None = None,
                 port_token_server: int = 0, loglevel: str = "info", concurrency: int = 6) -> None:
        self.users = dict(USERS)
        self.content: Content = build_content()
        self._data_arg = Path(data_dir).resolve() if data_dir else None
        self._ports = {"anon": port_anon, "basic": port_basic, "token": port_token}
        self._port_token_server = port_token_server
        self.loglevel = loglevel
        self.concurrency = concurrency
        self.workdir: Path | None = None
        self.data_dir: Path | None = None
        self.registries: dict[str, RegistryProcess] = {}
        self.token_server: TokenServer | None = None
        self.anon: Endpoint | None = None
        self.basic: Endpoint | None = None
        self.token: Endpoint | None = None
        self.timings: dict[str, float] = {}
        self.filled = False

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> Testbed:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> Testbed:
        t0 = time.monotonic()
        for name, port in self._ports.items():
            if port and not port_is_free(port):
                raise TestbedError(f"port {port} for the {name} registry is already in use")
        base = _tmp_base()
        _remove_stale_workdirs(Path(base or tempfile.gettempdir()))
        self.workdir = Path(tempfile.mkdtemp(prefix="acrbrowse-testbed-", dir=base))
        (self.workdir / OWNER).write_text(str(os.getpid()))
        try:
            self._start(t0)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, t0: float) -> None:
        assert self.workdir
        self.data_dir = self._data_arg or (self.workdir / "data")
        self.data_dir.mkdir(parents=True, exist_ok=True)

        htpasswd = self.workdir / "htpasswd"
        htpasswd.write_text("".join(
            f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()}\n" for u, p in self.users.items()))

        self.token_server = TokenServer(self.users, issuer=ISSUER, port=self._port_token_server).start()
        cert = self.token_server.write_cert(self.workdir / "token-signer.pem")

        common = dict(rootdir=self.data_dir, workdir=self.workdir, loglevel=self.loglevel)
        anon = RegistryProcess("anon", port=self._ports["anon"], **common)
        basic = RegistryProcess("basic", port=self._ports["basic"], auth={
            "htpasswd": {"realm": "acrbrowse-testbed", "path": str(htpasswd)}}, **common)
        token = RegistryProcess("token", port=self._ports["token"], **common)
        token.auth = {"token": {"realm": self.token_server.realm, "service": token.host, "issuer": ISSUER,
                                "rootcertbundle": str(cert)}}
        self.registries = {"anon": anon, "basic": basic, "token": token}
        for r in self.registries.values():
            r.start()
        for r in self.registries.values():
            r.wait_ready()
        self.anon = Endpoint("anon", anon.host, "anon")
        self.basic = Endpoint("basic", basic.host, "basic")
        self.token = Endpoint("token", token.host, "token")
        t1 = time.monotonic()
        self.timings["start"] = t1 - t0

        marker = self.data_dir / MARKER
        fingerprint = self.content.fingerprint
        try:
            already = json.loads(marker.read_text()).get("fingerprint") == fingerprint
        except (OSError, ValueError):
            already = False
        if not already:
            fill(anon.url, self.content, concurrency=self.concurrency)
            marker.write_text(json.dumps({"fingerprint": fingerprint}))
            self.filled = True
        t2 = time.monotonic()
        self.timings["fill"] = t2 - t1
        self.timings["total"] = t2 - t0

    def stop(self) -> None:
        for r in self.registries.values():
            r.stop()
        self.registries = {}
        if self.token_server:
            self.token_server.stop()
        if self.workdir and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)  # includes data/ unless --data was given

    # -- helpers -----------------------------------------------------------
    def endpoint(self, name: str) -> Endpoint:
        ep = getattr(self, name, None)
        if not isinstance(ep, Endpoint):
            raise KeyError(name)
        return ep

    def push_scratch_image(self, repo: str, tag: str = "latest", *, seed: int = 0) -> Manifest:
        """Push a tiny single-layer Docker image to ``repo:tag`` (through the anonymous
        registry; visible in all three) — for tests that delete or mutate things. Use your
        own repo names (e.g. ``scratch/<test>``), never the shared content."""
        layer = Blob.of(DOCKER_LAYER, f"scratch {repo} {tag} {seed}".encode() * 40)
        cfg = image_config(os="linux", arch="amd64", variant=None, created="2024-06-01T00:00:00Z",
                           layers=[layer], history=[("ADD scratch /", False)], env=[], entrypoint=None,
                           cmd=["/scratch"], labels={"scratch": repo}, workdir="/")
        m = make_image(DOCKER_MANIFEST, DOCKER_CONFIG, cfg, [layer], indent=3)
        assert self.anon
        with httpx.Client(base_url=self.anon.url, timeout=30) as c:
            for b in m.blobs():
                r = c.post(f"/v2/{repo}/blobs/uploads/")
                r.raise_for_status()
                loc = r.headers["Location"]
                # (not params=: httpx would drop the _state query the registry put in Location)
                sep = "&" if "?" in loc else "?"
                r = c.put(f"{loc}{sep}digest={b.digest}", content=b.data,
                          headers={"Content-Type": "application/octet-stream"})
                r.raise_for_status()
            r = c.put(f"/v2/{repo}/manifests/{tag}", content=m.raw, headers={"Content-Type": m.media_type})
            r.raise_for_status()
        return m

    def info(self) -> dict[str, Any]:
        assert self.anon and self.basic and self.token and self.token_server
        return {
            "anon": {"host": self.anon.host, "url": self.anon.url},
            "basic": {"host": self.basic.host, "url": self.basic.url},
            "token": {"host": self.token.host, "url": self.token.url, "service": self.token.service},
            "token_server": {"url": self.token_server.url, "realm": self.token_server.realm},
            "users": self.users,
            "data": str(self.data_dir),
            "workdir": str(self.workdir),
            "filled": self.filled,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }
