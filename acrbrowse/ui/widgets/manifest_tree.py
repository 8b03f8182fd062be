"""The manifest tree: the tag at the root; an index's platforms (attestations grouped, dimmed);
under each image its config, its layers with human sizes, and the total.

Lazy like Harlequin's catalog: expanding a platform adds a "loading…" child and starts a fetch;
a flag on the node's data stops a second fetch; a reset cancels what was in flight and bumps a
generation so late answers for an old tag are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import (
    Descriptor,
    HistoryEntry,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    LegacyManifest,
    Manifest,
)
from acrbrowse.oci.walk import ImageNode, fill_node, index_nodes
from acrbrowse.present.render import layer_count, layer_note, node_label
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.units import human_size, short_digest
from acrbrowse.ui.keys import TREE_KEYS, bindings
from acrbrowse.ui.typed_app import app_of

NodeKind = Literal["root", "entry", "attestations", "config", "layer", "total", "info", "loading", "error"]


@dataclass
class NodeData:
    kind: NodeKind
    descriptor: Descriptor | None = None
    manifest: Manifest | None = None  # root/entry: this node's manifest; config/layer/total: the image's
    config: ImageConfig | None = None
    layer_index: int | None = None  # 1-based, for layers
    history: HistoryEntry | None = None
    index: ImageIndex | None = None  # the index an entry belongs to
    fetched: bool = False  # children known (or being fetched): never fetch twice
    error: RegistryError | None = None
    text: str = ""  # for info/error leaves

    @property
    def digest(self) -> str | None:
        """What `c` copies: the node's own digest."""
        if self.kind in ("root", "entry", "config", "layer") and self.descriptor is not None:
            return self.descriptor.digest
        if self.kind == "root" and self.manifest is not None:
            return self.manifest.digest
        return None

    @property
    def manifest_digest(self) -> str | None:
        """What `C` makes pullable: the manifest this node is, or belongs to."""
        if self.kind in ("root", "entry") and self.descriptor is not None:
            return self.descriptor.digest
        if self.manifest is not None:
            return self.manifest.digest
        return None


@dataclass
class ChildSpec:
    label: Text
    data: NodeData
    expandable: bool = False
    children: list[ChildSpec] = field(default_factory=list)


def size_text(size: int) -> Text:
    return Text(human_size(size), style="green")


def digest_text(digest: str, style: str = "cyan") -> Text:
    return safe_text(short_digest(digest), style=style)


def image_children(image: ImageManifest, config: ImageConfig | None, entry: Descriptor | None = None) -> list[ChildSpec]:
    """config, layer 1..n with their history line, total."""
    out: list[ChildSpec] = []
    if image.config is not None:
        label = Text.assemble(("config", "bold"), "  ", digest_text(image.config.digest), "  ",
                              size_text(image.config.size))
        if not mt.is_image_config(image.config.media_type):
            label.append(f"  {terminal_safe(image.config.media_type)}", style="dim")
        out.append(ChildSpec(label, NodeData("config", image.config, manifest=image, config=config)))
    history = config.layer_history(len(image.layers)) if config is not None else [None] * len(image.layers)
    for position, (layer, entry_history) in enumerate(zip(image.layers, history, strict=False), 1):
        label = Text.assemble((f"layer {position}", "bold"), "  ", digest_text(layer.digest), "  ",
                              size_text(layer.size))
        note = layer_note(layer)
        if note:
            label.append(f"  {terminal_safe(note)}", style="yellow" if layer.is_foreign else "dim")
        out.append(ChildSpec(label, NodeData("layer", layer, manifest=image, config=config, layer_index=position,
                                             history=entry_history)))
    total = Text.assemble(("total", "bold"), f"  {layer_count(len(image.layers))}, ",
                          (human_size(image.compressed_size), "bold green"))
    out.append(ChildSpec(total, NodeData("total", manifest=image, config=config)))
    return out


