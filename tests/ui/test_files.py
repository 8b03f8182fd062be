"""The files view against the real registry: Enter on a layer lists its files (a tree of directories
with sizes summed; sorted, filtered, expanded and collapsed with the keyboard), `f` on an image
opens its merged filesystem with the layer, change and wasted bytes of each path, and Esc stops a
download at once."""

from __future__ import annotations

import hashlib

import pytest

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.files import FilesScreen
from acrbrowse.ui.tree.nodes import LayerItem, RootItem
from tests.layerfiles.images import WASTED
from tests.ui.conftest import SIZE, assert_screen_safe, wait_for

pytestmark = pytest.mark.ui


async def open_tree(pilot, app):
    screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen, what="the browser")
    tree = screen.manifest_tree
    await wait_for(pilot, lambda: any(isinstance(n.data, LayerItem) for n in tree.root.children), what="the layers")
    return screen, tree


async def files_screen(pilot, app, *, done: bool = True) -> FilesScreen:
    screen = await wait_for(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen, what="the files view")
    if done:
        await wait_for(pilot, lambda: screen.state == "done", what="the listing")
        await pilot.pause()
    return screen


def row_names(screen: FilesScreen) -> list[str]:
    return [screen.view.name_cell(node).plain.strip() for node in screen.table.keys]


def cursor_to(screen: FilesScreen, name: str) -> None:
    screen.table.cursor = row_names(screen).index(name)


async def test_enter_on_a_layer_lists_its_files_as_a_tree(layered, make_app):
    app = make_app(layered.ref(layered.image_tag))
    async with app.run_test(size=SIZE) as pilot:
        _, tree = await open_tree(pilot, app)
        layer_two = [n for n in tree.root.children if isinstance(n.data, LayerItem)][1]
        tree.move_cursor(layer_two)
        tree.focus()
        await pilot.press("enter")
        screen = await files_screen(pilot, app)
        assert screen.target.layer == 1
        # the directories no entry names are implied by their files; top level only, collapsed
        assert row_names(screen) == ["▸ etc/", "▸ usr/", "▸ var/"]
        title = str(screen.query_one("#files-title").render())
        assert "layer 2 of 3" in title and "4 entries" in title and "read from stream" in title

        cursor_to(screen, "▸ usr/")
        await pilot.press("right")
        names = row_names(screen)
        assert names[:3] == ["▸ etc/", "▾ usr/", "▸ bin/"] and names[3].startswith("evil\\x1b[31mred\\x07")
        await pilot.press("down", "right")  # into bin/
        assert "app" in row_names(screen)
        assert screen.view.size_cell(screen.table.keys[1]).plain == "60.0 kB"  # usr/ adds up what is below it
        info = str(screen.query_one("#files-info").render())
        assert info.startswith("directory /usr/bin")

        await pilot.press("e")  # everything expanded
        assert row_names(screen) == ["▾ etc/", "new.conf", "▾ usr/", "▾ bin/", "app", row_names(screen)[5],
                                     "▾ var/", "▾ log/", "old.log  removed"]
        await pilot.press("s")  # by size: the biggest directory first
        assert row_names(screen)[0] == "▾ usr/"
        await pilot.press("g", "left")  # the first row: collapses usr/
        assert row_names(screen)[0] == "▸ usr/"

        await pilot.press("slash", *"app")
        await wait_for(pilot, lambda: row_names(screen) == ["usr/bin/app"], what="the filtered paths")
        await pilot.press("down")  # ↓ from the filter into its list
        assert screen.table.has_focus
        info = str(screen.query_one("#files-info").render())
        assert info.startswith("-rwxr-xr-x root/root  60,000 bytes  /usr/bin/app")
        assert_screen_safe(app)
        await pilot.press("escape")  # the filter closes
        assert screen.view.matches is None and len(row_names(screen)) > 1
        await pilot.press("escape")  # the view closes
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="back in the browser")


