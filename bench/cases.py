"""The six cases. Each returns table rows; every run is checked for the right answer first, so a
fast failure is never reported as a fast run."""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from acrbrowse.oci.cache import ContentCache
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.remote.challenge import Challenge
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.walk import walk
from bench.measure import BenchError, Run, Samples, merge_traffic, run_process
from bench.rig import BIG_REPO, CATALOG_MAX_N, USER, Rig, classify, clean_env, reset_dir, rounds

REPO_ROOT = Path(__file__).resolve().parent.parent
TREE_REPO, TREE_TAG = "aspnetapp", "latest"
TAGS_REPO = "manytags"
FILTER_TEXT = "build-012"  # typed, then erased: 10,000 → 1,000 → 100 rows and back to 20,000
REPO_FILTER_TEXT = "repo-012"  # typed, then erased: 5,000 → 1,000 → 100 → 10 rows and back to 5,000
# Per run: five pages down, to the end, three pages up, to the top (10 keys, each timed to the repaint).
SCROLL_KEYS = "pagedown,pagedown,pagedown,pagedown,pagedown,end,pageup,pageup,pageup,home"


@dataclass
class Row:
    case: str
    what: str
    acr: float | None = None  # seconds (or what `unit` says)
    skopeo: float | None = None
    bound_rtts: int | None = None
    acr_requests: str = ""
    acr_rounds: int | None = None
    skopeo_requests: str = ""
    skopeo_rounds: int | None = None
    unit: str = "s"  # "s" or "MiB"
    key: str = ""  # for the targets
    label: str = ""  # short name for the targets
    samples: list[float] = field(default_factory=list)  # every run's value (--json keeps them)


@dataclass
class Context:
    rig: Rig
    repeat: int
    work: Path
    python: str = sys.executable
    probe_args: tuple[str, ...] = ()  # given to every UI probe (run.py --no-prefetch)
    memo: dict = field(default_factory=dict)  # runs shared between cases (case 1's cold cache warms case 3)

    @property
    def rtt(self) -> float:
        return self.rig.rtt

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(self.work / "home", ACRBROWSE_USERNAME=USER, ACRBROWSE_PASSWORD=self.rig.password, **extra)

    def acrbrowse(self, *args: str) -> list[str]:
        return [self.python, "-m", "acrbrowse", *args]

    def skopeo(self, *args: str, platform: str | None = None) -> list[str]:
        overrides: list[str] = []
        if platform:
            os_, arch, *variant = platform.split("/")
            overrides = ["--override-os", os_, "--override-arch", arch]
            if variant:
                overrides += ["--override-variant", variant[0]]
        command, rest = args[0], args[1:]
        return ["skopeo", *overrides, command, "--tls-verify=false", "--creds", f"{USER}:{self.rig.password}", *rest]


# ---- checks ------------------------------------------------------------------------------------

def check_tree_json(run: Run, platforms: int) -> None:
    doc = json.loads(run.stdout)
    nodes = doc.get("manifests") or []
    if len(nodes) != platforms or any("error" in n for n in nodes):
        raise BenchError(f"acrbrowse tree gave {len(nodes)} platforms (want {platforms}) or errors: {run.stdout[:300]}")


def check_tags(run: Run, expected: int, *, json_key: str = "tags") -> None:
    got = len(json.loads(run.stdout)[json_key])
    if got != expected:
        raise BenchError(f"got {got} tags, want {expected}")


def check_tree(tree, platforms: int) -> None:
    if len(tree.nodes) != platforms or tree.errors or any(n.config is None for n in tree.nodes):
        raise BenchError(f"walk() gave {len(tree.nodes)} nodes, errors {tree.errors}")


# ---- shared runs -------------------------------------------------------------------------------

def platforms_of(ctx: Context) -> list[str]:
    return list(ctx.rig.content.aspnetapp_platforms)


