"""A table that renders only the rows in view, for lists of 20,000 tags or a million files.

DataTable measures every cell of every row it is given, so rebuilding it on each keystroke of a
filter costs about a second at 20,000 rows. This widget keeps a list of row keys and asks a
callback for the cells of the few rows on screen (Toolong's approach): filtering is a list
comprehension, and a cell that changes (a digest that arrived) repaints one line.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from acrbrowse import crashlog
from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.filtering import match_positions, shown_match_positions
from acrbrowse.ui.keys import TABLE_KEYS, bindings
from acrbrowse.ui.layout import Cut, cut
from acrbrowse.ui.waiting import Wait


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None  # None: take what the other columns leave
    justify: str = "left"
    cut: Cut = "end"  # where a cell too long for the column loses characters
    highlight: bool = False  # the characters the filter matched are highlighted in this column


CellRenderer = Callable[[Any, Column], "Text | str"]
# New rows relayout the screen (the virtual size changes): while pages arrive, patch at most this often.
PAINT_INTERVAL = 0.1


class VirtualTable(ScrollView, can_focus=True):
    """Rows are keys (a tag, a repository name, a node number); `render_cell(key, column)` draws a cell."""

    BINDINGS = bindings(TABLE_KEYS)

    COMPONENT_CLASSES = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--cursor-blurred",
        "virtual-table--empty",
        "virtual-table--match",
        "virtual-table--match-cursor",
    }

    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        overflow-x: hidden;
        & > .virtual-table--header { text-style: bold; color: $text-accent; }
        & > .virtual-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
        & > .virtual-table--cursor-blurred { background: $block-cursor-blurred-background; }
        & > .virtual-table--empty { color: $text-muted; text-style: italic; }
        & > .virtual-table--match { color: $text-accent; text-style: bold underline; }
        /* on the cursor row the cursor's own colours, so the match reads on any theme */
        & > .virtual-table--match-cursor { text-style: bold underline; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=False)
    # Not Widget.loading: a loading widget can't take focus, and Tab must reach a pane at any time.
    busy: reactive[bool] = reactive(False)

    @dataclass
    class Highlighted(Message):
        table: VirtualTable
        key: Any  # a row key (str for names; the files view uses ints), None when there are no rows

        @property
        def control(self) -> VirtualTable:
            return self.table

    @dataclass
    class Selected(Message):
        table: VirtualTable
        key: Any

        @property
        def control(self) -> VirtualTable:
            return self.table

    @dataclass
    class AboveFirst(Message):
        """Up on the first row: the pane may move to what is above the table (its filter)."""

        table: VirtualTable

        @property
        def control(self) -> VirtualTable:
            return self.table

    @dataclass
    class ViewportChanged(Message):
        """The rows in view changed (scroll, resize, new rows, filter)."""

        table: VirtualTable

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], render_cell: CellRenderer, *, empty_text: str = "",
                 show_header: bool = True, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.render_cell = render_cell
        self.keys: MutableSequence[Any] = []
        self.empty_text = empty_text
        self.show_header = show_header
        self._last_view: tuple[int, int] | None = None
        self._cell_failed = False
        self.highlight_query = ""  # the filter's text: its characters are highlighted in `highlight` columns
        self.busy_cancellable = False  # while busy, the wait says how to cancel it
        self.wait = Wait(self, self._repaint_wait)
        self._paint_style: Style | None = None

    # ---- data ------------------------------------------------------------------------------

    @property
    def header_height(self) -> int:
        return 1 if self.show_header else 0

    def set_keys(self, keys: Sequence[Any], *, keep: Any = None) -> None:
        """Show these rows; the cursor stays on `keep` (or the current key) when it is still there.
        A list or an array of keys is taken as it is, not copied (a million rows)."""
        current = keep if keep is not None else self.cursor_key
        self.keys = keys if isinstance(keys, (list, array)) else list(keys)
        self.virtual_size = Size(self.size.width, len(self.keys) + self.header_height)
        index = 0
        if current is not None:
            try:
                index = self.keys.index(current)
            except ValueError:
                index = 0
        self.set_reactive(VirtualTable.cursor, index)
        self.scroll_to(y=max(0, index - self.page_height // 2) if index >= self.page_height else 0,
                       animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_key))
        self._viewport_maybe_changed(force=True)

    def splice_keys(self, start: int, tail: Sequence[Any]) -> None:
        """Replace the rows from `start` on (a page arrived): work in proportion to the tail, not to
        the whole list; the cursor stays on its key."""
        current, old_cursor = self.cursor_key, self.cursor
        del self.keys[start:]
        self.keys.extend(tail)
        self.virtual_size = Size(self.size.width, len(self.keys) + self.header_height)
        if current is not None and old_cursor >= start:
            try:
                index = start + list(tail).index(current)
            except ValueError:
                index = old_cursor
            self.set_reactive(VirtualTable.cursor, self.validate_cursor(index))
            self._scroll_cursor_into_view()
        self.refresh()
        if self.cursor_key != current:
            self.post_message(self.Highlighted(self, self.cursor_key))
        self._viewport_maybe_changed(force=True)

    @property
    def cursor_key(self) -> Any:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    @property
    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_height)

    def visible_keys(self) -> list[Any]:
        top = round(self.scroll_y)
        return list(self.keys[top: top + self.page_height])

    def refresh_key(self, key: Any) -> None:
        """Repaint the line of `key` if it is on screen."""
        top = round(self.scroll_y)
        for offset, visible in enumerate(self.keys[top: top + self.page_height]):
            if visible == key:
                self.refresh_line(offset + self.header_height)
                return

    def refresh_line(self, y: int) -> None:
        self.refresh(Region(0, y, self.size.width, 1))

    # ---- cursor ----------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.keys) - 1)) if self.keys else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_key))

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        height = self.page_height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        if self.cursor == 0:
            self.post_message(self.AboveFirst(self))
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= self.page_height

    def action_page_down(self) -> None:
        self.cursor += self.page_height

    def action_half_page_up(self) -> None:
        self.cursor -= max(1, self.page_height // 2)

    def action_half_page_down(self) -> None:
        self.cursor += max(1, self.page_height // 2)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.keys) - 1

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.header_height:
            return
        index = round(self.scroll_y) + offset.y - self.header_height
        if 0 <= index < len(self.keys):
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index

    # ---- viewport --------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._viewport_maybe_changed()

    def _on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.keys) + self.header_height)
        self._viewport_maybe_changed()

    def _viewport_maybe_changed(self, force: bool = False) -> None:
        view = (round(self.scroll_y), self.page_height)
        if force or view != self._last_view:
            self._last_view = view
            self.post_message(self.ViewportChanged(self))

    # ---- rendering -------------------------------------------------------------------------

    def content_width(self, flexible: int) -> int:
        """The width that shows every column, the flexible ones `flexible` cells wide (padding,
        gaps and a scrollbar included)."""
        cells = sum(c.width if c.width is not None else flexible for c in self.columns)
        return 1 + cells + max(0, len(self.columns) - 1) + 1 + self.styles.scrollbar_size_vertical

    def _widths(self, width: int) -> list[int]:
        fixed = sum(c.width or 0 for c in self.columns) + max(0, len(self.columns) - 1)
        flexible = [c for c in self.columns if c.width is None]
        rest = max(4, width - fixed - 1)  # one cell of left padding
        share = rest // len(flexible) if flexible else 0
        return [c.width if c.width is not None else share for c in self.columns]

    def _highlighted(self, key: Any, cell: Text | str, match: Style) -> Text | str:
        """The cell with the filter's characters in `match` style (only for the rows painted): those
        the filter matched in the key, where the cell shows them (escapes make it longer)."""
        plain = cell.plain if isinstance(cell, Text) else cell
        if isinstance(key, str) and plain == terminal_safe(key):
            positions = shown_match_positions(key, self.highlight_query)
        else:  # a cell that shows something else than its key: matched as it reads
            positions = match_positions(plain, self.highlight_query)
        if not positions:
            return cell
        text = cell.copy() if isinstance(cell, Text) else Text(cell, end="")
        run_start = previous = positions[0]
        for position in positions[1:] + [-1]:
            if position != previous + 1:
                text.stylize(match, run_start, previous + 1)
                run_start = position
            previous = position
        return text

    def _line(self, cells: list[Text | str], width: int, style: Style, match: Style | None = None,
              key: Any = "") -> Strip:
        line = Text(" ", end="")
        for i, (cell, cell_width) in enumerate(zip(cells, self._widths(width), strict=False)):
            if match is not None and self.columns[i].highlight:
                cell = self._highlighted(key, cell, match)
            text = cut(cell, cell_width, self.columns[i].cut)
            pad = " " * max(0, cell_width - text.cell_len)
            if self.columns[i].justify == "right":
                line.append(pad)
                line.append_text(text)
            else:
                line.append_text(text)
                line.append(pad)
            if i < len(self.columns) - 1:
                line.append(" ")
        segments = list(line.render(self.app.console))
        strip = Strip(segments).crop_extend(0, width, None)
        return strip.apply_style(style) if style else strip

    def _cell(self, key: Any, column: Column) -> Text | str:
        """A cell never breaks the table: odd data the renderer did not expect shows as "?" (once
        logged as the bug it is)."""
        try:
            return self.render_cell(key, column)
        except Exception as error:
            if not self._cell_failed:
                self._cell_failed = True
                crashlog.record(error)
            return Text("?", style="red")

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style once per paint, not once per line: it walks every ancestor's styles.
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._paint_style or self.rich_style
        if self.show_header and y == 0:
            header = self.get_component_rich_style("virtual-table--header")
            return self._line([c.label for c in self.columns], width, base + header)
        index = round(self.scroll_y) + y - self.header_height
        if not self.keys:
            text = self.wait.text("loading", cancellable=self.busy_cancellable).plain if self.busy else self.empty_text
            lines = [text] if len(text) < width else text.split(" · ")  # "Esc cancels" on a line of its own
            row = y - self.header_height
            if 0 <= row < len(lines) and lines[row]:
                empty = self.get_component_rich_style("virtual-table--empty")
                return Strip([Segment(" " + lines[row], base + empty)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self.keys):
            return Strip.blank(width, base)
        key = self.keys[index]
        cells = [self._cell(key, column) for column in self.columns]
        style = base
        match_class = "virtual-table--match"
        if index == self.cursor:
            cursor_class = "virtual-table--cursor" if self.has_focus else "virtual-table--cursor-blurred"
            style = base + self.get_component_rich_style(cursor_class)
            match_class = "virtual-table--match-cursor"
        # partial: the match's own colour and text style, not the widget's background over the cursor's
        match = self.get_component_rich_style(match_class, partial=True) if self.highlight_query.strip() else None
        return self._line(cells, width, style, match, key)

    # ---- waiting ---------------------------------------------------------------------------

    def watch_busy(self, busy: bool) -> None:
        if busy:
            self.wait.start()
        else:
            self.wait.stop()
        self.refresh()

    def _repaint_wait(self) -> None:
        if not self.keys:
            self.refresh()

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()