def manifest_children(manifest: Manifest, config: ImageConfig | None = None) -> list[ChildSpec]:
    if isinstance(manifest, ImageIndex):
        # The same entries, and the same cap, as the CLI's tree (walk.index_nodes).
        nodes, truncated = index_nodes(manifest)
        entries = [node.descriptor for node in nodes]
        out = [entry_spec(d, manifest) for d in entries if not d.is_attestation]
        attestations = [d for d in entries if d.is_attestation]
        if attestations:
            group = ChildSpec(Text(f"attestations ({len(attestations)})", style="dim"),
                              NodeData("attestations", fetched=True), expandable=True,
                              children=[entry_spec(d, manifest) for d in attestations])
            out.append(group)
        if truncated is not None:
            out.append(ChildSpec(safe_text(truncated, "yellow"), NodeData("info", text=str(truncated))))
        return out
    if isinstance(manifest, ImageManifest):
        return image_children(manifest, config)
    if isinstance(manifest, LegacyManifest):
        text = f"legacy schema 1 manifest, {len(manifest.blob_sums)} layers (sizes unknown)"
    else:
        text = f"{terminal_safe(mt.describe(manifest.media_type))}: view it raw with v"
    return [ChildSpec(Text(text, style="dim"), NodeData("info", text=text))]


def entry_label(descriptor: Descriptor, index: ImageIndex | None, manifest: Manifest | None = None) -> Text:
    label = terminal_safe(node_label(ImageNode(descriptor, manifest=manifest), index))
    style = "dim" if descriptor.is_attestation else "bold"
    text = Text.assemble((label, style), "  ", digest_text(descriptor.digest, "dim cyan" if descriptor.is_attestation else "cyan"))
    if isinstance(manifest, ImageManifest):
        text.append(f"  {layer_count(len(manifest.layers))}, ", style="dim" if descriptor.is_attestation else "")
        text.append(human_size(manifest.compressed_size), style="dim green" if descriptor.is_attestation else "green")
    return text


def entry_spec(descriptor: Descriptor, index: ImageIndex) -> ChildSpec:
    return ChildSpec(entry_label(descriptor, index), NodeData("entry", descriptor, index=index), expandable=True)


def root_label(title: str, manifest: Manifest | None) -> Text:
    text = safe_text(title, style="bold")
    if manifest is None:
        return text
    text.append(f"  {terminal_safe(mt.describe(manifest.media_type))}", style="dim")
    if isinstance(manifest, ImageIndex):
        count = len(manifest.platforms)
        text.append(f" · {count} platform{'s' * (count != 1)}", style="dim")
    elif isinstance(manifest, ImageManifest):
        if manifest.is_artifact:
            text.append(f" · artifact {terminal_safe(manifest.effective_artifact_type)}", style="dim")
        text.append("  ")
        text.append(human_size(manifest.compressed_size), style="green")
    return text


