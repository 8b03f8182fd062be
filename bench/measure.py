"""Timing helpers: run a child process with a deadline and its resource usage, collect samples,
summarise them."""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.rig import Rig, Traffic, rounds

PROCESS_TIMEOUT = 120.0  # seconds; one benchmark command, never a whole case


class BenchError(RuntimeError):
    pass


@dataclass
class Run:
    """One timed run of a client (a process or an in-process call)."""

    seconds: float
    traffic: Traffic | None = None
    rounds: int | None = None
    max_rss_kib: int | None = None  # child processes only
    stdout: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Samples:
    runs: list[Run] = field(default_factory=list)

    def add(self, run: Run) -> Run:
        self.runs.append(run)
        return run

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]

    def median_rounds(self) -> int | None:
        values = [r.rounds for r in self.runs if r.rounds is not None]
        return round(statistics.median(values)) if values else None

    def median_rss_kib(self) -> int | None:
        values = [r.max_rss_kib for r in self.runs if r.max_rss_kib is not None]
        return round(statistics.median(values)) if values else None


TIME_BIN = "/usr/bin/time"


def run_process(cmd: list[str], *, env: dict[str, str], rig: Rig | None = None, cwd: str | None = None,
                timeout: float = PROCESS_TIMEOUT, check: bool = True, rss: bool = False) -> Run:
    """Run `cmd` to completion, timed from just before the fork to its exit. With `rig`, the
    proxies' logs are cleared first and the requests it made are attached; with `check`, a non-zero
    exit is an error. With `rss`, the command runs under GNU time for its peak RSS: a direct
    child's ru_maxrss would include this (large) process, which Linux carries across exec."""
    rss_file = None
    if rss and os.path.exists(TIME_BIN):
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        cmd = [TIME_BIN, "-f", "%M", "-o", rss_file, *cmd]
    try:
        if rig is not None:
            rig.clear()
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise BenchError(f"{' '.join(cmd[:4])}… did not finish within {timeout:g} s") from None
        elapsed = time.monotonic() - t0
        if check and proc.returncode != 0:
            raise BenchError(f"{' '.join(cmd[:4])}… exited {proc.returncode}: {err.strip()[-600:]}")
        run = Run(elapsed, stdout=out)
        if rss_file is not None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                run.max_rss_kib = int(Path(rss_file).read_text().split()[-1])
    finally:
        if rss_file is not None:
            os.unlink(rss_file)
    run.extra["stderr"] = err
    run.extra["t0"] = t0
    if rig is not None:
        run.traffic = rig.traffic()
        run.rounds = rounds(run.traffic, rig.rtt)
    return run


def merge_traffic(runs: list[Run]) -> Traffic:
    """One Traffic over several processes run back to back (a user's sequence of commands)."""
    registry, token = [], []
    for run in runs:
        assert run.traffic is not None
        registry += run.traffic.registry
        token += run.traffic.token
    return Traffic(registry, token)
