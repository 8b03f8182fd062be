"""Layer listings: speed and memory, side by side in one run (issue 15's goals).

    .venv/bin/python bench/layers.py [--repeat 3] [--mb 150] [--entries 1000000] [--skip-million]

1. A ~150 MB gzip layer over loopback: `curl -s BLOB | tar -tzv > /dev/null` against
   `acrbrowse ls REF --layer 1 --no-cache > /dev/null` (a process: start-up, token, manifest
   included) and `read_listing` in-process; throughput ratio and acrbrowse's peak RSS.
   Goals: at least 0.8x curl|tar's throughput, under 100 MiB.
2. The same layer in the UI (headless Pilot, bench/probe_files.py): Enter on the layer -> the
   first entries painted. Goal: 300 ms.
3. An eStargz layer of ~150 MB with 5,000 files: requests made for it and bytes transferred.
   Goal: at most 3 requests, the TOC plus under 64 KiB.
4. A layer of a million entries in the UI: listed, peak RSS, a key and a filter keystroke after.
   Goal: under 300 MiB, responsive.

Everything runs against a registry of its own (distribution from the docker-registry package) in a
temp dir, on loopback, stopped before the script exits. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.measure import run_process  # noqa: E402
from tests.layerfiles import layers as L  # noqa: E402
from tests.layerfiles.stargz import File, write_estargz  # noqa: E402
from tests.oci.pushing import ScratchRegistry  # noqa: E402
from tests.testbed.faultproxy import FaultProxy  # noqa: E402


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- layers ----------------------------------------------------------------------------------

def big_gzip_layer(megabytes: int) -> bytes:
    """~`megabytes` MB of gzip: a few thousand binaries (incompressible) and 20,000 small text
    files, as a real image's layer holds them."""
    rng = random.Random(15)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uname, info.gname = len(data), 0o644, "root", "root"
            archive.addfile(info, io.BytesIO(data))
        text = b"".join(b"line %d of a config file with some words in it\n" % i for i in range(20))
        for i in range(20_000):
            add(f"usr/share/doc/pkg{i // 100}/file{i}.txt", text[: 200 + i % 800])
        left, i = megabytes * 1_000_000, 0
        while left > 0:
            size = min(rng.randint(20_000, 200_000), left)
            add(f"usr/lib/bin{i // 50}/blob{i}.so", rng.randbytes(size))
            left -= size
            i += 1
    return L.compress(out.getvalue(), "gzip")


