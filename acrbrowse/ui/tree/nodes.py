"""The manifest tree's nodes, one class per kind. Each knows its label, what the detail pane shows
for it, what `v` shows raw, what `c` and `C` copy, and (for a manifest) how to fetch its children,
so the tree, the detail pane and the browser ask the node instead of branching on its kind.

Every string from a registry reaches a label or a detail through present.safe: escaped, never markup.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text

from acrbrowse.limits import CONFIG_BYTES
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import (
    Descriptor,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    LegacyManifest,
    Manifest,
)
from acrbrowse.oci.name import validate_digest
from acrbrowse.oci.walk import (
    DEFAULT_CONCURRENCY,
    Budget,
    ImageNode,
    Referrers,
    fill_node,
    fill_nodes,
    index_nodes,
    look_inside_nodes,
)
from acrbrowse.present.describe import (
    BlobFacts,
    IndexTotal,
    TotalFacts,
    bounded,
    describe_image,
    image_total,
    index_total,
    layer_count,
)
from acrbrowse.present.render import kind_text, node_label
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.units import human_size, short_digest
from acrbrowse.ui.tree.facts import (
    Facts,
    annotations_block,
    banner,
    config_facts,
    descriptor_facts,
    exact_size,
    history_text,
    manifest_renderables,
    section,
)

if TYPE_CHECKING:
    from acrbrowse.oci.source import Source

Display = Callable[[object], str]  # makes outside text showable: the app's `shown`
Raw = tuple[str, bytes | str]  # a title and the bytes (or text) `v` shows


def digest_text(digest: str, style: str = "cyan") -> Text:
    return safe_text(short_digest(digest), style=style)


def size_text(size: int, style: str = "green") -> Text:
    return Text(human_size(size), style=style)


def descriptor_raw(descriptor: Descriptor) -> Raw:
    return f"descriptor {descriptor.digest}", json.dumps(descriptor.to_json())


class TreeItem:
    """A node of the manifest tree. By default a leaf with no digest and nothing to show raw."""

    expandable: ClassVar[bool] = False
    fetched = True  # children known (or being fetched): the tree never fetches them twice
    config_error: RegistryError | None = None  # children came, but an image's config did not

    def label(self) -> Text:
        raise NotImplementedError

    def details(self, display: Display) -> RenderableType:
        """What the detail pane shows; `display` makes an error line showable (names masked, escaped)."""
        raise NotImplementedError

    def raw(self) -> Raw | None:
        return None

    @property
    def digest(self) -> str | None:
        """What `c` copies: the node's own digest."""
        return None

    @property
    def manifest_digest(self) -> str | None:
        """What `C` makes pullable: the manifest this node is, or belongs to."""
        return None

    def known_children(self) -> list[TreeItem]:
        """Children there from the start (nothing to fetch)."""
        return []

    async def fetch_children(self, source: Source, repository: str) -> list[TreeItem]:
        """The children, once `fetched` is set; raises (a RegistryError, or a bug) when none came."""
        return self.known_children()

    async def fetch_raw(self, source: Source, repository: str) -> Raw | None:
        """What `v` shows, fetching it if it is not here yet; raises a RegistryError when that fails."""
        return self.raw()

    def failed(self, error: RegistryError) -> None:
        """The fetch raised `error`: the next expand tries again."""
        self.fetched = False

    def files_of(self) -> tuple[ImageManifest, int | None] | None:
        """What `f` opens here: (an image, one of its layers from 0) or (an image, None) for its merged
        filesystem; None where there are no files to show."""
        return None


# ---- manifests: the root and the entries of an index ---------------------------------------


