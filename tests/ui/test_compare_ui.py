"""Comparing two images in the UI against the real registry: m marks a tag (or a platform in the
tree), d on another opens the comparison (layers shared and not, config and history), f lists the
files that differ, x swaps the two, Esc stops a read at once."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

import httpx
import pytest

from acrbrowse.compare.files import FileChangeKind
from acrbrowse.compare.layers import LayerRow, LayerState
from acrbrowse.present.units import human_size
from acrbrowse.session import Session, SessionOptions
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.diff import DiffScreen
from acrbrowse.ui.screens.files import FilesScreen
from acrbrowse.ui.tree.nodes import LayerItem, PlatformEntry
from tests.layerfiles import layers as L
from tests.oci.pushing import scratch_repository
from tests.ui.conftest import SIZE, assert_screen_safe, tags_listed, wait_for

pytestmark = pytest.mark.ui

EVIL = "evil\x1b[31mred\x07"


def _bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


BASE = [L.directory("etc"), L.file("etc/os-release", b"ID=test\n"), L.directory("usr"), L.directory("usr/bin"),
        L.file("usr/bin/app", _bytes(1, 40_000), mode=0o755), L.directory("opt")]
ONLY_A = [L.file("opt/a.txt", _bytes(2, 1_000)), L.file("etc/app.conf", _bytes(3, 100))]
ONLY_B = [L.file("opt/b.txt", _bytes(4, 2_000)), L.file("etc/app.conf", _bytes(5, 300)),
          L.file(f"opt/{EVIL}", b"x")]
CLEANUP_B = [L.whiteout("usr/bin/app")]


@dataclass(frozen=True)
class Pair:
    registry: str
    repository: str
    blobs: dict[str, bytes]  # "base", "a", "b", "cleanup"

    def ref(self, tag: str = "") -> str:
        return f"{self.registry}/{self.repository}" + (f":{tag}" if tag else "")


def push_pair(registry: str, repository: str | None = None) -> Pair:
    """Tags "one" (base + A's layer) and "two" (base + B's two layers) sharing the base layer, and
    "multi": an index of "one" as linux/amd64 and B's layers as linux/arm64."""
    blobs = {"base": L.compress(L.build_tar(BASE), "gzip"), "a": L.compress(L.build_tar(ONLY_A), "gzip"),
             "b": L.compress(L.build_tar(ONLY_B), "zstd"), "cleanup": L.compress(L.build_tar(CLEANUP_B), "gzip")}

    def spec(name: str, compression: str = "gzip") -> L.LayerSpec:
        return blobs[name], L.media_type(compression), None

    one = [spec("base"), spec("a")]
    two = [spec("base"), spec("b", "zstd"), spec("cleanup")]
    repository = repository or scratch_repository("compare")
    L.push_layers_image(registry, repository, "one", one)
    L.push_layers_image(registry, repository, "two", two)
    L.push_layers_index(registry, repository, "multi", {"linux/amd64": one, "linux/arm64": two})
    return Pair(registry, repository, blobs)


@pytest.fixture(scope="module")
def pair(testbed) -> Pair:
    return push_pair(testbed.anon.host)


async def browse_tags(pilot, app) -> BrowserScreen:
    screen = await tags_listed(pilot)
    screen.tags.table.focus()
    await pilot.pause()
    return screen


async def cursor_on_tag(pilot, screen: BrowserScreen, tag: str) -> None:
    screen.tags.table.cursor = screen.tags.table.keys.index(tag)
    await wait_for(pilot, lambda: screen.tags.highlighted() == tag, what=f"the cursor on {tag}")


async def diff_screen(pilot, app, state: str = "ready") -> DiffScreen:
    screen = await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen, what="the comparison")
    await wait_for(pilot, lambda: screen.state == state, what=f"the comparison {state}")
    await pilot.pause()
    return screen


