"""Child process for cases 4, 5 and 6: launch the acrbrowse UI headless (Pilot) against the rig and
report when things were painted, as monotonic timestamps, in one JSON line on stdout.

Run by bench/run.py in a fresh interpreter, so the imports and the start-up are the real ones
and ru_maxrss is this UI process alone. "Painted" is when the widget rendered its lines with
the data in it (the bench wraps `render_lines` of the widget classes, in this process only).

The app is built as `acrbrowse` builds it (cli/browse.py `start_app`): the start reference's first
requests go out before Textual is imported, and the import runs in a thread meanwhile. So only the
Textual-free modules are imported up here; the UI's come with the app. `--no-prefetch` builds it
the way it was built before that (everything imported first, nothing sent before the app runs),
and so does an acrbrowse that has no `start_app` yet: one probe measures both sides.
"""

from __future__ import annotations

import time

T_MAIN = time.monotonic()  # before any import: the interpreter is up

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from acrbrowse.keychain.resolver import resolve  # noqa: E402
from acrbrowse.oci.cache import ContentCache  # noqa: E402
from acrbrowse.oci.name import parse_reference  # noqa: E402
from acrbrowse.session import Session, SessionOptions  # noqa: E402

try:
    from acrbrowse.cli.browse import start_app  # noqa: E402
except ImportError:  # an acrbrowse from before the prefetch (a "before" measurement)
    start_app = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from acrbrowse.ui.app import AcrBrowseApp
    from acrbrowse.ui.widgets.virtual_table import VirtualTable

T_LIGHT = time.monotonic()  # the Textual-free modules: what runs before the first request
SIZE = (160, 45)
POLL = 0.002  # seconds between checks of a condition inside the app's loop


def rss_kib() -> int:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: across exec Linux keeps the larger
    of the old and new images, so a child of a big parent would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Marks:
    """First-paint times and the state the bench watches, filled from the render hooks."""

    def __init__(self, platforms: int | None, tag_count: int | None, repo_count: int | None = None) -> None:
        self.platforms = platforms
        self.tag_count = tag_count
        self.repo_count = repo_count
        self.t: dict[str, float] = {}
        # Per table id ("tag-table", "repo-table"): (time, keys generation, cursor) per paint.
        self.renders: dict[str, list[tuple[float, int, int]]] = {"tag-table": [], "repo-table": []}
        self.filter_seconds: list[float] = []  # time inside the panes' _apply_filter, per call
        self.details: list[float] = []  # when a row's digest/kind arrived (VirtualTable.refresh_key)
        self.handled: list[float] = []  # when a table got new rows (set_keys) or its cursor moved

    def first(self, name: str) -> None:
        self.t.setdefault(name, time.monotonic())


MARKS: Marks | None = None
GC_PAUSES: list[tuple[float, float, int]] = []  # (start, seconds, generation) of collections over 2 ms
_gc_start = [0.0]


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_start[0] = time.monotonic()
    else:
        took = time.monotonic() - _gc_start[0]
        if took > 0.002:
            GC_PAUSES.append((_gc_start[0], took, info.get("generation", -1)))