async def test_f_on_an_image_opens_its_merged_filesystem(layered, make_app):
    app = make_app(layered.ref(layered.image_tag))
    async with app.run_test(size=SIZE) as pilot:
        _, tree = await open_tree(pilot, app)
        tree.move_cursor(tree.root)
        assert isinstance(tree.root.data, RootItem)
        tree.focus()
        await pilot.press("f")
        screen = await files_screen(pilot, app)
        merged = screen.view.merged
        assert merged is not None and merged.wasted_bytes == WASTED
        title = str(screen.query_one("#files-title").render())
        assert "merged: efficiency" in title and "3 layers" in title
        await pilot.press("e")
        rows = {screen.view.tree.path(node): node for node in screen.table.keys}
        app_node = rows["usr/bin/app"]
        assert (screen.view.layer_cell(app_node).plain, screen.view.change_cell(app_node).plain,
                screen.view.wasted_cell(app_node).plain) == ("2", "modified", "50.0 kB")
        assert screen.view.change_cell(rows["tmp/cache/a"]).plain == "removed"
        await pilot.press("s", "s")  # name → size → wasted
        assert screen.view.order == "wasted"
        first = screen.table.keys[0]
        assert screen.view.tree.path(first) == "usr"  # 50 kB of usr/bin/app: the most wasted below it
        assert_screen_safe(app)


async def test_esc_stops_a_download_that_does_not_answer(layered, make_app, fault_proxy):
    proxy = fault_proxy(layered.registry)
    first_layer = hashlib.sha256(layered.blobs[0]).hexdigest()
    proxy.delay("GET", rf"/blobs/sha256:{first_layer}", 30)  # the first layer answers after 30 s
    app = make_app(f"{proxy.host}/{layered.repository}:{layered.image_tag}")
    async with app.run_test(size=SIZE) as pilot:
        _, tree = await open_tree(pilot, app)
        layer_one = next(n for n in tree.root.children if isinstance(n.data, LayerItem))
        tree.move_cursor(layer_one)
        tree.focus()
        await pilot.press("f")
        screen = await files_screen(pilot, app, done=False)
        await wait_for(pilot, lambda: "Esc" in str(screen.table.wait.text("loading", cancellable=True)),
                       what="the wait says how to stop it")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.state == "cancelled", what="stopped")
        assert isinstance(app.screen, FilesScreen)  # the first Esc stops, the view stays
        assert "stopped" in str(screen.query_one("#files-title").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="closed")


async def test_a_layer_that_is_no_tar_says_so_in_one_line(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:8.0-amd64")
    async with app.run_test(size=SIZE) as pilot:
        _, tree = await open_tree(pilot, app)
        tree.move_cursor(next(n for n in tree.root.children if isinstance(n.data, LayerItem)))
        tree.focus()
        await pilot.press("enter")
        screen = await files_screen(pilot, app, done=False)
        await wait_for(pilot, lambda: screen.state == "failed", what="the error")
        assert screen.error_line.startswith("layer sha256:") and "is not a tar archive" in screen.error_line
        assert screen.table.keys == [] and screen.table.empty_text == screen.error_line
        text = assert_screen_safe(app)
        assert "is not a tar archive" in text and "Traceback" not in text
        await pilot.press("r")  # reads again, and says the same
        await wait_for(pilot, lambda: screen.state == "failed", what="the error again")


async def test_c_copies_the_highlighted_path(layered, make_app):
    app = make_app(layered.ref(layered.image_tag))
    async with app.run_test(size=SIZE) as pilot:
        _, tree = await open_tree(pilot, app)
        tree.move_cursor([n for n in tree.root.children if isinstance(n.data, LayerItem)][2])
        tree.focus()
        await pilot.press("f")
        screen = await files_screen(pilot, app)
        await pilot.press("e")
        cursor_to(screen, "c")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.clipboard == "/tmp/cache/c", what="the path copied")
