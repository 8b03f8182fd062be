"""The Session against the real test bed: one client per registry, credentials swapped cleanly, and
one rule for the realm memo (kept when this run confirmed it, forgotten when it did not)."""

from __future__ import annotations

import json
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