class ManifestItem(TreeItem):
    """A manifest, fetched on first expand: its children are an index's entries or an image's
    config, layers and total."""

    expandable = True
    heading: ClassVar[str] = "Manifest"
    unloaded_hint: ClassVar[str | None] = None  # what the details say before the manifest came

    def __init__(self, manifest: Manifest | None = None) -> None:
        self.manifest = manifest
        self.config: ImageConfig | None = None
        self.entries: list[EntryItem] = []  # an index's platforms and artifacts, once its children came
        self.error: RegistryError | None = None  # nothing came; expanding again retries
        self.fetched = False

    @property
    def descriptor(self) -> Descriptor | None:
        raise NotImplementedError

    @property
    def digest(self) -> str | None:
        return self.descriptor.digest if self.descriptor is not None else None

    @property
    def manifest_digest(self) -> str | None:
        return self.digest

    def raw(self) -> Raw | None:
        if self.manifest is not None:
            return f"manifest {self.manifest.digest}", self.manifest.raw
        return descriptor_raw(self.descriptor) if self.descriptor is not None else None

    def index_total(self) -> IndexTotal | None:
        """For an index whose entries came: what its platforms add up to (attestations apart)."""
        if not isinstance(self.manifest, ImageIndex):
            return None
        runnable = {entry.digest for entry in self.manifest.platforms}
        return index_total([(entry.name, entry.manifest if isinstance(entry.manifest, ImageManifest) else None)
                            for entry in self.entries if entry.digest in runnable])

    def details(self, display: Display) -> RenderableType:
        """One facts grid (the descriptor's, then the manifest's), then each block under its own heading."""
        parts: list[RenderableType] = [banner(self.heading)]
        if self.error is not None:
            parts.append(Text(display(str(self.error)), style="red"))
        facts = Facts()
        if self.descriptor is not None:
            descriptor_facts(facts, self.descriptor, "Manifest size")
        rest = manifest_renderables(self.manifest, self.config, facts, self.index_total()) if self.manifest else []
        if facts.table.row_count:
            parts.append(facts.table)
        block = annotations_block(self.descriptor.annotations) if self.descriptor is not None else None
        if block is not None:
            parts += [section("Descriptor annotations"), block]
        parts += rest
        if self.manifest is None and self.error is None and self.unloaded_hint:
            parts.append(Text(self.unloaded_hint, style="dim"))
        return Group(*parts)

    async def fetch_raw(self, source: Source, repository: str) -> Raw | None:
        """The manifest itself, fetched by digest when it has not come yet (not kept: expanding fetches it)."""
        if self.manifest is None and self.descriptor is not None:
            manifest = await source.manifest_by_digest(repository, validate_digest(self.descriptor.digest))
            return f"manifest {manifest.digest}", manifest.raw
        return self.raw()

    async def _fill(self, source: Source, repository: str, node: ImageNode) -> list[TreeItem]:
        """The children; for an index, once its platforms' manifests came (concurrently, bounded, as
        the CLI's walk), so each platform line shows its size while collapsed (configs stay lazy).
        The item changes only when everything came."""
        filled = await fill_node(source, repository, node)
        if filled.manifest is None:
            raise filled.error or RegistryError("no manifest came")
        children = manifest_children(filled.manifest, filled.config)
        if isinstance(filled.manifest, (ImageIndex, ImageManifest)):
            children.append(ReferrersGroup(filled.manifest))  # fetched only when expanded
        entries: list[EntryItem] = [child for child in children if isinstance(child, (PlatformEntry, ArtifactEntry))]
        await prefetch_manifests(source, repository, entries)
        self.manifest, self.config, self.config_error = filled.manifest, filled.config, filled.error
        self.error = None
        self.entries = entries
        return children

    def failed(self, error: RegistryError) -> None:
        super().failed(error)
        self.manifest = self.config = None
        self.error = error

    def files_of(self) -> tuple[ImageManifest, int | None] | None:
        return (self.manifest, None) if isinstance(self.manifest, ImageManifest) and self.manifest.layers else None