class ManifestTree(Tree[NodeData]):
    BINDINGS = bindings(TREE_KEYS)

    @dataclass
    class NodeFailed(Message):
        error: RegistryError

    def __init__(self, registry: str, *, id: str | None = None) -> None:
        super().__init__(Text("choose a tag (Enter in the tags pane)", style="dim"),
                         NodeData("info", text="choose a tag"), id=id)
        self.root.allow_expand = False
        self.registry = registry
        self.repository: str | None = None
        self.reference: str | None = None  # the tag or digest at the root
        self.generation = 0
        self.show_root = True
        self.guide_depth = 3

    # ---- building --------------------------------------------------------------------------

    def add_specs(self, node: TreeNode[NodeData], specs: list[ChildSpec]) -> None:
        for spec in specs:
            if spec.expandable:
                child = node.add(spec.label, spec.data)
                if spec.children:
                    self.add_specs(child, spec.children)
            else:
                node.add_leaf(spec.label, spec.data)

    def show(self, repository: str, reference: str, manifest: Manifest | None = None, *, expand: bool = True) -> None:
        """Put `repository:reference` at the root and fetch it (unless `manifest` is given)."""
        self.generation += 1
        self.workers.cancel_group(self, "tree-node")
        self.repository, self.reference = repository, reference
        title = f"{repository}@{short_digest(reference)}" if ":" in reference else f"{repository}:{reference}"
        self.reset(root_label(title, None), NodeData("root", fetched=True))
        self.root.add_leaf(Text("loading…", style="italic dim"), NodeData("loading"))
        self.root.expand()
        self.cursor_line = 0
        self._load_root(repository, reference, self.generation, title, manifest)

    @work(exclusive=True, group="tree-root")
    async def _load_root(self, repository: str, reference: str, generation: int, title: str,
                         manifest: Manifest | None) -> None:
        try:
            client = app_of(self).source(self.registry)
            config = None
            if manifest is None:
                manifest = await client.get_manifest(repository, reference)
            if isinstance(manifest, ImageManifest):
                node = await fill_node(client, repository, ImageNode(manifest.descriptor(), manifest=manifest))
                config = node.config
                if node.error is not None:
                    self.post_message(self.NodeFailed(node.error))
            if generation != self.generation:
                return
            self.root.data = NodeData("root", manifest.descriptor(), manifest=manifest, config=config, fetched=True)
            self.root.set_label(root_label(title, manifest))
            self.root.remove_children()
            self.add_specs(self.root, manifest_children(manifest, config))
        except Exception as exc:  # a registry's error, or a bug: one line under the root, the app goes on
            if generation != self.generation:
                return
            error = app_of(self).as_registry_error(exc)
            self.root.remove_children()
            self.root.add_leaf(self.error_label("error", error), NodeData("error", error=error))
            self.root.data = NodeData("root", fetched=True, error=error)
            self.post_message(self.NodeFailed(error))
            return
        self.root.expand()
        self.cursor_line = 0
        self.post_message(Tree.NodeHighlighted(self.root))

    def error_label(self, what: str, error: RegistryError) -> Text:
        return Text(f"{what}: {app_of(self).shown(error)}", style="red")

    def reload(self) -> None:
        if self.repository is not None and self.reference is not None:
            self.show(self.repository, self.reference)

    # ---- lazy children ---------------------------------------------------------------------

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        node = event.node
        data = node.data
        if data is None or data.kind != "entry" or data.fetched:
            return
        data.fetched = True
        node.remove_children()  # an error from an earlier try
        node.add_leaf(Text("loading…", style="italic dim"), NodeData("loading"))
        self._load_entry(node, self.generation)

    @work(group="tree-node")
    async def _load_entry(self, node: TreeNode[NodeData], generation: int) -> None:
        """Not exclusive: expanding a second platform must not cancel the first one's fetch."""
        data = node.data
        assert data is not None and data.descriptor is not None and self.repository is not None
        try:
            client = app_of(self).source(self.registry)
            filled = await fill_node(client, self.repository, ImageNode(data.descriptor))
            if generation != self.generation:
                return
            if filled.manifest is not None:
                self._show_entry(node, data, filled)
                return
            error = filled.error or RegistryError("no manifest came")
        except Exception as exc:  # a bug: the entry says so in one line, the app goes on
            if generation != self.generation:
                return
            error = app_of(self).as_registry_error(exc)
        data.manifest = data.config = None
        data.error = error
        data.fetched = False  # expanding again retries
        node.remove_children()
        node.add_leaf(self.error_label("error", error), NodeData("error", error=error))
        self.post_message(self.NodeFailed(error))

    def _show_entry(self, node: TreeNode[NodeData], data: NodeData, filled: ImageNode) -> None:
        assert data.descriptor is not None and filled.manifest is not None
        data.manifest, data.config = filled.manifest, filled.config
        node.set_label(entry_label(data.descriptor, data.index, filled.manifest))
        node.remove_children()
        self.add_specs(node, manifest_children(filled.manifest, filled.config))
        if filled.error is not None:  # the manifest came, its config did not
            node.add_leaf(self.error_label("config", filled.error), NodeData("error", error=filled.error))
            self.post_message(self.NodeFailed(filled.error))
        if self.cursor_node is not None:
            self.post_message(Tree.NodeHighlighted(self.cursor_node))
