"""The files view: a layer's files as they stream (a progress bar with rate and time left; Esc stops
the download at once), or an image's merged filesystem with the layer of each path and the bytes
wasted by files later layers overwrite or remove. A tree of directories with sizes summed, sorted
by name or size (or wasted bytes), filtered as you type."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker

from acrbrowse.layerfiles.entries import Listing
from acrbrowse.layerfiles.fetch import Progress, overall, read_listing, read_listings
from acrbrowse.layerfiles.merge import merge
from acrbrowse.oci.manifest import Descriptor, ImageManifest
from acrbrowse.present.files import efficiency_text, progress_text
from acrbrowse.present.units import human_size, short_digest
from acrbrowse.ui.fileview import FileView
from acrbrowse.ui.keys import FILE_TABLE_KEYS, FILES_KEYS, bindings
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.widgets.footer import PinnedFooter
from acrbrowse.ui.widgets.read_progress import ReadProgress
from acrbrowse.ui.widgets.virtual_table import Column, VirtualTable

PAINT_EVERY = 0.1  # seconds between repaints while entries arrive (longer when a repaint costs more)
GROW_SLICE = 0.012  # seconds the tree takes new entries for at once, before the app handles keys and paints

LAYER_COLUMNS = (
    Column("name", "name"),
    Column("size", "size", 9, justify="right"),
    Column("mode", "mode", 10),
    Column("owner", "owner", 13),
)
MERGED_COLUMNS = (
    Column("name", "name"),
    Column("size", "size", 9, justify="right"),
    Column("layer", "layer", 5, justify="right"),
    Column("change", "change", 8),
    Column("wasted", "wasted", 9, justify="right"),
)

# Each column's cell, drawn by the view.
CELLS: dict[str, Callable[[FileView, int], Text]] = {
    "name": FileView.name_cell, "size": FileView.size_cell, "mode": FileView.mode_cell,
    "owner": FileView.owner_cell, "layer": FileView.layer_cell, "change": FileView.change_cell,
    "wasted": FileView.wasted_cell,
}


@dataclass(frozen=True)
class FilesTarget:
    """What to open: an image's layer (`layer`, from 0) or its merged filesystem (`layer` None)."""

    registry: str
    repository: str
    image: ImageManifest
    layer: int | None
    title: str  # "aspnetapp:8.0 linux/amd64": outside text, escaped where shown

    @property
    def layers(self) -> list[tuple[int, Descriptor]]:
        if self.layer is not None:
            return [(self.layer, self.image.layers[self.layer])]
        return list(enumerate(self.image.layers))


class FileTable(VirtualTable, inherit_bindings=False):
    """The files view's list: Enter expands a directory rather than open something."""

    BINDINGS = bindings(FILE_TABLE_KEYS)


