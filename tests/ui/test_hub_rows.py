"""Docker Hub in the browser, through the fault proxy playing Hub (its quota headers, a count of the
manifest GETs it takes as pulls): the tags in view resolve with HEAD alone, only the tag a person
opens (Enter) or asks raw (v) is read, and the status line says what is left of the quota."""

from __future__ import annotations

import pytest

from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.raw import RawScreen
from acrbrowse.ui.taginfo import TagHead, TagInfo
from tests.ui.conftest import DISPLAY_NAME, SIZE, wait_for

pytestmark = pytest.mark.ui


def hub_client(reference, credential):
    return RegistryClient(reference, credential=credential, timeout=10.0, counts_pulls=True)


async def test_rows_in_view_spend_no_pulls_and_opening_one_spends_one(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    hub = proxy.docker_hub(limit=100)
    app = make_app(f"{proxy.host}/aspnetapp", client_factory=hub_client, display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen, what="browser")
        tags = screen.tags
        await wait_for(pilot, lambda: tags.complete, what="the tags")
        await wait_for(pilot, lambda: tags.settled(), what="every row in view resolved")
        expected = testbed.content.tags["aspnetapp"]
        for tag in tags.table.keys:  # by HEAD: digest and kind, no manifest
            row = tags.info[tag]
            assert isinstance(row, TagHead) and row.digest == expected[tag]
        assert tags.info["latest"].kind == "index"  # type: ignore[union-attr]
        assert str(tags._render_cell("latest", tags.table.columns[4])) == "–"  # no platform sizes: each a pull
        assert hub.pulls == 0
        status = screen.query_one("#status-line")
        await wait_for(pilot, lambda: status.display and "Docker Hub pulls: 100 of 100 left per 6 h"
                       in str(status.render()), what="the quota")

        tags.table.focus()
        tags.table.cursor = tags.table.keys.index("8.0-amd64")
        await wait_for(pilot, lambda: "only the tag you open is read" in screen.detail.plain_text(),
                       what="the HEAD-only details")
        await pilot.press("enter")
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data is not None and tree.root.data.manifest is not None,
                       what="the opened tag's manifest")
        assert hub.pulls == 1
        await wait_for(pilot, lambda: "99 of 100 left" in str(status.render()), what="the quota, one pull spent")

        tags.table.focus()
        tags.table.cursor = tags.table.keys.index("sbom")
        await pilot.press("c")  # the digest is the row's: copying it reads nothing
        await wait_for(pilot, lambda: app.clipboard == expected["sbom"], what="the digest copied")
        assert hub.pulls == 1
        await pilot.press("v")  # raw JSON: the one more read it asks for
        await wait_for(pilot, lambda: isinstance(app.screen, RawScreen), what="the raw view")
        assert hub.pulls == 2 and isinstance(tags.info["sbom"], TagInfo)
    assert [entry.method for entry in proxy.log if "/manifests/" in entry.path].count("GET") == 2
