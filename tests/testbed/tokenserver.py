"""An ACR-like OAuth2 token endpoint for distribution's ``auth.token`` mode.

Endpoints (all on loopback):

* ``GET /oauth2/token?service=S&scope=...`` with optional ``Authorization: Basic``.
  The Basic user may also be ``00000000-0000-0000-0000-000000000000`` with a
  refresh token as password (what ``az acr login --expose-token`` hands out).
* ``POST /oauth2/token`` form: ``grant_type=password`` (``username``,
  ``password``) or ``grant_type=refresh_token`` (``refresh_token``), plus
  ``service`` and ``scope`` (space separated). ``access_type=offline`` with the
  password grant also returns a ``refresh_token``.
* ``POST /oauth2/exchange`` form: ``grant_type=access_token``, ``service``,
  ``access_token`` (an "AAD token" minted by :meth:`TokenServer.aad_token_for`)
  → ``{"refresh_token": ...}``, like ACR; 401 for a user in ``exchange_refused`` (an identity
  with no role on the registry).

Tokens are JWTs signed with ES256; the header ``kid`` is the libtrust key ID of
the signing key, whose self-signed certificate is written to ``cert_path`` for
the registry's ``rootcertbundle``.
"""

from __future__ import annotations

import base64
import datetime as dt
import fnmatch
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

