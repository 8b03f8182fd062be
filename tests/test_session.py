"""The Session against the real test bed: one client per registry, credentials swapped cleanly, and
one rule for the realm memo (kept when this run confirmed it, forgotten when it did not)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path

import pytest

from acrbrowse.config import Config
from acrbrowse.oci.cache import ChallengeMemo
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import AuthenticationFailed, RepositoryNotFound
from acrbrowse.oci.name import parse_reference
from acrbrowse.session import Session, SessionOptions


@pytest.fixture
def session_for(tmp_path: Path):
    env = {"ACRBROWSE_CONFIG_DIR": str(tmp_path / "config"), "ACRBROWSE_CACHE_DIR": str(tmp_path / "cache"),
           "DOCKER_CONFIG": str(tmp_path / "docker"), "HOME": str(tmp_path), "PATH": ""}

    def make(**kwargs) -> Session:
        return Session(SessionOptions(timeout=10.0), env=env, settings=Config(tmp_path / "config" / "config.json"),
                       include_helper_list=False, **kwargs)

    return make


def admin(testbed) -> Credential:
    return Credential("admin", Secret(testbed.users["admin"]), source="test")


async def test_one_client_per_registry_until_the_credential_changes(testbed, session_for):
    session = session_for()
    registry = testbed.token.host
    await session.use_credential(registry, admin(testbed))
    first = session.client(registry)
    assert session.client(registry) is first and first.credential == admin(testbed)
    assert [tag async for tag in first.tags("aspnetapp")]
    await session.use_credential(registry, None)
    second = session.client(registry)
    assert second is not first and second.credential is None
    await session.aclose()


async def test_the_cache_and_the_memo_live_under_the_cache_folder_unless_told_otherwise(tmp_path, session_for):
    session = session_for()
    assert session.cache is not None and session.cache.root == tmp_path / "cache" / "content"
    assert session.challenges is not None and session.challenges.path == tmp_path / "cache" / "challenges.json"
    bare = Session(SessionOptions(use_cache=False), env={"ACRBROWSE_CACHE_DIR": str(tmp_path / "x")})
    assert bare.cache is None and bare.challenges is None


async def test_a_realm_the_run_confirmed_is_remembered(testbed, session_for):
    session = session_for()
    reference = parse_reference(f"{testbed.token.host}/aspnetapp")
    async with session.opened(reference, admin(testbed)) as client:
        assert [tag async for tag in client.tags("aspnetapp")]
    remembered = session.challenges.get(testbed.token.host)
    assert remembered is not None and remembered.scheme == "bearer"

    # the next run starts with it: a token first, no 401
    async with session_for().opened(reference, admin(testbed)) as client:
        assert client.challenge == remembered
        assert [tag async for tag in client.tags("aspnetapp")]
        assert client.challenge_confirmed


async def test_a_remembered_realm_the_run_did_not_confirm_is_forgotten(testbed, session_for, tmp_path):
    memo = ChallengeMemo(tmp_path / "cache" / "challenges.json")
    memo.path.parent.mkdir(parents=True)
    # a realm on loopback that answers nothing useful: remembered from "an earlier run"
    memo.path.write_text(json.dumps({testbed.token.host: {
        "scheme": "bearer", "realm": f"http://{testbed.anon.host}/nothing-here", "service": "x"}}))
    assert memo.get(testbed.token.host) is not None
    session = session_for()
    reference = parse_reference(f"{testbed.token.host}/aspnetapp")
    with pytest.raises(Exception):  # noqa: B017 - whichever way the stale realm fails, the memo must go
        async with session.opened(reference, admin(testbed)) as client:
            async for _ in client.tags("aspnetapp"):
                pass
    assert memo.get(testbed.token.host) is None


async def test_a_refused_sign_in_through_a_remembered_realm_forgets_it(testbed, session_for):
    """Nothing in this run showed the remembered realm works: the next run asks the registry afresh."""
    session = session_for()
    reference = parse_reference(f"{testbed.token.host}/aspnetapp")
    async with session.opened(reference, admin(testbed)) as client:
        assert [tag async for tag in client.tags("aspnetapp")]
    wrong = Credential("admin", Secret("not-the-password"), source="test")
    fresh = session_for()
    with pytest.raises(AuthenticationFailed):
        async with fresh.opened(reference, wrong) as client:
            async for _ in client.tags("aspnetapp"):
                pass
    assert fresh.challenges.get(testbed.token.host) is None


async def test_a_confirmed_realm_survives_a_failed_command(testbed, session_for):
    """The realm worked, then the command failed (no such repository): the realm stays."""
    session = session_for()
    reference = parse_reference(f"{testbed.token.host}/aspnetapp")
    with pytest.raises(RepositoryNotFound):
        async with session.opened(reference, admin(testbed)) as client:
            assert [tag async for tag in client.tags("aspnetapp")]
            async for _ in client.tags("no/such/repository"):
                pass
    assert session.challenges.get(testbed.token.host) is not None


async def test_adopt_keeps_the_proven_client_and_releases_the_old(testbed, session_for):
    session = session_for()
    registry = testbed.token.host
    await session.use_credential(registry, None)
    old = session.client(registry)
    proven = session.new_client(parse_reference(registry), admin(testbed))
    await proven.verify_credentials("aspnetapp")
    await session.adopt(registry, proven)
    assert session.client(registry) is proven and session.credential(registry) == admin(testbed)
    assert old is not proven
    assert session.challenges.get(registry) is None  # the anonymous client never asked: nothing kept
    await session.aclose()
    assert session.challenges.get(registry) is not None  # the proven one confirmed its realm


def test_a_session_shows_no_secret(testbed, session_for):
    session = session_for()
    text = repr(session)
    assert "Secret" not in text and testbed.users["admin"] not in text


async def test_visits_are_remembered_per_signed_in_user(testbed, session_for):
    session = session_for()
    registry = testbed.token.host
    await session.use_credential(registry, admin(testbed))
    session.record_visit(registry, "private/admin-only")
    assert session.visited_repositories(registry) == ["private/admin-only"]
    readonly = Credential("readonlypull", Secret(testbed.users["readonlypull"]), source="test")
    await session.use_credential(registry, readonly)
    assert session.visited_repositories(registry) == []  # never offered admin's repositories
    session.record_visit(registry, "aspnetapp")
    await session.use_credential(registry, None)
    assert session.visited_repositories(registry) == []  # anonymous is a user of its own
    await session.use_credential(registry, readonly)
    assert session.visited_repositories(registry) == ["aspnetapp"]
    await session.aclose()


# ---- Entra ID (issue 12) --------------------------------------------------------------------


class AzureIdentityCredential:
    """azure-identity's seam (what DefaultAzureCredential implements): get_token(*scopes,
    tenant_id=...) -> an object with .token and .expires_on. It hands out a token the bed's token
    server minted as Entra ID would have."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.asked: list[tuple[tuple[str, ...], str | None]] = []

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs):
        self.asked.append((scopes, tenant_id))
        return type("AccessToken", (), {"token": self.token, "expires_on": 0})()


