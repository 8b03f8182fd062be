"""The repositories pane on an ACR (the test bed's ACR layer): rows in view show their tag count and
last push; a registry that is not ACR is never asked, and its rows stay names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.widgets.repositories import DETAIL_COLUMNS
from tests.testbed.acr import AcrLayer, start_acr_layer
from tests.ui.conftest import SIZE, user, wait_for

pytestmark = pytest.mark.ui


@pytest.fixture
def acr(testbed) -> Iterator[AcrLayer]:
    layer = start_acr_layer(testbed)
    try:
        yield layer
    finally:
        layer.stop()


def cell(pane, name: str, key: str) -> str:
    column = next(c for c in pane.table.columns if c.key == key)
    return str(pane._render_cell(name, column))


async def test_rows_in_view_show_their_tag_count_and_last_push(testbed, make_app, acr):
    app = make_app(acr.host, user(testbed, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen, what="browser")
        repos = screen.repos
        await wait_for(pilot, lambda: repos.complete, what="the catalog")
        repos.table.focus()
        await pilot.press("slash", *"aspnetapp")
        await wait_for(pilot, lambda: "aspnetapp" in repos.details, what="aspnetapp's details")
        assert DETAIL_COLUMNS[0] in repos.table.columns
        count = len(testbed.content.tags["aspnetapp"])
        assert cell(repos, "aspnetapp", "tags") == f"{count} tags"
        pushed = cell(repos, "aspnetapp", "pushed")
        assert pushed.endswith("ago") or pushed == "just now"
        # lazily: the rows that were in view (the catalog's first screen, then the filter's), not all
        assert len(repos.details) <= 2 * repos.table.page_height < len(repos.names)


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
        assert DETAIL_COLUMNS[0] not in repos.table.columns and repos.details == {}
        # why its tags have no times: in the run's messages (m), once, not in a toast
        await wait_for(pilot, lambda: any("not an Azure Container Registry" in text for text in app.messages.texts()),
                       what="the note")
        assert not screen.tags.timed
        assert not [entry for entry in proxy.log if entry.path.startswith("/acr/")]
