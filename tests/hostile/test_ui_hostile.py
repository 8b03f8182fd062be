"""Issue 8, the browser against a hostile registry (Textual Pilot): whatever the registry sends,
the app stays alive, the pane says what went wrong in one line or shows the text escaped, no
rendered segment carries a control character, no click on registry text runs an action, the
clipboard gets nothing unsafe, and the canary credential goes nowhere but the registry."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from acrbrowse.config import Config
from acrbrowse.oci.cache import ChallengeMemo
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.name import parse_reference
from acrbrowse.session import Session, SessionOptions
from acrbrowse.ui.app import AcrBrowseApp
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.files import FilesScreen
from acrbrowse.ui.screens.login import LoginScreen
from acrbrowse.ui.screens.raw import RawScreen
from acrbrowse.ui.screens.start import StartScreen
from acrbrowse.ui.screens.usage import UsageScreen
from acrbrowse.ui.tree.nodes import ConfigItem, ErrorLeaf, LayerItem, ManifestItem
from tests.hostile.conftest import control_chars, secrets_in
from tests.testbed.hostile import (
    BIDI,
    CANARY_PASSWORD,
    CANARY_USER,
    CLEAR,
    CLICK,
    HOSTILE_STRINGS,
    OSC52,
    TITLE,
    HostileRegistry,
    screenshot_click,
)
from tests.ui.conftest import MemoryKeyring, screen_text

pytestmark = pytest.mark.ui

SIZE = (160, 45)
SAFE_COPY = re.compile(r"[\x21-\x7e]+")  # a copied digest or reference: printable ASCII, no space


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The crash log (errors.log) goes to the test's own folder, and is scanned after the test."""
    path = tmp_path / "cache"
    monkeypatch.setenv("ACRBROWSE_CACHE_DIR", str(path))
    yield path
    for file in path.rglob("*"):
        if file.is_file():
            assert not secrets_in(file.read_bytes()), f"the canary secret is in {file}"


@pytest.fixture
def make_app(hostile: HostileRegistry, tmp_path: Path) -> Callable[..., AcrBrowseApp]:
    docker = tmp_path / "docker"
    docker.mkdir()
    env = {"ACRBROWSE_CONFIG_DIR": str(tmp_path / "config"), "DOCKER_CONFIG": str(docker),
           "HOME": str(tmp_path), "PATH": ""}
    keyring = MemoryKeyring()

    def make(target: str, *, timeout: float = 5.0, challenges: ChallengeMemo | None = None) -> AcrBrowseApp:
        credential = Credential(CANARY_USER, Secret(CANARY_PASSWORD), source="test")
        session = Session(SessionOptions(timeout=timeout, use_cache=False), env=env,
                          settings=Config(tmp_path / "config" / "config.json"), keyring_backend=keyring,
                          include_helper_list=False, challenges=challenges)
        app = AcrBrowseApp(parse_reference(target.replace("{host}", hostile.host)), credential, session=session,
                           system_clipboard=False)
        return app

    return make


def rendered_lines(app: AcrBrowseApp) -> list[str]:
    """The screen as the user sees it, toasts included (Textual's own export of every segment)."""
    return screen_text(app).splitlines()


def assert_sound(app: AcrBrowseApp, hostile: HostileRegistry) -> None:
    """Alive, nothing raw on screen, nothing unsafe copied, no secret shown or sent elsewhere."""
    assert app.is_running and app.return_code is None, "the app died"
    screen = "\n".join(rendered_lines(app))
    assert not control_chars(screen), f"raw control characters on screen: {control_chars(screen)[:5]}"
    assert not secrets_in(screen.encode()), "the canary secret is on screen"
    for notice in app.messages.texts():
        assert not control_chars(notice) and not secrets_in(notice.encode()), notice
    # what the terminal was last sent through OSC 52 (Textual keeps it in the public `clipboard`)
    assert not app.clipboard or SAFE_COPY.fullmatch(app.clipboard), f"copied {app.clipboard!r}"
    assert not hostile.leaks(), f"the credential went elsewhere: {hostile.leaks()[:3]}"
    assert not Path(hostile.screenshot_path).exists(), "a registry string ran app.screenshot"


async def wait_for(pilot, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        if pilot.app.return_code is not None:
            raise AssertionError("the app died")
        await pilot.pause(0.02)
    return value


async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser")


def tree_nodes(tree) -> list:
    nodes, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.children)
    return nodes


def tree_failed(screen: BrowserScreen) -> bool:
    return any(isinstance(node.data, ErrorLeaf) or (isinstance(node.data, ManifestItem) and node.data.error is not None)
               for node in tree_nodes(screen.manifest_tree))


async def click_title(pilot, widget, width: int = 30) -> None:
    """Click along a pane's top border, where its title (with registry text in it) is drawn: a
    `[@click=…]` parsed as markup would be a link there."""
    for x in range(4, width, 4):
        await pilot.click(widget, offset=(x, 0))


# ---- opening a registry, a repository, a tag ---------------------------------------------------

