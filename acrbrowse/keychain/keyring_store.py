"""One credential per registry in the OS keyring, split into pieces when the secret is long.

Layout for registry R and user U, as (service, username) -> value:

    acrbrowse:R      U  -> header {"acrbrowse": 1, "kind": ..., "length": n, "chunks": 0, "secret": "..."}
                           or, for a long secret, {"acrbrowse": 1, "kind": ..., "length": n, "chunks": k}
    acrbrowse:R#1..k U  -> the secret's pieces, in order

A refresh token from Entra ID (kind "entra") also keeps, in the header, when it expires
("expires", seconds since the epoch) and the tenant it was asked for ("tenant"): never the Entra
token itself.

Windows Credential Manager caps one blob at 2,560 bytes of UTF-16 (1,280 code units) and ACR refresh
tokens run past that, so every value written stays under MAX_ENTRY_UNITS. A value that is not our
header (say one set by hand with `keyring set acrbrowse:R U`) reads as a plain password.

Every failure of the backend becomes KeyringUnavailable, whose message never holds the secret.
There is deliberately no plain-text fallback.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TypeVar

from acrbrowse import boundedjson
from acrbrowse.keychain.entra import is_tenant
from acrbrowse.keychain.errors import (
    CredentialError,
    IncompleteCredential,
    KeyringEntryCorrupt,
    KeyringUnavailable,
)
from acrbrowse.oci.credential import Credential, CredentialKind, Secret
from acrbrowse.oci.name import normalize_registry

SERVICE_PREFIX = "acrbrowse:"
# UTF-16 code units per keyring value: under Windows' 1,280 with room to spare.
MAX_ENTRY_UNITS = 1000
# Bounds the probing for stray pieces and the size we accept (100,000 characters).
MAX_CHUNKS = 100
HEADER_MARK = "acrbrowse"
FORMAT_VERSION = 1
KINDS: tuple[CredentialKind, ...] = ("password", "identity_token", "entra")
# A tenant is a GUID or a domain name: anything else in the header is ignored, never used.
SOURCE = "keyring"

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend
else:
    KeyringBackend = object  # keyring itself is imported only when a keyring is used: it is slow to import


# ---------------------------------------------------------------- pure helpers


def service_name(registry: str) -> str:
    """`acrbrowse:myregistry.azurecr.io` (Docker Hub's aliases fold to docker.io)."""
    return SERVICE_PREFIX + normalize_registry(registry)


def chunk_service_name(registry: str, index: int) -> str:
    """`acrbrowse:REG#1`, `#2`, ... for the pieces of a long secret (1-based)."""
    if index < 1:
        raise ValueError("chunk indexes start at 1")
    return f"{service_name(registry)}#{index}"


def utf16_units(text: str) -> int:
    """Length as Windows counts it: characters outside the BMP take two units."""
    return len(text.encode("utf-16-le")) // 2


def split_secret(secret: str, max_units: int = MAX_ENTRY_UNITS) -> list[str]:
    """Cut `secret` into pieces of at most `max_units` UTF-16 units, never inside a character."""
    if max_units < 2:
        raise ValueError("max_units must be at least 2 (one astral character)")
    pieces: list[str] = []
    start = units = 0
    for position, char in enumerate(secret):
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > max_units:
            pieces.append(secret[start:position])
            start, units = position, 0
        units += width
    if start < len(secret):
        pieces.append(secret[start:])
    return pieces


@dataclass(frozen=True)
class Header:
    """What the main entry says: the kind, the length, and either the secret or a piece count."""

    kind: CredentialKind
    length: int | None
    chunks: int
    secret: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    tenant: str | None = None


@dataclass(frozen=True)
class EntryLayout:
    """The values to write: the header for `acrbrowse:R`, then one value per `acrbrowse:R#i`."""

    header: str = field(repr=False)
    chunks: tuple[str, ...] = field(repr=False)


def _encode_header(kind: CredentialKind, length: int, chunks: int, secret: str | None,
                   facts: dict[str, object]) -> str:
    data: dict[str, object] = {HEADER_MARK: FORMAT_VERSION, "kind": kind, "length": length, "chunks": chunks, **facts}
    if secret is not None:
        data["secret"] = secret
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def layout_entries(secret: str, kind: CredentialKind, max_units: int = MAX_ENTRY_UNITS, *,
                   expires_at: float | None = None, tenant: str | None = None) -> EntryLayout:
    """Inline the secret in the header when the whole value fits, else split it into pieces."""
    if kind not in KINDS:
        raise ValueError(f"unknown credential kind {kind!r}")
    facts: dict[str, object] = {}
    if expires_at is not None and math.isfinite(expires_at):
        facts["expires"] = round(expires_at, 3)
    if tenant is not None and is_tenant(tenant):
        facts["tenant"] = tenant
    inline = _encode_header(kind, len(secret), 0, secret, facts)
    if utf16_units(inline) <= max_units:
        return EntryLayout(inline, ())
    pieces = split_secret(secret, max_units)
    return EntryLayout(_encode_header(kind, len(secret), len(pieces), None, facts), tuple(pieces))


def parse_header(value: str) -> Header:
    """Read the main entry. Raises ValueError (without the value in it) for a damaged header."""
    try:
        data = boundedjson.loads(value)
    except ValueError:  # also too deep: then it is a plain password, whatever it looks like
        data = None
    if not (isinstance(data, dict) and data.get(HEADER_MARK) == FORMAT_VERSION):
        return Header("password", len(value), 0, value)
    kind, length, chunks, secret = data.get("kind"), data.get("length"), data.get("chunks"), data.get("secret")
    if kind not in KINDS:
        raise ValueError("the header names an unknown kind")
    if not isinstance(chunks, int) or isinstance(chunks, bool) or not 0 <= chunks <= MAX_CHUNKS:
        raise ValueError("the header's piece count is not a small number")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 0):
        raise ValueError("the header's length is not a number")
    if chunks == 0 and not isinstance(secret, str):
        raise ValueError("the header has neither a secret nor pieces")
    expires, tenant = data.get("expires"), data.get("tenant")
    expires = _finite(expires)
    if not is_tenant(tenant):
        tenant = None
    return Header(kind, length, chunks, secret if chunks == 0 else None, expires, tenant)


