"""A disk cache for what cannot change: manifests and configs addressed by digest.

Each entry is one file named by its digest, holding the media type on the first line and the
exact bytes after it. Entries are written atomically (temp file + rename), so concurrent
writers and interrupted writes never leave a half file under a real name; every read is
verified against the digest, and a bad entry is deleted and reported as a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path

from acrbrowse import boundedjson
from acrbrowse.limits import CONFIG_BYTES, MANIFEST_BYTES, SETTINGS_FILE_BYTES
from acrbrowse.localfile import write_atomically, write_json_atomically
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.name import is_loopback_host
from acrbrowse.oci.remote.auth import http_url, realm_may_see_secret
from acrbrowse.oci.remote.challenge import Challenge
from acrbrowse.regularfile import read_capped

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
MAX_ENTRY_BYTES = CONFIG_BYTES  # the largest kind kept: a config blob (a manifest is at most 4 MiB)
MAX_MEDIA_TYPE = 255  # RFC 6838's bound on a media type name
_MEDIA_TYPE = re.compile(rb"[\x21-\x7e]{1,255}")  # the first line of an entry: visible ASCII


def read_regular(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a symlink, FIFO or device) of at most
    `max_bytes`; None otherwise. Never blocks on a FIFO, never reads past the cap."""
    try:
        return read_capped(path, max_bytes, follow_symlinks=False)
    except (OSError, ValueError):
        return None


class ContentCache:
    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._written_since_trim = 0

    def _path(self, digest: str) -> Path | None:
        algorithm, _, hex_part = digest.partition(":")
        if algorithm not in ("sha256", "sha512") or not hex_part or not all(c in "0123456789abcdef" for c in hex_part):
            return None
        return self.root / algorithm / hex_part[:2] / hex_part

    def get(self, digest: str, *, max_bytes: int = MANIFEST_BYTES) -> tuple[str, bytes] | None:
        """(media type, bytes) for `digest`, verified; None on a miss. Only a regular file of at most
        `max_bytes` of content (the cap of its kind) is read."""
        path = self._path(digest)
        if path is None:
            return None
        if not os.path.lexists(path):
            return None
        blob = read_regular(path, MAX_MEDIA_TYPE + 1 + max_bytes)
        media_type, newline, data = (blob or b"").partition(b"\n")
        algorithm = digest.split(":", 1)[0]
        if (blob is None or not newline or not _MEDIA_TYPE.fullmatch(media_type) or len(data) > max_bytes
                or f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}" != digest):
            # A symlink is removed, not its target; a directory, or no right to remove it, stays a miss.
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            return None
        return media_type.decode("ascii"), data

    def put(self, digest: str, media_type: str, data: bytes) -> None:
        """Store verified content. Failures are ignored: the cache only ever saves a request."""
        path = self._path(digest)
        if (path is None or len(data) > MAX_ENTRY_BYTES or not _MEDIA_TYPE.fullmatch(media_type.encode("utf-8", "replace"))
                or os.path.lexists(path)):
            return
        try:
            write_atomically(path, media_type.encode("ascii") + b"\n" + data, durable=False)
        except OSError:
            return
        self._written_since_trim += len(data)
        if self._written_since_trim > self.max_bytes // 10:
            self.trim()

    def trim(self) -> None:
        """Delete the least recently written entries until the cache is under 80% of its cap."""
        self._written_since_trim = 0
        entries = []
        for path in self.root.glob("*/*/*"):
            try:
                info = path.lstat()
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(entries):
            path.unlink(missing_ok=True)
            total -= size
            if total <= self.max_bytes * 0.8:
                return


class ChallengeMemo:
    """Each registry's auth challenge (scheme, realm, service: nothing secret), kept between runs so
    the first request of a run can carry a token instead of spending a round trip on a 401. Written
    like config.json (localfile.write_json_atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict:
        raw = read_regular(self.path, SETTINGS_FILE_BYTES)
        try:
            data = boundedjson.loads(raw) if raw is not None else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, registry: str) -> Challenge | None:
        """The remembered challenge, if it would still be followed: a file anyone could have written
        must not send a credential where the registry itself could not (see auth.realm_may_see_secret)."""
        entry = self._read().get(registry)
        if not isinstance(entry, dict) or entry.get("scheme") not in ("bearer", "basic"):
            return None
        params = {k: entry[k] for k in ("realm", "service") if isinstance(entry.get(k), str) and len(entry[k]) <= 2048}
        if entry["scheme"] == "bearer":
            try:
                realm = http_url(params.get("realm", ""), "a remembered token service")
            except RegistryError:
                return None
            if not realm_may_see_secret(realm, is_loopback_host(registry)):
                return None
        return Challenge(entry["scheme"], params)

    def put(self, registry: str, challenge: Challenge | None) -> None:
        if challenge is None:
            return
        entry: dict[str, str] = {"scheme": challenge.scheme,
                                 **{k: challenge.params[k] for k in ("realm", "service") if k in challenge.params}}
        data = self._read()
        if data.get(registry) != entry:
            data[registry] = entry
            self._write(data)

    def forget(self, registry: str) -> None:
        data = self._read()
        if data.pop(registry, None) is not None:
            self._write(data)

    def _write(self, data: dict) -> None:
        # Only a memo: a write that fails (read-only cache folder, full disk) is skipped.
        with contextlib.suppress(OSError, ValueError):
            write_json_atomically(self.path, data)
