"""A list pane with an as-you-type filter over its table: what the repositories and tags panes share."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.containers import Vertical
from textual.widgets import Input, Static

from acrbrowse.ui.keys import BROWSER_KEYS
from acrbrowse.ui.waiting import Wait
from acrbrowse.ui.widgets.virtual_table import VirtualTable

RETRY_KEY = next(k.display for k in BROWSER_KEYS if k.action == "reload")


def failure_text(line: str) -> Text:
    """A pane's failure: the error's one line (already made showable) and how to try again."""
    text = Text(line, style="red")
    text.append(f" · {RETRY_KEY} retries", style="bold")
    return text


def cancelled_text() -> Text:
    """A pane whose wait was cancelled before anything arrived: how to try again."""
    text = Text("cancelled", style="italic")
    text.append(f" · {RETRY_KEY} retries", style="bold")
    return text


class FilteredPane(Vertical):
    """Subclasses compose one `Input` with class "filter", have a `table`, and `_apply_filter()`
    showing the rows that match `self.filter_text` (`typed`: the change is a keystroke in the filter,
    where a longer query may narrow the rows the shorter one had)."""

    table: VirtualTable  # made by the subclass's compose()
    filter_text = ""

    def _filter_input(self) -> Input:
        return self.query_one("Input.filter", Input)

    def open_filter(self) -> None:
        filter_input = self._filter_input()
        filter_input.display = True
        # set_focus, not focus(): focus() is queued behind keys already waiting, and "/8.0" typed
        # (or pasted) in one burst would send "8.0" to the list.
        self.screen.set_focus(filter_input)

    def close_filter(self, *, clear: bool) -> None:
        filter_input = self._filter_input()
        if clear:
            filter_input.value = ""
        filter_input.display = bool(filter_input.value)
        self.table.focus()

    def set_filter(self, text: str) -> None:
        """Put `text` in the filter (shown while not empty) and apply it now."""
        filter_input = self._filter_input()
        with filter_input.prevent(Input.Changed):
            filter_input.value = text
        filter_input.display = bool(text)
        self.filter_text = text
        self._apply_filter()

    @property
    def filter_applied(self) -> bool:
        """A filter kept with Enter narrows the list: Esc in the list clears it first."""
        return bool(self.filter_text) and not self._filter_input().has_focus

    def leave_input(self, field: Input) -> bool:
        """Esc in one of the pane's inputs: the filter closes (and clears); any other goes back to
        the list. False when there is nowhere to go back to in the pane."""
        if field is self._filter_input():
            self.close_filter(clear=True)
        else:
            self.table.focus()
        return True

    LISTING_GROUP = ""  # the worker group of the pane's listing
    wait: Wait  # the listing's wait (made by the subclass)
    stopped = False  # Esc cancelled the listing
    message: Static

    def cancel_wait(self) -> bool:
        """Esc while the list is listed and the pane says so ("Esc cancels", past SHOW_AFTER): the
        request is cancelled with its worker; the rows that came stay, and the title says the list
        stopped short. Sooner, Esc goes back as it always did (Enter then Esc at once is a move)."""
        if not self.wait.shows_progress():
            return False
        self.workers.cancel_group(self, self.LISTING_GROUP)
        self.wait.stop()
        self.table.busy = False
        self.stopped = True
        self._listing_cancelled()
        if not self._has_rows():
            self.table.empty_text = ""
            self.message.update(cancelled_text())
            self.message.display = True
        self._update_title()
        return True

    def _listing_cancelled(self) -> None:
        """What the pane does with what it took in but has not shown yet."""

    def _has_rows(self) -> bool:
        raise NotImplementedError

    def _update_title(self) -> None:
        raise NotImplementedError

    def _apply_filter(self, *, typed: bool = False) -> None:
        raise NotImplementedError

    @on(Input.Changed, ".filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._apply_filter(typed=True)

    @on(Input.Submitted, ".filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.close_filter(clear=False)

    def on_key(self, event: events.Key) -> None:
        """↓ in the filter goes down into its list, the filter kept (as Enter does)."""
        if event.key == "down" and self._filter_input().has_focus:
            event.stop()
            event.prevent_default()
            self.close_filter(clear=False)

    @on(VirtualTable.AboveFirst)
    def _above_first(self, event: VirtualTable.AboveFirst) -> None:
        """↑ on the first row goes back up into the filter, when one is shown."""
        event.stop()
        if event.table is self.table and self._filter_input().display:
            self.open_filter()