def skopeo_tree(ctx: Context, *, no_tags: bool) -> Samples:
    """What a user does today: the raw index, then one inspect per platform, one after another."""
    key = ("skopeo_tree", no_tags)
    if key in ctx.memo:
        return ctx.memo[key]
    samples = Samples()
    image = f"docker://{ctx.rig.host}/{TREE_REPO}:{TREE_TAG}"
    flags = ["--no-tags"] if no_tags else []
    for _ in range(ctx.repeat):
        runs = [run_process(ctx.skopeo("inspect", "--raw", image), env=ctx.env(), rig=ctx.rig)]
        index = json.loads(runs[0].stdout)
        if len(index.get("manifests", [])) != len(platforms_of(ctx)):
            raise BenchError("skopeo inspect --raw did not return the four-platform index")
        for platform in platforms_of(ctx):
            run = run_process(ctx.skopeo("inspect", *flags, image, platform=platform), env=ctx.env(), rig=ctx.rig)
            info = json.loads(run.stdout)
            if f"{info.get('Os')}/{info.get('Architecture')}" != "/".join(platform.split("/")[:2]):
                raise BenchError(f"skopeo inspect for {platform} gave {info.get('Os')}/{info.get('Architecture')}")
            runs.append(run)
        total = Run(sum(r.seconds for r in runs), traffic=merge_traffic(runs),
                    rounds=sum(r.rounds or 0 for r in runs) if ctx.rtt > 0 else None)
        samples.add(total)
    ctx.memo[key] = samples
    return samples


async def _walk_once(ctx: Context, cache_dir: Path, known: Challenge | None) -> tuple[Run, Challenge | None]:
    reference = parse_reference(f"{ctx.rig.host}/{TREE_REPO}:{TREE_TAG}")
    credential = Credential(USER, Secret(ctx.rig.password), source="bench")
    client = RegistryClient(reference, credential=credential, cache=ContentCache(cache_dir / "content"),
                            known_challenge=known)
    try:
        ctx.rig.clear()
        t0 = time.monotonic()
        tree = await walk(client, reference)
        elapsed = time.monotonic() - t0
    finally:
        await client.aclose()
    check_tree(tree, len(platforms_of(ctx)))
    traffic = ctx.rig.traffic()
    return Run(elapsed, traffic, rounds(traffic, ctx.rtt)), client.auth.challenge


def tree_runs(ctx: Context) -> dict[str, Samples]:
    """acrbrowse's tree runs, CLI and in-process: cold, cold with the realm remembered, warm."""
    if "tree" in ctx.memo:
        return ctx.memo["tree"]
    out = {k: Samples() for k in ("cli_cold", "cli_known", "cli_warm", "walk_cold", "walk_known", "walk_warm")}
    platforms = len(platforms_of(ctx))
    target = f"{ctx.rig.host}/{TREE_REPO}:{TREE_TAG}"
    for _i in range(ctx.repeat):
        cache = reset_dir(ctx.work / "cache-tree")
        env = ctx.env(ACRBROWSE_CACHE_DIR=str(cache))
        run = out["cli_cold"].add(run_process(ctx.acrbrowse("tree", target, "--json"), env=env, rig=ctx.rig))
        check_tree_json(run, platforms)
        run = out["cli_warm"].add(run_process(ctx.acrbrowse("tree", target, "--json"), env=env, rig=ctx.rig))
        check_tree_json(run, platforms)
        # Content cold, but the realm remembered from an earlier run (what a second image costs).
        known = reset_dir(ctx.work / "cache-tree-known")
        shutil.copy(cache / "challenges.json", known / "challenges.json")
        env = ctx.env(ACRBROWSE_CACHE_DIR=str(known))
        run = out["cli_known"].add(run_process(ctx.acrbrowse("tree", target, "--json"), env=env, rig=ctx.rig))
        check_tree_json(run, platforms)

        cache = reset_dir(ctx.work / "cache-walk")
        run, challenge = asyncio.run(_walk_once(ctx, cache, None))
        out["walk_cold"].add(run)
        run, _ = asyncio.run(_walk_once(ctx, cache, challenge))
        out["walk_warm"].add(run)
        run, _ = asyncio.run(_walk_once(ctx, reset_dir(ctx.work / "cache-walk-known"), challenge))
        out["walk_known"].add(run)
    ctx.memo["tree"] = out
    return out


