"""config.json, the one file of the user's non-secret settings, and the one model of it (`Config`):

- `stored_logins`: registry -> username and kind whose secret `acrbrowse login` put in the OS
  keyring (the keyring's index: macOS can't list a service's usernames). Never a secret: no
  method takes one.
- `recent_registries`: most recent first; `visited_repositories`: per registry, most recent first,
  the repositories visited anonymously (and, from before they were kept per user, by anyone);
  `visited_repositories_by_user`: per registry, per username, most recent first.
- `keymap`: binding id -> keys, e.g. {"acrbrowse.copy_digest": "y", "acrbrowse.quit": "ctrl+q"}.
- `theme`: a Textual theme name, e.g. "nord".

Every call reads the file afresh and writes it whole and atomically (localfile.write_json_atomically),
so two acrbrowse processes can't leave half a file; the last writer wins. Keys this module doesn't
own are kept as they are. The file is local input anyone with the user's rights may have written:
it is read through the bounded reader, and a value of the wrong shape is ignored, never trusted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acrbrowse.localfile import LocalFileError, read_json_object, write_json_atomically
from acrbrowse.locations import config_file
from acrbrowse.oci.credential import CredentialKind
from acrbrowse.oci.errors import Hint
from acrbrowse.oci.name import normalize_registry
from acrbrowse.present.safe import terminal_safe

RECENT_REGISTRIES_MAX = 20
VISITED_REPOSITORIES_MAX = 50
KEYMAP_TEXT_MAX = 100  # characters of a binding id or of its keys ("ctrl+q,f10")
FORMAT_VERSION = 1

_LOGINS = "stored_logins"
_RECENT = "recent_registries"
_VISITED = "visited_repositories"
_VISITED_BY_USER = "visited_repositories_by_user"
_KEYMAP = "keymap"
_THEME = "theme"
_THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


class ConfigError(Exception):
    """config.json can't be read or written. str(error) is one line for a person (the path and
    what is wrong); `hint` is the way out as data, as on the registry's and the keychain's errors."""

    def __init__(self, message: str, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class StoredLogin:
    """A registry whose credential is in the keyring, and under which username."""

    registry: str
    username: str
    kind: CredentialKind = "password"


class Config:
    """config.json under the platform config dir ($ACRBROWSE_CONFIG_DIR when set), or `path`."""

    def __init__(self, path: Path | None = None, *, env: Mapping[str, str] = os.environ) -> None:
        self.path = Path(path) if path is not None else config_file(env)

    def __repr__(self) -> str:
        return f"Config({str(self.path)!r})"

    # -- stored logins (the keyring's index)

    def stored_logins(self) -> dict[str, StoredLogin]:
        logins: dict[str, StoredLogin] = {}
        for registry, entry in _section(self.document(), _LOGINS, dict).items():
            if isinstance(entry, dict) and isinstance(entry.get("username"), str) and entry["username"]:
                kind: CredentialKind = entry["kind"] if entry.get("kind") in ("identity_token", "entra") else "password"
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

    # -- repositories visited, per registry and user, most recent first

    def visited_repositories(self, registry: str, username: str | None = None) -> list[str]:
        """What `username` (None: anonymous) visited: one user is never offered another's. The
        anonymous lists are where every visit went before visits were kept per user."""
        doc, registry = self.document(), normalize_registry(registry)
        if username:
            visited = _section(_section(doc, _VISITED_BY_USER, dict), registry, dict).get(username)
        else:
            visited = _section(doc, _VISITED, dict).get(registry)
        return [r for r in visited if isinstance(r, str)] if isinstance(visited, list) else []

    def record_visited_repository(self, registry: str, repository: str, username: str | None = None) -> None:
        registry = normalize_registry(registry)
        if not repository:
            raise ValueError("empty repository name")

        def change(doc: dict[str, Any]) -> None:
            if username:
                visited = _section(_section(doc, _VISITED_BY_USER, dict, create=True), registry, dict, create=True)
                key = username
            else:
                visited, key = _section(doc, _VISITED, dict, create=True), registry
            previous = visited.get(key)
            visited[key] = _most_recent_first(
                previous if isinstance(previous, list) else [], repository, VISITED_REPOSITORIES_MAX
            )

        self._update(change)

    # -- how the browser looks and which keys it answers

    def keymap(self) -> dict[str, str]:
        """Binding id -> keys, for App.set_keymap. An entry is kept only when both are non-blank
        strings of at most KEYMAP_TEXT_MAX characters with nothing a terminal would act on (control,
        bidi or invisible characters): the keys are shown in the footer and the help screen."""
        keymap = _section(self.document(), _KEYMAP, dict)
        return {k: v for k, v in keymap.items() if _plain_text(k) and _plain_text(v)}

    def theme(self) -> str | None:
        """The Textual theme named by "theme" when it looks like a theme name (letters, digits and
        dashes, at most 64); None otherwise. Whether such a theme exists is the app's to check."""
        name = self.document().get(_THEME)
        return name if isinstance(name, str) and _THEME_NAME.fullmatch(name) else None

    def record_theme(self, name: str) -> None:
        """Remember the theme picked in the browser (its command palette), for the next run."""
        if not _THEME_NAME.fullmatch(name):
            raise ValueError(f"not a theme name: {name!r}")
        self._update(lambda doc: doc.__setitem__(_THEME, name))

    # -- the file

    def document(self) -> dict[str, Any]:
        """The whole file as a dict ({} when there is none). Raises ConfigError, one line, when it
        is unreadable, not UTF-8, not a JSON object, too deep, too big or not a file."""
        try:
            doc = read_json_object(self.path)
        except LocalFileError as exc:
            raise ConfigError(f"{exc}; fix or delete it") from None
        return doc if doc is not None else {}

    def _update(self, change: Callable[[dict[str, Any]], object]) -> None:
        doc = self.document()
        change(doc)
        doc["version"] = FORMAT_VERSION
        try:
            write_json_atomically(self.path, doc)
        except OSError as exc:
            raise ConfigError(f"can't write {self.path}: {exc.strerror or exc}") from None


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


def _plain_text(value: object) -> bool:
    return (isinstance(value, str) and bool(value.strip()) and len(value) <= KEYMAP_TEXT_MAX
            and terminal_safe(value) == value)


__all__ = [
    "FORMAT_VERSION",
    "RECENT_REGISTRIES_MAX",
    "VISITED_REPOSITORIES_MAX",
    "Config",
    "ConfigError",
    "StoredLogin",
]
