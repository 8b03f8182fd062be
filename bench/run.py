"""acrbrowse benchmark: the test bed behind a delaying proxy, acrbrowse side by side with skopeo.

    .venv/bin/python bench/run.py [--rtt-ms 50] [--repeat N] [--cases 1,2,3,4,5,6] [--data DIR] [--json FILE]

Prints a markdown table (medians of --repeat runs) and how each target came out. Progress goes
to stderr. Every process and server it starts is stopped before it exits. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python bench/run.py` puts bench/ first, not the repo
    sys.path.insert(0, str(REPO_ROOT))

from bench.cases import CASES, Context, Row, digest_requests, tree_runs  # noqa: E402
from bench.rig import Rig  # noqa: E402


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- formatting --------------------------------------------------------------------------------

def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value * 1000:,.0f} ms" if value >= 0.0995 else f"{value * 1000:.1f} ms"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"


def requests_cell(summary: str, rounds: int | None) -> str:
    if not summary:
        return ""
    return f"{summary} · {rounds}" if rounds is not None else summary


def table(rows: list[Row], rtt: float) -> str:
    head = ("| # | measurement | acrbrowse | skopeo | acrbrowse ÷ skopeo | lower bound (RTTs × RTT) | "
            "acrbrowse ÷ bound | acrbrowse requests · sequential round trips | skopeo requests · round trips |")
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        bound = r.bound_rtts * rtt if r.bound_rtts is not None else None
        bound_cell = f"{fmt(bound, 's')} ({r.bound_rtts})" if bound is not None else "—"
        lines.append(
            f"| {r.case} | {r.what} | {fmt(r.acr, r.unit)} | {fmt(r.skopeo, r.unit)} | {ratio(r.acr, r.skopeo)} | "
            f"{bound_cell} | {ratio(r.acr, bound) if bound else '—'} | {requests_cell(r.acr_requests, r.acr_rounds)} | "
            f"{requests_cell(r.skopeo_requests, r.skopeo_rounds)} |")
    return "\n".join(lines)


# ---- targets -----------------------------------------------------------------------------------

def targets(rows: list[Row], ctx: Context) -> list[str]:
    by = {r.key: r for r in rows}
    out = []

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    def bound_of(r: Row) -> float:
        return r.bound_rtts * ctx.rtt

    if "tree_cli_cold" in by and ctx.rtt > 0:
        cli, walk = by["tree_cli_cold"], by["tree_walk_cold"]
        known = by["tree_cli_known"]
        out.append(
            f"- Full tree within 1.5× of the round-trip bound: CLI process {verdict(cli.acr <= 1.5 * bound_of(cli))} "
            f"({fmt(cli.acr, 's')} vs {fmt(bound_of(cli), 's')} = {cli.acr / bound_of(cli):.2f}×; realm remembered "
            f"{known.acr / bound_of(known):.2f}× of {fmt(bound_of(known), 's')}); in-process `walk()` "
            f"{verdict(walk.acr <= 1.5 * bound_of(walk))} ({fmt(walk.acr, 's')} = {walk.acr / bound_of(walk):.2f}×).")
        fair = by["tree_skopeo_n"].skopeo
        out.append(
            f"- At most a quarter of skopeo's time: CLI process against skopeo as run (inspect lists every tag too) "
            f"{verdict(cli.acr <= cli.skopeo / 4)} ({fmt(cli.acr, 's')} vs {fmt(cli.skopeo, 's')} = "
            f"{cli.acr / cli.skopeo:.2f}), against `skopeo inspect --no-tags`, the same information, "
            f"{verdict(cli.acr <= fair / 4)} ({fmt(fair, 's')}: {cli.acr / fair:.2f}); in-process "
            f"{verdict(walk.acr <= fair / 4)} ({walk.acr / cli.skopeo:.2f} / {walk.acr / fair:.2f}).")
    if "tree_cli_warm" in by:
        runs = tree_runs(ctx)
        cli, walk = digest_requests(runs["cli_warm"]), digest_requests(runs["walk_warm"])
        out.append(
            f"- Warm cache, no manifest or config request for digest-addressed content: {verdict(cli == 0 and walk == 0)} "
            f"({cli} in the CLI runs, {walk} in-process; left: the token and the index by tag, "
            f"{by['tree_cli_warm'].acr_requests}).")
    tag_rows = [r for r in rows if r.key.startswith("tags_cold_")]
    if tag_rows:
        cli_parts, walk_parts = [], []
        cli_ok = walk_ok = True
        for r in tag_rows:
            repo = r.key.removeprefix("tags_cold_")
            known, walk_cold, walk_known = (by[f"tags_{k}_{repo}"] for k in ("known", "walk_cold", "walk_known"))
            cli_ok &= r.acr <= r.skopeo and known.acr <= r.skopeo
            walk_ok &= walk_cold.acr <= r.skopeo and walk_known.acr <= r.skopeo
            cli_parts.append(f"{r.label}: {fmt(r.acr, 's')} (401 first) / {fmt(known.acr, 's')} (realm remembered) "
                             f"vs skopeo {fmt(r.skopeo, 's')}")
            walk_parts.append(f"{r.label}: {fmt(walk_cold.acr, 's')} / {fmt(walk_known.acr, 's')}")
        out.append(f"- Tags no slower than `skopeo list-tags`: CLI process {verdict(cli_ok)} ({'; '.join(cli_parts)}); "
                   f"in-process {verdict(walk_ok)} ({'; '.join(walk_parts)}).")
    if "ui_repos" in by:
        r = by["ui_repos"]
        out.append(f"- UI repositories painted within 1 s of launch: {verdict(r.acr <= 1.0)} ({fmt(r.acr, 's')} "
                   f"from process spawn; {fmt(by['ui_imports'].acr, 's')} of it is interpreter + imports).")
    if "ui_registry_repos" in by:
        r, r90 = by["ui_registry_repos"], by["ui_registry_repos_p90"]
        root, root90 = by["ui_root"], by["ui_root_p90"]
        out.append(f"- UI launch at REGISTRY → repositories painted within 450 ms: {verdict(r.acr <= 0.45)} "
                   f"(median {fmt(r.acr, 's')}, 90th percentile {fmt(r90.acr, 's')}); launch at REPO:TAG → every "
                   f"platform painted with its size within 650 ms: {verdict(root.acr <= 0.65)} (median "
                   f"{fmt(root.acr, 's')}, 90th percentile {fmt(root90.acr, 's')}).")
    if "stroke_median" in by:
        med, worst, p90 = by["stroke_median"].acr, by["stroke_max"].acr, by["stroke_p90"].acr
        frozen = by["stroke_max_frozen"]
        out.append(f"- Filter keystroke over {ctx.rig.big_tags:,} tags under 50 ms: median {verdict(med < 0.05)} "
                   f"({fmt(med, 's')}), 90th percentile {fmt(p90, 's')}; every keystroke {verdict(worst < 0.05)} "
                   f"(worst {fmt(worst, 's')}, {by['stroke_max'].label} at 50 ms or more; with gc.freeze() worst "
                   f"{fmt(frozen.acr, 's')}, {frozen.label}). {attribution(ctx.memo.get('strokes', []))}")
    if "ui_repos_all" in by:
        first, loaded, stall = by["ui_repos_first"], by["ui_repos_all"], by["repos_load_stall"]
        med, p90, worst = (by[f"repo_stroke_{k}"] for k in ("median", "p90", "max"))
        s_med, s_p90, s_worst = (by[f"scroll_{k}"] for k in ("median", "p90", "max"))
        cli = by["repos_cold"]

        def of_bound(r: Row) -> str:
            return f"{r.acr / bound_of(r):.2f}× its {r.bound_rtts}-RTT bound; " if ctx.rtt > 0 else ""

        ok = stall.acr < 0.05 and worst.acr < 0.05 and s_worst.acr < 0.05
        out.append(
            f"- {ctx.rig.catalog_size:,} repositories list, scroll and filter without visible lag (50 ms per keystroke "
            f"or scroll, as for tags): {verdict(ok)}. List: first page painted {fmt(first.acr, 's')}, all "
            f"{fmt(loaded.acr, 's')} from spawn ({of_bound(loaded)}the registry's own work for the pages "
            f"{fmt(by['repos_server'].acr, 's')}), longest stall of the "
            f"event loop while they arrive {fmt(stall.acr, 's')} (before the first page: "
            f"{fmt(by['repos_start_stall'].acr, 's')}, which delays it). Filter: median {fmt(med.acr, 's')}, 90th "
            f"percentile {fmt(p90.acr, 's')}, worst {fmt(worst.acr, 's')} ({worst.label} at 50 ms or more). "
            f"Scroll: median {fmt(s_med.acr, 's')}, 90th percentile {fmt(s_p90.acr, 's')}, worst "
            f"{fmt(s_worst.acr, 's')} ({s_worst.label}). Memory: UI peak {fmt(by['repos_rss_peak'].acr, 'MiB')}, "
            f"`acrbrowse repos` {fmt(by['repos_cli_rss'].acr, 'MiB')}. CLI process {fmt(cli.acr, 's')} "
            f"({of_bound(cli)}skopeo 1.9 has no catalog command).")
    return out


def attribution(strokes: list[dict]) -> str:
    """What the slow keystrokes had in common: a GC pause inside them, or rows' details arriving."""
    slow = [s for s in strokes if s["seconds"] >= 0.03]
    if not slow:
        return ""
    gc = sum(1 for s in slow if s["gc_seconds"] > 0.005)
    details = sum(1 for s in slow if s["details_arrived"] > 0)
    neither = sum(1 for s in slow if s["gc_seconds"] <= 0.005 and s["details_arrived"] == 0)
    fast = [s for s in strokes if s["seconds"] < 0.02]
    return (f"Of the {len(slow)} keystrokes of 30 ms or more, {gc} had a garbage-collector pause inside, {details} "
            f"had rows' details (manifests fetched for the rows in view) arriving meanwhile, {neither} neither; "
            f"of the {len(fast)} under 20 ms, {sum(1 for s in fast if s['details_arrived'] > 0)} had details arriving.")


