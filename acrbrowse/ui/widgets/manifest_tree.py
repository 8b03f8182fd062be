"""The manifest tree: the tag at the root; an index's platforms (attestations grouped, dimmed);
under each image its config, its layers with human sizes, and the total. Each node's data is a
TreeItem (ui.tree.nodes) that knows its own label and how to fetch its children.

Lazy like Harlequin's catalog: expanding a manifest adds a "loading…" child and starts a fetch;
the item's `fetched` flag stops a second fetch; a reset cancels what was in flight and bumps a
generation so late answers for an old tag are dropped; a failed fetch leaves one error line, and
expanding again retries. A reload keeps what was expanded and the cursor: the same paths are
expanded again as their children arrive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import ImageIndex, Manifest
from acrbrowse.present.units import short_digest
from acrbrowse.ui.keys import TREE_KEYS, bindings
from acrbrowse.ui.tree.nodes import EntryItem, ErrorLeaf, InfoLeaf, LoadingLeaf, ManifestItem, RootItem, TreeItem
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.waiting import TICK, waiting_text

Path = tuple[tuple[int, str | None], ...]  # a node's place: (position among siblings, its digest) per level


def descendants(node: TreeNode[TreeItem]) -> Iterator[TreeNode[TreeItem]]:
    for child in node.children:
        yield child
        yield from descendants(child)


def path_of(node: TreeNode[TreeItem]) -> Path:
    parts: list[tuple[int, str | None]] = []
    while node.parent is not None:
        parts.append((node.parent.children.index(node), node.data.digest if node.data is not None else None))
        node = node.parent
    return tuple(reversed(parts))


CHOOSE_A_TAG = "choose a tag (Enter in the tags pane)"

class ManifestTree(Tree[TreeItem]):
    BINDINGS = bindings(TREE_KEYS)

    @dataclass
    class NodeFailed(Message):
        error: RegistryError

    def __init__(self, registry: str, *, id: str | None = None) -> None:
        super().__init__(Text(CHOOSE_A_TAG, style="dim"), InfoLeaf(CHOOSE_A_TAG, detail="choose a tag"), id=id)
        self.root.allow_expand = False
        self.registry = registry
        self.repository: str | None = None
        self.reference: str | None = None  # the tag or digest at the root
        self.generation = 0
        self.restoring: tuple[set[Path], Path | None] | None = None  # after a reload: what to expand again
        self.show_root = True
        self.guide_depth = 3
        self._waiting: dict[int, tuple[TreeNode[TreeItem], float]] = {}  # node id -> (node, since)
        self._wait_timer: Timer | None = None

    def add_items(self, node: TreeNode[TreeItem], items: list[TreeItem]) -> None:
        for item in items:
            if item.expandable:
                self.add_items(node.add(item.label(), item), item.known_children())
            else:
                node.add_leaf(item.label(), item)

    def forget(self) -> None:
        """Nothing at the root (another repository opened); a late answer for the old tag is dropped."""
        self.generation += 1
        self.restoring = None
        self.workers.cancel_group(self, "tree-node")
        self._waiting.clear()
        self.repository = self.reference = None
        self.reset(Text(CHOOSE_A_TAG, style="dim"), InfoLeaf(CHOOSE_A_TAG, detail="choose a tag"))
        self.root.allow_expand = False

    def show(self, repository: str, reference: str, manifest: Manifest | None = None) -> None:
        """Put `repository:reference` at the root and fetch it (unless `manifest` is given)."""
        self.generation += 1
        self.restoring = None
        self.workers.cancel_group(self, "tree-node")
        self._waiting.clear()
        self.repository, self.reference = repository, reference
        title = f"{repository}@{short_digest(reference)}" if ":" in reference else f"{repository}:{reference}"
        root = RootItem(reference, title, manifest)
        self.reset(root.label(), root)
        self._fetch(self.root)
        self.root.expand()
        self.cursor_line = 0

    def reload(self) -> None:
        """Fetch the root again; what was expanded is expanded again, and the cursor goes back."""
        if self.repository is not None and self.reference is not None:
            expanded = {path_of(node) for node in descendants(self.root) if node.is_expanded}
            cursor = path_of(self.cursor_node) if self.cursor_node is not None else None
            self.show(self.repository, self.reference)
            self.restoring = (expanded, cursor)

    def _restore_under(self, node: TreeNode[TreeItem]) -> None:
        if self.restoring is None:
            return
        expanded, cursor = self.restoring
        for child in descendants(node):
            path = path_of(child)
            if path in expanded and child.allow_expand and not child.is_expanded:
                child.expand()  # fetches its children, if it has to
            if path == cursor:
                self.restoring = (expanded, None)
                self.call_after_refresh(self.move_cursor, child)  # its line is known once drawn

    # ---- keys ----------------------------------------------------------------------------

    def cancel_wait(self) -> bool:
        """Esc while nodes wait for the registry: cancel their fetches (each says so, and expanding it
        again, or r for the root, tries again); False when none waits."""
        if not self._waiting:
            return False
        self.workers.cancel_group(self, "tree-node")
        waiting, self._waiting = list(self._waiting.values()), {}
        for node, _since in waiting:
            item = node.data
            if item is not None:
                item.fetched = False
            node.remove_children()
            retry = "r tries again" if node is self.root else "expand it again to retry"
            node.add_leaf(*self._info_leaf(f"cancelled · {retry}", "yellow"))
        if self.cursor_node is not None:
            self.post_message(Tree.NodeHighlighted(self.cursor_node))
        return True

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def _start_waiting(self, node: TreeNode[TreeItem]) -> None:
        self._waiting[node.id] = (node, time.monotonic())
        if self._wait_timer is None:
            self._wait_timer = self.set_interval(TICK, self._tick)
        else:
            self._wait_timer.resume()

    def _stop_waiting(self, node: TreeNode[TreeItem]) -> None:
        self._waiting.pop(node.id, None)

    def _tick(self) -> None:
        """Each waiting node's "loading…" line shows how long it has waited."""
        if not self._waiting and self._wait_timer is not None:
            self._wait_timer.pause()
            return
        now = time.monotonic()
        for node, since in self._waiting.values():
            for child in node.children:
                if isinstance(child.data, LoadingLeaf):
                    label = waiting_text("loading", since, now)
                    label.stylize("italic dim")
                    child.set_label(label)

    def action_half_page_down(self) -> None:
        self._move_by(max(1, self.scrollable_content_region.height // 2))

    def action_half_page_up(self) -> None:
        self._move_by(-max(1, self.scrollable_content_region.height // 2))

    def _move_by(self, lines: int) -> None:
        self.cursor_line = max(0, min(self.last_line, max(0, self.cursor_line) + lines))
        self.scroll_to_line(self.cursor_line, animate=False)

    def action_expand_or_child(self) -> None:
        """Expand the node; on an expanded one, move to its first child."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.is_expanded and node.children:
            self.move_cursor(node.children[0])

    def action_collapse_or_parent(self) -> None:
        """Collapse the node; on a collapsed node or a leaf, move to its parent."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def _index_node(self) -> TreeNode[TreeItem] | None:
        """The index the cursor is in (a nested one first), else the root if it is an index."""
        node = self.cursor_node
        while node is not None:
            if isinstance(node.data, ManifestItem) and isinstance(node.data.manifest, ImageIndex):
                return node
            node = node.parent
        return None

    def action_expand_platforms(self) -> None:
        """Expand every platform of the index; when all are expanded, collapse them."""
        index = self._index_node()
        platforms = [child for child in index.children if isinstance(child.data, EntryItem)] if index else []
        if not platforms:
            return
        if all(platform.is_expanded for platform in platforms):
            cursor = self.cursor_node
            inside = next((p for p in platforms if any(n is cursor for n in descendants(p))), None)
            for platform in platforms:
                platform.collapse()
            if inside is not None:  # the cursor's line is hidden now: keep it on its platform
                self.call_after_refresh(self.move_cursor, inside)
        else:
            for platform in platforms:
                platform.expand()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[TreeItem]) -> None:
        item = event.node.data
        if item is not None and not item.fetched:
            self._fetch(event.node)

    def _fetch(self, node: TreeNode[TreeItem]) -> None:
        assert node.data is not None
        node.data.fetched = True
        node.remove_children()  # an error from an earlier try
        node.add_leaf(Text("loading…", style="italic dim"), LoadingLeaf())
        self._start_waiting(node)
        self._load(node, self.generation)

    @work(group="tree-node")
    async def _load(self, node: TreeNode[TreeItem], generation: int) -> None:
        """Not exclusive: expanding a second platform must not cancel the first one's fetch."""
        item = node.data
        assert item is not None and self.repository is not None
        try:
            children = await item.fetch_children(app_of(self).source(self.registry), self.repository)
        except Exception as exc:  # a registry's error, or a bug: one line under the node, the app goes on
            if generation != self.generation:
                return
            self._stop_waiting(node)
            error = app_of(self).as_registry_error(exc)
            item.failed(error)
            node.remove_children()
            node.add_leaf(*self._error_leaf("error", error))
            self.post_message(self.NodeFailed(error))
        else:
            if generation != self.generation:
                return
            self._stop_waiting(node)
            node.set_label(item.label())
            node.remove_children()
            self.add_items(node, children)
            if item.config_error is not None:
                node.add_leaf(*self._error_leaf("config", item.config_error))
                self.post_message(self.NodeFailed(item.config_error))
            if node is self.root:
                self.root.expand()
                self.cursor_line = 0
            self._restore_under(node)
        if self.cursor_node is not None:
            self.post_message(Tree.NodeHighlighted(self.cursor_node))

    def _info_leaf(self, text: str, style: str) -> tuple[Text, InfoLeaf]:
        leaf = InfoLeaf(text, style)
        return leaf.label(), leaf

    def _error_leaf(self, what: str, error: RegistryError) -> tuple[Text, ErrorLeaf]:
        leaf = ErrorLeaf(what, error, app_of(self).shown(error))
        return leaf.label(), leaf
