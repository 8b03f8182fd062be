"""The manifest tree: the tag at the root; an index's platforms (attestations grouped, dimmed);
under each image its config, its layers with human sizes, and the total. Each node's data is a
TreeItem (ui.tree.nodes) that knows its own label and how to fetch its children.

Lazy like Harlequin's catalog: expanding a manifest adds a "loading…" child and starts a fetch;
the item's `fetched` flag stops a second fetch; a reset cancels what was in flight and bumps a
generation so late answers for an old tag are dropped; a failed fetch leaves one error line, and
expanding again retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import Manifest
from acrbrowse.present.units import short_digest
from acrbrowse.ui.keys import TREE_KEYS, bindings
from acrbrowse.ui.tree.nodes import ErrorLeaf, InfoLeaf, LoadingLeaf, RootItem, TreeItem
from acrbrowse.ui.typed_app import app_of


class ManifestTree(Tree[TreeItem]):
    BINDINGS = bindings(TREE_KEYS)

    @dataclass
    class NodeFailed(Message):
        error: RegistryError

    def __init__(self, registry: str, *, id: str | None = None) -> None:
        super().__init__(Text("choose a tag (Enter in the tags pane)", style="dim"),
                         InfoLeaf("choose a tag (Enter in the tags pane)", detail="choose a tag"), id=id)
        self.root.allow_expand = False
        self.registry = registry
        self.repository: str | None = None
        self.reference: str | None = None  # the tag or digest at the root
        self.generation = 0
        self.show_root = True
        self.guide_depth = 3

    def add_items(self, node: TreeNode[TreeItem], items: list[TreeItem]) -> None:
        for item in items:
            if item.expandable:
                self.add_items(node.add(item.label(), item), item.known_children())
            else:
                node.add_leaf(item.label(), item)

    def show(self, repository: str, reference: str, manifest: Manifest | None = None) -> None:
        """Put `repository:reference` at the root and fetch it (unless `manifest` is given)."""
        self.generation += 1
        self.workers.cancel_group(self, "tree-node")
        self.repository, self.reference = repository, reference
        title = f"{repository}@{short_digest(reference)}" if ":" in reference else f"{repository}:{reference}"
        root = RootItem(reference, title, manifest)
        self.reset(root.label(), root)
        self._fetch(self.root)
        self.root.expand()
        self.cursor_line = 0

    def reload(self) -> None:
        if self.repository is not None and self.reference is not None:
            self.show(self.repository, self.reference)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[TreeItem]) -> None:
        item = event.node.data
        if item is not None and not item.fetched:
            self._fetch(event.node)

    def _fetch(self, node: TreeNode[TreeItem]) -> None:
        assert node.data is not None
        node.data.fetched = True
        node.remove_children()  # an error from an earlier try
        node.add_leaf(Text("loading…", style="italic dim"), LoadingLeaf())
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
            error = app_of(self).as_registry_error(exc)
            item.failed(error)
            node.remove_children()
            node.add_leaf(*self._error_leaf("error", error))
            self.post_message(self.NodeFailed(error))
        else:
            if generation != self.generation:
                return
            node.set_label(item.label())
            node.remove_children()
            self.add_items(node, children)
            if item.config_error is not None:
                node.add_leaf(*self._error_leaf("config", item.config_error))
                self.post_message(self.NodeFailed(item.config_error))
            if node is self.root:
                self.root.expand()
                self.cursor_line = 0
        if self.cursor_node is not None:
            self.post_message(Tree.NodeHighlighted(self.cursor_node))

    def _error_leaf(self, what: str, error: RegistryError) -> tuple[Text, ErrorLeaf]:
        leaf = ErrorLeaf(what, error, app_of(self).shown(error))
        return leaf.label(), leaf
