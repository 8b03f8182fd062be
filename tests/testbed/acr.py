"""An ACR-compatible ``/acr/v1`` metadata layer in front of a bed registry (a FaultProxy: every
other request is forwarded, and the proxy's fault rules and latency still apply).

It answers from the registry's own storage, read-only:

* ``GET /acr/v1/{repo}/_tags?n=&last=&orderby=timedesc|timeasc`` → ``{"registry", "imageName",
  "tags": [{"name", "digest", "createdTime", "lastUpdateTime", "signed", "changeableAttributes"}]}``
* ``GET /acr/v1/{repo}/_manifests?n=&last=&orderby=`` → ``{"registry", "imageName", "manifests":
  [{"digest", "imageSize", "createdTime", "lastUpdateTime", "mediaType", "architecture", "os",
  "tags", "references", "changeableAttributes"}]}``
* ``GET /acr/v1/{repo}`` → counts and times.

Paged as ACR pages: ``Link: </acr/v1/...?last=X&n=N&orderby=...>; rel="next"``. Times are the
mtimes of distribution's link files, i.e. when the fill (or a test) pushed the tag or manifest,
written as ACR writes them (7 fractional digits, ``Z``). Access needs a token from the bed's token
server granting ``repository:REPO:metadata_read`` (admin has it; readonlypull does not), as a
scope-map token with content/read only would lack it; otherwise 401 with ACR's challenge.

``overrides`` lets a test set a tag's or manifest's fields (``signed``, ``changeableAttributes``,
a hostile value); ``requests`` counts what the layer answered.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .bed import ISSUER
from .faultproxy import MODIFIERS, FaultProxy, LogEntry, _ProxyHandler, _Server
from .registry import Endpoint, RegistryProcess
from .tokenserver import TokenServer, b64url_decode

ACR_PREFIX = "/acr/v1/"
DEFAULT_PAGE = 100  # ACR's default page size
MAX_PAGE = 1000
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
ENABLED = {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True}


def acr_time(ns: int) -> str:
    """ACR's form: 2024-06-01T12:00:00.1234567Z."""
    seconds, rest = divmod(ns, 1_000_000_000)
    when = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest // 100:07d}Z"


class Storage:
    """distribution's filesystem layout, read directly (the registry writes it; we only look)."""

    def __init__(self, rootdir: Path) -> None:
        self.v2 = Path(rootdir) / "docker" / "registry" / "v2"

    def repo_dir(self, repo: str) -> Path:
        return self.v2 / "repositories" / repo / "_manifests"

    def exists(self, repo: str) -> bool:
        return ".." not in repo.split("/") and self.repo_dir(repo).is_dir()

    def tags(self, repo: str) -> list[dict[str, Any]]:
        out = []
        tags_dir = self.repo_dir(repo) / "tags"
        for entry in sorted(tags_dir.iterdir()) if tags_dir.is_dir() else []:
            current = entry / "current" / "link"
            try:
                digest = current.read_text().strip()
                updated = current.stat().st_mtime_ns
            except OSError:
                continue
            index = entry / "index" / "sha256"
            firsts = [p.stat().st_mtime_ns for p in index.glob("*/link")] if index.is_dir() else []
            out.append({"name": entry.name, "digest": digest, "created_ns": min(firsts + [updated]),
                        "updated_ns": updated})
        return out

    def manifests(self, repo: str) -> list[dict[str, Any]]:
        out = []
        revisions = self.repo_dir(repo) / "revisions" / "sha256"
        for link in revisions.glob("*/link") if revisions.is_dir() else []:
            try:
                ns = link.stat().st_mtime_ns
            except OSError:
                continue
            out.append({"digest": "sha256:" + link.parent.name, "updated_ns": ns})
        return out

    def blob(self, digest: str) -> bytes | None:
        hexpart = digest.removeprefix("sha256:")
        try:
            return (self.v2 / "blobs" / "sha256" / hexpart[:2] / hexpart / "data").read_bytes()
        except OSError:
            return None


