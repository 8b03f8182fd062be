"""Snapshots of the main screens (pytest-textual-snapshot). The test bed's random ports are shown
as DISPLAY_NAME (the app's display_names), cursors don't blink, and each snapshot waits until the
network has answered everything on screen, so the SVGs are the same on every run.

Update after an intended change: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.files import FilesScreen
from acrbrowse.ui.screens.login import LoginScreen
from acrbrowse.ui.screens.start import StartScreen
from acrbrowse.ui.tree.nodes import LayerItem
from tests.layerfiles.images import push_layered_images
from tests.ui.conftest import SIZE, wait_for

pytestmark = pytest.mark.ui


def steady(app) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def test_start_screen(snap_compare, make_app, session, testbed):
    session.settings.record_recent_registry("contoso.azurecr.io")
    session.settings.record_recent_registry(testbed.anon.host)
    session.settings.record_stored_login("contoso.azurecr.io", "ci-bot")
    app = make_app()

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen) and app.screen.known)
        steady(app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_repositories_and_tags(snap_compare, make_app, testbed):
    app = make_app(f"{testbed.anon.host}/aspnetapp", pinned_catalog=True)

    async def run_before(pilot) -> None:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete and screen.tags.complete)
        await wait_for(pilot, lambda: screen.tags.settled(), what="the tags' rows, sizes included")
        await pilot.press("down")
        tag = screen.tags.highlighted()
        await wait_for(pilot, lambda: f":{tag}" in (text := screen.detail.plain_text()) and "resolving" not in text
                       and "adding up" not in text, what="the highlighted tag's details")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_expanded_tree(snap_compare, make_app, testbed):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest", pinned_catalog=True)

    async def run_before(pilot) -> None:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None)
        await pilot.press("down", "enter")
        node = tree.root.children[0]
        await wait_for(pilot, lambda: node.data.config is not None)  # its manifest came with the root's
        await wait_for(pilot, lambda: screen.repos.complete and screen.tags.complete)
        await wait_for(pilot, lambda: screen.tags.settled(), what="the tags' rows, sizes included")
        await pilot.press("down", "down")  # config, layer 1: the detail pane shows its history line
        await wait_for(pilot, lambda: "Layer 1" in screen.detail.plain_text(), what="layer 1's details")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_login_dialog(snap_compare, make_app, testbed):
    app = make_app(testbed.token.host, pinned_catalog=True)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        await pilot.press(*"admin", "enter", *"hunter2")
        steady(app)
        await wait_for(pilot, lambda: app.screen.query_one("#login-password", Input).value == "hunter2",
                       what="the typed password")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), SIZE], ids=["80x24", "160x45"])
def test_files_of_a_layer_and_merged(snap_compare, make_app, testbed, size):
    """A layer's files, every directory expanded, the cursor on a modified file (a fixed repository:
    its name is in the title)."""
    images = push_layered_images(testbed.anon.host, "scratch/files-view")
    app = make_app(images.ref(images.image_tag))

    async def run_before(pilot) -> None:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: any(isinstance(n.data, LayerItem) for n in tree.root.children))
        tree.focus()
        tree.move_cursor(tree.root)
        await pilot.press("f")
        files = await wait_for(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen)
        await wait_for(pilot, lambda: files.state == "done", what="the merged filesystem")
        await pilot.press("e")
        rows = [files.view.tree.path(node) for node in files.table.keys]
        files.table.cursor = rows.index("usr/bin/app")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
