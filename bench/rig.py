"""The benchmark rig: the test bed, plus an ACR-like registry whose every round trip is delayed.

The test bed's own token registry names its token server directly as the realm, so a proxy in
front of the registry alone would leave the token round trip at loopback speed. ACR serves its
realm on the registry's own host, behind the same network, so the rig starts one more
distribution process over the bed's storage whose realm is a second delaying proxy in front of
the bed's token server. Both proxies stamp each request's arrival time, which is what
:func:`rounds` uses to count the sequential round trips a client really made.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tests.testbed.bed import ISSUER, Testbed
from tests.testbed.content import DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, Blob, image_config, make_image
from tests.testbed.faultproxy import FaultProxy, LogEntry
from tests.testbed.fill import Pusher
from tests.testbed.registry import RegistryProcess, free_port

BIG_REPO = "bench/tags20k"
BIG_MARKER = "acrbrowse-bench-tags20k.json"
USER = "admin"


def big_repo_tags(count: int) -> list[str]:
    """Half release-like (1.2.3), half CI-like (build-00042): what a busy repository holds."""
    releases = count // 2
    tags = [f"{i // 400}.{i // 20 % 20}.{i % 20}" for i in range(releases)]
    tags += [f"build-{i:05d}" for i in range(count - releases)]
    return tags


class TimedProxy(FaultProxy):
    """A FaultProxy whose log entries carry the monotonic time the request arrived."""

    def start(self) -> "TimedProxy":
        super().start()
        assert self._httpd
        # A client that exits with a response in flight is normal here; keep its traceback quiet.
        self._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        return self

    def _record(self, entry: LogEntry) -> None:
        entry.arrived = time.monotonic()  # type: ignore[attr-defined]
        super()._record(entry)


@dataclass
class Traffic:
    """What one client run sent: registry requests and token requests, with arrival times."""

    registry: list[LogEntry]
    token: list[LogEntry]

    @property
    def total(self) -> int:
        return len(self.registry) + len(self.token)

    def count(self, kind: str) -> int:
        return sum(1 for e in self.registry if classify(e) == kind)

    @property
    def challenges(self) -> int:
        """Requests the registry answered 401 (each cost a round trip before the token)."""
        return sum(1 for e in self.registry if e.status == 401)

    def summary(self) -> str:
        """e.g. "1 tok + 1 ping + 2 index + 4 man + 4 cfg (1×401)"."""
        parts = [f"{len(self.token)} tok"] if self.token else []
        for kind, label in (("ping", "ping"), ("manifest-tag", "by-tag"), ("manifest-digest", "man"),
                            ("blob", "cfg"), ("tags", "tags"), ("catalog", "cat"), ("other", "other")):
            n = self.count(kind)
            if n:
                parts.append(f"{n} {label}")
        text = " + ".join(parts) or "none"
        if self.challenges:
            text += f" ({self.challenges}×401)"
        return text


def classify(entry: LogEntry) -> str:
    path = entry.path.split("?", 1)[0]
    if path.rstrip("/") == "/v2":
        return "ping"
    if "/manifests/" in path:
        return "manifest-digest" if "/manifests/sha256:" in path else "manifest-tag"
    if "/blobs/" in path:
        return "blob"
    if path.endswith("/tags/list"):
        return "tags"
    if path.endswith("/_catalog"):
        return "catalog"
    return "other"


def rounds(traffic: Traffic, rtt: float) -> int | None:
    """Sequential round trips seen: requests arriving within half an RTT of a wave's first request
    belong to that wave (they were sent in parallel); None when there is no latency to tell."""
    if rtt <= 0:
        return None
    times = sorted(getattr(e, "arrived", 0.0) for e in traffic.registry + traffic.token)
    waves = 0
    start = None
    for t in times:
        if start is None or t - start > rtt / 2:
            waves += 1
            start = t
    return waves


class Rig:
    """Start with :meth:`start`, stop with :meth:`stop` (also on error)."""

    def __init__(self, *, rtt: float, data_dir: str | None, big_tags: int, workdir: Path) -> None:
        self.rtt = rtt
        self.big_tags = big_tags
        self.workdir = workdir
        self.bed = Testbed(data_dir=data_dir, loglevel="warn")
        self.registry: RegistryProcess | None = None
        self.registry_proxy: TimedProxy | None = None
        self.token_proxy: TimedProxy | None = None
        self.timings: dict[str, float] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "Rig":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        t0 = time.monotonic()
        self.bed.start()
        self.timings["bed"] = time.monotonic() - t0
        t1 = time.monotonic()
        self._ensure_big_repo()
        self.timings["tags20k"] = time.monotonic() - t1

        assert self.bed.token_server and self.bed.workdir and self.bed.data_dir
        latency = self.rtt / 2
        self.token_proxy = TimedProxy(self.bed.token_server.host, latency=latency).start()
        port = free_port()
        self.registry_proxy = TimedProxy(f"127.0.0.1:{port}", latency=latency).start()
        # ACR-like: the realm and the service are the registry's own host (here, the proxy's).
        self.registry = RegistryProcess(
            "bench-token", port=port, rootdir=self.bed.data_dir, workdir=self.bed.workdir, loglevel="warn",
            auth={"token": {"realm": f"{self.token_proxy.url}/oauth2/token", "service": self.registry_proxy.host,
                            "issuer": ISSUER, "rootcertbundle": str(self.bed.workdir / "token-signer.pem")}})
        self.registry.start()
        self.registry.wait_ready()

    def stop(self) -> None:
        for part in (self.registry, self.registry_proxy, self.token_proxy):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    pass
        self.bed.stop()

    # -- the 20,000-tag repository -----------------------------------------------------------

    def _ensure_big_repo(self) -> None:
        """Push one small image under `big_tags` tags through the registry API (skipped when a
        kept data dir already has them)."""
        assert self.bed.data_dir and self.bed.anon
        marker = self.bed.data_dir / BIG_MARKER
        tags = big_repo_tags(self.big_tags)
        try:
            if json.loads(marker.read_text()).get("tags") == len(tags):
                return
        except (OSError, ValueError):
            pass
        asyncio.run(_push_tags(self.bed.anon.url, BIG_REPO, tags))
        marker.write_text(json.dumps({"tags": len(tags)}))

    # -- what clients need -------------------------------------------------------------------

    @property
    def host(self) -> str:
        assert self.registry_proxy
        return self.registry_proxy.host

    @property
    def password(self) -> str:
        return self.bed.users[USER]

    @property
    def content(self):
        return self.bed.content

    def clear(self) -> None:
        assert self.registry_proxy and self.token_proxy
        self.registry_proxy.clear_log()
        self.token_proxy.clear_log()

    def traffic(self) -> Traffic:
        assert self.registry_proxy and self.token_proxy
        return Traffic(list(self.registry_proxy.log), list(self.token_proxy.log))

    def set_latency(self, seconds: float) -> None:
        assert self.registry_proxy and self.token_proxy
        self.registry_proxy.latency = self.token_proxy.latency = seconds

    def paginate_tags(self, default_n: int | None):
        """ACR-like paging of tags/list (the registry itself ignores `n`); None turns it off."""
        assert self.registry_proxy
        self.registry_proxy.clear_rules()
        if default_n is not None:
            self.registry_proxy.paginate_tags(default_n=default_n)


async def _push_tags(base_url: str, repository: str, tags: list[str], concurrency: int = 8) -> None:
    layer = Blob.of(DOCKER_LAYER, b"acrbrowse benchmark layer\n" * 16)
    config = image_config(os="linux", arch="amd64", variant=None, created="2024-06-01T00:00:00Z",
                          layers=[layer], history=[("ADD bench /", False)], env=[], entrypoint=None,
                          cmd=["/bench"], labels={}, workdir="/")
    image = make_image(DOCKER_MANIFEST, DOCKER_CONFIG, config, [layer], indent=3)
    pusher = Pusher(base_url, concurrency=concurrency)
    try:
        for blob in image.blobs():
            await pusher.upload_blob(repository, blob)
        await pusher.put_manifest(repository, image.digest, image)
        # Bounded: the pusher's semaphore; in slices, so memory stays flat too.
        for i in range(0, len(tags), 1000):
            await asyncio.gather(*(pusher.put_manifest(repository, tag, image) for tag in tags[i:i + 1000]))
    finally:
        await pusher.aclose()


def reset_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment for acrbrowse and skopeo child processes that touches no real user state."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ACRBROWSE_", "DOCKER_", "REGISTRY_", "DBUS_", "XDG_", "REGISTRY_AUTH"))}
    env.update({"HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run"), "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_CACHE_HOME": str(home / "cache"), "DOCKER_CONFIG": str(home / "docker"),
                "ACRBROWSE_CONFIG_DIR": str(home / "acrbrowse-config")})
    (home / "run").mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env
