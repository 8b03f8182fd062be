"""A programmable HTTP/1.1 reverse proxy that injects faults in front of a registry.

Usage::

    with FaultProxy("127.0.0.1:5000") as proxy:
        proxy.throttle("GET", r"/manifests/", retry_after=2, times=1)   # one 429
        proxy.reset("GET", r"/tags/list$", times=1)                       # one RST
        proxy.paginate_tags()                                             # n/last + Link on tags/list
        proxy.redirect_blobs()                                            # 307 to proxy.blob_server
        proxy.latency = 0.025                                             # each way
        quota = proxy.docker_hub(limit=10)                                # answer as Docker Hub does
        httpx.get(proxy.url + "/v2/")
        proxy.log          # [LogEntry(method, path, headers, status, action)]

Rules are matched in the order added by HTTP method (None = any) and a regex
searched in the request path (without the query string). Each rule fires
``times`` times (None = forever), then stops matching. ``Rule.hits`` counts
firings. Modifier rules (``delay``, ``strip_expired_bearer``) apply and then
matching continues; every other rule answers the request.

Everything not answered by a rule is forwarded unchanged (all methods, headers
including ``Authorization``/``WWW-Authenticate``/``Link``/``Location``, bodies),
with keep-alive on both sides. The ``Host`` header is passed through, so
registry-generated upload ``Location`` URLs point back at the proxy.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "expect", "proxy-connection",
}

TAGS_LIST_RE = r"^/v2/(?P<name>.+)/tags/list$"
BLOB_RE = r"^/v2/(?P<name>.+)/blobs/(?P<digest>[a-z0-9]+:[a-f0-9]+)$"

MODIFIERS = {"delay", "strip_expired_bearer"}


@dataclass
class Rule:
    method: str | None
    path: str
    action: str
    times: int | None = None
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Callable[[bytes], bytes] = b""
    delay: float = 0.0
    default_n: int | None = None
    link_host: str | None = None
    keep: int = 0  # truncate: bytes of body to send before closing
    rst: bool = True  # reset/truncate: RST (True) or plain FIN close
    redirect_methods: tuple[str, ...] = ("GET",)
    hits: int = 0

    def __post_init__(self) -> None:
        self._re = re.compile(self.path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str) -> bool:
        if self.exhausted:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._re.search(path) is not None


@dataclass
class LogEntry:
    method: str
    path: str  # path + query as sent by the client
    headers: dict[str, str]
    status: int | None  # None when the connection was reset/dropped
    action: str  # "forward" or the rule's action


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler) -> None:
        super().__init__(addr, handler)
        self.conns: set[socket.socket] = set()
        self.conns_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.conns_lock:
            self.conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.conns_lock:
            self.conns.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)


def _rst(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# --------------------------------------------------------------------------------------
# Blob server (redirect target)


@dataclass
class BlobRequest:
    method: str
    path: str
    headers: dict[str, str]
    status: int


class BlobServer:
    """Tiny HTTP server on a *different host* (127.0.0.2, falling back to ``localhost``)
    serving blobs stashed by the proxy's redirect rule. Records every request's headers
    in ``requests`` so tests can assert no ``Authorization`` reached it. With
    ``reject_authorization = True`` it answers 400 when one does (as S3/Azure Blob do)."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}  # key → (bytes, content type)
        self.requests: list[BlobRequest] = []
        self.reject_authorization = False
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._hostname = "127.0.0.2"

    def start(self) -> BlobServer:
        srv = self

        class Handler(_BlobHandler):
            blob_server = srv

        try:
            self._httpd = _Server(("127.0.0.2", 0), Handler)
            self._hostname = "127.0.0.2"
        except OSError:
            self._httpd = _Server(("127.0.0.1", 0), Handler)
            self._hostname = "localhost"  # differs from the proxy's 127.0.0.1
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="blob-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.close_all()
            self._httpd.server_close()
            self._httpd = None

    @property
    def host(self) -> str:
        assert self._httpd
        return f"{self._hostname}:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def stash(self, digest: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self.blobs[key] = (data, content_type)
        return f"{self.url}/blobs/{digest}?sig={key}&se=2099-01-01T00%3A00%3A00Z&sp=r"

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


