"""The raw JSON of a manifest or config, pretty-printed, on demand: moved through like a pager
(j/k, g/G, PgUp/PgDn), searched (/, n, N) and copied whole (y)."""

from __future__ import annotations

import contextlib
import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, TextArea
from textual.widgets.text_area import Selection

from acrbrowse import boundedjson
from acrbrowse.present.safe import terminal_safe, terminal_safe_block
from acrbrowse.ui.keys import RAW_KEYS, bindings
from acrbrowse.ui.typed_app import app_of


def pretty_json_unescaped(raw: bytes | str) -> str:
    """Indented JSON, re-serialised from the parsed document; bytes that are not JSON (or nest too
    deep) come back as they are. Not yet safe for the terminal (see pretty_json)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    with contextlib.suppress(ValueError, RecursionError):
        text = json.dumps(boundedjson.loads(text), indent=2, ensure_ascii=False)
    return text


def pretty_json(raw: bytes | str) -> str:
    """pretty_json_unescaped, escaped for the terminal: a registry's strings may hold C1 controls
    or bidi overrides, which JSON leaves as they are."""
    return terminal_safe_block(pretty_json_unescaped(raw))


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """(line, column) of every case-insensitive occurrence of `needle` in `text`, in order."""
    if not needle:
        return []
    needle = needle.casefold()
    found = []
    for number, line in enumerate(text.split("\n")):
        folded = line.casefold()
        start = folded.find(needle)
        while start != -1:
            found.append((number, start))
            start = folded.find(needle, start + len(needle))
    return found


class RawScreen(ModalScreen[None]):
    BINDINGS = bindings(RAW_KEYS)
    DEFAULT_CSS = """
    #raw-body { height: 1fr; border: none; padding: 0; background: $surface; }
    #raw-search { display: none; }
    """

    def __init__(self, title: str, raw: bytes | str) -> None:
        super().__init__()
        self.title_text = terminal_safe(title)
        self.json_text = pretty_json_unescaped(raw)  # what y copies (copy_text refuses controls)
        self.raw = terminal_safe_block(self.json_text)  # what is shown
        self.needle = ""
        self.matches: list[tuple[int, int]] = []
        self.match_index = -1

    def compose(self) -> ComposeResult:
        with Vertical(id="raw-dialog") as dialog:
            dialog.border_title = Text(self.title_text)  # a str title would be markup
            dialog.border_subtitle = "Esc closes · / searches · y copies"
            # A TextArea shows text as it is (never markup), wraps it, and scrolls a selection into view.
            yield TextArea(self.raw, read_only=True, soft_wrap=True, show_cursor=True, id="raw-body")
            yield Input(placeholder="search the JSON; Enter finds, Esc closes", id="raw-search")
        yield Footer()  # the dialog's own keys, not the browser's behind it

    @property
    def body(self) -> TextArea:
        return self.query_one("#raw-body", TextArea)

    @property
    def search_input(self) -> Input:
        return self.query_one("#raw-search", Input)

    def on_mount(self) -> None:
        self.body.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In the search field these keys type text; Esc (close) closes the field there.
        return action == "close" or not isinstance(self.focused, Input)

    # ---- moving --------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.body.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.body.action_cursor_up()

    def action_top(self) -> None:
        self.body.move_cursor((0, 0))

    def action_bottom(self) -> None:
        self.body.move_cursor(self.body.document.end)

    # ---- search --------------------------------------------------------------------------

    def action_search(self) -> None:
        # A priority key, and set_focus rather than focus(): what is typed right after / goes to the field.
        self.search_input.display = True
        self.set_focus(self.search_input)

    @on(Input.Submitted, "#raw-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._close_search()
        self.needle = event.value
        self.matches = find_all(self.raw, self.needle)
        if not self.matches:
            self.match_index = -1
            self._show_count()
            if self.needle:
                self.app.notify(f"No match for '{terminal_safe(self.needle, 60)}'", severity="warning",
                                markup=False)
            return
        cursor = self.body.selection.end
        self.match_index = next((i for i, at in enumerate(self.matches) if at >= cursor), 0)
        self._select_match()

    def action_next_match(self) -> None:
        self._step(1)

    def action_previous_match(self) -> None:
        self._step(-1)

    def _step(self, by: int) -> None:
        if not self.matches:
            self.app.notify("Search first: /", severity="warning", markup=False)
            return
        self.match_index = (self.match_index + by) % len(self.matches)
        self._select_match()

    def _select_match(self) -> None:
        line, column = self.matches[self.match_index]
        # The selection is the highlight; the TextArea scrolls it into view (wrapped lines too).
        self.body.selection = Selection((line, column), (line, column + len(self.needle)))
        self._show_count()

    def _show_count(self) -> None:
        dialog = self.query_one("#raw-dialog")
        if not self.needle:
            dialog.border_subtitle = "Esc closes · / searches · y copies"
        elif not self.matches:
            dialog.border_subtitle = Text(f"no match for '{terminal_safe(self.needle, 40)}'")
        else:
            dialog.border_subtitle = Text(f"'{terminal_safe(self.needle, 40)}' {self.match_index + 1} of "
                                          f"{len(self.matches)} · n next · N previous")

    def _close_search(self) -> None:
        self.search_input.display = False
        self.set_focus(self.body)

    # ---- copy and close ------------------------------------------------------------------

    async def action_copy(self) -> None:
        await app_of(self).copy_text(self.json_text, "JSON", multiline=True)

    def action_close(self) -> None:
        if isinstance(self.focused, Input):  # Esc in the search field closes the field
            self._close_search()
            return
        self.dismiss(None)
