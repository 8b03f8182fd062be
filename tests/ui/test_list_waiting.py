"""A list pane waiting for a registry that does not answer (the fault proxy holds the request):
past 300 ms it shows a spinner and the time waited; Esc cancels the request with its worker, the
pane says so (keeping the rows that came), and r starts again."""

from __future__ import annotations

import re

import pytest
from textual.worker import Worker

from acrbrowse.ui.screens.browser import BrowserScreen
from tests.ui.conftest import DISPLAY_NAME, SIZE, screen_text, wait_for

pytestmark = pytest.mark.ui

NEVER = 600.0  # seconds the proxy holds a request: longer than any test runs
# The session's own timeout is longer still: it is the Esc, not a timeout, that ends the wait.
PATIENT = 900.0
WAITING = re.compile(r"loading… (\d+\.\d) s")


async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser")


def running(app, group: str) -> list[Worker]:
    return [worker for worker in app.workers if worker.group == group and not worker.is_finished]


async def waited(pilot) -> float:
    """Wait until a pane shows the spinner with the time waited and how to cancel; return that time."""
    found = await wait_for(pilot, lambda: "Esc cancels" in (text := screen_text(pilot.app)) and WAITING.search(text),
                           what="the time waited")
    return float(found[1])


async def test_esc_cancels_a_catalog_that_never_comes_and_r_starts_again(make_app, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.delay("GET", r"^/v2/_catalog$", seconds=NEVER, times=1)
    app = make_app(proxy.host, display_names={proxy.host: DISPLAY_NAME}, timeout=PATIENT)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        repos = screen.repos
        assert await waited(pilot) >= 0.3  # before that, just "loading…"
        assert repos.table.has_focus and not repos.names and running(app, "repositories")
        assert "Repositories · loading…" in screen_text(app)

        await pilot.press("escape")
        await wait_for(pilot, lambda: not running(app, "repositories"), what="the worker to stop")
        assert app.screen is screen  # the Esc cancelled the wait; it did not go back or ask to leave
        assert not any("Esc again" in text for text in app.messages.texts())
        text = screen_text(app)
        assert "cancelled · r retries" in text and "Repositories · stopped" in text
        assert not WAITING.search(text) and "Esc cancels" not in text
        assert not repos.wait.active and not repos.table.wait.active  # no timer left repainting
        assert repos.cancel_wait() is False  # nothing waits now: Esc does what it did before

        await pilot.press("r")  # the delay was for one request: this one is answered
        await wait_for(pilot, lambda: repos.complete, what="the catalog")
        assert "aspnetapp" in repos.names and repos.table.keys == repos.names
        text = screen_text(app)
        assert "cancelled" not in text and "stopped" not in text and "aspnetapp" in text
        assert not repos.wait.active and not repos.table.wait.active
    assert len([entry for entry in proxy.log if entry.path.startswith("/v2/_catalog")]) == 2


async def test_esc_stops_tags_that_stall_after_the_first_page_and_keeps_its_rows(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.paginate_tags(times=1)  # the first page is answered at once …
    proxy.delay("GET", r"^/v2/manytags/tags/list$", seconds=NEVER, times=1)  # … the next one never
    proxy.paginate_tags()
    app = make_app(f"{proxy.host}/manytags", display_names={proxy.host: DISPLAY_NAME}, timeout=PATIENT)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        tags = screen.tags
        await wait_for(pilot, lambda: tags.table.keys, what="the first page")
        first = len(tags.tags)
        assert 0 < first < 2100 and not tags.complete
        tags.table.focus()
        assert await waited(pilot) >= 0.3  # in the pane's border, the rows in view
        assert running(app, "tags") and f"{first}…" in str(tags.border_title)

        await pilot.press("escape")
        await wait_for(pilot, lambda: not running(app, "tags"), what="the worker to stop")
        assert app.screen is screen and tags.table.has_focus
        assert str(tags.border_title).endswith(f"· {first} (stopped)")
        assert len(tags.table.keys) == first and not tags.message.display  # the rows that came stay
        assert not WAITING.search(screen_text(app)) and not tags.wait.active
        await pilot.press("down")  # the list still moves
        assert tags.table.cursor == 1
        assert tags.cancel_wait() is False

        await pilot.press("r")  # again from the start: every page this time
        await wait_for(pilot, lambda: tags.complete, timeout=30, what="every page")
        assert len(tags.table.keys) == 2100 and sorted(tags.tags) == sorted(testbed.content.manytags)
        assert "stopped" not in str(tags.border_title) and not tags.wait.active
