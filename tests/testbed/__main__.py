"""Run a standing test bed: ``python -m tests.testbed [--data DIR] [--port-anon N] ...``.

Prints one JSON line (hosts, users, passwords, …) to stdout once the registries are
up and filled, then waits until interrupted (SIGINT/SIGTERM), stopping everything.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .acr import AcrLayer, start_acr_layer
from .bed import Testbed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.testbed", description=__doc__)
    ap.add_argument("--port-anon", type=int)
    ap.add_argument("--port-basic", type=int)
    ap.add_argument("--port-token", type=int)
    ap.add_argument("--port-token-server", type=int, default=0)
    ap.add_argument("--data", help="storage dir to use (and keep); skips the fill when already filled")
    ap.add_argument("--token-lifetime", type=int, default=3600, help="access token lifetime (s)")
    ap.add_argument("--loglevel", default="info", help="registry log level (logs go to the work dir)")
    ap.add_argument("--acr", action="store_true", help="also an ACR layer (/acr/v1) in front of the token registry")
    args = ap.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())

    bed = Testbed(data_dir=args.data, port_anon=args.port_anon, port_basic=args.port_basic,
                  port_token=args.port_token, port_token_server=args.port_token_server, loglevel=args.loglevel)
    layer: AcrLayer | None = None
    try:
        bed.start()
        assert bed.token_server
        bed.token_server.lifetime = args.token_lifetime
        info = bed.info()
        if args.acr:
            layer = start_acr_layer(bed)
            info["acr"] = {"host": layer.host, "url": layer.url}
        print(json.dumps(info), flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        if layer is not None:
            layer.stop()
        bed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
