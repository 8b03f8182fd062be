"""The tags table's size and pushed columns, on the real test bed: an image's compressed size
(its layers, as the tree's platform lines give it), an index's summed over its platforms (attestations apart), fetched for the
rows in view only; the pushed column only once a row has a time."""

from __future__ import annotations

import pytest

from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.present.units import human_size
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.taginfo import TagInfo, image_size
from acrbrowse.ui.widgets.tags import PUSHED_COLUMN
from tests.ui.conftest import SIZE, screen_text, wait_for

pytestmark = pytest.mark.ui


def pulled_size(image) -> int:
    """The test bed's own account of an image: its layers as pushed."""
    return sum(layer.size for layer in image.layers)


async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser screen")


async def test_sizes_of_images_and_indexes_in_the_tags_table(testbed, make_app):
    content = testbed.content
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete and screen.tags.settled(), what="every row's size")
        info = screen.tags.info
        amd64 = content.aspnetapp_platforms["linux/amd64"]
        total = sum(pulled_size(image) for image in content.aspnetapp_platforms.values())
        assert info["8.0-amd64"].size == pulled_size(amd64)
        assert info["latest"].size == total and info["8.0"].size == total
        assert info["sbom"].size == pulled_size(content.sbom)
        assert [c.key for c in screen.tags.table.columns][-1] == "size"
        assert PUSHED_COLUMN not in screen.tags.table.columns  # no times on a plain registry
        shown = screen_text(app)
        assert human_size(total) in shown and human_size(pulled_size(amd64)) in shown


async def test_an_index_size_leaves_attestations_out(testbed, make_app):
    content = testbed.content
    app = make_app(f"{testbed.anon.host}/buildkit/app")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        info = screen.tags.info
        await wait_for(pilot, lambda: isinstance(info.get("latest"), TagInfo) and not info["latest"].size_pending,
                       what="the index's size")
        assert info["latest"].size == sum(pulled_size(image) for image in content.buildkit_images.values())


async def test_tag_info_sizes(testbed, make_app):
    """TagInfo on its own: an image knows its size at once; an index waits for its platforms."""
    content = testbed.content
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE):
        source = app.source(testbed.anon.host)
        image = await source.manifest_for_tag("aspnetapp", "8.0-amd64")
        index = await source.manifest_for_tag("aspnetapp", "latest")
        chart = await source.manifest_for_tag("charts/mychart", "0.1.0")
    assert isinstance(image, ImageManifest) and isinstance(index, ImageIndex)
    assert image_size(image) == pulled_size(content.aspnetapp_platforms["linux/amd64"])
    assert TagInfo("8.0-amd64", image).size == image_size(image) and not TagInfo("x", image).size_pending
    waiting = TagInfo("latest", index)
    assert waiting.size is None and waiting.size_pending
    unknown = TagInfo("latest", index, platforms_size_failed=True)
    assert unknown.size is None and not unknown.size_pending
    assert TagInfo("0.1.0", chart).size == pulled_size(content.chart)