class _BlobHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes; Nagle would hold the second ~40 ms
    blob_server: BlobServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        bs = self.blob_server
        with bs._lock:
            bs.requests.append(BlobRequest(self.command, self.path, dict(self.headers.items()), status))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        bs = self.blob_server
        if bs.reject_authorization and "Authorization" in self.headers:
            body = (b'<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code>'
                    b"<Message>Authentication information is not given in the correct format.</Message></Error>")
            return self._answer(400, body, {"Content-Type": "application/xml"})
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        key = (q.get("sig") or [""])[0]
        with bs._lock:
            entry = bs.blobs.get(key)
        if entry is None:
            return self._answer(404, b"BlobNotFound", {"Content-Type": "text/plain"})
        data, ctype = entry
        rng = self.headers.get("Range")
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng or "")
        if m:
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else len(data) - 1
            end = min(end, len(data) - 1)
            part = data[start:end + 1]
            return self._answer(206, part, {"Content-Type": ctype, "Accept-Ranges": "bytes",
                                            "Content-Range": f"bytes {start}-{end}/{len(data)}"})
        return self._answer(200, data, {"Content-Type": ctype, "Accept-Ranges": "bytes"})

    do_HEAD = do_GET


# --------------------------------------------------------------------------------------
# Docker Hub's pull quota

HUB_PULL_RE = r"^/v2/.+/manifests/[^/]+$"
# What Docker Hub answers once the quota is spent (its body, verbatim but for the link).
HUB_429_BODY = (b'{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your unauthenticated pull rate '
                b'limit. https://www.docker.com/increase-rate-limit"}]}')


@dataclass
class HubQuota:
    """Docker Hub's pull quota as the proxy plays it: every manifest GET is a pull (HEAD is free),
    every answer carries ``ratelimit-limit`` / ``ratelimit-remaining`` (``N;w=SECONDS``), and a GET
    past the limit is answered 429 with Hub's body. ``pulls`` counts the manifest GETs that were
    served (2xx), ``refused`` those answered 429."""

    limit: int
    window: int = 21600
    pulls: int = 0
    refused: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.pulls)

    def headers(self) -> list[tuple[str, str]]:
        return [("ratelimit-limit", f"{self.limit};w={self.window}"),
                ("ratelimit-remaining", f"{self.remaining};w={self.window}"),
                ("docker-ratelimit-source", "127.0.0.1")]


# --------------------------------------------------------------------------------------
# The proxy