async def test_an_azure_identity_credential_signs_in_from_a_worker_thread(testbed, token_server, session_for):
    from acrbrowse.keychain.acr_exchange import ACR_TOKEN_USERNAME

    identity = AzureIdentityCredential(token_server.aad_token_for("readonlypull"))
    session = session_for(entra_credential=identity)
    registry = testbed.token.host
    credential = await asyncio.to_thread(session.azure_credential, registry, "contoso.onmicrosoft.com")
    assert identity.asked == [(("https://containerregistry.azure.net/.default",), "contoso.onmicrosoft.com")]
    assert (credential.kind, credential.username, credential.tenant) == ("entra", ACR_TOKEN_USERNAME,
                                                                         "contoso.onmicrosoft.com")
    assert credential.source == "Entra ID (azure-identity)"
    assert credential.expires_at is not None and credential.expires_at > time.time() + 3000
    assert identity.token not in repr(credential) and credential.secret.reveal() not in repr(credential)
    exchanged = [path for method, path, _ in token_server.requests if method == "POST"]
    assert exchanged == ["/oauth2/exchange"]

    await session.use_credential(registry, credential)
    assert "latest" in [tag async for tag in session.client(registry).tags("aspnetapp")]
    await session.aclose()


async def test_an_identity_the_registry_refuses_is_one_line(testbed, token_server, session_for):
    from acrbrowse.keychain.acr_exchange import ExchangeRefused

    session = session_for(entra_credential=AzureIdentityCredential("aad.not-minted-by-the-bed"))
    with pytest.raises(ExchangeRefused) as caught:
        session.azure_credential(testbed.token.host)
    assert "refused the Entra ID identity" in str(caught.value) and "aad.not-minted" not in str(caught.value)


async def test_sign_in_with_azure_is_offered_for_acr_registries(testbed, session_for):
    session = session_for()
    assert session.is_acr_registry("myregistry.azurecr.io")
    bed = testbed.token.host
    assert not session.is_acr_registry(bed)  # nothing known about it yet
    assert "latest" in [tag async for tag in session.client(bed).tags("public/hello")]
    assert session.is_acr_registry(bed)  # its token service is its own host's /oauth2/token
    basic = testbed.basic.host
    assert not session.is_acr_registry(basic)
    await session.aclose()


async def test_a_refresh_token_expiring_during_a_run_is_renewed_by_itself(testbed, token_server, session_for):
    identity = AzureIdentityCredential(token_server.aad_token_for("readonlypull"))
    session = session_for(entra_credential=identity)
    registry = testbed.token.host
    saved = token_server.refresh_lifetime
    token_server.refresh_lifetime = 30  # inside the renewal margin: the first token request renews it
    try:
        credential = await asyncio.to_thread(session.azure_credential, registry)
    finally:
        token_server.refresh_lifetime = saved
    assert credential.expired(time.time(), 60) and credential.renew is not None
    await session.use_credential(registry, credential)
    client = session.client(registry)
    assert "latest" in [tag async for tag in client.tags("aspnetapp")]
    assert client.auth.renewals == 1 and len(identity.asked) == 2
    assert client.auth.credential is not None and not client.auth.credential.expired(time.time(), 60)
    # the renewed token lasts: no further renewal
    assert [tag async for tag in client.tags("public/hello")]
    assert client.auth.renewals == 1
    await session.aclose()


async def test_a_renewal_that_fails_is_one_line_saying_sign_in_again(testbed, token_server, session_for):
    from acrbrowse.oci.errors import Hint

    identity = AzureIdentityCredential(token_server.aad_token_for("readonlypull"))
    session = session_for(entra_credential=identity)
    registry = testbed.token.host
    credential = await asyncio.to_thread(session.azure_credential, registry)
    identity.token = "aad.revoked"  # Entra ID no longer vouches for it
    expiring = dataclasses.replace(credential, expires_at=time.time())
    await session.use_credential(registry, expiring)
    with pytest.raises(AuthenticationFailed) as caught:
        [tag async for tag in session.client(registry).tags("aspnetapp")]
    assert str(caught.value).startswith(f"the Entra ID sign-in for {registry} expired and could not be renewed: ")
    assert caught.value.hint is Hint.SIGN_IN_AGAIN and "aad.revoked" not in str(caught.value)
    await session.aclose()
