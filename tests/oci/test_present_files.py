"""How a layer's entries read: tar -tv-like lines, JSON, progress; a path with escape sequences never
reaches the terminal raw."""

import pytest

from acrbrowse.layerfiles.entries import FileEntry, Kind
from acrbrowse.present.files import duration_text, entry_json, entry_line, mode_text, owner_text, path_text, progress_text


@pytest.mark.parametrize(("entry", "mode"), [
    (FileEntry("usr/bin", Kind.DIR, mode=0o755), "drwxr-xr-x"),
    (FileEntry("bin/sh", Kind.SYMLINK, mode=0o777, link="bash"), "lrwxrwxrwx"),
    (FileEntry("bin/su", Kind.FILE, mode=0o4755), "-rwsr-xr-x"),
    (FileEntry("bin/ln", Kind.HARDLINK, mode=0o644, link="bin/cp"), "hrw-r--r--"),
    (FileEntry("dev/null", Kind.CHAR, mode=0o666), "crw-rw-rw-"),
    (FileEntry("run/fifo", Kind.FIFO, mode=0o600), "prw-------"),
    (FileEntry("tmp", Kind.DIR, mode=0o1777), "drwxrwxrwt"),
    (FileEntry("etc/old", Kind.WHITEOUT), "removed   "),
    (FileEntry("var/cache", Kind.OPAQUE), "opaque    "),
])
def test_mode(entry, mode):
    assert mode_text(entry) == mode


def test_lines_and_owners():
    entry = FileEntry("usr/bin/app", Kind.FILE, 1234567, 0o755, 0, 0, "root", "root")
    assert entry_line(entry, 9) == "-rwxr-xr-x " + "root/root".ljust(17) + " 1,234,567  usr/bin/app"
    assert owner_text(FileEntry("a", Kind.FILE, uid=1000, gid=100)) == "1000/100"
    assert path_text(FileEntry("usr/lib", Kind.DIR)) == "usr/lib/"
    assert path_text(FileEntry("bin/sh", Kind.SYMLINK, link="dash")) == "bin/sh -> dash"
    assert path_text(FileEntry("bin/ln", Kind.HARDLINK, link="bin/cp")) == "bin/ln link to bin/cp"
    assert entry_line(FileEntry("etc/old", Kind.WHITEOUT), 3).split() == ["removed", "etc/old"]


def test_hostile_names_are_escaped():
    entry = FileEntry("evil\x1b]52;c;aGk=\x07name\u202e", Kind.SYMLINK, user="r\x1b[31m", link="\x1b[2J")
    line = entry_line(entry)
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert "evil\\x1b]52;c;aGk=\\x07name\\u202e -> \\x1b[2J" in line and "r\\x1b[31m/" in line


def test_json_keeps_exact_values():
    entry = FileEntry("a/\x1bb", Kind.FILE, 5, 0o640, 1, 2, "u", "g", "", 1700000000)
    assert entry_json(entry) == {"path": "a/\x1bb", "type": "file", "size": 5, "mode": "0640", "uid": 1, "gid": 2,
                                 "user": "u", "group": "g", "mtime": 1700000000}
    assert entry_json(FileEntry("x", Kind.WHITEOUT)) == {"path": "x", "type": "whiteout"}
    assert entry_json(FileEntry("l", Kind.SYMLINK, link="t"))["link"] == "t"


def test_progress():
    assert progress_text(45_200_000, 150_000_000, 80_100_000, 1.3) == "45.2 MB of 150.0 MB (30 %) · 80.1 MB/s · 1 s left"
    assert progress_text(0, 150_000_000, 0.0, None) == "0 B of 150.0 MB (0 %)"
    assert progress_text(10, 10, 5.0, 0.0) == "10 B of 10 B (100 %) · 5 B/s"
    assert progress_text(10, 0, 0.0, None) == "10 B of 0 B"
    assert [duration_text(s) for s in (0.4, 59, 125, 3725)] == ["0 s", "59 s", "2 min 5 s", "1 h 2 min"]
