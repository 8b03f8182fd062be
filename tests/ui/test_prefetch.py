"""The start reference's first requests, sent before the app is built (ui/prefetch.py, and
cli/browse.py's start_app, which the command line runs), against the real test bed: the panes get
what was fetched, once, through the session's one client; errors reach them as before."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from acrbrowse.cli.browse import start_app
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.session import Session
from acrbrowse.ui.prefetch import Prefetch
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.login import LoginScreen
from acrbrowse.ui.tree.nodes import EntryItem
from tests.ui.conftest import SIZE, session_like, user, wait_for

pytestmark = pytest.mark.ui


class CountingClient(RegistryClient):
    """Counts the catalog listings begun and the manifests fetched from the registry."""

    def __init__(self, *args: Any, log: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log = log

    def repository_pages(self, page_size: int = 1000):
        self.log.append("catalog")
        return RegistryClient.repository_pages(self, page_size)

    async def get_manifest(self, repository: str, reference: str):
        self.log.append(f"manifest {repository} {reference}")
        return await RegistryClient.get_manifest(self, repository, reference)


def counting(session: Session) -> tuple[Session, list[str], list[CountingClient]]:
    """A session like `session` whose clients count; the log and the clients it made."""
    log: list[str] = []
    clients: list[CountingClient] = []

    def factory(reference, credential):
        clients.append(CountingClient(reference, credential=credential, timeout=10.0, log=log))
        return clients[-1]

    return session_like(session, client_factory=factory), log, clients


async def eventually(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


async def test_the_pane_lists_the_prefetched_page_and_a_reload_asks_again(testbed, session):
    own, log, clients = counting(session)
    app = await start_app(parse_reference(testbed.token.host), user(testbed, "admin"), own, system_clipboard=False)
    assert log == ["catalog"]  # asked for before the app runs
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        assert set(testbed.content.repositories) <= set(screen.repos.table.keys)
        assert log == ["catalog"]  # the pane read the prefetched listing, no second one
        assert len(clients) == 1  # the session's one client: its token is the panes' too

        screen.repos.table.focus()
        await pilot.press("r")
        await wait_for(pilot, lambda: log == ["catalog", "catalog"], what="the reload to ask the registry")
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog again")
        assert set(testbed.content.repositories) <= set(screen.repos.table.keys)
        assert len(clients) == 1


async def test_a_prefetched_catalog_that_needs_a_sign_in_opens_the_dialog_as_before(testbed, session):
    app = await start_app(parse_reference(testbed.token.host), None, session, system_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen)
                                and app.screen.query("#login-password") and app.screen, what="the login dialog")
        await pilot.press(*"admin", "enter")
        await pilot.press(*testbed.users["admin"], "enter")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen,
                                what="the dialog to close")
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog, signed in")
        assert set(testbed.content.repositories) <= set(screen.repos.table.keys)
        assert dialog is not app.screen


async def test_the_first_page_fails_as_the_registry_failed(testbed, session):
    """Anonymous at the token registry: the prefetched listing raises the error a listing of its
    own raises, when the pane reads it (not before)."""
    start = parse_reference(testbed.token.host)
    prefetch = await Prefetch.begin(session, start, None)
    try:
        pages = prefetch.repository_pages(testbed.token.host)
        assert pages is not None
        with pytest.raises(RegistryError) as prefetched:
            async for _ in pages:
                pass
        async with session.opened(start, None) as client:
            with pytest.raises(RegistryError) as direct:
                async for _ in client.repository_pages():
                    pass
        assert type(prefetched.value) is type(direct.value)
        assert str(prefetched.value) == str(direct.value)
        assert prefetch.repository_pages(testbed.token.host) is None  # handed over once
    finally:
        await prefetch.aclose()
        await session.aclose()


async def test_opened_at_a_tag_the_platforms_manifests_are_fetched_once(testbed, session):
    own, log, _ = counting(session)
    target = f"{testbed.token.host}/aspnetapp:latest"
    app = await start_app(parse_reference(target), user(testbed, "admin"), own, system_clipboard=False)
    platforms = testbed.content.aspnetapp_platforms
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree

        def entries():
            found = [node.data for node in tree.root.children if isinstance(node.data, EntryItem)]
            return found if len(found) == len(platforms) and all(e.manifest is not None for e in found) else None

        found = await wait_for(pilot, entries, what="every platform with its manifest")
        assert {entry.entry.digest for entry in found} == {m.digest for m in platforms.values()}
        # the prefetch and the tree asked through one client: each platform's manifest came once
        for manifest in platforms.values():
            assert log.count(f"manifest aspnetapp {manifest.digest}") == 1


async def test_opened_at_a_tag_its_platforms_manifests_wait_in_the_clients_memory(testbed, session):
    own, log, _ = counting(session)
    start = parse_reference(f"{testbed.token.host}/aspnetapp:latest")
    prefetch = await Prefetch.begin(own, start, user(testbed, "admin"))
    platforms = testbed.content.aspnetapp_platforms.values()
    wanted = [f"manifest aspnetapp {manifest.digest}" for manifest in platforms]
    try:
        await eventually(lambda: all(line in log for line in wanted), "the platforms' manifests asked for")
        asked = len(log)
        client = own.client(testbed.token.host)
        for manifest in platforms:  # from memory (or the fetch under way): no request of their own
            assert (await client.manifest_by_digest("aspnetapp", manifest.digest)).digest == manifest.digest
        assert len(log) == asked
        assert log.count("manifest aspnetapp latest") == 1  # the start manifest, by its tag
    finally:
        await prefetch.aclose()
        await own.aclose()


async def test_opened_at_a_repository_its_pull_token_comes_before_the_tags_are_listed(testbed, session,
                                                                                 token_server):
    start = parse_reference(f"{testbed.token.host}/aspnetapp")
    prefetch = await Prefetch.begin(session, start, user(testbed, "admin"))
    try:
        def pull_tokens() -> list[str]:
            return [path for _, path, _ in token_server.requests if "aspnetapp" in path]

        await eventually(pull_tokens, "the repository's token, asked for by the prefetch")
        client = session.client(testbed.token.host)
        tags = [tag async for page in client.tag_pages("aspnetapp") for tag in page]
        assert sorted(tags) == sorted(testbed.content.tags["aspnetapp"])
        assert len(pull_tokens()) == 1  # the listing used the token the prefetch earned
    finally:
        await prefetch.aclose()
        await session.aclose()


async def test_another_registry_gets_nothing_prefetched(testbed, session):
    prefetch = await Prefetch.begin(session, parse_reference(testbed.token.host), user(testbed, "admin"))
    try:
        assert prefetch.repository_pages(testbed.anon.host) is None
        assert prefetch.repository_pages(testbed.token.host) is not None
    finally:
        await prefetch.aclose()
        await session.aclose()


async def test_closing_stops_what_nobody_took(testbed, session):
    start = parse_reference(f"{testbed.token.host}/aspnetapp:latest")
    prefetch = await Prefetch.begin(session, start, user(testbed, "admin"))
    await prefetch.aclose()  # at once: both requests still out
    assert prefetch.repository_pages(testbed.token.host) is None
    await session.aclose()
