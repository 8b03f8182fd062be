"""The run's messages (m): a toast fades, its words stay readable — escaped like everything else."""

from __future__ import annotations

from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.messages import MAX_MESSAGES, MessageLog, MessagesScreen
from tests.hostile.conftest import control_chars
from tests.ui.conftest import SIZE, screen_text, wait_for


def test_the_log_keeps_the_latest_messages_only():
    log = MessageLog()
    for n in range(MAX_MESSAGES + 5):
        log.add("error" if n % 2 else "information", "", f"message {n}")
    texts = log.texts()
    assert len(texts) == MAX_MESSAGES and texts[0] == "message 5" and texts[-1] == f"message {MAX_MESSAGES + 4}"
    assert all(int(t.split()[1]) % 2 for t in log.texts("error"))


async def test_an_error_that_faded_is_still_in_the_messages(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/no-such-repository")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: app.messages.texts("error"), what="the error")
        error = app.messages.texts("error")[0]
        assert "no-such-repository" in error
        app.clear_notifications()  # as if its toast had faded

        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MessagesScreen), what="the messages")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "Messages of this run · 1" in shown and "error" in shown and "no-such-repository" in shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="the browser again")


async def test_hostile_words_in_a_message_stay_escaped(testbed, make_app):
    hostile = "evil\x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b[2J\u202egnp.exe"
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.notify(terminal_safe(hostile), severity="warning", markup=False)
        app.notify(hostile, title="[bold]not markup[/]", markup=False)  # a careless caller: escaped all the same
        await pilot.press("escape", "M")  # from the registry input to the list, then the messages
        await wait_for(pilot, lambda: isinstance(app.screen, MessagesScreen), what="the messages")
        await pilot.pause()
        text = screen_text(app)
        assert not control_chars(text), control_chars(text)
        assert "\\x1b]52;c;ZWNobyBwd25lZA==" in text and "[bold]not markup[/]" in text
