"""How a pane shows that it waits for the network: "loading…" at first; past SHOW_AFTER a spinner,
the time waited and how to cancel, repainted every TICK while the wait lasts (and no timer after)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from acrbrowse.ui.keys import BROWSER_KEYS

SHOW_AFTER = 0.3  # a shorter wait just says "loading…": a spinner that flashes reads as a glitch
TICK = 0.1
FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
CANCEL_KEY = next(k.display for k in BROWSER_KEYS if k.action == "back")


def waiting_text(what: str, started: float, now: float, *, cancellable: bool = True) -> Text:
    """ "loading…", then "⠹ loading… 1.4 s · Esc cancels" (the frame follows the time waited)."""
    elapsed = max(0.0, now - started)
    if elapsed < SHOW_AFTER:
        return Text(f"{what}…", end="")
    frame = FRAMES[int(elapsed / TICK) % len(FRAMES)]
    text = Text(f"{frame} {what}… {elapsed:.1f} s", end="")
    if cancellable:
        text.append(f" · {CANCEL_KEY} cancels")
    return text


class Wait:
    """One widget's wait: when it started, and `repaint` called every TICK while it lasts."""

    def __init__(self, widget: Widget, repaint: Callable[[], None]) -> None:
        self._widget = widget
        self._repaint = repaint
        self._timer: Timer | None = None
        self.started: float | None = None

    @property
    def active(self) -> bool:
        return self.started is not None

    def start(self) -> None:
        """Begin (or begin again) a wait: the clock starts now."""
        self.started = time.monotonic()
        if self._timer is None:
            self._timer = self._widget.set_interval(TICK, self._repaint, name="wait")

    def stop(self) -> None:
        self.started = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def text(self, what: str, *, cancellable: bool = True) -> Text:
        """What to show for this wait now ("" when not waiting)."""
        if self.started is None:
            return Text("", end="")
        return waiting_text(what, self.started, time.monotonic(), cancellable=cancellable)

    def shows_progress(self) -> bool:
        """Past SHOW_AFTER: the spinner and the time are showing."""
        return self.started is not None and time.monotonic() - self.started >= SHOW_AFTER
