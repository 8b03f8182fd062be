"""The benchmark rig: the test bed, plus an ACR-like registry whose every round trip is delayed.

The test bed's own token registry names its token server directly as the realm, so a proxy in
front of the registry alone would leave the token round trip at loopback speed. ACR serves its
realm on the registry's own host, behind the same network, so the rig starts one more
distribution process over the bed's storage whose realm is a second delaying proxy in front of
the bed's token server. Both proxies stamp each request's arrival time, which is what
:func:`rounds` uses to count the sequential round trips a client really made. Case 6 gets one
more registry and proxy of its own, over a storage holding only its 5,000 repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
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
SCALE_PREFIX = "scale/repo-"
SCALE_STORAGE = "scale-repos"  # under the data dir, beside the bed's docker/: a registry of its own
SCALE_MARKER = "acrbrowse-bench-repos.json"
SCALE_PUSH_DEADLINE = 300.0  # seconds; the 5,000-repository push takes ~30-60 s
USER = "admin"


def scale_repos(count: int) -> list[str]:
    """scale/repo-0000 … scale/repo-4999: the many-repositories registry of case 6."""
    width = max(4, len(str(count - 1)))
    return [f"{SCALE_PREFIX}{i:0{width}d}" for i in range(count)]


def big_repo_tags(count: int) -> list[str]:
    """Half release-like (1.2.3), half CI-like (build-00042): what a busy repository holds."""
    releases = count // 2
    tags = [f"{i // 400}.{i // 20 % 20}.{i % 20}" for i in range(releases)]
    tags += [f"build-{i:05d}" for i in range(count - releases)]
    return tags


class TimedProxy(FaultProxy):
    """A FaultProxy whose log entries carry the monotonic time the request arrived."""

    def start(self) -> TimedProxy:
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

    def __init__(self, *, rtt: float, data_dir: str | None, big_tags: int, workdir: Path,
                 scale_repos: int = 0) -> None:
        self.rtt = rtt
        self.big_tags = big_tags
        self.scale_repos = scale_repos  # 0: case 6 not run, nothing pushed or started
        self.catalog_size = 0  # repositories the case-6 registry's catalog holds
        self.catalog_pages: list[float] = []  # the registry's own time per catalog page (loopback, n=1000)
        self.workdir = workdir
        self.bed = Testbed(data_dir=data_dir, loglevel="warn")
        self.registry: RegistryProcess | None = None
        self.registry_proxy: TimedProxy | None = None
        self.token_proxy: TimedProxy | None = None
        self.scale_registry: RegistryProcess | None = None  # case 6: the 5,000 repositories
        self.scale_proxy: TimedProxy | None = None
        self.timings: dict[str, float] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Rig:
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
        t2 = time.monotonic()
        if self.scale_repos:
            self._ensure_scale_repos()
        self.timings["repos"] = time.monotonic() - t2

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
        if self.scale_repos:
            # The same, over the case-6 storage: cases 1-5 keep their small catalog.
            port = free_port()
            self.scale_proxy = TimedProxy(f"127.0.0.1:{port}", latency=latency).start()
            self.scale_registry = RegistryProcess(
                "bench-scale", port=port, rootdir=self.bed.data_dir / SCALE_STORAGE, workdir=self.bed.workdir,
                loglevel="warn",
                auth={"token": {"realm": f"{self.token_proxy.url}/oauth2/token", "service": self.scale_proxy.host,
                                "issuer": ISSUER, "rootcertbundle": str(self.bed.workdir / "token-signer.pem")}})
            self.scale_registry.start()
            self.scale_registry.wait_ready()

    def stop(self) -> None:
        for part in (self.scale_registry, self.scale_proxy, self.registry, self.registry_proxy, self.token_proxy):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
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

    # -- the 5,000 repositories ---------------------------------------------------------------

    def _ensure_scale_repos(self) -> None:
        """Push `scale_repos` one-tag repositories into a storage of their own (skipped when a kept
        data dir has them): the first gets the blobs uploaded, every other one mounts them from it
        (cross-repository mount), so each costs 3 requests: two mounts and the manifest. Then count
        the catalog, timing the registry's own work per page (no proxy, no auth)."""
        assert self.bed.data_dir and self.bed.workdir
        storage = self.bed.data_dir / SCALE_STORAGE
        storage.mkdir(exist_ok=True)
        marker = storage / SCALE_MARKER
        names = scale_repos(self.scale_repos)
        anon = RegistryProcess("scale-anon", rootdir=storage, workdir=self.bed.workdir, loglevel="warn")
        try:
            anon.start()
            anon.wait_ready()
            try:
                done = json.loads(marker.read_text()).get("repos") == len(names)
            except (OSError, ValueError):
                done = False
            if not done:
                t0 = time.monotonic()
                requests = asyncio.run(_push_repos(anon.url, names))
                self.timings["repos_push"] = time.monotonic() - t0
                self.timings["repos_push_requests"] = requests
                marker.write_text(json.dumps({"repos": len(names), "requests": requests,
                                              "push_seconds": round(self.timings["repos_push"], 1)}))
            self.catalog_size, self.catalog_pages = asyncio.run(_catalog_size(anon.url))
        finally:
            anon.stop()
        if self.catalog_size != len(names):
            raise RuntimeError(f"the case-6 registry lists {self.catalog_size:,} repositories, want {len(names):,}; "
                               f"remove {storage} and run again")

    # -- what clients need -------------------------------------------------------------------

    @property
    def host(self) -> str:
        assert self.registry_proxy
        return self.registry_proxy.host

    @property
    def scale_host(self) -> str:
        assert self.scale_proxy
        return self.scale_proxy.host

    @property
    def password(self) -> str:
        return self.bed.users[USER]

    @property
    def content(self):
        return self.bed.content

    def _registry_proxies(self) -> list[TimedProxy]:
        assert self.registry_proxy
        return [self.registry_proxy] + ([self.scale_proxy] if self.scale_proxy else [])

    def clear(self) -> None:
        assert self.token_proxy
        for proxy in self._registry_proxies():
            proxy.clear_log()
        self.token_proxy.clear_log()

    def traffic(self) -> Traffic:
        """What the registries (the bed's and case 6's: one client runs at a time) and the token
        service saw since :meth:`clear`."""
        assert self.token_proxy
        registry = [e for proxy in self._registry_proxies() for e in list(proxy.log)]
        registry.sort(key=lambda e: getattr(e, "arrived", 0.0))
        return Traffic(registry, list(self.token_proxy.log))

    def set_latency(self, seconds: float) -> None:
        assert self.token_proxy
        for proxy in [*self._registry_proxies(), self.token_proxy]:
            proxy.latency = seconds

    def paginate_tags(self, default_n: int | None):
        """ACR-like paging of tags/list (the registry itself ignores `n`); None turns it off."""
        assert self.registry_proxy
        self.registry_proxy.clear_rules()
        if default_n is not None:
            self.registry_proxy.paginate_tags(default_n=default_n)


