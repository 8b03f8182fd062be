"""Tags with times (and sizes) from ACR's /acr/v1 for the 2,100-tag `manytags` repository, in
process, against the round-trip bound. Not a test: `python bench/acr_tags.py [--rtt-ms 50]
[--repeat 5] [--data DIR]`; prints a markdown table.

The test bed's ACR layer (tests/testbed/acr.py) stands in front of its token registry and adds
`--rtt-ms` per round trip (half each way); the token service is not delayed. The layer runs frozen
(each answer computed once, in an untimed first run, then kept): reading 2,100 tags off the disk
costs it ~100 ms of Python in this very process, which is the bed's cost, not acrbrowse's. Each run is a new
RegistryClient told the realm (as the realm memo tells it), so the bound is one round trip per page
of 1,000 tags: 3. Sizes come from /_manifests, listed side by side with the tags, so they cost no
round trip of their own while its pages are no more than the tags'. The cold row starts without the
realm: one more round trip (the 401) in its bound."""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acrbrowse.oci.credential import Credential, Secret  # noqa: E402
from acrbrowse.oci.remote.acr import PAGE_SIZE, AcrMetadata  # noqa: E402
from acrbrowse.oci.remote.challenge import Challenge  # noqa: E402
from acrbrowse.oci.remote.client import RegistryClient  # noqa: E402
from tests.testbed import Testbed  # noqa: E402
from tests.testbed.acr import start_acr_layer  # noqa: E402

REPOSITORY = "manytags"


async def one_run(host: str, credential: Credential, challenge: Challenge | None, *, sizes: bool) -> tuple[float, int]:
    client = RegistryClient(host, credential=credential, known_challenge=challenge)
    try:
        metadata = AcrMetadata(client, is_acr=lambda c: True)
        started = time.perf_counter()
        if sizes:
            tags = await metadata.tags_with_sizes(REPOSITORY)
        else:
            tags = [tag async for page in metadata.tag_metadata_pages(REPOSITORY) for tag in page]
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
    assert all(tag.updated is not None for tag in tags), "tags came without times"
    assert not sizes or all(tag.size is not None for tag in tags), "tags came without sizes"
    return elapsed, len(tags)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", help="registry storage to keep between runs (the fill is skipped when filled)")
    args = parser.parse_args(argv)
    rtt = args.rtt_ms / 1000
    with Testbed(data_dir=args.data, loglevel="warn") as bed:
        layer = start_acr_layer(bed, latency=rtt / 2, frozen=True)
        try:
            credential = Credential("admin", Secret(bed.users["admin"]), source="bench")
            assert bed.token_server is not None and bed.token is not None
            realm = Challenge("bearer", {"realm": bed.token_server.realm, "service": bed.token.service})
            count = len(bed.content.manytags)
            pages = math.ceil(count / PAGE_SIZE)
            rows = []
            for label, challenge, sizes, rounds in (
                ("tags with times (realm known)", realm, False, pages),
                ("tags with times and sizes (realm known)", realm, True, pages),
                ("tags with times, cold (401 first)", None, False, pages + 1),
            ):
                asyncio.run(one_run(layer.host, credential, challenge, sizes=sizes))  # the layer computes its answers
                runs = [asyncio.run(one_run(layer.host, credential, challenge, sizes=sizes)) for _ in range(args.repeat)]
                assert all(n == count for _, n in runs), f"expected {count} tags"
                median = statistics.median(t for t, _ in runs)
                bound = rounds * rtt
                rows.append((label, median, bound))
        finally:
            layer.stop()
    print(f"ACR tags of `{REPOSITORY}` ({count:,} tags, {pages} pages of {PAGE_SIZE:,}), RTT {args.rtt_ms:.0f} ms, "
          f"median of {args.repeat}\n")
    print("| case | measured | round-trip bound | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for label, median, bound in rows:
        print(f"| {label} | {median * 1000:.0f} ms | {bound * 1000:.0f} ms | {median / bound:.2f}× | ≤ 1.2× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
