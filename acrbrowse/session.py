"""One run of acrbrowse, as the command line and the UI both see it: options in, one registry
client per registry out. The only place a client is built.

It owns what every front end needs from outside the registry: the credential chain (flags,
environment, keyring, Docker's config, Entra ID for Azure Container Registries), the settings file (recent registries, visited
repositories), the on-disk content cache and the realm memo, with one rule for the memo: a
remembered realm is kept only when this run confirmed it, and forgotten when it did not (so a
stale one costs one run, never more).

The credential chain and the settings file are synchronous and may block (an unlock prompt, a slow
helper): the UI calls those methods from thread workers. No Textual here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from acrbrowse.config import Config, ConfigError
from acrbrowse.keychain import (
    KnownRegistry,
    known_registries,
    remove_login,
    resolve,
    save_login,
)
from acrbrowse.keychain.acr_exchange import Connection, exchange_entra_token, exchange_url
from acrbrowse.keychain.entra import EntraError, EntraToken, TokenCredential, check_tenant, entra_token, is_acr_host
from acrbrowse.keychain.errors import CredentialError
from acrbrowse.keychain.keyring_store import KeyringBackend
from acrbrowse.keychain.resolver import stored_entra_login
from acrbrowse.locations import cache_dir
from acrbrowse.oci.cache import ChallengeMemo, ContentCache
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.name import Reference, parse_registry
from acrbrowse.oci.remote.acr import AcrMetadata
from acrbrowse.oci.remote.challenge import Challenge
from acrbrowse.oci.remote.client import RegistryClient

if TYPE_CHECKING:
    from acrbrowse.layerfiles.listcache import ListingCache

ClientFactory = Callable[[Reference, "Credential | None"], RegistryClient]


@dataclass(frozen=True)
class SessionOptions:
    """How to reach registries; the same for every registry of a run."""

    plain_http: bool | None = None  # None: automatic (plain HTTP for loopback only)
    ca_cert: Path | None = None
    timeout: float = 30.0  # seconds per request, retries and waits included
    use_cache: bool = True  # the content cache and the realm memo on disk


class Session:
    def __init__(
        self,
        options: SessionOptions | None = None,
        *,
        env: Mapping[str, str] | None = None,
        settings: Config | None = None,
        keyring_backend: KeyringBackend | None = None,
        include_helper_list: bool = True,
        cache: ContentCache | None = None,
        challenges: ChallengeMemo | None = None,
        client_factory: ClientFactory | None = None,
        on_notice: Callable[[str], None] | None = None,
        entra_credential: TokenCredential | None = None,
    ) -> None:
        """`cache` and `challenges` replace the ones under the cache folder (tests pass their own);
        `client_factory` builds clients instead of RegistryClient (tests pass a subclass).
        `on_notice` hears a client say, in one line, that it waits (Retry-After); it may be called
        from any thread and is given outside text: escape it before showing it.
        `entra_credential` (an azure-identity credential) is where Entra ID tokens come from instead
        of DefaultAzureCredential or the Azure CLI."""
        self.options = options or SessionOptions()
        self.env = env if env is not None else os.environ
        self._settings = settings
        self.keyring_backend = keyring_backend
        self.include_helper_list = include_helper_list
        self.cache: ContentCache | None = cache
        self.challenges: ChallengeMemo | None = challenges
        if self.options.use_cache:
            self.cache = cache or ContentCache(cache_dir(self.env) / "content")
            self.challenges = challenges or ChallengeMemo(cache_dir(self.env) / "challenges.json")
        self._factory = client_factory
        self.on_notice = on_notice
        self.entra_credential = entra_credential
        self._clients: dict[str, RegistryClient] = {}
        self._credentials: dict[str, Credential | None] = {}
        self._metadata: dict[int, AcrMetadata] = {}  # by id() of the client it serves
        self._not_acr: set[str] = set()  # registries that proved they have no /acr/v1: never asked again
        self._listings: ListingCache | None = None
        self._memo_read: dict[str, Challenge | None] = {}  # the realm memo's answers, read once (is_acr_registry)

    @property
    def listing_cache(self) -> ListingCache | None:
        """Layer listings already read, by layer digest (None with the cache off)."""
        if self._listings is None and self.options.use_cache:
            from acrbrowse.layerfiles.listcache import ListingCache

            self._listings = ListingCache(cache_dir(self.env) / "listings")
        return self._listings

    def __repr__(self) -> str:
        return f"Session(registries={sorted(self._clients)!r})"

    # ---- clients -------------------------------------------------------------------------

    def new_client(self, reference: Reference, credential: Credential | None) -> RegistryClient:
        """A client of its own (the caller closes it through `release`): for a one-off request, or
        to try a credential before keeping it (`adopt`)."""
        if self._factory is not None:
            return self._factory(reference, credential)
        known = self.challenges.get(reference.registry) if self.challenges is not None else None
        return RegistryClient(reference, credential=credential, plain_http=self.options.plain_http,
                              ca_cert=self.options.ca_cert, timeout=self.options.timeout, cache=self.cache,
                              known_challenge=known, on_notice=self.on_notice)

    def client(self, registry: str) -> RegistryClient:
        """The registry's client for the session's life: one connection pool, one token cache."""
        client = self._clients.get(registry)
        if client is None:
            client = self._clients[registry] = self.new_client(parse_registry(registry), self._credentials.get(registry))
        return client

    def has_credential_for(self, registry: str) -> bool:
        """Whether the registry's credential was settled (found, given, or known to be none)."""
        return registry in self._credentials

    def credential(self, registry: str) -> Credential | None:
        return self._credentials.get(registry)

    async def use_credential(self, registry: str, credential: Credential | None) -> None:
        """Use `credential` for `registry` from now on (the next `client()` is a new one)."""
        self._credentials[registry] = credential
        old = self._clients.pop(registry, None)
        if old is not None:
            await self.release(old)

    async def adopt(self, registry: str, client: RegistryClient) -> None:
        """Keep a client that proved its credential (the login dialog's) in place of the old one."""
        self._credentials[registry] = client.credential
        old = self._clients.get(registry)
        self._clients[registry] = client
        if old is not None and old is not client:
            await self.release(old)

    @contextlib.asynccontextmanager
    async def opened(self, reference: Reference, credential: Credential | None) -> AsyncIterator[RegistryClient]:
        """A client for one command's work, released (realm remembered or forgotten, closed) after."""
        client = self.new_client(reference, credential)
        try:
            yield client
        finally:
            await self.release(client)

    def metadata(self, client: RegistryClient) -> AcrMetadata:
        """ACR's metadata API (tag times, sizes, untagged manifests) for `client`: one per client, so
        what the credential may read is learnt once per client; a registry that proved it is not ACR
        is not asked again for the session's life. On any other registry it lists tags by name and
        its `note` says why there are no times."""
        meta = self._metadata.get(id(client))
        if meta is None or meta.client is not client:
            meta = self._metadata[id(client)] = AcrMetadata(
                client, is_acr=self._client_is_acr, not_acr=client.registry in self._not_acr,
                on_not_acr=self._not_acr.add)
        return meta

    def registry_metadata(self, registry: str) -> AcrMetadata:
        """`metadata` of the registry's session-long client (the UI's)."""
        return self.metadata(self.client(registry))

    def _client_is_acr(self, client: RegistryClient) -> bool:
        return _acr_shaped(client.registry, client.challenge)

    async def release(self, client: RegistryClient) -> None:
        """Close a client, and keep its realm for the next run only if this run confirmed it."""
        self._metadata.pop(id(client), None)
        try:
            if self.challenges is not None:
                if client.challenge_confirmed:
                    self.challenges.put(client.registry, client.challenge)
                elif client.challenge is not None:
                    self.challenges.forget(client.registry)
        finally:
            await client.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            with contextlib.suppress(Exception):  # closing is best effort; never turn an exit into a traceback
                await self.release(client)

    # ---- credentials (synchronous: may block) ---------------------------------------------

    @property
    def settings(self) -> Config:
        """The settings file (config.json), opened on first use."""
        if self._settings is None:
            self._settings = Config(env=self.env)
        return self._settings

    def resolve(self, registry: str, *, username: str | None = None, password: Secret | None = None,
                notes: list[str] | None = None, warnings: list[str] | None = None) -> Credential | None:
        """The registry's credential from the chain: given, environment, keyring, Docker's config."""
        credential = resolve(registry, username=username, password=password, env=self.env, notes=notes,
                             warnings=warnings, keyring_backend=self.keyring_backend, settings=self.settings,
                             entra=self._entra_exchange)
        if credential is not None and credential.kind == "entra" and credential.renew is None:
            credential = replace(credential, renew=partial(self._renewed, registry, credential.tenant))
        return credential

    def is_acr_registry(self, registry: str) -> bool:
        """Whether Entra ID sign-in is worth offering: an ACR host by name, or a registry whose token
        service is its own /oauth2/token (known from this session's client or the realm memo)."""
        if is_acr_host(registry):
            return True
        client = self._clients.get(registry)
        challenge = client.challenge if client is not None else None
        if challenge is None and self.challenges is not None:
            # read once a session: the lists ask on every scroll, and the file only changes once a
            # client has the challenge itself
            if registry not in self._memo_read:
                self._memo_read[registry] = self.challenges.get(registry)
            challenge = self._memo_read[registry]
        return _acr_shaped(registry, challenge)

    def azure_credential(self, registry: str, tenant: str | None = None, *, timeout: float | None = None) -> Credential:
        """An ACR refresh token for `registry` from Entra ID (azure-identity when installed, else the
        Azure CLI), exchanged at the registry's /oauth2/exchange: a Credential of kind "entra" whose
        `expires_at` and `tenant` say when and how to renew it. Keep it with `save_login`.

        Synchronous and thread-safe (it blocks on `az` and the network): the UI runs it in a thread
        worker. Raises EntraError (a CredentialError: no `az`, not signed in, wrong tenant, no role on
        the registry) or a RegistryError (unreachable, TLS, timeout); str() is one line, no secret.
        `timeout` bounds getting the Entra token (default: the session's timeout)."""
        wait = self.options.timeout if timeout is None else timeout
        tenant = check_tenant(tenant)

        def token() -> EntraToken:
            return entra_token(registry, tenant=tenant, env=self.env, timeout=wait, credential=self.entra_credential)

        known = self.challenges.get(registry) if self.challenges is not None else None
        connection = Connection(plain_http=self.options.plain_http, ca_cert=self.options.ca_cert,
                                timeout=self.options.timeout)
        credential = exchange_entra_token(registry, token, tenant=tenant, connection=connection, known_challenge=known)
        return replace(credential, renew=partial(self._renewed, registry, tenant))

    def _renewed(self, registry: str, tenant: str | None) -> Credential:
        """The next Entra ID sign-in, when the last one's refresh token expires during a run; kept in
        the keyring when `login --azure` put the last one there."""
        credential = self.azure_credential(registry, tenant)
        with contextlib.suppress(CredentialError, ConfigError):  # the run goes on; the next one renews again
            if stored_entra_login(registry, self.settings):
                self.save_login(registry, credential)
        return credential

    def _entra_exchange(self, registry: str, tenant: str | None, timeout: float) -> Credential:
        return self.azure_credential(registry, tenant, timeout=min(timeout, self.options.timeout))

    def known_registries(self, notes: list[str] | None = None, warnings: list[str] | None = None) -> list[KnownRegistry]:
        return known_registries(self.env, notes=notes, warnings=warnings, settings=self.settings,
                                include_helper_list=self.include_helper_list)

    def save_login(self, registry: str, credential: Credential) -> None:
        """Keep `credential` in the keyring as the registry's login (for one from `azure_credential`:
        the choice of Entra ID, the ACR refresh token, its expiry and tenant; never the Entra token).
        Raises KeyringUnavailable (or another CredentialError) when the keyring can't take it,
        ConfigError when config.json can't be read or written."""
        save_login(registry, credential, env=self.env, backend=self.keyring_backend, settings=self.settings)

    def remove_login(self, registry: str) -> bool:
        return remove_login(registry, env=self.env, backend=self.keyring_backend, settings=self.settings)

    # ---- what the settings file remembers --------------------------------------------------

    def _username(self, registry: str) -> str | None:
        credential = self._credentials.get(registry)
        return credential.username if credential is not None else None

    def visited_repositories(self, registry: str) -> list[str]:
        """The repositories visited before under the credential in use (anonymous is its own list)."""
        try:
            return self.settings.visited_repositories(registry, self._username(registry))
        except ConfigError:
            return []

    def record_visit(self, registry: str, repository: str) -> None:
        # Remembering is a convenience: a read-only config dir must not break browsing.
        with contextlib.suppress(ConfigError):
            self.settings.record_visited_repository(registry, repository, self._username(registry))

    def record_recent(self, registry: str) -> None:
        with contextlib.suppress(ConfigError):
            self.settings.record_recent_registry(registry)


def _acr_shaped(registry: str, challenge: Challenge | None) -> bool:
    """An ACR host by name (*.azurecr.io, .cn, .us), or a registry whose bearer realm is its own
    /oauth2/token."""
    if is_acr_host(registry):
        return True
    try:
        exchange_url(registry, challenge, loopback=parse_registry(registry).is_loopback)
    except (EntraError, RegistryError, ValueError):
        return False
    return True