async def test_registry_with_hostile_repository_names(make_app, hostile):
    names = [*HOSTILE_STRINGS, screenshot_click(hostile.screenshot_path), "plain", "tags-hostile"]
    app = make_app("{host}")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        assert sorted(screen.repos.table.keys) == sorted(names)  # kept exact, escaped only when drawn
        assert_sound(app, hostile)
        for name in names:
            screen.repos.table.focus()
            screen.repos.table.cursor = screen.repos.table.keys.index(name)
            notices = len(app.messages.texts())
            await pilot.press("enter")

            def opened(name=name, notices=notices) -> bool:
                tags = screen.tags
                return len(app.messages.texts()) > notices or (
                    tags.repository == name and (tags.complete or tags.message.display))

            await wait_for(pilot, opened, what=f"opening {name!r}")
            await pilot.pause()
            if name in (CLICK, screenshot_click(hostile.screenshot_path)):
                await click_title(pilot, screen.tags)
            assert_sound(app, hostile)


async def test_hostile_tags(make_app, hostile):
    app = make_app("{host}/tags-hostile")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        tags = screen.tags
        await wait_for(pilot, lambda: tags.complete, what="the tags")
        await wait_for(pilot, lambda: all(t in tags.info for t in tags.table.visible_keys()), what="tag details")
        await click_title(pilot, tags)
        assert_sound(app, hostile)
        tags.table.focus()
        for tag in tags.table.keys:
            tags.table.cursor = tags.table.keys.index(tag)
            await pilot.pause()
            if tag != "latest":
                await pilot.press("c", "C")  # nothing valid to copy: refused, not copied
                await pilot.pause()
            assert_sound(app, hostile)
        assert app.clipboard == ""
        await pilot.press("m", "d", "U")  # mark, compare, usage: names that are no tags go nowhere
        usage = await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen) and app.screen, what="usage")
        await wait_for(pilot, lambda: usage.state == "done", what="the usage")
        assert usage.left_out >= len(HOSTILE_STRINGS)  # each hostile name is no valid tag: left out, and said
        assert_sound(app, hostile)


async def test_tree_with_hostile_fields(make_app, hostile):
    app = make_app("{host}/tree-hostile:latest")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data is not None and tree.root.data.manifest is not None
                       and tree.root.children, what="the root manifest")
        tree.focus()
        tree.cursor_line = 0
        await pilot.press("down", "enter")
        entry = tree.root.children[0]
        await wait_for(pilot, lambda: entry.data.manifest is not None and len(entry.children) > 1, what="the layers")
        assert_sound(app, hostile)
        await click_title(pilot, screen.detail)
        for line in range(tree.last_line + 1):
            tree.cursor_line = line
            await pilot.pause()
            assert_sound(app, hostile)
            if isinstance(tree.cursor_node.data, (ManifestItem, ConfigItem)):
                await pilot.press("v")  # the raw JSON, escaped too
                await wait_for(pilot, lambda: isinstance(app.screen, RawScreen), what="the raw view")
                await pilot.pause()
                assert_sound(app, hostile)
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, what="back from the raw view")


@pytest.mark.parametrize("shape", ["layer-names", "layer-endless", "layer-bomb"])
async def test_files_of_a_hostile_layer(make_app, hostile, shape):
    """Names that attack the terminal are shown escaped (copying one is refused); a blob that never
    ends and a tar bomb each end in one line in the files view, and the app goes on."""
    app = make_app(f"{{host}}/{shape}:latest")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: any(isinstance(n.data, LayerItem) for n in tree.root.children), what="the layer")
        tree.focus()
        tree.move_cursor(next(n for n in tree.root.children if isinstance(n.data, LayerItem)))
        await pilot.press("enter")
        files = await wait_for(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen, what="the files")
        await wait_for(pilot, lambda: files.state in ("done", "failed"), what="the listing")
        await pilot.pause()
        if shape == "layer-names":
            assert files.state == "done"
            await pilot.press("e")
            for row in range(len(files.table.keys)):
                files.table.cursor = row
                await pilot.press("c")  # a path holding a control character is not copied
            await pilot.pause()
        else:
            assert files.state == "failed" and len(files.error_line.splitlines()) == 1
            assert ("more than" in files.error_line) if shape == "layer-endless" else ("truncated" in files.error_line)
        assert_sound(app, hostile)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back in the browser")


# ---- data that must end in one error line, in the pane that asked for it -------------------------

TREE_SHAPES = ["type-created", "type-os", "type-urls", "type-artifacttype", "type-annotations", "type-history",
               "deep-manifest", "deep-config", "digest-paste", "digest-md5", "header-md5", "header-shake", "index-x",
               "huge-manifest", "huge-config", "redirect-bearer", "redirect-basic"]  # slow bodies: the tag list


