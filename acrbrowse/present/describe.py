"""What an image is made of (its config, each layer, the total), described once for every view:
the UI tree's labels, the detail pane's layers table and the CLI's text tree style these facts
differently but say the same thing. Every string here from a registry is already terminal-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import Descriptor, HistoryEntry, ImageConfig, ImageManifest
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.units import human_size

LABEL_LIMIT = 200  # characters of one registry string in a label (an annotation can be megabytes)


def bounded(text: str) -> str:
    """`text` terminal-safe and cut to LABEL_LIMIT. Cutting first gives the same result (an escape
    is never shorter than what it escapes) without escaping megabytes to show 200 characters."""
    return terminal_safe(text[: LABEL_LIMIT + 1], LABEL_LIMIT)


def layer_count(count: int) -> str:
    return f"{count} layer{'s' * (count != 1)}"


def layer_note(layer: Descriptor) -> str | None:
    """What sets a layer apart, if anything: its in-toto predicate, being foreign, an unusual type;
    terminal-safe."""
    predicate = layer.annotations.get(mt.IN_TOTO_PREDICATE_ANNOTATION)
    if predicate:
        return bounded(predicate)
    if layer.is_foreign:
        return "(foreign layer)"
    if not layer.media_type.startswith(("application/vnd.oci.image.layer", "application/vnd.docker.image.rootfs")):
        return bounded(layer.media_type)
    return None


def config_note(config: Descriptor) -> str | None:
    """A config that is not an image's (an artifact's, a Helm chart's) says its media type; terminal-safe."""
    return None if mt.is_image_config(config.media_type) else bounded(config.media_type)


@dataclass(frozen=True)
class BlobFacts:
    """The config or one layer of an image."""

    name: str  # "config", "layer 3"
    descriptor: Descriptor
    note: str | None = None  # terminal-safe
    position: int | None = None  # a layer's, from 1
    history: HistoryEntry | None = None  # the history entry that made a layer, when the config says

    @property
    def digest(self) -> str:
        return self.descriptor.digest

    @property
    def size(self) -> int:
        return self.descriptor.size

    @property
    def is_foreign(self) -> bool:
        return self.descriptor.is_foreign

    @property
    def created_by(self) -> str:
        """The history line that made the layer, on one line; terminal-safe."""
        if self.history is None:
            return "(no history entry)"
        return terminal_safe(" ".join((self.history.created_by or "").split()) or "(no created_by)")

    @property
    def comment(self) -> str | None:
        """The history entry's comment; terminal-safe."""
        comment = self.history.comment if self.history is not None else None
        return terminal_safe(comment) if comment else None

    @property
    def line(self) -> str:
        """'layer 2  sha256:…  1.5 kB  note', as the CLI prints it; terminal-safe."""
        text = f"{self.name}  {terminal_safe(self.digest)}  {human_size(self.size)}"
        return text + (f"  {self.note}" if self.note else "")


@dataclass(frozen=True)
class TotalFacts:
    layers: int
    compressed: int  # the layers' sizes added up: what a pull downloads
    config_size: int | None

    @property
    def summary(self) -> str:
        """'3 layers, 2.5 MB'"""
        return f"{layer_count(self.layers)}, {human_size(self.compressed)}"

    @property
    def line(self) -> str:
        return f"total  {self.summary}"


def image_total(image: ImageManifest) -> TotalFacts:
    return TotalFacts(len(image.layers), image.compressed_size, image.config.size if image.config is not None else None)


@dataclass(frozen=True)
class ImageFacts:
    config: BlobFacts | None
    layers: tuple[BlobFacts, ...]
    total: TotalFacts

    @property
    def blobs(self) -> tuple[BlobFacts, ...]:
        """The config (if any), then the layers: the order every view lists them in."""
        return ((self.config,) if self.config is not None else ()) + self.layers


def describe_image(image: ImageManifest, config: ImageConfig | None = None) -> ImageFacts:
    """The facts about `image`'s config, layers and total; `config` (when fetched) gives each
    layer the history entry that made it."""
    count = len(image.layers)
    history = config.layer_history(count) if config is not None else [None] * count
    name = "blob" if image.is_artifact_manifest else "layer"  # an artifact manifest lists `blobs`
    layers = tuple(BlobFacts(f"{name} {position}", layer, layer_note(layer), position, entry)
                   for position, (layer, entry) in enumerate(zip(image.layers, history, strict=True), 1))
    blob = image.config
    return ImageFacts(BlobFacts("config", blob, config_note(blob)) if blob is not None else None, layers,
                      image_total(image))


@dataclass(frozen=True)
class IndexTotal:
    """What an index's platforms add up to, from the platform manifests fetched so far."""

    platforms: int  # runnable platforms listed (attestations apart)
    known: int  # of which the manifest came
    compressed: int  # the known platforms' layers added up
    largest: tuple[str, int] | None  # (label, compressed size) of the largest known platform

    @property
    def complete(self) -> bool:
        return self.known == self.platforms


def index_total(platforms: Sequence[tuple[str, ImageManifest | None]]) -> IndexTotal:
    """`platforms`: (label, its image manifest if fetched) for each runnable platform of an index."""
    known = [(label, image.compressed_size) for label, image in platforms if image is not None]
    largest = max(known, key=lambda pair: pair[1]) if known else None
    return IndexTotal(len(platforms), len(known), sum(size for _, size in known), largest)