def startup(ctx: Context) -> dict[str, Samples]:
    """Interpreter start, and the imports `acrbrowse tree` needs, without any network."""
    if "startup" in ctx.memo:
        return ctx.memo["startup"]
    imports = ("import acrbrowse.cli.main, acrbrowse.keychain.resolver, acrbrowse.locations, "
               "acrbrowse.oci.cache, acrbrowse.oci.remote.client, acrbrowse.oci.walk, acrbrowse.present.render")
    out = {"python": Samples(), "imports": Samples(), "skopeo": Samples()}
    for _ in range(max(ctx.repeat, 5)):
        out["python"].add(run_process([ctx.python, "-c", "pass"], env=ctx.env()))
        out["imports"].add(run_process([ctx.python, "-c", imports], env=ctx.env()))
        out["skopeo"].add(run_process(["skopeo", "--version"], env=ctx.env()))
    ctx.memo["startup"] = out
    return out


# ---- case 1 ------------------------------------------------------------------------------------

def case1(ctx: Context) -> list[Row]:
    runs = tree_runs(ctx)
    sk = skopeo_tree(ctx, no_tags=False)
    sk_n = skopeo_tree(ctx, no_tags=True)
    start = startup(ctx)
    sk_req, sk_rounds = sk.last.traffic.summary(), sk.median_rounds()
    rows = [
        Row("1", "full tree, cold cache, CLI process (realm not known: 401 first)", runs["cli_cold"].median,
            sk.median, 5, runs["cli_cold"].last.traffic.summary(), runs["cli_cold"].median_rounds(), sk_req, sk_rounds,
            key="tree_cli_cold"),
        Row("1", "full tree, cold content, CLI process (realm remembered from an earlier run)",
            runs["cli_known"].median, sk.median, 4, runs["cli_known"].last.traffic.summary(),
            runs["cli_known"].median_rounds(), key="tree_cli_known"),
        Row("1", "full tree, cold cache, in-process `walk()` (401 first)", runs["walk_cold"].median, sk.median, 5,
            runs["walk_cold"].last.traffic.summary(), runs["walk_cold"].median_rounds(), key="tree_walk_cold"),
        Row("1", "full tree, cold content, in-process `walk()` (realm known)", runs["walk_known"].median, sk.median, 4,
            runs["walk_known"].last.traffic.summary(), runs["walk_known"].median_rounds(), key="tree_walk_known"),
        Row("1", "skopeo with `inspect --no-tags` per platform (fairest skopeo)", None, sk_n.median, None,
            "", None, sk_n.last.traffic.summary(), sk_n.median_rounds(), key="tree_skopeo_n"),
        Row("1", "start-up alone: `python -c pass` / skopeo `--version`", start["python"].median,
            start["skopeo"].median, None, "no network", None, "no network", key="python"),
        Row("1", "start-up alone: imports of `acrbrowse tree` (interpreter included)", start["imports"].median,
            None, None, "no network", key="imports"),
    ]
    return rows


# ---- case 2 ------------------------------------------------------------------------------------

async def _tags_once(ctx: Context, repository: str, known: Challenge | None) -> tuple[Run, Challenge | None, int]:
    reference = parse_reference(f"{ctx.rig.host}/{repository}")
    credential = Credential(USER, Secret(ctx.rig.password), source="bench")
    client = RegistryClient(reference, credential=credential, known_challenge=known)
    try:
        ctx.rig.clear()
        t0 = time.monotonic()
        count = 0
        async for page in client.tag_pages(repository):
            count += len(page)
        elapsed = time.monotonic() - t0
    finally:
        await client.aclose()
    traffic = ctx.rig.traffic()
    return Run(elapsed, traffic, rounds(traffic, ctx.rtt)), client.auth.challenge, count


