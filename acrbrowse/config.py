"""The non-secret facts in config.json: stored logins (registry -> username, kind), recent
registries, repositories visited per registry. Secrets never come here: no method takes one.

Every call reads the file afresh and writes it whole and atomically (temp file + os.replace), so
two acrbrowse processes can't leave half a file; the last writer wins. Keys this module doesn't
own are kept as they are, so other parts of acrbrowse can keep their settings in the same file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acrbrowse.keychain.errors import SettingsError
from acrbrowse.keychain.localfile import LocalFileError, read_json_object
from acrbrowse.locations import config_file
from acrbrowse.oci.credential import CredentialKind
from acrbrowse.oci.name import normalize_registry

RECENT_REGISTRIES_MAX = 20
VISITED_REPOSITORIES_MAX = 50
FORMAT_VERSION = 1

_LOGINS = "stored_logins"
_RECENT = "recent_registries"
_VISITED = "visited_repositories"


@dataclass(frozen=True)
class StoredLogin:
    """A registry whose credential is in the keyring, and under which username."""

    registry: str
    username: str
    kind: CredentialKind = "password"


class Settings:
    """config.json under the platform config dir (or `path`)."""

    def __init__(self, path: Path | None = None, *, env: Mapping[str, str] = os.environ) -> None:
        self.path = Path(path) if path is not None else config_file(env)

    # -- stored logins (the keyring's index: macOS can't list a service's usernames)

    def stored_logins(self) -> dict[str, StoredLogin]:
        logins: dict[str, StoredLogin] = {}
        for registry, entry in _section(self.document(), _LOGINS, dict).items():
            if isinstance(entry, dict) and isinstance(entry.get("username"), str) and entry["username"]:
                kind: CredentialKind = "identity_token" if entry.get("kind") == "identity_token" else "password"
                logins[registry] = StoredLogin(registry, entry["username"], kind)
        return logins

    def stored_login(self, registry: str) -> StoredLogin | None:
        return self.stored_logins().get(normalize_registry(registry))

    def record_stored_login(self, registry: str, username: str, kind: CredentialKind = "password") -> None:
        registry = normalize_registry(registry)

        def change(doc: dict[str, Any]) -> None:
            _section(doc, _LOGINS, dict, create=True)[registry] = {"username": username, "kind": kind}

        self._update(change)

    def forget_stored_login(self, registry: str) -> bool:
        registry = normalize_registry(registry)
        if registry not in self.stored_logins():
            return False
        self._update(lambda doc: _section(doc, _LOGINS, dict, create=True).pop(registry, None))
        return True

    # -- recent registries, most recent first

    def recent_registries(self) -> list[str]:
        return [r for r in _section(self.document(), _RECENT, list) if isinstance(r, str)]

    def record_recent_registry(self, registry: str) -> None:
        registry = normalize_registry(registry)

        def change(doc: dict[str, Any]) -> None:
            doc[_RECENT] = _most_recent_first(_section(doc, _RECENT, list), registry, RECENT_REGISTRIES_MAX)

        self._update(change)

    # -- repositories visited, per registry, most recent first

    def visited_repositories(self, registry: str) -> list[str]:
        visited = _section(self.document(), _VISITED, dict).get(normalize_registry(registry))
        return [r for r in visited if isinstance(r, str)] if isinstance(visited, list) else []

    def record_visited_repository(self, registry: str, repository: str) -> None:
        registry = normalize_registry(registry)
        if not repository:
            raise ValueError("empty repository name")

        def change(doc: dict[str, Any]) -> None:
            visited = _section(doc, _VISITED, dict, create=True)
            previous = visited.get(registry)
            visited[registry] = _most_recent_first(
                previous if isinstance(previous, list) else [], repository, VISITED_REPOSITORIES_MAX
            )

        self._update(change)

    # -- the file

    def document(self) -> dict[str, Any]:
        """The whole file as a dict ({} when there is none). Raises SettingsError, one line,
        when it is unreadable, not UTF-8, not a JSON object, too deep, too big or not a file."""
        try:
            doc = read_json_object(self.path)
        except LocalFileError as exc:
            raise SettingsError(f"{exc}; fix or delete it") from None
        return doc if doc is not None else {}

    def _update(self, change: Any) -> None:
        doc = self.document()
        change(doc)
        doc["version"] = FORMAT_VERSION
        write_json_atomically(self.path, doc)


def write_json_atomically(path: Path, doc: Mapping[str, Any]) -> None:
    """Write a temp file beside `path`, fsync it, then os.replace: readers see old or new, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise SettingsError(f"can't write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise SettingsError(f"can't write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _section(doc: dict[str, Any], key: str, kind: type, *, create: bool = False) -> Any:
    """doc[key] when it has the right type; a fresh empty one otherwise (stored when `create`)."""
    value = doc.get(key)
    if isinstance(value, kind):
        return value
    value = kind()
    if create:
        doc[key] = value
    return value


def _most_recent_first(items: list[Any], newest: str, cap: int) -> list[str]:
    return [newest, *(i for i in items if isinstance(i, str) and i != newest)][:cap]
