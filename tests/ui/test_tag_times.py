"""Issue 13 in the tags pane, against the test bed's ACR layer (/acr/v1 over the real registry's
storage): tags newest first with their push times, locks and DCT marks; the sort key toggles name
order, with the filter kept; a tag's details say when it was created and pushed; a pull-only token
browses by name and is told once why there are no times."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from acrbrowse.oci.name import parse_reference
from acrbrowse.present.order import natural_key
from acrbrowse.present.units import human_size
from acrbrowse.ui.filtering import NewestFirst
from acrbrowse.ui.widgets.tags import MARKS_COLUMN, PUSHED_COLUMN
from tests.oci.pushing import image, push_manifest, scratch_repository
from tests.ui.conftest import SIZE, cell, tags_listed, user, wait_for

pytestmark = pytest.mark.ui

PUSH_ORDER = ("v1.10", "v1.9", "v2", "v1.11")
NEWEST_FIRST = ["v1.11", "v2", "v1.9", "v1.10"]
BY_NAME = ["v1.9", "v1.10", "v1.11", "v2"]


@pytest.fixture(scope="module")
def pushed(scratch) -> tuple[str, dict]:
    repo = scratch_repository("ui-times")
    images = {}
    for tag in PUSH_ORDER:
        images[tag] = image(f"{repo}-{tag}")
        push_manifest(scratch, repo, tag, images[tag])
    assert scratch.layer is not None
    scratch.layer.overrides[(repo, "v2")] = {"signed": True, "changeableAttributes": {"writeEnabled": False}}
    return repo, images


async def test_tags_come_newest_first_with_times_and_marks_and_the_sort_key_toggles(testbed, make_app, scratch,
                                                                                     pushed):
    repo, images = pushed
    app = make_app(parse_reference(f"{scratch.host}/{repo}"), user(testbed, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await tags_listed(pilot)
        tags = screen.tags
        assert tags.table.keys == NEWEST_FIRST
        assert PUSHED_COLUMN in tags.table.columns and MARKS_COLUMN in tags.table.columns
        assert "newest first" in str(tags.border_subtitle)
        for tag in PUSH_ORDER:  # the listing's digest, shown whether or not the row was resolved yet
            assert tags.listed[tag].digest == images[tag].digest
            assert cell(tags, tag, "pushed").endswith("ago") or cell(tags, tag, "pushed") == "just now"
        assert cell(tags, "v2", "marks") == "locked DCT" and cell(tags, "v1.9", "marks") == ""
        # sizes from ACR's /_manifests, as the registry counts them (config and layers)
        await wait_for(pilot, lambda: all(tags.listed[tag].size is not None for tag in PUSH_ORDER), what="sizes")
        for tag in PUSH_ORDER:
            image = images[tag]
            assert cell(tags, tag, "size") == human_size(image.config.size + sum(layer.size for layer in image.layers))

        tags.table.focus()
        await pilot.press("o")
        await wait_for(pilot, lambda: tags.table.keys == BY_NAME, what="name order")
        assert "by name" in str(tags.border_subtitle)

        await pilot.press("slash", *"v1.")
        await wait_for(pilot, lambda: tags.filter_text == "v1.", what="the filter")
        assert tags.table.keys == ["v1.9", "v1.10", "v1.11"]
        await pilot.press("down", "o")
        await wait_for(pilot, lambda: tags.table.keys == ["v1.11", "v1.9", "v1.10"], what="newest first, filtered")
        assert tags.filter_text == "v1." and "newest first" in str(tags.border_subtitle)


async def test_a_tag_s_details_say_when_it_was_created_and_pushed_and_that_it_is_locked(testbed, make_app, scratch,
                                                                                         pushed):
    repo, images = pushed
    app = make_app(parse_reference(f"{scratch.host}/{repo}"), user(testbed, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await tags_listed(pilot)
        tags = screen.tags
        tags.table.focus()
        tags.table.cursor = tags.table.keys.index("v2")
        await wait_for(pilot, lambda: "Kind" in screen.detail.plain_text() and screen.detail.showing is not None
                       and screen.detail.showing[2] == "v2" and "image" in screen.detail.plain_text(),
                       what="v2's details")
        text = screen.detail.plain_text()
        assert images["v2"].digest in text
        for fact in ("Pushed", "Created", "yes: write or delete disabled", "yes: Docker Content Trust"):
            assert fact in text, fact
        assert "ago" in text or "just now" in text
        tags.table.cursor = tags.table.keys.index("v1.9")
        await wait_for(pilot, lambda: screen.detail.showing is not None and screen.detail.showing[2] == "v1.9",
                       what="v1.9's details")
        text = screen.detail.plain_text()
        assert "Locked" in text and "write or delete disabled" not in text and "Docker Content Trust" not in text


async def test_the_pull_only_token_browses_by_name_and_is_told_once_why(testbed, make_app, acr):
    app = make_app(parse_reference(f"{acr.host}/aspnetapp"), user(testbed, "readonlypull"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await tags_listed(pilot)
        tags = screen.tags
        assert tags.table.keys == sorted(testbed.content.tags["aspnetapp"], key=natural_key)
        assert PUSHED_COLUMN not in tags.table.columns and not tags.timed
        await wait_for(pilot, lambda: any("metadata_read" in text for text in app.messages.texts()), what="the note")
        tags.table.focus()
        await pilot.press("o")  # no times: the order stays, and it says why
        await wait_for(pilot, lambda: any("stay in name order" in text for text in app.messages.texts()),
                       what="why the order stays")
        assert tags.table.keys == sorted(testbed.content.tags["aspnetapp"], key=natural_key)
        screen.tags.reload()
        await wait_for(pilot, lambda: tags.complete, what="the tags again")
        assert sum("metadata_read" in text for text in app.messages.texts()) == 1  # once


async def test_a_tag_whose_announced_digest_is_of_another_body_says_so_in_its_details(testbed, make_app,
                                                                                       fault_proxy):
    image = testbed.content.aspnetapp_amd64
    proxy = fault_proxy("anon")
    proxy.replace_body("GET", rf"/manifests/(8\.0-amd64|{image.digest})$", lambda body: body + b" ")
    app = make_app(f"{proxy.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await tags_listed(pilot)
        tags = screen.tags
        tags.table.focus()
        tags.table.cursor = tags.table.keys.index("8.0-amd64")
        await wait_for(pilot, lambda: "Warning" in screen.detail.plain_text(), what="the warning")
        text = screen.detail.plain_text(width=400)
        received = "sha256:" + hashlib.sha256(image.raw + b" ").hexdigest()
        assert f"the registry announced {image.digest}; shown by the digest of what was received" in text
        assert received in text.split("Warning")[0]  # shown under the digest of what came


def test_newest_first_takes_pages_in_any_order_and_puts_tags_without_a_time_last():
    times = {"a": datetime(2024, 1, 1, tzinfo=UTC), "b": datetime(2024, 3, 1, tzinfo=UTC),
             "c": datetime(2024, 2, 1, tzinfo=UTC)}
    order = NewestFirst(times.get)
    assert order.add(["b", "x10", "x9"]) == (0, [])
    assert order.names == ["b", "x9", "x10"]  # no time: last, in natural order
    start, removed = order.add(["c", "a", "b"])  # out of order: sorted again; "b" is not listed twice
    assert order.names == ["b", "c", "a", "x9", "x10"] and (start, removed) == (0, ["b", "x9", "x10"])
    assert order.finish() == (5, [])
