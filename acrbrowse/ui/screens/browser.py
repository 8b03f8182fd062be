"""The browser: repositories | tags | manifest tree over details, for one registry."""

from __future__ import annotations

import asyncio
import time
from enum import Enum

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from acrbrowse.oci.errors import (
    AccessDenied,
    AuthenticationFailed,
    AuthenticationRequired,
    CatalogDenied,
    RegistryError,
)
from acrbrowse.oci.manifest import ImageIndex
from acrbrowse.oci.name import Reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.present.units import short_digest
from acrbrowse.ui.clipboard import copyable_digest, copyable_reference
from acrbrowse.ui.keys import BROWSER_KEYS, bindings
from acrbrowse.ui.layout import Need, arrange, cut
from acrbrowse.ui.marking import Side
from acrbrowse.ui.screens.copy_menu import Copyable, CopyMenuScreen, as_text, copy_choices
from acrbrowse.ui.screens.goto import Completions, GotoScreen
from acrbrowse.ui.screens.login import LoginScreen, SignOut, user_label
from acrbrowse.ui.screens.raw import RawScreen
from acrbrowse.ui.taginfo import TagHead, TagInfo
from acrbrowse.ui.tree.nodes import ConfigItem, LayerItem, ManifestItem, PlatformEntry, RootItem, TreeItem
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.widgets.detail import DetailPane
from acrbrowse.ui.widgets.filtered_pane import FilteredPane
from acrbrowse.ui.widgets.footer import PinnedFooter
from acrbrowse.ui.widgets.manifest_tree import ManifestTree
from acrbrowse.ui.widgets.repositories import RepositoriesPane
from acrbrowse.ui.widgets.status import StatusLine
from acrbrowse.ui.widgets.tags import TagsPane
from acrbrowse.ui.widgets.virtual_table import VirtualTable


class Pane(Enum):
    """The browser's panes, by the id of the widget that holds each."""

    REPOSITORIES = "repos"
    TAGS = "tags"
    TREE = "tree-pane"
    DETAIL = "detail"


# Miller columns, left to right: the tree and the details share the last one.
COLUMNS = ("repos", "tags", "right")
COLUMN_OF = {Pane.REPOSITORIES: 0, Pane.TAGS: 1, Pane.TREE: 2, Pane.DETAIL: 2}
# The tree: a preview at 44; in focus, whole at 84 (a Windows platform line with its sizes).
RIGHT_NEED, RIGHT_FOCUSED_NEED = Need(44, 110), Need(84, 110)
SIDE_BY_SIDE = 150  # from this width the last column puts the details beside the tree
PALETTE_KEY_FROM = 100  # narrower, the footer leaves the palette key (Ctrl+P still works) to the others

BACK_FROM = {Pane.DETAIL: Pane.TREE, Pane.TREE: Pane.TAGS, Pane.TAGS: Pane.REPOSITORIES}  # Esc moves left
BACK_KEY = next(k.display for k in BROWSER_KEYS if k.action == "back")
LEAVE_CONFIRM_SECONDS = 3.0  # the second Esc that leaves the registry comes within this, with no key between


