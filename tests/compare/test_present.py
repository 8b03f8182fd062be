"""The text lines of a comparison: every outside string escaped, each difference worded."""

from __future__ import annotations

from acrbrowse.compare.config import ConfigChange, HistoryLine
from acrbrowse.compare.files import FileChange, FileChangeKind
from acrbrowse.compare.usage import usage_of
from acrbrowse.layerfiles.entries import FileEntry, Kind
from acrbrowse.present.compare import config_lines, file_lines, history_lines, usage_lines

EVIL = "x\x1b]52;c;aGk=\x07\u202e"


def test_file_lines_word_each_difference():
    a = FileEntry("bin/x", Kind.FILE, 10, 0o644, 0, 0, "root", "root", "", 0)
    b = FileEntry("bin/x", Kind.SYMLINK, 0, 0o777, 1000, 1000, "app", "app", "y", 2**62)
    lines = list(file_lines([FileChange("bin/x", FileChangeKind.MODIFIED, a, b,
                                        ("type", "size", "mode", "owner", "link", "time"))]))
    assert lines == ['~ bin/x: type file -> symlink, size 10 -> 0, mode -rw-r--r-- -> lrwxrwxrwx, '
                     'owner root/root (0:0) -> app/app (1000:1000), link "" -> y, '
                     f'time 1970-01-01 00:00:00 -> {2**62}']


def test_outside_strings_never_reach_the_terminal_raw():
    entry = FileEntry(f"a/{EVIL}", Kind.SYMLINK, link=EVIL, user=EVIL)
    lines = [*file_lines([FileChange(entry.path, FileChangeKind.ADDED, None, entry, ())]),
             *config_lines([ConfigChange("labels", EVIL, EVIL, None)]),
             *history_lines([HistoryLine("added", None, EVIL)]),
             *usage_lines(usage_of({EVIL: {"d": 1}}))]
    for line in lines:
        assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line, line
    assert "\\x1b]52;c;aGk=\\x07\\u202e" in lines[0]
