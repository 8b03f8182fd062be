"""The manifest tree and the details on the real test bed: sizes while collapsed, expand all,
←/→ and h/l, a reload that keeps what was expanded, `v` fetching what is not here yet, the
tree's keys in the footer, and what the tag details say a size is."""

from __future__ import annotations

import pytest

from acrbrowse.present.units import human_size
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.raw import RawScreen
from acrbrowse.ui.tree.nodes import ConfigItem, PlatformEntry
from tests.ui.conftest import SIZE, wait_for

pytestmark = pytest.mark.ui


async def open_tree(pilot, what: str = "the platforms' sizes"):
    """The browser opened at a tag, once the root's children (and an index's platform sizes) came."""
    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
    tree = screen.manifest_tree
    await wait_for(pilot, lambda: tree.root.data.fetched and tree.root.children
                   and not str(tree.root.children[0].label).startswith("loading"), what=what)
    return screen, tree


def name(node) -> str:
    return str(node.label).split("  ")[0]


def platforms(tree):
    return [node for node in tree.root.children if isinstance(node.data, PlatformEntry)]


async def test_platform_sizes_while_collapsed_the_index_total_and_expand_all(testbed, make_app):
    content = testbed.content
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot)
        nodes = platforms(tree)
        assert len(nodes) == 4 and not any(node.is_expanded for node in nodes)
        for node in nodes:
            image = content.manifests[node.data.digest]
            layers = len(image.layers)
            assert str(node.label).endswith(f"{layers} layer{'s' * (layers != 1)}, {human_size(image.layers_size)}")
        # the index's details: the sum over its platforms and the largest
        total = sum(image.layers_size for image in content.aspnetapp_platforms.values())
        largest = max(nodes, key=lambda node: content.manifests[node.data.digest].layers_size)
        await wait_for(pilot, lambda: "All platforms" in screen.detail.plain_text(), what="the index's details")
        details = screen.detail.plain_text()
        assert f"All platforms  {total:,} bytes" in details
        assert f"Largest        {name(largest)}  " in details

        await pilot.press("e")  # expand every platform
        await wait_for(pilot, lambda: all(node.is_expanded and isinstance(node.children[0].data, ConfigItem)
                                          for node in nodes), what="every platform expanded")
        await pilot.press("down", "down")  # inside the first platform
        await pilot.press("e")  # again: collapse them, the cursor back on its platform
        await wait_for(pilot, lambda: not any(node.is_expanded for node in nodes), what="all collapsed")
        await wait_for(pilot, lambda: tree.cursor_node is nodes[0], what="the cursor on its platform")


async def test_arrows_and_h_l_collapse_and_expand(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot)
        amd64 = platforms(tree)[0]
        await pilot.press("right")  # on the expanded root: to its first child
        assert tree.cursor_node is amd64
        await pilot.press("right")  # expand
        await wait_for(pilot, lambda: amd64.is_expanded and isinstance(amd64.children[0].data, ConfigItem),
                       what="linux/amd64 expanded")
        await pilot.press("l")  # expanded: to its first child
        assert tree.cursor_node is amd64.children[0]
        await pilot.press("h")  # on a leaf: to its parent
        assert tree.cursor_node is amd64
        await pilot.press("h")  # collapse
        assert not amd64.is_expanded and tree.cursor_node is amd64
        await pilot.press("left")  # collapsed: to its parent
        assert tree.cursor_node is tree.root
        await pilot.press("l", "l")
        assert tree.cursor_node is amd64 and amd64.is_expanded


