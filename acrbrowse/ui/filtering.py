"""Ordering and filtering for the list panes."""

from __future__ import annotations

import bisect
import re

_NUMBERS = re.compile(r"(\d+)")


def natural_key(name: str) -> str:
    """"1.9" before "1.10", "build-2" before "build-10"; case-insensitive, ties broken by the name.

    A string (digit runs zero-padded), not a tuple: 20,000 tuple keys cost ~100 ms and a GC pass.
    """
    return _NUMBERS.sub(lambda m: m[0].rjust(20, "0"), name.lower()) + "\0" + name


def filter_names(names: list[str], query: str) -> list[str]:
    words = query.lower().split()
    if not words:
        return list(names)
    if len(words) == 1:
        word = words[0]
        return [n for n in names if word in n.lower()]
    return [n for n in names if all(w in n.lower() for w in words)]


MERGE_REACH = 4  # a page merges into the sorted list when it reaches at most this many pages back


class NaturalOrder:
    """Names in natural order as pages of them arrive, at a cost in proportion to each page (amortised;
    re-sorting all of them on every page made 1,000,000 tags over 1,000 pages quadratic).

    A page that sorts after (or just before) the end is merged into the tail. One that reaches further
    back is appended, itself sorted, and the whole list is sorted again only once it has doubled since
    its last full sort, and by finish(). A name seen before is dropped.

    add() and finish() return (start, removed): the list changed from `start` on, and `removed` is what
    was there before, so a filtered view can be patched with work in proportion to the change.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self._keys: dict[str, str] = {}
        self._in_order = True
        self._sorted_size = 0  # the length at the last full sort

    def _key(self, name: str) -> str:
        return self._keys[name]

    def add(self, page: list[str]) -> tuple[int, list[str]]:
        fresh = [name for name in dict.fromkeys(page) if name not in self._keys]
        self._keys.update((name, natural_key(name)) for name in fresh)
        fresh.sort(key=self._key)
        names = self.names
        if not fresh:
            return len(names), []
        if self._in_order:
            start = bisect.bisect_right(names, self._keys[fresh[0]], key=self._key)
            if start >= len(names) - MERGE_REACH * len(fresh):
                removed = names[start:]
                names[start:] = sorted(removed + fresh, key=self._key) if removed else fresh
                return start, removed
            self._in_order = False
        old_size = len(names)
        names.extend(fresh)
        if len(names) >= 2 * self._sorted_size:
            return self._sort_all(old_size)
        return old_size, []

    def finish(self) -> tuple[int, list[str]]:
        """Every page is in: the whole list in natural order."""
        if self._in_order:
            return len(self.names), []
        return self._sort_all(len(self.names))

    def _sort_all(self, old_size: int) -> tuple[int, list[str]]:
        removed = self.names[:old_size]
        self.names.sort(key=self._key)
        self._in_order = True
        self._sorted_size = len(self.names)
        return 0, removed


class PendingChange:
    """The changes NaturalOrder.add made since the table was last patched, as one (start, removed):
    from the lowest start on, with what the table still shows there. Pages arrive faster than a
    screen repaints; patching the table (a relayout each time) once per repaint keeps loading fast."""

    def __init__(self) -> None:
        self.start: int | None = None
        self.removed: list[str] = []

    def add(self, start: int, removed: list[str]) -> None:
        if self.start is None:
            self.start, self.removed = start, removed
        elif start < self.start:  # what lay between was untouched since the last patch
            self.removed = removed[: self.start - start] + self.removed
            self.start = start

    def take(self) -> tuple[int, list[str]] | None:
        if self.start is None:
            return None
        change, self.start, self.removed = (self.start, self.removed), None, []
        return change
