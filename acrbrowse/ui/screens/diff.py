"""The comparison of two images (the marked one, A, and the highlighted one, B): what layers they
share, what differs in their configs and histories, and on `f` the files that differ, read from only
the layers they do not share (a shared layer is read once, or comes from the listing cache)."""

from __future__ import annotations

import asyncio
from collections import Counter

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from acrbrowse.compare.config import ConfigChange, HistoryLine, compare_configs
from acrbrowse.compare.fetch import ImageSide, distinct_layers, read_merged_pair
from acrbrowse.compare.files import FileChange, FileChangeKind, compare_files
from acrbrowse.compare.layers import LayerComparison, LayerRow, LayerState, compare_layers
from acrbrowse.layerfiles.fetch import Progress, overall
from acrbrowse.layerfiles.merge import MergedFilesystem
from acrbrowse.oci.manifest import Descriptor
from acrbrowse.present.files import progress_text
from acrbrowse.present.safe import safe_text
from acrbrowse.present.units import human_size, short_digest
from acrbrowse.ui.keys import DIFF_KEYS, DIFF_TABLE_KEYS, bindings
from acrbrowse.ui.marking import Resolved, Side, resolve_pair
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.widgets.footer import PinnedFooter
from acrbrowse.ui.widgets.read_progress import ReadProgress
from acrbrowse.ui.widgets.virtual_table import Column, VirtualTable

LINE = Column("line", "")
STATE_MARK = {LayerState.SHARED: ("=", "dim"), LayerState.ONLY_A: ("−", "red"), LayerState.ONLY_B: ("+", "green")}
FILE_MARK = {FileChangeKind.ADDED: ("+", "green"), FileChangeKind.REMOVED: ("−", "red"),
             FileChangeKind.MODIFIED: ("~", "yellow")}
HISTORY_MARK = {"same": (" ", "dim"), "removed": ("−", "red"), "added": ("+", "green")}


# A row of the view: a line made once, or a thing drawn only when it scrolls into view (a diff of
# 200,000 files would take seconds to draw whole).
Row = Text | LayerRow | FileChange | ConfigChange | HistoryLine


def summary_text(layers: LayerComparison) -> Text:
    """"2 shared layers of 3 (1.2 MB) · only in A: 1 (3.0 MB) · only in B: 2 (5.0 MB)"."""
    shared, only_a, only_b = (layers.count(state) for state in (LayerState.SHARED, LayerState.ONLY_A,
                                                                 LayerState.ONLY_B))
    most = max(shared + only_a, shared + only_b)
    text = Text(f"{shared} shared layer{'s' * (shared != 1)} of {most} ({human_size(layers.shared_bytes)})")
    text.append(f" · only in A: {only_a} ({human_size(layers.only_a_bytes)})", style="red")
    text.append(f" · only in B: {only_b} ({human_size(layers.only_b_bytes)})", style="green")
    return text


LAYER_CELL = 34  # "  2 sha256:3dc554bab5f6     1.3 kB"


def _layer_cell(layer: Descriptor | None, position: int | None) -> Text:
    text = Text()
    if layer is not None and position is not None:
        text.append(f"{position + 1:>3} ")
        text.append_text(safe_text(short_digest(layer.digest), style="cyan"))
        text.append(f" {human_size(layer.size):>10}", style="green")
    text.truncate(LAYER_CELL, pad=True)
    return text


def layer_line(row: LayerRow) -> Text:
    mark, style = STATE_MARK[row.state]
    text = Text(f" {mark} ", style=style)
    text.append_text(_layer_cell(row.a, row.a_position))
    text.append("  │ ", style="dim")
    text.append_text(_layer_cell(row.b, row.b_position))
    return text


def config_line(change: ConfigChange) -> Text:
    name = change.field if change.key is None else f"{change.field} {change.key}"
    text = safe_text(name, style="bold")
    text.append(": ")
    text.append_text(safe_text(change.a, style="red") if change.a is not None else Text("(not set)", style="dim"))
    text.append(" → ")
    text.append_text(safe_text(change.b, style="green") if change.b is not None else Text("(not set)", style="dim"))
    return Text("   ") + text


def history_line(line: HistoryLine) -> Text:
    mark, style = HISTORY_MARK.get(line.change, (" ", ""))
    step = line.a if line.a is not None else line.b
    return Text(f" {mark} ", style=style) + safe_text(step or "(no command)", style=style)


def file_line(change: FileChange) -> Text:
    mark, style = FILE_MARK[change.kind]
    text = Text(f" {mark} ", style=style)
    text.append_text(safe_text("/" + change.path.lstrip("/"), style=style))
    entry = change.b or change.a
    if change.kind is FileChangeKind.MODIFIED and change.a is not None and change.b is not None:
        text.append(f"  {', '.join(change.what)}", style="dim")
        if "size" in change.what:
            text.append(f" {human_size(change.a.size)} → {human_size(change.b.size)}", style="dim")
    elif entry is not None and entry.size:
        text.append(f"  {human_size(entry.size)}", style="dim")
    return text


