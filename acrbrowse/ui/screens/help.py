"""The help screen: the key table (from keys.py, the one source of truth)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from acrbrowse.ui.keys import HELP_KEYS, bindings, help_rows


def key_table() -> Table:
    table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
    table.add_column("Keys", style="bold cyan", no_wrap=True)
    table.add_column("Does")
    for keys, does in help_rows():
        table.add_row(keys, does)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings(HELP_KEYS)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(Text("acrbrowse keys", style="bold"), id="help-title")
            yield Static(key_table())
            yield Static(Text(
                "\nPanes: repositories → tags → manifest tree → details. In a narrow terminal the panes left "
                "of the focus hide (the top line says where you are; Tab and Esc reach them). Copying uses the terminal "
                "(OSC 52, works over SSH and in tmux with set-clipboard on) and the system clipboard "
                "when one is at hand. Every binding has an id (acrbrowse.copy_digest, …) for remapping.",
                style="dim"))
        yield Footer()  # the dialog's own keys, not the browser's behind it

    def action_close(self) -> None:
        self.dismiss(None)
