"""Where a registry's credential comes from: command line, environment, OS keyring, Docker's config.

Never imports textual. Everything is synchronous (keyring and helper processes are); the UI runs
it in a thread worker.
"""

from acrbrowse.keychain.docker_config import DockerConfig, docker_credential, docker_known_registries
from acrbrowse.keychain.errors import (
    CredentialError,
    CredentialHelperError,
    DockerConfigError,
    IncompleteCredential,
    KeyringEntryCorrupt,
    KeyringUnavailable,
)
from acrbrowse.keychain.keyring_store import delete_credential, load_credential, store_credential
from acrbrowse.keychain.logins import remove_login, save_login
from acrbrowse.keychain.resolver import ENV_PASSWORD, ENV_USERNAME, KnownRegistry, known_registries, resolve

__all__ = [
    "ENV_PASSWORD",
    "ENV_USERNAME",
    "CredentialError",
    "CredentialHelperError",
    "DockerConfig",
    "DockerConfigError",
    "IncompleteCredential",
    "KeyringEntryCorrupt",
    "KeyringUnavailable",
    "KnownRegistry",
    "delete_credential",
    "docker_credential",
    "docker_known_registries",
    "known_registries",
    "load_credential",
    "remove_login",
    "resolve",
    "save_login",
    "store_credential",
]