async def compare(pilot, app, a: str, b: str) -> tuple[BrowserScreen, DiffScreen]:
    """`m` on tag `a`, `d` on tag `b`: the browser and the comparison, ready."""
    browser = await browse_tags(pilot, app)
    await cursor_on_tag(pilot, browser, a)
    await pilot.press("m")
    await cursor_on_tag(pilot, browser, b)
    await pilot.press("d")
    return browser, await diff_screen(pilot, app)


def title(screen: DiffScreen) -> str:
    return str(screen.query_one("#diff-title").render())


def changes(screen: DiffScreen) -> dict[str, FileChangeKind]:
    assert screen.file_changes is not None
    return {change.path.lstrip("/"): change.kind for change in screen.file_changes}


async def test_mark_a_tag_and_compare_another(pair, make_app):
    app = make_app(pair.ref())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        browser = await browse_tags(pilot, app)
        await cursor_on_tag(pilot, browser, "one")
        await pilot.press("m")
        assert browser.marked is not None and browser.marked.reference == "one"
        assert "◆A" in str(browser.tags._render_cell("one", browser.tags.table.columns[0]))
        await cursor_on_tag(pilot, browser, "two")
        await pilot.press("d")
        screen = await diff_screen(pilot, app)

        comparison = screen.comparison
        assert comparison is not None
        states = [row.state for row in comparison.rows]
        assert states.count(LayerState.SHARED) == 1
        assert states.count(LayerState.ONLY_A) == 1 and states.count(LayerState.ONLY_B) == 2
        assert comparison.shared_bytes == len(pair.blobs["base"])
        assert comparison.only_a_bytes == len(pair.blobs["a"])
        assert comparison.only_b_bytes == len(pair.blobs["b"]) + len(pair.blobs["cleanup"])
        head = title(screen)
        assert "one" in head and "two" in head and head.index("one") < head.index("two")
        assert f"1 shared layer of 3 ({human_size(len(pair.blobs['base']))})" in head
        assert f"only in A: 1 ({human_size(len(pair.blobs['a']))})" in head

        row = next(i for i, line in enumerate(screen.lines) if isinstance(line, LayerRow) and line.state is LayerState.ONLY_A)
        screen.table.cursor = row
        await pilot.press("enter")  # on a layer only A holds: the files that differ
        await wait_for(pilot, lambda: screen.state == "files", what="the files that differ")
        found = changes(screen)
        assert found["opt/a.txt"] is FileChangeKind.REMOVED
        assert found["usr/bin/app"] is FileChangeKind.REMOVED  # B's whiteout
        assert found["opt/b.txt"] is FileChangeKind.ADDED
        assert found[f"opt/{EVIL}"] is FileChangeKind.ADDED
        assert found["etc/app.conf"] is FileChangeKind.MODIFIED
        assert "etc/os-release" not in found  # in the shared layer, the same on both sides
        modified = next(c for c in screen.file_changes or [] if c.path.lstrip("/") == "etc/app.conf")
        assert "size" in modified.what
        text = assert_screen_safe(app)
        assert "opt/a.txt" in text and "opt/evil\\x1b[31mred\\x07" in text

        await pilot.press("x")  # swapped: B's files are now the removed ones
        await wait_for(pilot, lambda: screen.state == "files", what="the swapped files")
        head = title(screen)
        assert head.index("two") < head.index("one")
        assert screen.comparison is not None and screen.comparison.only_a_bytes == comparison.only_b_bytes
        swapped = changes(screen)
        assert swapped["opt/b.txt"] is FileChangeKind.REMOVED and swapped["opt/a.txt"] is FileChangeKind.ADDED
        assert swapped["usr/bin/app"] is FileChangeKind.ADDED

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="back in the browser")
        await pilot.press("m", "m")  # on "two": marked, then unmarked
        assert browser.marked is None


async def test_d_without_a_mark_says_what_to_do(pair, make_app):
    app = make_app(pair.ref())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        browser = await browse_tags(pilot, app)
        await cursor_on_tag(pilot, browser, "two")
        await pilot.press("d")
        await wait_for(pilot, lambda: "Mark a tag" in (text := assert_screen_safe(app)) and text, what="the hint")
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("m", "d")  # the marked one itself
        await wait_for(pilot, lambda: "That is the marked one" in assert_screen_safe(app), what="the refusal")
        assert isinstance(app.screen, BrowserScreen)


