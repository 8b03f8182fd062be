"""The detail pane: everything about the highlighted tree node (or tag), with exact byte sizes."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.oci.source import TagMetadata
from acrbrowse.oci.walk import ImageNode, fill_nodes
from acrbrowse.present.describe import IndexTotal, index_total
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.times import iso_time, relative_time
from acrbrowse.present.units import human_size, short_digest
from acrbrowse.ui.taginfo import Attached, TagHead, TagInfo, TagRow, image_size, kind_cell
from acrbrowse.ui.tree.facts import Facts, banner, exact_size, index_size_facts, media_type_text
from acrbrowse.ui.tree.nodes import RootItem, TreeItem
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.waiting import Wait
from acrbrowse.ui.widgets.manifest_tree import ManifestTree
from acrbrowse.ui.widgets.tags import TagsPane


def _time_text(when: datetime) -> str:
    return f"{iso_time(when.replace(microsecond=0))}  ({relative_time(when)})"


def listed_facts(facts: Facts, listed: TagMetadata) -> None:
    """What the registry's listing said of the tag: times, locks, DCT, its own size."""
    if listed.pushed is not None:
        facts.add("Pushed", _time_text(listed.pushed))
    if listed.created is not None:
        facts.add("Created", _time_text(listed.created))
    if listed.changeable is not None:
        facts.add("Locked", Text("yes: write or delete disabled", style="yellow") if listed.locked else "no")
    if listed.signed is not None:
        facts.add("Signed (DCT)", Text("yes: Docker Content Trust", style="yellow") if listed.signed else "no")
    if listed.size is not None:
        facts.add("Registry's size", Text(human_size(listed.size)).append("  as the registry counts it", style="dim"))


def tag_renderable(registry: str, repository: str, tag: str, info: TagRow | None, display,
                   total: IndexTotal | None = None, waiting: Callable[[str], Text] | None = None, *,
                   listed: TagMetadata | None = None, counts_pulls: bool = False,
                   attached: list[Attached] | None = None) -> RenderableType:
    """`display` makes outside text showable (the app's `shown`); `total`, an index's platforms added
    up, once their manifests came; `waiting(what)`, how a wait reads now (with its elapsed time);
    `listed`, what the registry's listing said of the tag; `counts_pulls`, Docker Hub (an index's
    platforms are not added up: each platform's manifest would be a pull); `attached`, the signatures,
    SBOMs and attestations its tags name as being about this one (or its platforms)."""

    def pending(what: str) -> Text:
        text = waiting(what) if waiting is not None else Text(f"{what}…")
        text.stylize("dim")
        return text

    facts = Facts()
    parts: list[RenderableType] = [banner("Tag"), facts.table]
    facts.add("Reference", display(f"{registry}/{repository}:{tag}"))
    if info is None and listed is not None and listed.digest is not None:
        facts.add("Digest", safe_text(listed.digest, style="cyan"))
        facts.add("Kind", pending("resolving"))
    elif info is None:
        facts.add("Digest", pending("resolving"))
    elif isinstance(info, Exception):
        parts.append(Text(display(str(info)), style="red"))
    elif isinstance(info, TagHead):
        facts.add("Digest", safe_text(info.digest, style="cyan"))
        facts.add("Kind", safe_text(kind_cell(info)))
        facts.add("Media type", media_type_text(info.media_type))
    if isinstance(info, TagHead):
        parts.append(Text("\nEach manifest read here is a pull of the registry's quota: only the tag you "
                          "open is read. Enter opens its manifest tree.", style="dim"))
    elif isinstance(info, TagInfo):
        facts.add("Digest", safe_text(info.digest, style="cyan"))
        facts.add("Kind", safe_text(info.glance.label))
        facts.add("Media type", media_type_text(info.manifest.media_type))
        manifest = info.manifest
        if isinstance(manifest, ImageIndex):
            facts.add("Platforms", Text("\n".join(
                terminal_safe(d.platform.label if d.platform else d.digest) for d in manifest.platforms)))
            if total is not None:
                index_size_facts(facts, total)
            elif counts_pulls:
                facts.add("All platforms", Text("not added up: each platform's manifest is a pull here", style="dim"))
            else:
                facts.add("All platforms", pending("adding up"))
        elif isinstance(manifest, ImageManifest):
            facts.add("Layers", f"{len(manifest.layers)}, {exact_size(manifest.compressed_size)}")
            facts.add("Artifact size" if manifest.is_artifact else "Image size",
                      Text(exact_size(image_size(manifest))).append("  layers, compressed", style="dim"))
        what = "the index's own JSON" if isinstance(manifest, ImageIndex) else "the manifest's own JSON"
        facts.add("Manifest size", Text(exact_size(manifest.size)).append(f"  {what}", style="dim"))
        if manifest.announced_digest is not None:
            facts.add("Warning", Text(f"the registry announced {display(manifest.announced_digest)}; shown by "
                                      "the digest of what was received", style="yellow"))
        parts.append(Text("\nEnter opens its manifest tree.", style="dim"))
    if attached:
        facts.add("Attached", attached_text(attached))
    if listed is not None:
        listed_facts(facts, listed)
    return Group(*parts)


