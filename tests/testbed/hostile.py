"""A hostile registry on loopback: one behaviour per route, for the acceptance tests of issue 8.

The first component of a repository name picks the behaviour (``/v2/SHAPE[/…]/tags/list``,
``…/manifests/REF``, ``…/blobs/DIGEST``); the catalog lists names built to attack a terminal.
Every request is logged (host, path, Authorization, bytes sent), so tests can prove where a
credential went. A second listener on 127.0.0.2 (same port when free) is "another origin": blob
redirects point at it, and it answers 401 with its own challenge.

Huge and endless bodies come from generators; slow bodies stop when the server stops.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import socket
import tarfile
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

CANARY_USER = "hostile-user"
CANARY_PASSWORD = "canary-Pw-7f3a9c1e"
CANARY_BASIC = base64.b64encode(f"{CANARY_USER}:{CANARY_PASSWORD}".encode()).decode()
GOOD_TOKEN = "good-token"
FOREIGN_HOST = "127.0.0.2"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
         "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}

MB = 1024 * 1024
HUGE = 200 * MB
DEEP = 100_000
PASTE_DIGEST = "sha256:" + "ab" * 32 + "\necho PWNED; #"

# Strings built to attack a terminal or a markup parser.
OSC52 = "osc52\x1b]52;c;UFdORUQK\x07"
TITLE = "title\x1b]0;PWNED\x07"
CLEAR = "clear\x1b[2J\x1b[H"
CLICK = "[@click=app.quit]click[/]"
BIDI = "bidi\u202etxt.exe"
NEWLINE = "new\nline"
C1 = "csi\x9b2J"
DEL = "del\x7f"
ST = "st\x1b\\"
HOSTILE_STRINGS = (OSC52, TITLE, CLEAR, CLICK, BIDI, NEWLINE, C1, DEL, ST)


def screenshot_click(path: str) -> str:
    """Markup that, if parsed and clicked, writes a screenshot where the registry says."""
    folder, name = path.rsplit("/", 1)
    return f"[@click=app.screenshot('{name}','{folder}')]shot[/]"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def deep_json(depth: int = DEEP) -> bytes:
    return b"[" * depth + b"]" * depth


@dataclass
class Hit:
    host: str  # the Host header as sent
    listener: str  # which of our addresses took it: 127.0.0.1 or 127.0.0.2
    method: str
    path: str  # path + query
    authorization: str
    status: int = 0
    sent: int = 0  # body bytes written before the client left


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] | None = None
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # Content-Length for a generated body; None: chunked
    rate: float | None = None  # seconds between single bytes (a slow body)


def _json(document: object, status: int = 200, **headers: str) -> Answer:
    return Answer(status, {"Content-Type": "application/json", **headers}, dumps(document))


def _content(data: bytes, media_type: str, digest: str | None = None) -> Answer:
    headers = {"Content-Type": media_type}
    if digest:
        headers["Docker-Content-Digest"] = digest
    return Answer(200, headers, data)


def _repeat(block: bytes, total: int | None, head: bytes = b"") -> Iterator[bytes]:
    """`head`, then `block` again and again up to `total` bytes (forever when None)."""
    yield head
    sent = len(head)
    while total is None or sent < total:
        piece = block if total is None else block[: total - sent]
        sent += len(piece)
        yield piece


class Store:
    """Documents by digest: manifests and configs the hostile manifests point at."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[str, bytes]] = {}

    def add(self, document: object, media_type: str) -> dict:
        raw = dumps(document) if not isinstance(document, bytes) else document
        digest = sha256(raw)
        self.blobs[digest] = (media_type, raw)
        return {"mediaType": media_type, "digest": digest, "size": len(raw)}

    def image(self, config: object = None, *, layers: list | None = None, **extra: object) -> dict:
        config = config if config is not None else {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
        document = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": self.add(config, OCI_CONFIG),
                    "layers": layers if layers is not None else [layer()], **extra}
        return self.add(document, OCI_MANIFEST)

    def index(self, entries: list, **extra: object) -> dict:
        return self.add({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries, **extra}, OCI_INDEX)


