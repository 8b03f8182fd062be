"""What one filter keystroke costs over 20,000 tags, without a registry.

A Textual app with what the tags pane has for filtering (an Input over a VirtualTable with the tags
pane's columns, its filter's rows kept in a FilteredNames, the matched characters highlighted)
types 10 queries one key at a time, and times each keystroke:

* work: the filter (FilteredNames: over every tag for a query's first key, then over the rows of
  the query before, as the panes do), set_keys, and the paint of the rows in view
  (VirtualTable.render_lines, highlights included): what the event loop spends on the keystroke;
* key → painted: from the key sent (Pilot.press) to the end of the table's first paint of the new
  rows: Textual's dispatch and the screen update included;
* filter alone: filter_names over every tag for each prefix of the query, outside the app (best of
  5; what a paste or Backspace costs, with no rows to narrow from).

Like the app once a list is in, the tags are moved out of the garbage collector's sight (gc.freeze).
It prints a table; no pass or fail (the goal is under 16 ms at worst).

    .venv/bin/python -m bench.filter [--tags 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.text import Text  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Input  # noqa: E402

from acrbrowse.present.safe import safe_text  # noqa: E402
from acrbrowse.ui.filtering import FilteredNames, filter_names, natural_key  # noqa: E402
from acrbrowse.ui.widgets.tags import TagsPane  # noqa: E402
from acrbrowse.ui.widgets.virtual_table import Column, VirtualTable  # noqa: E402

QUERIES = ("8.0", "1.2.3", "amd64", "2024.03", "build.12", "arm64 alpine", "v3.1-rc", "jammy s390x",
           "nightly", "20250101")
SIZE = (160, 45)
ARCHES = ("", "", "-amd64", "-arm64v8", "-arm32v7", "-s390x", "-ppc64le")
FLAVOURS = ("", "", "-alpine", "-alpine3.19", "-bookworm-slim", "-jammy", "-noble-chiseled", "-nanoserver-ltsc2022")


def realistic_tags(count: int, seed: int) -> list[str]:
    """Versions with flavours and architectures, dated builds, CI build numbers and commit tags."""
    rng = random.Random(seed)
    tags: set[str] = {"latest", "stable", "edge", "nightly"}
    while len(tags) < count:
        kind = rng.random()
        if kind < 0.45:
            version = f"{rng.randint(0, 12)}.{rng.randint(0, 30)}"
            if rng.random() < 0.7:
                version += f".{rng.randint(0, 40)}"
            if rng.random() < 0.1:
                version = f"v{version}-rc.{rng.randint(1, 5)}"
            tags.add(version + rng.choice(FLAVOURS) + rng.choice(ARCHES))
        elif kind < 0.7:
            day = f"{rng.randint(2019, 2026)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}"
            tags.add(f"{day}-build.{rng.randint(1, 9999)}" + rng.choice(ARCHES))
        elif kind < 0.85:
            tags.add(f"{rng.randint(2019, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}.{rng.randint(1, 40)}")
        elif kind < 0.95:
            tags.add(f"build-{rng.randint(1, 99999)}")
        else:
            tags.add(f"sha-{rng.getrandbits(28):07x}")
    return sorted(tags, key=natural_key)


class Timings:
    def __init__(self) -> None:
        self.handler = 0.0  # filter + set_keys of the last keystroke
        self.paint = 0.0  # render_lines of the table since the keystroke
        self.painted_at: float | None = None  # the end of the first paint of the new rows
        self.generation = 0  # set_keys calls
        self.painted_generation = -1


class FilterApp(App[None]):
    def __init__(self, tags: list[str], timings: Timings) -> None:
        super().__init__()
        self.tags = tags
        self.timings = timings
        self.matches: FilteredNames | None = None

    def compose(self) -> ComposeResult:
        self.filter_input = Input(placeholder="filter tags")
        self.table = VirtualTable(TagsPane.COLUMNS, self._render_cell)
        yield self.filter_input
        yield self.table

    def on_mount(self) -> None:
        self.table.set_keys(self.tags)
        self.filter_input.focus()
        self.call_after_refresh(self._settle_memory)

    def _settle_memory(self) -> None:  # what AcrBrowseApp.settle_memory does once the tags are in
        gc.collect()
        gc.freeze()

    def _render_cell(self, tag: str, column: Column) -> Text | str:
        if column.key == "tag":
            return safe_text(tag, style="bold")
        return Text("…", style="dim") if column.key == "digest" else ""

    def on_input_changed(self, event: Input.Changed) -> None:  # what TagsPane._apply_filter(typed=True) does
        t0 = time.perf_counter()
        query, previous = event.value, self.matches
        self.table.highlight_query = query
        if query:
            known = previous.typed(query) if previous is not None else None
            self.matches = known or FilteredNames(self.tags, query)
            self.table.set_keys(self.matches.keys)
        else:
            self.matches = None
            self.table.set_keys(self.tags)
        self.timings.handler = time.perf_counter() - t0
        self.timings.generation += 1


def instrument(timings: Timings) -> None:
    render_lines = VirtualTable.render_lines

    def timed(self, crop):
        t0 = time.perf_counter()
        lines = render_lines(self, crop)
        t1 = time.perf_counter()
        timings.paint += t1 - t0
        if timings.painted_generation != timings.generation:
            timings.painted_generation = timings.generation
            timings.painted_at = t1
        return lines

    VirtualTable.render_lines = timed  # type: ignore[method-assign]


Stroke = tuple[float, float, float]  # filter + set_keys, paint, key → painted; seconds


async def type_queries(tags: list[str]) -> tuple[dict[str, list[Stroke]], list[Stroke]]:
    """Each query typed one key at a time, then erased with Backspace: the typed keys per query, and
    every Backspace."""
    timings = Timings()
    instrument(timings)
    app = FilterApp(tags, timings)
    typed: dict[str, list[Stroke]] = {}
    erased: list[Stroke] = []

    async def stroke(pilot, key: str) -> Stroke:
        timings.paint, timings.painted_at = 0.0, None
        generation = timings.generation
        t0 = time.perf_counter()
        await pilot.press(key)
        deadline = time.perf_counter() + 5
        while (timings.generation == generation or timings.painted_generation != timings.generation
               or timings.painted_at is None) and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        await pilot.pause()  # every paint of this keystroke is in `paint`
        assert timings.painted_at is not None, f"no paint after {key!r}"
        return timings.handler, timings.paint, timings.painted_at - t0

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for query in QUERIES:
            typed[query] = [await stroke(pilot, "space" if key == " " else key) for key in query]
            assert app.table.keys == filter_names(tags, query), query
            erased += [await stroke(pilot, "backspace") for _ in query]
            assert app.filter_input.value == "" and app.table.keys == tags
    return typed, erased


def filter_alone(tags: list[str], query: str) -> list[float]:
    """filter_names for each prefix of `query` as it is typed: best of 5, in seconds."""
    out = []
    for end in range(1, len(query) + 1):
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            filter_names(tags, query[:end])
            best = min(best, time.perf_counter() - t0)
        out.append(best)
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tags", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tags = realistic_tags(args.tags, args.seed)
    results, erased = asyncio.run(type_queries(tags))
    print(f"{len(tags):,} tags, e.g. {', '.join(tags[i] for i in range(0, len(tags), len(tags) // 6))}")
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"terminal {SIZE[0]}x{SIZE[1]}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}\n")
    print("| query | keys | rows at the end | filter + set_keys, median / max (ms) | paint, median / max (ms) "
          "| work median / p95 / max (ms) | key → painted median / p95 / max (ms) | filter alone, max (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    every: list[tuple[float, float, float]] = []
    every_filter: list[float] = []
    for query, strokes in results.items():
        alone = filter_alone(tags, query)
        every += strokes
        every_filter += alone
        print(f"| `{query}` | {len(strokes)} | {len(filter_names(tags, query)):,} | {columns(strokes)} | {ms(max(alone))} |")
    print(f"| **all typed** | {len(every)} | | {columns(every)} | {ms(max(every_filter))} |")
    print(f"| Backspace, each query erased | {len(erased)} | | {columns(erased)} | |")


def columns(strokes: list[tuple[float, float, float]]) -> str:
    handler = [h for h, _, _ in strokes]
    paint = [p for _, p, _ in strokes]
    work = [h + p for h, p, _ in strokes]
    latency = [lat for _, _, lat in strokes]
    return (f"{ms(statistics.median(handler))} / {ms(max(handler))} | {ms(statistics.median(paint))} / {ms(max(paint))} "
            f"| {ms(statistics.median(work))} / {ms(p95(work))} / {ms(max(work))} "
            f"| {ms(statistics.median(latency))} / {ms(p95(latency))} / {ms(max(latency))}")


if __name__ == "__main__":
    main()