def _finite(value: object) -> float | None:
    """A JSON number as a finite float, else None (a bool, nan, or an int of 400 digits)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def join_chunks(header: Header, pieces: Sequence[str]) -> str:
    """Join the pieces; ValueError when they don't add up to the header's length."""
    if len(pieces) != header.chunks:
        raise ValueError(f"expected {header.chunks} pieces, got {len(pieces)}")
    secret = "".join(pieces)
    if header.length is not None and len(secret) != header.length:
        raise ValueError("the pieces don't add up to the stored length")
    return secret


# ---------------------------------------------------------------- errors

_DBUS_MODULES = ("jeepney", "secretstorage", "dbus")


def _one_line(text: str, hide: Sequence[str], limit: int = 160) -> str:
    for secret in sorted((s for s in hide if s), key=len, reverse=True):
        text = text.replace(secret, "********")
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _reason(exc: BaseException, hide: Sequence[str]) -> str:
    """A short cause for KeyringUnavailable. Types are matched by name for the optional D-Bus libs."""
    import keyring.errors

    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, keyring.errors.NoKeyringError):
        return "no keyring backend is installed"
    if isinstance(exc, keyring.errors.KeyringLocked):
        return "the keyring is locked and was not unlocked"
    if "SecretServiceNotAvailableException" in names:
        return "no Secret Service answers on D-Bus"
    if "LockedException" in names:
        return "the keyring is locked and was not unlocked"
    if isinstance(exc, OSError) and _raised_in(exc, _DBUS_MODULES):
        return f"can't connect to the D-Bus session bus ({exc.strerror or type(exc).__name__})"
    detail = _one_line(str(exc), hide)
    if "org.freedesktop.secrets" in detail or "ServiceUnknown" in detail:
        return "a D-Bus session bus is there, but no Secret Service on it"
    if isinstance(exc, keyring.errors.InitError):
        return f"the keyring could not be opened: {detail}" if detail else "the keyring could not be opened"
    if any("DBus" in name for name in names) or type(exc).__module__.startswith(_DBUS_MODULES):
        return f"D-Bus error: {detail}" if detail else "D-Bus error"
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _raised_in(exc: BaseException, modules: tuple[str, ...]) -> bool:
    """Whether the exception came out of one of `modules` (a socket error inside jeepney is D-Bus's)."""
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(modules):
            return True
        tb = tb.tb_next
    return False


_Value = TypeVar("_Value", str, str | None)


class _Guard:
    """Turns any backend failure into KeyringUnavailable, scrubbing known secrets from the cause."""

    def __init__(self, *secrets: str) -> None:
        self._secrets = [s for s in secrets if s]

    def hide(self, value: _Value) -> _Value:
        if value:
            self._secrets.append(value)
        return value

    def __enter__(self) -> _Guard:
        return self

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc is None or isinstance(exc, CredentialError) or not isinstance(exc, Exception):
            return False
        # `from None`: the original may quote backend internals; the reason keeps what helps.
        raise KeyringUnavailable(_reason(exc, self._secrets)) from None


def _backend(backend: KeyringBackend | None) -> KeyringBackend:
    import keyring

    chosen = backend if backend is not None else keyring.get_keyring()
    module = type(chosen).__module__
    # Checked up front: both answer "nothing here" to a lookup without a username, silently.
    if module == "keyring.backends.fail":
        raise KeyringUnavailable("no keyring backend is installed")
    if module == "keyring.backends.null":
        raise KeyringUnavailable("the keyring is switched off: the null backend is selected")
    return chosen


# ---------------------------------------------------------------- store / load / delete


def store_credential(
    registry: str,
    credential: Credential,
    *,
    backend: KeyringBackend | None = None,
    replace_username: str | None = None,
) -> None:
    """Save `credential` as the one credential for `registry`.

    Any credential stored before for the registry goes, including under another username
    (`replace_username` names it for backends that can't look it up, e.g. macOS) and any
    pieces a longer secret left behind.
    """
    username = credential.username
    if not username:
        raise IncompleteCredential("a username is needed to store a credential in the keyring")
    secret = credential.secret.reveal()
    if not secret:
        raise IncompleteCredential("the secret is empty; nothing to store")
    layout = layout_entries(secret, credential.kind, expires_at=credential.expires_at, tenant=credential.tenant)
    if len(layout.chunks) > MAX_CHUNKS:
        raise CredentialError(f"the secret is too long for the keyring (over {MAX_CHUNKS * MAX_ENTRY_UNITS:,} characters)")
    service = service_name(registry)
    with _Guard(secret, *layout.chunks) as guard:
        kr = _backend(backend)
        others = {u for u in (replace_username, _first_username(kr, service)) if u and u != username}
        for other in sorted(others):
            _delete_entries(kr, registry, other)
        previous = guard.hide(kr.get_password(service, username))
        previous_count = _chunk_count(previous)
        for index, piece in enumerate(layout.chunks, start=1):
            kr.set_password(chunk_service_name(registry, index), username, piece)
        kr.set_password(service, username, layout.header)
        _delete_chunks(kr, registry, username, start=len(layout.chunks) + 1, known_count=previous_count)
        if kr.get_password(service, username) != layout.header:
            raise KeyringUnavailable("the keyring did not keep what was written to it")


def load_credential(
    registry: str,
    username: str | None = None,
    *,
    backend: KeyringBackend | None = None,
) -> Credential | None:
    """The stored credential for `registry` (any username when None and the backend can search)."""
    service = service_name(registry)
    with _Guard() as guard:
        kr = _backend(backend)
        if username is None:
            found = kr.get_credential(service, None)
            if found is None or found.username is None or found.password is None:
                return None
            user, value = found.username, guard.hide(found.password)
        else:
            user, stored = username, guard.hide(kr.get_password(service, username))
            if stored is None:
                return None
            value = stored
        try:
            header = parse_header(value)
        except ValueError as exc:
            raise _damaged(registry, str(exc)) from None
        if header.chunks == 0:
            secret = header.secret or ""
        else:
            pieces = []
            for index in range(1, header.chunks + 1):
                piece = guard.hide(kr.get_password(chunk_service_name(registry, index), user))
                if piece is None:
                    raise _damaged(registry, f"piece {index} of {header.chunks} is missing", "incomplete")
                pieces.append(piece)
            try:
                secret = join_chunks(header, pieces)
            except ValueError as exc:
                raise _damaged(registry, str(exc)) from None
    return Credential(user, Secret(secret), header.kind, source=SOURCE, expires_at=header.expires_at,
                      tenant=header.tenant)


def _damaged(registry: str, why: str, what: str = "damaged") -> KeyringEntryCorrupt:
    return KeyringEntryCorrupt(f"the keyring entry for {normalize_registry(registry)} is {what} ({why}); log in again")


def delete_credential(
    registry: str,
    username: str | None = None,
    *,
    backend: KeyringBackend | None = None,
) -> bool:
    """Remove the registry's credential and all its pieces. True when something was removed."""
    service = service_name(registry)
    with _Guard():
        kr = _backend(backend)
        users = [username] if username else [u for u in [_first_username(kr, service)] if u]
        removed = False
        for user in users:
            removed = _delete_entries(kr, registry, user) or removed
        return removed


def _first_username(kr: KeyringBackend, service: str) -> str | None:
    found = kr.get_credential(service, None)
    return found.username if found is not None else None


def _chunk_count(value: str | None) -> int:
    if value is None:
        return 0
    try:
        return parse_header(value).chunks
    except ValueError:
        return 0


def _delete_entries(kr: KeyringBackend, registry: str, username: str) -> bool:
    # Pieces first: a header whose pieces are gone says "log in again"; pieces without a header
    # would sit in the keyring unseen.
    service = service_name(registry)
    value = kr.get_password(service, username)
    removed = _delete_chunks(kr, registry, username, start=1, known_count=_chunk_count(value))
    if value is not None:
        _delete_one(kr, service, username)
        removed = True
    return removed


def _delete_chunks(kr: KeyringBackend, registry: str, username: str, *, start: int, known_count: int) -> bool:
    """Delete pieces from `start` up to `known_count`, then any further ones left by a crash."""
    removed = False
    for index in range(start, MAX_CHUNKS + 2):
        service = chunk_service_name(registry, index)
        if kr.get_password(service, username) is None:
            if index > known_count:
                break
            continue
        _delete_one(kr, service, username)
        removed = True
    return removed


def _delete_one(kr: KeyringBackend, service: str, username: str) -> None:
    import keyring.errors

    # gone already (another process logged out at the same moment)
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        kr.delete_password(service, username)
