"""The raw JSON of a manifest or config, pretty-printed, on demand."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def pretty_json(raw: bytes | str) -> str:
    """Indented JSON; bytes that are not JSON come back as they are."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


class RawScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,v,backspace", "close", "Close", id="acrbrowse.raw_close")]

    def __init__(self, title: str, raw: bytes | str) -> None:
        super().__init__()
        self.title_text = title
        self.raw = pretty_json(raw)

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax  # pygments is slow to import; only this screen needs it

        with VerticalScroll(id="raw-dialog") as scroll:
            scroll.border_title = self.title_text
            scroll.border_subtitle = "Esc closes"
            yield Static(Syntax(self.raw, "json", theme="ansi_dark", word_wrap=True, background_color="default"),
                         id="raw-body")

    def on_mount(self) -> None:
        self.query_one("#raw-dialog").focus()

    def action_close(self) -> None:
        self.dismiss(None)
