"""The hostile registry (tests/testbed/hostile.py) and a runner for the CLI in a child process
that measures its peak RSS and wall time."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.testbed.hostile import (
    CANARY_BASIC,
    CANARY_PASSWORD,
    CANARY_USER,
    HostileRegistry,
)

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
# Runs the command as its own child and writes that child's peak RSS (KiB) to argv[1]. A child
# forked straight from pytest would report pytest's RSS as its own: Linux carries the peak of
# the memory a process had before exec into its ru_maxrss.
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""
OUTPUT_CAP = 64 * 1024 * 1024  # keep at most this much of a child's stdout (1,000,000 tags is ~9 MB)

# Characters that move a terminal: C0 but \n, DEL, C1 (as UTF-8 or as a lone byte, which
# surrogateescape turns into \udc80-\udc9f), and the invisible reorderers (bidi overrides).
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\udc80-\udc9f"
                  "\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def control_chars(data: bytes | str) -> list[str]:
    """Every raw control character in `data` (empty when it is terminal-safe)."""
    text = data if isinstance(data, str) else data.decode("utf-8", errors="surrogateescape")
    return [repr(m.group()) for m in _RAW.finditer(text)]


def secrets_in(data: bytes) -> list[str]:
    return [form for form in (CANARY_PASSWORD, CANARY_BASIC) if form.encode() in data]


@dataclass
class Run:
    args: list[str]
    code: int
    stdout: bytes
    stderr: bytes
    seconds: float
    peak_rss_mb: float
    cache_dir: Path
    config_dir: Path
    files: dict[str, bytes] = field(default_factory=dict)  # every file the run left, by relative path

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    @property
    def error_log(self) -> bytes:
        return self.files.get("cache/errors.log", b"")


def _drain(stream, sink: bytearray) -> None:
    while chunk := stream.read(1 << 16):
        if len(sink) < OUTPUT_CAP:
            sink.extend(chunk[: OUTPUT_CAP - len(sink)])


def run_cli(args: Sequence[str], home: Path, *, credential: bool = True, kill_after: float = 120.0,
            env: dict[str, str] | None = None) -> Run:
    """`python -m acrbrowse ARGS` with its own config and cache folders under `home`, the canary
    credential in the environment, stdin closed; its peak RSS comes from wait4's rusage."""
    cache, config = home / "cache", home / "config"
    cache.mkdir(parents=True, exist_ok=True)
    config.mkdir(parents=True, exist_ok=True)
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
                 "ACRBROWSE_CONFIG_DIR": str(config), "ACRBROWSE_CACHE_DIR": str(cache),
                 "DOCKER_CONFIG": str(home / "docker"), "PYTHONDONTWRITEBYTECODE": "1"}
    if credential:
        child_env.update(ACRBROWSE_USERNAME=CANARY_USER, ACRBROWSE_PASSWORD=CANARY_PASSWORD)
    child_env.update(env or {})
    started = time.monotonic()
    rss_file = home / "peak-rss"
    command = [str(PYTHON), "-S", "-c", _MEASURE, str(rss_file), str(PYTHON), "-m", "acrbrowse", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=child_env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    out, err = bytearray(), bytearray()
    readers = [threading.Thread(target=_drain, args=(process.stdout, out), daemon=True),
               threading.Thread(target=_drain, args=(process.stderr, err), daemon=True)]
    for reader in readers:
        reader.start()
    killer = threading.Timer(kill_after, lambda: _kill(process.pid))
    killer.start()
    try:
        process.wait()
    finally:
        killer.cancel()
    seconds = time.monotonic() - started
    for reader in readers:
        reader.join(10)
    peak_kib = int(rss_file.read_text() or 0) if rss_file.exists() else 0
    rss_file.unlink(missing_ok=True)
    files = {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file() and not p.is_symlink()}
    return Run(list(args), process.returncode, bytes(out), bytes(err), seconds, peak_kib / 1024,
               cache, config, files)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[HostileRegistry]:
    """A started hostile registry of this test's own (so its request log is this test's); the
    repositories a test asked it about count as the shapes it saw."""
    registry = HostileRegistry(screenshot_path=str(tmp_path / "pwned.svg")).start()
    try:
        yield registry
    finally:
        registry.stop()
        UI_SHAPES.update(hit.path.split("/")[2] for hit in registry.hits if hit.path.count("/") > 3)


# CLI shape → peak RSS (MB) of its run, and the shapes the UI was shown, for the session summary
PEAKS: dict[str, float] = {}
UI_SHAPES: set[str] = set()


def pytest_terminal_summary(terminalreporter) -> None:
    if PEAKS:
        worst = max(PEAKS, key=PEAKS.__getitem__)
        terminalreporter.write_line(
            f"hostile registry, CLI: {len(PEAKS)} shapes; worst peak RSS {PEAKS[worst]:.0f} MB ({worst})")
    if UI_SHAPES:
        terminalreporter.write_line(f"hostile registry, in-process (UI): {len(UI_SHAPES)} shapes asked for")
