"""The browser's footer: Help and Quit pinned to the right, so at 80 columns the pane's own keys
give way, not the two a person needs to find everything else or leave."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer

PINNED = ("help", "quit")  # the app's actions


class PinnedFooter(Footer):
    DEFAULT_CSS = """
    PinnedFooter #pinned {
        dock: right;
        width: auto;
        background: $footer-background;
        FooterKey.-command-palette {
            dock: none;
        }
    }
    """

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        pinned = [key for key in keys if getattr(key, "action", None) in PINNED or key.has_class("-command-palette")]
        yield from (key for key in keys if key not in pinned)
        yield HorizontalGroup(*pinned, id="pinned")