ANONYMOUS = ""
REFRESH_TOKEN_USER = "00000000-0000-0000-0000-000000000000"
UNAUTHORIZED_BODY = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def libtrust_key_id(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT, without verification."""
    h, c, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))


@dataclass
class Grant:
    """One policy entry: resource type/name glob and allowed actions ("*" = anything asked for)."""

    type: str
    name: str
    actions: frozenset[str]

    def allows(self, rtype: str, name: str) -> bool:
        return fnmatch.fnmatchcase(rtype, self.type) and fnmatch.fnmatchcase(name, self.name)


def default_policy() -> dict[str, list[Grant]]:
    """user → grants. Grants of the anonymous user ("") apply to everybody."""
    return {
        "admin": [Grant("*", "*", frozenset({"*"}))],
        "readonlypull": [Grant("repository", "aspnetapp", frozenset({"pull"}))],
        ANONYMOUS: [Grant("repository", "public/*", frozenset({"pull"}))],
    }


class TokenServer:
    def __init__(self, users: dict[str, str], *, issuer: str = "acrbrowse-testbed-issuer",
                 host: str = "127.0.0.1", port: int = 0, lifetime: int = 3600) -> None:
        self.users = dict(users)
        self.issuer = issuer
        self.policy = default_policy()
        self.lifetime = lifetime
        self.refresh_lifetime = 3 * 3600
        self.send_expires_in = True
        self.requests: list[tuple[str, str, bool]] = []
        self.issued: list[dict[str, Any]] = []  # claims of every access token issued
        self._refresh: dict[str, str] = {}  # refresh token → user
        self._aad: dict[str, str] = {}  # aad token → user
        self.exchange_refused: set[str] = set()  # users whose Entra identity has no role here
        # users whose token requests fail (401) when they ask for an action they are not granted,
        # as some token services answer, instead of a token with fewer actions (the default)
        self.strict_users: set[str] = set()
        self._lock = threading.Lock()
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = libtrust_key_id(self._key.public_key())
        self._bind = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- certificate -------------------------------------------------------
    def cert_pem(self) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acrbrowse-testbed-token-signer")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(self._key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM)

    def write_cert(self, path: Path) -> Path:
        path.write_bytes(self.cert_pem())
        return path

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> TokenServer:
        server = self

        class Handler(_Handler):
            token_server = server

        self._httpd = ThreadingHTTPServer(self._bind, Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="token-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def host(self) -> str:
        assert self._httpd
        h, p = self._httpd.server_address[:2]
        return f"{h}:{p}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def realm(self) -> str:
        return f"{self.url}/oauth2/token"

    # -- tokens ------------------------------------------------------------
    def sign(self, claims: dict[str, Any]) -> str:
        header = {"typ": "JWT", "alg": "ES256", "kid": self.kid}
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def grant(self, user: str, scopes: list[str]) -> list[dict[str, Any]]:
        grants = list(self.policy.get(ANONYMOUS, []))
        if user != ANONYMOUS:
            grants += self.policy.get(user, [])
        access: list[dict[str, Any]] = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            rtype, name, wanted = parsed
            allowed: list[str] = []
            for a in wanted:
                for g in grants:
                    if g.allows(rtype, name) and ("*" in g.actions or a in g.actions):
                        allowed.append(a)
                        break
            access.append({"type": rtype, "name": name, "actions": allowed})
        return access

    def grants_all(self, user: str, scopes: list[str]) -> bool:
        """Whether `user` gets every action of every scope asked for."""
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is not None and len(self.grant(user, [scope])[0]["actions"]) < len(parsed[2]):
                return False
        return True

    def access_token(self, user: str, service: str, scopes: list[str]) -> tuple[str, int]:
        now = int(time.time())
        lifetime = int(self.lifetime)
        claims = {
            "iss": self.issuer,
            "sub": user,
            "aud": service,
            "exp": now + lifetime,
            "nbf": now - 1,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": self.grant(user, scopes),
        }
        with self._lock:
            self.issued.append(claims)
        return self.sign(claims), lifetime

    def refresh_token_for(self, user: str, service: str = "") -> str:
        """Mint a refresh (identity) token for ``user``, usable with the refresh_token grant
        or as Basic password of user ``00000000-0000-0000-0000-000000000000``."""
        if user not in self.users:
            raise KeyError(user)
        now = int(time.time())
        tok = self.sign({"iss": self.issuer, "sub": user, "aud": service, "exp": now + self.refresh_lifetime,
                         "nbf": now - 1, "iat": now, "jti": secrets.token_hex(16), "grant_type": "refresh_token"})
        with self._lock:
            self._refresh[tok] = user
        return tok

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._refresh.clear()

    def aad_token_for(self, user: str) -> str:
        """An opaque stand-in for an Entra ID access token, accepted by ``/oauth2/exchange``."""
        if user not in self.users:
            raise KeyError(user)
        tok = "aad." + secrets.token_urlsafe(24)
        with self._lock:
            self._aad[tok] = user
        return tok

    def user_for_refresh(self, tok: str) -> str | None:
        user = self._refresh.get(tok)
        if user is None:
            return None
        try:
            _, claims = decode_jwt(tok)
        except Exception:
            return None
        if claims.get("exp", 0) < time.time():
            return None
        return user

    def check_password(self, user: str, password: str) -> str | None:
        if user == REFRESH_TOKEN_USER:
            return self.user_for_refresh(password)
        if user in self.users and secrets.compare_digest(self.users[user], password):
            return user
        return None


def parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    # type[(class)]:name[:tag-ish]:actions — the name may itself contain ':' only for port-ful
    # registry names, which we do not have, so split at first and last colon.
    if scope.count(":") < 2:
        return None
    rtype, rest = scope.split(":", 1)
    name, actions = rest.rsplit(":", 1)
    if "(" in rtype:
        rtype = rtype.split("(", 1)[0]
    return rtype, name, [a for a in actions.split(",") if a]


def _split_scopes(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(s for s in v.split(" ") if s)
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes; Nagle would hold the second ~40 ms
    token_server: TokenServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode())

    def _unauthorized(self) -> None:
        self._send(401, UNAUTHORIZED_BODY)

    def _record(self) -> None:
        ts = self.token_server
        with ts._lock:
            ts.requests.append((self.command, self.path, "Authorization" in self.headers))

    def _token_response(self, user: str, service: str, scopes: list[str], refresh: str | None = None) -> None:
        ts = self.token_server
        if user in ts.strict_users and not ts.grants_all(user, scopes):
            return self._unauthorized()
        tok, lifetime = ts.access_token(user, service, scopes)
        body: dict[str, Any] = {"access_token": tok}
        if ts.send_expires_in:
            body["expires_in"] = lifetime
        if refresh:
            body["refresh_token"] = refresh
        self._json(200, body)

    def do_GET(self) -> None:  # noqa: N802
        self._record()
        ts = self.token_server
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/oauth2/token":
            return self._send(404, b'{"errors":[{"code":"NOT_FOUND","message":"not found"}]}')
        q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        service = (q.get("service") or [""])[0]
        if not service:
            return self._send(400, b'{"errors":[{"code":"BAD_REQUEST","message":"service is required"}]}')
        scopes = _split_scopes(q.get("scope", []))
        auth = self.headers.get("Authorization")
        user = ANONYMOUS
        if auth:
            scheme, _, cred = auth.partition(" ")
            if scheme.lower() != "basic":
                return self._unauthorized()
            try:
                name, _, password = base64.b64decode(cred.strip()).decode().partition(":")
            except Exception:
                return self._unauthorized()
            found = ts.check_password(name, password)
            if found is None:
                return self._unauthorized()
            user = found
        self._token_response(user, service, scopes)

    def do_POST(self) -> None:  # noqa: N802
        self._record()
        ts = self.token_server
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)

        def f(k: str) -> str:
            return (form.get(k) or [""])[0]

        if url.path == "/oauth2/exchange":
            if f("grant_type") != "access_token" or not f("service"):
                return self._send(400, b'{"errors":[{"code":"BAD_REQUEST","message":"bad request"}]}')
            user = ts._aad.get(f("access_token"))
            if user is None:
                return self._unauthorized()
            if user in ts.exchange_refused:
                return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"the identity is not '
                                       b'authorized to access the registry"}]}')
            return self._json(200, {"refresh_token": ts.refresh_token_for(user, f("service"))})
        if url.path != "/oauth2/token":
            return self._send(404, b'{"errors":[{"code":"NOT_FOUND","message":"not found"}]}')
        service = f("service")
        if not service:
            return self._send(400, b'{"errors":[{"code":"BAD_REQUEST","message":"service is required"}]}')
        scopes = _split_scopes(form.get("scope", []))
        grant = f("grant_type")
        if grant == "password":
            user = ts.check_password(f("username"), f("password"))
            if user is None:
                return self._unauthorized()
            refresh = ts.refresh_token_for(user, service) if f("access_type") == "offline" else None
            return self._token_response(user, service, scopes, refresh)
        if grant == "refresh_token":
            user = ts.user_for_refresh(f("refresh_token"))
            if user is None:
                return self._unauthorized()
            return self._token_response(user, service, scopes)
        return self._send(400, b'{"errors":[{"code":"UNSUPPORTED_GRANT_TYPE","message":"unsupported grant_type"}]}')
