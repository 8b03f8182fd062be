"""Browsing the real test bed with Pilot: repositories → tags → manifest tree → layers, copying,
filtering, and opening straight at a repository or a tag."""

from __future__ import annotations

import pytest

from acrbrowse.present.units import human_size
from acrbrowse.ui.filtering import filter_names, natural_key
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.help import HelpScreen
from acrbrowse.ui.screens.raw import RawScreen
from acrbrowse.ui.tree.nodes import LayerItem
from tests.ui.conftest import SIZE, screen_text, wait_for

pytestmark = pytest.mark.ui


def labels(node) -> list[str]:
    return [str(child.label.plain) for child in node.children]


async def open_browser(pilot) -> BrowserScreen:
    screen = await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                            what="the browser screen")
    await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
    return screen


async def test_repositories_tags_tree_layers(testbed, make_app):
    content = testbed.content
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        keys = screen.repos.table.keys
        # other tests may push scratch repositories into the shared bed; the bed's own are all there
        assert [k for k in keys if k in set(content.repositories)] == content.repositories
        assert screen.repos.border_title == f"Repositories · {len(keys)}"
        assert screen.repos.table.has_focus
        assert screen.repos.table.cursor_key == keys[0]
        await pilot.press("end", "home", *(["j"] * keys.index("aspnetapp")))
        assert screen.repos.table.cursor_key == "aspnetapp"

        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        assert screen.tags.table.has_focus
        assert sorted(screen.tags.tags) == sorted(content.tags["aspnetapp"])

        # the rows in view get their digest, kind and platform count
        info = screen.tags.info
        await wait_for(pilot, lambda: all(t in info for t in content.tags["aspnetapp"]), what="tag details")
        assert info["latest"].digest == content.aspnetapp.digest
        assert info["latest"].kind == "index"
        assert info["latest"].platform_count == 4
        assert info["sbom"].kind == "artifact"
        assert info["8.0-amd64"].kind == "image"

        # j/k move the cursor; Enter opens the tag's tree
        screen.tags.table.cursor = 0
        target = screen.tags.tags.index("latest")
        await pilot.press(*(["j"] * target))
        assert screen.tags.table.cursor_key == "latest"
        await pilot.press("k", "j", "enter")
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="the root manifest")
        assert tree.has_focus and tree.cursor_line == 0
        platforms = labels(tree.root)
        assert [p.split("  ")[0] for p in platforms] == [
            "linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64 10.0.17763.5329", "referrers"]

        # expand linux/amd64: a loading state, then config, 7 layers with human sizes, total
        await pilot.press("down", "enter")
        amd64 = tree.root.children[0]
        assert amd64.is_expanded
        await wait_for(pilot, lambda: amd64.data.manifest is not None and len(amd64.children) > 1, what="layers")
        image = content.aspnetapp_platforms["linux/amd64"]
        children = labels(amd64)
        assert children[0].startswith("config")
        layer_lines = [c for c in children if c.startswith("layer ")]
        assert len(layer_lines) == 7
        for line, layer in zip(layer_lines, image.layers, strict=False):
            assert line.endswith(human_size(layer.size))
        assert children[-2:] == [f"total  7 layers, {human_size(image.layers_size)}", "referrers"]
        assert human_size(image.layers_size) in str(amd64.label.plain)

        # a layer's detail: exact bytes and the history line that made it
        await pilot.press("down", "down")
        node = tree.cursor_node
        assert isinstance(node.data, LayerItem) and node.data.blob.position == 1
        body = screen.detail.plain_text()
        assert f"{image.layers[0].size:,} bytes" in body
        created_by = [h["created_by"] for h in image.config_json["history"] if not h.get("empty_layer")][0]
        assert " ".join(created_by.split())[:40] in " ".join(body.split())

        # fetched once: collapsing and expanding again asks the registry nothing new
        await pilot.press("left")  # to the parent
        await pilot.press("enter", "enter")
        assert amd64.is_expanded and len(labels(amd64)) == len(children)


