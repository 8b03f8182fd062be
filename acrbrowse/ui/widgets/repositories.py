"""The repositories pane: the catalog with a filter; or, where the catalog is denied, why, the
repositories visited before, and an input for a name. On an ACR, each row in view also shows its tag
count and last push (ACR's /acr/v1/<repository>, asked lazily for the rows in view)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from acrbrowse.oci.errors import CatalogDenied, InvalidReference, RegistryError
from acrbrowse.oci.name import repository_in
from acrbrowse.oci.remote.acr import MetadataState, MetadataUnavailable
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.source import RepositoryDetails
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.times import short_age
from acrbrowse.ui.filtering import FilteredNames
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.waiting import Wait
from acrbrowse.ui.widgets.filtered_pane import FilteredPane, failure_text
from acrbrowse.ui.widgets.virtual_table import PAINT_INTERVAL, Column, VirtualTable

DETAILS_CONCURRENCY = 4
DETAILS_DELAY = 0.1  # let a burst of scrolling settle before asking the registry
DETAILS_BACKOFF = 0.25  # while a repository's tags are being listed: they come first
# Shown once a repository's details came (an ACR) and the pane is wide enough to keep the names
# readable; the table has no header: the cell says what it is ("12 tags · 3d": count, last push).
DETAILS_WIDTH = 12
DETAILS_COLUMN = Column("details", "details", DETAILS_WIDTH, justify="right")
DETAILS_MIN_WIDTH = 28  # the pane's width when it has the focus (the screen gives it 30 columns at least)


def details_text(details: RepositoryDetails | None) -> Text:
    """"4 tags · 2d"; with more tags than the column has room for, "2,100 · 3mo"."""
    if details is None:
        return Text("")
    count = "" if details.tag_count is None else f"{details.tag_count:,}"
    age = "" if details.updated is None else short_age(details.updated)
    for text in (f"{count} tag{'s' * (details.tag_count != 1)}" if count else "", count):
        joined = " · ".join(part for part in (text, age) if part)
        if len(joined) <= DETAILS_WIDTH or not text:
            return Text(joined, style="dim")
    return Text(count, style="dim")


def repository_text(name: str) -> Text:
    """bulk/repo-001 with the namespace dimmed, so the last component reads first."""
    namespace, slash, leaf = terminal_safe(name).rpartition("/")
    text = Text(end="")
    if slash:
        text.append(namespace + "/", style="dim")
    text.append(leaf)
    return text


class RepositoriesPane(FilteredPane):
    """Lists repositories; posts Opened(name) on Enter."""

    LISTING_GROUP = "repositories"

    @dataclass
    class Opened(Message):
        repository: str

    @dataclass
    class Failed(Message):
        """A catalog error the screen may want to handle (sign in)."""

        error: RegistryError

    def __init__(self, registry: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pane")
        self.registry = registry
        self.names: list[str] = []
        self.denied: CatalogDenied | None = None
        self.failed = False
        self.complete = False
        self.stopped = False  # Esc cancelled the listing
        self.filter_text = ""
        self._matches = FilteredNames([], "")  # the rows of the filter, patched as pages arrive
        self.wait = Wait(self, self._tick)
        self.details: dict[str, RepositoryDetails] = {}  # what ACR told of each repository asked about
        self._details_off = False  # the registry (or this credential) cannot tell: never asked again
        self._details_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        # Held, not queried: a worker that wakes while the screen is being taken down still finds them.
        self.message = Static("", id="repo-message", classes="pane-message")
        self.name_input = Input(placeholder="repository name ⏎", id="repo-name")
        self.table = VirtualTable([Column("name", "repository", cut="start", highlight=True)], self._render_cell,
                                  id="repo-table", empty_text="no repositories", show_header=False)
        self.table.busy_cancellable = True
        yield Input(placeholder="filter repositories", id="repo-filter", classes="filter")
        yield self.message
        yield self.name_input
        yield self.table

    def on_mount(self) -> None:
        self.border_title = "Repositories"
        self.message.display = False
        self.name_input.display = False
        self.query_one("#repo-filter").display = False

    def _render_cell(self, key: str, column: Column) -> Text:
        if column.key == "name":
            return repository_text(key)
        return details_text(self.details.get(key))

    # ---- tag count and last push (ACR) -----------------------------------------------------

    @on(VirtualTable.ViewportChanged, "#repo-table")
    def _viewport_changed(self, event: VirtualTable.ViewportChanged) -> None:
        # Not stopped: the screen lays its columns out again on it too.
        if self._details_timer is not None:
            self._details_timer.stop()
        if self._may_tell_details():
            self._details_timer = self.set_timer(DETAILS_DELAY, self._details_for_view)

    def on_resize(self) -> None:
        self._sync_details_column()

    def _sync_details_column(self) -> None:
        """The details column, while there are details and room for them beside the names."""
        wanted = bool(self.details) and self.size.width >= DETAILS_MIN_WIDTH
        if wanted != (DETAILS_COLUMN in self.table.columns):
            if wanted:
                self.table.columns.append(DETAILS_COLUMN)
            else:
                self.table.columns.remove(DETAILS_COLUMN)
            self.table.refresh()

    def _may_tell_details(self) -> bool:
        """Only an ACR (by name, or by its token service) that has not said it cannot is asked."""
        if self._details_off:
            return False
        app = app_of(self)
        if not isinstance(app.source(self.registry), RegistryClient) or app.counts_pulls(self.registry) \
                or not app.session.is_acr_registry(self.registry):
            return False
        return app.session.registry_metadata(self.registry).state in (MetadataState.UNKNOWN, MetadataState.AVAILABLE)

    def _details_for_view(self) -> None:
        if self._tags_listing():  # the tags the user asked for first; the counts after
            self._details_timer = self.set_timer(DETAILS_BACKOFF, self._details_for_view)
            return
        wanted = [name for name in self.table.visible_keys() if name not in self.details]
        if wanted and self._may_tell_details():
            self._fetch_details(wanted)

    def _tags_listing(self) -> bool:
        from acrbrowse.ui.widgets.tags import TagsPane  # a sibling pane, looked at, not driven

        if not self.is_attached:
            return False
        return any(pane.repository is not None and not (pane.complete or pane.failed or pane.stopped)
                   for pane in self.screen.query(TagsPane))

    @work(exclusive=True, group="repo-details")
    async def _fetch_details(self, names: list[str]) -> None:
        app = app_of(self)
        metadata = app.session.registry_metadata(self.registry)
        limit = asyncio.Semaphore(DETAILS_CONCURRENCY)

        async def one(name: str) -> None:
            async with limit:
                if self._details_off:
                    return
                try:
                    details = await metadata.repository_details(name)
                except MetadataUnavailable:  # not an ACR after all, or no metadata_read: the rows stay names
                    self._details_off = True
                    return
                except RegistryError:  # this repository's row stays bare; opening it says why
                    details = RepositoryDetails(name)
                except Exception as exc:  # a bug: logged once, the row stays bare
                    app.failure_line(exc)
                    details = RepositoryDetails(name)
            if not self.is_attached:
                return
            self.details[name] = details
            self._sync_details_column()
            self.table.refresh_key(name)

        await asyncio.gather(*(one(name) for name in names))

    # ---- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        self.names = []
        self.details = {}
        self.denied = None
        self.failed = False
        self.complete = False
        self.stopped = False
        self.message.display = False
        self.name_input.display = False
        self._matches = FilteredNames([], self.filter_text)
        self.table.empty_text = "no repositories"
        self.table.set_keys([])
        self.table.busy = True
        self.wait.start()
        self._update_title()
        self._load()

    def _has_rows(self) -> bool:
        return bool(self.names)

    def _tick(self) -> None:
        if self.names and self.wait.shows_progress():
            self._update_title()  # the spinner after the rows; before them the table shows it

    @work(exclusive=True, group="repositories")
    async def _load(self) -> None:
        pending: list[str] = []
        painted = 0.0
        try:
            async for page in app_of(self).repository_pages(self.registry):
                if not self.is_attached:
                    return  # the app is closing
                pending += page
                if time.monotonic() - painted >= PAINT_INTERVAL:  # the first page at once
                    self._add_names(pending)
                    pending, painted = [], time.monotonic()
            self._add_names(pending)
        except CatalogDenied as exc:
            if not self.is_attached:
                return
            self.wait.stop()
            self.table.busy = False
            try:
                self.show_denied(exc)
            except Exception as bug:  # the visited list could not be read
                self.show_failure(app_of(self).failure_line(bug))
            self.post_message(self.Failed(exc))
            return
        except Exception as exc:  # a registry's error, or a bug: one line in the pane, the app goes on
            if not self.is_attached:
                return
            self.wait.stop()
            self.table.busy = False
            self.show_failure(app_of(self).failure_line(exc))
            if isinstance(exc, RegistryError):
                self.post_message(self.Failed(exc))
            return
        if not self.is_attached:
            return
        self.app.call_after_refresh(app_of(self).settle_memory)
        self.complete = True
        self.wait.stop()
        self.table.busy = False
        self.table.empty_text = "no repositories"
        self._update_title()

    def _add_names(self, names: list[str]) -> None:
        """Shown in the registry's order: work in proportion to the new names (filtered alone)."""
        self.names.extend(names)
        self.table.busy = False
        self.table.splice_keys(*self._matches.patch([], names))
        self._update_title()

    def show_message(self, text: str) -> None:
        self.message.update(app_of(self).shown_text(text))
        self.message.display = True
        self._update_title()

    def show_failure(self, line: str) -> None:
        """No list: the error across the pane, how to retry, and a title that claims no count."""
        self.failed = True
        self.table.empty_text = ""
        self.message.update(failure_text(line))
        self.message.display = True
        self._update_title()

    def show_denied(self, error: CatalogDenied) -> None:
        """Say why there is no list, and offer the repositories visited before plus a name input."""
        self.denied = error
        self.show_message(f"{error.reason}. Type a repository name:")
        self.names = app_of(self).session.visited_repositories(self.registry)
        self.table.empty_text = "none visited yet"
        self.name_input.display = True
        self._apply_filter()
        self._update_title()
        focused = self.screen.focused
        if focused is None or self in focused.ancestors:  # typing goes to the name, not to the keys
            self.name_input.focus()

    def leave_input(self, field: Input) -> bool:
        if field is self.name_input and not self.table.keys:
            return False  # the name is the only thing to do here
        return super().leave_input(field)

    def remember(self, repository: str) -> None:
        """A repository opened by name: list it while the catalog is denied."""
        if self.denied is not None and repository not in self.names:
            self.names.insert(0, repository)
            self._apply_filter()

    # ---- filtering -------------------------------------------------------------------------

    def _apply_filter(self, *, typed: bool = False) -> None:
        known = self._matches.typed(self.filter_text) if typed else None
        self._matches = known or FilteredNames(self.names, self.filter_text)
        self.table.highlight_query = self.filter_text
        self.table.set_keys(self._matches.keys)
        self._update_title()

    def _update_title(self) -> None:
        shown, total = len(self.table.keys), len(self.names)
        if self.failed:
            label = "failed"
        elif self.denied is not None:
            label = f"{total} visited"
        elif self.filter_text:
            label = f"{shown} of {total}"
        else:
            label = f"{total}"
        if self.stopped:
            label = f"{label} (stopped)" if total else "stopped"
        elif not self.complete and self.denied is None and not self.message.display:  # more pages to come
            label = f"{label}…" if total else "loading…"
        self.border_title = f"Repositories · {label}"  # no outside text in it
        self.border_subtitle = self._subtitle()

    def _subtitle(self) -> Text:
        """The filter, and once rows are in while more are awaited, the wait (before them the table says it)."""
        subtitle = Text(f"/{terminal_safe(self.filter_text)}" if self.filter_text else "", end="")
        if self.names and self.wait.shows_progress():
            subtitle.append_text(Text(" · ") if subtitle else Text())
            subtitle.append_text(self.wait.text("loading"))
        return subtitle

    @on(Input.Submitted, "#repo-name")
    def _name_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip().strip("/"):
            return
        try:
            name = repository_in(self.registry, event.value)
        except InvalidReference as exc:
            app_of(self).report(exc)
            return
        event.input.value = ""
        self.remember(name)
        self.post_message(self.Opened(name))

    @on(VirtualTable.Selected, "#repo-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.post_message(self.Opened(event.key))

    def highlighted(self) -> str | None:
        return self.table.cursor_key