class FilesScreen(Screen[None]):
    BINDINGS = bindings(FILES_KEYS)
    DEFAULT_CSS = """
    FilesScreen { layout: vertical; }
    #files-title { height: 1; padding: 0 1; background: $panel; }
    #files-filter { display: none; height: 3; }
    #files-filter.shown { display: block; }
    #files-table { height: 1fr; }
    #files-info { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, target: FilesTarget) -> None:
        super().__init__()
        self.target = target
        self.view = FileView()
        self.state = "reading"  # reading, done, cancelled, failed
        self.error_line = ""
        self._progress: dict[int, Progress] = {}
        self._dirty = False
        self._paint_cost = 0.0
        self._last_paint = 0.0
        self._reader: Worker[None] | None = None

    @property
    def merged_view(self) -> bool:
        return self.target.layer is None

    def compose(self) -> ComposeResult:
        # Held, not queried: a worker that wakes while the screen is being taken down still finds them.
        self.title_line, self.info_line = Static(id="files-title"), Static(id="files-info")
        self.progress = ReadProgress(id="files-progress")
        self.filter_input = Input(placeholder="filter the paths: every word, anywhere in the path", id="files-filter")
        self.table = FileTable(MERGED_COLUMNS if self.merged_view else LAYER_COLUMNS, self._cell,
                               empty_text="no files", id="files-table")
        yield self.title_line
        yield self.progress
        yield self.filter_input
        yield self.table
        yield self.info_line
        yield PinnedFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.set_interval(PAINT_EVERY, self._paint_if_dirty)
        self._start()

    # ---- reading ---------------------------------------------------------------------------

    def _start(self) -> None:
        self.view = FileView()
        self.state, self.error_line = "reading", ""
        self._progress.clear()
        self.table.set_keys([])
        self.table.busy = True
        self.table.busy_cancellable = True
        self.progress.start()
        self._show_title()
        self._reader = self._read()

    @work(exclusive=True, group="files-read")
    async def _read(self) -> None:
        try:
            if self.merged_view:
                await self._read_merged()
            else:
                await self._read_layer()
        except asyncio.CancelledError:
            self.state = "cancelled"
            self._finished()
            raise
        except Exception as exc:  # the registry's, the layer's, or a bug: one line, what was shown is dropped
            self.state = "failed"
            self.error_line = app_of(self).failure_line(exc)
            self.view = FileView()
            self.table.set_keys([])
            self._finished()
        else:
            self.state = "done"
            self._finished()

    async def _read_layer(self) -> None:
        """The stream appends to the listing in its thread; here the tree takes the new entries in
        slices of GROW_SLICE seconds, so that keys and paints go on between them."""
        position, layer = self.target.layers[0]
        app = app_of(self)
        view = self.view
        view.adopt(Listing())
        reading = asyncio.ensure_future(read_listing(
            app.source(self.target.registry), self.target.repository, layer, cache=app.session.listing_cache,
            on_progress=lambda p: self._took_progress(position, p), into=view.listing))
        try:
            while not reading.done():
                if view.grow(GROW_SLICE):
                    await asyncio.wait([reading], timeout=GROW_SLICE)
                else:
                    await asyncio.sleep(0)  # more to take: let the app handle what waits first
                self._dirty = True
                if not self.table.keys and len(view.tree) > 1:  # the first entries: shown now, not at the next tick
                    self._paint_if_dirty(force=True)
            result = reading.result()
            if result is not view.listing:  # from the cache or a table of contents, whole
                view.adopt(result)
            while not view.grow(GROW_SLICE):
                self._dirty = True
                await asyncio.sleep(0)
            self._dirty = True
        finally:
            reading.cancel()

    async def _read_merged(self) -> None:
        app = app_of(self)
        source = app.source(self.target.registry)
        listings = await read_listings([(source, self.target.repository, layer) for _, layer in self.target.layers],
                                       cache=app.session.listing_cache, on_progress=self._took_progress)
        view = FileView()
        await asyncio.to_thread(lambda: view.show_merged(merge(listings)))
        self.view = view
        self._dirty = True

    def _took_progress(self, position: int, progress: Progress) -> None:
        self._progress[position] = progress
        received, total, rate, eta = overall(self._progress.values(), sum(layer.size for _, layer in self.target.layers))
        self.progress.show(received, total, progress_text(received, total, rate, eta))

    def _finished(self) -> None:
        self.table.busy = False
        self.progress.stop()
        if self.state == "cancelled":
            self.table.empty_text = "stopped · r reads again"
        elif self.state == "failed":
            self.table.empty_text = self.error_line
        else:
            self.table.empty_text = "no files"
        self._dirty = True
        self._paint_if_dirty(force=True)

    # ---- painting --------------------------------------------------------------------------

    def _paint_if_dirty(self, force: bool = False) -> None:
        """Repaint the rows, at most every PAINT_EVERY seconds while entries arrive, and no more
        often than five times what a repaint costs (a directory of a million files sorts slowly)."""
        now = time.monotonic()
        if not self._dirty or (not force and now - self._last_paint < max(PAINT_EVERY, 5 * self._paint_cost)):
            return
        self._dirty = False
        started = time.monotonic()
        if self.view.matches is not None and self.state == "reading":
            self._refilter()
        self.table.set_keys(self.view.rows(), keep=self.table.cursor_key)
        self._paint_cost = time.monotonic() - started
        self._last_paint = now
        self._show_title()
        self._show_info()

    def _show_title(self) -> None:
        shown = app_of(self).shown
        target = self.target
        text = Text(shown(target.title, 60), style="bold", end="")
        if target.layer is not None:
            layer = target.image.layers[target.layer]
            text.append(f"  layer {target.layer + 1} of {len(target.image.layers)}  ")
            text.append(short_digest(layer.digest), style="cyan")
            text.append(f"  {human_size(layer.size)}", style="green")
            listing = self.view.listing
            if len(listing):
                text.append(f"  · {len(listing):,} entries, {human_size(listing.total_size)} unpacked")
            if self.state == "done" and listing.method:
                text.append(f"  · read from {listing.method}", style="dim")
        else:  # what a user came for first: how much is wasted, then the rest
            text.append("  merged")
            merged = self.view.merged
            if merged is not None:
                text.append(": ")
                text.append(efficiency_text(merged.efficiency, merged.wasted_bytes), style="yellow")
                text.append(f" · {len(merged.paths):,} paths, {human_size(merged.visible_bytes)}")
            text.append(f" · {len(target.image.layers)} layers")
        if self.state == "reading":
            text.append("  · reading…", style="italic")
        elif self.state == "cancelled":
            text.append("  · stopped", style="yellow")
        elif self.state == "failed":
            text.append("  · failed", style="red")
        self.title_line.update(text)

    def _show_info(self) -> None:
        node = self.table.cursor_key
        info = self.info_line
        if self.state == "failed":
            info.update(Text(self.error_line, style="red"))
        elif isinstance(node, int):
            info.update(self.view.describe(node))
        else:
            order = f"sorted by {self.view.order}"
            info.update(Text(order, style="dim"))

    def _cell(self, node: int, column: Column) -> Text | str:
        return CELLS[column.key](self.view, node)

    @on(VirtualTable.Highlighted, "#files-table")
    def _highlighted(self) -> None:
        self._show_info()

    @on(VirtualTable.Selected, "#files-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        self._toggle(event.key)

    # ---- keys ------------------------------------------------------------------------------

    def _repaint(self) -> None:
        self._dirty = True
        self._paint_if_dirty(force=True)

    def _toggle(self, node: int | None, expand: bool | None = None) -> bool:
        if node is None or self.view.matches is not None:
            return False
        if self.view.toggle(node, expand):
            self._repaint()
            return True
        return False

    def action_toggle_dir(self) -> None:
        self._toggle(self.table.cursor_key)

    def action_expand(self) -> None:
        self._toggle(self.table.cursor_key, True)

    def action_collapse(self) -> None:
        node = self.table.cursor_key
        if node is None or self._toggle(node, False) or self.view.matches is not None:
            return
        parent = self.view.tree.parent(node)
        if parent > 0:
            self.table.set_keys(self.view.rows(), keep=parent)

    def action_expand_all(self) -> None:
        if self.view.matches is None:
            self.view.expand_all()
            self._repaint()

    def action_sort(self) -> None:
        orders = self.view.orders
        self.view.order = orders[(orders.index(self.view.order) + 1) % len(orders)]
        self.view.changed()
        self._repaint()
        self.notify(f"Sorted by {self.view.order}", timeout=2, markup=False)

    def action_reload(self) -> None:
        if self.state != "reading":
            self._start()

    def action_filter(self) -> None:
        self.filter_input.add_class("shown")
        self.filter_input.focus()

    def action_back(self) -> None:
        if self.state == "reading" and self._reader is not None:
            self._reader.cancel()  # the download stops now; what was listed stays, marked as stopped
            return
        if self.filter_input.has_focus or self.view.matches is not None:
            self._close_filter()
            return
        self.dismiss()

    def _close_filter(self) -> None:
        self.filter_input.value = ""
        self.filter_input.remove_class("shown")
        self.view.matches = None
        self.table.focus()
        self._repaint()

    async def action_copy_path(self) -> None:
        node = self.table.cursor_key
        if not isinstance(node, int):
            return
        entry = self.view.entry(node)
        path = "/" + (entry.path if entry is not None else self.view.tree.path(node))
        await app_of(self).copy_text(path, "path")

    # ---- filter ----------------------------------------------------------------------------

    @on(Input.Changed, "#files-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    @on(Input.Submitted, "#files-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def on_key(self, event) -> None:  # ↓ from the filter into the list; Esc in it closes it
        if self.filter_input.has_focus and event.key == "down":
            event.stop()
            self.table.focus()

    def _refilter(self) -> None:
        self._filter(self.filter_input.value)

    @work(thread=True, exclusive=True, group="files-filter")
    def _filter(self, query: str) -> None:
        matches = self.view.filter(query)
        self.app.call_from_thread(self._show_matches, query, matches)

    def _show_matches(self, query: str, matches: Sequence[int] | None) -> None:
        if query != self.filter_input.value:
            return  # a later keystroke's answer is on its way
        self.view.matches = matches
        self.table.set_keys(self.view.rows())
        self._show_info()