async def test_copy_digest_and_reference(testbed, make_app):
    """What the terminal gets (OSC 52): Textual's public `clipboard` holds the text it wrote."""
    content = testbed.content
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        assert screen.tags.table.has_focus
        assert app.clipboard == ""
        screen.tags.table.cursor = screen.tags.table.keys.index("latest")
        await pilot.press("c")
        digest = content.aspnetapp.digest
        await wait_for(pilot, lambda: app.clipboard == digest, what=f"{digest} copied")
        await pilot.press("C")
        reference = f"{testbed.anon.host}/aspnetapp@{digest}"
        await wait_for(pilot, lambda: app.clipboard == reference, what=f"{reference} copied")

        # in the tree: a layer's digest; C gives the platform image it belongs to
        await pilot.press("enter")
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="the root")
        await pilot.press("down", "enter")
        amd64 = tree.root.children[0]
        await wait_for(pilot, lambda: amd64.data.manifest is not None, what="linux/amd64")
        await pilot.press("down", "down", "down")  # config, layer 1, layer 2
        image = content.aspnetapp_platforms["linux/amd64"]
        await pilot.press("c")
        await wait_for(pilot, lambda: app.clipboard == image.layers[1].digest, what="the layer's digest copied")
        await pilot.press("C")
        reference = f"{testbed.anon.host}/aspnetapp@{image.digest}"
        await wait_for(pilot, lambda: app.clipboard == reference, what="the platform image's reference copied")
        # the toast says what was copied (registry shown under its display name)
        toast = f"registry.test:5000/aspnetapp@{image.digest[:24]}"  # a toast wraps the rest
        await wait_for(pilot, lambda: toast in screen_text(app), what="the toast")


async def test_filters(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        await pilot.press("slash")
        assert screen.focused.id == "repo-filter"
        await pilot.press(*"repo-15")
        # the names holding "repo-15" first (in the registry's order), then those holding its
        # characters apart ("repo-015", "repo-105", …)
        keys = screen.repos.table.keys
        assert keys[:10] == [f"bulk/repo-{i:03d}" for i in range(150, 160)]
        assert "bulk/repo-015" in keys[10:] and "bulk/repo-105" in keys[10:]
        assert all("repo-15" not in key for key in keys[10:])
        assert screen.repos.border_title.startswith(f"Repositories · {len(keys)} of ")
        await pilot.press("enter")  # keeps the filter, back to the list
        assert screen.repos.table.has_focus
        await pilot.press("slash", "escape")  # Esc clears it
        assert len(screen.repos.table.keys) == len(screen.repos.names)

        screen.repos.table.cursor = screen.repos.table.keys.index("manytags")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.tags.complete, timeout=20, what="2,100 tags")
        assert len(screen.tags.table.keys) == 2100
        await pilot.press("slash", *"build-20")
        expected = sorted((t for t in testbed.content.manytags if "build-20" in t), key=natural_key)
        assert screen.tags.table.keys[:len(expected)] == expected  # whole first, in natural order
        # as you type, each change shows its matches (how fast: bench/filter.py)
        filter_input = screen.query_one("#tag-filter")
        for text in ("1", "1.", "1.3", "1.39", "1.3", "1.", "1", ""):
            filter_input.value = text
            await pilot.pause()
            assert screen.tags.table.keys == filter_names(screen.tags.tags, text)
        assert len(screen.tags.table.keys) == 2100

        # scrolling to the end resolves the rows that come into view, not all 2,100
        await pilot.press("escape")
        await pilot.press("end")
        last = screen.tags.table.keys[-1]
        await wait_for(pilot, lambda: last in screen.tags.info, what="the last row's details")
        assert len(screen.tags.info) < 200


async def test_open_at_tag_expands_tree_with_cursor_on_root(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/buildkit/app:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="the root")
        assert tree.has_focus
        assert tree.cursor_line == 0 and tree.cursor_node is tree.root
        assert tree.root.is_expanded
        top = labels(tree.root)
        assert [t.split("  ")[0] for t in top] == ["linux/amd64", "linux/arm64", "attestations (2)", "referrers"]
        group = tree.root.children[-2]
        assert group.label.style == "dim"
        assert [c.split("  ")[0] for c in labels(group)] == ["attestation for linux/amd64", "attestation for linux/arm64"]
        assert screen.tags.repository == "buildkit/app"


async def test_help_palette_and_raw_json(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.manifest_tree.root.data.manifest is not None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen_text(app).split())
        for needle in ("Copy the digest", "REGISTRY/REPO@sha256", "Filter the repositories"):
            assert needle in text
        await pilot.press("escape")
        assert app.screen is screen

        await pilot.press("v")
        assert isinstance(app.screen, RawScreen)
        assert '"mediaType": "application/vnd.docker.distribution.manifest.list.v2+json"' in app.screen.raw
        await pilot.press("escape")

        titles = {c.title for c in app.get_system_commands(screen)}
        assert {"Copy digest", "Copy ref", "Filter", "Reload", "Back", "Raw JSON", "Help: keys", "Quit"} <= titles

        await pilot.press("q")
    assert app.return_code == 0