def attached_text(attached: list[Attached]) -> Text:
    """"signature (cosign), SBOM, attestation" and, a line each, the tags that say so (hidden in the
    tags table until `a`)."""
    text = Text(", ".join(dict.fromkeys(a.label for a in attached)))
    for tag in dict.fromkeys(a.tag for a in attached):
        text.append("\n")
        text.append_text(safe_text(tag, style="dim"))
    return text


NOTHING_HIGHLIGHTED = "Highlight a tag or a tree node to see its details."

ALSO_TAGGED_CAP = 300  # up to this many tags, the ones not resolved yet are resolved (a HEAD each) to tell
ALSO_TAGGED_CONCURRENCY = 6
ALSO_TAGGED_SHOWN = 12  # names listed; the rest counted
ALSO_TAGGED_PAINT_EVERY = 25  # checks between repaints while checking


@dataclass
class AlsoTagged:
    """The other tags of a repository that point at a tag's digest, as far as they are known."""

    registry: str
    repository: str
    tag: str
    digest: str
    names: list[str] = field(default_factory=list)
    checking: int = 0  # tags being resolved now
    unchecked: int = 0  # tags not resolved, the repository being over the cap
    total: int | None = None  # the repository's tags, when the tags pane listed them all

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.registry, self.repository, self.tag, self.digest

    def text(self, display) -> Text:
        """One line: the names (made showable), then what is still unknown."""
        text = Text("Also tagged as ", style="bold")
        names = sorted(self.names)
        if names:
            for index, name in enumerate(names[:ALSO_TAGGED_SHOWN]):
                text.append(", " if index else "")
                text.append(display(name), style="bold")
            if len(names) > ALSO_TAGGED_SHOWN:
                text.append(f" and {len(names) - ALSO_TAGGED_SHOWN:,} more")
        elif not self.checking:
            text.append("no other tag", style="dim")
        if self.checking:
            text.append(f"  checking {self.checking:,} more tag{'s' * (self.checking != 1)}…", style="dim")
        elif self.unchecked and self.total is not None:
            checked = self.total - self.unchecked
            text.append(f"  ({checked:,} of {self.total:,} tags checked)", style="dim")
        return text


def same_digest(entries: dict[str, TagRow], digest: str, tag: str) -> list[str]:
    """The tags resolved to `digest`, `tag` left out."""
    return [name for name, entry in entries.items()
            if name != tag and isinstance(entry, TagInfo | TagHead) and entry.digest == digest]

