"""The tags pane: every tag at once (paged in as the registry answers), a filter per repository,
and per row the digest, kind, platform count and compressed size, fetched only for the rows in view
or under the cursor (an index's size needs its platform manifests: fetched for those rows alone).

Where the registry keeps tag times (ACR's /acr/v1), the listing brings each tag's digest, push time,
locks and DCT signature with its name: the rows show them at once, newest first (the sort key
toggles name order). On Docker Hub, where every manifest GET is a pull of a quota, rows resolve
with HEAD alone; the manifest is fetched for the tag a person opens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from acrbrowse.oci import kinds
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.oci.remote.acr import MetadataState
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.source import Source, TagMetadata
from acrbrowse.present.safe import safe_text, terminal_safe
from acrbrowse.present.times import relative_time
from acrbrowse.present.units import human_size, short_digest
from acrbrowse.ui.filtering import FilteredNames, NaturalOrder, NewestFirst, PendingChange
from acrbrowse.ui.keys import TAGS_KEYS, bindings
from acrbrowse.ui.layout import cut
from acrbrowse.ui.taginfo import REFERRERS, Attachments, TagHead, TagInfo, TagRow, image_size, kind_cell
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.waiting import Wait
from acrbrowse.ui.widgets.filtered_pane import FilteredPane, failure_text
from acrbrowse.ui.widgets.virtual_table import PAINT_INTERVAL, Column, VirtualTable

TAG_INFO_CONCURRENCY = 6
RESOLVE_DELAY = 0.08  # let a burst of scrolling settle before asking the registry
TYPING_RESOLVE_DELAY = 0.3  # longer than the gap between keystrokes: no fetches mid-word
# Shown while the listing says more than names (a source that keeps tag times: ACR, Google's).
PUSHED_COLUMN = Column("pushed", "pushed", 15)
MARKS_COLUMN = Column("marks", "marks", 10)  # "locked" (write or delete disabled), "DCT" (Docker Content Trust)
# Shown while the repository holds attached tags: "signed SBOM attested" for the tags they are about.
ATTACHED_COLUMN = Column("attached", "attached", 20)
QUIET_KINDS = frozenset({kinds.ARTIFACT, "manifest", kinds.UNKNOWN, *kinds.ATTACHED})  # dim in the kind column


def tag_marks(listed: TagMetadata | None) -> str:
    """The marks column: locked (the tag cannot be moved or deleted) and DCT-signed."""
    if listed is None:
        return ""
    marks = ["locked"] if listed.locked else []
    if listed.signed:
        marks.append("DCT")
    return " ".join(marks)


def _says_more(meta: TagMetadata) -> bool:
    return meta != TagMetadata(meta.name)


class TagsPane(FilteredPane):
    LISTING_GROUP = "tags"
    BINDINGS = bindings(TAGS_KEYS)

    @dataclass
    class Opened(Message):
        repository: str
        tag: str

    @dataclass
    class Failed(Message):
        repository: str
        error: RegistryError

    @dataclass
    class Loaded(Message):
        repository: str

    @dataclass
    class Highlighted(Message):
        repository: str
        tag: str | None

    COLUMNS = (
        Column("tag", "tag", cut="middle", highlight=True),  # "2024.01…build.1234": a tag's end tells builds apart
        Column("digest", "digest", 19),
        Column("kind", "kind", 10),
        Column("platforms", "platforms", 9, justify="right"),
        Column("size", "size", 9, justify="right"),
    )

    def __init__(self, registry: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pane")
        self.registry = registry
        self.repository: str | None = None
        self.tags: list[str] = []
        self.complete = False
        self.filter_text = ""
        self.failed = False
        self.stopped = False  # Esc cancelled the listing
        self._filters: dict[str, str] = {}  # each repository's filter, as the user left it
        self._wanted_cursor: str | None = None  # the tag to put the cursor on once it arrives
        self.generation = 0
        self._resolve_timer: Timer | None = None
        self._in_flight: set[str] = set()
        self._pending = PendingChange()  # what the table does not show yet
        # The filter's rows, patched as pages arrive (None while there is no filter).
        self._matches: FilteredNames | None = None
        self.wait = Wait(self, self._tick)
        self.newest_first: bool | None = None  # the sort key's choice; None: newest first where times are known
        self.timed = False  # the listing carries push times
        self._order: NaturalOrder | NewestFirst = NaturalOrder()
        # Tags of signatures, SBOMs and attestations (known by name) are hidden unless this is on.
        self.show_attached = False
        self.marked: tuple[str, str] | None = None  # (repository, tag) marked to compare with (m)

    def compose(self) -> ComposeResult:
        # Held, not queried: a worker that wakes while the screen is being taken down still finds them.
        self.message = Static("", id="tag-message", classes="pane-message")
        self.table = VirtualTable(self.COLUMNS, self._render_cell, id="tag-table", empty_text="open a repository")
        self.table.busy_cancellable = True
        yield Input(placeholder="filter tags", id="tag-filter", classes="filter")
        yield self.message
        yield self.table

    def on_mount(self) -> None:
        self.border_title = "Tags"
        self.query_one("#tag-filter").display = False
        self.message.display = False

    @property
    def info(self) -> dict[str, TagRow]:
        assert self.repository is not None
        return app_of(self).tag_cache.of(self.registry, self.repository)

    @property
    def listed(self) -> dict[str, TagMetadata]:
        """What the listing said of each tag beyond its name (times, digest, locks)."""
        assert self.repository is not None
        return app_of(self).tag_cache.listed(self.registry, self.repository)

    @property
    def attachments(self) -> Attachments:
        """The repository's attached tags (cosign's, referrers tags), by their subject's digest."""
        assert self.repository is not None
        return app_of(self).tag_cache.attachments(self.registry, self.repository)

    # ---- rendering -------------------------------------------------------------------------

    def _render_cell(self, tag: str, column: Column) -> Text | str:
        if column.key == "tag":
            if self.marked is not None and self.marked == (self.repository, tag):
                return safe_text(tag, style="bold") + Text(" ◆A", style="bold magenta")
            return safe_text(tag, style="bold")
        if self.repository is None:
            return ""
        listed = self.listed.get(tag)
        if column.key == "pushed":
            return "" if listed is None or listed.pushed is None else relative_time(listed.pushed)
        if column.key == "marks":
            return Text(tag_marks(listed), style="yellow")
        entry = self.info.get(tag)
        if column.key == "attached":
            return Text(" ".join(self.attachments.marks(entry, self.info)), style="green")
        if entry is None or isinstance(entry, Exception):
            if column.key == "digest":
                if isinstance(entry, Exception):
                    return Text("error", style="red")
                if listed is not None and listed.digest is not None:
                    return safe_text(short_digest(listed.digest), style="cyan")
                return Text("…", style="dim")
            if column.key == "size" and listed is not None and listed.size is not None:
                return human_size(listed.size)
            return ""
        if column.key == "digest":
            return safe_text(short_digest(entry.digest), style="cyan")
        if column.key == "kind":
            kind = kind_cell(entry)
            return safe_text(kind, style="dim" if kind in QUIET_KINDS else "")
        if isinstance(entry, TagHead):  # Docker Hub: no manifest, no sizes (each would be a pull)
            if column.key == "size" and listed is not None and listed.size is not None:
                return human_size(listed.size)
            return "–"
        if column.key == "size":
            if isinstance(entry.manifest, ImageManifest) and listed is not None and listed.size is not None:
                return human_size(listed.size)  # the registry's count (config and layers), as before the manifest came
            if entry.size_pending:
                return Text("…", style="dim")
            return "–" if entry.size is None else human_size(entry.size)
        count = entry.platform_count
        return "–" if count is None else str(count)

    # ---- loading ---------------------------------------------------------------------------

    def show_repository(self, repository: str, *, reload: bool = False, cursor: str | None = None) -> None:
        """List `repository`'s tags, with the filter it had when it was left; `cursor`: the tag to
        put the cursor on once it arrives."""
        self._wanted_cursor = cursor
        if repository == self.repository and not reload:
            self._place_cursor()
            return
        self.generation += 1
        if repository != self.repository:
            if self.repository is not None:
                self._filters[self.repository] = self.filter_text
            self.set_filter(self._filters.get(repository, ""))
        self.repository = repository
        if reload:
            app_of(self).tag_cache.clear(self.registry, repository)
        self.timed = False
        self._sync_pushed_column()
        self._sync_attached_column()
        self.tags = []
        self._matches = FilteredNames([], self.filter_text) if self.filter_text else None
        self.complete = False
        self.failed = False
        self.stopped = False
        self._in_flight.clear()
        self.workers.cancel_group(self, "tag-info")
        self.message.display = False
        self.table.empty_text = "no tags"
        self.table.set_keys([])
        self.table.busy = True
        self.wait.start()
        self._update_title()
        self._load(repository, self.generation)

    def reload(self) -> None:
        if self.repository is not None:
            self.show_repository(self.repository, reload=True)

    @work(exclusive=True, group="tags")
    async def _load(self, repository: str, generation: int) -> None:
        # Registries list tags in storage order; a stable, version-aware order reads better (or newest
        # first, where the listing carries times).
        self._order = self._make_order(self.newest_first is True)
        self.tags = self._order.names
        self._pending = PendingChange()  # replaced when the order is (toggled mid-listing)
        self._matches = FilteredNames([], self.filter_text) if self.filter_text else None
        listed = self.listed
        attachments = self.attachments
        painted = 0.0
        try:
            async for page in self._tag_pages(repository):
                if self._stale(generation):
                    return  # the user moved on (or the app is closing); drop the answer
                listed.update((meta.name, meta) for meta in page if _says_more(meta))
                if not self.timed and any(meta.pushed is not None for meta in page):
                    self.timed = True
                    self._sync_pushed_column()
                    if self.newest_first is None and not isinstance(self._order, NewestFirst):
                        self._use_order(newest=True)
                names = [meta.name for meta in page]
                attached = [name for name in names if attachments.add(name)]
                if attached:
                    self._sync_attached_column()
                    if not self.show_attached:
                        hidden = set(attached)
                        names = [name for name in names if name not in hidden]
                self._pending.add(*self._order.add(names))
                if time.monotonic() - painted >= PAINT_INTERVAL:  # the first page at once
                    self._changed(self._pending)
                    painted = time.monotonic()
            if self._stale(generation):
                return
            self._pending.add(*self._order.finish())
            self._changed(self._pending)
        except Exception as exc:  # a registry's error, or a bug: one line in the pane, the app goes on
            if self._stale(generation):
                return
            self._failed(repository, exc)
            return
        self.complete = True
        self.wait.stop()
        self._update_title()
        self.post_message(self.Loaded(repository))
        if self.timed:
            self._load_sizes(repository, generation)

    @work(exclusive=True, group="tag-sizes")
    async def _load_sizes(self, repository: str, generation: int) -> None:
        """ACR: every image's size from /_manifests (a request per 1,000 manifests), so a row shows its
        size before (or without) its manifest is read. An index's own is the size of its JSON: its row
        adds up its platforms instead."""
        app = app_of(self)
        metadata = app.session.registry_metadata(self.registry)
        if metadata.state is not MetadataState.AVAILABLE:
            return
        sizes: dict[str, int] = {}
        try:
            async for page in metadata.manifest_metadata_pages(repository):
                sizes.update((m.digest, m.size) for m in page if m.size is not None and not mt.is_index(m.media_type))
        except RegistryError:  # sizes are a convenience: the rows read them from the manifests instead
            return
        except Exception as exc:  # a bug: logged once
            app.failure_line(exc)
            return
        if self._stale(generation):
            return
        listed = self.listed
        for name, meta in list(listed.items()):
            if meta.digest in sizes and meta.size is None:
                listed[name] = replace(meta, size=sizes[meta.digest])
        self.table.refresh()

    async def _tag_pages(self, repository: str) -> AsyncIterator[list[TagMetadata]]:
        """The tags with what the registry's listing says of them: through ACR's metadata where the
        registry may have it (times, digests, locks), names only elsewhere; then, once, why not."""
        app = app_of(self)
        client = app.source(self.registry)
        if not isinstance(client, RegistryClient):
            async for names in client.tag_pages(repository):
                yield [TagMetadata(name) for name in names]
            return
        metadata = app.session.registry_metadata(self.registry)
        async for page in metadata.tag_metadata_pages(repository):
            yield page
        note = metadata.take_note()
        if note is None or not self.is_attached:
            return
        if metadata.state is MetadataState.REFUSED:  # an ACR that would tell another credential: say it
            app.notify(app.shown(note), title="Tags", markup=False)
        else:  # a registry that keeps no times: nothing amiss, in the run's messages (m) alone
            app.messages.add("information", "Tags", app.shown(note))

    def _make_order(self, newest: bool) -> NaturalOrder | NewestFirst:
        if not newest:
            return NaturalOrder()
        listed = self.listed

        def pushed(name: str) -> datetime | None:
            meta = listed.get(name)
            return None if meta is None else meta.pushed

        return NewestFirst(pushed)

    def _use_order(self, *, newest: bool) -> None:
        """Every tag listed so far in the other order; the filter's rows follow it."""
        order = self._make_order(newest)
        order.add(self._shown(list(dict.fromkeys([*self.tags, *self.attachments.tags]))))
        if self.complete:
            order.finish()
        self._order = order
        self.tags = order.names
        self._pending = PendingChange()
        self._apply_filter()

    def toggle_order(self) -> None:
        """The sort key: name (natural) <-> newest first. Without times, it says why it stays by name."""
        if self.repository is None:
            return
        newest = not isinstance(self._order, NewestFirst)
        if newest and not self.timed:
            app = app_of(self)
            app.notify(app.shown(f"{self.repository}: no push times known here; tags stay in name order"),
                       title="Tags", markup=False)
            return
        self.newest_first = newest
        self._use_order(newest=newest)  # the table keeps the cursor on its tag (set_keys)

    def _shown(self, names: list[str]) -> list[str]:
        """`names` less the attached tags, unless they are shown."""
        if self.show_attached:
            return names
        attached = self.attachments.tags
        return [name for name in names if name not in attached]

    def hidden_count(self) -> int:
        """How many attached tags the table leaves out (0 while they are shown)."""
        if self.repository is None or self.show_attached:
            return 0
        return len(self.attachments.tags)

    def action_toggle_attached(self) -> None:
        self.toggle_attached()

    def toggle_attached(self) -> None:
        """Show or hide the tags of signatures, SBOMs and attestations; the cursor stays on its tag."""
        self.show_attached = not self.show_attached
        if self.repository is None:
            return
        self._use_order(newest=isinstance(self._order, NewestFirst))  # the table keeps the cursor on its tag
        self._schedule_resolve()

    def _sync_attached_column(self) -> None:
        """The attached column shows while the repository holds attached tags."""
        wanted = self.repository is not None and bool(self.attachments.tags)
        if wanted != (ATTACHED_COLUMN in self.table.columns):
            if wanted:
                self.table.columns.append(ATTACHED_COLUMN)
            else:
                self.table.columns.remove(ATTACHED_COLUMN)
            self.table.refresh()

    def _changed(self, pending: PendingChange) -> None:
        """Patch the table with what changed since it was last patched, in proportion to the change,
        never to all the tags."""
        self.table.busy = False
        change = pending.take()
        if change is None:
            return
        start, removed = change
        tail = self.tags[start:]
        if self._matches is not None:
            self.table.splice_keys(*self._matches.patch(removed, tail))
        else:
            self.table.splice_keys(start, tail)
        self._place_cursor()
        self._update_title()

    def _place_cursor(self) -> None:
        wanted = self._wanted_cursor
        if wanted is not None and wanted in self.table.keys:
            self._wanted_cursor = None
            self.table.cursor = self.table.keys.index(wanted)

    def _failed(self, repository: str, error: Exception) -> None:
        self.wait.stop()
        self.table.busy = False
        self.failed = True
        self.message.update(failure_text(app_of(self).failure_line(error)))
        self.message.display = True
        self.table.empty_text = ""
        self.table.set_keys([])
        self._update_title()
        if isinstance(error, RegistryError):
            self.post_message(self.Failed(repository, error))

    def _apply_filter(self, *, typed: bool = False) -> None:
        """The rows for the filter from every tag, changes not yet shown included; a keystroke in the
        filter, from the last query's rows (FilteredNames.typed)."""
        change = self._pending.take()
        previous = self._matches
        if typed and previous is not None and change is not None:
            start, removed = change
            previous.patch(removed, self.tags[start:])  # in step with every tag again
        self.table.highlight_query = self.filter_text
        if self.filter_text:
            known = previous.typed(self.filter_text) if typed and previous is not None else None
            self._matches = known or FilteredNames(self.tags, self.filter_text)
            self.table.set_keys(self._matches.keys)
        else:
            self._matches = None
            self.table.set_keys(self.tags)
        self._update_title()

    def _has_rows(self) -> bool:
        return bool(self.tags)

    def _listing_cancelled(self) -> None:
        self._changed(self._pending)  # pages taken in but not painted yet

    def _tick(self) -> None:
        if self.tags and self.wait.shows_progress():
            self._update_title()  # the spinner after the rows; before them the table shows it

    def on_resize(self) -> None:
        self._update_title()  # the repository name's share of the title follows the width

    def _update_title(self) -> None:
        if self.repository is None:
            self.border_title = "Tags"
            return
        shown, total = len(self.table.keys), len(self.tags)
        count = f"{shown} of {total}" if self.filter_text else f"{total}"
        if self.stopped:
            count = f"{count} (stopped)" if total else "stopped"
        elif not self.complete and not self.message.display:  # more pages to come
            count = f"{count}…" if total else "loading…"
        if self.failed:
            count = "failed"
        elif hidden := self.hidden_count():
            count = f"{count} · {hidden} attached hidden"
        # Text, not str: a str title is markup, and a repository name is the registry's to choose.
        # The count always shows; a long repository name gives up its start, never its end.
        room = max(8, self.size.width - len(f"Tags ·  · {count}") - 6)
        self.border_title = Text("Tags · ") + cut(app_of(self).shown(self.repository), room, "start") + f" · {count}"
        subtitle = Text(f"/{terminal_safe(self.filter_text)}" if self.filter_text else "", end="")
        if self.timed:
            subtitle.append_text(Text(" · ") if subtitle else Text())
            subtitle.append("newest first" if isinstance(self._order, NewestFirst) else "by name")
        if self.tags and self.wait.shows_progress():  # rows are in, more awaited (before them the table says it)
            subtitle.append_text(Text(" · ") if subtitle else Text())
            subtitle.append_text(self.wait.text("loading"))
        self.border_subtitle = subtitle

    # ---- lazy per-row details --------------------------------------------------------------

    @on(VirtualTable.ViewportChanged, "#tag-table")
    def _viewport_changed(self, event: VirtualTable.ViewportChanged) -> None:
        event.stop()
        self._schedule_resolve()

    @on(VirtualTable.Highlighted, "#tag-table")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        if self.repository is not None:
            self.post_message(self.Highlighted(self.repository, event.key))
        self._schedule_resolve()

    def _schedule_resolve(self) -> None:
        if self._resolve_timer is not None:
            self._resolve_timer.stop()
        typing = self.query_one("#tag-filter").has_focus
        self._resolve_timer = self.set_timer(TYPING_RESOLVE_DELAY if typing else RESOLVE_DELAY, self._resolve_visible)

    def _resolve_visible(self) -> None:
        if self.repository is None:
            return
        wanted = []
        cursor = self.table.cursor_key
        client = app_of(self).source(self.registry)
        for tag in ([cursor] if cursor else []) + self.table.visible_keys():
            entry = self.info.get(tag)
            if isinstance(entry, TagHead) and isinstance(client, RegistryClient):
                # Read since (the tree opened it, v showed it): the row has it all now, at no cost.
                known = client.known_manifest(self.repository, entry.digest)
                if known is not None:
                    entry = self.info[tag] = TagInfo(tag, known)
                    self.table.refresh_key(tag)
            unresolved = entry is None or (isinstance(entry, TagInfo) and entry.size_pending
                                           and not entry.platforms_size_failed)
            if unresolved and tag not in wanted:
                wanted.append(tag)
        wanted += [tag for tag in self._unread_referrers() if tag not in wanted]
        if wanted:
            self._resolve(self.repository, self.generation, wanted)

    def _unread_referrers(self) -> list[str]:
        """The referrers tags about rows in view whose index is not read yet (what they list is in it;
        not on Docker Hub, where each read is a pull)."""
        if self.repository is None or app_of(self).counts_pulls(self.registry):
            return []
        info, unread = self.info, []
        for tag in self.table.visible_keys():
            for attached in self.attachments.attached(info.get(tag), info):
                if attached.label == REFERRERS and attached.tag not in info and attached.tag not in unread:
                    unread.append(attached.tag)
        return unread

    @work(exclusive=True, group="tag-info")
    async def _resolve(self, repository: str, generation: int, tags: list[str]) -> None:
        client = app_of(self).source(self.registry)
        limit = asyncio.Semaphore(TAG_INFO_CONCURRENCY)
        info = self.info
        hub = app_of(self).counts_pulls(self.registry)

        def store(tag: str, result: TagRow) -> None:
            info[tag] = result
            if tag in self.attachments.tags:  # its subject's row may have new marks
                self.table.refresh()
            self.table.refresh_key(tag)
            cursor = self.table.cursor_key
            if cursor is not None and (tag == cursor or tag in self.attachments.tags):  # its details may change
                self.post_message(self.Highlighted(repository, cursor))

        async def one(tag: str) -> None:
            async with limit:
                if generation != self.generation:
                    return
                entry = info.get(tag)
                if entry is None:
                    try:
                        entry = (await self._headed(client, repository, tag) if hub
                                 else TagInfo(tag, await client.manifest_for_tag(repository, tag)))
                    except RegistryError as exc:
                        entry = exc
                    except Exception as exc:  # a bug: logged once; the row says "error", the details why
                        entry = RegistryError(app_of(self).failure_line(exc))
                    if self._stale(generation):
                        return
                    store(tag, entry)
            if isinstance(entry, TagInfo) and entry.size_pending:
                if hub:  # the platforms' manifests only if they are here already: no pulls for a size
                    sized = self._known_platforms_size(client, repository, entry)
                else:
                    sized = await self._with_platforms_size(client, repository, entry, limit)
                if not self._stale(generation):
                    store(tag, sized)

        await asyncio.gather(*(one(tag) for tag in tags))
        if not self._stale(generation) and self._unread_referrers():  # rows just read are about some
            self._schedule_resolve()

    @staticmethod
    async def _headed(client: Source, repository: str, tag: str) -> TagInfo | TagHead:
        """Docker Hub: a tag resolved by HEAD (no pull); the manifest if it was read before."""
        assert isinstance(client, RegistryClient)
        head = await client.head_manifest(repository, tag)
        known = client.known_manifest(repository, head.digest)
        return TagInfo(tag, known) if known is not None else TagHead(tag, head)

    @staticmethod
    def _known_platforms_size(client: Source, repository: str, entry: TagInfo) -> TagInfo:
        assert isinstance(entry.manifest, ImageIndex) and isinstance(client, RegistryClient)
        sizes = [client.known_manifest(repository, d.digest) for d in entry.manifest.platforms]
        if not sizes or not all(isinstance(m, ImageManifest) for m in sizes):
            return replace(entry, platforms_size_failed=True)
        return replace(entry, platforms_size=sum(image_size(m) for m in sizes if isinstance(m, ImageManifest)))

    async def _with_platforms_size(self, client: Source, repository: str, entry: TagInfo,
                                   limit: asyncio.Semaphore) -> TagInfo:
        """The index's size, from its platform manifests (the client caches them by digest, so the
        tree reads them again for free); unknown when one can't be read or is not an image."""
        assert isinstance(entry.manifest, ImageIndex)

        async def size_of(digest: str) -> int | None:
            async with limit:
                manifest = await client.manifest_by_digest(repository, digest)
            return image_size(manifest) if isinstance(manifest, ImageManifest) else None

        platforms = entry.manifest.platforms
        try:
            sizes = await asyncio.gather(*(size_of(d.digest) for d in platforms))
        except RegistryError:  # the row says "–"; the tree says why when the platform is opened
            return replace(entry, platforms_size_failed=True)
        except Exception as exc:  # a bug: logged once, and the row says "–"
            app_of(self).failure_line(exc)
            return replace(entry, platforms_size_failed=True)
        if not platforms or any(size is None for size in sizes):
            return replace(entry, platforms_size_failed=True)
        return replace(entry, platforms_size=sum(size for size in sizes if size is not None))

    def _sync_pushed_column(self) -> None:
        """The pushed and marks columns show only while the listing carries times."""
        if self.timed != (PUSHED_COLUMN in self.table.columns):
            if self.timed:
                self.table.columns.extend((PUSHED_COLUMN, MARKS_COLUMN))
            else:
                self.table.columns.remove(PUSHED_COLUMN)
                self.table.columns.remove(MARKS_COLUMN)
            self.table.refresh()

    async def info_for(self, tag: str) -> TagInfo:
        """The tag's info with its manifest, fetched now if the table has not got to it or resolved
        it by HEAD alone (on Docker Hub: the one pull a person asked for); raises RegistryError."""
        assert self.repository is not None
        entry = self.info.get(tag)
        if isinstance(entry, TagInfo):
            return entry
        source = app_of(self).source(self.registry)
        if isinstance(entry, TagHead):
            manifest = await source.manifest_by_digest(self.repository, entry.digest)
        else:
            manifest = await source.manifest_for_tag(self.repository, tag)
        entry = TagInfo(tag, manifest)
        self.info[tag] = entry
        if self.is_attached:
            self.table.refresh_key(tag)
        return entry

    async def digest_for(self, tag: str) -> str:
        """The tag's digest: known from its row, else a HEAD (no pull on Docker Hub); raises RegistryError."""
        assert self.repository is not None
        entry = self.info.get(tag)
        if isinstance(entry, (TagInfo, TagHead)):
            return entry.digest
        return (await app_of(self).source(self.registry).head_manifest(self.repository, tag)).digest

    def settled(self) -> bool:
        """Every row shown has its details, sizes included (what a snapshot waits for)."""
        if self.repository is None:
            return True
        info = self.info
        for tag in self.table.keys:
            entry = info.get(tag)
            if entry is None or (isinstance(entry, TagInfo) and entry.size_pending):
                return False
        return True

    def _stale(self, generation: int) -> bool:
        """An answer is stale once the user moved on, or once the pane left the screen."""
        return generation != self.generation or not self.is_attached

    # ---- filter and selection --------------------------------------------------------------

    @on(VirtualTable.Selected, "#tag-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        if self.repository is not None:
            self.post_message(self.Opened(self.repository, event.key))

    def show_marked(self, marked: tuple[str, str] | None) -> None:
        """The (repository, tag) marked to compare with gets a marker on its row (None: no marker)."""
        self.marked = marked
        self.table.refresh()

    def highlighted(self) -> str | None:
        return self.table.cursor_key
