"""The line a screen shows while it reads something long (layers, every tag's manifests): a bar and
what it says (bytes of total, rate, time left). Hidden when nothing is being read."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


class ReadProgress(Horizontal):
    DEFAULT_CSS = """
    ReadProgress { height: 1; padding: 0 1; display: none; }
    ReadProgress.reading { display: block; }
    ReadProgress > ProgressBar { width: auto; margin-right: 2; }
    ReadProgress > Static { width: 1fr; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Held, not queried: a worker that wakes while the screen is being taken down still finds them.
        self.bar = ProgressBar(total=None, show_eta=False)
        self.line = Static()

    def compose(self) -> ComposeResult:
        yield self.bar
        yield self.line

    def start(self) -> None:
        self.bar.update(total=None, progress=0)
        self.line.update("")
        self.add_class("reading")

    def stop(self) -> None:
        self.remove_class("reading")

    def show(self, done: int, total: int, text: str) -> None:
        """`done` of `total` (bytes, tags, …), and `text` (plain: escaped by whoever made it)."""
        self.bar.update(total=max(total, 1), progress=min(done, total))
        self.line.update(Text(text))
