"""The dialogs over the browser: the raw JSON view (pager keys, search, copy), the sign-in dialog
(a burst of keys lands in the right fields) and the footer (each dialog shows its own keys; keys
that type text are not offered while an input has focus)."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Footer, Input

from acrbrowse.oci.errors import RegistryError
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.help import HelpScreen
from acrbrowse.ui.screens.login import LoginScreen
from acrbrowse.ui.screens.messages import MessagesScreen
from acrbrowse.ui.screens.raw import RawScreen, find_all, pretty_json_unescaped
from tests.ui.conftest import SIZE, screen_text, wait_for

pytestmark = pytest.mark.ui


def footer_line(app) -> str:
    """The row of the screen the active screen's footer is on."""
    return screen_text(app).splitlines()[app.screen.query_one(Footer).region.y]


def burst(app, keys: list[str]) -> None:
    """Keys as a terminal delivers a paste or an auto-type: all queued at once, before the app has
    handled the first (Pilot's press waits for each key to be handled)."""
    named = {"tab": "\t", "enter": "\r", "slash": "/"}
    for key in keys:
        app.post_message(events.Key(key, named.get(key, key)))


async def open_tree(pilot) -> BrowserScreen:
    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
    await wait_for(pilot, lambda: screen.manifest_tree.root.data.manifest is not None, what="the tag's manifest")
    return screen


async def login_dialog(pilot) -> LoginScreen:
    """The sign-in dialog, once its username field has the focus (as a person sees it)."""
    app = pilot.app
    return await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.focused is not None
                          and app.focused.id == "login-username" and app.screen, what="the sign-in dialog")


async def test_a_burst_of_keys_signs_in(testbed, make_app):
    app = make_app(testbed.token.host)  # no credential: the dialog opens
    async with app.run_test(size=SIZE) as pilot:
        dialog = await login_dialog(pilot)
        burst(app, [*"admin", "tab", *testbed.users["admin"], "enter"])
        username = dialog.query_one("#login-username", Input)
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen)
                       or dialog.query_one("#login-error").display, what="the sign-in to finish")
        assert username.value == "admin"
        assert isinstance(app.screen, BrowserScreen)
        # the dialog closes first; the browser then adopts the signed-in client
        await wait_for(pilot, lambda: app.session.credential(testbed.token.host) is not None, what="the sign-in kept")
        assert app.session.client(testbed.token.host).credential.username == "admin"


async def test_enter_in_a_burst_moves_to_the_password(testbed, make_app):
    app = make_app(testbed.token.host)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await login_dialog(pilot)
        burst(app, [*"admin", "enter", *"secret"])
        password = dialog.query_one("#login-password", Input)
        await wait_for(pilot, lambda: password.value == "secret", what="the password typed")
        assert dialog.query_one("#login-username", Input).value == "admin"