def case2(ctx: Context) -> list[Row]:
    rows = []
    for repo, count in ((TAGS_REPO, len(ctx.rig.content.manytags)), (BIG_REPO, ctx.rig.big_tags)):
        label = f"{count:,} tags"
        runs = {k: Samples() for k in ("cold", "known", "walk_cold", "walk_known", "skopeo")}
        target = f"{ctx.rig.host}/{repo}"
        for _ in range(ctx.repeat):
            cache = reset_dir(ctx.work / "cache-tags")
            env = ctx.env(ACRBROWSE_CACHE_DIR=str(cache))
            check_tags(runs["cold"].add(run_process(ctx.acrbrowse("tags", target, "--json"), env=env, rig=ctx.rig)),
                       count)
            check_tags(runs["known"].add(run_process(ctx.acrbrowse("tags", target, "--json"), env=env, rig=ctx.rig)),
                       count)
            run = runs["skopeo"].add(run_process(ctx.skopeo("list-tags", f"docker://{target}"), env=ctx.env(),
                                                 rig=ctx.rig))
            check_tags(run, count, json_key="Tags")
            run, challenge, got = asyncio.run(_tags_once(ctx, repo, None))
            runs["walk_cold"].add(run)
            run, _, got2 = asyncio.run(_tags_once(ctx, repo, challenge))
            runs["walk_known"].add(run)
            if got != count or got2 != count:
                raise BenchError(f"tag_pages() gave {got}/{got2} tags of {repo}, want {count}")
        skopeo = runs["skopeo"]
        ctx.memo[("skopeo_tags", repo)] = skopeo
        sk, sk_req, sk_rounds = skopeo.median, skopeo.last.traffic.summary(), skopeo.median_rounds()
        for key, what, bound in (("cold", "CLI process (realm not known: 401 first)", 3),
                                 ("known", "CLI process (realm remembered)", 2),
                                 ("walk_cold", "in-process `tag_pages()` (401 first)", 3),
                                 ("walk_known", "in-process `tag_pages()` (realm known)", 2)):
            samples = runs[key]
            first = key == "cold"
            rows.append(Row("2", f"{label}, {what}", samples.median, sk, bound, samples.last.traffic.summary(),
                            samples.median_rounds(), sk_req if first else "", sk_rounds if first else None,
                            key=f"tags_{key}_{repo}", label=label))
    return rows


# ---- case 3 ------------------------------------------------------------------------------------

def case3(ctx: Context) -> list[Row]:
    runs = tree_runs(ctx)
    sk = skopeo_tree(ctx, no_tags=False)
    return [
        Row("3", "full tree again, warm cache, CLI process", runs["cli_warm"].median, sk.median, 2,
            runs["cli_warm"].last.traffic.summary(), runs["cli_warm"].median_rounds(), "(skopeo has no cache: case 1)",
            key="tree_cli_warm"),
        Row("3", "full tree again, warm cache, in-process `walk()` (new client)", runs["walk_warm"].median, sk.median, 2,
            runs["walk_warm"].last.traffic.summary(), runs["walk_warm"].median_rounds(), key="tree_walk_warm"),
    ]


def digest_requests(samples: Samples) -> int:
    """Manifests by digest and blobs fetched in the warm runs: the target is none."""
    return max(r.traffic.count("manifest-digest") + r.traffic.count("blob") for r in samples.runs)


# ---- cases 4, 5 and 6: the UI in a fresh process ----------------------------------------------

def probe(ctx: Context, *args: str, host: str | None = None) -> tuple[Run, dict]:
    cache = reset_dir(ctx.work / "cache-ui")
    cmd = [ctx.python, "-m", "bench.probe_ui", "--host", host or ctx.rig.host, "--cache-dir", str(cache), *args,
           *ctx.probe_args]
    run = run_process(cmd, env=ctx.env(ACRBROWSE_CACHE_DIR=str(cache)), rig=ctx.rig, cwd=str(REPO_ROOT))
    data = json.loads(run.stdout.strip().splitlines()[-1])
    return run, data