@pytest.mark.parametrize("shape", TREE_SHAPES)
async def test_tree_error_shapes(make_app, hostile, shape):
    app = make_app(f"{{host}}/{shape}:latest")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data is not None and (tree.root.data.manifest is not None
                                                                       or tree_failed(screen)), what="the root")
        await pilot.pause()
        tree.focus()
        if not tree_failed(screen) and not app.messages.texts("error") and tree.root.data.manifest.kind == "index":
            # an index: the entry's manifest and config load when it opens
            tree.cursor_line = 1
            await pilot.press("enter")
        # an error line in the tree, or (a root image's config) in a notification
        await wait_for(pilot, lambda: tree_failed(screen) or app.messages.texts("error"), what="an error line")
        for line in range(tree.last_line + 1):  # c on every node: nothing unsafe reaches the clipboard
            tree.cursor_line = line
            await pilot.press("c")
            await pilot.pause()
            assert "PWNED" not in app.clipboard
        assert_sound(app, hostile)


LIST_SHAPES = {  # shape → (--timeout, how the tag list must end)
    "error-hostile": (5, "error"), "error-echo": (5, "error"), "deep-tags": (5, "error"), "deep-error": (5, "error"),
    "huge-tags": (5, "error"), "endless-tags": (5, "error"), "huge-error": (5, "error"), "slow-tags": (2, "error"),
    "retry-after-59": (3, "error"), "link-port-abc": (5, "error"), "link-port-99999": (5, "error"),
    "realm-port-abc": (5, "error"), "realm-port-99999": (5, "error"), "realm-elsewhere": (5, "error"),
    "token-50mb": (5, "error"), "token-deep": (5, "error"),
    "token-expires400": (5, "error or listed"), "link-repeat": (5, "error or listed"), "retry-after-1": (5, "listed"),
}


@pytest.mark.parametrize("shape", list(LIST_SHAPES))
async def test_tag_list_shapes(make_app, hostile, shape):
    timeout, expected = LIST_SHAPES[shape]
    app = make_app(f"{{host}}/{shape}", timeout=timeout)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        tags = screen.tags
        settled = await wait_for(pilot, lambda: (tags.message.display and "error") or (tags.complete and "listed")
                                 or (isinstance(app.screen, LoginScreen) and "login"), what="the tag list")
        assert settled in expected.split(" or "), settled
        if shape == "retry-after-1":  # the wait is said, not silent
            assert [notice for notice in app.messages.texts() if "wait" in notice.lower()], app.messages.texts()
        await pilot.pause()
        assert_sound(app, hostile)


async def test_remembered_realm_elsewhere_gets_nothing(make_app, hostile, tmp_path):
    memo = ChallengeMemo(tmp_path / "challenges.json")
    memo.path.write_text(json.dumps({hostile.host: {
        "scheme": "bearer", "realm": f"http://{hostile.alias}:{hostile.port}/token/memo-elsewhere", "service": "x"}}))
    app = make_app("{host}/memo-elsewhere", challenges=memo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete or screen.tags.message.display, what="the tag list")
        assert_sound(app, hostile)
    assert not [hit for hit in hostile.hits if hit.host.split(":")[0] == hostile.alias and hit.authorization]


async def test_a_million_tags_over_a_thousand_pages(make_app, hostile):
    app = make_app("{host}/many-tags", timeout=10.0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete or screen.tags.message.display, timeout=120,
                       what="a million tags")
        assert screen.tags.complete and len(screen.tags.tags) == 1_000_000
        await asyncio.sleep(0)
        assert_sound(app, hostile)


async def test_start_screen_with_a_hostile_credential_helper(hostile, tmp_path):
    """Docker's config and its credential helper name registries and users with control characters,
    and the helper fails with a complaint on stderr: the start screen says so on one escaped line."""
    bin_dir, docker = tmp_path / "bin", tmp_path / "docker"
    bin_dir.mkdir()
    docker.mkdir()
    listed = json.dumps({f"https://{TITLE}helper.example": "user" + CLEAR, f"{CLICK}.example": OSC52})
    helper = bin_dir / "docker-credential-hostile"
    helper.write_text(f"#!/bin/sh\nprintf '%s' '{listed}'\nprintf '%s' '{OSC52} {CLEAR} boom' >&2\nexit 1\n")
    helper.chmod(0o755)
    (docker / "config.json").write_text(json.dumps({"credsStore": "hostile", "auths": {BIDI + "auths.example": {}, "plain.example": {}}}))
    env = {"ACRBROWSE_CONFIG_DIR": str(tmp_path / "config"), "DOCKER_CONFIG": str(docker), "HOME": str(tmp_path),
           "PATH": f"{bin_dir}:/usr/bin:/bin"}
    session = Session(SessionOptions(use_cache=False), env=env, settings=Config(tmp_path / "config" / "config.json"),
                      keyring_backend=MemoryKeyring(), include_helper_list=True)
    app = AcrBrowseApp(None, None, session=session, system_clipboard=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        table = await wait_for(pilot, lambda: (isinstance(app.screen, StartScreen)
                                               and app.screen.query_one("#known-table")), what="the start screen")
        await wait_for(pilot, lambda: not table.busy, what="the known registries")
        await pilot.pause()
        assert "docker-credential-hostile" in "\n".join(rendered_lines(app))  # the failure has its line
        await click_title(pilot, app.screen.query_one("#known-pane"))
        assert_sound(app, hostile)