class FaultProxy:
    def __init__(self, upstream: Any, *, listen_host: str = "127.0.0.1", port: int = 0,
                 latency: float = 0.0) -> None:
        """``upstream``: "HOST:PORT", "http://HOST:PORT", or anything with a ``.host``."""
        if hasattr(upstream, "host"):
            upstream = upstream.host
        upstream = str(upstream)
        if "://" in upstream:
            upstream = urllib.parse.urlsplit(upstream).netloc
        self.upstream = upstream
        self.latency = latency  # seconds, added before forwarding and again before answering
        self.rules: list[Rule] = []
        self.log: list[LogEntry] = []
        self.blob_server = BlobServer()
        self.hub: HubQuota | None = None
        self._lock = threading.Lock()
        self._bind = (listen_host, port)
        self._httpd: _Server | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_ProxyHandler):
            fault_proxy = proxy

        self._httpd = _Server(self._bind, Handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fault-proxy", daemon=True).start()
        self.blob_server.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.close_all()
            self._httpd.server_close()
            self._httpd = None
        self.blob_server.stop()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def host(self) -> str:
        assert self._httpd, "proxy not started"
        h, p = self._httpd.server_address[:2]
        return f"{h}:{p}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    # -- rules -------------------------------------------------------------
    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self.rules.clear()

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def respond(self, method: str | None, path: str, status: int, body: bytes | str = b"",
                headers: dict[str, str] | None = None, times: int | None = None) -> Rule:
        """Answer with ``status``/``body``/``headers`` instead of forwarding."""
        if isinstance(body, str):
            body = body.encode()
        return self.add(Rule(method, path, "respond", times, status=status, headers=dict(headers or {}), body=body))

    def throttle(self, method: str | None, path: str, retry_after: int | str | None = 1,
                 times: int | None = 1, body: bytes | str | None = None) -> Rule:
        """429 Too Many Requests with ``Retry-After`` (ACR's body shape)."""
        hdrs = {"Content-Type": "application/json; charset=utf-8"}
        if retry_after is not None:
            hdrs["Retry-After"] = str(retry_after)
        if body is None:
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}'
        return self.respond(method, path, 429, body, hdrs, times)

    def error(self, method: str | None, path: str, status: int = 503, times: int | None = 1,
              body: bytes | str = b"", headers: dict[str, str] | None = None) -> Rule:
        """A 5xx (or any) error response."""
        return self.respond(method, path, status, body or f"{status} injected by fault proxy\n", headers, times)

    def reset(self, method: str | None, path: str, times: int | None = 1, rst: bool = True) -> Rule:
        """Close the client connection before answering: RST (SO_LINGER 0) or, with
        ``rst=False``, a plain close (client sees "server disconnected")."""
        return self.add(Rule(method, path, "reset", times, rst=rst))

    def delay(self, method: str | None, path: str, seconds: float, times: int | None = None) -> Rule:
        """Sleep ``seconds`` before handling (then later rules / forwarding apply)."""
        return self.add(Rule(method, path, "delay", times, delay=seconds))

    def replace_body(self, method: str | None, path: str, body: bytes | str | Callable[[bytes], bytes],
                     times: int | None = None, status: int | None = None) -> Rule:
        """Forward, then replace the response body (callable gets the original). Upstream
        headers (Content-Type, Docker-Content-Digest, …) are kept; Content-Length is fixed."""
        if isinstance(body, str):
            body = body.encode()
        return self.add(Rule(method, path, "replace_body", times, body=body, status=status or 0))

    def truncate(self, method: str | None, path: str, keep: int = 100, times: int | None = 1,
                 rst: bool = False) -> Rule:
        """Forward, send the upstream headers (full Content-Length) and only ``keep`` body
        bytes, then close."""
        return self.add(Rule(method, path, "truncate", times, keep=keep, rst=rst))

    def paginate_tags(self, default_n: int | None = None, link_host: str | None = None,
                      times: int | None = None) -> Rule:
        """Make ``GET /v2/NAME/tags/list`` honour ``n``/``last`` with a ``Link: <…>; rel="next"``.
        ``default_n`` pages even when the client sends no ``n`` (ACR caps at 100);
        ``link_host`` makes the Link absolute on another host (clients should refuse it)."""
        return self.add(Rule("GET", TAGS_LIST_RE, "paginate_tags", times, default_n=default_n,
                             link_host=link_host))

    def redirect_blobs(self, times: int | None = None, methods: tuple[str, ...] = ("GET",),
                       status: int = 307) -> Rule:
        """Answer blob GETs with a redirect to ``blob_server`` (another host) serving the bytes."""
        return self.add(Rule(None, BLOB_RE, "redirect_blob", times, status=status,
                             redirect_methods=tuple(m.upper() for m in methods)))

    def docker_hub(self, limit: int = 100, window: int = 21600) -> HubQuota:
        """Answer as Docker Hub does: a pull quota of ``limit`` manifest GETs per ``window`` seconds
        (see :class:`HubQuota`), its headers on every answer."""
        with self._lock:
            self.hub = HubQuota(limit, window)
        return self.hub

    def _hub_pull(self, method: str, path: str) -> HubQuota | None:
        """The Hub quota when this request is a pull on it (a manifest GET), else None."""
        with self._lock:
            if self.hub is None or method.upper() != "GET" or re.search(HUB_PULL_RE, path) is None:
                return None
            return self.hub

    def _refuse_pull(self, hub: HubQuota) -> bool:
        with self._lock:
            if hub.remaining == 0:
                hub.refused += 1
                return True
            return False

    def _count_pull(self, hub: HubQuota) -> None:
        with self._lock:
            hub.pulls += 1

    def strip_expired_bearer(self, times: int | None = None) -> Rule:
        """Distribution accepts JWTs up to 60 s past ``exp``. This rule drops an expired Bearer
        ``Authorization`` before forwarding, so the registry answers its real 401 challenge
        the moment the token expires."""
        return self.add(Rule(None, r"^/v2/", "strip_expired_bearer", times))

    # -- internals ---------------------------------------------------------
    def _pick(self, method: str, path: str) -> tuple[list[Rule], Rule | None]:
        mods: list[Rule] = []
        with self._lock:
            for r in self.rules:
                if r.action == "redirect_blob" and method.upper() not in r.redirect_methods:
                    continue
                if r.matches(method, path):
                    r.hits += 1
                    if r.action in MODIFIERS:
                        mods.append(r)
                        continue
                    return mods, r
        return mods, None

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self.log.append(entry)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes; Nagle would hold the second ~40 ms
    fault_proxy: FaultProxy
    timeout = 60
    _upstream: http.client.HTTPConnection | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._upstream is not None:
                self._upstream.close()
                self._upstream = None

    # -- request/response plumbing ----------------------------------------
    def _read_body(self) -> bytes:
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _upstream_request(self, method: str, path: str, headers: list[tuple[str, str]],
                          body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        fp = self.fault_proxy
        for attempt in (0, 1):
            if self._upstream is None:
                self._upstream = http.client.HTTPConnection(fp.upstream, timeout=120)
            conn = self._upstream
            try:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    conn.putheader(k, v)
                if body or method in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body if body else None)
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    conn.close()
                    self._upstream = None
                return resp.status, resp.reason, resp.getheaders(), data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                conn.close()
                self._upstream = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _send(self, status: int, reason: str | None, headers: list[tuple[str, str]], body: bytes,
              *, keep_length: bool = False) -> None:
        fp = self.fault_proxy
        if fp.latency:
            time.sleep(fp.latency)
        self.send_response_only(status, reason)
        if fp.hub is not None:
            headers = [*headers, *fp.hub.headers()]
        for k, v in headers:
            lk = k.lower()
            if lk in HOP_BY_HOP or (lk == "content-length" and not keep_length):
                continue
            self.send_header(k, v)
        if not keep_length:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.wfile.flush()

    def _kill(self, rst: bool) -> None:
        sock = self.connection
        if rst:
            _rst(sock)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            sock.close()

    # -- the handler -------------------------------------------------------
    def _handle(self) -> None:
        fp = self.fault_proxy
        method = self.command
        target = self.path
        split = urllib.parse.urlsplit(target)
        path = split.path
        req_headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        body = self._read_body()
        mods, rule = fp._pick(method, path)
        action = rule.action if rule else "forward"
        entry = LogEntry(method, target, dict(self.headers.items()), None, action)
        fp._record(entry)

        for m in mods:
            if m.action == "delay":
                time.sleep(m.delay)
            elif m.action == "strip_expired_bearer":
                req_headers = _strip_expired_bearer(req_headers)

        if rule is not None and rule.action == "reset":
            self._kill(rule.rst)
            return
        hub = fp._hub_pull(method, path)
        if hub is not None and fp._refuse_pull(hub):
            entry.status = 429
            self._send(429, None, [("Content-Type", "application/json")], HUB_429_BODY)
            return
        if rule is not None and rule.action == "respond":
            if fp.latency:
                time.sleep(fp.latency)
            hdrs = list(rule.headers.items())
            if not any(k.lower() == "content-type" for k, _ in hdrs) and rule.body:
                hdrs.append(("Content-Type", "text/plain; charset=utf-8"))
            entry.status = rule.status
            body_out = rule.body if isinstance(rule.body, bytes) else rule.body(b"")
            self._send(rule.status, None, hdrs, body_out)
            return

        up_target = target
        if rule is not None and rule.action == "paginate_tags":
            up_target = split.path  # upstream gets no n/last: we page ourselves

        if fp.latency:
            time.sleep(fp.latency)
        try:
            status, reason, headers, data = self._upstream_request(method, up_target, req_headers, body)
        except OSError as e:
            entry.status = 502
            self._send(502, None, [("Content-Type", "text/plain")], f"fault proxy: upstream error {e}\n".encode())
            return
        if hub is not None and 200 <= status < 300:
            fp._count_pull(hub)  # as Hub: a pull is a manifest served, not a 401 asking for a token

        if rule is not None and rule.action == "replace_body" and method != "HEAD":
            new = rule.body(data) if callable(rule.body) else rule.body
            data = new
            if rule.status:
                status, reason = rule.status, None
        elif rule is not None and rule.action == "paginate_tags" and status == 200:
            headers, data = _paginate(headers, data, split, rule)
        elif rule is not None and rule.action == "redirect_blob" and status == 200:
            m = re.search(BLOB_RE, path)
            assert m
            ctype = next((v for k, v in headers if k.lower() == "content-type"), "application/octet-stream")
            location = fp.blob_server.stash(m.group("digest"), data, ctype)
            entry.status = rule.status
            self._send(rule.status, None, [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                       b"")
            return
        elif rule is not None and rule.action == "truncate" and method != "HEAD":
            entry.status = status
            if fp.latency:
                time.sleep(fp.latency)
            self.send_response_only(status, reason)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: rule.keep])
            self.wfile.flush()
            self._kill(rule.rst)
            return

        entry.status = status
        self._send(status, reason, headers, data, keep_length=(method == "HEAD"))


