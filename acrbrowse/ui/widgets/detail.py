"""The detail pane: everything about the highlighted tree node (or tag), with exact byte sizes."""

from __future__ import annotations

import io

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import Descriptor, HistoryEntry, ImageConfig, ImageIndex, ImageManifest, Manifest
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.units import human_size
from acrbrowse.ui.taginfo import TagInfo
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.widgets.manifest_tree import NodeData


def exact_size(size: int) -> str:
    return f"{size:,} bytes ({human_size(size)})" if size >= 1000 else f"{size} bytes"


def media_type_text(media_type: str) -> Text:
    described = mt.describe(media_type)
    text = safe_text(described)
    if described != media_type:
        text.append(f"  {terminal_safe(media_type)}", style="dim")
    return text


class Facts:
    """A two-column grid: label, value. A str value is outside text: escaped, never markup."""

    def __init__(self) -> None:
        self.table = Table.grid(padding=(0, 2))
        self.table.add_column(style="bold", no_wrap=True)
        self.table.add_column(overflow="fold")

    def add(self, label: str, value: RenderableType | str | None) -> None:
        if value is None or value == "":
            return
        self.table.add_row(label, value if not isinstance(value, str) else safe_text(value))


def descriptor_facts(facts: Facts, descriptor: Descriptor) -> None:
    facts.add("Digest", safe_text(descriptor.digest, style="cyan"))
    facts.add("Media type", media_type_text(descriptor.media_type))
    facts.add("Size", exact_size(descriptor.size))
    if descriptor.platform is not None:
        facts.add("Platform", descriptor.platform.label)
        if descriptor.platform.os_features:
            facts.add("OS features", ", ".join(descriptor.platform.os_features))
    if descriptor.artifact_type:
        facts.add("Artifact type", descriptor.artifact_type)
    for url in descriptor.urls:
        facts.add("URL", url)
    if descriptor.is_attestation and descriptor.attests:
        facts.add("Attests", safe_text(descriptor.attests, style="cyan"))


def annotations_block(annotations) -> RenderableType | None:
    if not annotations:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="magenta", no_wrap=True)
    grid.add_column(overflow="fold")
    for key in sorted(annotations):
        grid.add_row(safe_text(key), safe_text(annotations[key]))
    return grid


def command_text(words: tuple[str, ...]) -> str:
    return " ".join(words)


def config_facts(facts: Facts, config: ImageConfig) -> None:
    facts.add("Created", config.created)
    platform = "/".join(p for p in (config.os, config.architecture) if p)
    if config.os_version:
        platform += f" {config.os_version}"
    facts.add("OS / arch", platform or None)
    runtime = config.runtime
    facts.add("Entrypoint", command_text(runtime.entrypoint) or None)
    facts.add("Cmd", command_text(runtime.cmd) or None)
    facts.add("Working dir", runtime.working_dir)
    facts.add("User", runtime.user)
    facts.add("Ports", ", ".join(runtime.exposed_ports) or None)
    if runtime.env:
        facts.add("Env", Text("\n".join(terminal_safe(line) for line in runtime.env)))
    labels = annotations_block(runtime.labels)
    if labels is not None:
        facts.add("Labels", labels)


def history_text(entry: HistoryEntry | None) -> Text:
    if entry is None:
        return Text("(no history entry)", style="dim")
    text = safe_text(" ".join((entry.created_by or "").split()) or "(no created_by)")
    if entry.comment:
        text.append(f"  # {terminal_safe(entry.comment)}", style="dim")
    return text


def layers_table(image: ImageManifest, config: ImageConfig | None) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True, style="green")
    table.add_column("created by", overflow="fold")
    history = config.layer_history(len(image.layers)) if config is not None else [None] * len(image.layers)
    for position, (layer, entry) in enumerate(zip(image.layers, history, strict=False), 1):
        table.add_row(str(position), f"{layer.size:,}", history_text(entry))
    return table


def heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold underline")


def manifest_renderables(manifest: Manifest, config: ImageConfig | None) -> list[RenderableType]:
    out: list[RenderableType] = []
    if isinstance(manifest, ImageIndex):
        facts = Facts()
        facts.add("Platforms", str(len(manifest.platforms)))
        if manifest.attestations:
            facts.add("Attestations", str(len(manifest.attestations)))
        out.append(facts.table)
    elif isinstance(manifest, ImageManifest):
        facts = Facts()
        count = len(manifest.layers)
        facts.add("Layers", f"{count}, {exact_size(manifest.compressed_size)}")
        if manifest.is_artifact:
            facts.add("Artifact type", manifest.effective_artifact_type)
        if manifest.subject is not None:
            facts.add("Refers to", safe_text(manifest.subject.digest, style="cyan"))
        if config is not None:
            config_facts(facts, config)
        out.append(facts.table)
        if manifest.layers:
            out += [heading("Layers and the history lines that made them"), layers_table(manifest, config)]
    block = annotations_block(getattr(manifest, "annotations", None))
    if block is not None:
        out += [heading("Annotations"), block]
    return out