class RootItem(ManifestItem):
    """The tag or digest at the top of the tree."""

    def __init__(self, reference: str, title: str, manifest: Manifest | None = None) -> None:
        super().__init__(manifest)
        self.reference = reference  # the tag or digest to fetch
        self.title = title  # repository:tag, or repository@short digest

    @property
    def descriptor(self) -> Descriptor | None:
        return self.manifest.descriptor() if self.manifest is not None else None

    def label(self) -> Text:
        text = safe_text(self.title, style="bold")
        manifest = self.manifest
        if manifest is None:
            return text
        text.append(f"  {terminal_safe(mt.describe(manifest.media_type))}", style="dim")
        if isinstance(manifest, ImageIndex):
            count = len(manifest.platforms)
            text.append(f" · {count} platform{'s' * (count != 1)}", style="dim")
        elif isinstance(manifest, ImageManifest):
            if manifest.is_artifact:
                kind = manifest.effective_artifact_type  # none for an empty config without artifactType
                text.append(" · artifact" + (f" {bounded(kind)}" if kind else ""), style="dim")
            text.append("  ")
            text.append(human_size(manifest.compressed_size), style="green")
        return text

    async def fetch_children(self, source: Source, repository: str) -> list[TreeItem]:
        manifest = self.manifest or await source.get_manifest(repository, self.reference)
        return await self._fill(source, repository, ImageNode(manifest.descriptor(), manifest=manifest))


class EntryItem(ManifestItem):
    """An entry of an index, fetched by its digest."""

    unloaded_hint = "\nExpand it (Enter) to load its config and layers."
    label_style: ClassVar[str] = "bold"
    digest_style: ClassVar[str] = "cyan"
    summary_style: ClassVar[str] = ""
    size_style: ClassVar[str] = "green"

    def __init__(self, entry: Descriptor, index: ImageIndex) -> None:
        super().__init__()
        self.entry = entry
        self.index = index  # the index it belongs to: an attestation names its platform from there

    @property
    def descriptor(self) -> Descriptor:
        return self.entry

    @property
    def name(self) -> str:
        """linux/amd64, an artifact's type, 'attestation for …'; terminal-safe."""
        return terminal_safe(node_label(ImageNode(self.entry, manifest=self.manifest), self.index))

    def label(self) -> Text:
        text = Text.assemble((self.name, self.label_style), "  ", digest_text(self.entry.digest, self.digest_style))
        if isinstance(self.manifest, ImageManifest):
            total = image_total(self.manifest)
            text.append(f"  {layer_count(total.layers)}, ", style=self.summary_style)
            text.append(human_size(total.compressed), style=self.size_style)
        return text

    async def fetch_children(self, source: Source, repository: str) -> list[TreeItem]:
        return await self._fill(source, repository, ImageNode(self.entry, manifest=self.manifest))


class PlatformEntry(EntryItem):
    """A runnable image of an index (or an entry that says no more about itself)."""

    heading = "Platform manifest"


class IndexEntry(EntryItem):
    """An index inside the index: expanding it lists its own entries."""

    heading = "Nested index"
    unloaded_hint = "\nExpand it (Enter) to load its entries."


class ArtifactEntry(EntryItem):
    """An entry that names an artifact type and no platform: an SBOM, a signature, a chart."""

    heading = "Artifact manifest"
    unloaded_hint = "\nExpand it (Enter) to load its layers."


class AttestationEntry(EntryItem):
    """Provenance or an SBOM that buildkit attached to another entry: dimmed, it is no image to run."""

    heading = "Attestation manifest"
    label_style = summary_style = "dim"
    digest_style = "dim cyan"
    size_style = "dim green"


def entry_item(entry: Descriptor, index: ImageIndex) -> EntryItem:
    """The entry's kind, as far as its descriptor tells before its manifest is fetched."""
    if entry.is_attestation:
        return AttestationEntry(entry, index)
    if mt.is_index(entry.media_type):
        return IndexEntry(entry, index)
    if entry.platform is None and entry.artifact_type:
        return ArtifactEntry(entry, index)
    return PlatformEntry(entry, index)


