"""The raw JSON of a manifest or config, pretty-printed, on demand."""

from __future__ import annotations

import contextlib
import json

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from acrbrowse import boundedjson
from acrbrowse.present.safe import terminal_safe, terminal_safe_block
from acrbrowse.ui.keys import RAW_KEYS, bindings


def pretty_json(raw: bytes | str) -> str:
    """Indented JSON, re-serialised from the parsed document; bytes that are not JSON (or nest too
    deep) come back as they are. Either way escaped for the terminal: a registry's strings may hold
    C1 controls or bidi overrides, which JSON leaves as they are."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    with contextlib.suppress(ValueError, RecursionError):
        text = json.dumps(boundedjson.loads(text), indent=2, ensure_ascii=False)
    return terminal_safe_block(text)


class RawScreen(ModalScreen[None]):
    BINDINGS = bindings(RAW_KEYS)

    def __init__(self, title: str, raw: bytes | str) -> None:
        super().__init__()
        self.title_text = terminal_safe(title)
        self.raw = pretty_json(raw)

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax  # pygments is slow to import; only this screen needs it

        with VerticalScroll(id="raw-dialog") as scroll:
            scroll.border_title = Text(self.title_text)  # a str title would be markup
            scroll.border_subtitle = "Esc closes"
            # Syntax colours tokens; it never reads the text as markup.
            yield Static(Syntax(self.raw, "json", theme="ansi_dark", word_wrap=True, background_color="default"),
                         id="raw-body")

    def on_mount(self) -> None:
        self.query_one("#raw-dialog").focus()

    def action_close(self) -> None:
        self.dismiss(None)
