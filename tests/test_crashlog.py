"""The crash log: a traceback without locals or secrets, in a file; one escaped line for a person."""

from __future__ import annotations

import base64

from acrbrowse import crashlog

BASIC = base64.b64encode(b"alice:canary-Pw-31337").decode()
BEARER = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl"
LOCAL_SECRET = "canary-local-9f8e7d"


def raise_from_data() -> None:
    sent = f"Basic {BASIC}"  # a local holding a secret, as in the leaked traceback
    header = LOCAL_SECRET
    assert sent and header
    raise RuntimeError(f"tag \x1b]52;c;UFdORUQK\x07 failed\nsent Authorization: Basic {BASIC} / Bearer {BEARER}")


def caught() -> RuntimeError:
    try:
        raise_from_data()
    except RuntimeError as exc:
        return exc
    raise AssertionError("unreachable")


def env_for(tmp_path) -> dict[str, str]:
    return {"ACRBROWSE_CACHE_DIR": str(tmp_path / "cache")}


def test_record_writes_the_traceback_without_locals_or_secrets(tmp_path):
    env = env_for(tmp_path)
    path = crashlog.record(caught(), env)
    assert path == tmp_path / "cache" / "errors.log"
    text = path.read_text(encoding="utf-8")
    assert "Traceback" in text and "raise_from_data" in text and "RuntimeError" in text
    assert LOCAL_SECRET not in text  # no locals
    assert BASIC not in text and BEARER not in text and "canary-Pw" not in text
    assert "Basic ********" in text and "Bearer ********" in text
    assert "\x1b" not in text and "\x07" not in text and "\\x1b]52;c;UFdORUQK\\x07" in text
    assert (path.stat().st_mode & 0o777) == 0o600


def test_record_appends_and_starts_over_past_the_cap(tmp_path, monkeypatch):
    env = env_for(tmp_path)
    path = crashlog.record(caught(), env)
    crashlog.record(caught(), env)
    assert path.read_text().count("--- ") == 2
    monkeypatch.setattr(crashlog, "MAX_LOG_BYTES", 10)
    crashlog.record(caught(), env)
    assert path.read_text().count("--- ") == 1


def test_record_where_nothing_can_be_written_is_none(tmp_path):
    (tmp_path / "cache").write_text("a file where the folder should be")
    assert crashlog.record(caught(), env_for(tmp_path)) is None


def test_one_line_is_one_escaped_masked_line_that_says_where(tmp_path):
    error = caught()
    path = crashlog.record(error, env_for(tmp_path))
    line = crashlog.one_line(error, path)
    assert "\n" not in line and "\x1b" not in line and "\x07" not in line
    assert BASIC not in line and BEARER not in line
    assert line.startswith("internal error (RuntimeError: tag \\x1b]52;c;UFdORUQK\\x07 failed sent Authorization: Basic ********")
    assert line.endswith(f"; details in {path}; please report it")
    assert crashlog.one_line(error, None).endswith("; please report it")
    assert "details in" not in crashlog.one_line(error, None)


def test_one_line_is_short_for_a_huge_message(tmp_path):
    line = crashlog.one_line(ValueError("x" * 100_000), None)
    assert len(line) < 300
