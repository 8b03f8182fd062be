"""A layer's files and an image's merged filesystem as people and scripts read them: `tar -tv`-like
lines, JSON objects, and the progress of a layer being read. Every path from a layer is made
terminal-safe here (a tar may name a file with escape sequences)."""

from __future__ import annotations

import stat
from typing import Any

from acrbrowse.layerfiles.entries import FileEntry, Kind
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.units import human_size

_TYPE_BITS = {
    Kind.FILE: stat.S_IFREG, Kind.HARDLINK: stat.S_IFREG, Kind.DIR: stat.S_IFDIR, Kind.SYMLINK: stat.S_IFLNK,
    Kind.CHAR: stat.S_IFCHR, Kind.BLOCK: stat.S_IFBLK, Kind.FIFO: stat.S_IFIFO,
}
KIND_NAMES = {
    Kind.FILE: "file", Kind.DIR: "dir", Kind.SYMLINK: "symlink", Kind.HARDLINK: "hardlink", Kind.CHAR: "char",
    Kind.BLOCK: "block", Kind.FIFO: "fifo", Kind.WHITEOUT: "whiteout", Kind.OPAQUE: "opaque", Kind.OTHER: "other",
}


def mode_text(entry: FileEntry) -> str:
    """"drwxr-xr-x", "lrwxrwxrwx", "hrw-r--r--" (a hard link, as GNU tar shows it); a whiteout
    "removed   ", an opaque marker "opaque    "."""
    if entry.kind is Kind.WHITEOUT:
        return "removed   "
    if entry.kind is Kind.OPAQUE:
        return "opaque    "
    text = stat.filemode(_TYPE_BITS.get(entry.kind, 0) | (entry.mode & 0o7777))
    if entry.kind is Kind.HARDLINK:
        return "h" + text[1:]
    if entry.kind is Kind.OTHER:
        return "?" + text[1:]
    return text


def owner_text(entry: FileEntry) -> str:
    """"root/root", or the ids where the layer names no owner: "1000/1000"."""
    user = entry.user or str(entry.uid)
    group = entry.group or str(entry.gid)
    return terminal_safe(f"{user}/{group}", 40)


def path_text(entry: FileEntry, *, dir_slash: bool = True) -> str:
    """The path, escaped, with a link's target and a marker for what a deletion does."""
    path = terminal_safe(entry.path or "/")
    if entry.kind is Kind.DIR and dir_slash:
        path += "/"
    if entry.kind is Kind.SYMLINK:
        return f"{path} -> {terminal_safe(entry.link)}"
    if entry.kind is Kind.HARDLINK:
        return f"{path} link to {terminal_safe(entry.link)}"
    if entry.kind is Kind.OPAQUE:
        return f"{path}/ (everything below it in the layers below is hidden)"
    return path


def entry_line(entry: FileEntry, size_width: int = 12) -> str:
    """One `tar -tv`-like line: mode, owner, size in bytes, path."""
    size = "" if entry.kind.is_deletion else f"{entry.size:,}"
    owner = "" if entry.kind.is_deletion else owner_text(entry)
    return f"{mode_text(entry)} {owner:<17} {size:>{size_width}}  {path_text(entry)}"


def entry_json(entry: FileEntry) -> dict[str, Any]:
    """Exact values; the path as the layer holds it (JSON escapes what a terminal would run)."""
    out: dict[str, Any] = {"path": entry.path, "type": KIND_NAMES[entry.kind]}
    if not entry.kind.is_deletion:
        out.update(size=entry.size, mode=f"{entry.mode:04o}", uid=entry.uid, gid=entry.gid)
        if entry.user:
            out["user"] = entry.user
        if entry.group:
            out["group"] = entry.group
        out["mtime"] = entry.mtime
    if entry.link:
        out["link"] = entry.link
    return out


def duration_text(seconds: float) -> str:
    """"4 s", "2 min 5 s", "1 h 3 min"."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def progress_text(received: int, total: int, rate: float, eta: float | None) -> str:
    """"45.2 MB of 150.0 MB (30 %) · 80.1 MB/s · 2 s left"."""
    percent = f" ({min(received * 100 // total, 100)} %)" if total > 0 else ""
    text = f"{human_size(received)} of {human_size(total)}{percent}"
    if rate > 0:
        text += f" · {human_size(int(rate))}/s"
    if eta is not None and received < total:
        text += f" · {duration_text(eta)} left"
    return text


def efficiency_text(efficiency: float, wasted: int) -> str:
    """"efficiency 93.2 % · 12.3 MB wasted"."""
    return f"efficiency {efficiency * 100:.1f} % · {human_size(wasted)} wasted"
