"""Snapshots of the comparison (layers, the files that differ) and of the usage view, at 80×24 and
160×45, on a fixed repository (pushing the same content again changes nothing), so the SVGs hold
still from run to run.

Update after an intended change: pytest tests/ui/test_compare_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from acrbrowse.ui.screens.usage import UsageScreen
from tests.ui.conftest import SIZE, tags_listed, wait_for
from tests.ui.test_compare_ui import cursor_on_tag, diff_screen, push_pair

pytestmark = pytest.mark.ui

SIZES = pytest.mark.parametrize("size", [(80, 24), SIZE], ids=["80x24", "160x45"])


@SIZES
def test_comparison_with_its_files(snap_compare, make_app, testbed, size):
    pair = push_pair(testbed.anon.host, "scratch/compare-view")
    app = make_app(pair.ref())

    async def run_before(pilot) -> None:
        browser = await tags_listed(pilot)
        browser.tags.table.focus()
        await cursor_on_tag(pilot, browser, "one")
        await pilot.press("m")
        await cursor_on_tag(pilot, browser, "two")
        await pilot.press("d")
        screen = await diff_screen(pilot, app)
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.state == "files", what="the files that differ")
        await pilot.press("down", "down")  # the cursor on the layer only A holds
        app.clear_notifications()  # the mark's toast would cover the comparison
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_usage(snap_compare, make_app, testbed, size):
    pair = push_pair(testbed.anon.host, "scratch/compare-view")
    app = make_app(pair.ref())

    async def run_before(pilot) -> None:
        browser = await tags_listed(pilot)
        browser.tags.table.focus()
        await pilot.press("U")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen) and app.screen)
        await wait_for(pilot, lambda: screen.state == "done", what="the manifests read")
        app.clear_notifications()  # the mark's toast would cover the comparison
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