class AcrLayer(FaultProxy):
    """Start with ``start()``; ``host``/``url`` are the ACR-like registry's address."""

    def __init__(self, upstream: Any, *, rootdir: Path, token_server: TokenServer, service: str,
                 latency: float = 0.0, frozen: bool = False) -> None:
        """`frozen`: the storage will not change (a benchmark): answers are computed once and kept,
        so what is timed is the client and the round trips, not this layer's reading of the disk."""
        super().__init__(upstream, latency=latency)
        self.frozen = frozen
        self.answers: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}
        self.storage = Storage(rootdir)
        self.token_server = token_server
        self.service = service
        self.overrides: dict[tuple[str, str], dict[str, Any]] = {}  # (repo, tag or digest) → fields
        self.max_page = MAX_PAGE
        self.acr_requests = 0
        # A listing's first page reads the storage; its next pages (with `last`) page through that
        # snapshot, as a server's cursor would (and a 2,000-tag listing is not read three times).
        self._snapshots: dict[tuple[str, str, str], list[dict[str, Any]]] = {}

    def listing(self, repo: str, kind: str, orderby: str, continued: bool) -> list[dict[str, Any]]:
        key = (repo, kind, orderby)
        with self._lock:
            items = self._snapshots.get(key) if continued else None
        if items is None:
            items = self.tag_items(repo, orderby) if kind == "tags" else self.manifest_items(repo, orderby)
            with self._lock:
                self._snapshots[key] = items
        return items

    def start(self) -> AcrLayer:
        layer = self

        class Handler(_AcrHandler):
            fault_proxy = layer

        self._httpd = _Server(self._bind, Handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="acr-layer", daemon=True).start()
        self.blob_server.start()
        return self

    # -- tokens --------------------------------------------------------------
    def allowed(self, authorization: str | None, repo: str) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        try:
            h, c, s = authorization[7:].split(".")
            header, claims = json.loads(b64url_decode(h)), json.loads(b64url_decode(c))
            raw = b64url_decode(s)
            signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            self.token_server._key.public_key().verify(signature, f"{h}.{c}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature):
            return False
        if header.get("kid") != self.token_server.kid or claims.get("aud") != self.service:
            return False
        if claims.get("exp", 0) < time.time():
            return False
        return any(a.get("type") == "repository" and a.get("name") == repo and "metadata_read" in a.get("actions", [])
                   for a in claims.get("access", []))

    def challenge(self, repo: str) -> str:
        return (f'Bearer realm="{self.token_server.realm}",service="{self.service}",'
                f'scope="repository:{repo}:metadata_read"')

    # -- documents -----------------------------------------------------------
    def _override(self, repo: str, key: str, item: dict[str, Any]) -> dict[str, Any]:
        extra = self.overrides.get((repo, key))
        return {**item, **extra} if extra else item

    def tag_items(self, repo: str, orderby: str) -> list[dict[str, Any]]:
        rows = self.storage.tags(repo)
        rows = _ordered(rows, orderby, "name")
        return [self._override(repo, r["name"], {
            "name": r["name"], "digest": r["digest"], "createdTime": acr_time(r["created_ns"]),
            "lastUpdateTime": acr_time(r["updated_ns"]), "signed": False,
            "changeableAttributes": dict(ENABLED)}) for r in rows]

    def manifest_items(self, repo: str, orderby: str) -> list[dict[str, Any]]:
        tags_of: dict[str, list[str]] = {}
        for t in self.storage.tags(repo):
            tags_of.setdefault(t["digest"], []).append(t["name"])
        rows = _ordered(self.storage.manifests(repo), orderby, "digest")
        items = []
        for r in rows:
            item: dict[str, Any] = {"digest": r["digest"], "createdTime": acr_time(r["updated_ns"]),
                                    "lastUpdateTime": acr_time(r["updated_ns"]),
                                    "changeableAttributes": {**ENABLED, "quarantineState": "Passed"}}
            item.update(self._describe(r["digest"]))
            if r["digest"] in tags_of:
                item["tags"] = sorted(tags_of[r["digest"]])
            items.append(self._override(repo, r["digest"], item))
        return items

    def _describe(self, digest: str) -> dict[str, Any]:
        raw = self.storage.blob(digest)
        try:
            doc = json.loads(raw) if raw is not None else {}
        except ValueError:
            doc = {}
        media_type = doc.get("mediaType", "")
        if media_type in INDEX_TYPES or "manifests" in doc:
            refs = [{"digest": m.get("digest"), "architecture": (m.get("platform") or {}).get("architecture"),
                     "os": (m.get("platform") or {}).get("os")} for m in doc.get("manifests", [])]
            return {"mediaType": media_type, "imageSize": len(raw or b""), "references": refs}
        config = doc.get("config") or {}
        size = int(config.get("size", 0)) + sum(int(layer.get("size", 0)) for layer in doc.get("layers") or [])
        out: dict[str, Any] = {"mediaType": media_type, "imageSize": size}
        config_raw = self.storage.blob(config.get("digest", "")) if config.get("digest") else None
        try:
            config_doc = json.loads(config_raw) if config_raw else {}
        except ValueError:
            config_doc = {}
        if isinstance(config_doc, dict) and config_doc.get("architecture"):
            out["architecture"], out["os"] = config_doc.get("architecture"), config_doc.get("os")
        return out

    def repository(self, repo: str) -> dict[str, Any]:
        tags = self.storage.tags(repo)
        manifests = self.storage.manifests(repo)
        times = [t["updated_ns"] for t in tags] + [m["updated_ns"] for m in manifests] or [0]
        return {"registry": self.host, "imageName": repo, "createdTime": acr_time(min(times)),
                "lastUpdateTime": acr_time(max(times)), "manifestCount": len(manifests), "tagCount": len(tags),
                "changeableAttributes": {**ENABLED, "teleportEnabled": False}}


def _ordered(rows: list[dict[str, Any]], orderby: str, key: str) -> list[dict[str, Any]]:
    if orderby == "timedesc":
        return sorted(rows, key=lambda r: (-r["updated_ns"], r[key]))
    if orderby == "timeasc":
        return sorted(rows, key=lambda r: (r["updated_ns"], r[key]))
    return sorted(rows, key=lambda r: r[key])


def _page(items: list[dict[str, Any]], key: str, last: str | None, n: int) -> tuple[list[dict[str, Any]], bool]:
    start = 0
    if last is not None:
        for i, item in enumerate(items):
            if item[key] == last:
                start = i + 1
                break
        else:
            start = len(items)
    chunk = items[start:start + n]
    return chunk, start + n < len(items)


def _has_fault(layer: AcrLayer, method: str, path: str) -> bool:
    with layer._lock:
        return any(r.matches(method, path) and r.action not in MODIFIERS for r in layer.rules)


class _AcrHandler(_ProxyHandler):
    fault_proxy: AcrLayer

    def _handle(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        layer = self.fault_proxy
        if not split.path.startswith(ACR_PREFIX) or _has_fault(layer, self.command, split.path):
            return super()._handle()  # forwarded, or a fault rule a test set for /acr/v1
        self._read_body()
        if layer.latency:
            time.sleep(layer.latency)  # the way in; _send adds the way out
        entry = LogEntry(self.command, self.path, dict(self.headers.items()), None, "acr")
        layer._record(entry)
        with layer._lock:
            layer.acr_requests += 1
        rest = split.path[len(ACR_PREFIX):]
        kind = None
        for suffix in ("/_tags", "/_manifests"):
            if rest.endswith(suffix):
                rest, kind = rest[: -len(suffix)], suffix[2:]
        repo = rest
        if not layer.storage.exists(repo):
            entry.status = 404
            self._reply(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry",
                                         "detail": {"name": repo}}]})
            return
        if not layer.allowed(self.headers.get("Authorization"), repo):
            entry.status = 401
            self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required",
                                         "detail": [{"Type": "repository", "Name": repo, "Action": "metadata_read"}]}]},
                        [("WWW-Authenticate", layer.challenge(repo))])
            return
        entry.status = 200
        if layer.frozen and self.path in layer.answers:
            body, headers = layer.answers[self.path]
            return self._send(200, None, [("Content-Type", "application/json; charset=utf-8"), *headers], body)
        if kind is None:
            self._reply(200, layer.repository(repo))
            return
        query = dict(urllib.parse.parse_qsl(split.query))
        orderby = query.get("orderby", "")
        try:
            n = max(1, min(int(query.get("n", DEFAULT_PAGE)), layer.max_page))
        except ValueError:
            n = DEFAULT_PAGE
        items = layer.listing(repo, kind, orderby, continued="last" in query)
        key, field = ("name", "tags") if kind == "tags" else ("digest", "manifests")
        chunk, more = _page(items, key, query.get("last"), n)
        headers = []
        if more:
            params = {"last": chunk[-1][key], "n": str(n)}
            if orderby:
                params["orderby"] = orderby
            headers.append(("Link", f"<{ACR_PREFIX}{repo}/_{kind}?{urllib.parse.urlencode(params)}>; rel=\"next\""))
        body = self._reply(200, {"registry": layer.host, "imageName": repo, field: chunk}, headers)
        if layer.frozen:
            layer.answers[self.path] = (body, headers)

    def _reply(self, status: int, doc: Any, headers: list[tuple[str, str]] | None = None) -> bytes:
        body = json.dumps(doc).encode()
        self._send(status, None, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], body)
        return body