def install_hooks() -> None:
    """Wrap the render and data entry points of the widget classes (this process only)."""
    from acrbrowse.ui.tree.nodes import EntryItem
    from acrbrowse.ui.widgets.manifest_tree import ManifestTree
    from acrbrowse.ui.widgets.repositories import RepositoriesPane
    from acrbrowse.ui.widgets.tags import TagsPane
    from acrbrowse.ui.widgets.virtual_table import VirtualTable

    table_render = VirtualTable.render_lines
    table_set_keys = VirtualTable.set_keys
    table_splice_keys = VirtualTable.splice_keys
    table_refresh_key = VirtualTable.refresh_key
    table_watch_cursor = VirtualTable.watch_cursor
    tree_render = ManifestTree.render_lines

    def listed(table, keys) -> None:
        # Listed, painted or not: opened at REPO:TAG the layout gives the tree the screen.
        if MARKS is not None and table.id == "repo-table" and keys:
            MARKS.first("repos_listed")

    def set_keys(self, keys, **kwargs):
        self._bench_generation = getattr(self, "_bench_generation", 0) + 1
        if MARKS is not None:
            MARKS.handled.append(time.monotonic())
        listed(self, keys)
        return table_set_keys(self, keys, **kwargs)

    def splice_keys(self, start, tail):
        listed(self, tail)
        return table_splice_keys(self, start, tail)

    def watch_cursor(self, old, new):
        if MARKS is not None:
            MARKS.handled.append(time.monotonic())
        return table_watch_cursor(self, old, new)

    def refresh_key(self, key):
        if MARKS is not None and self.id == "tag-table":
            MARKS.details.append(time.monotonic())
        return table_refresh_key(self, key)

    def render_table(self, crop):
        lines = table_render(self, crop)
        marks = MARKS
        if marks is not None:
            if self.id in marks.renders:
                marks.renders[self.id].append((time.monotonic(), getattr(self, "_bench_generation", 0), self.cursor))
            if self.id == "repo-table" and self.keys:
                marks.first("repos_painted")
                if marks.repo_count is not None and len(self.keys) >= marks.repo_count:
                    marks.first("repos_all_painted")
            elif self.id == "tag-table" and marks.tag_count is not None and len(self.keys) >= marks.tag_count:
                marks.first("tags_painted")
        return lines

    def render_tree(self, crop):
        lines = tree_render(self, crop)
        marks = MARKS
        root = self.root
        if marks is not None and getattr(root.data, "manifest", None) is not None:
            entries = [n for n in root.children if isinstance(n.data, EntryItem)]
            if marks.platforms is None or len(entries) >= marks.platforms:
                marks.first("root_painted")
                if entries and all(n.is_expanded and n.data.manifest is not None and len(n.children) > 1
                                   for n in entries):
                    marks.first("tree_painted")
        return lines

    VirtualTable.set_keys = set_keys
    VirtualTable.splice_keys = splice_keys
    VirtualTable.refresh_key = refresh_key
    VirtualTable.watch_cursor = watch_cursor
    VirtualTable.render_lines = render_table
    ManifestTree.render_lines = render_tree
    for pane in (TagsPane, RepositoriesPane):
        apply_filter = getattr(pane, "_apply_filter", None)
        if apply_filter is None:
            continue

        def timed_apply_filter(self, *args, _apply=apply_filter, **kwargs):
            t0 = time.perf_counter()
            try:
                return _apply(self, *args, **kwargs)
            finally:
                if MARKS is not None:
                    MARKS.filter_seconds.append(time.perf_counter() - t0)

        pane._apply_filter = timed_apply_filter


async def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(POLL)


def gc_census() -> dict:
    """How many objects the collector tracks (a full collection walks them all), and the most
    common types: what makes the long pauses, if any."""
    import collections
    import gc

    objects = gc.get_objects()
    common = collections.Counter(type(o).__name__ for o in objects).most_common(8)
    t0 = time.perf_counter()
    gc.collect()
    return {"tracked": len(objects), "full_collect_s": time.perf_counter() - t0, "common": common}


def running_workers(app) -> int:
    return sum(1 for w in app.workers if w.state.name in ("PENDING", "RUNNING"))


STALLS: list[tuple[float, float]] = []  # (start, seconds) the event loop did not come back for over 20 ms
HEARTBEAT = 0.005


async def heartbeat() -> None:
    """Wakes up every 5 ms; a late wake-up means something held the event loop (the UI froze)."""
    while True:
        t0 = time.monotonic()
        await asyncio.sleep(HEARTBEAT)
        late = time.monotonic() - t0 - HEARTBEAT
        if late > 0.02:
            STALLS.append((t0, late))