def case4(ctx: Context) -> list[Row]:
    platforms = len(platforms_of(ctx))
    marks = {k: Samples() for k in ("imports", "app", "repos", "root", "tree", "registry")}
    rss = []
    last = last_registry = None
    for _ in range(ctx.repeat):
        run, data = probe(ctx, "--repo", TREE_REPO, "--tag", TREE_TAG, "--platforms", str(platforms), "--expand-all")
        t0 = run.extra["t0"]
        marks["imports"].add(Run(data["t_imported"] - t0))
        marks["app"].add(Run(data["t_run"] - data.get("t_built", data["t_app"])))
        marks["repos"].add(Run(data["marks"]["repos_listed"] - t0))
        marks["root"].add(Run(data["marks"]["root_painted"] - t0))
        marks["tree"].add(Run(data["marks"]["tree_painted"] - t0, run.traffic, run.rounds))
        rss.append(data["rss_peak_kib"])
        last = run
        # Launched at the registry alone: the repositories pane has the screen and the focus.
        run, data = probe(ctx)
        marks["registry"].add(Run(data["marks"]["repos_painted"] - run.extra["t0"], run.traffic, run.rounds))
        last_registry = run
    ctx.memo["ui_rss_small_kib"] = statistics.median(rss)
    sk = skopeo_tree(ctx, no_tags=False).median if ("skopeo_tree", False) in ctx.memo else None
    req = last.traffic.summary() if last and last.traffic else ""
    registry_req = last_registry.traffic.summary() if last_registry and last_registry.traffic else ""

    def p90(samples: Samples) -> float:
        return percentile([r.seconds for r in samples.runs], 0.9)

    rows = [
        Row("4", "UI start-up alone: interpreter + imports (`acrbrowse.ui.app`), app built (its first requests "
                 "already sent, Textual imported meanwhile)", marks["imports"].median, key="ui_imports"),
        Row("4", "UI: App built → `run_test` running (compose, CSS)", marks["app"].median, key="ui_app"),
        Row("4", "UI: launch at REGISTRY → repositories painted (401 + token + catalog)", marks["registry"].median,
            None, 3, registry_req, marks["registry"].median_rounds(), key="ui_registry_repos"),
        Row("4", "UI: launch at REGISTRY → repositories painted, 90th percentile", p90(marks["registry"]),
            key="ui_registry_repos_p90"),
        Row("4", "UI: launch at REPO:TAG → repositories listed (401 + token + catalog; the tree has the screen)",
            marks["repos"].median, None, 3,
            key="ui_repos"),
        Row("4", f"UI: launch at REPO:TAG → tree root with its {platforms} platforms painted, each with its size "
                 "(401 + token + index + platform manifests)", marks["root"].median, sk, 4, key="ui_root"),
        Row("4", "UI: launch at REPO:TAG → tree root painted, 90th percentile", p90(marks["root"]), key="ui_root_p90"),
        Row("4", f"UI: launch → all {platforms} platforms expanded (config, layers) painted", marks["tree"].median,
            sk, 5, req, marks["tree"].median_rounds(), key="ui_tree"),
        Row("4", "UI: peak RSS (VmHWM) of the process", statistics.median(rss) / 1024, unit="MiB", key="ui_rss"),
    ]
    sampled = {"ui_imports": "imports", "ui_app": "app", "ui_registry_repos": "registry", "ui_repos": "repos",
               "ui_root": "root", "ui_tree": "tree"}
    for row in rows:
        if row.key in sampled:
            row.samples = [r.seconds for r in marks[sampled[row.key]].runs]
    return rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def overlap(window: tuple[float, float], pauses: list) -> float:
    """Seconds of garbage collection inside `window` (start, seconds)."""
    start, end = window[0], window[0] + window[1]
    return sum(max(0.0, min(end, p[0] + p[1]) - max(start, p[0])) for p in pauses)


