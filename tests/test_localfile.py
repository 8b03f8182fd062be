"""Local JSON files: the bounded reader (every broken shape is one LocalFileError line, fast) and
the atomic writer (old file or new, never half, never a temp file left behind)."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from acrbrowse.limits import JSON_DEPTH, SETTINGS_FILE_BYTES, describe_bytes
from acrbrowse.localfile import (
    LocalFileError,
    read_json_object,
    report_unusable,
    write_json_atomically,
)


def problem(path) -> str:
    with pytest.raises(LocalFileError) as caught:
        read_json_object(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    return caught.value.problem


def test_a_good_file_a_missing_one_and_an_empty_one(tmp_path):
    path = tmp_path / "config.json"
    assert read_json_object(path) is None
    path.write_text(" \n")
    assert read_json_object(path) == {}
    path.write_bytes(b'\xef\xbb\xbf{"a": [1, {"b": "\xc3\xa9"}]}')  # a BOM, as Notepad writes it
    assert read_json_object(path) == {"a": [1, {"b": "é"}]}


def test_a_symlink_to_a_regular_file_is_read(tmp_path):
    (tmp_path / "real.json").write_text('{"x": 1}')
    (tmp_path / "config.json").symlink_to(tmp_path / "real.json")
    assert read_json_object(tmp_path / "config.json") == {"x": 1}


def test_not_utf8(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b'{"recent_registries": ["\xff\xfe\x1b]52;c;aGk=\x07"]}')
    assert problem(path) == "is not UTF-8 text"


def test_nested_far_too_deep(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert problem(path) == f"is nested deeper than {JSON_DEPTH} levels"


def test_not_json_says_the_line_only(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{\n"auths": {"x": {"auth": "c2VjcmV0"}\n')
    assert problem(path) == "is not valid JSON (line 3)"
    path.write_text('{"n": ' + "9" * 5000 + "}")  # past Python's int-digits limit: a ValueError
    assert problem(path).startswith("is not valid JSON")


@pytest.mark.parametrize("text", ["[]", '"x"', "5", "null"])
def test_not_an_object(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    assert problem(path) == "should hold a JSON object"


def test_a_huge_file_is_not_read_past_the_cap(tmp_path):
    path = tmp_path / "config.json"
    with open(path, "wb") as handle:  # sparse: 64 GiB of zeros on disk in no space
        handle.truncate(64 * 1024**3)
    started = time.monotonic()
    assert problem(path) == f"is larger than {describe_bytes(SETTINGS_FILE_BYTES)}"
    assert time.monotonic() - started < 2
    path.write_bytes(b"{}" + b" " * (SETTINGS_FILE_BYTES - 2))  # exactly the cap is fine
    assert read_json_object(path) == {}


def test_a_fifo_nobody_writes_to_is_refused_at_once(tmp_path):
    path = tmp_path / "config.json"
    os.mkfifo(path)
    started = time.monotonic()
    assert problem(path) == "is not a regular file"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_symlink_to_a_device_is_refused(tmp_path, target):
    path = tmp_path / "config.json"
    path.symlink_to(target)
    assert problem(path) == "is not a regular file"


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "config.json").mkdir()
    assert problem(tmp_path / "config.json") == "is not a regular file"


def test_a_path_through_a_file_can_not_be_read(tmp_path):
    (tmp_path / "docker").write_text("not a folder")
    assert problem(tmp_path / "docker" / "config.json") == "can't be read (Not a directory)"


def test_describe_bytes():
    assert describe_bytes(1024 * 1024) == "1 MiB"
    assert describe_bytes(64 * 1024) == "64 KiB"
    assert describe_bytes(1000) == "1000 bytes"


def test_report_unusable_warns_when_warnings_are_collected_else_notes():
    notes: list[str] = []
    warnings: list[str] = []
    report_unusable("x is broken", notes, warnings)
    assert warnings == ["x is broken (going on without it)"] and notes == []
    report_unusable("y is broken", notes, None)
    assert notes == ["y is broken"]
    report_unusable("z", None, None)  # nobody listens: nothing happens


def test_the_writer_writes_a_private_file_and_makes_its_folder(tmp_path):
    path = tmp_path / "new" / "folder" / "state.json"
    write_json_atomically(path, {"é": ["ü", 1], "n": None})
    assert json.loads(path.read_text(encoding="utf-8")) == {"é": ["ü", 1], "n": None}
    assert read_json_object(path) == {"é": ["ü", 1], "n": None}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "state.json"
    write_json_atomically(path, {"old": True})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        write_json_atomically(path, {"new": True})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_document_json_can_not_hold_leaves_no_temp_file(tmp_path):
    path = tmp_path / "state.json"
    with pytest.raises(TypeError):
        write_json_atomically(path, {"x": object()})
    assert list(tmp_path.iterdir()) == []


def test_the_writer_replaces_a_symlink_not_its_target(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text('{"kept": true}')
    path = tmp_path / "state.json"
    path.symlink_to(target)
    write_json_atomically(path, {"new": True})
    assert not path.is_symlink() and json.loads(path.read_text()) == {"new": True}
    assert json.loads(target.read_text()) == {"kept": True}
