"""A tree node whose registry never answers: the wait shows its elapsed time, Esc cancels it, and
expanding (or r) tries again."""

from __future__ import annotations

import re

import pytest

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.tree.nodes import InfoLeaf, LoadingLeaf
from tests.ui.conftest import SIZE, screen_text, wait_for

pytestmark = pytest.mark.ui

ELAPSED = re.compile(r"loading… \d+\.\d s · Esc cancels")


async def test_a_config_that_never_comes_shows_elapsed_time_and_esc_cancels_it(fault_proxy, make_app):
    proxy = fault_proxy("anon")
    proxy.delay("GET", r"/blobs/sha256:", seconds=600)  # the image's config never comes
    app = make_app(f"{proxy.host}/public/hello:latest", timeout=900.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.waiting and ELAPSED.search(screen_text(app)), timeout=20,
                       what="the wait's elapsed time on screen")
        assert app.focused is tree

        await pilot.press("escape")
        await wait_for(pilot, lambda: not tree.waiting, what="the fetch to be cancelled")
        assert app.focused is tree  # Esc cancelled the wait; it did not go back a pane
        leaves = [child.data for child in tree.root.children]
        assert any(isinstance(leaf, InfoLeaf) and "cancelled" in leaf.text for leaf in leaves)
        assert not any(isinstance(leaf, LoadingLeaf) for leaf in leaves)
        assert not [w for w in tree.workers if w.group == "tree-node" and not w.is_finished]
        assert "cancelled · r tries again" in screen_text(app)

        proxy.clear_rules()  # the registry answers again: r fetches the image for real
        await pilot.press("r")
        await wait_for(pilot, lambda: any(type(child.data).__name__ == "ConfigItem" for child in tree.root.children),
                       what="the config after the retry")
        await pilot.press("escape")  # nothing waits now: Esc goes back to the tags
        await wait_for(pilot, lambda: app.focused is screen.tags.table, what="Esc back to the tags")


async def test_a_tag_that_waits_shows_its_elapsed_time_in_the_details(fault_proxy, make_app):
    proxy = fault_proxy("anon")
    proxy.delay("GET", r"/manifests/sha256:", seconds=600)  # manifests by digest never come
    app = make_app(f"{proxy.host}/aspnetapp:8.0", timeout=900.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.highlighted() == "8.0", what="the tag under the cursor")
        screen.tags.table.focus()
        await pilot.pause()
        await pilot.press("j", "k")  # highlighted again, now in the tags pane: the details show the tag
        await wait_for(pilot, lambda: re.search(r"(resolving|adding up)… \d+\.\d s", screen.detail.plain_text()),
                       timeout=20, what="the tag's wait, with its time, in the details")
        assert "Esc cancels" not in screen.detail.plain_text()  # the details have no request of their own
