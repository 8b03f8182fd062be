"""What each tag in view holds alone and shares with the others, from manifests only (no layer is
downloaded): the bytes deleting a tag would free, sorted by those (s cycles), and the repository's
unique bytes for those tags, checked to add up. On a registry that counts pulls (Docker Hub) it asks
first: every manifest read is a pull."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from acrbrowse.compare.usage import RepositoryUsage, TagUsage, read_tag_blobs, usage_of
from acrbrowse.oci.manifest import Manifest
from acrbrowse.present.safe import safe_text
from acrbrowse.present.units import human_size
from acrbrowse.ui.keys import TABLE_KEYS, USAGE_KEYS, bindings
from acrbrowse.ui.typed_app import app_of
from acrbrowse.ui.widgets.footer import PinnedFooter
from acrbrowse.ui.widgets.read_progress import ReadProgress
from acrbrowse.ui.widgets.virtual_table import Column, VirtualTable

PARALLEL_TAGS = 6
ORDERS = ("alone", "total", "name")
COLUMNS = (
    Column("tag", "tag", highlight=False),
    Column("alone", "alone", 10, justify="right"),
    Column("shared", "shared", 10, justify="right"),
    Column("total", "total", 10, justify="right"),
)


def check_line(usage: RepositoryUsage) -> Text:
    """"unique 12.3 MB = 10.0 MB alone + 2.3 MB shared ✓" (or the difference, when it does not add up)."""
    alone = sum(tag.alone for tag in usage.tags)
    text = Text(f"unique {human_size(usage.unique_bytes)} = {human_size(alone)} alone + "
                f"{human_size(usage.shared_bytes)} shared ")
    if alone + usage.shared_bytes == usage.unique_bytes:
        text.append("✓ adds up", style="green")
    else:
        text.append(f"✗ off by {usage.unique_bytes - alone - usage.shared_bytes:,} bytes", style="red")
    return text


class UsageTable(VirtualTable, inherit_bindings=False):
    """The lists' keys but Enter: a row opens nothing."""

    BINDINGS = bindings(tuple(key for key in TABLE_KEYS if key.action != "select"))


