"""The hostile test bed checks itself: its detectors fire on what they look for, so a passing
hostile test means the client did right, not that the bed saw nothing."""

from __future__ import annotations

import sys
import time

import httpx

from tests.hostile.conftest import control_chars, run_cli, secrets_in
from tests.testbed.hostile import (
    CANARY_BASIC,
    CANARY_PASSWORD,
    CANARY_USER,
    CLICK,
    FOREIGN_HOST,
    HOSTILE_STRINGS,
    MB,
    NEWLINE,
    HostileRegistry,
)


def test_every_hostile_string_but_markup_is_a_control_and_escaped_text_is_not():
    from acrbrowse.present.safe import terminal_safe

    for text in HOSTILE_STRINGS:
        assert bool(control_chars(text.encode())) == (text not in (CLICK, NEWLINE)), text  # \n: see the line checks
        assert not control_chars(terminal_safe(text).encode())
    assert control_chars(b"lone C1 \x9b byte") and not control_chars(b"one line\n")
    assert secrets_in(f"x {CANARY_BASIC} y".encode()) == [CANARY_BASIC]


def test_leaks_are_seen_at_the_other_origin_and_at_the_alias(hostile: HostileRegistry):
    auth = (CANARY_USER, CANARY_PASSWORD)
    with httpx.Client(timeout=5) as client:
        assert client.get(f"http://{hostile.host}/v2/plain-basic/tags/list", auth=auth).status_code == 200
        assert not hostile.leaks()  # the registry itself may have it
        client.get(f"http://{FOREIGN_HOST}:{hostile.foreign_port}/blob/redirect-bearer/x", auth=auth)
        client.get(f"http://127.0.0.1:{hostile.port}/token/realm-elsewhere", auth=auth,
                   headers={"Host": f"{hostile.alias}:{hostile.port}"})
    assert [(hit.listener, hit.host.split(":")[0]) for hit in hostile.leaks()] == [
        (FOREIGN_HOST, FOREIGN_HOST), ("127.0.0.1", hostile.alias)]


def test_a_huge_body_is_generated_and_stops_when_the_client_does(hostile: HostileRegistry):
    with httpx.Client(timeout=5) as client, client.stream("GET", f"http://{hostile.host}/v2/huge-tags/tags/list") as response:
        assert response.headers["content-length"] == str(200 * MB)
        read = 0
        for chunk in response.iter_bytes():
            read += len(chunk)
            if read > 2 * MB:
                break
    # The server counts a piece once its write returns: wait for the count to catch up with the client.
    deadline = time.monotonic() + 5
    while hostile.hits_for("huge-tags")[0].sent <= 2 * MB and time.monotonic() < deadline:
        time.sleep(0.01)
    sent = hostile.hits_for("huge-tags")[0].sent
    assert 2 * MB < sent < 40 * MB


def test_peak_rss_is_the_childs_own(tmp_path):
    """The wrapper reports the acrbrowse child's peak, not pytest's (which a plain fork would carry)."""
    small = run_cli(["--version"], tmp_path / "small")
    assert small.code == 0 and small.peak_rss_mb < 60, small.peak_rss_mb
    ballast = b"\x01" * (120 * MB)  # grow this process: a child forked from it would report at least this
    try:
        again = run_cli(["--version"], tmp_path / "again")
    finally:
        del ballast
    assert again.peak_rss_mb < 60, again.peak_rss_mb
    assert sys.platform.startswith("linux")