class AcrScratch:
    """An ACR-like registry of a test's own, for tests that push: its own storage (the shared bed's
    catalog stays exactly as filled), a token-auth distribution on the bed's token server behind an
    AcrLayer (``host``, ``layer``), and an open one over the same storage to push into (``anon``,
    so tests/oci/pushing.py's helpers take it as they take a ScratchRegistry)."""

    def __init__(self, bed: Any, workdir: Path) -> None:
        assert bed.token_server is not None and bed.workdir is not None
        self.bed = bed
        self.workdir = Path(workdir)
        self.rootdir = self.workdir / "data"
        self._pusher = RegistryProcess("acr-push", rootdir=self.rootdir, workdir=self.workdir, loglevel="warn")
        self._registry = RegistryProcess("acr-token", rootdir=self.rootdir, workdir=self.workdir, loglevel="warn")
        self._registry.auth = {"token": {"realm": bed.token_server.realm, "service": self._registry.host,
                                         "issuer": ISSUER, "rootcertbundle": str(bed.workdir / "token-signer.pem")}}
        self.anon = Endpoint("anon", self._pusher.host, "anon")
        self.layer: AcrLayer | None = None

    def start(self) -> AcrScratch:
        try:
            for process in (self._pusher, self._registry):
                process.start()
            for process in (self._pusher, self._registry):
                process.wait_ready()
            self.layer = AcrLayer(self._registry.host, rootdir=self.rootdir, token_server=self.bed.token_server,
                                  service=self._registry.host).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.layer is not None:
            self.layer.stop()
        for process in (self._pusher, self._registry):
            process.stop()

    @property
    def host(self) -> str:
        assert self.layer is not None
        return self.layer.host


def start_acr_layer(bed: Any, *, latency: float = 0.0, frozen: bool = False) -> AcrLayer:
    """An ACR layer in front of ``bed``'s token registry, over its storage."""
    assert bed.token is not None and bed.data_dir is not None and bed.token_server is not None
    return AcrLayer(bed.token, rootdir=bed.data_dir, token_server=bed.token_server, service=bed.token.service,
                    latency=latency, frozen=frozen).start()


__all__ = ["AcrLayer", "AcrScratch", "Storage", "acr_time", "start_acr_layer"]