class UsageScreen(Screen[None]):
    BINDINGS = bindings(USAGE_KEYS)
    DEFAULT_CSS = """
    UsageScreen { layout: vertical; }
    #usage-title { height: auto; max-height: 2; padding: 0 1; background: $panel; }
    #usage-confirm { height: auto; padding: 0 1; display: none; color: $warning; }
    #usage-confirm.asking { display: block; }
    #usage-table { height: 1fr; }
    #usage-info { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, registry: str, repository: str, tags: list[str], known: dict[str, Manifest],
                 *, counts_pulls: bool = False) -> None:
        """`known`: the manifests the tags pane has already read (not read again)."""
        super().__init__()
        self.registry, self.repository, self.tag_names = registry, repository, list(tags)
        self.left_out = 0  # listed names that are no tags, or tags gone when read
        self.known = known
        self.counts_pulls = counts_pulls
        self.usage: RepositoryUsage | None = None
        self.by_tag: dict[str, TagUsage] = {}
        self.order = ORDERS[0]
        self.state = "asking" if counts_pulls else "reading"  # asking, reading, done, cancelled, failed
        self.error_line = ""
        self.read = 0
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        # Held, not queried: a worker that wakes while the screen is being taken down still finds them.
        self.title_line, self.confirm_line, self.info_line = (Static(id=f"usage-{part}")
                                                             for part in ("title", "confirm", "info"))
        self.progress = ReadProgress(id="usage-progress")
        self.table = UsageTable(COLUMNS, self._cell, empty_text="", id="usage-table")
        yield self.title_line
        yield self.confirm_line
        yield self.progress
        yield self.table
        yield self.info_line
        yield PinnedFooter()

    def on_mount(self) -> None:
        self.table.focus()
        if self.state == "asking":
            confirm = self.confirm_line
            # one line at 80 columns: an index's platforms are more manifests, hence the "+"
            confirm.update(Text(f"Reads {len(self.tag_names):,}+ manifests: pulls of Docker Hub's quota. "
                                "Enter goes on, Esc doesn't."))
            confirm.add_class("asking")
            self._show()
        else:
            self._start()

    def on_key(self, event: events.Key) -> None:
        if self.state == "asking" and event.key == "enter":
            event.stop()
            self.confirm_line.remove_class("asking")
            self._start()

    # ---- reading ------------------------------------------------------------------------------

    def _start(self) -> None:
        self.state, self.error_line, self.read = "reading", "", 0
        self.progress.start()
        self.table.busy, self.table.busy_cancellable = True, True
        self._took(0)
        self._show_title()
        self._worker = self._read()

    @work(exclusive=True, group="usage")
    async def _read(self) -> None:
        app = app_of(self)
        try:
            # names that are no tags, and tags gone by now, are left out (and said)
            read = await read_tag_blobs(app.source(self.registry), self.repository, self.tag_names, known=self.known,
                                        on_tag=lambda _tag, _done: self._took(1), parallel=PARALLEL_TAGS)
            self.left_out = len(self.tag_names) - len(read)
            usage = usage_of(read)
        except asyncio.CancelledError:
            self.state = "cancelled"
            self._show()
            raise
        except Exception as exc:  # the registry's (a tag deleted meanwhile, refused), or a bug: one line
            self.state, self.error_line = "failed", app.failure_line(exc)
            self._show()
            return
        self.usage, self.by_tag = usage, {tag.tag: tag for tag in usage.tags}
        self.state = "done"
        self._show()

    def _took(self, count: int) -> None:
        self.read += count
        total = len(self.tag_names)
        self.progress.show(self.read, total, f"{self.read:,} of {total:,} tags read · Esc cancels")

    # ---- painting -----------------------------------------------------------------------------

    def _show(self) -> None:
        if self.state != "reading":
            self.progress.stop()
            self.table.busy = False
        self._show_title()
        self.table.empty_text = {"failed": self.error_line, "cancelled": "cancelled · Esc closes",
                                 "asking": "Enter reads the manifests"}.get(self.state, "no tags")
        self.table.set_keys(self._sorted(), keep=self.table.cursor_key)
        info = self.info_line
        if self.state == "failed":
            info.update(Text(self.error_line, style="red"))
        elif self.usage is not None:
            info.update(check_line(self.usage))
        else:
            info.update("")

    def _show_title(self) -> None:
        text = Text("Usage of ", style="bold") + Text(app_of(self).shown(self.repository, 60), style="bold")
        text.append(f"  {len(self.tag_names):,} tag{'s' * (len(self.tag_names) != 1)} in view")
        if self.usage is not None:
            text.append(f" · {human_size(self.usage.unique_bytes)} unique, "
                        f"{human_size(self.usage.shared_bytes)} shared", style="green")
            text.append(f" · sorted by {self.order}", style="dim")
        if self.left_out:
            text.append(f" · {self.left_out:,} left out: not valid tag names, or gone when read", style="yellow")
        self.title_line.update(text)

    def _sorted(self) -> list[str]:
        tags = list(self.by_tag)
        if self.order == "alone":
            tags.sort(key=lambda tag: (-self.by_tag[tag].alone, tag))
        elif self.order == "total":
            tags.sort(key=lambda tag: (-self.by_tag[tag].total, tag))
        else:
            tags.sort()
        return tags

    def _cell(self, tag: str, column: Column) -> Text | str:
        if column.key == "tag":
            return safe_text(tag, style="bold")
        usage = self.by_tag.get(tag)
        if usage is None:
            return ""
        value = {"alone": usage.alone, "shared": usage.shared, "total": usage.total}[column.key]
        return Text(human_size(value), style="green" if column.key == "alone" else "")

    # ---- keys ---------------------------------------------------------------------------------

    def action_sort(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self._show()

    def action_close(self) -> None:
        if self.state == "reading" and self._worker is not None:
            self._worker.cancel()  # stops now; a second Esc closes
            return
        self.dismiss()
