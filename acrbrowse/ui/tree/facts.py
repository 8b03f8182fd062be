"""The detail pane's building blocks: label/value grids of descriptors, configs and manifests, with
exact byte sizes. Every outside string goes in through present.safe: escaped, never markup."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import Descriptor, ImageConfig, ImageIndex, ImageManifest, Manifest
from acrbrowse.present.describe import BlobFacts, IndexTotal, describe_image
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.units import human_size


def exact_size(size: int) -> str:
    return f"{size:,} bytes ({human_size(size)})" if size >= 1000 else f"{size} bytes"


def media_type_text(media_type: str) -> Text:
    described = mt.describe(media_type)
    text = safe_text(described)
    if described != media_type:
        text.append(f"  {terminal_safe(media_type)}", style="dim")
    return text


def section(text: str) -> Text:
    """A section's underlined heading, after a blank line."""
    return Text(f"\n{text}", style="bold underline")


def banner(text: str) -> Text:
    """What the pane is showing: Manifest, Layer 2, Tag."""
    return Text(text, style="bold reverse")


# The label column's width in every facts grid, so values line up down the detail pane.
LABEL_WIDTH = max(len(label) for label in ("Artifact type", "Manifest size", "All platforms", "Working dir"))


class Facts:
    """A two-column grid: label, value. A str value is outside text: escaped, never markup."""

    def __init__(self) -> None:
        self.table = Table.grid(padding=(0, 2))
        self.table.add_column(style="bold", no_wrap=True, min_width=LABEL_WIDTH)
        self.table.add_column(overflow="fold")

    def add(self, label: str, value: RenderableType | str | None) -> None:
        if value is None or value == "":
            return
        self.table.add_row(label, value if not isinstance(value, str) else safe_text(value))


def descriptor_facts(facts: Facts, descriptor: Descriptor, size_label: str = "Size") -> None:
    """`size_label`: what the size is ("Manifest size" for a manifest: its JSON, not the image)."""
    facts.add("Digest", safe_text(descriptor.digest, style="cyan"))
    facts.add("Media type", media_type_text(descriptor.media_type))
    facts.add(size_label, exact_size(descriptor.size))
    if descriptor.platform is not None:
        facts.add("Platform", descriptor.platform.label)
        if descriptor.platform.os_features:
            facts.add("OS features", ", ".join(descriptor.platform.os_features))
    if descriptor.artifact_type:
        facts.add("Artifact type", descriptor.artifact_type)
    for url in descriptor.urls:
        facts.add("URL", url)
    if descriptor.is_attestation and descriptor.reference_type != mt.ATTESTATION_MANIFEST:
        facts.add("Reference type", descriptor.reference_type)  # buildkit's builder image, or another
    if descriptor.is_attestation and descriptor.attests:
        facts.add("Attests" if descriptor.reference_type == mt.ATTESTATION_MANIFEST else "Refers to",
                  safe_text(descriptor.attests, style="cyan"))


def annotations_block(annotations: Mapping[str, str] | None) -> RenderableType | None:
    if not annotations:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="magenta", no_wrap=True)
    grid.add_column(overflow="fold")
    for key in sorted(annotations):
        grid.add_row(safe_text(key), safe_text(annotations[key]))
    return grid


def config_facts(facts: Facts, config: ImageConfig) -> None:
    facts.add("Created", config.created)
    platform = "/".join(p for p in (config.os, config.architecture) if p)
    if config.os_version:
        platform += f" {config.os_version}"
    facts.add("OS / arch", platform or None)
    runtime = config.runtime
    facts.add("Entrypoint", " ".join(runtime.entrypoint) or None)
    facts.add("Cmd", " ".join(runtime.cmd) or None)
    facts.add("Working dir", runtime.working_dir)
    facts.add("User", runtime.user)
    facts.add("Ports", ", ".join(runtime.exposed_ports) or None)
    if runtime.env:
        facts.add("Env", Text("\n".join(terminal_safe(line) for line in runtime.env)))
    labels = annotations_block(runtime.labels)
    if labels is not None:
        facts.add("Labels", labels)


def history_text(layer: BlobFacts) -> Text:
    """The history line that made a layer, and its comment (dimmed)."""
    text = Text(layer.created_by, style="dim" if layer.history is None else "")
    if layer.comment:
        text.append(f"  # {layer.comment}", style="dim")
    return text


def layers_table(image: ImageManifest, config: ImageConfig | None) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True, style="green")
    table.add_column("created by", overflow="fold")
    for layer in describe_image(image, config).layers:
        table.add_row(str(layer.position), f"{layer.size:,}", history_text(layer))
    return table


def index_size_facts(facts: Facts, total: IndexTotal) -> None:
    """The sum over an index's platforms (attestations apart) and its largest platform, as far as known."""
    if total.known == 0:
        return
    text = Text(exact_size(total.compressed))
    text.append("  compressed" if total.complete else f"  compressed, {total.known} of {total.platforms} known",
                style="dim")
    facts.add("All platforms", text)
    if total.largest is not None and total.platforms > 1:
        label, size = total.largest
        facts.add("Largest", Text.assemble(label, "  ", (human_size(size), "green")))


def manifest_renderables(manifest: Manifest, config: ImageConfig | None,
                         facts: Facts | None = None, total: IndexTotal | None = None) -> list[RenderableType]:
    """What a manifest itself says: an index's platforms (and their sizes, from `total`), an image's
    layers and config. Its facts join `facts` when given (a node's one grid), else a grid of their own."""
    out: list[RenderableType] = []
    own = facts is None
    facts = Facts() if facts is None else facts
    if isinstance(manifest, ImageIndex):
        facts.add("Platforms", str(len(manifest.platforms)))
        if manifest.attestations:
            facts.add("Attestations", str(len(manifest.attestations)))
        if manifest.artifact_type:
            facts.add("Artifact type", manifest.artifact_type)
        if manifest.subject is not None:
            facts.add("Refers to", safe_text(manifest.subject.digest, style="cyan"))
        if total is not None:
            index_size_facts(facts, total)
        if own:
            out.append(facts.table)
    elif isinstance(manifest, ImageManifest):
        facts.add("Layers", f"{len(manifest.layers)}, {exact_size(manifest.compressed_size)}")
        if manifest.is_artifact:
            facts.add("Artifact type", manifest.effective_artifact_type)
        if manifest.subject is not None:
            facts.add("Refers to", safe_text(manifest.subject.digest, style="cyan"))
        if config is not None:
            config_facts(facts, config)
        if own:
            out.append(facts.table)
        if manifest.layers:
            out += [section("Layers and the history lines that made them"), layers_table(manifest, config)]
    block = annotations_block(getattr(manifest, "annotations", None))
    if block is not None:
        out += [section("Annotations"), block]
    return out
