"""How listing time grows with the number of pages: a million tags over 1,000 pages of 1,000, in
process (httpx.MockTransport, no network), against 100 pages. Prints a markdown table; linear
paging keeps the ratio near 10. Not a test: `python bench/paging.py [--repeat N]`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acrbrowse.oci.remote.client import RegistryClient  # noqa: E402

PER_PAGE = 1_000


def handler_for(pages: int, bodies: list[bytes]):
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("last", "0"))
        last = page + 1 >= pages
        headers = {} if last else {"Link": f'</v2/big/tags/list?n={PER_PAGE}&last={page + 1}>; rel="next"'}
        return httpx.Response(200, content=bodies[page], headers=headers)

    return handler


async def list_all(pages: int, bodies: list[bytes]) -> tuple[int, float]:
    started = time.perf_counter()
    async with RegistryClient("registry.example", transport=httpx.MockTransport(handler_for(pages, bodies))) as client:
        total = sum([len(page) async for page in client.tag_pages("big")])
    return total, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    bodies = [httpx.Response(200, json={"tags": [f"t{p}-{i}" for i in range(PER_PAGE)]}).content for p in range(1_000)]
    rows = []
    for pages in (100, 1_000):
        runs = [asyncio.run(list_all(pages, bodies)) for _ in range(args.repeat)]
        assert all(total == pages * PER_PAGE for total, _ in runs), runs
        rows.append((pages, statistics.median(seconds for _, seconds in runs)))
    print("| pages | tags | median s | s per page |")
    print("|---:|---:|---:|---:|")
    for pages, seconds in rows:
        print(f"| {pages:,} | {pages * PER_PAGE:,} | {seconds:.2f} | {seconds / pages * 1000:.2f} ms |")
    print(f"\n1,000 pages took {rows[1][1] / rows[0][1]:.1f}× as long as 100 (linear: about 10×).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