async def test_an_index_follows_the_marked_images_platform(pair, make_app):
    """A marked image (linux/amd64, from its config) compared with an index: its linux/amd64 image,
    which is that same image, so every layer is shared and no file differs."""
    app = make_app(pair.ref())
    async with app.run_test(size=SIZE) as pilot:
        browser, screen = await compare(pilot, app, "one", "multi")
        assert screen.comparison is not None
        assert {row.state for row in screen.comparison.rows} == {LayerState.SHARED}
        assert "multi linux/amd64" in title(screen)
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.state == "files", what="the files")
        assert screen.file_changes == []


async def test_mark_a_platform_in_the_tree(pair, make_app):
    """m on the index's linux/arm64 line marks that platform; d on tag "one" compares it (B follows
    nothing: it is an image) and the title names the platform."""
    app = make_app(pair.ref("multi"))
    async with app.run_test(size=SIZE) as pilot:
        browser = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = browser.manifest_tree
        arm = await wait_for(pilot, lambda: next((n for n in tree.root.children if isinstance(n.data, PlatformEntry)
                                                  and n.data.name == "linux/arm64"), None), what="the platforms")
        tree.move_cursor(arm)
        tree.focus()
        await pilot.press("m")
        assert browser.marked is not None and browser.marked.platform == "linux/arm64"
        await tags_listed(pilot)
        browser.tags.table.focus()
        await cursor_on_tag(pilot, browser, "one")
        await pilot.press("d")
        screen = await diff_screen(pilot, app)
        assert "multi linux/arm64" in title(screen)
        assert screen.comparison is not None
        # linux/arm64 is "two"'s layers: A (arm64) holds 3, B ("one") 2, the base shared
        assert screen.comparison.only_a_bytes == len(pair.blobs["b"]) + len(pair.blobs["cleanup"])


async def test_an_index_without_the_marked_platform_says_so(pair, make_app, testbed):
    repository = scratch_repository("compare-arm")
    arm = L.compress(L.build_tar([L.file("arm", b"arm")]), "gzip")
    L.push_layers_image(testbed.anon.host, repository, "arm", [(arm, L.media_type("gzip"), None)],
                        platform="linux/arm")
    L.push_layers_index(testbed.anon.host, repository, "multi",
                        {"linux/amd64": [(pair.blobs["base"], L.media_type("gzip"), None)],
                         "linux/arm64": [(pair.blobs["a"], L.media_type("gzip"), None)]})
    app = make_app(f"{testbed.anon.host}/{repository}")
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await browse_tags(pilot, app)
        await cursor_on_tag(pilot, browser, "arm")
        await pilot.press("m")
        await cursor_on_tag(pilot, browser, "multi")
        await pilot.press("d")
        screen = await diff_screen(pilot, app, state="failed")
        assert "has no linux/arm image" in screen.error_line and "\n" not in screen.error_line
        assert "has no linux/arm image" in assert_screen_safe(app)


async def test_esc_stops_reading_the_files(pair, make_app, fault_proxy):
    proxy = fault_proxy(pair.registry)
    slow = hashlib.sha256(pair.blobs["b"]).hexdigest()
    proxy.delay("GET", rf"/blobs/sha256:{slow}", 30)  # B's layer answers after 30 s
    app = make_app(f"{proxy.host}/{pair.repository}")
    async with app.run_test(size=SIZE) as pilot:
        browser, screen = await compare(pilot, app, "one", "two")
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.state == "reading files", what="reading")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.state == "stopped", what="stopped")
        assert isinstance(app.screen, DiffScreen)  # the first Esc stops, the view stays
        assert "stopped" in str(screen.query_one("#diff-info").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="closed")


