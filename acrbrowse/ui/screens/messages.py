"""The messages of this run: every toast (notices, warnings, errors), oldest first. Toasts fade
after a few seconds; here a person can read an error again, or copy its words."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from acrbrowse.present.safe import safe_text
from acrbrowse.ui.keys import MESSAGES_KEYS, bindings

MAX_MESSAGES = 200
SEVERITY_STYLE = {"information": "green", "warning": "yellow", "error": "bold red"}


@dataclass(frozen=True)
class Notice:
    at: datetime
    severity: str
    title: str
    text: str  # as it was shown: already made terminal-safe by whoever notified


class MessageLog:
    """The last MAX_MESSAGES toasts; appended from any thread (deque.append is atomic)."""

    def __init__(self) -> None:
        self.notices: deque[Notice] = deque(maxlen=MAX_MESSAGES)

    def add(self, severity: str, title: str, text: str) -> None:
        self.notices.append(Notice(datetime.now(), severity, title, text))

    def texts(self, severity: str | None = None) -> list[str]:
        return [n.text for n in self.notices if severity is None or n.severity == severity]


def messages_table(notices: list[Notice]) -> Table:
    table = Table(box=None, padding=(0, 1), show_header=False, expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold", ratio=1)
    for notice in notices:
        text = safe_text(f"{notice.title}: " if notice.title else "", "bold")
        text.append_text(safe_text(notice.text))
        table.add_row(notice.at.strftime("%H:%M:%S"), Text(notice.severity, SEVERITY_STYLE.get(notice.severity, "")),
                      text)
    return table


class MessagesScreen(ModalScreen[None]):
    BINDINGS = bindings(MESSAGES_KEYS)

    def __init__(self, notices: list[Notice]) -> None:
        super().__init__()
        self.notices = notices

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="messages-dialog"):
            yield Static(Text(f"Messages of this run · {len(self.notices)}", style="bold"), id="messages-title")
            if self.notices:
                yield Static(messages_table(self.notices), id="messages-body")
            else:
                yield Static(Text("Nothing yet: notices, warnings and errors collect here.", style="dim"),
                             id="messages-body")
        yield Footer()  # the dialog's own keys, not the browser's behind it

    def on_mount(self) -> None:
        self.query_one("#messages-dialog").scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
