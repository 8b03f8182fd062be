"""Signing in, a denied catalog, and errors in the middle of browsing, against the real test bed."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from acrbrowse.cli.browse import launch
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.ui.screens.browser import BrowserScreen, Pane
from acrbrowse.ui.screens.login import LoginScreen
from acrbrowse.ui.screens.start import StartScreen
from tests.ui.conftest import SIZE, screen_text, user, wait_for, write_docker_config

pytestmark = pytest.mark.ui


async def test_catalog_denied_offers_a_name_and_remembers_it(testbed, make_app, session):
    readonly = user(testbed, "readonlypull")
    app = make_app(testbed.token.host, readonly)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.denied is not None, what="the catalog denial")
        assert not isinstance(app.screen, LoginScreen)  # a credential that works, just not for the catalog
        message = str(screen.query_one("#repo-message").render())
        assert "cannot list repositories" in message
        name = screen.query_one("#repo-name")
        assert name.display
        name.focus()
        await pilot.press(*"aspnetapp", "enter")
        await wait_for(pilot, lambda: screen.tags.complete, what="aspnetapp's tags")
        assert sorted(screen.tags.tags) == sorted(testbed.content.tags["aspnetapp"])
        await wait_for(pilot, lambda: session.visited_repositories(testbed.token.host) == ["aspnetapp"],
                       what="the visit to be remembered")

    # next time the pane lists it
    app = make_app(testbed.token.host, readonly)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.denied is not None)
        assert screen.repos.table.keys == ["aspnetapp"]
        assert screen.repos.border_title == "Repositories · 1 visited"
        screen.repos.table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.tags.complete)


async def test_login_dialog_wrong_then_right_password(testbed, make_app, session, keyring_memory):
    password = testbed.users["admin"]
    app = make_app(testbed.token.host)  # no credential
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#login-password") and app.screen,
                                what="the login dialog")
        assert dialog.query_one("#login-password").password  # masked
        assert dialog.query_one("#login-remember").value  # on by default
        await pilot.press(*"admin", "enter")
        assert dialog.focused.id == "login-password"
        await pilot.press(*"not-the-password", "enter")
        error = dialog.query_one("#login-error")
        await wait_for(pilot, lambda: error.display, what="the refusal")
        assert "refused the credentials of 'admin'" in str(error.render())
        assert isinstance(app.screen, LoginScreen)
        assert dialog.query_one("#login-password").value == ""

        await pilot.press(*password, "enter")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen,
                                what="the dialog to close")
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog, signed in")
        assert set(testbed.content.repositories) <= set(screen.repos.table.keys)
        assert app.session.client(testbed.token.host).credential.username == "admin"
        # remembered: the keyring holds it and the resolver finds it
        assert session.resolve(testbed.token.host).username == "admin"
        # the secret is never on screen or in a notification
        assert password not in screen_text(app)  # toasts included (notifications=True)


async def test_login_needed_for_basic_registry_can_be_cancelled(testbed, make_app):
    app = make_app(testbed.basic.host)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen), what="the login dialog")
        await pilot.press("escape")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        message = screen.query_one("#repo-message")
        assert message.display and "does not let anonymous users list repositories" in str(message.render())
        assert screen.query_one("#repo-name").display


async def test_error_mid_browse_is_one_line_and_the_app_goes_on(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    app = make_app(proxy.host, display_names={proxy.host: "registry.test:5000"},
                   client_factory=lambda ref, cred: RegistryClient(ref, credential=cred, retries=0, timeout=5))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete)
        proxy.error("GET", r"/tags/list$", status=500, times=None)
        screen.repos.table.cursor = screen.repos.table.keys.index("aspnetapp")
        await pilot.press("enter")
        message = screen.query_one("#tag-message")
        await wait_for(pilot, lambda: message.display, what="the error in the pane")
        # the pane's line and one toast, each naming the registry by its display name
        line = "registry.test:5000 failed to list the tags of aspnetapp"
        await wait_for(pilot, lambda: screen_text(app).count(line) >= 2, what="the toast")
        assert screen_text(app).count(line) == 2

        # the registry heals (but drops connections for manifests by digest); r reloads the pane
        proxy.clear_rules()
        proxy.reset("GET", r"/manifests/sha256:", times=None)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags after the fault")
        assert not message.display
        assert "loading" not in screen.tags.border_title

        # a platform whose manifest did not come: expanding it says why, expanding again retries
        await pilot.press("enter")
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None)
        await pilot.press("down", "enter")
        amd64 = tree.root.children[0]
        await wait_for(pilot, lambda: amd64.data.error is not None, what="the node's error")
        assert labels_of(amd64)[0].startswith("error: ")
        proxy.clear_rules()
        await pilot.press("enter", "enter")  # collapse, expand: fetch again
        await wait_for(pilot, lambda: amd64.data.manifest is not None, what="the retry")
        assert any(line.startswith("layer 7") for line in labels_of(amd64))


def labels_of(node) -> list[str]:
    return [child.label.plain for child in node.children]


async def test_start_screen_lists_known_registries_and_opens_one(testbed, make_app, session):
    session.settings.record_recent_registry(testbed.anon.host)
    session.settings.record_stored_login("myregistry.azurecr.io", "ci-bot")
    write_docker_config(session, {"ghcr.io": {"auth": "dXNlcjpwYXNz"}})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        start = await wait_for(pilot, lambda: isinstance(app.screen, StartScreen) and app.screen)
        table = start.query_one("#known-table")
        await wait_for(pilot, lambda: table.keys, what="known registries")
        assert table.keys == [testbed.anon.host, "myregistry.azurecr.io", "ghcr.io"]
        text = screen_text(app)
        assert "registry.test:5000" in text and "ci-bot" in text and "signed in (keyring)" in text
        assert "dXNlcjpwYXNz" not in text

        await pilot.press(*f"{testbed.anon.host}/public/hello", "enter")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete)
        assert screen.tags.tags == ["latest"]
        await pilot.press("escape")  # tags → repositories
        assert screen.repos.table.has_focus
        await pilot.press("escape", "escape")  # → asked, then back to the start screen
        assert app.screen is start


def test_launch_rejects_a_bad_reference(capsys):
    args = argparse.Namespace(target="Not A Reference!", username=None, password_stdin=False, plain_http=False,
                              ca_cert=None, timeout=30.0, verbose=False, no_cache=True)
    assert launch(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("acrbrowse: error: ") and err.count("\n") == 1


class SignallingClient(RegistryClient):
    """Says when a repository's tag listing is over for the app: its pages handed over (the pane
    kept them or dropped them as stale), or the fetch cancelled."""

    def __init__(self, *args, over: dict[str, asyncio.Event], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.over = over

    async def _signalled(self, repository: str, *args):
        try:
            async for page in RegistryClient.tag_pages(self, repository, *args):
                yield page
        finally:
            self.over.setdefault(repository, asyncio.Event()).set()

    def tag_pages(self, repository: str, *args):
        return self._signalled(repository, *args)


async def test_paints_before_the_network_answers_and_drops_stale_answers(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.delay("GET", r"/_catalog$", seconds=1.0, times=1)
    over: dict[str, asyncio.Event] = {}
    app = make_app(proxy.host, display_names={proxy.host: "registry.test:5000"},
                   client_factory=lambda ref, cred: SignallingClient(ref, credential=cred, retries=0, timeout=10,
                                                                  over=over))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen, timeout=0.5)
        # the screen is up while the catalog has not answered (it is held back for 1 s)
        text = await wait_for(pilot, lambda: "Repositories · loading…" in (t := screen_text(app)) and t,
                              timeout=0.5, what="the loading pane")
        assert not screen.repos.complete and "aspnetapp" not in text
        assert screen.repos.table.has_focus  # a pane that is loading still takes the keys
        await wait_for(pilot, lambda: screen.repos.complete)

        # a slow answer for a repository the user already left is dropped: a failure, so that one
        # taken would show (its line in the pane, the tags gone)
        proxy.delay("GET", r"/v2/aspnetapp/tags/list$", seconds=1.0, times=1)
        proxy.error("GET", r"/v2/aspnetapp/tags/list$", status=500, times=1)
        keys = screen.repos.table.keys
        screen.repos.table.cursor = keys.index("aspnetapp")
        await pilot.press("enter")  # aspnetapp (slow)
        screen.focus_pane(Pane.REPOSITORIES)  # back, not Esc: past 300 ms Esc would cancel the listing
        await pilot.pause()
        screen.repos.table.cursor = keys.index("buildkit/app")
        await pilot.press("enter")  # then buildkit/app
        await wait_for(pilot, lambda: screen.tags.complete and screen.tags.repository == "buildkit/app")
        await wait_for(pilot, lambda: "aspnetapp" in over and over["aspnetapp"].is_set(),
                       what="aspnetapp's slow listing to be over")
        await pilot.pause()  # whatever the pane did with it is painted
        assert screen.tags.repository == "buildkit/app"
        assert screen.tags.tags == sorted(testbed.content.tags["buildkit/app"])
        assert not screen.tags.message.display
        text = screen_text(app)
        assert "Tags · buildkit/app" in text and "failed" not in text
        assert screen.tags.table.keys == screen.tags.tags