def _bench_image():
    """The one small image both big pushes use."""
    layer = Blob.of(DOCKER_LAYER, b"acrbrowse benchmark layer\n" * 16)
    config = image_config(os="linux", arch="amd64", variant=None, created="2024-06-01T00:00:00Z",
                          layers=[layer], history=[("ADD bench /", False)], env=[], entrypoint=None,
                          cmd=["/bench"], labels={}, workdir="/")
    return make_image(DOCKER_MANIFEST, DOCKER_CONFIG, config, [layer], indent=3)


async def _push_tags(base_url: str, repository: str, tags: list[str], concurrency: int = 8) -> None:
    image = _bench_image()
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


async def _push_repos(base_url: str, names: list[str], concurrency: int = 8,
                      deadline: float = SCALE_PUSH_DEADLINE) -> int:
    """One tag (`latest`) in each of `names`; blobs uploaded to the first, mounted into the rest.
    Bounded: `concurrency` requests at a time, in slices of 500 repositories, within `deadline`."""
    image = _bench_image()
    pusher = Pusher(base_url, concurrency=concurrency)
    source = names[0]

    async def one(name: str) -> None:
        await asyncio.gather(*(pusher.mount_blob(name, blob, source) for blob in image.blobs()))
        await pusher.put_manifest(name, "latest", image)

    async def push() -> None:
        for blob in image.blobs():
            await pusher.upload_blob(source, blob)
        await pusher.put_manifest(source, "latest", image)
        for i in range(1, len(names), 500):
            await asyncio.gather(*(one(name) for name in names[i:i + 500]))

    try:
        await asyncio.wait_for(push(), deadline)
    except TimeoutError:
        raise RuntimeError(f"pushing {len(names):,} repositories took over {deadline:g} s "
                           f"({pusher.requests:,} requests sent); the storage may be slow") from None
    finally:
        await pusher.aclose()
    return pusher.requests


CATALOG_MAX_N = 1000  # distribution 2.8 answers a larger `n` with 400 PAGINATION_NUMBER_INVALID


async def _catalog_size(base_url: str) -> tuple[int, list[float]]:
    """How many repositories the catalog holds, and the registry's own seconds per page (loopback,
    no auth, no delay; the best of three walks, so the page cache is warm)."""
    import httpx

    best: list[float] = []
    count = 0
    async with httpx.AsyncClient(timeout=60.0) as client:
        for _ in range(3):
            count, pages = 0, []
            url = httpx.URL(f"{base_url}/v2/_catalog", params={"n": CATALOG_MAX_N})
            while True:
                t0 = time.monotonic()
                response = await client.get(url)
                pages.append(time.monotonic() - t0)
                response.raise_for_status()
                count += len(response.json().get("repositories") or [])
                link = response.links.get("next", {}).get("url")
                if not link:
                    break
                url = response.url.join(link)
            if not best or sum(pages) < sum(best):
                best = pages
    return count, best


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
