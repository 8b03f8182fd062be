"""The one place that decides which credential a registry gets, and which registries we know.

Order: command line, environment, keyring (including a stored Entra ID sign-in, exchanged again
when its refresh token expires), Docker's config, Podman's auth files, then Entra ID for an Azure Container Registry
when nothing else was found, else None (anonymous). Only the command line is fatal when wrong;
every other source that fails is skipped with a note the caller can show under --verbose, so a
locked keyring or a broken docker helper never blocks browsing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from acrbrowse.config import Config, ConfigError
from acrbrowse.keychain.docker_config import (
    HELPER_TIMEOUT,
    SOURCE_FILE,
    docker_credential,
    docker_known_registries,
)
from acrbrowse.keychain.entra import ENTRA_TIMEOUT, entra_available, is_acr_host
from acrbrowse.keychain.errors import (
    CredentialError,
    CredentialHelperError,
    DockerConfigError,
    IncompleteCredential,
    KeyringEntryCorrupt,
    KeyringUnavailable,
)
from acrbrowse.keychain.keyring_store import KeyringBackend, load_credential
from acrbrowse.keychain.logins import save_login
from acrbrowse.keychain.podman import SOURCE as SOURCE_PODMAN
from acrbrowse.keychain.podman import podman_credential, podman_known_registries
from acrbrowse.localfile import report_unusable
from acrbrowse.oci.credential import RENEW_MARGIN, Credential, Secret
from acrbrowse.oci.errors import Hint, RegistryError
from acrbrowse.oci.name import normalize_registry

ENV_USERNAME = "ACRBROWSE_USERNAME"
ENV_PASSWORD = "ACRBROWSE_PASSWORD"
SOURCE_COMMAND_LINE = "command line"
SOURCE_ENVIRONMENT = "environment"
SOURCE_KEYRING = "keyring"
SOURCE_RECENT = "recent"
SOURCE_ENTRA_LOGIN = "Entra ID (user or app)"  # a stored `login --azure`, as `logins` and the start screen say
# Entra ID tried for an ACR host with nothing else found: a short wait, then anonymous.
IMPLICIT_ENTRA_TIMEOUT = 10.0

# (registry, tenant, timeout) -> a fresh Credential of kind "entra": the Session's exchange, which
# knows how to reach the registry (TLS, plain HTTP, deadlines).
EntraExchange = Callable[[str, "str | None", float], Credential]


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
    entra: EntraExchange | None = None,
) -> Credential | None:
    """The credential to use for `registry`, labelled with its source in `Credential.source`.

    `entra` gets a new ACR refresh token from Entra ID: for a stored Entra ID sign-in whose token
    has expired, and for an ACR host with no other credential (only when `az` is on PATH or
    azure-identity is installed). Without it, neither is tried.

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
    entra_tried = False  # a stored Entra ID sign-in that could not be renewed is not tried twice
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
            if credential is not None and credential.kind == "entra":
                entra_tried = credential.expired(time.time(), RENEW_MARGIN)
                renewed = _stored_entra(registry, credential, entra, env=env, notes=notes, warnings=warnings,
                                        keyring_backend=keyring_backend, settings=settings)
                if renewed is not None:
                    return renewed
            elif credential is not None:
                return credential
            else:
                _note(notes, f"the keyring has no credential for {keyring_username} on {registry}")

    try:
        credential = docker_credential(registry, env=env, timeout=helper_timeout)
    except CredentialHelperError as exc:
        _note(notes, f"docker config skipped: {exc}")
    except DockerConfigError as exc:
        report_unusable(str(exc), notes, warnings)
    else:
        if _for_user(credential, username, registry, notes):
            return credential

    try:
        credential = podman_credential(registry, env=env)
    except DockerConfigError as exc:
        report_unusable(str(exc), notes, warnings)
    else:
        if _for_user(credential, username, registry, notes):
            return credential

    if entra is not None and not entra_tried and username is None and is_acr_host(registry) and entra_available(env):
        try:
            return entra(registry, None, IMPLICIT_ENTRA_TIMEOUT)
        except (CredentialError, RegistryError) as exc:
            _note(notes, f"Entra ID skipped: {exc}")

    _note(notes, f"no credential for {registry}; trying anonymous access")
    return None


def _stored_entra(registry: str, credential: Credential, entra: EntraExchange | None, *, env: Mapping[str, str],
                  notes: list[str] | None, warnings: list[str] | None, keyring_backend: KeyringBackend | None,
                  settings: Config) -> Credential | None:
    """A stored `login --azure`: its refresh token while it lasts, else a new one from Entra ID,
    kept in the keyring in its place. None (with a warning: the user chose this) when it can't be had."""
    if not credential.expired(time.time(), RENEW_MARGIN):
        return replace(credential, source=f"keyring ({SOURCE_ENTRA_LOGIN})")
    if entra is None:
        _note(notes, f"the stored Entra ID sign-in for {registry} has expired")
        return None
    try:
        renewed = entra(registry, credential.tenant, ENTRA_TIMEOUT)
    except (CredentialError, RegistryError) as exc:
        report_unusable(f"the Entra ID sign-in for {registry} expired and could not be renewed: {exc}", notes, warnings)
        return None
    try:
        save_login(registry, renewed, env=env, backend=keyring_backend, settings=settings)
    except (CredentialError, ConfigError) as exc:
        _note(notes, f"the renewed Entra ID sign-in for {registry} was not kept: {exc}")
    _note(notes, f"the Entra ID sign-in for {registry} had expired: exchanged a new token")
    return renewed


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
    """Recent registries first (most recent first), then stored logins, then Docker's, then Podman's.

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
        if logins[registry].kind == "entra":
            add(registry, SOURCE_ENTRA_LOGIN, None)
        else:
            add(registry, SOURCE_KEYRING, logins[registry].username)
    for entry in docker_known_registries(
        env, include_helper_list=include_helper_list, timeout=helper_timeout, notes=notes, warnings=warnings
    ):
        add(entry.registry, entry.source, entry.username)
    for registry, username in podman_known_registries(env, notes=notes):
        add(registry, SOURCE_PODMAN, username)
    return list(found.values())


def stored_entra_login(registry: str, settings: Config) -> bool:
    """Whether `login --azure` is what the keyring keeps for `registry`."""
    try:
        login = settings.stored_login(registry)
    except ConfigError:
        return False
    return login is not None and login.kind == "entra"


def _for_user(credential: Credential | None, username: str | None, registry: str,
              notes: list[str] | None) -> bool:
    """A credential found in a file is used when no username was asked for, or it is that user's."""
    if credential is None:
        return False
    if username is None or credential.username == username:
        return True
    _note(notes, f"{credential.source} has {credential.username!r} for {registry}, not {username!r}; not using it")
    return False


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)


__all__ = [
    "ENV_PASSWORD",
    "ENV_USERNAME",
    "KnownRegistry",
    "SOURCE_COMMAND_LINE",
    "SOURCE_ENTRA_LOGIN",
    "SOURCE_ENVIRONMENT",
    "SOURCE_FILE",
    "SOURCE_KEYRING",
    "known_registries",
    "resolve",
]