class BrowserScreen(Screen[None]):
    BINDINGS = bindings(BROWSER_KEYS)
    AUTO_FOCUS = ""  # on_mount picks the pane that fits the start reference

    def __init__(self, registry: str, start: Reference | None = None) -> None:
        super().__init__()
        self.registry = registry
        self.start = start
        self._login_open = False
        self._signed_out = False  # signed out on purpose: a refusal no longer opens the dialog by itself
        self._widest: dict[str, tuple[tuple[int, int], int]] = {}
        self._laid_out_for: list[Need] = []
        self._keys_seen = 0
        self._leave_armed: tuple[int, float] | None = None  # (keys seen, when) at the first Esc

    def compose(self) -> ComposeResult:
        yield Static(id="breadcrumb")
        with Horizontal(id="panes"):
            yield RepositoriesPane(self.registry, id=Pane.REPOSITORIES.value)
            yield TagsPane(self.registry, id=Pane.TAGS.value)
            with Vertical(id="right"):
                with Vertical(id=Pane.TREE.value, classes="pane"):
                    yield ManifestTree(self.registry, id="tree")
                yield DetailPane(id=Pane.DETAIL.value)
        yield StatusLine(self.registry, id="status-line")
        yield PinnedFooter()

    # ---- parts -----------------------------------------------------------------------------

    @property
    def repos(self) -> RepositoriesPane:
        return self.query_one(RepositoriesPane)

    @property
    def tags(self) -> TagsPane:
        return self.query_one(TagsPane)

    @property
    def manifest_tree(self) -> ManifestTree:
        return self.query_one("#tree", ManifestTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        self.sub_title = app_of(self).shown(self.registry)
        self.query_one(f"#{Pane.TREE.value}").border_title = "Manifest"
        self.manifest_tree.display = True
        self.repos.load()
        start = self.start
        if start is not None and start.repository:
            self.tags.show_repository(start.repository, cursor=start.tag)
            if start.manifest_ref:
                self.manifest_tree.show(start.repository, start.manifest_ref)
                self.manifest_tree.focus()
                return
            self.tags.table.focus()
            return
        self.repos.table.focus()

    # Keys that type text in an input (a filter, the repository name): hidden from the footer while
    # one has focus, where pressing them types rather than acts.
    TYPED_IN_INPUT = frozenset({"filter", "copy_digest", "copy_reference", "raw", "files", "mark", "diff", "usage",
                                "reload", "goto", "copy_menu", "sign_in"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "files" and self.focused_pane not in (Pane.TREE, Pane.DETAIL):
            return False  # off the footer where there is nothing to open: the lists' footers are full
        return not (action in self.TYPED_IN_INPUT and isinstance(self.focused, Input))

    # ---- which pane ------------------------------------------------------------------------

    def _pane_of(self, widget: Widget | None) -> Pane | None:
        panes = {pane.value: pane for pane in Pane}
        while widget is not None:
            if widget.id in panes:
                return panes[widget.id]
            widget = widget.parent  # type: ignore[assignment]
        return None

    @property
    def focused_pane(self) -> Pane | None:
        return self._pane_of(self.focused)

    def focus_pane(self, pane: Pane) -> None:
        widgets: dict[Pane, Widget] = {Pane.REPOSITORIES: self.repos.table, Pane.TAGS: self.tags.table,
                                       Pane.TREE: self.manifest_tree, Pane.DETAIL: self.detail}
        widgets[pane].focus()

    # ---- layout: the columns that fit, a zoom, a breadcrumb ---------------------------------

    zoomed = False

    def on_resize(self, event: events.Resize) -> None:
        self.relayout()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.relayout()

    @on(RepositoriesPane.Opened)
    @on(TagsPane.Opened)
    @on(TagsPane.Loaded)
    def _where_changed(self) -> None:
        self.call_after_refresh(self.relayout)

    @on(VirtualTable.ViewportChanged)
    def _rows_changed(self) -> None:
        """Rows arrived or left: a long name may want a wider column."""
        if self.is_mounted and self._needs(COLUMN_OF[self.focused_pane or Pane.REPOSITORIES]) != self._laid_out_for:
            self.relayout()

    def relayout(self) -> None:
        """Show the columns that fit around the focused pane (all of it, always), and say where we are."""
        if not self.is_mounted:
            return
        width = self.size.width
        pane = self.focused_pane or Pane.REPOSITORIES
        focus = COLUMN_OF[pane]
        columns = [self.query_one(f"#{name}") for name in COLUMNS]
        self._laid_out_for = self._needs(focus)
        if self.zoomed:
            widths = [width if index == focus else 0 for index in range(len(columns))]
        else:
            widths = arrange(width, self._laid_out_for, focus)
        for column, column_width in zip(columns, widths, strict=True):
            column.display = column_width > 0
            if column_width:
                column.styles.width = column_width
        right = columns[2]
        right.set_class(widths[2] >= SIDE_BY_SIDE, "-side-by-side")
        for part in (Pane.TREE, Pane.DETAIL):  # zoomed in the last column: only the focused part
            self.query_one(f"#{part.value}").display = not self.zoomed or part is pane
        footer = self.query_one(PinnedFooter)
        footer.show_command_palette = width >= PALETTE_KEY_FROM
        self._show_breadcrumb(width)

    def _needs(self, focus: int) -> list[Need]:
        repos = Need(24, min(44, max(30, self._longest("repos", self.repos.names) + 6)))
        table = self.tags.table
        longest_tag = min(48, max(10, self._longest("tags", self.tags.tags)))
        tags = Need(table.content_width(10) + 2, table.content_width(longest_tag) + 2)
        return [repos, tags, RIGHT_FOCUSED_NEED if focus == COLUMN_OF[Pane.TREE] else RIGHT_NEED]

    def _longest(self, which: str, names: list[str]) -> int:
        """The widest of `names` as shown (escapes make a hostile name longer), remembered until the list changes."""
        key = (id(names), len(names))
        known = self._widest.get(which)
        if known is None or known[0] != key:
            shown = app_of(self).shown
            known = self._widest[which] = (key, max((len(shown(name)) for name in names), default=0))
        return known[1]

    def _show_breadcrumb(self, width: int) -> None:
        app = app_of(self)
        where = Text(app.shown(self.registry))
        repository = self.tags.repository
        if repository is not None:
            where.append(" › ").append(app.shown(repository))
            tree = self.manifest_tree
            if tree.repository == repository and tree.reference is not None:
                where.append(" › ").append(app.shown(tree.reference), style="bold")
        title = Text("acrbrowse ", style="bold")
        zoom = Text("  zoomed: z restores" if self.zoomed else "", style="dim")
        who = self._who()
        room = max(8, width - title.cell_len - zoom.cell_len - who.cell_len - 3)
        line = Text(" ") + title + cut(where, room, "start") + zoom
        gap = max(2, width - line.cell_len - who.cell_len - 1)
        self.query_one("#breadcrumb", Static).update(line + Text(" " * gap) + who)

    def _who(self) -> Text:
        """The user the registry is browsed as, or "anonymous", for the header's right end."""
        credential = app_of(self).session.credential(self.registry)
        if credential is None:
            return Text("anonymous", style="dim")
        return Text("as ", style="dim") + cut(app_of(self).shown_text(user_label(credential), "bold"), 32, "middle")

    def action_zoom(self) -> None:
        self.zoomed = not self.zoomed
        self.relayout()

    def focus_next(self, selector: str | type[Widget] = "*") -> Widget | None:
        return self._cycle_focus(+1) if selector == "*" else super().focus_next(selector)

    def focus_previous(self, selector: str | type[Widget] = "*") -> Widget | None:
        return self._cycle_focus(-1) if selector == "*" else super().focus_previous(selector)

    def _cycle_focus(self, step: int) -> Widget | None:
        """Tab and Shift+Tab go round every pane in order, the hidden columns too (the layout then
        follows the focus). Textual's own focus chain sorts by position, and a hidden column has none."""
        hideable = set(self.query("#repos, #tags, #right, #tree-pane, #detail"))

        def reachable(widget: Widget) -> bool:
            nodes = [node for node in widget.ancestors_with_self if isinstance(node, Widget) and node is not self]
            return widget.focusable and all(node.display or node in hideable for node in nodes) and all(
                node.allow_focus_children() for node in nodes[1:])

        chain = [widget for widget in self.query("*") if widget.can_focus and reachable(widget)]
        if not chain:
            return self.focused
        index = chain.index(self.focused) if self.focused in chain else -step
        target = chain[(index + step) % len(chain)]
        self.set_focus(target)
        return target

    # ---- navigation ------------------------------------------------------------------------

    @on(RepositoriesPane.Opened)
    def open_repository(self, event: RepositoriesPane.Opened) -> None:
        if event.repository != self.manifest_tree.repository:
            self._forget_tag()
        self.tags.show_repository(event.repository)
        self.tags.table.focus()

    def _forget_tag(self) -> None:
        """Another repository: the previous one's tree and details go (a late answer for them is
        dropped: the tree's generation moves on)."""
        if self.manifest_tree.repository is not None:
            self.manifest_tree.forget()
            self.detail.clear()

    @on(TagsPane.Loaded)
    def _tags_loaded(self, event: TagsPane.Loaded) -> None:
        self._remember_visit(event.repository)
        self.detail.tags_listed(self.registry, event.repository)  # "also tagged as" can look at every tag now
        self.app.call_after_refresh(app_of(self).settle_memory)

    @work(group="settings")
    async def _remember_visit(self, repository: str) -> None:
        try:
            await asyncio.to_thread(app_of(self).session.record_visit, self.registry, repository)
        except Exception as exc:  # remembering is a convenience: say it failed, browse on
            app_of(self).report(exc)

    @on(TagsPane.Opened)
    def open_tag(self, event: TagsPane.Opened) -> None:
        entry = app_of(self).tag_cache.of(self.registry, event.repository).get(event.tag)
        manifest = entry.manifest if isinstance(entry, TagInfo) else None
        self.manifest_tree.show(event.repository, event.tag, manifest)
        self.manifest_tree.focus()

    @on(TagsPane.Highlighted)
    def _tag_highlighted(self, event: TagsPane.Highlighted) -> None:
        if event.tag is None or self.focused_pane is not Pane.TAGS:
            return
        info = app_of(self).tag_cache.of(self.registry, event.repository).get(event.tag)
        self.detail.show_tag(self.registry, event.repository, event.tag, info)

    @on(Tree.NodeHighlighted, "#tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[TreeItem]) -> None:
        self.detail.show_node(event.node.data)

    @on(Tree.NodeSelected, "#tree")
    def _node_selected(self, event: Tree.NodeSelected[TreeItem]) -> None:
        if isinstance(event.node.data, LayerItem):  # Enter on a layer opens its files
            self.action_files()

    # ---- files -----------------------------------------------------------------------------

    def action_files(self) -> None:
        """A layer's files, or an image's merged filesystem (on the image, its config or total)."""
        node, repository = self.manifest_tree.cursor_node, self.manifest_tree.repository
        target = node.data.files_of() if node is not None and node.data is not None else None
        if node is None or target is None or repository is None:
            self.app.notify("Highlight a layer, or an image (its manifest, config or total), to see its files",
                            severity="warning", markup=False)
            return
        image, layer = target
        platform = next((n.data.name for n in _ancestors(node) if isinstance(n.data, PlatformEntry)), "")
        root = self.manifest_tree.root.data
        title = root.title if isinstance(root, RootItem) else repository  # REPO:TAG or REPO@short digest
        from acrbrowse.ui.screens.files import FilesScreen, FilesTarget

        self.app.push_screen(FilesScreen(FilesTarget(self.registry, repository, image, layer,
                                                     f"{title} {platform}".strip())))

    def on_key(self, event: events.Key) -> None:
        self._keys_seen += 1  # a key between two Escs disarms leaving (whatever key Esc is mapped to)

    def action_back(self) -> None:
        """One level back: an input, an applied filter, the previous pane; from the repositories the
        start screen, only when asked twice (the registry's lists and answers are thrown away)."""
        if self._step_back():
            return
        if len(self.app.screen_stack) <= 2:
            return
        now = time.monotonic()
        armed = self._leave_armed
        if armed is not None and armed[0] == self._keys_seen - 1 and now - armed[1] <= LEAVE_CONFIRM_SECONDS:
            self._leave_armed = None
            self.app.pop_screen()
            return
        self._leave_armed = (self._keys_seen, now)
        self.app.notify(f"Press {BACK_KEY} again to leave {app_of(self).shown(self.registry)} for the start screen",
                        timeout=LEAVE_CONFIRM_SECONDS, markup=False)

    def _cancel_wait(self, pane: Pane | None) -> bool:
        """Esc on a pane that waits for the registry cancels that request (the pane says so)."""
        if pane is Pane.REPOSITORIES:
            return self.repos.cancel_wait()
        if pane is Pane.TAGS:
            return self.tags.cancel_wait()
        if pane in (Pane.TREE, Pane.DETAIL):
            return self.manifest_tree.cancel_wait()
        return False

    def action_step_back(self) -> None:
        """Backspace: one level back, never out of the registry (a stray one must not lose it)."""
        self._step_back()

    def _step_back(self) -> bool:
        """Go back one level inside the registry; False at the top (the repositories list)."""
        focused = self.focused
        owner = next((a for a in focused.ancestors if isinstance(a, FilteredPane)), None) if focused else None
        if isinstance(focused, Input) and owner is not None:  # the filter (or the name) first
            return owner.leave_input(focused)
        pane = self.focused_pane
        if self._cancel_wait(pane):
            return True
        if owner is not None and owner.filter_applied:
            owner.close_filter(clear=True)
            return True
        if pane is not None and pane in BACK_FROM:
            self.focus_pane(BACK_FROM[pane])
            return True
        return False

    def action_filter(self) -> None:
        if self.focused_pane is Pane.REPOSITORIES or self.tags.repository is None:
            self.repos.open_filter()
        else:
            self.tags.open_filter()

    def action_reload(self) -> None:
        self._signed_out = False  # "r reloads and signs in": a refusal now opens the dialog again
        pane = self.focused_pane
        if pane is Pane.REPOSITORIES:
            self.repos.load()
        elif pane is Pane.TAGS:
            self.tags.reload()
        elif pane in (Pane.TREE, Pane.DETAIL):
            self.manifest_tree.reload()

    # ---- copy ------------------------------------------------------------------------------

    def _tree_target(self) -> TreeItem | None:
        node = self.manifest_tree.cursor_node
        return node.data if node is not None else None

    def action_copy_digest(self) -> None:
        self._copy(reference=False)

    def action_copy_reference(self) -> None:
        self._copy(reference=True)

    @work(exclusive=True, group="copy")
    async def _copy(self, reference: bool) -> None:
        """Copies only a valid digest or REGISTRY/REPO@DIGEST: what is pasted into a shell must not
        carry a newline or a control character from the registry. Anything else: an error line."""
        try:
            await self._copy_highlighted(reference)
        except Exception as exc:  # a registry's error, a refused digest, or a bug: one line
            app_of(self).report(exc)

    async def _copy_highlighted(self, reference: bool) -> None:
        pane = self.focused_pane
        repository: str | None
        digest: str | None = None
        highlighted_tag = self.tags.highlighted()
        if pane is Pane.TAGS and highlighted_tag is not None:
            repository = self.tags.repository
            digest = await self.tags.digest_for(highlighted_tag)
        elif pane in (Pane.TREE, Pane.DETAIL):
            repository = self.manifest_tree.repository
            item = self._tree_target()
            if item is not None:
                digest = item.manifest_digest if reference else item.digest
        else:
            self.app.notify("Highlight a tag or a tree node to copy its digest", severity="warning", markup=False)
            return
        if digest is None or repository is None:
            self.app.notify("Nothing to copy here: this node has no digest", severity="warning", markup=False)
            return
        if reference:
            await app_of(self).copy_text(copyable_reference(self.registry, repository, digest), "reference")
        else:
            await app_of(self).copy_text(copyable_digest(digest), "digest")

    # ---- go to a reference -----------------------------------------------------------------

    async def action_goto(self) -> None:
        """`:` is a priority key: the box is mounted and focused before the next key is handled, so
        ":aspnetapp:8.0" typed in one burst lands in it whole."""
        completions = Completions()
        completions.add("catalog", self.repos.names)
        repository = self.tags.repository
        if repository is not None:
            completions.add("tags", (f"{repository}:{tag}" for tag in self.tags.tags))
        dialog = GotoScreen(self.registry, completions)
        await self.app.push_screen(dialog, self._go_to_chosen)
        dialog.set_focus(dialog.input)

    def _go_to_chosen(self, reference: Reference | None) -> None:
        if reference is not None:
            self.go_to(reference)

    def go_to(self, reference: Reference) -> None:
        """Show `reference`: here when it is on this registry; else in the browser of its registry
        already open (the browsers above it close), else in a new one (as the start screen opens one)."""
        if reference.registry != self.registry:
            app = app_of(self)
            stack = app.screen_stack
            browser = next((screen for screen in reversed(stack)
                            if isinstance(screen, BrowserScreen) and screen.registry == reference.registry), None)
            if browser is None:
                app.open_reference(reference)
                return
            while app.screen is not browser:
                app.pop_screen()
            browser.go_to(reference)
            return
        repository = reference.repository
        if repository is None:
            self.focus_pane(Pane.REPOSITORIES)
            return
        if repository != self.manifest_tree.repository:
            self._forget_tag()
        self.repos.remember(repository)  # listed, while the catalog is denied
        if repository in self.repos.table.keys:
            self.repos.table.cursor = self.repos.table.keys.index(repository)
        self.tags.show_repository(repository, cursor=reference.tag)
        if reference.manifest_ref is None:
            self.tags.table.focus()
            return
        self.manifest_tree.show(repository, reference.manifest_ref)
        self.manifest_tree.focus()

    # ---- copy menu -------------------------------------------------------------------------

    @work(exclusive=True, group="copy")
    async def action_copy_menu(self) -> None:
        """A worker: a tag the table has not resolved yet is fetched first."""
        try:
            await self._open_copy_menu()
        except Exception as exc:  # a registry's error, or a bug: one line
            app_of(self).report(exc)

    async def _open_copy_menu(self) -> None:
        pane = self.focused_pane
        tag = self.tags.highlighted()
        repository: str | None
        if pane is Pane.TAGS and tag is not None and self.tags.repository is not None:
            repository = self.tags.repository
            info = await self.tags.info_for(tag)
            what = "the index's JSON" if info.kind == "index" else "the manifest's JSON"
            choices = copy_choices(self.registry, repository, digest=info.digest, manifest_digest=info.digest,
                                   tag=tag, raw=info.manifest.raw, raw_note=what)
            title = f"{repository}:{tag}"
        elif pane in (Pane.TREE, Pane.DETAIL) and self._tree_target() is not None \
                and self.manifest_tree.repository is not None:
            repository = self.manifest_tree.repository
            item = self._tree_target()
            assert item is not None
            choices = self._tree_choices(repository, item)
            title = self._tree_title(repository, item)
        else:
            self.app.notify("Highlight a tag or a tree node to copy from it", severity="warning", markup=False)
            return
        if not choices:
            self.app.notify("Nothing to copy here", severity="warning", markup=False)
            return
        self.app.push_screen(CopyMenuScreen(title, choices), self._copy_chosen)

    def _tree_title(self, repository: str, item: TreeItem) -> str:
        """What the copy menu copies from: REPO:TAG for the root opened by a tag, else REPO@digest."""
        reference = self.manifest_tree.reference
        if isinstance(item, RootItem) and reference is not None and ":" not in reference:
            return f"{repository}:{reference}"
        digest = item.digest or item.manifest_digest
        return f"{repository}@{short_digest(digest)}" if digest else repository

    def _tree_choices(self, repository: str, item: TreeItem) -> list[Copyable]:
        reference = self.manifest_tree.reference
        # The root names its tag (when it was opened by one); a platform or a layer is not that tag.
        tag = reference if isinstance(item, RootItem) and reference is not None and ":" not in reference else None
        source = app_of(self).source(self.registry)

        async def fetch_raw() -> str | None:
            raw = await item.fetch_raw(source, repository)
            return as_text(raw[1]) if raw is not None else None

        note = None
        if isinstance(item, ManifestItem):
            note = "the index's JSON" if isinstance(item.manifest, ImageIndex) else "the manifest's JSON"
        elif isinstance(item, ConfigItem):
            note = "the config's JSON"
        elif (known := item.raw()) is not None:
            note = f"the {known[0].split()[0]}'s JSON"
        return copy_choices(self.registry, repository, digest=item.digest, manifest_digest=item.manifest_digest,
                            tag=tag, fetch_raw=fetch_raw if note else None, raw_note=note or "")

    def _copy_chosen(self, choice: Copyable | None) -> None:
        if choice is not None:
            self._copy_choice(choice)

    @work(exclusive=True, group="copy")
    async def _copy_choice(self, choice: Copyable) -> None:
        app = app_of(self)
        try:
            text = choice.text if choice.fetch is None else await choice.fetch()
            if text is None:
                app.notify("Nothing to copy here", severity="warning", markup=False)
                return
            # A pull command has spaces: one line of words (still no control character).
            await app.copy_text(text, choice.what, multiline=choice.multiline, words=not choice.multiline and " " in text)
        except Exception as exc:  # a registry's error fetching the JSON, or a bug: one line
            app.report(exc)

    # ---- raw JSON --------------------------------------------------------------------------

    def action_sort_order(self) -> None:
        self.tags.toggle_order()

    @work(exclusive=True, group="raw")
    async def action_raw(self) -> None:
        """A worker: what `v` shows may have to be fetched first (a platform's manifest, a Helm config)."""
        try:
            await self._show_raw()
        except Exception as exc:  # a registry's error, odd data the view did not expect: one line
            app_of(self).report(exc)

    async def _show_raw(self) -> None:
        pane = self.focused_pane
        if pane is Pane.REPOSITORIES:
            # A repository is a name in a list: saying so beats showing the tree's node, and beats silence.
            self.app.notify("A repository has no raw JSON: highlight a tag or a tree node", severity="warning",
                            markup=False)
            return
        if pane is Pane.TAGS:
            tag, repository = self.tags.highlighted(), self.tags.repository
            entry = app_of(self).tag_cache.of(self.registry, repository).get(tag) if tag and repository else None
            if isinstance(entry, TagHead) and tag is not None:  # Docker Hub: read now, as asked (one pull)
                entry = await self.tags.info_for(tag)
            if isinstance(entry, TagInfo):
                self.app.push_screen(RawScreen(f"{self.tags.repository}:{tag}", entry.manifest.raw))
            else:
                self.app.notify("The tag's manifest has not arrived yet", severity="warning", markup=False)
            return
        item, repository = self._tree_target(), self.manifest_tree.repository
        if item is None or repository is None:
            return
        raw = await item.fetch_raw(app_of(self).source(self.registry), repository)
        if raw is None:
            self.app.notify("Nothing to show raw here", severity="warning", markup=False)
        else:
            self.app.push_screen(RawScreen(*raw))

    # ---- errors and signing in -------------------------------------------------------------

    def _wants_login(self, error: RegistryError) -> bool:
        if self._signed_out:
            return False
        if isinstance(error, (AuthenticationRequired, AuthenticationFailed)):
            return True
        return isinstance(error, AccessDenied) and app_of(self).session.credential(self.registry) is None

    @on(RepositoriesPane.Failed)
    def _catalog_failed(self, event: RepositoriesPane.Failed) -> None:
        primary = self.start is None or self.start.repository is None
        if primary and self._wants_login(event.error):
            self.request_login(event.error)
        elif not isinstance(event.error, CatalogDenied):
            app_of(self).report(event.error)

    @on(TagsPane.Failed)
    def _tags_failed(self, event: TagsPane.Failed) -> None:
        if self._wants_login(event.error):
            self.request_login(event.error)
        else:
            app_of(self).report(event.error)

    @on(ManifestTree.NodeFailed)
    def _node_failed(self, event: ManifestTree.NodeFailed) -> None:
        if self._wants_login(event.error):
            self.request_login(event.error)
        else:
            app_of(self).report(event.error)

    def request_login(self, error: RegistryError) -> None:
        """The registry refused: the sign-in dialog says why, with the user tried filled in."""
        self._open_login(reason=error.reason, switching=False)

    def action_sign_in(self) -> None:
        """u: sign in; when signed in, as another user or out."""
        self._open_login(reason="", switching=True)

    def _open_login(self, *, reason: str, switching: bool) -> None:
        if self._login_open:
            return
        self._login_open = True
        credential = app_of(self).session.credential(self.registry)
        repository = self.tags.repository or (self.start.repository if self.start else None)
        signed_in_as = user_label(credential) if switching and credential is not None else None
        self.app.push_screen(
            LoginScreen(self.registry, reason=reason, repository=repository, signed_in_as=signed_in_as,
                        username=credential.username if credential and credential.kind != "entra" and not signed_in_as
                        else None),
            self._signed_in,
        )

    async def _signed_in(self, result: RegistryClient | SignOut | None) -> None:
        self._login_open = False
        if result is None:
            return
        if isinstance(result, SignOut):
            self._sign_out()
            return
        self._signed_out = False
        await app_of(self).session.adopt(self.registry, result)
        self._credential_changed()

    def action_sign_out(self) -> None:
        """The command palette's Sign out (the dialog has its button)."""
        self._sign_out()

    @work(exclusive=True, group="sign-out")
    async def _sign_out(self) -> None:
        """Forget the stored login (keyring and index) and browse anonymously; a credential that comes
        from elsewhere (Docker's config, the environment) is only set aside for this run, and said so."""
        app = app_of(self)
        credential = app.session.credential(self.registry)
        removed = False
        try:
            removed = await asyncio.to_thread(app.session.remove_login, self.registry)
        except Exception as exc:  # a locked keyring, a broken config: signed out for this run all the same
            app.report(exc)
        await app.session.use_credential(self.registry, None)
        self._signed_out = True
        registry = app.shown(self.registry)
        if credential is None:
            app.notify(f"Not signed in to {registry}", markup=False)
        elif removed:
            app.notify(f"Signed out of {registry}: {app.shown(credential.username)}'s credential is no longer "
                       "in the keyring", markup=False)
        else:
            source = app.shown(credential.source or "elsewhere")
            app.notify(f"Signed out of {registry} for this run; the credential still comes from {source}",
                       markup=False)
        self._credential_changed()

    def _credential_changed(self) -> None:
        """Another user (or none): what the registry shows may change, so every pane asks again."""
        self.repos.load()
        if self.tags.repository is not None:
            self.tags.reload()
        if self.manifest_tree.repository is not None:
            self.manifest_tree.reload()
        self.relayout()


    # ---- compare ---------------------------------------------------------------------------

    marked: Side | None = None  # what `d` compares the highlighted tag or platform with

    def _highlighted_side(self) -> Side | None:
        """The highlighted tag, or in the tree the platform (or the root) the cursor is on or under."""
        pane = self.focused_pane
        if pane is Pane.TAGS:
            tag, repository = self.tags.highlighted(), self.tags.repository
            return Side(self.registry, repository, tag) if tag is not None and repository is not None else None
        node, tree = self.manifest_tree.cursor_node, self.manifest_tree
        if pane not in (Pane.TREE, Pane.DETAIL) or node is None or tree.repository is None or tree.reference is None:
            return None
        for current in _ancestors(node):
            if isinstance(current.data, PlatformEntry):
                return Side(self.registry, tree.repository, tree.reference, current.data.name,
                            current.data.entry.digest)
            if isinstance(current.data, RootItem):
                return Side(self.registry, tree.repository, tree.reference)
        return None

    def action_mark(self) -> None:
        """m: mark the highlighted tag or platform (again: unmark it). (Typed, not acted on, in an
        input: check_action.)"""
        side = self._highlighted_side()
        app = app_of(self)
        if side is None:
            app.notify("Highlight a tag, or a platform in the tree, to mark it", severity="warning", markup=False)
            return
        if side == self.marked:
            self.marked = None
            app.notify(f"Unmarked {app.shown(side.label)}", timeout=3, markup=False)
        else:
            self.marked = side
            app.notify(f"Marked {app.shown(side.label)} — d compares the highlighted one with it", markup=False)
        mark = self.marked
        self.tags.show_marked((mark.repository, mark.reference) if mark is not None else None)

    def action_diff(self) -> None:
        """d: compare the marked tag or platform (A) with the highlighted one (B)."""
        app, mark, side = app_of(self), self.marked, self._highlighted_side()
        if mark is None:
            app.notify("Mark a tag or a platform with m first; d on another compares the two", severity="warning",
                       markup=False)
        elif side is None:
            app.notify("Highlight a tag, or a platform in the tree, to compare it with the marked one",
                       severity="warning", markup=False)
        elif side == mark:
            app.notify("That is the marked one: highlight another tag or platform", severity="warning", markup=False)
        else:
            from acrbrowse.ui.screens.diff import DiffScreen

            self.app.push_screen(DiffScreen(mark, side))

    def action_usage(self) -> None:
        """U: what each tag in view (the tags pane's filtered list) holds alone and shares."""
        app, repository = app_of(self), self.tags.repository
        if self.focused_pane is not Pane.TAGS or repository is None:
            app.notify("Open a repository's tags: U there shows what each tag holds alone", severity="warning",
                       markup=False)
            return
        tags = list(self.tags.table.keys)
        if not tags:
            app.notify("No tags in view", severity="warning", markup=False)
            return
        cached = app.tag_cache.of(self.registry, repository)
        known = {tag: entry.manifest for tag in tags if isinstance(entry := cached.get(tag), TagInfo)}
        from acrbrowse.ui.screens.usage import UsageScreen

        self.app.push_screen(UsageScreen(self.registry, repository, tags, known,
                                         counts_pulls=app.counts_pulls(self.registry)))


def _ancestors(node: TreeNode[TreeItem]) -> list[TreeNode[TreeItem]]:
    """The node and its ancestors, nearest first."""
    found = []
    current: TreeNode[TreeItem] | None = node
    while current is not None:
        found.append(current)
        current = current.parent
    return found
