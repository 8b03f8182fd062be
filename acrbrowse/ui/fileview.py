"""What the files view shows: a layer's listing (growing while it streams) or an image's merged
filesystem, as a tree of rows (expanded directories, an order) or as the paths a filter matched,
and each row's cells. No widgets here: the screen (screens/files.py) paints what this computes."""

from __future__ import annotations

import itertools
import re
import time
from array import array
from collections.abc import Callable, Sequence

from rich.text import Text

from acrbrowse.layerfiles.entries import OPAQUE_MARKER, FileEntry, Kind, Listing
from acrbrowse.layerfiles.merge import Change, MergedFilesystem
from acrbrowse.layerfiles.tree import ORDERS, FileTree
from acrbrowse.present.files import mode_text, owner_text
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.units import human_size

MERGED_ORDERS = ("name", "size", "wasted")
_CHANGE_STYLES = {Change.ADDED: "green", Change.MODIFIED: "yellow", Change.REMOVED: "red"}


def path_search(query: str) -> Callable[[str], object] | None:
    """A path matches when it holds every word of `query`, ignoring case (None: a blank query)."""
    words = query.split()
    if not words:
        return None
    if len(words) == 1:
        return re.compile(re.escape(words[0]), re.IGNORECASE).search
    return re.compile(r"\A" + "".join(f"(?=.*?{re.escape(word)})" for word in words), re.IGNORECASE | re.DOTALL).search


