"""The layout at every size from 80×24: the focused column always shows whole (Miller columns), a
zoom, a breadcrumb, the footer keeps Help and Quit, dialogs fit, and cut text keeps what identifies
it. Snapshots at 80×24, 100×30 and 160×45 (update: pytest tests/ui/test_layout.py --snapshot-update).
"""

from __future__ import annotations

import pytest
from rich.text import Text

from acrbrowse.ui.layout import Need, arrange, cut
from acrbrowse.ui.screens.browser import BrowserScreen, Pane
from acrbrowse.ui.screens.help import HelpScreen
from acrbrowse.ui.screens.login import LoginScreen
from acrbrowse.ui.screens.raw import RawScreen
from acrbrowse.ui.tree.nodes import EntryItem
from tests.ui.conftest import screen_text, wait_for

pytestmark = pytest.mark.ui

SIZES = [(80, 24), (100, 30), (160, 45)]
SIZE_IDS = ["80x24", "100x30", "160x45"]
LONG_REPOSITORY = "scratch/layout/contoso/platform/observability-gateway"
LONG_TAG = "2024.01.09-build.1234-linux-amd64-nightly-candidate-rc7"


# ---- the pure parts ---------------------------------------------------------------------------

def test_cut_keeps_the_end_of_a_name_and_both_ends_of_a_digest():
    assert cut("contoso/platform/observability", 24, "start").plain == "…/platform/observability"
    digest = "sha256:8e958d0cde31d92a11769b10fe682faf7436afd0904a1be34fb651e0eeb017b8"
    assert cut(digest, 18, "middle").plain == "sha256:8e…eeb017b8"
    assert cut("2024.01.09-build.1234", 12, "end").plain == "2024.01.09-…"
    assert cut("short", 12, "middle").plain == "short"
    wide = cut(Text("観測/プラットフォーム"), 9, "start")
    assert wide.cell_len <= 9 and wide.plain.endswith("ム")


def test_arrange_keeps_the_focus_whole_and_hides_columns_left_of_it_first():
    def needs(focus: int) -> list[Need]:
        return [Need(24, 32), Need(56, 60), Need(84, 110) if focus == 2 else Need(44, 110)]

    assert arrange(80, needs(2), 2) == [0, 0, 80]  # the tree alone, all of it
    assert arrange(132, needs(2), 2) == [0, 0, 132]
    assert arrange(160, needs(2), 2) == [0, 56, 104]  # the repositories go before the tree is cut
    assert arrange(200, needs(2), 2) == [30, 60, 110]
    assert arrange(80, needs(0), 0) == [24, 56, 0]  # the right neighbour previews what Enter opens
    assert arrange(100, needs(1), 1) == [0, 56, 44]  # the tags and a preview of the tree
    for width in range(80, 200):
        for focus in range(3):
            widths = arrange(width, needs(focus), focus)
            assert sum(widths) == width and widths[focus] >= min(width, needs(focus)[focus].minimum)


# ---- in the app -------------------------------------------------------------------------------

async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser")


async def settled_tree(pilot) -> BrowserScreen:
    """The browser at aspnetapp:latest with every platform's line and every tag's row answered."""
    screen = await browser(pilot)
    tree = screen.manifest_tree
    def platforms() -> list:
        return [child for child in tree.root.children if isinstance(child.data, EntryItem)]

    await wait_for(pilot, lambda: tree.root.data.manifest is not None and len(platforms()) == 4,
                   what="the platforms")
    await wait_for(pilot, lambda: all("layers" in child.label.plain for child in platforms()),
                   what="each platform's size")
    await wait_for(pilot, lambda: screen.repos.complete and screen.tags.complete)
    await pilot.pause()
    # Rows resolve only in view: a hidden tags column asks for nothing.
    await wait_for(pilot, lambda: not screen.tags.region.width or screen.tags.settled(), what="the tags' rows")
    await pilot.pause()
    return screen


def visible_whole(screen: BrowserScreen, widget) -> bool:
    region = widget.region
    return region.width > 0 and region.height > 0 and screen.region.contains_region(region)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_tree_at_each_size(snap_compare, make_app, testbed, size):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest", pinned_catalog=True)

    async def run_before(pilot) -> None:
        await settled_tree(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_tags_at_each_size(snap_compare, make_app, testbed, size):
    app = make_app(f"{testbed.anon.host}/aspnetapp", pinned_catalog=True)

    async def run_before(pilot) -> None:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete and screen.tags.complete)
        await wait_for(pilot, lambda: screen.tags.settled(), what="the tags' rows, sizes included")
        await wait_for(pilot, lambda: screen.tags.table.has_focus, what="the tags in focus")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_help_at_each_size(snap_compare, make_app, testbed, size):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest", pinned_catalog=True)

    async def run_before(pilot) -> None:
        await settled_tree(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_at_80x24_the_tree_and_the_footers_help_and_quit_show(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled_tree(pilot)
        text = screen_text(app)
        for platform in ("linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64"):
            line = next(line for line in text.splitlines() if platform in line)
            assert "layers" in line, line  # the whole line, sizes included
        footer = text.splitlines()[-1]
        assert "? Help" in footer and "q Quit" in footer, footer
        assert "aspnetapp › latest" in text.splitlines()[0]  # the breadcrumb
        assert visible_whole(screen, screen.manifest_tree) and visible_whole(screen, screen.detail)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (132, 43), (160, 45)], ids=str)
