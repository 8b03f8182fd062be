"""The detail pane: everything about the highlighted tree node (or tag), with exact byte sizes."""

from __future__ import annotations

import io

from rich.console import Group, RenderableType
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.ui.taginfo import TagInfo
from acrbrowse.ui.tree.facts import Facts, banner, exact_size, media_type_text
from acrbrowse.ui.tree.nodes import TreeItem
from acrbrowse.ui.typed_app import app_of


def tag_renderable(registry: str, repository: str, tag: str, info: TagInfo | Exception | None, display) -> RenderableType:
    """`display` makes outside text showable (the app's `shown`)."""
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

    def show_node(self, item: TreeItem | None) -> None:
        if item is None:
            return
        self._show_safely(item.details, app_of(self).shown)

    def show_tag(self, registry: str, repository: str, tag: str, info: TagInfo | Exception | None) -> None:
        self._show_safely(tag_renderable, registry, repository, tag, info, app_of(self).shown)

    def _show_safely(self, build, *args) -> None:
        """Odd data the renderers did not expect is a bug: one line here, not the app's end."""
        try:
            renderable = build(*args)
        except Exception as error:
            renderable = Text(app_of(self).failure_line(error), style="red")
        self.show(renderable)
