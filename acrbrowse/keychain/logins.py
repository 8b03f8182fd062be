"""`acrbrowse login` / `logout`: the secret into the keyring, the non-secret facts into config.json
(acrbrowse.config.Config, passed as `settings`).

Keyring first, config.json second: the index never lists a registry whose secret wasn't stored.
Unlike resolve(), a keyring that can't be used is an error here (KeyringUnavailable).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from acrbrowse.config import Config
from acrbrowse.keychain.keyring_store import KeyringBackend, delete_credential, store_credential
from acrbrowse.oci.credential import Credential


def save_login(
    registry: str,
    credential: Credential,
    *,
    env: Mapping[str, str] = os.environ,
    backend: KeyringBackend | None = None,
    settings: Config | None = None,
) -> None:
    """Store `credential` for `registry`, replacing whatever was stored for it before."""
    settings = settings if settings is not None else Config(env=env)
    previous = settings.stored_login(registry)
    store_credential(
        registry, credential, backend=backend, replace_username=previous.username if previous else None
    )
    settings.record_stored_login(registry, credential.username, credential.kind)


def remove_login(
    registry: str,
    *,
    env: Mapping[str, str] = os.environ,
    backend: KeyringBackend | None = None,
    settings: Config | None = None,
) -> bool:
    """Delete the registry's credential from the keyring and the index. True if anything went."""
    settings = settings if settings is not None else Config(env=env)
    previous = settings.stored_login(registry)
    removed = delete_credential(registry, previous.username if previous else None, backend=backend)
    return settings.forget_stored_login(registry) or removed
