"""The start screen: registries signed in to (keyring), in Docker's config, and recent ones; an
input for another. Known registries load in a thread (a docker credential helper can be slow), so
the screen paints at once."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from acrbrowse.keychain import KnownRegistry
from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.name import parse_reference, parse_registry
from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.keys import START_KEYS, bindings
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.widgets.virtual_table import Column, VirtualTable

SOURCE_NAMES = {"recent": "recent", "keyring": "signed in (keyring)"}


class StartScreen(Screen[None]):
    BINDINGS = bindings(START_KEYS)

    COLUMNS = (Column("registry", "registry"), Column("user", "user", 24), Column("from", "known from", 36))

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, KnownRegistry] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="start"):
            yield Static(Text.assemble(("Open a registry", "bold"), ("  type one, or pick a known one below", "dim")),
                         id="start-title")
            yield Input(placeholder="REGISTRY[/REPO[:TAG]]  e.g. myregistry.azurecr.io", id="registry-input")
            yield Static("", id="start-error")
            with Vertical(id="known-pane", classes="pane"):
                yield VirtualTable(self.COLUMNS, self._render_cell, id="known-table",
                                   empty_text="no known registries yet: type one above")
            yield Static("", id="start-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#start-error").display = False
        self.query_one("#known-pane").border_title = "Known registries"
        self.query_one("#known-table", VirtualTable).busy = True
        self.query_one("#registry-input", Input).focus()
        self._load_known()

    def on_screen_resume(self) -> None:
        if self.known:  # back from a registry: it is the most recent one now
            self._load_known()

    def _render_cell(self, key: str, column: Column) -> Text | str:
        # Everything here comes from settings files, Docker's config or a credential helper.
        known = self.known[key]
        if column.key == "registry":
            return app_of(self).shown_text(known.registry, style="bold")
        if column.key == "user":
            return terminal_safe(known.username) if known.username else Text("anonymous", style="dim")
        return terminal_safe(", ".join(SOURCE_NAMES.get(s, s) for s in known.sources))

    @work(exclusive=True, group="known-registries")
    async def _load_known(self) -> None:
        notes: list[str] = []
        table = self.query_one("#known-table", VirtualTable)
        try:
            known = await asyncio.to_thread(app_of(self).session.known_registries, notes)
        except Exception as exc:  # a broken settings file or a bug: one line, the input still works
            known, notes = [], [app_of(self).failure_line(exc)]
        self.known = {k.registry: k for k in known}
        table.busy = False
        table.set_keys(list(self.known))
        self.query_one("#known-pane").border_title = f"Known registries · {len(self.known)}"
        if notes:  # a helper's stderr among them: one escaped line each
            self.query_one("#start-notes", Static).update(
                Text("\n".join(app_of(self).shown(note, limit=300) for note in notes[:3]), style="dim"))

    def action_focus_input(self) -> None:
        self.query_one("#registry-input", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one("#known-table", VirtualTable).focus()

    @on(Input.Submitted, "#registry-input")
    def _typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        try:
            reference = parse_reference(text)
        except InvalidReference as exc:
            self.show_error(exc)
            return
        self.query_one("#start-error").display = False
        app_of(self).open_reference(reference)

    def show_error(self, error: InvalidReference) -> None:
        message = self.query_one("#start-error", Static)
        message.update(Text(app_of(self).failure_line(error), style="red", end=""))
        message.display = True

    @on(VirtualTable.Selected, "#known-table")
    def _picked(self, event: VirtualTable.Selected) -> None:
        try:  # a name from a settings file is checked like a typed one
            reference = parse_registry(event.key)
        except InvalidReference as exc:
            self.show_error(exc)
            return
        app_of(self).open_reference(reference)