async def prefetch_manifests(source: Source, repository: str, entries: Sequence[EntryItem]) -> None:
    """Fetch the entries' manifests (not their configs) with the CLI's bounded walk. One that fails
    stays unloaded: expanding it tries again and says why."""
    nodes = [ImageNode(entry.entry) for entry in entries if entry.manifest is None]
    await fill_nodes(source, repository, nodes, with_configs=False)
    by_digest = {node.descriptor.digest: node.manifest for node in nodes if node.manifest is not None}
    for entry in entries:
        entry.manifest = entry.manifest or by_digest.get(entry.entry.digest)


class AttestationsGroup(TreeItem):
    """An index's attestation entries, gathered under one node after its platforms."""

    expandable = True

    def __init__(self, entries: Sequence[EntryItem]) -> None:
        self.entries = entries

    def label(self) -> Text:
        return Text(f"attestations ({len(self.entries)})", style="dim")

    def details(self, display: Display) -> RenderableType:
        return Group(banner("Attestations"),
                     Text("Manifests that refer to the platforms above (vnd.docker.reference.type): "
                          "buildkit's provenance and SBOMs, builder entries and the like. "
                          "They are not runnable images."))

    def known_children(self) -> list[TreeItem]:
        return list(self.entries)


# ---- what refers to a manifest -------------------------------------------------------------


class ReferrersGroup(TreeItem):
    """What refers to a manifest (signatures, SBOMs, attestations), asked for only when expanded:
    the referrers API, or its tag schema, and cosign's tags (walk.Referrers, as `tree --referrers`)."""

    expandable = True

    def __init__(self, subject: Manifest) -> None:
        self.subject = subject
        self.count: int | None = None  # known once expanded
        self.fetched = False

    def label(self) -> Text:
        return Text("referrers" if self.count is None else f"referrers ({self.count})", style="dim")

    def details(self, display: Display) -> RenderableType:
        text = ("Signatures, SBOMs and attestations that name this manifest as their subject. "
                "Nothing here is verified.")
        if self.count is None:
            text += "\nExpand it (Enter) to ask the registry."
        return Group(banner("Referrers"), Text(text))

    @property
    def manifest_digest(self) -> str | None:
        return self.subject.digest

    async def fetch_children(self, source: Source, repository: str) -> list[TreeItem]:
        lookups = Referrers(source, repository, Budget(), asyncio.Semaphore(DEFAULT_CONCURRENCY), max_depth=1)
        found, error = await lookups.of(self.subject.digest, {self.subject.digest}, 1)
        if error is not None and not found:
            raise error
        await look_inside_nodes(source, repository, found)
        self.count = len(found)
        items: list[TreeItem] = [ReferrerItem(node) for node in found]
        if error is not None:
            items.append(InfoLeaf(str(error), "yellow"))
        return items or [InfoLeaf("none found")]


class ReferrerItem(ManifestItem):
    """A signature, SBOM or attestation: its kind and what a look inside found; expanding it shows
    its layers and its own referrers."""

    heading = "Referrer"
    unloaded_hint = "\nExpand it (Enter) to load its layers."

    def __init__(self, node: ImageNode) -> None:
        super().__init__(node.manifest)
        self.node = node

    @property
    def descriptor(self) -> Descriptor | None:
        return self.node.descriptor

    def label(self) -> Text:
        manifest = self.manifest
        what = kind_text(manifest, self.node.tag) if manifest is not None else self.node.descriptor.artifact_type
        text = Text.assemble((bounded(what or "manifest"), "bold"), "  ", digest_text(self.node.descriptor.digest))
        if self.node.inside is not None and self.node.inside.facts:
            text.append(f"  {bounded(self.node.inside.line)}", style="dim")
        return text

    def details(self, display: Display) -> RenderableType:
        parts: list[RenderableType] = [super().details(display)]
        if self.node.tag:
            parts.append(safe_text(f"Found by cosign's tag {self.node.tag}", "dim"))
        if self.node.inside is not None and self.node.inside.facts:
            parts.append(safe_text(self.node.inside.line))
        return Group(*parts)

    async def fetch_children(self, source: Source, repository: str) -> list[TreeItem]:
        return await self._fill(source, repository, ImageNode(self.node.descriptor, manifest=self.manifest))