class DetailPane(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pane")
        self.renderable: RenderableType | None = None
        self.showing: tuple[str, str, str] | None = None  # the tag shown (registry, repository, tag), if one is
        self._base: RenderableType | None = None  # what the pane shows, "also tagged as" aside
        self.also: AlsoTagged | None = None
        # Tags resolved here with a HEAD, per (registry, repository), for one listing of its tags.
        self._heads: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
        # A tag's digest or an index's sum on its way: the lines say how long they have waited.
        self._wait = Wait(self, self._repaint_wait)
        self._waiting_tag: tuple | None = None  # tag_renderable's arguments while it waits

    def compose(self):
        yield Static(Text(NOTHING_HIGHLIGHTED, style="dim"), id="detail-body")

    def on_mount(self) -> None:
        self.border_title = "Details"

    def clear(self) -> None:
        self._stop_wait()
        self._stop_also()
        self.show(Text(NOTHING_HIGHLIGHTED, style="dim"))

    def show(self, renderable: RenderableType) -> None:
        self._base = renderable
        self._paint()
        self.scroll_home(animate=False)

    def _paint(self) -> None:
        renderable = self._base
        if renderable is None:
            return
        if self.also is not None:
            renderable = Group(renderable, Text(""), self.also.text(app_of(self).shown))
        self.renderable = renderable
        body = self.query_one_optional("#detail-body", Static)
        if body is None:  # a late answer while the app closes: the pane is already taken down
            return
        body.update(renderable)

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
        self._stop_wait()
        self.showing = None
        self._also_for_root(item)
        self._show_safely(item.details, app_of(self).shown)

    def show_tag(self, registry: str, repository: str, tag: str, info: TagRow | None) -> None:
        if isinstance(info, TagInfo | TagHead):
            self._start_also(registry, repository, tag, info.digest)
        else:
            self._stop_also()
        self.showing = (registry, repository, tag)
        add_up = isinstance(info, TagInfo) and isinstance(info.manifest, ImageIndex) and not app_of(self).counts_pulls(registry)
        if info is None or add_up:
            self._start_wait((registry, repository, tag, info, app_of(self).shown, None))
        else:
            self._stop_wait()
        self._show_tag(registry, repository, tag, info)
        if add_up:
            assert isinstance(info, TagInfo)
            self._add_up(registry, repository, info)

    def _tag_view(self, registry: str, repository: str, tag: str, *args) -> RenderableType:
        """tag_renderable, with what the listing said of the tag and whether reads are pulls."""
        cache = app_of(self).tag_cache
        listed = cache.listed(registry, repository).get(tag)
        rows = cache.of(registry, repository)
        attached = cache.attachments(registry, repository).attached(rows.get(tag), rows)
        return tag_renderable(registry, repository, tag, *args, listed=listed,
                              counts_pulls=app_of(self).counts_pulls(registry), attached=attached)

    def _show_tag(self, *args) -> None:
        if self._wait.active:
            self._show_safely(self._tag_view, *args, app_of(self).shown, None, self._waiting_line)
        else:
            self._show_safely(self._tag_view, *args, app_of(self).shown)

    def _waiting_line(self, what: str) -> Text:
        return self._wait.text(what, cancellable=False)  # the pane's request is the list's or the tree's

    def _start_wait(self, arguments: tuple) -> None:
        same = self._waiting_tag is not None and self._waiting_tag[:3] == arguments[:3] and self._wait.active
        self._waiting_tag = arguments
        if not same:  # the same tag again (its digest came, its sum is on its way): the clock runs on
            self._wait.stop()
            self._wait.start()

    def _stop_wait(self) -> None:
        self._waiting_tag = None
        self._wait.stop()

    def _repaint_wait(self) -> None:
        """Every tick of a wait: the waiting line again (only once past SHOW_AFTER does it change)."""
        arguments = self._waiting_tag
        if arguments is None or self.showing != arguments[:3]:
            self._stop_wait()
            return
        if self._wait.shows_progress():
            registry, repository, tag, info = arguments[:4]
            scroll = self.scroll_y
            self._show_tag(registry, repository, tag, info)
            self.scroll_to(y=scroll, animate=False)

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
            self._stop_wait()
            self._show_safely(self._tag_view, registry, repository, info.tag, info, app_of(self).shown, total)

    def _show_safely(self, build, *args) -> None:
        """Odd data the renderers did not expect is a bug: one line here, not the app's end."""
        try:
            renderable = build(*args)
        except Exception as error:
            renderable = Text(app_of(self).failure_line(error), style="red")
        self.show(renderable)

    # ---- also tagged as ----------------------------------------------------------------------

    def _also_for_root(self, item: TreeItem) -> None:
        """The tree's root opened by a tag shares "also tagged as" with the tag's own details."""
        tree = next(iter(self.screen.query(ManifestTree)), None) if self.is_attached else None
        manifest = item.manifest if isinstance(item, RootItem) else None
        if (tree is None or manifest is None or tree.root.data is not item or tree.repository is None
                or tree.reference is None or ":" in tree.reference):
            self._stop_also()
            return
        self._start_also(tree.registry, tree.repository, tree.reference, manifest.digest)

    def _listed_tags(self, registry: str, repository: str) -> tuple[int, list[str]] | None:
        """(the listing's generation, every tag of the repository), once the tags pane has listed
        them all; else None."""
        if not self.is_attached:
            return None
        for pane in self.screen.query(TagsPane):
            if pane.registry == registry and pane.repository == repository and pane.complete:
                return pane.generation, pane.tags
        return None

    def tags_listed(self, registry: str, repository: str) -> None:
        """The tags pane has every tag of `repository` now: what was said from the resolved ones
        alone is checked against all of them."""
        also = self.also
        if also is not None and (also.registry, also.repository) == (registry, repository) and also.total is None:
            self.also = None
            self._start_also(*also.key)
            self._paint()

    def _stop_also(self) -> None:
        self.also = None
        self.workers.cancel_group(self, "also-tagged")

    def _start_also(self, registry: str, repository: str, tag: str, digest: str) -> None:
        """The other tags known to share `digest`; with at most ALSO_TAGGED_CAP tags, the rest are
        resolved in the background (a HEAD each: cheap, and no pull on Docker Hub's count)."""
        also = self.also
        if also is not None and also.key == (registry, repository, tag, digest):
            if also.unchecked:  # over the cap: the tags pane may have resolved more rows since
                known = app_of(self).tag_cache.of(registry, repository)
                every = (self._listed_tags(registry, repository) or (0, []))[1]
                also.names = same_digest(known, digest, tag)
                also.unchecked = sum(1 for name in every if name not in known and name != tag)
            return  # the same tag again (its size came): a check running goes on
        self._stop_also()
        entries = app_of(self).tag_cache.of(registry, repository)
        also = AlsoTagged(registry, repository, tag, digest, same_digest(entries, digest, tag))
        listing = self._listed_tags(registry, repository)
        if listing is not None:
            generation, listed = listing
            heads = self._heads_for(registry, repository, generation)
            also.names += [name for name, known in heads.items()
                           if known == digest and name != tag and name not in entries]
            unresolved = [name for name in listed if name not in entries and name not in heads and name != tag]
            also.total = len(listed)
            if len(listed) <= ALSO_TAGGED_CAP:
                also.checking = len(unresolved)
            else:
                also.unchecked = len(unresolved)
            self.also = also
            if also.checking:
                self._check(also, unresolved, heads)
        else:
            self.also = also

    def _heads_for(self, registry: str, repository: str, generation: int) -> dict[str, str]:
        """What HEADs told, for this listing of the tags: its generation changes on a load or reload,
        which asks them again (re-ordering the list does not)."""
        key = (registry, repository)
        known = self._heads.get(key)
        if known is None or known[0] != generation:
            known = self._heads[key] = (generation, {})
        return known[1]

    @work(exclusive=True, group="also-tagged")
    async def _check(self, also: AlsoTagged, tags: list[str], heads: dict[str, str]) -> None:
        source = app_of(self).source(also.registry)
        limit = asyncio.Semaphore(ALSO_TAGGED_CONCURRENCY)
        done = 0

        async def one(tag: str) -> None:
            nonlocal done
            async with limit:
                try:
                    digest = (await source.head_manifest(also.repository, tag)).digest
                except Exception:  # a tag that can't be read is not the same image; the tags pane says why
                    digest = ""
            heads[tag] = digest
            also.checking -= 1
            if digest == also.digest:
                also.names.append(tag)
            done += 1
            if self.also is also and (digest == also.digest or done % ALSO_TAGGED_PAINT_EVERY == 0):
                self._paint()

        await asyncio.gather(*(one(tag) for tag in tags))
        if self.also is also:
            self._paint()