def case5(ctx: Context) -> list[Row]:
    count = ctx.rig.big_tags
    loaded = Samples()
    strokes: list[dict] = []
    frozen: list[dict] = []
    gc_pause, gc_pause_frozen = [], []
    load_stall, load_stall_gc, start_stall, start_stall_gc = [], [], [], []
    rss_peak, rss_imported = [], []
    last = None
    for _ in range(ctx.repeat):
        run, data = probe(ctx, "--repo", BIG_REPO, "--tag-count", str(count), "--filter", FILTER_TEXT)
        loaded.add(Run(data["marks"]["tags_painted"] - run.extra["t0"]))
        strokes += data["strokes"]
        gc_pause.append(max((p[1] for p in data["gc_pauses"]), default=0.0))
        rss_peak.append(data["rss_peak_kib"])
        rss_imported.append(data["rss_imported_kib"])
        ctx.memo.setdefault("gc_census", []).append(data["gc_objects"])
        # Two windows, split where the tags are requested with the token (arrival at the proxy): before
        # it the app starts (before any tag has arrived); after it the 20,000 tags arrive, are
        # sorted and painted.
        requested = max((getattr(e, "arrived", 0.0) for e in run.traffic.registry
                         if classify(e) == "tags" and e.status != 401), default=data["t_run"])
        for window, stalls, gcs in (((data["t_run"], requested), start_stall, start_stall_gc),
                                    ((requested, data["t_typing"]), load_stall, load_stall_gc)):
            stall = max((st for st in data["stalls"] if window[0] <= st[0] <= window[1]),
                        key=lambda st: st[1], default=(0.0, 0.0))
            stalls.append(stall[1])
            gcs.append(overlap(stall, data["gc_pauses"]))
        last = run
        # The proposed fix for the pauses (gc.freeze() after start-up), measured the same way.
        _, data = probe(ctx, "--repo", BIG_REPO, "--tag-count", str(count), "--filter", FILTER_TEXT, "--gc-freeze")
        frozen += data["strokes"]
        gc_pause_frozen.append(max((p[1] for p in data["gc_pauses"] if p[0] > data["marks"]["repos_listed"]),
                                   default=0.0))
        ctx.memo.setdefault("gc_census_frozen", []).append(data["gc_objects"])
    ctx.memo["strokes"] = strokes
    ctx.memo["strokes_frozen"] = frozen
    skopeo = ctx.memo.get(("skopeo_tags", BIG_REPO))
    skopeo_rss = Samples()
    for _ in range(ctx.repeat):  # under GNU time, for the peak RSS
        skopeo_rss.add(run_process(ctx.skopeo("list-tags", f"docker://{ctx.rig.host}/{BIG_REPO}"), env=ctx.env(),
                                   rig=ctx.rig, rss=True))
    sk = (skopeo or skopeo_rss).median
    sk_rss = skopeo_rss.median_rss_kib()
    seconds = [s["seconds"] for s in strokes]
    frozen_s = [s["seconds"] for s in frozen]
    slow = sum(1 for s in seconds if s >= 0.05)
    slow_frozen = sum(1 for s in frozen_s if s >= 0.05)
    n = len(seconds)
    return [
        Row("5", f"UI: launch → {count:,} tags painted (requests: the whole session, typing included)", loaded.median,
            sk, 3, last.traffic.summary() if last else "", key="ui_tags", samples=[r.seconds for r in loaded.runs]),
        Row("5", f"UI start-up until the tags are requested: longest event-loop stall (of it garbage "
                 f"collection: {1000 * statistics.median(start_stall_gc):.0f} ms)", statistics.median(start_stall),
            key="start_stall"),
        Row("5", f"UI frozen while the {count:,} tags arrive: longest event-loop stall from their request to "
                 f"typing (of it garbage collection: {1000 * statistics.median(load_stall_gc):.0f} ms)",
            statistics.median(load_stall), key="load_stall"),
        Row("5", f"filter keystroke → table repainted, median of {n} (`{FILTER_TEXT}` typed and erased)",
            statistics.median(seconds), sk, None, "no network on the path", key="stroke_median"),
        Row("5", "filter keystroke, 90th percentile", percentile(seconds, 0.9), sk, key="stroke_p90"),
        Row("5", f"filter keystroke, worst ({slow} of {n} took 50 ms or more)", max(seconds), sk, key="stroke_max",
            label=f"{slow} of {n}"),
        Row("5", "filter keystroke: time inside the filter handler (filter + set_keys), median",
            statistics.median(s["handler"] for s in strokes), key="stroke_handler"),
        Row("5", "longest garbage-collector pause in the session", max(gc_pause), key="gc_pause"),
        Row("5", f"what-if: one more `gc.freeze()` once the tags are painted: worst keystroke "
                 f"({slow_frozen} of {len(frozen_s)} took 50 ms or more)",
            max(frozen_s) if frozen_s else None, key="stroke_max_frozen", label=f"{slow_frozen} of {len(frozen_s)}"),
        Row("5", "with `gc.freeze()`: median keystroke", statistics.median(frozen_s) if frozen_s else None,
            key="stroke_median_frozen"),
        Row("5", "with `gc.freeze()`: longest garbage-collector pause after the freeze", max(gc_pause_frozen),
            key="gc_pause_frozen"),
        Row("5", f"peak RSS (UI: VmHWM; skopeo `list-tags`: GNU time), {count:,} tags",
            statistics.median(rss_peak) / 1024, sk_rss / 1024 if sk_rss else None, unit="MiB", key="rss_peak"),
        Row("5", "UI RSS after imports, before the app starts", statistics.median(rss_imported) / 1024, unit="MiB",
            key="rss_imported"),
    ]


