"""Moving around one registry with Pilot on the real test bed: Esc goes back one level and never
leaves without asking, a filter belongs to its repository, the start reference puts the cursor on
its tag, a denied catalog hands the keyboard to the name input, a failed pane says how to retry."""

from __future__ import annotations

import pytest

from acrbrowse.ui.keys import BROWSER_KEYS
from acrbrowse.ui.screens.browser import BrowserScreen, Pane
from acrbrowse.ui.screens.start import StartScreen
from tests.ui.conftest import SIZE, screen_text, user, wait_for

pytestmark = pytest.mark.ui

RELOAD = next(k.display for k in BROWSER_KEYS if k.action == "reload")


async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser screen")


async def open_repository(pilot, screen: BrowserScreen, name: str) -> None:
    await wait_for(pilot, lambda: name in screen.repos.table.keys, what=f"{name} in the list")
    screen.repos.table.focus()
    screen.repos.table.cursor = screen.repos.table.keys.index(name)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.tags.repository == name and screen.tags.complete, what=f"{name}'s tags")


async def test_a_tag_filter_belongs_to_its_repository(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete, what="aspnetapp's tags")
        await pilot.press("slash", *"8.0", "enter")
        assert sorted(screen.tags.table.keys) == ["8.0", "8.0-amd64"]

        await open_repository(pilot, screen, "public/hello")
        assert screen.tags.table.keys == ["latest"]
        assert screen.tags.filter_text == ""
        assert str(screen.tags.border_title) == "Tags · public/hello · 1"
        assert not screen.query_one("#tag-filter").display

        # back in aspnetapp, its own filter is as it was left
        await open_repository(pilot, screen, "aspnetapp")
        assert screen.tags.filter_text == "8.0"
        assert sorted(screen.tags.table.keys) == ["8.0", "8.0-amd64"]
        assert str(screen.tags.border_title) == "Tags · aspnetapp · 2 of 4"


async def test_esc_goes_back_one_level_and_asks_before_leaving(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.manifest_tree.root.data.manifest is not None, what="the tree")
        assert screen.focused_pane is Pane.TREE
        await pilot.press("escape")
        assert screen.focused_pane is Pane.TAGS
        await pilot.press("escape")
        assert screen.focused_pane is Pane.REPOSITORIES

        # a filter applied with Enter is a level of its own
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        await pilot.press("slash", *"repo-15", "enter")
        filtered = screen.repos.table.keys
        assert filtered[0] == "bulk/repo-150" and len(filtered) < len(screen.repos.names)
        assert screen.repos.table.has_focus
        await pilot.press("escape")
        assert app.screen is screen
        assert screen.repos.filter_text == "" and len(screen.repos.table.keys) == len(screen.repos.names)

        # leaving the registry takes a second Esc, and the first one says so
        await pilot.press("escape")
        assert app.screen is screen
        assert any("Esc again to leave registry.test:5000" in text for text in app.messages.texts())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen), what="the start screen")


async def test_another_key_between_two_escs_keeps_the_registry(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        await pilot.press("escape", "j", "escape")
        assert app.screen is screen


async def test_backspace_never_leaves_the_registry(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete and screen.repos.complete, what="the lists")
        assert screen.focused_pane is Pane.TAGS
        await pilot.press("backspace")
        assert screen.focused_pane is Pane.REPOSITORIES
        await pilot.press("backspace", "backspace", "backspace")
        assert app.screen is screen and screen.focused_pane is Pane.REPOSITORIES


async def test_opened_at_a_tag_the_cursor_is_on_that_tag(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:sbom")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete, what="aspnetapp's tags")
        assert screen.tags.tags.index("sbom") > 0
        await wait_for(pilot, lambda: screen.tags.table.cursor_key == "sbom", what="the cursor on sbom")


async def test_another_repository_clears_the_tree_and_the_details(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="the tree")
        placeholder = "Highlight a tag or a tree node"
        await wait_for(pilot, lambda: screen.detail.renderable is not None, what="the root's details")
        assert placeholder not in screen.detail.plain_text()
        await open_repository(pilot, screen, "public/hello")
        assert tree.repository is None
        assert "aspnetapp" not in str(tree.root.label)
        assert "aspnetapp" not in screen.detail.plain_text()


async def test_catalog_denied_gives_the_keyboard_to_the_name_input(testbed, make_app):
    app = make_app(testbed.token.host, user(testbed, "readonlypull"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.denied is not None, what="the catalog denial")
        name = screen.query_one("#repo-name")
        await wait_for(pilot, lambda: name.has_focus, what="the name input focused")
        # nothing visited yet: Esc does not send the keys to an empty list
        await pilot.press("escape")
        assert name.has_focus
        await pilot.press(*"charts/mychart", "enter")  # "c" and "/" are typed, not run
        await wait_for(pilot, lambda: screen.tags.repository == "charts/mychart", what="the name opened")
        assert not screen.query_one("#repo-filter").display
        assert not any("copy" in text for text in app.messages.texts())


async def test_a_failed_catalog_says_why_and_how_to_retry(make_app):
    app = make_app("127.0.0.1:1", timeout=2.0)  # nothing listens on port 1
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        message = screen.query_one("#repo-message")
        await wait_for(pilot, lambda: message.display, timeout=15, what="the failure")
        text = str(message.render())
        assert f"{RELOAD} retries" in text
        assert "0" not in screen.repos.border_title and "failed" in screen.repos.border_title
        assert "no repositories" not in screen_text(app)
        # across the pane's full width, wrapped where it must be: never cut
        assert message.size.width >= screen.repos.content_region.width - 2
        assert message.size.width * message.size.height >= len(text)


async def test_a_registry_opened_from_the_command_line_becomes_recent(testbed, make_app, session):
    app = make_app(f"{testbed.anon.host}/public/hello")
    async with app.run_test(size=SIZE) as pilot:
        await browser(pilot)
        await wait_for(pilot, lambda: session.settings.recent_registries() == [testbed.anon.host],
                       what="the registry recorded as recent")