async def timed_keys(pilot, table: VirtualTable, marks: Marks, keys: list[str], timeout: float, *,
                     scroll: bool = False) -> list[dict]:
    """Press each key and time it to the table's first paint that shows its effect: the new rows
    (a filter keystroke: a paint of a newer `set_keys` generation) or, with `scroll`, the cursor
    where the key put it (PgDn, End: the cursor moves and the view scrolls with it)."""
    renders = marks.renders[table.id]
    strokes = []
    for key in keys:
        marks.filter_seconds.clear()
        marks.handled.clear()
        renders.clear()
        t0 = time.monotonic()
        await pilot.press(key)
        generation = getattr(table, "_bench_generation", 0)
        cursor = table.cursor

        def painted(t0=t0, cursor=cursor, generation=generation):
            for t, g, c in renders:
                if t >= t0 and (c == cursor if scroll else g >= generation):
                    return t
            return None

        t_paint = await wait_until(painted, timeout, f"the table after {key!r}")
        # What else ran in the loop meanwhile: rows' details arriving, garbage collection.
        details = sum(1 for t in marks.details if t0 <= t <= t_paint)
        gc_seconds = sum(min(t_paint, start + took) - max(t0, start) for start, took, _ in GC_PAUSES
                         if start < t_paint and start + took > t0)
        handled = next((t for t in marks.handled if t >= t0), None)
        strokes.append({"key": key, "seconds": t_paint - t0, "rows": len(table.keys), "cursor": table.cursor,
                        "to_handler": None if handled is None else handled - t0,
                        "scroll_y": round(table.scroll_y), "handler": sum(marks.filter_seconds),
                        "details_arrived": details, "gc_seconds": gc_seconds, "t0": t0})
    return strokes


async def build_app(args: argparse.Namespace, out: dict) -> AcrBrowseApp:
    """The app as `acrbrowse` builds it (or, with --no-prefetch, as it did before the prefetch)."""
    start = parse_reference(args.target)
    credential = resolve(start.registry)  # from ACRBROWSE_USERNAME/PASSWORD, as `acrbrowse` would
    session = Session(SessionOptions(use_cache=False), env=dict(os.environ),
                      include_helper_list=False, cache=ContentCache(args.cache_dir / "content"))
    out["t_app"] = time.monotonic()
    if start_app is not None and not args.no_prefetch:
        app = await start_app(start, credential, session, system_clipboard=False)
    else:
        from acrbrowse.ui.app import AcrBrowseApp

        app = AcrBrowseApp(start, credential, session=session, system_clipboard=False)
    out["t_imported"] = time.monotonic()
    out["rss_imported_kib"] = rss_kib()
    return app


async def drive(args: argparse.Namespace, marks: Marks, out: dict) -> None:
    beat = asyncio.create_task(heartbeat())
    try:
        app = await build_app(args, out)
        install_hooks()
        out["t_built"] = time.monotonic()
        await _drive(app, args, marks, out)
    finally:
        beat.cancel()


