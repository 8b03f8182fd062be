"""The detail pane: everything about the highlighted tree node (or tag), with exact byte sizes."""

from __future__ import annotations

import io

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.oci.walk import ImageNode, fill_nodes
from acrbrowse.present.describe import IndexTotal, index_total
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.units import short_digest
from acrbrowse.ui.taginfo import TagInfo, image_size
from acrbrowse.ui.tree.facts import Facts, banner, exact_size, index_size_facts, media_type_text
from acrbrowse.ui.tree.nodes import TreeItem
from acrbrowse.ui.typed_app import app_of


def tag_renderable(registry: str, repository: str, tag: str, info: TagInfo | Exception | None, display,
                   total: IndexTotal | None = None) -> RenderableType:
    """`display` makes outside text showable (the app's `shown`); `total`, an index's platforms added
    up, once their manifests came."""
    facts = Facts()
    parts: list[RenderableType] = [banner("Tag"), facts.table]
    facts.add("Reference", display(f"{registry}/{repository}:{tag}"))
    if info is None:
        facts.add("Digest", Text("resolving…", style="dim"))
    elif isinstance(info, Exception):
        parts.append(Text(display(str(info)), style="red"))
    else:
        facts.add("Digest", safe_text(info.digest, style="cyan"))
        facts.add("Kind", info.kind)
        facts.add("Media type", media_type_text(info.manifest.media_type))
        manifest = info.manifest
        if isinstance(manifest, ImageIndex):
            facts.add("Platforms", Text("\n".join(
                terminal_safe(d.platform.label if d.platform else d.digest) for d in manifest.platforms)))
            if total is not None:
                index_size_facts(facts, total)
            else:
                facts.add("All platforms", Text("adding up…", style="dim"))
        elif isinstance(manifest, ImageManifest):
            facts.add("Layers", f"{len(manifest.layers)}, {exact_size(manifest.compressed_size)}")
            facts.add("Artifact size" if manifest.is_artifact else "Image size",
                      Text(exact_size(image_size(manifest))).append("  layers, compressed", style="dim"))
        what = "the index's own JSON" if isinstance(manifest, ImageIndex) else "the manifest's own JSON"
        facts.add("Manifest size", Text(exact_size(manifest.size)).append(f"  {what}", style="dim"))
        parts.append(Text("\nEnter opens its manifest tree.", style="dim"))
    return Group(*parts)


NOTHING_HIGHLIGHTED = "Highlight a tag or a tree node to see its details."

class DetailPane(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pane")
        self.renderable: RenderableType | None = None
        self.showing: tuple[str, str, str] | None = None  # the tag shown (registry, repository, tag), if one is

    def compose(self):
        yield Static(Text(NOTHING_HIGHLIGHTED, style="dim"), id="detail-body")

    def on_mount(self) -> None:
        self.border_title = "Details"

    def clear(self) -> None:
        self.show(Text(NOTHING_HIGHLIGHTED, style="dim"))

    def show(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        body = self.query_one_optional("#detail-body", Static)
        if body is None:  # a late answer while the app closes: the pane is already taken down
            return
        body.update(renderable)
        self.scroll_home(animate=False)

    def plain_text(self, width: int = 200) -> str:
        """What the pane says, as plain text (for tests and debugging)."""
        from rich.console import Console

        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        if self.renderable is not None:
            console.print(self.renderable)
        return console.export_text()

    def show_node(self, item: TreeItem | None) -> None:
        if item is None:
            return
        self.showing = None
        self._show_safely(item.details, app_of(self).shown)

    def show_tag(self, registry: str, repository: str, tag: str, info: TagInfo | Exception | None) -> None:
        self._show_safely(tag_renderable, registry, repository, tag, info, app_of(self).shown)
        self.showing = (registry, repository, tag)
        if isinstance(info, TagInfo) and isinstance(info.manifest, ImageIndex):
            self._add_up(registry, repository, info)

    @work(exclusive=True, group="tag-size")
    async def _add_up(self, registry: str, repository: str, info: TagInfo) -> None:
        """An index's size is its platforms' sizes: fetch their manifests (bounded, the client keeps
        them), then show the sum if the pane still shows this tag. A failure leaves the sum unknown."""
        assert isinstance(info.manifest, ImageIndex)
        nodes = [ImageNode(entry) for entry in info.manifest.platforms]
        try:
            await fill_nodes(app_of(self).source(registry), repository, nodes, with_configs=False)
        except Exception:  # a bug's odd data: the sum stays unknown (the tree says more)
            nodes = [ImageNode(node.descriptor) for node in nodes]
        total = index_total([(terminal_safe(node.descriptor.platform.label if node.descriptor.platform else
                                            short_digest(node.descriptor.digest)), node.image) for node in nodes])
        if self.showing == (registry, repository, info.tag):
            self._show_safely(tag_renderable, registry, repository, info.tag, info, app_of(self).shown, total)

    def _show_safely(self, build, *args) -> None:
        """Odd data the renderers did not expect is a bug: one line here, not the app's end."""
        try:
            renderable = build(*args)
        except Exception as error:
            renderable = Text(app_of(self).failure_line(error), style="red")
        self.show(renderable)