async def test_reload_keeps_what_was_expanded_and_the_cursor(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/buildkit/app:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot)
        arm64 = tree.root.children[1]
        group = tree.root.children[-2]  # the attestations; the referrers come last
        arm64.expand()
        group.expand()
        await wait_for(pilot, lambda: arm64.children and isinstance(arm64.children[0].data, ConfigItem), what="linux/arm64's parts")
        tree.move_cursor(arm64.children[2])
        await wait_for(pilot, lambda: tree.cursor_node is arm64.children[2], what="the cursor on layer 2")
        before = str(arm64.children[2].label)
        await pilot.press("r")
        await wait_for(pilot, lambda: tree.root.children and tree.root.children[1] is not arm64,
                       what="the tree reloaded")
        new_arm64, new_group = tree.root.children[1], tree.root.children[-2]
        await wait_for(pilot, lambda: new_arm64.is_expanded and new_arm64.children and isinstance(new_arm64.children[0].data, ConfigItem),
                       what="linux/arm64 expanded again")
        assert new_group.is_expanded and not tree.root.children[0].is_expanded
        await wait_for(pilot, lambda: tree.cursor_node is new_arm64.children[2], what="the cursor back")
        assert str(tree.cursor_node.label) == before


async def test_the_tree_s_keys_are_in_the_footer_when_it_has_focus(testbed, make_app):
    """What the footer offers: the screen's active bindings that are shown (the footer reads these)."""
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot)

        def offered() -> set[str]:
            return {active.binding.description for active in screen.active_bindings.values() if active.binding.show}

        assert tree.has_focus
        assert {"Collapse", "Expand", "Expand all"} <= offered()
        screen.tags.table.focus()
        await wait_for(pilot, lambda: not {"Collapse", "Expand", "Expand all"} & offered(), what="the tags' keys")


async def test_v_on_an_unexpanded_platform_shows_its_manifest(testbed, make_app):
    image = testbed.content.aspnetapp_platforms["linux/amd64"]
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot)
        await pilot.press("down")
        assert str(tree.cursor_node.label).startswith("linux/amd64  ") and not tree.cursor_node.is_expanded
        await pilot.press("v")
        raw = await wait_for(pilot, lambda: isinstance(app.screen, RawScreen) and app.screen, what="the raw view")
        assert raw.title_text == f"manifest {image.digest}"
        assert '"layers": [' in raw.raw and '"config": {' in raw.raw


async def test_v_on_a_helm_config_shows_the_config(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/charts/mychart:0.1.0")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot, "the chart")
        await pilot.press("down")
        assert isinstance(tree.cursor_node.data, ConfigItem)
        await pilot.press("v")
        raw = await wait_for(pilot, lambda: isinstance(app.screen, RawScreen) and app.screen, what="the raw view")
        assert raw.title_text == f"config {testbed.content.chart.config.digest}"
        assert '"name": "mychart"' in raw.raw and '"version": "0.1.0"' in raw.raw


async def test_v_in_the_repositories_pane_says_there_is_nothing_raw(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen, tree = await open_tree(pilot)
        screen.repos.table.focus()
        await pilot.press("v")
        await wait_for(pilot, lambda: any("A repository has no raw JSON" in text for text in app.messages.texts()),
                       what="the notice")
        assert app.screen is screen


async def test_the_tag_details_say_what_each_size_is(testbed, make_app):
    content = testbed.content
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        table = screen.tags.table
        await wait_for(pilot, lambda: {"latest", "8.0-amd64", "sbom"} <= set(screen.tags.info), what="tag details")
        table.cursor = table.keys.index("latest")
        total = sum(image.layers_size for image in content.aspnetapp_platforms.values())
        await wait_for(pilot, lambda: f"{total:,} bytes" in screen.detail.plain_text(), what="the index's sum")
        details = screen.detail.plain_text()
        assert f"{len(content.aspnetapp.raw):,} bytes" in details and "the index's own JSON" in details
        assert "Size " not in details

        table.cursor = table.keys.index("8.0-amd64")
        image = content.aspnetapp_platforms["linux/amd64"]
        await wait_for(pilot, lambda: "Image size" in screen.detail.plain_text(), what="the image's details")
        details = screen.detail.plain_text()
        assert f"{image.layers_size:,} bytes" in details
        assert "layers, compressed" in details and "the manifest's own JSON" in details

        table.cursor = table.keys.index("sbom")  # an artifact is no image
        await wait_for(pilot, lambda: "Artifact size" in screen.detail.plain_text(), what="the artifact's details")
        assert "Image size" not in screen.detail.plain_text()
