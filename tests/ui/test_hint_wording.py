"""The UI words an error's hint with keys and dialogs, never a command-line flag (issue 9)."""

from __future__ import annotations

import re

import pytest

from acrbrowse.keychain.errors import KeyringUnavailable
from acrbrowse.oci.errors import Hint, RegistryError, Timeout, sign_in_required
from acrbrowse.ui.app import AcrBrowseApp, ui_hint
from acrbrowse.ui.screens.start import StartScreen
from tests.ui.conftest import SIZE, screen_text, wait_for

CLI_WORDS = re.compile(r"(?<![\w-])--[a-z]|acrbrowse (login|repos|tags|tree)\b|/REPO\b|ACRBROWSE_")


@pytest.mark.parametrize("hint", list(Hint))
def test_each_hint_has_ui_words_without_flags(hint):
    words = ui_hint(hint)
    assert words and "\n" not in words
    assert not CLI_WORDS.search(words), words


def test_no_hint_adds_nothing():
    assert ui_hint(None) == ""


def test_failure_line_is_the_reason_and_the_ui_words():
    app = AcrBrowseApp(display_names={"127.0.0.1:5000": "registry.test"})
    assert app.failure_line(Timeout("127.0.0.1:5000 did not answer within 5 s", hint=Hint.RAISE_TIMEOUT)) == (
        "registry.test did not answer within 5 s; press r to try again")
    assert app.failure_line(sign_in_required("r.io")) == "r.io requires you to sign in; press r to reload and sign in"
    assert app.failure_line(RegistryError("plain")) == "plain"
    keyring = app.failure_line(KeyringUnavailable("locked"))
    assert keyring.startswith("No usable keyring (locked); start or unlock") and "--" not in keyring
    for hint in Hint:
        line = app.failure_line(RegistryError("it failed", hint=hint, registry="r.io"))
        assert line == f"it failed; {ui_hint(hint)}" and not CLI_WORDS.search(line)


async def test_the_start_screen_words_the_hint_without_a_flag(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        start = await wait_for(pilot, lambda: isinstance(app.screen, StartScreen) and app.screen)
        start.query_one("#registry-input").focus()
        await pilot.press(*"http://localhost:5000", "enter")
        error = start.query_one("#start-error")
        await wait_for(pilot, lambda: error.display, what="the error line")
        text = screen_text(app)
        assert "give the registry without http://; if it is a plain-HTTP registry, start acrbrowse" in text
        assert "--plain-http" not in text