async def test_the_focused_pane_is_never_hidden(testbed, make_app, size):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=size) as pilot:
        screen = await settled_tree(pilot)
        order = []
        for key in ["tab"] * 4 + ["shift+tab"] * 4:  # round the panes, through the hidden ones too
            await pilot.press(key)
            await pilot.pause()
            order.append(screen.focused_pane)
            assert visible_whole(screen, screen.focused), (key, screen.focused_pane)
        assert order == [Pane.DETAIL, Pane.REPOSITORIES, Pane.TAGS, Pane.TREE,  # in order, left to right
                         Pane.TAGS, Pane.REPOSITORIES, Pane.DETAIL, Pane.TREE]


async def test_zoom_fills_the_screen_with_the_focused_pane_and_comes_back(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=(132, 43)) as pilot:
        screen = await settled_tree(pilot)
        await pilot.press("shift+tab")  # the tags
        await wait_for(pilot, lambda: screen.tags.table.has_focus)
        await pilot.pause()
        tree_pane = screen.query_one("#tree-pane")
        assert tree_pane.region.width > 0
        await pilot.press("z")
        await pilot.pause()
        assert screen.tags.region.width == 132
        assert tree_pane.region.width == 0 and screen.repos.region.width == 0
        assert "z restores" in screen_text(app).splitlines()[0]
        await pilot.press("tab")  # the zoom follows the focus
        await pilot.pause()
        assert tree_pane.region.width == 132 and screen.detail.region.width == 0
        await pilot.press("z")
        await pilot.pause()
        assert screen.detail.region.width == 132  # back: the details under the tree, whole


async def test_a_long_repository_name_and_tag_keep_their_ends_and_the_title_its_count(testbed, make_app):
    testbed.push_scratch_image(LONG_REPOSITORY, LONG_TAG)
    app = make_app(f"{testbed.anon.host}/{LONG_REPOSITORY}")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete and LONG_TAG in screen.tags.info, what="the tag's row")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        title = next(line for line in lines if "Tags ·" in line)
        assert "observability-gateway · 1" in title, title
        row = next(line for line in lines if "2024.01" in line)
        assert LONG_TAG[-6:] in row and "…" in row, row  # cut in the middle: the end survives
        await pilot.press("shift+tab")  # the repositories
        await wait_for(pilot, lambda: screen.repos.table.has_focus, what="the repositories in focus")
        await pilot.press("slash", *"observability-gateway", "enter")
        await wait_for(pilot, lambda: screen.repos.table.keys == [LONG_REPOSITORY], what="the filtered list")
        await pilot.pause()
        row = next(line for line in screen_text(app).splitlines() if "gateway" in line and "Tags" not in line)
        assert "…/platform/observability-gateway" in row or LONG_REPOSITORY in row, row


async def test_dialogs_fit_at_80x24(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=(80, 24)) as pilot:
        await settled_tree(pilot)
        await pilot.press("question_mark")
        help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        await pilot.pause()
        dialog = help_screen.query_one("#help-dialog")
        assert app.screen.region.contains_region(dialog.region) and dialog.region.width <= 80
        # the table wraps its text, it is not cut off (the rest scrolls)
        assert "previous pane; twice in the repositories leaves" in screen_text(app)
        await pilot.press("escape", "v")  # the raw JSON of the tree's root
        await wait_for(pilot, lambda: isinstance(app.screen, RawScreen), what="the raw view")
        await pilot.pause()
        raw = app.screen.query_one("#raw-dialog")
        assert app.screen.region.contains_region(raw.region)


async def test_the_sign_in_dialog_fits_at_80x24_buttons_included(testbed, make_app):
    app = make_app(testbed.token.host)
    async with app.run_test(size=(80, 24)) as pilot:
        login = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen, what="the sign-in")
        await pilot.pause()
        dialog, buttons = login.query_one("#login-dialog"), login.query_one("#login-buttons")
        assert login.region.contains_region(dialog.region)
        assert dialog.content_region.contains_region(buttons.region) and buttons.region.height == 3


async def test_the_repositories_column_widens_when_a_long_name_arrives(testbed, make_app):
    testbed.push_scratch_image(LONG_REPOSITORY, LONG_TAG)
    app = make_app(testbed.anon.host)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete and LONG_REPOSITORY in screen.repos.names,
                       what="the catalog")
        await wait_for(pilot, lambda: screen.repos.region.width == 44, what="the widest the column takes")