def layer(digest: str | None = None, **extra: object) -> dict:
    return {"mediaType": OCI_LAYER, "digest": digest or "sha256:" + "1" * 64, "size": 1234, **extra}


def hostile_config() -> dict:
    return {
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z" + TITLE,
        "config": {"Labels": {OSC52: CLEAR, "click": CLICK, "bidi": BIDI}, "Env": [f"A={TITLE}", f"B={NEWLINE}"],
                   "Cmd": ["sh", "-c", CLEAR], "Entrypoint": [BIDI], "WorkingDir": "/" + C1, "User": DEL,
                   "ExposedPorts": {OSC52: {}}},
        "history": [{"created_by": "RUN " + OSC52, "comment": BIDI}, {"created_by": CLICK + NEWLINE}],
        "rootfs": {"type": "layers", "diff_ids": []},
    }


OCI_TAR = "application/vnd.oci.image.layer.v1.tar"


def hostile_tar(*, claimed_size: int | None = None) -> bytes:
    """A layer's tar whose names, link targets and owners attack a terminal; with `claimed_size`, a
    last file whose header claims that many bytes that never come (a tar bomb, its end cut off)."""
    parts = []
    for i, text in enumerate(HOSTILE_STRINGS):
        info = tarfile.TarInfo(f"etc/{text}")
        info.uname, info.gname = text, CLEAR
        data = text.encode()
        info.size = len(data)
        parts += [info.tobuf(tarfile.PAX_FORMAT), data, bytes(-len(data) % 512)]
        link = tarfile.TarInfo(f"bin/link{i}")
        link.type, link.linkname = tarfile.SYMTYPE, text
        parts.append(link.tobuf(tarfile.PAX_FORMAT))
    if claimed_size is None:
        return b"".join([*parts, bytes(1024)])
    bomb = tarfile.TarInfo("bomb")
    bomb.size = claimed_size
    return b"".join([*parts, bomb.tobuf(tarfile.GNU_FORMAT), bytes(512)])


@functools.cache
def _documents() -> tuple[Store, dict[str, dict], dict]:
    """The stored documents (built once per process: the big indexes take ~0.3 s)."""
    s = Store()
    hostile_annotations = {OSC52: TITLE, "org.opencontainers.image.title": CLEAR, "click": CLICK, "bidi": BIDI}
    hostile_image = s.image(hostile_config(), layers=[
        layer(annotations={"org.opencontainers.image.title": OSC52}),
        layer("sha256:" + "2" * 64, mediaType="application/x-hostile" + CLEAR),
    ], annotations=hostile_annotations)
    platform = {"os": "linux" + TITLE, "architecture": "amd64" + BIDI, "variant": "v8" + C1, "os.version": CLEAR}
    manifests: dict[str, dict] = {
        "plain": s.image(),
        "tree-hostile": s.index([{**hostile_image, "platform": platform, "annotations": hostile_annotations}],
                                annotations=hostile_annotations),
        "type-created": s.image({"architecture": "amd64", "os": "linux", "created": 12345}),
        "type-os": s.index([{**s.image(), "platform": {"os": 5, "architecture": "amd64"}}]),
        "type-urls": s.image(layers=[layer(urls=[1])]),
        "type-artifacttype": s.image(artifactType={}),
        "type-annotations": s.image(annotations={"k": {"nested": 1}}),
        "type-history": s.image({"architecture": "amd64", "os": "linux", "history": [{"created_by": ["RUN", 1]}]}),
        "digest-paste": s.image(layers=[layer(PASTE_DIGEST)]),
        "digest-md5": s.image(layers=[layer("md5:" + "0" * 32)]),
        "index-x": s.index([{"digest": "x", "size": 1}] * 100_000),
        # artifacts (an empty config is not fetched): the fan-out cap costs only manifest requests
        "index-fanout": s.index([{"digest": s.add({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": EMPTY,
                                                   "layers": [], "annotations": {"n": str(i)}}, OCI_MANIFEST)["digest"],
                                  "size": 1} for i in range(40_000)]),
        "index-dup": s.index([{"digest": s.image()["digest"], "size": 1}] * 30_000),
        "redirect-bearer": s.image(),
        "redirect-basic": s.image(),
        # layers: hostile names inside; a blob that never ends (its descriptor says how long it is);
        # a header claiming a file of 2**40 - 1 bytes whose data never comes
        "layer-names": s.image(layers=[s.add(hostile_tar(), OCI_TAR)]),
        "layer-endless": s.image(layers=[s.add(hostile_tar(), OCI_TAR)]),
        "layer-bomb": s.image(layers=[s.add(hostile_tar(claimed_size=2**40 - 1), OCI_TAR)]),
    }
    return s, manifests, s.image(deep_json())


