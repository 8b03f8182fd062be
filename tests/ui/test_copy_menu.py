"""The copy menu (`y`): each form of the highlighted tag or tree node reaches the clipboard (OSC 52:
Textual keeps the text in `app.clipboard`), each option shows what it copies, and the checks that
keep a registry's odd names out of a shell."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from acrbrowse.oci.errors import InvalidReference
from acrbrowse.ui.clipboard import copyable_pull_command, copyable_tag_reference
from acrbrowse.ui.screens.browser import BrowserScreen, Pane
from acrbrowse.ui.screens.copy_menu import CopyMenuScreen, copy_choices, option_text
from acrbrowse.ui.tree.nodes import ConfigItem, EntryItem
from tests.ui.conftest import SIZE, screen_text, wait_for

pytestmark = pytest.mark.ui

GOOD = "sha256:" + "a" * 64


# ---- the checks -----------------------------------------------------------------------------

def test_a_tag_reference_and_a_pull_line_check_every_part():
    assert copyable_tag_reference("registry.test:5000", "a/b", "v1.2") == "registry.test:5000/a/b:v1.2"
    assert copyable_pull_command("registry.test:5000", "a/b", GOOD) == f"docker pull registry.test:5000/a/b@{GOOD}"
    assert copyable_pull_command("registry.test:5000", "a/b", GOOD, "v1") == \
        f"docker pull registry.test:5000/a/b:v1@{GOOD}"
    # Docker Hub as acrbrowse shows it: docker.io/library/x is what docker pulls too
    assert copyable_pull_command("docker.io", "library/nginx", GOOD, "1") == f"docker pull docker.io/library/nginx:1@{GOOD}"
    for registry, repository, tag in [
        ("registry.test:5000", "a/b", "v1\n; rm -rf ~"),
        ("registry.test:5000", "a/b", "v 1"),
        ("registry.test:5000", "a/b", "\x1b]52;c;eA==\x07"),
        ("registry.test:5000", "a b", "v1"),
        ("registry.test:5000", "a/b\u202e", "v1"),
        ("evil\n.io", "a/b", "v1"),
        ("Registry.Test", "a/b", "v1"),
        ("registry.test:5000", None, "v1"),
        ("registry.test:5000", "a/b", None),
    ]:
        with pytest.raises(InvalidReference):
            copyable_tag_reference(registry, repository, tag)  # type: ignore[arg-type]
        if tag is not None:
            with pytest.raises(InvalidReference):
                copyable_pull_command(registry, repository, GOOD, tag)
    with pytest.raises(InvalidReference):
        copyable_pull_command("registry.test:5000", "a/b", "sha256:12\n")


def test_an_option_that_fails_its_check_is_left_out_and_each_shows_its_text():
    choices = copy_choices("registry.test:5000", "a/b", digest=GOOD, manifest_digest=GOOD, tag="bad tag",
                           raw=b'{"schemaVersion": 2}')
    assert [c.letter for c in choices] == ["d", "r", "p", "j"]
    assert choices[2].text == f"docker pull registry.test:5000/a/b@{GOOD}"  # no tag: pinned by digest alone
    shown = [option_text(c, str).plain for c in choices]
    assert shown[0].startswith(" d ") and shown[0].endswith(GOOD)  # whole when it fits
    narrow = option_text(choices[0], str, width=20).plain
    assert narrow.endswith("sha256:aaa…aaaaaaaaa")  # shortened in the middle
    assert shown[3].endswith("the manifest's JSON, 20 bytes")
    assert copy_choices("r.test", "a", digest=None, manifest_digest=None, tag=None, raw=b"\xff") == []


# ---- in the browser -------------------------------------------------------------------------

async def choose(pilot, letter: str) -> None:
    app = pilot.app
    await pilot.press("y")
    menu = await wait_for(pilot, lambda: isinstance(app.screen, CopyMenuScreen) and app.screen, what="the copy menu")
    assert letter in [c.letter for c in menu.choices]
    before = len(app.messages.texts())
    await pilot.press(letter)
    await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and len(app.messages.texts()) > before,
                   what="the copy to be done")


async def test_y_copies_each_form_of_a_tag(testbed, make_app):
    host = testbed.anon.host
    digest = testbed.content.aspnetapp.digest
    app = make_app(f"{host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="aspnetapp's tags")
        screen.tags.table.cursor = screen.tags.table.keys.index("8.0")
        assert screen.focused_pane is Pane.TAGS

        await pilot.press("y")
        menu = await wait_for(pilot, lambda: isinstance(app.screen, CopyMenuScreen) and app.screen, what="the menu")
        assert [c.letter for c in menu.choices] == ["d", "t", "r", "p", "j"]
        text = screen_text(app)
        pull = next(line for line in text.splitlines() if " p pull command" in line)
        assert "docker pull registry.test:5000/aspnetapp" in pull and "…" in pull  # the display name, shortened
        assert digest[-16:] in pull
        assert "the index's JSON" in text
        await pilot.press("escape")
        assert app.screen is screen and app.clipboard == ""

        await choose(pilot, "d")
        assert app.clipboard == digest
        await choose(pilot, "t")
        assert app.clipboard == f"{host}/aspnetapp:8.0"  # the real name, not the one shown
        await choose(pilot, "r")
        assert app.clipboard == f"{host}/aspnetapp@{digest}"
        await choose(pilot, "p")
        assert app.clipboard == f"docker pull {host}/aspnetapp:8.0@{digest}"
        last = app.messages.notices[-1]
        assert "docker pull registry.test:5000/aspnetapp:8.0@" in last.text  # the toast says what, not "1 lines"
        await choose(pilot, "j")
        assert app.clipboard == testbed.content.aspnetapp.raw.decode()

        # Enter takes the highlighted option; ↓ moves
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyMenuScreen))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.clipboard == f"{host}/aspnetapp:8.0", what="the tag reference copied")


async def test_y_copies_from_the_tree(testbed, make_app):
    host = testbed.anon.host
    index = testbed.content.aspnetapp
    amd64 = testbed.content.aspnetapp_amd64
    app = make_app(f"{host}/aspnetapp:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None and tree.root.children, what="the tree")
        assert screen.focused_pane is Pane.TREE

        # the root is the tag
        await pilot.press("y")
        menu = await wait_for(pilot, lambda: isinstance(app.screen, CopyMenuScreen) and app.screen)
        assert menu.title_text == "aspnetapp:latest"
        assert "the index's JSON" in screen_text(app)
        await pilot.press("escape")
        await choose(pilot, "t")
        assert app.clipboard == f"{host}/aspnetapp:latest"
        await choose(pilot, "p")
        assert app.clipboard == f"docker pull {host}/aspnetapp:latest@{index.digest}"

        # a platform is not the tag: no tag form; its own manifest's JSON, fetched on the choice
        platform = next(node for node in tree.root.children
                        if isinstance(node.data, EntryItem) and node.data.digest == amd64.digest)
        tree.move_cursor(platform)
        await wait_for(pilot, lambda: tree.cursor_node is platform, what="the cursor on the platform")
        await pilot.press("y")
        menu = await wait_for(pilot, lambda: isinstance(app.screen, CopyMenuScreen) and app.screen)
        assert [c.letter for c in menu.choices] == ["d", "r", "p", "j"]
        await pilot.press("escape")
        await choose(pilot, "p")
        assert app.clipboard == f"docker pull {host}/aspnetapp@{amd64.digest}"
        await choose(pilot, "j")
        assert app.clipboard == amd64.raw.decode()

        # the config: its own digest, the image it belongs to for a reference, its JSON fetched
        platform.expand()
        await wait_for(pilot, lambda: any(isinstance(n.data, ConfigItem) for n in platform.children),
                       what="the platform's config")
        config = next(n for n in platform.children if isinstance(n.data, ConfigItem))
        await pilot.pause()  # a node's line is known once the tree is drawn
        tree.move_cursor(config)
        await wait_for(pilot, lambda: tree.cursor_node is config, what="the cursor on the config")
        await choose(pilot, "d")
        assert app.clipboard == config.data.digest
        await choose(pilot, "r")
        assert app.clipboard == f"{host}/aspnetapp@{amd64.digest}"
        await choose(pilot, "j")
        assert app.clipboard.startswith("{") and '"architecture"' in app.clipboard


async def test_y_in_the_repositories_says_what_to_do(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Highlight a tag" in t for t in app.messages.texts()), what="the hint")
        assert app.screen is screen
        assert not screen.query(OptionList)