# ---- case 6 ------------------------------------------------------------------------------------

def check_repos(run: Run, expected: int) -> None:
    got = len(json.loads(run.stdout)["repositories"])
    if got != expected:
        raise BenchError(f"acrbrowse repos gave {got} repositories, want {expected}")


async def _repos_once(ctx: Context, known: Challenge | None) -> tuple[Run, Challenge | None, int]:
    reference = parse_reference(ctx.rig.scale_host)
    credential = Credential(USER, Secret(ctx.rig.password), source="bench")
    client = RegistryClient(reference, credential=credential, known_challenge=known)
    try:
        ctx.rig.clear()
        t0 = time.monotonic()
        count = 0
        async for page in client.repository_pages():
            count += len(page)
        elapsed = time.monotonic() - t0
    finally:
        await client.aclose()
    traffic = ctx.rig.traffic()
    return Run(elapsed, traffic, rounds(traffic, ctx.rtt)), client.auth.challenge, count


def stroke_rows(case: str, what: str, strokes: list[dict], key: str) -> list[Row]:
    """Median, 90th percentile and worst of timed keys, with how many took 50 ms or more."""
    seconds = [s["seconds"] for s in strokes]
    n, slow = len(seconds), sum(1 for s in seconds if s >= 0.05)
    return [
        Row(case, f"{what}, median of {n}", statistics.median(seconds), None, None, "no network on the path",
            key=f"{key}_median"),
        Row(case, f"{what}, 90th percentile", percentile(seconds, 0.9), key=f"{key}_p90"),
        Row(case, f"{what}, worst ({slow} of {n} took 50 ms or more)", max(seconds), key=f"{key}_max",
            label=f"{slow} of {n}"),
    ]


