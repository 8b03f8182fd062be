"""The UI words an error's hint with keys and dialogs, never a command-line flag (issue 9)."""

from __future__ import annotations

import ast
import re
import socket
from pathlib import Path

import pytest

from acrbrowse.config import ConfigError
from acrbrowse.keychain import CredentialError
from acrbrowse.keychain.errors import KeyringUnavailable
from acrbrowse.oci.errors import Hint, RegistryError, Timeout, sign_in_required
from acrbrowse.ui.app import RELOAD_KEY, AcrBrowseApp, ui_hint
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.login import LoginScreen
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


# ---- every place an error reaches the screen ------------------------------------------------

FLAG_ADVICE = re.compile(r"(?<![\w-])--[a-z]|acrbrowse (login|logout|repos|tags|tree)\b")
PACKAGE = Path(__file__).resolve().parents[2] / "acrbrowse"


def assert_no_cli_words(app) -> str:
    """Neither the screen (toasts included, with notifications=True) nor this run's messages."""
    text = " ".join(screen_text(app).split())
    for shown in (text, *app.messages.texts()):
        assert not CLI_WORDS.search(shown), shown
    return text


@pytest.mark.parametrize("error_type", [RegistryError, CredentialError, ConfigError])
@pytest.mark.parametrize("hint", list(Hint))
def test_every_hint_on_every_error_reads_as_the_ui(error_type, hint):
    error = error_type("it failed")
    error.hint = hint  # CredentialError's hint is a class attribute its subclasses set
    line = AcrBrowseApp().failure_line(error)
    assert line == f"it failed; {ui_hint(hint)}" and not CLI_WORDS.search(line)


def messages_of(tree: ast.AST) -> list[ast.Constant]:
    """String constants that can reach a person: not docstrings, not a command's argv (a list)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    argv = {id(item) for node in ast.walk(tree) if isinstance(node, ast.List) for item in node.elts}
    return [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and id(node) not in argv]


def test_no_error_or_ui_text_below_the_cli_words_a_flag():
    """The UI's own words, and every error raised below the CLI (its message reaches the UI as it
    is): no command-line flag, no `acrbrowse <command>`. Hints are data, worded per front end."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if "ui" in path.relative_to(PACKAGE).parts:
            constants = messages_of(tree)
        else:
            raised = [node for node in ast.walk(tree) if isinstance(node, ast.Raise)]
            constants = [c for r in raised for c in messages_of(r)]
        found += [f"{path.name}:{c.lineno}: {c.value!r}" for c in constants if FLAG_ADVICE.search(c.value)]
    assert not found


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"  # closed again: connections are refused


async def test_an_unreachable_registry_in_the_panes_and_toasts(make_app):
    app = make_app(f"{closed_port()}/aspnetapp:latest", timeout=2)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: app.messages.texts("error") and screen.tags.query("#tag-message")
                       and "cannot reach" in screen_text(app), what="the failure on screen")
        await pilot.pause()
        assert "check the name and your network" in assert_no_cli_words(app)


async def test_a_registry_too_slow_says_press_r_not_a_flag(make_app, fault_proxy):
    proxy = fault_proxy("anon", latency=3.0)
    app = make_app(f"{proxy.host}/aspnetapp:latest", timeout=0.5,
                   display_names={proxy.host: "registry.test:5000"})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: any("did not answer" in t for t in app.messages.texts("error")),
                       what="the timeout")
        await pilot.pause()
        text = assert_no_cli_words(app)
        assert f"press {RELOAD_KEY} to try again" in " ".join(app.messages.texts("error"))
        assert "--timeout" not in text


async def test_the_sign_in_dialog_words_a_refusal_without_a_flag(testbed, make_app):
    app = make_app(testbed.token.host)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.focused is not None
                                and app.focused.id == "login-username" and app.screen, what="the dialog")
        await pilot.press(*"admin", "enter", *"wrong", "enter")
        error = dialog.query_one("#login-error")
        await wait_for(pilot, lambda: error.display, what="the refusal")
        assert "refused the credentials" in assert_no_cli_words(app)
