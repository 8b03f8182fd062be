"""What the UI needs from outside the registry: credentials, stored logins, recent registries and
repositories, and the registry clients themselves. No Textual here; tests inject their own.

Everything that touches the keyring, a docker credential helper or the settings file is
synchronous and may block (an unlock prompt, a slow helper): the UI calls these from thread
workers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from acrbrowse.keychain import (
    CredentialError,
    KnownRegistry,
    Settings,
    known_registries,
    resolve,
    save_login,
)
from acrbrowse.keychain.keyring_store import KeyringBackend
from acrbrowse.oci.cache import ChallengeMemo, ContentCache
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.name import Reference, parse_registry
from acrbrowse.oci.remote.client import RegistryClient

ClientFactory = Callable[[Reference, "Credential | None"], RegistryClient]


@dataclass
class ClientOptions:
    plain_http: bool | None = None  # None: automatic (plain HTTP for loopback)
    ca_cert: Path | None = None
    timeout: float = 30.0
    cache: ContentCache | None = None
    # Each registry's auth realm from earlier runs: the first request carries a token, no 401 first.
    challenges: ChallengeMemo | None = None
    # Told, in one line, when a client waits (Retry-After): the app shows it, escaped.
    on_notice: Callable[[str], None] | None = None

    def factory(self) -> ClientFactory:
        def make(reference: Reference, credential: Credential | None) -> RegistryClient:
            known = self.challenges.get(reference.registry) if self.challenges else None
            return RegistryClient(reference, credential=credential, plain_http=self.plain_http,
                                  ca_cert=self.ca_cert, timeout=self.timeout, cache=self.cache,
                                  known_challenge=known, on_notice=self.on_notice)

        return make

    def remember(self, client: RegistryClient) -> None:
        if self.challenges is not None:
            self.challenges.put(client.registry, client.auth.challenge)


@dataclass
class Services:
    """The credential layer and the settings file, behind one object the app can be given."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    settings: Settings | None = None
    keyring_backend: KeyringBackend | None = None
    include_helper_list: bool = True

    @property
    def store(self) -> Settings:
        """The settings file (config.json), opened on first use."""
        if self.settings is None:
            self.settings = Settings(env=self.env)
        return self.settings

    def known_registries(self, notes: list[str] | None = None) -> list[KnownRegistry]:
        return known_registries(self.env, notes=notes, settings=self.store,
                                include_helper_list=self.include_helper_list)

    def resolve(self, registry: str, notes: list[str] | None = None) -> Credential | None:
        return resolve(registry, env=self.env, notes=notes, keyring_backend=self.keyring_backend,
                       settings=self.store)

    def save_login(self, registry: str, credential: Credential) -> None:
        """Raises KeyringUnavailable (or another CredentialError) when the keyring can't take it."""
        save_login(registry, credential, env=self.env, backend=self.keyring_backend, settings=self.store)

    def visited_repositories(self, registry: str) -> list[str]:
        try:
            return self.store.visited_repositories(registry)
        except CredentialError:
            return []

    def record_visit(self, registry: str, repository: str) -> None:
        # Remembering is a convenience: a read-only config dir must not break browsing.
        with contextlib.suppress(CredentialError):
            self.store.record_visited_repository(registry, repository)

    def record_recent(self, registry: str) -> None:
        with contextlib.suppress(CredentialError):
            self.store.record_recent_registry(registry)


class Connections:
    """One RegistryClient per registry for the app's lifetime: one connection pool, one token cache."""

    def __init__(self, factory: ClientFactory, on_close: Callable[[RegistryClient], None] | None = None) -> None:
        self.factory = factory
        self.on_close = on_close
        self._clients: dict[str, RegistryClient] = {}
        self.credentials: dict[str, Credential | None] = {}

    def client(self, registry: str) -> RegistryClient:
        client = self._clients.get(registry)
        if client is None:
            client = self.factory(parse_registry(registry), self.credentials.get(registry))
            self._clients[registry] = client
        return client

    def set_credential(self, registry: str, credential: Credential | None) -> RegistryClient | None:
        """Use `credential` from now on; returns the old client, for the caller to close."""
        self.credentials[registry] = credential
        return self._clients.pop(registry, None)

    def adopt(self, registry: str, client: RegistryClient) -> RegistryClient | None:
        """Keep a client that already proved its credential (the login dialog's); returns the old one."""
        self.credentials[registry] = client.credential
        old = self._clients.get(registry)
        self._clients[registry] = client
        return old if old is not client else None

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                if self.on_close is not None:
                    self.on_close(client)
                await client.aclose()
            except Exception:  # closing is best effort; never turn an exit into a traceback
                pass