def heading(text: str) -> Text:
    return Text(text, style="bold underline")


class DiffTable(VirtualTable, inherit_bindings=False):
    """The lists' keys; Enter on a layer only one side holds lists the files that differ."""

    BINDINGS = bindings(DIFF_TABLE_KEYS)


class DiffScreen(Screen[None]):
    BINDINGS = bindings(DIFF_KEYS)
    DEFAULT_CSS = """
    DiffScreen { layout: vertical; }
    #diff-title { height: auto; max-height: 3; padding: 0 1; background: $panel; }
    #diff-table { height: 1fr; }
    #diff-info { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, a: Side, b: Side) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.pair: tuple[Resolved, Resolved] | None = None
        self.comparison: LayerComparison | None = None
        self.config_changes: list[ConfigChange] = []
        self.history: list[HistoryLine] = []
        self.file_changes: list[FileChange] | None = None
        self.lines: list[Row] = []
        self.state = "loading"  # loading, ready, reading files, files, stopped, failed
        self.error_line = ""
        self._progress: dict[str, Progress] = {}
        self._to_read: list[Descriptor] = []
        self._worker: Worker[None] | None = None
        self._file_counts: Counter[FileChangeKind] = Counter()
        self._filesystems: dict[str, MergedFilesystem] = {}  # by image digest: a swap merges nothing again

    def compose(self) -> ComposeResult:
        # Held, not queried: a worker that wakes while the screen is being taken down still finds them.
        self.title_line, self.info_line = Static(id="diff-title"), Static(id="diff-info")
        self.progress = ReadProgress(id="diff-progress")
        self.table = DiffTable((LINE,), self._cell, empty_text="", show_header=False, id="diff-table")
        yield self.title_line
        yield self.progress
        yield self.table
        yield self.info_line
        yield PinnedFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self._load_images()

    # ---- the images, their layers and configs -----------------------------------------------

    def _load_images(self) -> None:
        self.state, self.error_line = "loading", ""
        self.pair, self.comparison, self.file_changes = None, None, None
        self.table.busy, self.table.busy_cancellable = True, True
        self._show()
        self._worker = self._load()

    @work(exclusive=True, group="diff")
    async def _load(self) -> None:
        app = app_of(self)
        try:
            pair = await resolve_pair(app.source(self.a.registry), self.a, self.b)
            layers = compare_layers(pair[0].image, pair[1].image)
            changes: list[ConfigChange] = []
            history: list[HistoryLine] = []
            if pair[0].config is not None and pair[1].config is not None:
                changes, history = compare_configs(pair[0].config, pair[1].config)
        except asyncio.CancelledError:
            self.state = "stopped"
            self._show()
            raise
        except Exception as exc:  # the registry's (no such platform, refused), or a bug: one line
            self.state, self.error_line = "failed", app.failure_line(exc)
            self._show()
            return
        self.pair, self.comparison, self.config_changes, self.history = pair, layers, changes, history
        self.state = "ready"
        self._show()

    # ---- the files that differ --------------------------------------------------------------

    def action_files(self) -> None:
        if self.pair is None or self.state in ("reading files", "files"):
            return
        self.state, self.error_line = "reading files", ""
        self._progress.clear()
        self.progress.start()
        self._show()
        self._worker = self._read_files(self.pair)

    @work(exclusive=True, group="diff")
    async def _read_files(self, pair: tuple[Resolved, Resolved]) -> None:
        app = app_of(self)
        try:
            known = self._filesystems
            if pair[0].image.digest in known and pair[1].image.digest in known:
                merged_a, merged_b = known[pair[0].image.digest], known[pair[1].image.digest]
            else:
                merged_a, merged_b = await self._merged(pair)
                known[pair[0].image.digest], known[pair[1].image.digest] = merged_a, merged_b
            changes = await asyncio.to_thread(compare_files, merged_a, merged_b)
        except asyncio.CancelledError:
            self.state = "stopped"
            self._show()
            raise
        except Exception as exc:  # the registry's, a broken layer, or a bug: one line
            self.state, self.error_line = "failed", app.failure_line(exc)
            self._show()
            return
        self.file_changes = changes
        self._file_counts = Counter(change.kind for change in changes)
        self.state = "files"
        self._show()

    async def _merged(self, pair: tuple[Resolved, Resolved]) -> tuple[MergedFilesystem, MergedFilesystem]:
        """Each distinct layer read once (the listing cache first), the two filesystems merged from them."""
        app = app_of(self)
        source = app.source(self.a.registry)
        a, b = (ImageSide(source, side.side.repository, side.image) for side in pair)
        self._to_read = [layer for layer, _, _ in distinct_layers(a.image, b.image)]
        merged = await read_merged_pair(a, b, cache=app.session.listing_cache,
                                        on_progress=lambda layer, p: self._took_progress(layer.digest, p))
        return merged.a, merged.b

    def _took_progress(self, digest: str, progress: Progress) -> None:
        self._progress[digest] = progress
        received, total, rate, eta = overall(self._progress.values(), sum(layer.size for layer in self._to_read))
        self.progress.show(received, total, progress_text(received, total, rate, eta))

    # ---- painting ---------------------------------------------------------------------------

    def _show(self) -> None:
        busy = self.state in ("loading", "reading files")
        self.table.busy = self.state == "loading"
        if not busy:
            self.progress.stop()
        self._show_title()
        self.lines = self._lines()
        self.table.empty_text = self.error_line if self.state == "failed" else \
            "stopped · Esc closes" if self.state == "stopped" else ""
        self.table.set_keys(list(range(len(self.lines))), keep=self.table.cursor_key)
        self._show_info()

    def _show_title(self) -> None:
        shown = app_of(self).shown
        pair = self.pair
        a = pair[0].label if pair else self.a.label
        b = pair[1].label if pair else self.b.label
        text = Text("A ", style="dim") + Text(shown(a, 70), style="bold red")
        text.append("  →  B ", style="dim")
        text.append(shown(b, 70), style="bold green")
        if self.comparison is not None:
            text.append("\n")
            text.append_text(summary_text(self.comparison))
        if self.state == "loading":
            text.append("  · reading the manifests…", style="italic")
        self.title_line.update(text)

    def _show_info(self) -> None:
        info = self.info_line
        if self.state == "failed":
            info.update(Text(self.error_line, style="red"))
        elif self.state == "reading files":
            info.update(Text("reading the layers' files… Esc stops", style="italic"))
        elif self.state == "stopped":
            again = "f reads the files again" if self.pair is not None else "Esc closes"
            info.update(Text(f"stopped · {again}", style="yellow"))
        elif self.state == "files" and self.file_changes is not None:
            info.update(Text(self._files_summary()))
        elif self.state == "ready":
            info.update(Text("f: the files that differ · x swaps A and B", style="dim"))
        else:
            info.update("")

    def _files_summary(self) -> str:
        counts = self._file_counts
        return (f"files: {counts[FileChangeKind.ADDED]:,} added, {counts[FileChangeKind.REMOVED]:,} removed, "
                f"{counts[FileChangeKind.MODIFIED]:,} modified")

    def _lines(self) -> list[Row]:
        if self.comparison is None:
            return []
        lines: list[Row] = [heading("Layers"), Text(f"   {'  # A':<{LAYER_CELL}}  │ {'  # B'}", style="dim")]
        lines += self.comparison.rows
        lines += [Text(), heading("Files")]
        if self.file_changes is None:
            hint = "reading…" if self.state == "reading files" else "f lists the files that differ"
            lines.append(Text(f"   {hint}", style="dim italic"))
        elif not self.file_changes:
            lines.append(Text("   the same files", style="dim"))
        else:
            lines.append(Text(f"   {self._files_summary()}", style="dim"))
            lines += self.file_changes
        lines += [Text(), heading("Config")]
        if self.pair is not None and (self.pair[0].config is None or self.pair[1].config is None):
            lines.append(Text("   no image config to compare", style="dim"))
        elif not self.config_changes:
            lines.append(Text("   the same", style="dim"))
        lines += self.config_changes
        lines += [Text(), heading("History")]
        lines += self.history
        return lines

    def _cell(self, key: int, column: Column) -> Text:
        row = self.lines[key] if key < len(self.lines) else Text()
        if isinstance(row, LayerRow):
            return layer_line(row)
        if isinstance(row, FileChange):
            return file_line(row)
        if isinstance(row, ConfigChange):
            return config_line(row)
        if isinstance(row, HistoryLine):
            return history_line(row)
        return row

    @on(VirtualTable.Selected, "#diff-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        row = self.lines[event.key] if isinstance(event.key, int) and event.key < len(self.lines) else None
        if isinstance(row, LayerRow) and row.state is not LayerState.SHARED:
            self.action_files()

    # ---- keys -------------------------------------------------------------------------------

    def action_swap(self) -> None:
        if self.state in ("loading", "reading files"):
            return
        self.a, self.b = self.b, self.a
        if self.pair is None:
            self._load_images()
            return
        files = self.file_changes is not None
        self.pair = (self.pair[1], self.pair[0])
        self.comparison = compare_layers(self.pair[0].image, self.pair[1].image)
        if self.pair[0].config is not None and self.pair[1].config is not None:
            self.config_changes, self.history = compare_configs(self.pair[0].config, self.pair[1].config)
        self.file_changes = None
        self.state = "ready"
        self._show()
        if files:  # both filesystems are kept: the swapped difference comes without reading again
            self.action_files()

    def action_close(self) -> None:
        if self.state in ("loading", "reading files") and self._worker is not None:
            self._worker.cancel()  # stops now; a second Esc closes
            return
        self.dismiss()