# ---- an image's parts ----------------------------------------------------------------------


class PartItem(TreeItem):
    """A part of an image: its config, a layer, the total. `C` copies the image's reference."""

    def __init__(self, image: ImageManifest) -> None:
        self.image = image

    @property
    def manifest_digest(self) -> str | None:
        return self.image.digest

    def files_of(self) -> tuple[ImageManifest, int | None] | None:
        return (self.image, None) if self.image.layers else None


def blob_label(blob: BlobFacts, note_style: str) -> Text:
    label = Text.assemble((blob.name, "bold"), "  ", digest_text(blob.digest), "  ", size_text(blob.size))
    if blob.note:
        label.append(f"  {blob.note}", style=note_style)
    return label


class ConfigItem(PartItem):
    def __init__(self, blob: BlobFacts, image: ImageManifest, config: ImageConfig | None) -> None:
        super().__init__(image)
        self.blob = blob
        self.config = config  # None for an artifact's or an attestation's config (not fetched)

    @property
    def digest(self) -> str | None:
        return self.blob.digest

    def label(self) -> Text:
        return blob_label(self.blob, "dim")

    def details(self, display: Display) -> RenderableType:
        facts = Facts()
        descriptor_facts(facts, self.blob.descriptor)
        if self.config is not None:
            config_facts(facts, self.config)
            facts.add("History", f"{len(self.config.history)} entries")
        return Group(banner("Image config" if self.config is not None else "Config"), facts.table)

    def raw(self) -> Raw | None:
        if self.config is not None:
            return f"config {self.config.digest}", self.config.raw
        return descriptor_raw(self.blob.descriptor)

    async def fetch_raw(self, source: Source, repository: str) -> Raw | None:
        """A config that was not fetched (a Helm chart's, an artifact's, an attestation's) is fetched
        now, up to limits.CONFIG_BYTES; one that is not text says so instead of showing bytes."""
        if self.config is not None:
            return self.raw()
        descriptor = self.blob.descriptor
        if descriptor.size > CONFIG_BYTES:
            raise RegistryError(f"config {short_digest(descriptor.digest)} is {human_size(descriptor.size)}; "
                                f"acrbrowse shows configs up to {human_size(CONFIG_BYTES)}")
        data = await source.get_blob(repository, validate_digest(descriptor.digest), max_bytes=CONFIG_BYTES)
        title = f"config {descriptor.digest}"
        try:
            return title, data.decode("utf-8")
        except UnicodeDecodeError:
            return title, (f"({len(data):,} bytes of binary data, media type {descriptor.media_type}: "
                           "nothing to show as text)")


class LayerItem(PartItem):
    def __init__(self, blob: BlobFacts, image: ImageManifest) -> None:
        super().__init__(image)
        self.blob = blob

    @property
    def digest(self) -> str | None:
        return self.blob.digest

    def label(self) -> Text:
        return blob_label(self.blob, "yellow" if self.blob.is_foreign else "dim")

    def files_of(self) -> tuple[ImageManifest, int | None] | None:
        return (self.image, self.blob.position - 1) if self.blob.position is not None else None

    def details(self, display: Display) -> RenderableType:
        facts = Facts()
        descriptor_facts(facts, self.blob.descriptor)
        if self.blob.history is not None:
            facts.add("Created", self.blob.history.created)
        facts.add("Created by", history_text(self.blob))
        parts: list[RenderableType] = [banner(f"Layer {self.blob.position}"), facts.table]
        block = annotations_block(self.blob.descriptor.annotations)
        if block is not None:
            parts += [section("Annotations"), block]
        if not self.blob.is_foreign:
            parts.append(Text("\nEnter or f lists its files, without pulling the image.", style="dim"))
        return Group(*parts)

    def raw(self) -> Raw | None:
        return descriptor_raw(self.blob.descriptor)


