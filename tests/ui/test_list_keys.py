"""Moving in the lists: g/G and Home/End, Ctrl+D/Ctrl+U by half a page (the filter input keeps
them for its text), ↓ from a filter into its list and ↑ from the first row back to it."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from acrbrowse.ui.screens.browser import BrowserScreen
from tests.ui.conftest import SIZE, wait_for

pytestmark = pytest.mark.ui


async def browser(pilot) -> BrowserScreen:
    screen = await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                            what="the browser")
    await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
    return screen


async def test_first_last_and_half_pages_in_a_list(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        table = screen.repos.table
        assert table.has_focus
        rows = len(table.keys)
        half = table.page_height // 2
        assert rows > 2 * table.page_height and half >= 1

        await pilot.press("G")
        assert table.cursor == rows - 1 and table.cursor_key == table.keys[-1]
        await wait_for(pilot, lambda: table.scroll_y > 0, what="the last row scrolled into view")
        await pilot.press("g")
        assert table.cursor == 0
        await wait_for(pilot, lambda: table.scroll_y == 0, what="the first row scrolled into view")
        await pilot.press("end")
        assert table.cursor == rows - 1
        await pilot.press("home")
        assert table.cursor == 0

        await pilot.press("ctrl+d")
        assert table.cursor == half
        await pilot.press("ctrl+d")
        assert table.cursor == 2 * half
        await pilot.press("ctrl+u")
        assert table.cursor == half
        await pilot.press("ctrl+u", "ctrl+u")
        assert table.cursor == 0  # not past the first row
        await pilot.press("G", "ctrl+d")
        assert table.cursor == rows - 1  # nor past the last
        await pilot.press("ctrl+u")
        assert table.cursor == rows - 1 - half


async def test_the_filter_keeps_ctrl_u_and_ctrl_d_for_its_text(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        table = screen.repos.table
        await pilot.press("ctrl+d")
        held = table.cursor
        assert held > 0
        filter_input = screen.query_one("#repo-filter", Input)
        await pilot.press("slash", *"bulkx")
        assert filter_input.has_focus and filter_input.value == "bulkx"
        await pilot.press("left", "ctrl+d")  # deletes the character under the cursor: the "x"
        assert filter_input.value == "bulk"
        await pilot.press("ctrl+u")  # deletes back to the start of the line
        assert filter_input.value == "" and filter_input.has_focus
        await pilot.press("g", "G")  # typed, not moves
        assert filter_input.value == "gG" and filter_input.has_focus


async def test_down_from_the_filter_into_its_list_and_up_back(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        tags = screen.tags
        await wait_for(pilot, lambda: tags.complete, what="the tags")
        tags.table.focus()
        await pilot.press("slash", *"8.0")
        filter_input = tags.query_one("#tag-filter", Input)
        await wait_for(pilot, lambda: tags.filter_text == "8.0", what="the filter")
        filtered = list(tags.table.keys)
        assert 0 < len(filtered) < len(tags.tags)

        await pilot.press("down")  # into the list: the filter stays, shown and applied
        assert tags.table.has_focus and tags.table.cursor == 0
        assert filter_input.display and filter_input.value == "8.0" and tags.table.keys == filtered
        assert tags.filter_applied
        await pilot.press("down")  # now a move in the list
        assert tags.table.cursor == 1 and tags.table.has_focus

        await pilot.press("up")
        assert tags.table.cursor == 0 and tags.table.has_focus  # the first row: still in the list
        await pilot.press("up")  # above the first row: back in the filter, as it was
        assert filter_input.has_focus and filter_input.value == "8.0"
        await pilot.press("escape")  # Esc in the filter clears it, as before
        assert tags.table.has_focus and not filter_input.display
        assert len(tags.table.keys) == len(tags.tags)

        await pilot.press("up")  # no filter shown: Up on the first row stays in the list
        assert tags.table.has_focus and tags.table.cursor == 0