async def test_the_files_read_only_layers_not_listed_before(pair, make_app, session, fault_proxy, tmp_path):
    """With the listing cache on: after the Files view of "one" (its two layers listed), comparing it
    with "two" fetches from the registry only the two layers "two" holds alone; the shared base
    comes from the cache. `m` on the tree's root marks the tag it was opened by."""
    proxy = fault_proxy(pair.registry)
    # the caches in the test's own folder (the session's env is all a Session reads)
    env = dict(session.env, ACRBROWSE_CACHE_DIR=str(tmp_path / "caches"))
    cached = Session(SessionOptions(timeout=10.0, use_cache=True), env=env, settings=session.settings,
                     keyring_backend=session.keyring_backend, include_helper_list=False)
    app = make_app(f"{proxy.host}/{pair.repository}:one", session=cached)
    async with app.run_test(size=SIZE) as pilot:
        browser = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = browser.manifest_tree
        await wait_for(pilot, lambda: any(isinstance(n.data, LayerItem) for n in tree.root.children), what="layers")
        tree.move_cursor(tree.root)
        tree.focus()
        await pilot.press("f")
        files = await wait_for(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen, what="files")
        await wait_for(pilot, lambda: files.state == "done", what="one's files")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="back in the browser")
        await pilot.press("m")
        assert browser.marked is not None and browser.marked.reference == "one" and browser.marked.platform is None
        await tags_listed(pilot)
        browser.tags.table.focus()
        await cursor_on_tag(pilot, browser, "two")
        await pilot.press("d")
        screen = await diff_screen(pilot, app)
        before = len(proxy.log)
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.state == "files", what="the files that differ")
        fetched = {entry.path.split("/blobs/")[1].split("?")[0] for entry in proxy.log[before:]
                   if entry.method == "GET" and "/blobs/" in entry.path}
        assert fetched == {L.sha256(pair.blobs["b"]), L.sha256(pair.blobs["cleanup"])}
        assert changes(screen)["opt/a.txt"] is FileChangeKind.REMOVED


def push_with_config(registry: str, repository: str, tag: str, layer: bytes, runtime: dict) -> None:
    """An image of one layer whose config holds `runtime` (env, labels, cmd…) as a registry gives it."""
    with httpx.Client(base_url=f"http://{registry}", timeout=60) as http:
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "config": runtime,
            "rootfs": {"type": "layers", "diff_ids": [L.sha256(L.uncompressed(layer))]},
            "history": [{"created_by": runtime.get("Cmd", ["step"])[0]}]}).encode()
        manifest = {"schemaVersion": 2, "mediaType": L.OCI_MANIFEST,
                    "config": {"mediaType": L.OCI_CONFIG, "digest": L._push_blob(http, repository, config),
                               "size": len(config)},
                    "layers": [{"mediaType": L.media_type("gzip"), "digest": L._push_blob(http, repository, layer),
                                "size": len(layer)}]}
        L._push_manifest(http, repository, tag, manifest)


async def test_hostile_config_values_never_reach_the_screen_raw(pair, make_app, testbed):
    repository = scratch_repository("compare-hostile")
    layer = pair.blobs["base"]
    push_with_config(testbed.anon.host, repository, "calm", layer,
                     {"Env": ["PATH=/usr/bin"], "Labels": {"team": "a"}, "Cmd": ["run"]})
    push_with_config(testbed.anon.host, repository, "evil", layer,
                     {"Env": ["PATH=/usr/bin", f"X={EVIL}"], "Labels": {"team\u202e": "b\x9b2J"},
                      "Cmd": ["run\x1b]52;c;cGF5bG9hZA==\x07"]})
    app = make_app(f"{testbed.anon.host}/{repository}")
    async with app.run_test(size=SIZE) as pilot:
        browser, screen = await compare(pilot, app, "calm", "evil")
        fields = {(change.field, change.key) for change in screen.config_changes}
        assert ("env", "X") in fields and ("cmd", None) in fields
        text = assert_screen_safe(app)
        assert "evil\\x1b[31mred\\x07" in text  # escaped, shown