def _strip_expired_bearer(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    now = time.time()
    for k, v in headers:
        if k.lower() == "authorization" and v.lower().startswith("bearer "):
            try:
                from .tokenserver import decode_jwt

                _, claims = decode_jwt(v.split(" ", 1)[1].strip())
                if float(claims.get("exp", 0)) <= now:
                    continue
            except Exception:
                pass
        out.append((k, v))
    return out


def _paginate(headers: list[tuple[str, str]], data: bytes, split: urllib.parse.SplitResult,
              rule: Rule) -> tuple[list[tuple[str, str]], bytes]:
    try:
        doc = json.loads(data)
    except ValueError:
        return headers, data
    tags = sorted(doc.get("tags") or [])
    q = urllib.parse.parse_qs(split.query)
    last = (q.get("last") or [None])[0]
    n_raw = (q.get("n") or [None])[0]
    n = int(n_raw) if n_raw not in (None, "") else rule.default_n
    if last is not None:
        tags = [t for t in tags if t > last]
    more = False
    if n is not None and len(tags) > n:
        tags = tags[:n]
        more = True
    doc["tags"] = tags
    out = [(k, v) for k, v in headers if k.lower() not in ("link", "content-length")]
    if more and tags:
        qs = urllib.parse.urlencode({"n": n, "last": tags[-1]})
        link = f"{split.path}?{qs}"
        if rule.link_host:
            link = f"http://{rule.link_host}{link}"
        out.append(("Link", f'<{link}>; rel="next"'))
    return out, json.dumps(doc).encode()