async def test_raw_view_moves_searches_and_copies(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        await open_tree(pilot)
        await pilot.press("v")
        raw = await wait_for(pilot, lambda: isinstance(app.screen, RawScreen) and app.screen)
        body = raw.body
        last = raw.raw.count("\n")
        assert body.cursor_location == (0, 0)
        await pilot.press("j", "j")
        assert body.cursor_location[0] == 2
        await pilot.press("k")
        assert body.cursor_location[0] == 1
        await pilot.press("G")
        assert body.cursor_location[0] == last
        await pilot.press("g")
        assert body.cursor_location == (0, 0)

        # search: the first match after the cursor is selected (highlighted, scrolled to); n, N step
        await pilot.press("slash")
        assert raw.focused is raw.search_input
        assert "Search" not in footer_line(app)  # "/" types in the search field
        await pilot.press(*"PLATFORM", "enter")
        matches = find_all(raw.raw, "platform")
        assert len(matches) >= 4 and raw.matches == matches
        assert raw.focused is body
        line, column = matches[0]
        assert body.selected_text.casefold() == "platform" and body.selection.start == (line, column)
        await pilot.press("n")
        assert body.selection.start == matches[1]
        await pilot.press("N", "N")
        assert body.selection.start == matches[-1]
        await wait_for(pilot, lambda: body.scroll_offset.y > 0 or body.size.height > last,
                       what="the last match scrolled into view")

        # Esc in the search field closes the field, not the view
        await pilot.press("slash", "escape")
        assert isinstance(app.screen, RawScreen) and raw.focused is body

        await pilot.press("y")
        assert app.clipboard == raw.json_text
        assert '"manifests": [' in app.clipboard and "\n" in app.clipboard
        await pilot.press("escape")
        assert not isinstance(app.screen, RawScreen)


def test_find_all_is_case_insensitive_and_finds_each():
    assert find_all('{\n  "a": "Aa"\n}', "a") == [(1, 3), (1, 8), (1, 9)]
    assert find_all("x", "") == []


async def test_multiline_copy_refuses_control_characters(testbed, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.copy_text('{\n  "a": 1\n}', "JSON", multiline=True)
        assert app.clipboard == '{\n  "a": 1\n}'
        for bad in ('{"a": "\x1b]52;c;x\x07"}', '{"a": "\u202e"}', "{\r\n}", "  \n "):
            await app.copy_text(bad, "JSON", multiline=True)
            assert app.clipboard == '{\n  "a": 1\n}'
        await app.copy_text("two\nlines", "digest")  # a one-line copy still refuses newlines
        assert app.clipboard == '{\n  "a": 1\n}'
        await pilot.pause()
        assert sum("not copied" in text for text in app.messages.texts("error")) == 5


def test_raw_keeps_what_it_copies_unescaped_and_shows_it_escaped():
    screen = RawScreen("t", b'{"a": "\\u009b31m"}')
    assert "\x9b" in screen.json_text and "\x9b" not in screen.raw and "\\x9b" in screen.raw
    assert screen.json_text == pretty_json_unescaped(b'{"a": "\\u009b31m"}')


async def test_each_dialog_footer_shows_its_own_keys(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tree(pilot)

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, RawScreen))
        await pilot.pause()
        footer = footer_line(app)
        assert "Search" in footer and "Copy" in footer and "Close" in footer
        assert "Copy digest" not in footer and "Filter" not in footer
        await pilot.press("escape")

        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MessagesScreen))
        await pilot.pause()
        footer = footer_line(app)
        assert "Close" in footer and "Copy digest" not in footer and "Filter" not in footer
        await pilot.press("escape")

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        footer = footer_line(app)
        assert "Close" in footer and "Copy digest" not in footer and "Filter" not in footer
        await pilot.press("escape")

        screen.request_login(RegistryError("sign in, please"))
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        await pilot.pause()
        footer = footer_line(app)
        assert "Cancel" in footer and "Copy digest" not in footer and "Filter" not in footer
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_footer_hides_keys_that_type_in_a_filter(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        await pilot.pause()
        footer = footer_line(app)
        assert "Filter" in footer and "Copy ref" in footer
        await pilot.press("slash")
        assert isinstance(screen.focused, Input)
        await pilot.pause()
        footer = footer_line(app)
        for typed in ("Filter", "Copy ref", "Copy digest", "Raw JSON", "Reload", "Quit", "Help"):
            assert typed not in footer, typed
        assert "Back" in footer  # Esc closes the filter
        await pilot.press(*"cv/q?")
        assert screen.focused.value == "cv/q?" and app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert "Filter" in footer_line(app)


async def test_raw_search_typed_in_one_burst(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        await open_tree(pilot)
        await pilot.press("v")
        raw = await wait_for(pilot, lambda: isinstance(app.screen, RawScreen) and app.screen)
        burst(app, ["slash", *"windows", "enter"])
        await wait_for(pilot, lambda: raw.matches, what="the search")
        assert raw.needle == "windows" and raw.body.selected_text == "windows"


async def test_a_burst_after_slash_lands_in_the_filter(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete and screen.tags.table.has_focus, what="the tags")
        burst(app, ["slash", *"8.0-a"])
        await wait_for(pilot, lambda: screen.query_one("#tag-filter", Input).value == "8.0-a",
                       what="the filter text")
        await wait_for(pilot, lambda: screen.tags.table.keys == ["8.0-amd64"], what="the filtered list")
