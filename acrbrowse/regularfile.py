"""Reading a small file on this machine that anyone may have replaced: only a regular file (not a
FIFO nobody writes to, a device like /dev/zero, or — when asked — a symlink) and only up to a cap.
The cache and the settings files both read through here."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Non-blocking, so opening a FIFO with no writer returns at once (and is then refused by fstat).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 64 * 1024


class NotRegularFile(ValueError):
    pass


class FileTooLarge(ValueError):
    pass


def read_capped(path: Path, cap: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of `path`, a regular file of at most `cap` bytes. Raises FileNotFoundError when it
    is missing, NotRegularFile, FileTooLarge, or OSError (a symlink when not following them: ELOOP)."""
    flags = _OPEN_FLAGS if follow_symlinks else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path)
        if info.st_size > cap:
            raise FileTooLarge(path)
        chunks, left = [], cap + 1
        while left > 0 and (chunk := os.read(fd, min(left, _CHUNK))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:  # it grew while being read
        raise FileTooLarge(path)
    return data