def node_renderable(data: NodeData, display) -> RenderableType:
    """`display` makes an error line showable (the app's `shown`: names masked, escaped)."""
    parts: list[RenderableType] = []
    facts = Facts()
    kind = data.kind
    if data.error is not None:
        parts.append(Text(display(str(data.error)), style="red"))
    if kind in ("root", "entry"):
        title = "Manifest" if kind == "root" else ("Attestation manifest" if data.descriptor and data.descriptor.is_attestation else "Platform manifest")
        parts.insert(0, Text(title, style="bold reverse"))
        if data.descriptor is not None:
            descriptor_facts(facts, data.descriptor)
            parts.append(facts.table)
            block = annotations_block(data.descriptor.annotations)
            if block is not None:
                parts += [heading("Descriptor annotations"), block]
        if data.manifest is not None:
            parts += manifest_renderables(data.manifest, data.config)
        elif kind == "entry" and data.error is None:
            parts.append(Text("\nExpand it (Enter) to load its config and layers.", style="dim"))
    elif kind == "config":
        parts.append(Text("Image config" if data.config is not None else "Config", style="bold reverse"))
        assert data.descriptor is not None
        descriptor_facts(facts, data.descriptor)
        if data.config is not None:
            config_facts(facts, data.config)
            facts.add("History", f"{len(data.config.history)} entries")
        parts.append(facts.table)
    elif kind == "layer":
        parts.append(Text(f"Layer {data.layer_index}", style="bold reverse"))
        assert data.descriptor is not None
        descriptor_facts(facts, data.descriptor)
        if data.history is not None:
            facts.add("Created", data.history.created)
        facts.add("Created by", history_text(data.history))
        parts.append(facts.table)
        block = annotations_block(data.descriptor.annotations)
        if block is not None:
            parts += [heading("Annotations"), block]
    elif kind == "total" and isinstance(data.manifest, ImageManifest):
        image = data.manifest
        parts.append(Text("Total", style="bold reverse"))
        facts.add("Layers", str(len(image.layers)))
        facts.add("Compressed", exact_size(image.compressed_size))
        if image.config is not None:
            facts.add("With config", exact_size(image.compressed_size + image.config.size))
        parts.append(facts.table)
    elif kind == "attestations":
        parts.append(Text("Attestations", style="bold reverse"))
        parts.append(Text("Provenance and SBOM manifests that buildkit attached to the platforms above. "
                          "They are not runnable images."))
    elif kind in ("info", "loading"):
        parts.append(Text(data.text or "loading…", style="dim"))
    return Group(*parts)


def tag_renderable(registry: str, repository: str, tag: str, info: TagInfo | Exception | None, display) -> RenderableType:
    """`display` makes outside text showable (the app's `shown`)."""
    facts = Facts()
    parts: list[RenderableType] = [Text("Tag", style="bold reverse"), facts.table]
    facts.add("Reference", display(f"{registry}/{repository}:{tag}"))
    if info is None:
        facts.add("Digest", Text("resolving…", style="dim"))
    elif isinstance(info, Exception):
        parts.append(Text(display(str(info)), style="red"))
    else:
        facts.add("Digest", safe_text(info.digest, style="cyan"))
        facts.add("Kind", info.kind)
        facts.add("Media type", media_type_text(info.manifest.media_type))
        facts.add("Size", exact_size(info.manifest.size))
        manifest = info.manifest
        if isinstance(manifest, ImageIndex):
            facts.add("Platforms", Text("\n".join(
                terminal_safe(d.platform.label if d.platform else d.digest) for d in manifest.platforms)))
        elif isinstance(manifest, ImageManifest):
            facts.add("Layers", f"{len(manifest.layers)}, {exact_size(manifest.compressed_size)}")
        parts.append(Text("\nEnter opens its manifest tree.", style="dim"))
    return Group(*parts)


class DetailPane(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pane")
        self.data: NodeData | None = None
        self.renderable: RenderableType | None = None

    def compose(self):
        yield Static(Text("Highlight a tag or a tree node to see its details.", style="dim"), id="detail-body")

    def on_mount(self) -> None:
        self.border_title = "Details"

    def show(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self.query_one("#detail-body", Static).update(renderable)
        self.scroll_home(animate=False)

    def plain_text(self, width: int = 200) -> str:
        """What the pane says, as plain text (for tests and debugging)."""
        from rich.console import Console

        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        if self.renderable is not None:
            console.print(self.renderable)
        return console.export_text()

    def show_node(self, data: NodeData | None) -> None:
        self.data = data
        if data is None:
            return
        self._show_safely(node_renderable, data, app_of(self).shown)

    def show_tag(self, registry: str, repository: str, tag: str, info: TagInfo | Exception | None) -> None:
        self.data = None
        self._show_safely(tag_renderable, registry, repository, tag, info, app_of(self).shown)

    def _show_safely(self, build, *args) -> None:
        """Odd data the renderers did not expect is a bug: one line here, not the app's end."""
        try:
            renderable = build(*args)
        except Exception as error:
            renderable = Text(app_of(self).failure_line(error), style="red")
        self.show(renderable)