def case6(ctx: Context) -> list[Row]:
    count = ctx.rig.catalog_size
    pages = -(-count // CATALOG_MAX_N)  # the registry's largest page: `n` over 1,000 is refused
    label = f"{count:,} repositories"
    target = ctx.rig.scale_host
    runs = {k: Samples() for k in ("cold", "known", "walk_cold", "walk_known", "rss")}
    for i in range(ctx.repeat):
        cache = reset_dir(ctx.work / "cache-repos")
        env = ctx.env(ACRBROWSE_CACHE_DIR=str(cache))
        check_repos(runs["cold"].add(run_process(ctx.acrbrowse("repos", target, "--json"), env=env, rig=ctx.rig)),
                    count)
        check_repos(runs["known"].add(run_process(ctx.acrbrowse("repos", target, "--json"), env=env, rig=ctx.rig)),
                    count)
        if i < 3:  # peak RSS under GNU time, apart from the timed runs
            check_repos(runs["rss"].add(run_process(ctx.acrbrowse("repos", target, "--json"), env=env, rig=ctx.rig,
                                                    rss=True)), count)
        run, challenge, got = asyncio.run(_repos_once(ctx, None))
        runs["walk_cold"].add(run)
        run, _, got2 = asyncio.run(_repos_once(ctx, challenge))
        runs["walk_known"].add(run)
        if got != count or got2 != count:
            raise BenchError(f"repository_pages() gave {got}/{got2} repositories, want {count}")
    no_skopeo = "skopeo 1.9 has no catalog command"
    rows = []
    for key, what, bound in (("cold", "CLI process `acrbrowse repos` (401 first)", pages + 2),
                             ("known", "CLI process (realm remembered)", pages + 1),
                             ("walk_cold", "in-process `repository_pages()` (401 first)", pages + 2),
                             ("walk_known", "in-process `repository_pages()` (realm known)", pages + 1)):
        samples = runs[key]
        rows.append(Row("6", f"{label} in {pages} pages of {CATALOG_MAX_N:,}, {what}", samples.median, None, bound,
                        samples.last.traffic.summary(), samples.median_rounds(),
                        no_skopeo if key == "cold" else "", key=f"repos_{key}", label=label))
    server = sum(ctx.rig.catalog_pages)
    rows.append(Row("6", f"the registry's own time for the {len(ctx.rig.catalog_pages)} catalog pages (loopback, no "
                         f"delay, no auth; slowest page {1000 * max(ctx.rig.catalog_pages):.0f} ms)", server,
                    key="repos_server"))
    rows.append(Row("6", f"peak RSS of `acrbrowse repos --json` (GNU time), {label}",
                    (runs["rss"].median_rss_kib() or 0) / 1024 or None, unit="MiB", key="repos_cli_rss"))

    first, loaded = Samples(), Samples()
    strokes: list[dict] = []
    scrolls: list[dict] = []
    start_stall, start_stall_gc, load_stall, rss_peak, rss_loaded = [], [], [], [], []
    last = None
    for _ in range(ctx.repeat):
        run, data = probe(ctx, "--repo-count", str(count), "--repo-filter", REPO_FILTER_TEXT, "--scroll", SCROLL_KEYS,
                          host=ctx.rig.scale_host)
        t0 = run.extra["t0"]
        first.add(Run(data["marks"]["repos_painted"] - t0))
        loaded.add(Run(data["marks"]["repos_all_painted"] - t0))
        strokes += data["repo_strokes"]
        scrolls += data["scroll_strokes"]
        if scrolls[-1]["cursor"] != 0 or max(s["cursor"] for s in data["scroll_strokes"]) != count - 1:
            raise BenchError(f"scrolling did not reach both ends of the {count:,} repositories")
        # Two windows: start-up until the first page is painted (nothing on screen to lag yet, but a
        # stall there delays the first page), then while the other pages arrive, until typing.
        first_paint = data["marks"]["repos_painted"]
        stall = max((st for st in data["stalls"] if data["t_run"] <= st[0] <= first_paint),
                    key=lambda st: st[1], default=(0.0, 0.0))
        start_stall.append(stall[1])
        start_stall_gc.append(overlap(stall, data["gc_pauses"]))
        load_stall.append(max((st[1] for st in data["stalls"] if first_paint <= st[0] <= data["t_typing"]),
                              default=0.0))
        rss_peak.append(data["rss_peak_kib"])
        rss_loaded.append(data["rss_repos_kib"])
        last = run
    ctx.memo["repo_strokes"] = strokes
    ctx.memo["scroll_strokes"] = scrolls
    small = ctx.memo.get("ui_rss_small_kib")
    rows += [
        Row("6", "UI: launch → first repositories painted (first page)", first.median, None, 3, key="ui_repos_first"),
        Row("6", f"UI: launch → all {label} painted (requests: the whole session)", loaded.median, None, pages + 2,
            last.traffic.summary() if last else "", last.rounds if last else None, key="ui_repos_all"),
        Row("6", f"UI start-up until the first page is painted: longest event-loop stall (of it garbage "
                 f"collection: {1000 * statistics.median(start_stall_gc):.0f} ms)", statistics.median(start_stall),
            key="repos_start_stall"),
        Row("6", f"UI frozen while the {label} arrive: longest event-loop stall from the first page to typing "
                 f"(none over 20 ms counts as 0)", statistics.median(load_stall), key="repos_load_stall"),
        *stroke_rows("6", f"repository filter keystroke → table repainted (`{REPO_FILTER_TEXT}` typed and erased)",
                     strokes, "repo_stroke"),
        Row("6", "repository filter keystroke: time inside the filter handler (filter + set_keys), median",
            statistics.median(s["handler"] for s in strokes), key="repo_stroke_handler"),
        *stroke_rows("6", "scroll key (PgDn ×5, End, PgUp ×3, Home) → table repainted", scrolls, "scroll"),
        Row("6", f"UI peak RSS (VmHWM), {label}" + (f" (case 4, the bed's small catalog: {small / 1024:.0f} MiB)"
                                                     if small else ""),
            statistics.median(rss_peak) / 1024, unit="MiB", key="repos_rss_peak"),
        Row("6", "UI RSS once all repositories are painted", statistics.median(rss_loaded) / 1024, unit="MiB",
            key="repos_rss_loaded"),
    ]
    return rows


CASES = {"1": case1, "2": case2, "3": case3, "4": case4, "5": case5, "6": case6}
