"""A disk cache for what cannot change: manifests and configs addressed by digest.

Each entry is one file named by its digest, holding the media type on the first line and the
exact bytes after it. Entries are written atomically (temp file + rename), so concurrent
writers and interrupted writes never leave a half file under a real name; every read is
verified against the digest, and a bad entry is deleted and reported as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from acrbrowse.registry.challenge import Challenge

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
MAX_ENTRY_BYTES = 4 * 1024 * 1024


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0
    rejected: int = 0  # entries that failed verification and were removed


class ContentCache:
    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._written_since_trim = 0

    def _path(self, digest: str) -> Path | None:
        algorithm, _, hex_part = digest.partition(":")
        if algorithm not in ("sha256", "sha512") or not hex_part or not all(c in "0123456789abcdef" for c in hex_part):
            return None
        return self.root / algorithm / hex_part[:2] / hex_part

    def get(self, digest: str) -> tuple[str, bytes] | None:
        """(media type, bytes) for `digest`, verified; None on a miss."""
        path = self._path(digest)
        if path is None:
            return None
        try:
            blob = path.read_bytes()
        except OSError:
            self.stats.misses += 1
            return None
        media_type, newline, data = blob.partition(b"\n")
        algorithm = digest.split(":", 1)[0]
        if not newline or f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}" != digest:
            self.stats.rejected += 1
            self.stats.misses += 1
            path.unlink(missing_ok=True)
            return None
        self.stats.hits += 1
        return media_type.decode("ascii", "replace"), data

    def put(self, digest: str, media_type: str, data: bytes) -> None:
        """Store verified content. Failures are ignored: the cache only ever saves a request."""
        path = self._path(digest)
        if path is None or len(data) > MAX_ENTRY_BYTES or "\n" in media_type or path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(media_type.encode("ascii", "replace") + b"\n" + data)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.stats.writes += 1
        self._written_since_trim += len(data)
        if self._written_since_trim > self.max_bytes // 10:
            self.trim()

    def trim(self) -> None:
        """Delete the least recently written entries until the cache is under 80% of its cap."""
        self._written_since_trim = 0
        entries = []
        for path in self.root.glob("*/*/*"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
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
    the first request of a run can carry a token instead of spending a round trip on a 401."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, registry: str) -> Challenge | None:
        entry = self._read().get(registry)
        if not isinstance(entry, dict) or entry.get("scheme") not in ("bearer", "basic"):
            return None
        params = {k: str(entry[k]) for k in ("realm", "service") if isinstance(entry.get(k), str)}
        if entry["scheme"] == "bearer" and not params.get("realm"):
            return None
        return Challenge(entry["scheme"], params)

    def put(self, registry: str, challenge: Challenge | None) -> None:
        if challenge is None:
            return
        entry = {"scheme": challenge.scheme, **{k: challenge.params[k] for k in ("realm", "service") if k in challenge.params}}
        data = self._read()
        if data.get(registry) != entry:
            data[registry] = entry
            self._write(data)

    def forget(self, registry: str) -> None:
        data = self._read()
        if data.pop(registry, None) is not None:
            self._write(data)

    def _write(self, data: dict) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w") as file:
                json.dump(data, file)
            os.replace(temp, self.path)
        except OSError:
            return
