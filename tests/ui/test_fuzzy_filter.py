"""The list filter in the panes: a query matches characters in order, whole matches listed first,
and the matched characters of each row painted are highlighted (read from the rendered lines)."""

from __future__ import annotations

import json

import pytest
from rich.style import Style
from textual.strip import Strip
from textual.widgets import Input

from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.widgets.virtual_table import VirtualTable
from tests.ui.conftest import DISPLAY_NAME, SIZE, assert_screen_safe, wait_for

pytestmark = pytest.mark.ui

JSON = {"Content-Type": "application/json"}
HOSTILE_TAG = "\x1b[2Jbuild-\u202e7"
TAGS = ["8.0", "8.0-amd64", "18.10", "latest", "v8-1.0", HOSTILE_TAG]


async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser")


def painted(table: VirtualTable, key: str) -> list[tuple[str, Style]]:
    """Each character of `key`'s row as painted, with its style (the row must be in view)."""
    row = table.keys.index(key) - round(table.scroll_y)
    strip: Strip = table.render_line(row + table.header_height)
    return [(char, segment.style or Style()) for segment in strip for char in segment.text]


def highlighted(table: VirtualTable, key: str, start: int = 1) -> str:
    """The characters of the row's first cell (from `start`) drawn as a match: bold and underlined."""
    cells = painted(table, key)[start:]
    return "".join(char for char, style in cells if style.underline and style.bold)


async def test_the_tags_filter_matches_characters_in_order_and_highlights_them(make_app, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.respond("GET", r"^/v2/aspnetapp/tags/list$", 200, json.dumps({"name": "aspnetapp", "tags": TAGS}), JSON)
    app = make_app(f"{proxy.host}/aspnetapp", display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        tags = screen.tags
        await wait_for(pilot, lambda: tags.complete, what="the tags")
        tags.table.focus()
        await pilot.press("slash", *"8.0")
        await wait_for(pilot, lambda: tags.filter_text == "8.0", what="the filter")
        # whole matches first (natural order), then the characters in order, apart
        assert tags.table.keys == ["8.0", "8.0-amd64", "18.10", "v8-1.0"]
        assert str(tags.border_title).endswith("4 of 6")

        table = tags.table
        await pilot.press("down")  # into the list, the filter kept; the cursor on the first row
        assert table.has_focus and tags.filter_text == "8.0" and table.cursor == 0
        assert highlighted(table, "8.0-amd64") == "8.0"
        assert highlighted(table, "18.10") == "8.0"
        assert highlighted(table, "v8-1.0") == "8.0"
        cells = painted(table, "18.10")[1:6]
        assert [bool(style.underline) for _, style in cells] == [False, True, True, False, True]

        # off the cursor, a match has a colour of its own; on the cursor row it takes the cursor's
        # colours (readable on any theme), still bold and underlined
        off = dict(enumerate(painted(table, "18.10")))
        assert off[2][1].color is not None and off[2][1].color != off[1][1].color
        table.cursor = table.keys.index("18.10")
        await pilot.pause()
        on = dict(enumerate(painted(table, "18.10")))
        assert on[2][1].underline and on[2][1].bold
        assert on[2][1].color == on[1][1].color and on[2][1].bgcolor == on[1][1].bgcolor
        assert on[2][1].bgcolor != off[2][1].bgcolor  # it is the cursor row

        # a hostile tag: matched in its name, highlighted where the row shows it, escapes intact
        filter_input = tags.query_one("#tag-filter", Input)
        filter_input.value = "build7"
        await wait_for(pilot, lambda: table.keys == [HOSTILE_TAG], what="the hostile tag alone")
        shown = terminal_safe(HOSTILE_TAG)
        row = "".join(char for char, _ in painted(table, HOSTILE_TAG))
        assert row[1:].startswith(shown)
        assert highlighted(table, HOSTILE_TAG) == "build7"
        marked = [i for i, (_, style) in enumerate(painted(table, HOSTILE_TAG)) if style.underline]
        assert marked[0] == 1 + shown.index("build")  # not the "b" of the escape "\x1b"
        assert_screen_safe(app)

        # no filter, no highlight
        filter_input.value = ""
        await wait_for(pilot, lambda: len(table.keys) == len(TAGS), what="every tag")
        assert all(highlighted(table, tag) == "" for tag in table.keys)


async def test_the_repositories_filter_highlights_across_the_dimmed_namespace(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        repos = screen.repos
        await wait_for(pilot, lambda: repos.complete, what="the catalog")
        await pilot.press("slash", *"bk/rp15")
        await wait_for(pilot, lambda: repos.filter_text == "bk/rp15", what="the filter")
        table = repos.table
        assert table.keys[0] == "bulk/repo-015"  # no whole match: every one apart, in the registry's order
        assert all(key.startswith("bulk/repo-") for key in table.keys)
        assert highlighted(table, "bulk/repo-015") == "bk/rp15"
        assert highlighted(table, "bulk/repo-150") == "bk/rp15"
        cells = painted(table, "bulk/repo-150")
        b, k = cells[1][1], cells[4][1]
        assert b.underline and k.underline and not cells[2][1].underline  # "b…k": "ul" is not marked

        await pilot.press("ctrl+u")  # in the filter, Ctrl+U is the input's: it clears the text
        await pilot.press(*"repo-15")
        await wait_for(pilot, lambda: repos.filter_text == "repo-15", what="the new filter")
        assert table.keys[:10] == [f"bulk/repo-{i}" for i in range(150, 160)]
        assert highlighted(table, "bulk/repo-150") == "repo-15"
        assert highlighted(table, table.keys[10]) == "repo-15"  # an apart match is marked too
