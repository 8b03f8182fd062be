"""What the browser keeps and reads in its settings: a theme picked in the palette, the palette's
screenshot (saved where it can be), and a keymap with entries that name nothing (left out, said once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrbrowse.cli.browse import make_app as make_cli_app
from acrbrowse.ui.keys import check_keymap, is_key_name
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.start import StartScreen
from tests.ui.conftest import SIZE, wait_for

pytestmark = pytest.mark.ui


async def test_a_theme_picked_in_the_palette_is_kept_for_the_next_run(make_app, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        assert app.theme != "nord"
        await pilot.press("ctrl+p", *"theme", "enter")  # the palette's "Theme" command
        await pilot.press(*"nord")
        await wait_for(pilot, lambda: "nord" in str(app.screen.query("CommandList").first().get_option_at_index(0).prompt)
                       if app.screen.query("CommandList") and app.screen.query("CommandList").first().option_count
                       else False, what="the theme list")
        await pilot.press("enter")
        assert app.theme == "nord"
        await wait_for(pilot, lambda: session.settings.theme() == "nord", what="the theme to be saved")

    again = make_cli_app(None, None, session)  # the command line's way: the saved theme applied
    assert again.theme == "nord"


async def test_the_theme_set_before_the_run_is_not_written_back(make_app, session):
    app = make_app()
    app.theme = "gruvbox"  # what cli/browse.py does with the saved theme
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        await pilot.pause()
    assert session.settings.theme() is None


def screenshot_command(app):
    return next(c for c in app.get_system_commands(app.screen) if c.title == "Screenshot")


async def test_screenshot_makes_the_missing_downloads_folder(make_app, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        screenshot_command(app).callback()
        downloads = home / "Downloads"
        await wait_for(pilot, lambda: downloads.is_dir() and list(downloads.glob("*.svg")), what="the screenshot")
        await wait_for(pilot, lambda: any("Saved screenshot to" in t for t in app.messages.texts()), what="the toast")
        assert str(downloads) in " ".join(app.messages.texts())
        assert not app.messages.texts("error")


async def test_screenshot_falls_back_to_the_cache_folder(make_app, tmp_path, monkeypatch, crash_log_dir):
    home = tmp_path / "home-is-a-file"
    home.write_text("")  # no folder can be made under it
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        screenshot_command(app).callback()
        await wait_for(pilot, lambda: crash_log_dir.is_dir() and list(crash_log_dir.glob("*.svg")), what="the screenshot")
        await wait_for(pilot, lambda: any(str(crash_log_dir) in t for t in app.messages.texts()), what="the toast")


def write_settings(session, document: dict) -> Path:
    path = Path(session.settings.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


async def test_a_keymap_with_nonsense_is_applied_where_it_makes_sense_and_says_what_it_left_out(
        testbed, session):
    write_settings(session, {"keymap": {"acrbrowse.copy_digest": "y", "acrbrowse.nope": "x",
                                        "acrbrowse.raw": "ctrl+qq", "acrbrowse.reload": "f5, ctrl+r"}})
    from acrbrowse.oci.name import parse_reference

    app = make_cli_app(parse_reference(f"{testbed.anon.host}/aspnetapp"), None, session)
    app.system_clipboard = False
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        warnings = app.messages.texts("warning")
        ignored = [t for t in warnings if "keymap entries ignored" in t]
        assert len(ignored) == 1 and "\n" not in ignored[0]
        assert "acrbrowse.nope (no such binding)" in ignored[0] and "acrbrowse.raw: ctrl+qq" in ignored[0]
        assert "copy_digest" not in ignored[0] and "reload" not in ignored[0]
        # the good entries work: y copies the digest
        tag = screen.tags.highlighted()
        await wait_for(pilot, lambda: tag in screen.tags.info, what="the tag's digest")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.clipboard == screen.tags.info[tag].digest, what="the copy")


@pytest.mark.parametrize("name", ["y", "G", "ctrl+q", "f5", "pageup", "escape", "space", "slash", "question_mark",
                                  "shift+tab", "ctrl+shift+up", "alt+x", "5"])
def test_key_names_textual_knows(name):
    assert is_key_name(name)


@pytest.mark.parametrize("name", ["", "ctrl+", "ctrl+qq", "qq", "?", "control+q", "f99", "Slash", "y ", "+"])
def test_key_names_that_are_not(name):
    assert not is_key_name(name)


def test_check_keymap_keeps_the_good_entries():
    kept, problems = check_keymap({"acrbrowse.quit": "ctrl+q, f10", "acrbrowse.quitt": "q", "acrbrowse.help": "??"})
    assert kept == {"acrbrowse.quit": "ctrl+q,f10"}
    assert problems == ["acrbrowse.quitt (no such binding)",
                        "acrbrowse.help: ?? (not a key; e.g. y, ctrl+y, f5, question_mark)"]