class TotalItem(PartItem):
    def __init__(self, total: TotalFacts, image: ImageManifest) -> None:
        super().__init__(image)
        self.total = total

    def label(self) -> Text:
        return Text.assemble(("total", "bold"), f"  {layer_count(self.total.layers)}, ",
                             (human_size(self.total.compressed), "bold green"))

    def details(self, display: Display) -> RenderableType:
        facts = Facts()
        facts.add("Layers", str(self.total.layers))
        facts.add("Compressed", exact_size(self.total.compressed))
        if self.total.config_size is not None:
            facts.add("With config", exact_size(self.total.compressed + self.total.config_size))
        return Group(banner("Total"), facts.table)

    def raw(self) -> Raw | None:
        return f"manifest {self.image.digest}", self.image.raw


# ---- one-line leaves -----------------------------------------------------------------------


class InfoLeaf(TreeItem):
    """A line that says something about its parent: a legacy manifest, an index cut short."""

    def __init__(self, text: str, style: str = "dim", detail: str | None = None) -> None:
        self.text = text
        self.style = style
        self.detail = text if detail is None else detail  # what the detail pane says, if shorter

    def label(self) -> Text:
        return safe_text(self.text, self.style)

    def details(self, display: Display) -> RenderableType:
        return safe_text(self.detail, "dim")


class LoadingLeaf(TreeItem):
    def label(self) -> Text:
        return Text("loading…", style="italic dim")

    def details(self, display: Display) -> RenderableType:
        return Text("loading…", style="dim")


class ErrorLeaf(TreeItem):
    """What failed under a node, in one line (`line`: the error as the app shows it)."""

    def __init__(self, what: str, error: RegistryError, line: str) -> None:
        self.what = what
        self.error = error
        self.line = line

    def label(self) -> Text:
        return Text(f"{self.what}: {self.line}", style="red")

    def details(self, display: Display) -> RenderableType:
        return Text(self.line, style="red")


# ---- children of a manifest ----------------------------------------------------------------


def image_children(image: ImageManifest, config: ImageConfig | None) -> list[TreeItem]:
    """config, layer 1..n (with the history lines `config` gives), total."""
    facts = describe_image(image, config)
    out: list[TreeItem] = [ConfigItem(facts.config, image, config)] if facts.config is not None else []
    out += [LayerItem(layer, image) for layer in facts.layers]
    out.append(TotalItem(facts.total, image))
    return out


def index_children(index: ImageIndex) -> list[TreeItem]:
    """Its platforms, then its attestations in a group. The same entries, and the same cap, as
    the CLI's tree (walk.index_nodes)."""
    nodes, truncated = index_nodes(index)
    entries = [entry_item(node.descriptor, index) for node in nodes]
    out: list[TreeItem] = [entry for entry in entries if not isinstance(entry, AttestationEntry)]
    attestations = [entry for entry in entries if isinstance(entry, AttestationEntry)]
    if attestations:
        out.append(AttestationsGroup(attestations))
    if truncated is not None:
        out.append(InfoLeaf(str(truncated), "yellow"))
    return out


def manifest_children(manifest: Manifest, config: ImageConfig | None = None) -> list[TreeItem]:
    if isinstance(manifest, ImageIndex):
        return index_children(manifest)
    if isinstance(manifest, ImageManifest):
        return image_children(manifest, config)
    if isinstance(manifest, LegacyManifest):
        text = f"legacy schema 1 manifest, {len(manifest.blob_sums)} layers (sizes unknown)"
    else:
        text = f"{mt.describe(manifest.media_type)}: view it raw with v"
    return [InfoLeaf(text)]