def million_entry_layer(count: int) -> bytes:
    """`count` empty files in `count // 1000` directories, gzip: headers only (512 bytes each)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = []
    template = tarfile.TarInfo("x")
    template.mode, template.uname, template.gname = 0o644, "root", "root"
    for i in range(count):
        template.name = f"data/d{i // 1000:04d}/f{i:07d}"
        parts.append(compressor.compress(template.tobuf(tarfile.USTAR_FORMAT)))
    parts.append(compressor.compress(bytes(1024)))
    parts.append(compressor.flush())
    return b"".join(parts)


def estargz_layer(megabytes: int, files: int) -> object:
    rng = random.Random(16)
    size = megabytes * 1_000_000 // files
    return write_estargz([File(f"./srv/data/{i // 100}/f{i}", data=rng.randbytes(size)) for i in range(files)])


# ---- measurements ----------------------------------------------------------------------------

def curl_tar(url: str) -> float:
    started = time.monotonic()
    subprocess.run(f"curl -s '{url}' | tar -tzv > /dev/null", shell=True, check=True)
    return time.monotonic() - started


async def in_process(host: str, repository: str, descriptor) -> float:
    from acrbrowse.layerfiles.fetch import read_listing
    from acrbrowse.oci.name import parse_registry
    from acrbrowse.oci.remote.client import RegistryClient

    async with RegistryClient(parse_registry(host)) as client:
        started = time.monotonic()
        listing = await read_listing(client, repository, descriptor)
        elapsed = time.monotonic() - started
    assert listing.complete
    return elapsed


def env_for(workdir: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "ACRBROWSE_CACHE_DIR": str(workdir / "cache"),
            "ACRBROWSE_CONFIG_DIR": str(workdir / "config"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": str(REPO_ROOT)}


def probe_files(ref: str, workdir: Path, *extra: str) -> dict:
    run = run_process([sys.executable, str(REPO_ROOT / "bench" / "probe_files.py"), ref, *extra],
                      env=env_for(workdir), timeout=600)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mb", type=int, default=150, help="size of the gzip and eStargz layers (MB)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--skip-million", action="store_true")
    args = parser.parse_args()
    if shutil.which("curl") is None or shutil.which("tar") is None:
        print("needs curl and tar on PATH", file=sys.stderr)
        return 2
    from acrbrowse.oci.manifest import Descriptor

    workdir = Path(tempfile.mkdtemp(prefix="acrbrowse-bench-layers-"))
    registry = ScratchRegistry(workdir).start()
    rows: list[tuple[str, str, str, str]] = []
    try:
        host = registry.anon.host
        log(f"building a {args.mb} MB gzip layer")
        blob = big_gzip_layer(args.mb)
        L.push_layers_image(host, "bench/big", "1", [(blob, L.media_type("gzip"), None)])
        descriptor = Descriptor(L.media_type("gzip"), L.sha256(blob), len(blob))
        url = f"http://{host}/v2/bench/big/blobs/{descriptor.digest}"
        log(f"pushed {len(blob) / 1e6:.1f} MB; timing curl | tar -tzv and acrbrowse")
        curl = [curl_tar(url) for _ in range(args.repeat)]
        process = [run_process([sys.executable, "-m", "acrbrowse", "ls", f"{host}/bench/big:1", "--layer", "1",
                                "--no-cache"], env=env_for(workdir), rss=True, timeout=600)
                   for _ in range(args.repeat)]
        inproc = [asyncio.run(in_process(host, "bench/big", descriptor)) for _ in range(args.repeat)]
        c, p, i = statistics.median(curl), statistics.median(r.seconds for r in process), statistics.median(inproc)
        mb = len(blob) / 1e6
        rss = max(r.max_rss_kib or 0 for r in process) / 1024
        rows += [
            ("gzip layer: curl \\| tar -tzv", f"{c:.2f} s ({mb / c:.0f} MB/s)", "", ""),
            ("gzip layer: acrbrowse ls --layer 1 (process)", f"{p:.2f} s ({mb / p:.0f} MB/s)",
             f"{c / p:.2f}x curl\\|tar's throughput", "goal ≥ 0.8x " + ("met" if c / p >= 0.8 else "MISSED")),
            ("gzip layer: read_listing (in-process)", f"{i:.2f} s ({mb / i:.0f} MB/s)", f"{c / i:.2f}x", ""),
            ("gzip layer: acrbrowse peak RSS", f"{rss:.0f} MiB", "", "goal < 100 MiB " + ("met" if rss < 100 else
                                                                                        "MISSED")),
        ]
        log("the UI: Enter on the layer -> first entries painted")
        ui = [probe_files(f"{host}/bench/big:1", workdir) for _ in range(args.repeat)]
        first = statistics.median(run["first_rows"] for run in ui)
        rows.append(("gzip layer in the UI: Enter -> first entries painted", f"{first * 1000:.0f} ms", "",
                     "goal 300 ms " + ("met" if first <= 0.3 else "MISSED")))
        rows.append(("gzip layer in the UI: Enter -> listed", f"{statistics.median(r['listed'] for r in ui):.2f} s",
                     "", ""))

        log(f"building a {args.mb} MB eStargz layer of 5,000 files")
        stargz = estargz_layer(args.mb, 5_000)
        L.push_layers_image(host, "bench/stargz", "1", [(stargz.data, stargz.media_type, stargz.annotations)])
        proxy = FaultProxy(host).start()
        try:
            from acrbrowse.layerfiles.fetch import read_listing
            from acrbrowse.oci.name import parse_registry
            from acrbrowse.oci.remote.client import RegistryClient

            async def listed() -> int:
                async with RegistryClient(parse_registry(proxy.host)) as client:
                    proxy.clear_log()
                    listing = await read_listing(client, "bench/stargz", stargz.descriptor())
                    return len(listing)
            count = asyncio.run(listed())
            asked = [e for e in proxy.log if "/blobs/" in e.path]
            transferred = 0
            for entry in asked:
                first_byte, _, last_byte = entry.headers.get("Range", "bytes=0-").removeprefix("bytes=").partition("-")
                transferred += (int(last_byte) if last_byte else len(stargz.data) - 1) - int(first_byte) + 1
            toc = stargz.toc_end - stargz.toc_start
        finally:
            proxy.stop()
        rows.append((f"eStargz {len(stargz.data) / 1e6:.0f} MB, {count:,} entries: requests", str(len(asked)), "",
                     "goal ≤ 3 " + ("met" if len(asked) <= 3 else "MISSED")))
        rows.append(("eStargz: bytes transferred", f"{transferred:,}", f"TOC {toc:,} + {transferred - toc:,}",
                     "goal TOC + < 64 KiB " + ("met" if transferred - toc < 65536 else "MISSED")))

        if not args.skip_million:
            log(f"building a layer of {args.entries:,} entries")
            million = million_entry_layer(args.entries)
            L.push_layers_image(host, "bench/million", "1", [(million, L.media_type("gzip"), None)])
            log("the UI over it")
            run = probe_files(f"{host}/bench/million:1", workdir, "--keys")
            rows += [
                (f"{args.entries:,} entries in the UI: listed", f"{run['listed']:.1f} s", "", ""),
                (f"{args.entries:,} entries in the UI: peak RSS", f"{run['rss_kib'] / 1024:.0f} MiB", "",
                 "goal < 300 MiB " + ("met" if run["rss_kib"] / 1024 < 300 else "MISSED")),
                ("… a key (↓) -> painted", f"{run['key'] * 1000:.0f} ms", "", ""),
                ("… expand a directory of 1,000 -> painted", f"{run['expand'] * 1000:.0f} ms", "", ""),
                ("… a filter keystroke over every path -> painted", f"{run['filter'] * 1000:.0f} ms", "", ""),
            ]
    finally:
        registry.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("| measurement | value | compared | goal |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
