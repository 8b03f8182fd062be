"""A list pane with an as-you-type filter over its table: what the repositories and tags panes share."""

from __future__ import annotations

from textual import on
from textual.containers import Vertical
from textual.widgets import Input

from acrbrowse.ui.widgets.virtual_table import VirtualTable


class FilteredPane(Vertical):
    """Subclasses compose one `Input` with class "filter", have a `table`, and `_apply_filter()`
    showing the rows that match `self.filter_text`."""

    table: VirtualTable  # made by the subclass's compose()
    filter_text = ""

    def _filter_input(self) -> Input:
        return self.query_one("Input.filter", Input)

    def open_filter(self) -> None:
        filter_input = self._filter_input()
        filter_input.display = True
        filter_input.focus()

    def close_filter(self, *, clear: bool) -> None:
        filter_input = self._filter_input()
        if clear:
            filter_input.value = ""
        filter_input.display = bool(filter_input.value)
        self.table.focus()

    def leave_input(self, field: Input) -> None:
        """Esc in one of the pane's inputs: the filter closes (and clears); any other goes back to the list."""
        if field is self._filter_input():
            self.close_filter(clear=True)
        else:
            self.table.focus()

    def _apply_filter(self) -> None:
        raise NotImplementedError

    @on(Input.Changed, ".filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._apply_filter()

    @on(Input.Submitted, ".filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.close_filter(clear=False)
