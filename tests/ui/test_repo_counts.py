"""The repositories pane on an ACR (the test bed's ACR layer): rows in view show their tag count and
last push; a registry that is not ACR is never asked, and its rows stay names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acrbrowse.oci.source import RepositoryDetails
from acrbrowse.present.times import short_age
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.widgets.repositories import DETAILS_COLUMN, DETAILS_MIN_WIDTH, details_text
from tests.ui.conftest import SIZE, user, wait_for

pytestmark = pytest.mark.ui



async def test_rows_in_view_show_their_tag_count_and_last_push(testbed, make_app, acr):
    app = make_app(acr.host, user(testbed, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen, what="browser")
        repos = screen.repos
        await wait_for(pilot, lambda: repos.complete, what="the catalog")
        repos.table.focus()
        await pilot.press("slash", *"aspnetapp")
        await wait_for(pilot, lambda: "aspnetapp" in repos.details, what="aspnetapp's details")
        count = len(testbed.content.tags["aspnetapp"])
        count_text, age = str(details_text(repos.details["aspnetapp"])).split(" · ")
        assert count_text == f"{count} tags" and age[-1] in "wdhmsy" or age == "now"
        assert repos.size.width >= DETAILS_MIN_WIDTH and DETAILS_COLUMN in repos.table.columns  # focused: wide
        column = repos.table.columns.index(DETAILS_COLUMN)
        assert str(repos._render_cell("aspnetapp", repos.table.columns[column])) == f"{count} tags · {age}"
        await pilot.press("down", "enter")  # its tags, focused: the repositories narrow, the names keep the room
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        await wait_for(pilot, lambda: repos.size.width < DETAILS_MIN_WIDTH, what="a narrow repositories pane")
        # the column goes once the pane has heard of its new size (a resize event after the layout);
        # where the tags need the width, the repositories column is not shown at all
        await wait_for(pilot, lambda: not repos.display or DETAILS_COLUMN not in repos.table.columns,
                       what="the details column gone")
        # lazily: the rows that were in view (the catalog's first screen, then the filter's), not all
        assert len(repos.details) <= 2 * (SIZE[1] - 4) < len(repos.names)  # at most two screens of rows


async def test_a_registry_that_is_not_acr_is_never_asked(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    app = make_app(proxy.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen, what="browser")
        repos = screen.repos
        await wait_for(pilot, lambda: repos.complete and repos.table.keys, what="the catalog")
        assert not repos._may_tell_details()
        repos.table.focus()
        await pilot.press("enter")  # a repository's tags: the metadata layer learns it is not ACR too
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        assert DETAILS_COLUMN not in repos.table.columns and repos.details == {}
        # why its tags have no times: in the run's messages (m), once, not in a toast
        await wait_for(pilot, lambda: any("not an Azure Container Registry" in text for text in app.messages.texts()),
                       what="the note")
        assert not screen.tags.timed
        assert not [entry for entry in proxy.log if entry.path.startswith("/acr/")]


@pytest.mark.parametrize(("seconds", "text"), [(5, "now"), (-30, "now"), (-3600, "?"), (300, "5m"), (7200, "2h"),
                                               (3 * 86400, "3d"), (65 * 86400, "2mo"), (800 * 86400, "2y")])
def test_short_ages(seconds, text):
    now = datetime(2025, 6, 1, tzinfo=UTC)
    assert short_age(now - timedelta(seconds=seconds), now) == text


def test_details_fit_their_column():
    now = datetime.now(UTC)
    assert str(details_text(RepositoryDetails("r", tag_count=1, updated=now))) == "1 tag · now"
    assert str(details_text(RepositoryDetails("r", tag_count=2100, updated=now - timedelta(days=90)))) == "2,100 · 3mo"
    assert str(details_text(RepositoryDetails("r", tag_count=12))) == "12 tags"
    assert str(details_text(RepositoryDetails("r"))) == "" and str(details_text(None)) == ""