async def _drive(app: AcrBrowseApp, args: argparse.Namespace, marks: Marks, out: dict) -> None:
    from acrbrowse.ui.screens.browser import BrowserScreen
    from acrbrowse.ui.tree.nodes import EntryItem

    async with app.run_test(size=SIZE) as pilot:
        out["t_run"] = time.monotonic()
        screen = await wait_until(lambda: isinstance(app.screen, BrowserScreen) and app.screen, args.timeout,
                                  "the browser screen")
        await wait_until(lambda: "repos_listed" in marks.t, args.timeout, "the repositories listed")
        if not args.repo:  # opened at the registry: the repositories have the screen
            await wait_until(lambda: "repos_painted" in marks.t, args.timeout, "the repositories painted")
        if args.repo_count:
            await wait_until(lambda: "repos_all_painted" in marks.t, args.timeout,
                             f"{args.repo_count} repositories painted")
            out["rss_repos_kib"] = rss_kib()
        if args.gc_freeze:  # a proposed fix, measured without editing acrbrowse
            import gc

            gc.freeze()
        if args.tag:
            tree = screen.manifest_tree

            def entries():
                root = tree.root
                if getattr(root.data, "manifest", None) is None:
                    return None
                found = [n for n in root.children if isinstance(n.data, EntryItem)]
                return found if len(found) >= (marks.platforms or 1) else None

            found = await wait_until(entries, args.timeout, "the platforms under the root")
            if args.expand_all:
                out["t_expand"] = time.monotonic()
                for node in found:  # what Enter on each platform does, without the keystrokes
                    node.expand()
                await wait_until(lambda: "tree_painted" in marks.t, args.timeout, "every platform expanded")
            else:
                await wait_until(lambda: "root_painted" in marks.t, args.timeout, "the root painted")
        if args.filter:
            await wait_until(lambda: "tags_painted" in marks.t, args.timeout, f"{marks.tag_count} tags painted")
            out["t_tags_painted"] = marks.t["tags_painted"]
            out["rss_tags_kib"] = rss_kib()
            # Let the details of the rows in view arrive first, so keystrokes are timed alone.
            await wait_until(lambda: running_workers(app) == 0 or None, args.timeout, "quiet workers")
            out["t_typing"] = time.monotonic()
            await pilot.press("slash")
            await wait_until(lambda: screen.focused is not None and screen.focused.id == "tag-filter",
                             args.timeout, "the tag filter")
            keys = list(args.filter) + ["backspace"] * len(args.filter)
            out["strokes"] = await timed_keys(pilot, screen.tags.table, marks, keys, args.timeout)
        if args.repo_filter or args.scroll:  # the repositories pane (focused when no repository is given)
            table = screen.repos.table
            await wait_until(lambda: running_workers(app) == 0 or None, args.timeout, "quiet workers")
            out["t_typing"] = time.monotonic()
        if args.repo_filter:
            await pilot.press("slash")
            await wait_until(lambda: screen.focused is not None and screen.focused.id == "repo-filter",
                             args.timeout, "the repository filter")
            keys = list(args.repo_filter) + ["backspace"] * len(args.repo_filter)
            out["repo_strokes"] = await timed_keys(pilot, table, marks, keys, args.timeout)
            if len(table.keys) < (args.repo_count or 0):
                raise RuntimeError(f"{len(table.keys)} repositories listed after erasing the filter")
            await pilot.press("enter")  # closes the (empty) filter; the table has the focus again
            await wait_until(lambda: screen.focused is table, args.timeout, "the repository table focused")
        if args.scroll:
            await wait_until(lambda: screen.focused is table, args.timeout, "the repository table focused")
            keys = args.scroll.split(",")
            out["scroll_strokes"] = await timed_keys(pilot, table, marks, keys, args.timeout, scroll=True)
        out["workers_at_end"] = running_workers(app)
        out["gc_objects"] = gc_census()


def main(argv: list[str] | None = None) -> int:
    global MARKS
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--repo", help="open this repository (without it the UI starts at the registry)")
    ap.add_argument("--tag")
    ap.add_argument("--platforms", type=int)
    ap.add_argument("--tag-count", type=int)
    ap.add_argument("--repo-count", type=int, help="wait until this many repositories are painted")
    ap.add_argument("--expand-all", action="store_true")
    ap.add_argument("--filter", help="type this into the tag filter, then erase it, timing each keystroke")
    ap.add_argument("--repo-filter", help="type this into the repository filter, then erase it, timing each keystroke")
    ap.add_argument("--scroll", help="then press these keys on the repository table (comma-separated, e.g. "
                                     "pagedown,end), timing each to the repaint")
    ap.add_argument("--cache-dir", type=Path, required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--gc-freeze", action="store_true",
                    help="gc.freeze() once the repositories are painted (what-if for a proposed fix)")
    ap.add_argument("--no-prefetch", action="store_true",
                    help="build the app as before the prefetch: import everything, then run it")
    args = ap.parse_args(argv)
    args.target = args.host + (f"/{args.repo}" if args.repo else "") + (
        f":{args.tag}" if args.repo and args.tag else "")

    out: dict = {"t_main": T_MAIN, "t_light": T_LIGHT}
    import gc

    gc.callbacks.append(_gc_callback)
    MARKS = marks = Marks(args.platforms, args.tag_count, args.repo_count)
    asyncio.run(drive(args, marks, out))
    out["marks"] = marks.t
    out["gc_pauses"] = GC_PAUSES
    out["stalls"] = STALLS
    out["rss_peak_kib"] = rss_kib()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