# ---- main --------------------------------------------------------------------------------------

def versions() -> str:
    def first_line(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    import textual

    import acrbrowse

    return (f"acrbrowse {acrbrowse.__version__}, Python {platform.python_version()}, Textual {textual.__version__}, "
            f"{first_line(['skopeo', '--version'])}, {first_line(['docker-registry', '--version'])}, "
            f"{os.cpu_count()} CPUs")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rtt-ms", type=float, default=50.0, help="round-trip time the proxies add (default 50)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement; the table shows medians (default 5)")
    ap.add_argument("--cases", default="1,2,3,4,5,6", help="which cases, e.g. 1,3 (default all)")
    ap.add_argument("--tags", type=int, default=20000, help="tags in the big repository (default 20000)")
    ap.add_argument("--repos", type=int, default=5000, help="repositories in case 6's registry (default 5000)")
    ap.add_argument("--data", help="keep the registry storage here (fill and the big push are skipped next time)")
    ap.add_argument("--json", type=Path, help="also write the rows and targets as JSON to this file")
    ap.add_argument("--no-prefetch", action="store_true",
                    help="UI probes build the app as before the prefetch (imports first, no request before it runs)")
    args = ap.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown or args.repeat < 1:
        ap.error(f"unknown case(s) {unknown}; choose from 1-6" if unknown else "--repeat must be at least 1")
    if args.repos < 2:
        ap.error("--repos must be at least 2")
    if shutil.which("skopeo") is None:
        ap.error("skopeo is not installed (Debian package `skopeo`)")

    rtt = args.rtt_ms / 1000
    work = Path(tempfile.mkdtemp(prefix="acrbrowse-bench-"))
    started = time.monotonic()
    rig = Rig(rtt=rtt, data_dir=args.data, big_tags=args.tags, workdir=work,
              scale_repos=args.repos if "6" in cases else 0)
    rows: list[Row] = []
    try:
        log(f"starting the test bed (fill ~10 s, {args.tags:,}-tag push ~45 s"
            + (f", {args.repos:,}-repository push ~40 s" if rig.scale_repos else "") + " unless --data has them)")
        rig.start()
        log(f"bed {rig.timings['bed']:.1f} s, big repository {rig.timings['tags20k']:.1f} s; "
            f"registry behind the proxy at {rig.host}, RTT {args.rtt_ms:g} ms")
        if rig.scale_repos:
            pushed = (f"pushed in {rig.timings['repos_push']:.1f} s ({rig.timings['repos_push_requests']:,} requests, "
                      f"8 at a time)" if "repos_push" in rig.timings else "already in the storage")
            log(f"case 6 registry at {rig.scale_host}: {rig.catalog_size:,} repositories, {pushed}; "
                f"{rig.timings['repos']:.1f} s with the catalog count")
        ctx = Context(rig=rig, repeat=args.repeat, work=work,
                      probe_args=("--no-prefetch",) if args.no_prefetch else ())
        for case in cases:
            t0 = time.monotonic()
            log(f"case {case} …")
            rows += CASES[case](ctx)
            log(f"case {case} done in {time.monotonic() - t0:.1f} s")
        verdicts = targets(rows, ctx)
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"acrbrowse benchmark — RTT {args.rtt_ms:g} ms ({args.rtt_ms / 2:g} ms each way, token service included), "
          f"medians of {args.repeat} runs; {versions()}; {time.strftime('%Y-%m-%d')}; "
          f"whole run {time.monotonic() - started:.0f} s\n")
    print(table(rows, rtt))
    print("\nTargets:\n" + "\n".join(verdicts))
    if args.json:
        extra = {k: ctx.memo[k] for k in ("strokes", "strokes_frozen", "gc_census", "gc_census_frozen",
                                          "repo_strokes", "scroll_strokes") if k in ctx.memo}
        args.json.write_text(json.dumps({"rtt_ms": args.rtt_ms, "repeat": args.repeat, "rows": [r.__dict__ for r in rows],
                                         "targets": verdicts, **extra}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
