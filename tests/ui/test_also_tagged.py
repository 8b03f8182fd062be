""""Also tagged as": a tag's details (and the tree's root opened by a tag) list the other tags of the
repository that point at the same digest, resolving the tags not resolved yet (up to a cap), and
say how many were checked above it."""

from __future__ import annotations

import itertools
import os

import httpx
import pytest

from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.screens.browser import BrowserScreen, Pane
from acrbrowse.ui.widgets.detail import ALSO_TAGGED_CAP, AlsoTagged
from tests.ui.conftest import SIZE, wait_for

pytestmark = pytest.mark.ui

_unique = itertools.count()
SHARED = [f"t{i:02d}" for i in range(60)]  # more than the tags pane shows (and resolves) at once


def push_shared_tags(testbed, tags: list[str], other: str) -> tuple[str, str]:
    """A scratch repository: one image under every tag of `tags`, another under `other`. Returns
    (repository, the shared digest)."""
    repository = f"scratch/also-tagged-{os.getpid()}-{next(_unique)}"
    shared = testbed.push_scratch_image(repository, tags[0])
    testbed.push_scratch_image(repository, other, seed=1)
    with httpx.Client(base_url=testbed.anon.url, timeout=30) as http:
        for tag in tags[1:]:
            http.put(f"/v2/{repository}/manifests/{tag}", content=shared.raw,
                     headers={"Content-Type": shared.media_type}).raise_for_status()
    return repository, shared.digest


def also_line(screen: BrowserScreen) -> str:
    return next((line for line in screen.detail.plain_text(width=400).splitlines()
                 if line.startswith("Also tagged as")), "")


def test_the_line_says_what_is_known_and_what_is_not():
    display = str
    also = AlsoTagged("r.test", "app", "a", "sha256:x", ["c", "b"])
    assert also.text(display).plain == "Also tagged as b, c"
    also.checking = 120
    assert also.text(display).plain == "Also tagged as b, c  checking 120 more tags…"
    also.checking, also.unchecked, also.total = 0, 2000, 2100
    assert also.text(display).plain == "Also tagged as b, c  (100 of 2,100 tags checked)"
    assert AlsoTagged("r.test", "app", "a", "sha256:x").text(display).plain == "Also tagged as no other tag"
    many = AlsoTagged("r.test", "app", "a", "sha256:x", [f"v{i:02d}" for i in range(20)])
    assert many.text(display).plain.endswith("v11 and 8 more")
    hostile = AlsoTagged("r.test", "app", "a", "sha256:x", ["evil\x1b]52;c;x\x07"])
    shown = hostile.text(terminal_safe).plain  # the app's `shown` in the pane
    assert "\x1b" not in shown and "\x07" not in shown and "evil" in shown


async def test_two_tags_of_one_manifest_list_each_other(testbed, make_app):
    repository, digest = push_shared_tags(testbed, ["one", "two"], "other")
    app = make_app(f"{testbed.anon.host}/{repository}")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the scratch tags")
        assert screen.focused_pane is Pane.TAGS
        table = screen.tags.table
        for tag, others in [("one", "two"), ("two", "one"), ("other", "no other tag")]:
            table.cursor = table.keys.index(tag)
            await wait_for(pilot, lambda tag=tag: screen.detail.showing == (screen.registry, repository, tag)
                           and "…" not in also_line(screen) and also_line(screen), what=f"{tag}'s details")
            assert also_line(screen) == f"Also tagged as {others}"

    # the tree's root, opened by a tag, says it too
    app = make_app(f"{testbed.anon.host}/{repository}:two")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.manifest_tree.root.data.manifest is not None, what="the tree")
        await wait_for(pilot, lambda: also_line(screen) == "Also tagged as one", what="the root's other tag")
        assert screen.manifest_tree.root.data.manifest.digest == digest


async def test_tags_not_resolved_yet_are_checked(testbed, make_app):
    repository, _ = push_shared_tags(testbed, SHARED, "zz-other")
    app = make_app(f"{testbed.anon.host}/{repository}")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the scratch tags")
        screen.tags.table.cursor = 0  # t00
        await wait_for(pilot, lambda: screen.detail.also is not None and screen.detail.also.tag == "t00",
                       what="t00's details")
        resolved = app.tag_cache.of(screen.registry, repository)
        assert len(resolved) < len(SHARED)  # the pane resolved the rows in view, not all
        # (a check from the tags resolved before the list was complete is done again over all of them)
        await wait_for(pilot, lambda: screen.detail.also.total == len(SHARED) + 1 and screen.detail.also.checking == 0,
                       what="the check of every tag")
        assert sorted(screen.detail.also.names) == SHARED[1:]
        assert also_line(screen) == f"Also tagged as {', '.join(SHARED[1:13])} and {len(SHARED) - 13} more"


async def test_above_the_cap_it_says_how_many_were_checked(testbed, make_app):
    assert len(testbed.content.manytags) > ALSO_TAGGED_CAP
    app = make_app(f"{testbed.anon.host}/manytags")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        resolved = app.tag_cache.of(screen.registry, "manytags")
        await wait_for(pilot, lambda: screen.tags.complete and screen.tags.table.visible_keys()
                       and all(key in resolved for key in screen.tags.table.visible_keys()), what="manytags' rows in view")
        tag = screen.tags.table.keys[0]
        screen.tags.table.cursor = 1
        await wait_for(pilot, lambda: screen.detail.also is not None and screen.detail.also.tag != tag)
        screen.tags.table.cursor = 0  # highlighted again: what is resolved now
        await wait_for(pilot, lambda: screen.detail.also is not None and screen.detail.also.tag == tag,
                       what="the first tag's details")
        also = screen.detail.also
        assert also.checking == 0 and also.total == len(testbed.content.manytags)
        digest = testbed.content.manytags[tag]
        assert sorted(also.names) == sorted(t for t, e in resolved.items() if t != tag and getattr(e, "digest", None) == digest)
        assert f"of {len(testbed.content.manytags):,} tags checked)" in also_line(screen)