class Shapes:
    """What each repository (its first name component) serves. Built once per server."""

    def __init__(self, server: HostileRegistry) -> None:
        self.server = server
        self.store, self.manifests, self.deep_config_image = _documents()
        self.deep_manifest = deep_json()
        self.hostile_error = {"errors": [{"code": "DENIED" + TITLE, "message": OSC52 + " " + CLEAR + NEWLINE + BIDI,
                                          "detail": {"x": C1}}]}

    # ---- the registry API ------------------------------------------------------------------

    def catalog(self) -> Answer:
        names = [*HOSTILE_STRINGS, screenshot_click(self.server.screenshot_path), "plain", "tags-hostile"]
        return _json({"repositories": names})

    def tags(self, shape: str, name: str, query: dict[str, str]) -> Answer:
        path = f"/v2/{name}/tags/list"
        if shape == "error-hostile":
            return _json(self.hostile_error, 400)
        if shape == "tags-hostile":
            return _json({"name": name, "tags": ["latest", *HOSTILE_STRINGS, screenshot_click(self.server.screenshot_path)]})
        if shape == "deep-tags":
            return Answer(200, {"Content-Type": "application/json"}, b'{"tags":' + deep_json() + b"}")
        if shape == "huge-tags":
            return Answer(200, {"Content-Type": "application/json"},
                          _repeat(b'"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",' * 32768, HUGE, b'{"tags":['), length=HUGE)
        if shape == "endless-tags":
            return Answer(200, {"Content-Type": "application/json"}, _repeat(b'"x",' * 65536, None, b'{"tags":['))
        if shape == "slow-tags":
            return Answer(200, {"Content-Type": "application/json"}, b'{"tags":["latest"]}' + b" " * 1000, rate=1.0)
        if shape == "huge-error":
            return Answer(404, {"Content-Type": "application/json"}, _repeat(b" " * MB, HUGE, b'{"errors":['), length=HUGE)
        if shape == "deep-error":
            return Answer(404, {"Content-Type": "application/json"}, b'{"errors":' + deep_json() + b"}")
        if shape == "retry-after-59":
            return _json({"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]}, 429, **{"Retry-After": "59"})
        if shape == "retry-after-1" and self.server.count(path) == 1:
            return _json({"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]}, 429, **{"Retry-After": "1"})
        if shape == "many-tags":
            page = int(query.get("page", "0"))
            tags = [f"t{page * 1000 + i:07d}" for i in range(1000)]
            link = {"Link": f'<{path}?n=1000&page={page + 1}>; rel="next"'} if page < 999 else {}
            return _json({"name": name, "tags": tags}, **link)
        if shape == "link-endless":
            page = int(query.get("page", "0"))
            return _json({"name": name, "tags": [f"t{page}"]}, Link=f'<{path}?n=1&page={page + 1}>; rel="next"')
        if shape == "link-repeat":
            page = int(query.get("page", "0"))
            return _json({"name": name, "tags": [f"t{page}"]}, Link=f'<{path}?n=1&page={1 - page}>; rel="next"')
        if shape in ("link-port-abc", "link-port-99999"):
            port = shape.rsplit("-", 1)[1]
            return _json({"name": name, "tags": ["latest"]}, Link=f'<http://127.0.0.1:{port}{path}?page=1>; rel="next"')
        return _json({"name": name, "tags": ["latest"]})

    def manifest(self, shape: str, reference: str) -> Answer:
        if shape == "deep-manifest":
            return _content(self.deep_manifest, OCI_MANIFEST, sha256(self.deep_manifest))
        if shape == "deep-config":
            return self._stored(self.deep_config_image["digest"], announce=True)
        if shape == "huge-manifest":
            return Answer(200, {"Content-Type": OCI_MANIFEST},
                          _repeat(b" " * MB, HUGE, b'{"schemaVersion":2,"layers":[]'), length=HUGE)
        if shape == "huge-config":
            raw = dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                         "config": {"mediaType": OCI_CONFIG, "digest": "sha256:" + "3" * 64, "size": HUGE}, "layers": []})
            return _content(raw, OCI_MANIFEST, sha256(raw))
        if shape == "slow-manifest":
            raw = self.store.blobs[self.manifests["plain"]["digest"]][1]
            return Answer(200, {"Content-Type": OCI_MANIFEST}, raw, rate=1.0)
        if shape in ("header-md5", "header-shake"):
            media_type, raw = self.store.blobs[self.manifests["plain"]["digest"]]
            algorithm = "md5" if shape == "header-md5" else "shake_128"
            digest = f"{algorithm}:{hashlib.md5(raw).hexdigest()}"
            return _content(raw, media_type, digest)
        if shape == "error-hostile":
            return _json(self.hostile_error, 400)
        if ":" in reference:
            return self._stored(reference)
        entry = self.manifests.get(shape)
        if entry is None:
            return _json({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}, 404)
        return self._stored(entry["digest"], announce=True)

    def _stored(self, digest: str, announce: bool = False) -> Answer:
        known = self.store.blobs.get(digest)
        if known is None:
            return _json({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}, 404)
        return _content(known[1], known[0], digest if announce else None)

    def blob(self, shape: str, name: str, digest: str) -> Answer:
        if shape == "huge-config":
            return Answer(200, {"Content-Type": "application/octet-stream"}, _repeat(b" " * MB, HUGE, b"{"), length=HUGE)
        if shape == "layer-endless" and digest == self.manifests_layer("layer-endless"):
            head = self.store.blobs[digest][1]
            return Answer(200, {"Content-Type": "application/octet-stream"}, _repeat(b"\0" * MB, None, head))
        if shape in ("redirect-bearer", "redirect-basic"):
            target = f"http://{FOREIGN_HOST}:{self.server.foreign_port}/blob/{shape}/{digest}?sig=x"
            return Answer(307, {"Location": target}, b"")
        known = self.store.blobs.get(digest)
        if known is None:
            return _json({"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]}, 404)
        return Answer(200, {"Content-Type": "application/octet-stream"}, known[1])

    def manifests_layer(self, shape: str) -> str:
        """The digest of the first layer of `shape`'s image."""
        image = json.loads(self.store.blobs[self.manifests[shape]["digest"]][1])
        return image["layers"][0]["digest"]

    # ---- who must sign in, and how -----------------------------------------------------------

    def challenge(self, shape: str, name: str, req: Request) -> Answer | None:
        """None when the request may pass; else the 401 (or other answer) to send."""
        auth = req.headers.get("Authorization", "")
        if shape in BASIC_SHAPES:
            if auth == f"Basic {CANARY_BASIC}":
                if shape == "error-echo":  # a registry that repeats what it got, secret included
                    message = f"you sent {auth} ({CANARY_PASSWORD})"
                    return _json({"errors": [{"code": "DENIED", "message": message}]}, 400)
                return None
            return _json({"errors": [{"code": "UNAUTHORIZED", "message": "sign in"}]}, 401,
                         **{"WWW-Authenticate": 'Basic realm="hostile"'})
        realm = BEARER_SHAPES.get(shape)
        if realm is None:
            return None
        if auth == f"Bearer {GOOD_TOKEN}":
            return None
        port = self.server.port
        url = realm.format(port=port, shape=shape, alias=self.server.alias)
        header = f'Bearer realm="{url}",service="hostile",scope="repository:{name}:pull"'
        return _json({"errors": [{"code": "UNAUTHORIZED", "message": "token needed"}]}, 401,
                     **{"WWW-Authenticate": header})

    def token(self, shape: str) -> Answer:
        if shape == "token-expires400":
            return Answer(200, {"Content-Type": "application/json"},
                          b'{"token":"%s","expires_in":1%s}' % (GOOD_TOKEN.encode(), b"0" * 400))
        if shape == "token-50mb":
            size = 50 * MB
            return Answer(200, {"Content-Type": "application/json"},
                          _repeat(b"A" * MB, size, b'{"token":"'), length=size)
        if shape == "token-deep":
            return Answer(200, {"Content-Type": "application/json"}, b'{"token":' + deep_json() + b"}")
        if shape == "token-slow":
            return Answer(200, {"Content-Type": "application/json"}, dumps({"token": GOOD_TOKEN}) + b" " * 100, rate=1.0)
        return _json({"token": GOOD_TOKEN, "expires_in": 300})

    def foreign(self, req: Request) -> Answer:
        """127.0.0.2: another origin that asks for credentials of its own."""
        if req.path.startswith("/token/"):
            return _json({"token": "foreign-token"})
        shape = req.path.split("/")[2] if req.path.count("/") >= 2 else ""
        if shape == "redirect-basic":
            header = 'Basic realm="foreign"'
        else:
            header = f'Bearer realm="http://{FOREIGN_HOST}:{self.server.foreign_port}/token/{shape}",service="foreign"'
        return _json({"errors": [{"code": "UNAUTHORIZED", "message": "foreign"}]}, 401, **{"WWW-Authenticate": header})


BASIC_SHAPES = frozenset({"error-echo", "redirect-bearer", "redirect-basic", "memo-elsewhere", "plain-basic"})
# Bearer shapes → the realm their challenge names ({port}: this server; {alias}: a name that is
# not loopback by acrbrowse's rule but resolves to this machine).
BEARER_SHAPES = {
    "token-expires400": "http://127.0.0.1:{port}/token/{shape}",
    "token-50mb": "http://127.0.0.1:{port}/token/{shape}",
    "token-deep": "http://127.0.0.1:{port}/token/{shape}",
    "token-slow": "http://127.0.0.1:{port}/token/{shape}",
    "realm-port-abc": "http://127.0.0.1:abc/token",
    "realm-port-99999": "http://127.0.0.1:99999/token",
    "realm-elsewhere": "http://{alias}:{port}/token/{shape}",
}

_REPO_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?:(?P<tags>tags/list)|manifests/(?P<ref>[^/]+)|blobs/(?P<digest>[^/]+))$")


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.method = handler.command
        self.raw_path = handler.path
        parts = urllib.parse.urlsplit(handler.path)
        self.path = urllib.parse.unquote(parts.path)
        self.query = dict(urllib.parse.parse_qsl(parts.query))
        self.headers = handler.headers


def non_loopback_alias() -> str | None:
    """A host name acrbrowse must treat as remote (not localhost, not an IP) that nonetheless
    resolves to 127.0.0.1 here, so a leak would arrive at our listener; None if there is none."""
    for name in (socket.gethostname(),):
        try:
            if name and name != "localhost" and socket.gethostbyname(name) == "127.0.0.1":
                return name
        except OSError:
            continue
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hangs up mid-body is the point of several shapes


class HostileRegistry:
    """Start with `.start()`, stop with `.stop()`; `.host` is "127.0.0.1:PORT"."""

    def __init__(self, screenshot_path: str = "/nonexistent/pwned.svg") -> None:
        self.screenshot_path = screenshot_path
        self.alias = non_loopback_alias() or "hostile-realm.invalid"
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._servers: list[_Server] = []
        self.port = 0
        self.foreign_port = 0
        self.shapes = Shapes(self)

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> HostileRegistry:
        handler = self._handler_class()
        main = _Server(("127.0.0.1", 0), handler)
        self.port = main.server_address[1]
        try:
            foreign = _Server((FOREIGN_HOST, self.port), handler)
        except OSError:
            foreign = _Server((FOREIGN_HOST, 0), handler)
        self.foreign_port = foreign.server_address[1]
        self._servers = [main, foreign]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True, name="hostile-registry").start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    # ---- what happened -----------------------------------------------------------------------

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path.split("?")[0] == path)

    def hits_for(self, shape: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if f"/{shape}" in urllib.parse.unquote(hit.path)]

    def leaks(self) -> list[Hit]:
        """Requests that carried the canary credential anywhere but this registry's own origin."""
        with self._lock:
            return [hit for hit in self.hits
                    if (CANARY_BASIC in hit.authorization or CANARY_PASSWORD in hit.authorization)
                    and (hit.listener != "127.0.0.1" or hit.host != self.host)]

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    # ---- serving -----------------------------------------------------------------------------

    def answer(self, req: Request, listener: str) -> Answer:
        if listener == FOREIGN_HOST or req.headers.get("Host", "") != self.host:
            if req.path.startswith("/token/"):  # a realm named by another host name
                return self.shapes.token(req.path.removeprefix("/token/"))
            return self.shapes.foreign(req)
        if req.path.startswith("/token/"):
            return self.shapes.token(req.path.removeprefix("/token/"))
        if req.path in ("/v2/", "/v2"):
            return _json({})
        if req.path == "/v2/_catalog":
            return self.shapes.catalog()
        match = _REPO_ROUTE.match(req.path)
        if match is None:
            return _json({"errors": [{"code": "UNSUPPORTED", "message": "no such route"}]}, 404)
        name = match["name"]
        shape = name.split("/", 1)[0]
        denied = self.shapes.challenge(shape, name, req)
        if denied is not None:
            return denied
        if match["tags"]:
            return self.shapes.tags(shape, name, req.query)
        if match["ref"] is not None:
            return self.shapes.manifest(shape, match["ref"])
        return self.shapes.blob(shape, name, match["digest"])

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                req = Request(self)
                listener = self.server.server_address[0]
                hit = Hit(self.headers.get("Host", ""), listener, self.command, self.path,
                          self.headers.get("Authorization", ""))
                with registry._lock:
                    registry.hits.append(hit)
                answer = registry.answer(req, listener)
                hit.status = answer.status
                registry._send(self, answer, hit)

            do_GET = do_HEAD = do_POST = _serve

        return Handler

    def _send(self, handler: BaseHTTPRequestHandler, answer: Answer, hit: Hit) -> None:
        body = answer.body
        fixed = isinstance(body, bytes)
        try:
            handler.send_response(answer.status)
            for key, value in (answer.headers or {}).items():
                handler.send_header(key, value)
            if fixed:
                handler.send_header("Content-Length", str(len(body)))
            elif answer.length is not None:
                handler.send_header("Content-Length", str(answer.length))
            else:
                handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            if handler.command == "HEAD":
                return
            if answer.rate is not None:
                self._trickle(handler, body, answer.rate, hit)
            elif fixed:
                handler.wfile.write(body)
                hit.sent = len(body)
            else:
                self._stream(handler, body, chunked=answer.length is None, hit=hit)
        except (BrokenPipeError, ConnectionResetError, OSError):
            handler.close_connection = True

    def _trickle(self, handler: BaseHTTPRequestHandler, body: bytes, rate: float, hit: Hit) -> None:
        for i in range(len(body)):
            if self._stopped.is_set():
                handler.close_connection = True
                return
            handler.wfile.write(body[i:i + 1])
            handler.wfile.flush()
            hit.sent += 1
            self._stopped.wait(rate)

    def _stream(self, handler: BaseHTTPRequestHandler, body: Iterable[bytes], *, chunked: bool, hit: Hit) -> None:
        for piece in body:
            if self._stopped.is_set():
                handler.close_connection = True
                return
            if not piece:
                continue
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            hit.sent += len(piece)
        if chunked:
            handler.wfile.write(b"0\r\n\r\n")