class FileView:
    """A layer's files (`add` them as they come) or a merged filesystem (`show_merged`)."""

    def __init__(self) -> None:
        self.tree = FileTree()
        self.listing = Listing()
        self.merged: MergedFilesystem | None = None
        self.node_of_ref = array("i")  # the tree node of each listing entry (or merged path)
        self.expanded: set[int] = set()
        self.order = "name"
        self.matches: Sequence[int] | None = None  # the nodes a filter matched (None: no filter)
        self._rows: Sequence[int] | None = None  # the tree rows, until something changes
        self._merged_paths: Sequence[str] = []
        self._wasted_below: dict[int, int] = {}  # a directory's descendants' wasted bytes (merged view)

    # ---- content ---------------------------------------------------------------------------

    def adopt(self, listing: Listing) -> None:
        """Show this listing from now on (the tree starts again): `grow` takes its entries in."""
        self.listing = listing
        self.tree = FileTree()
        self.node_of_ref = array("i")
        self.expanded.clear()
        self._rows = None

    def grow(self, budget: float | None = None) -> bool:
        """Take the listing's entries that arrived since the last call, for at most `budget` seconds
        (the screen grows the tree in slices, so keys and paints go on); True once caught up."""
        listing, nodes = self.listing, self.node_of_ref
        deadline = time.monotonic() + budget if budget is not None else None
        start, end = len(nodes), len(listing)
        for ref in range(start, end):
            nodes.append(self._add_node(listing[ref], ref))
            if deadline is not None and ref % 256 == 255 and time.monotonic() > deadline:
                break
        if len(nodes) > start:
            self._rows = None
        return len(nodes) == len(listing)

    def add(self, entries: Sequence[FileEntry]) -> None:
        """More entries, appended to the listing."""
        self.listing.extend(entries)
        self.grow()

    def _add_node(self, entry: FileEntry, ref: int) -> int:
        path = entry.path
        if entry.kind is Kind.OPAQUE:  # the marker as the layer holds it, inside the directory it hides
            path = f"{path}/{OPAQUE_MARKER}" if path else OPAQUE_MARKER
        return self.tree.add(path, ref, size=entry.size if not entry.kind.is_deletion else 0,
                             is_dir=entry.kind is Kind.DIR)

    def show_merged(self, merged: MergedFilesystem) -> None:
        self.merged = merged
        self._merged_paths = merged.paths.paths
        for ref, row in enumerate(merged.paths):
            removed = row.change is Change.REMOVED
            standing = self._standing_file_above(row.path) if removed else None
            if standing is not None:  # under a path that is a file now: shown as that file's, not as a directory
                self.node_of_ref.append(standing)
                continue
            size = 0 if removed else row.entry.size
            self.node_of_ref.append(self.tree.add(row.path, ref, size=size, is_dir=row.entry.kind is Kind.DIR))
        for ref in range(len(merged.paths)):  # each directory's wasted bytes: its own and everything below
            wasted = merged.paths.wasted(ref)  # the column: no row made for it
            if wasted:
                node = self.tree.parent(self.node_of_ref[ref])
                while node > 0:
                    self._wasted_below[node] = self._wasted_below.get(node, 0) + wasted
                    node = self.tree.parent(node)
        self._rows = None

    def _standing_file_above(self, path: str) -> int | None:
        """The node of the nearest ancestor of `path` in the tree, when it is a file (a file that
        replaced a directory whose contents are the removed rows below it)."""
        parent = path.rpartition("/")[0]
        while parent:
            node = self.tree.node_of(parent)
            if node is not None:
                return None if self.tree.is_dir(node) else node
            parent = parent.rpartition("/")[0]
        return None

    @property
    def orders(self) -> tuple[str, ...]:
        return MERGED_ORDERS if self.merged is not None else ORDERS

    @property
    def paths(self) -> Sequence[str]:
        """The path of each listing entry or merged path, by ref (what a filter searches)."""
        return self._merged_paths if self.merged is not None else self.listing.paths

    def entry(self, node: int) -> FileEntry | None:
        """The entry a node stands for (None for a directory no entry names: implied by its files)."""
        ref = self.tree.ref(node)
        if ref < 0:
            return None
        return self.merged.paths[ref].entry if self.merged is not None else self.listing[ref]

    def wasted(self, node: int) -> int:
        if self.merged is None:
            return 0
        ref = self.tree.ref(node)
        own = self.merged.paths[ref].wasted if ref >= 0 else 0
        return own + self._wasted_below.get(node, 0)

    # ---- rows ------------------------------------------------------------------------------

    def rows(self) -> Sequence[int]:
        if self.matches is not None:
            return self.matches
        if self._rows is None:
            key = self.wasted if self.order == "wasted" else None
            order = "size" if self.order == "wasted" else self.order
            self._rows = self.tree.rows(self.expanded, order, key)
        return self._rows

    def changed(self) -> None:
        self._rows = None

    def toggle(self, node: int, expand: bool | None = None) -> bool:
        """Expand or collapse a directory; False when `node` is not one (or is already so)."""
        if not self.tree.is_dir(node):
            return False
        want = node not in self.expanded if expand is None else expand
        if want == (node in self.expanded):
            return False
        if want:
            self.expanded.add(node)
        else:
            self.expanded.discard(node)
        self._rows = None
        return True

    def expand_all(self) -> bool:
        """Expand every directory; when all already are, collapse them. True: now expanded."""
        directories = {node for node in range(1, len(self.tree)) if self.tree.is_dir(node)}
        if directories <= self.expanded:
            self.expanded.clear()
            self._rows = None
            return False
        self.expanded = directories
        self._rows = None
        return True

    def filter(self, query: str) -> Sequence[int] | None:
        """The nodes whose path holds every word of `query`, in the listing's order (a layer's, or
        the merged view's path order); None: no filter. Reads only: safe to run in a thread while the
        screen paints. An array, a node once: a million matches cost 4 MB, not a list of ints and a set."""
        search = path_search(query)
        if search is None:
            return None
        nodes = self.node_of_ref
        seen = bytearray(len(self.tree))
        found = array("i")
        for ref, path in enumerate(itertools.islice(self.paths, len(nodes))):  # what the tree holds so far
            if search(path):
                node = nodes[ref]
                if not seen[node]:
                    seen[node] = 1
                    found.append(node)
        return found

    def _sort_path(self, node: int) -> str:
        ref = self.tree.ref(node)
        return self.paths[ref] if ref >= 0 else self.tree.path(node)

    # ---- cells -----------------------------------------------------------------------------

    def name_cell(self, node: int) -> Text:
        entry = self.entry(node)
        tree = self.tree
        flat = self.matches is not None
        text = Text(end="")
        if not flat:
            text.append("  " * max(tree.depth(node) - 1, 0))
        if tree.is_dir(node):
            text.append("▾ " if node in self.expanded else "▸ ", style="dim")
        else:
            text.append("  ")
        name = tree.path(node) if flat else tree.name(node)
        style = "bold blue" if tree.is_dir(node) else ""
        removed = self._removed(node, entry)
        if removed:
            style = "red strike"
        text.append(terminal_safe(name) + ("/" if tree.is_dir(node) else ""), style=style)
        if entry is not None and entry.kind in (Kind.SYMLINK, Kind.HARDLINK):
            arrow = " → " if entry.kind is Kind.SYMLINK else " ⇒ "
            text.append(arrow + terminal_safe(entry.link), style="cyan")
        if entry is not None and entry.kind is Kind.OPAQUE:
            text.append("  hides what the layers below have here", style="dim italic")
        elif removed and self.merged is None:
            text.append("  removed", style="red italic")
        return text

    def _removed(self, node: int, entry: FileEntry | None) -> bool:
        if self.merged is not None:
            ref = self.tree.ref(node)
            return ref >= 0 and self.merged.paths[ref].change is Change.REMOVED
        return entry is not None and entry.kind is Kind.WHITEOUT

    def size_cell(self, node: int) -> Text:
        entry = self.entry(node)
        if entry is not None and entry.kind.is_deletion:
            return Text("", end="")
        if self.merged is not None and self._removed(node, entry):
            return Text(human_size(entry.size if entry else 0), style="red dim", end="")
        return Text(human_size(self.tree.size(node)), style="green" if self.tree.is_dir(node) else "", end="")

    def mode_cell(self, node: int) -> Text:
        entry = self.entry(node)
        if entry is None:
            return Text("(implied)", style="dim", end="")
        return Text(mode_text(entry).strip(), style="red" if entry.kind.is_deletion else "dim", end="")

    def owner_cell(self, node: int) -> Text:
        entry = self.entry(node)
        return Text("" if entry is None or entry.kind.is_deletion else owner_text(entry), style="dim", end="")

    def layer_cell(self, node: int) -> Text:
        ref = self.tree.ref(node)
        if self.merged is None or ref < 0:
            return Text("", end="")
        return Text(str(self.merged.paths[ref].layer + 1), end="")

    def change_cell(self, node: int) -> Text:
        ref = self.tree.ref(node)
        if self.merged is None or ref < 0:
            return Text("", end="")
        change = self.merged.paths[ref].change
        return Text(change.value, style=_CHANGE_STYLES[change], end="")

    def wasted_cell(self, node: int) -> Text:
        wasted = self.wasted(node)
        return Text(human_size(wasted) if wasted else "", style="yellow", end="")

    def describe(self, node: int) -> Text:
        """The highlighted row in full, on one line: mode, owner, exact size, path, link, layer."""
        entry = self.entry(node)
        path = "/" + self._sort_path(node)
        if entry is None:
            return Text.assemble(("directory ", "bold"), terminal_safe(path), "  ",
                                 (f"{self.tree.size(node):,} bytes below it", "green"), "  (no entry of its own)")
        text = Text.assemble((mode_text(entry).strip(), "bold"), " ", owner_text(entry), "  ")
        if not entry.kind.is_deletion:
            size = self.tree.size(node)
            text.append(f"{size:,} bytes" + (" below it" if self.tree.is_dir(node) else ""), style="green")
            text.append("  ")
        text.append(terminal_safe(path))
        if entry.link:
            text.append((" → " if entry.kind is Kind.SYMLINK else " link to ") + terminal_safe(entry.link), style="cyan")
        if self.merged is not None:
            row = self.merged.paths[self.tree.ref(node)]
            text.append(f"  · layer {row.layer + 1} {row.change.value}", style=_CHANGE_STYLES[row.change])
            if row.wasted:
                text.append(f" · {human_size(row.wasted)} wasted", style="yellow")
        return text
