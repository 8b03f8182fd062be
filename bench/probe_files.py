"""Child process for bench/layers.py: the acrbrowse UI headless (Pilot) at REF (an image), Enter on
its first layer, and when the files view painted its first entries and finished; with --keys, the
time a key, an expand and a filter keystroke take to be painted afterwards. One JSON line on stdout.

    python bench/probe_files.py REGISTRY/REPO:TAG [--keys]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from acrbrowse.oci.name import parse_reference  # noqa: E402
from acrbrowse.session import Session, SessionOptions  # noqa: E402
from acrbrowse.ui.app import AcrBrowseApp  # noqa: E402
from acrbrowse.ui.screens.browser import BrowserScreen  # noqa: E402
from acrbrowse.ui.screens.files import FilesScreen  # noqa: E402
from acrbrowse.ui.tree.nodes import LayerItem  # noqa: E402
from bench.probe_ui import rss_kib  # noqa: E402

POLL = 0.002
FRAME = 1 / 60


async def until(pilot, predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(POLL)
    raise TimeoutError(f"the probe waited too long at line {sys._getframe(1).f_lineno}")


async def painted(pilot, screen: FilesScreen, predicate) -> float:
    """Seconds until `predicate` holds and the table has rendered since."""
    started = time.monotonic()
    await until(pilot, predicate)
    await pilot.pause()
    return time.monotonic() - started


async def probe(ref: str, keys: bool) -> dict:
    reference = parse_reference(ref)
    app = AcrBrowseApp(reference, session=Session(SessionOptions(use_cache=False)), system_clipboard=False)
    out: dict = {}
    async with app.run_test(size=(160, 45)) as pilot:
        browser = await until(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = browser.manifest_tree
        await until(pilot, lambda: any(isinstance(n.data, LayerItem) for n in tree.root.children))
        tree.move_cursor(next(n for n in tree.root.children if isinstance(n.data, LayerItem)))
        tree.focus()
        await pilot.pause()
        started = time.monotonic()
        # Not awaited: Pilot's press returns only once the app is idle, which it is not while a layer streams.
        pressing = asyncio.ensure_future(pilot.press("enter"))
        screen = await until(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen)
        await until(pilot, lambda: len(screen.view.listing) > 0)
        out["first_entries"] = time.monotonic() - started
        await until(pilot, lambda: len(screen.table.keys) > 0)
        await asyncio.sleep(FRAME)  # painted by the next frame (pilot.pause would wait for the stream's end)
        out["first_rows"] = time.monotonic() - started
        await until(pilot, lambda: screen.state != "reading")
        out["listed"] = time.monotonic() - started
        await pressing
        out["state"] = screen.state
        out["rss_listed_kib"] = rss_kib()
        out["entries"] = len(screen.view.listing)
        if keys:
            await pilot.pause()
            screen.table.cursor = 0
            rows = len(screen.table.keys)
            t = time.monotonic()
            await pilot.press("right")  # data/: a directory per thousand files
            await until(pilot, lambda: len(screen.table.keys) > rows)
            await pilot.pause()
            out["expand_top"] = time.monotonic() - t
            cursor = screen.table.cursor
            t = time.monotonic()
            await pilot.press("down")
            await until(pilot, lambda: screen.table.cursor == cursor + 1)
            await pilot.pause()
            out["key"] = time.monotonic() - t
            rows = len(screen.table.keys)
            t = time.monotonic()
            await pilot.press("right")  # one of them: a thousand files
            await until(pilot, lambda: len(screen.table.keys) > rows)
            await pilot.pause()
            out["expand"] = time.monotonic() - t
            await pilot.press("slash", "f", "0", "0", "1")
            await until(pilot, lambda: screen.view.matches is not None and screen.filter_input.value == "f001")
            t = time.monotonic()
            await pilot.press("2")
            await until(pilot, lambda: screen.filter_input.value == "f0012" and screen.view.matches is not None
                        and all("f0012" in screen.view.tree.path(n) for n in screen.table.keys[:5]))
            await pilot.pause()
            out["filter"] = time.monotonic() - t
    out["rss_kib"] = rss_kib()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("ref")
    parser.add_argument("--keys", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args.ref, args.keys))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
