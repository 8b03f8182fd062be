"""Comparing two images (issue 16's goals): what `acrbrowse diff` transfers.

    .venv/bin/python bench/compare.py [--scale 200]

Two 7-layer tags sharing their 5 lower layers (a few MB each, tests/compare/images.py) in a registry
of its own (a temp dir, loopback) behind a FaultProxy whose log counts the layer blobs fetched:
1. `diff A B` (layers, config, history): goal 0 layer blobs.
2. `diff A B --files`, listing cache cold: each distinct layer once, 9.
3. `ls BASE` (the 5 shared layers into the listing cache), then `diff A B --files`: goal 4, only the
   unshared layers.
4. `usage REPO`: manifests and configs only, goal 0 layer blobs.
Each is a process (start-up, token, manifests included). Prints a markdown table. Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.measure import run_process  # noqa: E402
from tests.compare.images import push_compared_images  # noqa: E402
from tests.oci.pushing import ScratchRegistry  # noqa: E402
from tests.testbed.faultproxy import FaultProxy  # noqa: E402


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def env_for(workdir: Path) -> dict[str, str]:
    import os

    return {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "ACRBROWSE_CACHE_DIR": str(workdir / "cache"),
            "ACRBROWSE_CONFIG_DIR": str(workdir / "config"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": str(REPO_ROOT)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=200, help="layer size factor (200: ~0.8 MB a base layer)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="acrbrowse-bench-compare-"))
    registry = ScratchRegistry(workdir).start()
    proxy = None
    rows: list[tuple[str, str, str, str, str]] = []
    try:
        log("pushing two 7-layer tags sharing 5 layers")
        images = push_compared_images(registry.anon.host, "bench/compare", scale=args.scale)
        size = {digest: size for digest, size in images.a.layers + images.b.layers}
        proxy = FaultProxy(registry.anon.host).start()
        repo = f"{proxy.host}/{images.repository}"
        env = env_for(workdir)

        def run(label: str, goal: int | None, *command: str) -> None:
            assert proxy is not None
            proxy.clear_log()
            result = run_process([sys.executable, "-m", "acrbrowse", *command], env=env, timeout=600)
            fetched = [e.path.rsplit("/", 1)[-1] for e in proxy.log if e.method == "GET" and "/blobs/" in e.path]
            layers = [digest for digest in fetched if digest in size]
            verdict = "" if goal is None else f"goal {goal}: " + ("met" if len(layers) == goal else "MISSED")
            rows.append((label, f"{result.seconds:.2f} s", str(len(layers)),
                         f"{sum(size[d] for d in layers) / 1e6:.2f} MB", verdict))
            log(f"{label}: {len(layers)} layer blobs")

        total = sum(size.values()) / 1e6
        log(f"{len(size)} distinct layers, {total:.1f} MB")
        run("diff A B", 0, "diff", f"{repo}:a", "b")
        run("diff A B --files (cold)", 9, "diff", f"{repo}:a", "b", "--files")
        shutil.rmtree(workdir / "cache", ignore_errors=True)
        run("ls BASE (5 layers into the listing cache)", 5, "ls", f"{repo}:base")
        run("diff A B --files after ls BASE", 4, "diff", f"{repo}:a", "b", "--files")
        run("usage REPO", 0, "usage", repo)
    finally:
        if proxy is not None:
            proxy.stop()
        registry.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("| command | time | layer blobs fetched | bytes | goal |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
