"""The one place that decides which credential a registry gets, and which registries we know.

Order: command line, environment, keyring, Docker's config, else None (anonymous). Only the
command line is fatal when wrong; every other source that fails is skipped with a note the caller
can show under --verbose, so a locked keyring or a broken docker helper never blocks browsing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from acrbrowse.config import Config, ConfigError
from acrbrowse.keychain.docker_config import (
    HELPER_TIMEOUT,
    SOURCE_FILE,
    docker_credential,
    docker_known_registries,
)
from acrbrowse.keychain.errors import (
    CredentialHelperError,
    DockerConfigError,
    IncompleteCredential,
    KeyringEntryCorrupt,
    KeyringUnavailable,
)
from acrbrowse.keychain.keyring_store import KeyringBackend, load_credential
from acrbrowse.localfile import report_unusable
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import Hint
from acrbrowse.oci.name import normalize_registry

ENV_USERNAME = "ACRBROWSE_USERNAME"
ENV_PASSWORD = "ACRBROWSE_PASSWORD"
SOURCE_COMMAND_LINE = "command line"
SOURCE_ENVIRONMENT = "environment"
SOURCE_KEYRING = "keyring"
SOURCE_RECENT = "recent"


def resolve(
    registry: str,
    *,
    username: str | None = None,
    password: Secret | None = None,
    env: Mapping[str, str] = os.environ,
    notes: list[str] | None = None,
    warnings: list[str] | None = None,
    keyring_backend: KeyringBackend | None = None,
    settings: Config | None = None,
    helper_timeout: float = HELPER_TIMEOUT,
) -> Credential | None:
    """The credential to use for `registry`, labelled with its source in `Credential.source`.

    `username` without `password` narrows the search to that user. The keyring is asked only
    about registries that `acrbrowse login` stored (the settings index) or for an explicit
    username, so browsing a public registry never pops an unlock prompt. Skipped sources add a
    line to `notes`; a settings or Docker config file that can't be used adds one to `warnings`
    when that is given (else to `notes`). Raises IncompleteCredential for a password without a
    username or an empty one, and InvalidReference for a registry name that isn't one.
    """
    registry = normalize_registry(registry)
    if password is not None:
        if not username:
            raise IncompleteCredential("a password was given without a username", Hint.GIVE_USERNAME)
        if not password:
            raise IncompleteCredential("the password given is empty")
        return Credential(username, password, "password", source=SOURCE_COMMAND_LINE)

    env_username, env_password = env.get(ENV_USERNAME) or None, env.get(ENV_PASSWORD) or None
    if env_password:
        chosen = env_username or username
        if chosen and (username is None or chosen == username):
            return Credential(chosen, Secret(env_password), "password", source=SOURCE_ENVIRONMENT)
        if not chosen:
            _note(notes, f"{ENV_PASSWORD} is set but {ENV_USERNAME} is not; ignoring it")
        else:
            _note(notes, f"{ENV_USERNAME} is {env_username!r}, not {username!r}; ignoring the environment")
    elif env_username:
        _note(notes, f"{ENV_USERNAME} is set without {ENV_PASSWORD}; ignoring it")

    settings = settings if settings is not None else Config(env=env)
    keyring_username = username
    if keyring_username is None:
        try:
            stored = settings.stored_login(registry)
        except ConfigError as exc:
            report_unusable(str(exc), notes, warnings)
            stored = None
        keyring_username = stored.username if stored else None
    if keyring_username is not None:
        try:
            credential = load_credential(registry, keyring_username, backend=keyring_backend)
        except KeyringUnavailable as exc:
            _note(notes, f"keyring skipped: {exc}")
        except KeyringEntryCorrupt as exc:
            _note(notes, f"keyring skipped: {exc}")
        else:
            if credential is not None:
                return credential
            _note(notes, f"the keyring has no credential for {keyring_username} on {registry}")

    try:
        credential = docker_credential(registry, env=env, timeout=helper_timeout)
    except CredentialHelperError as exc:
        _note(notes, f"docker config skipped: {exc}")
    except DockerConfigError as exc:
        report_unusable(str(exc), notes, warnings)
    else:
        if credential is not None:
            if username is None or credential.username == username:
                return credential
            _note(notes, f"{credential.source} has {credential.username!r} for {registry}, not {username!r}; not using it")

    _note(notes, f"no credential for {registry}; trying anonymous access")
    return None


@dataclass(frozen=True)
class KnownRegistry:
    """A registry for the start screen, with where we know it from ("recent", "keyring",
    "docker config", "docker-credential-NAME") and the username when one is known."""

    registry: str
    sources: tuple[str, ...]
    username: str | None = None


def known_registries(
    env: Mapping[str, str] = os.environ,
    *,
    notes: list[str] | None = None,
    warnings: list[str] | None = None,
    settings: Config | None = None,
    include_helper_list: bool = True,
    helper_timeout: float = HELPER_TIMEOUT,
) -> list[KnownRegistry]:
    """Recent registries first (most recent first), then stored logins, then Docker's.

    Reads the settings index rather than the keyring itself, so it never prompts for an unlock.
    """
    settings = settings if settings is not None else Config(env=env)
    found: dict[str, KnownRegistry] = {}

    def add(registry: str, source: str, username: str | None) -> None:
        known = found.get(registry)
        if known is None:
            found[registry] = KnownRegistry(registry, (source,), username)
        elif source not in known.sources:
            found[registry] = KnownRegistry(registry, (*known.sources, source), known.username or username)

    try:
        recent = settings.recent_registries()
        logins = settings.stored_logins()
    except ConfigError as exc:
        report_unusable(str(exc), notes, warnings)
        recent, logins = [], {}
    for registry in recent:
        add(registry, SOURCE_RECENT, None)
    for registry in sorted(logins):
        add(registry, SOURCE_KEYRING, logins[registry].username)
    for entry in docker_known_registries(
        env, include_helper_list=include_helper_list, timeout=helper_timeout, notes=notes, warnings=warnings
    ):
        add(entry.registry, entry.source, entry.username)
    return list(found.values())


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)


__all__ = [
    "ENV_PASSWORD",
    "ENV_USERNAME",
    "KnownRegistry",
    "SOURCE_COMMAND_LINE",
    "SOURCE_ENVIRONMENT",
    "SOURCE_FILE",
    "SOURCE_KEYRING",
    "known_registries",
    "resolve",
]
