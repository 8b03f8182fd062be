"""Ordering and filtering for the list panes."""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Callable
from datetime import datetime

from acrbrowse.present.order import natural_key
from acrbrowse.present.safe import terminal_safe

Search = Callable[[str], "re.Match[str] | None"]


def _in_order(word: str, *, groups: bool = False) -> str:
    """A pattern for the characters of `word` in order, anything between: "a[^b]*b[^c]*c". The
    negated classes leave the engine nothing to backtrack over, and put each character at its first
    chance after the one before."""
    chars = [re.escape(char) for char in word]
    if groups:
        chars = [f"({char})" for char in chars]
    return chars[0] + "".join(f"[^{re.escape(char)}]*{pattern}" for char, pattern in zip(word[1:], chars[1:],
                                                                                           strict=True))


def _all_of(patterns: list[str]) -> Search:
    if len(patterns) == 1:
        return re.compile(patterns[0], re.IGNORECASE | re.DOTALL).search
    # \A: tried once per name; without it, search() would try every lookahead again from each position.
    return re.compile(r"\A" + "".join(f"(?=.*?{pattern})" for pattern in patterns), re.IGNORECASE | re.DOTALL).search


@functools.lru_cache(maxsize=32)
def _searches(query: str) -> tuple[Search, Search | None]:
    """A query's two tests: its words' characters in order, and its words whole (None when that is the
    same test: every word one character). One compiled pattern each: the work per name is the C regex
    engine's, 20,000 names in a few ms."""
    words = query.split()
    scattered = _all_of([_in_order(word) for word in words])
    if all(len(word) == 1 for word in words):
        return scattered, None
    return scattered, _all_of([re.escape(word) for word in words])


def _matched(names: list[str], query: str) -> list[str]:
    """The names `query` matches, in the list's order (every name for a blank query)."""
    if not query.split():
        return list(names)
    scattered, _ = _searches(query)
    return [name for name in names if scattered(name)]


def _grouped(matched: list[str], query: str) -> tuple[list[str], list[str]]:
    """`matched` (names the query matches) as (whole, apart), each in the list's order."""
    if not query.split():
        return list(matched), []
    _, contiguous = _searches(query)
    if contiguous is None:
        return list(matched), []
    together = [name for name in matched if contiguous(name)]
    if len(together) == len(matched):
        return together, []
    return together, [name for name in matched if not contiguous(name)]


def split_matches(names: list[str], query: str) -> tuple[list[str], list[str]]:
    """The names `query` matches, in two groups, each in the list's own order: those holding every
    word of it as it is typed, then those holding each word's characters in order, apart.
    Case-insensitive; the query is text, never a pattern."""
    return _grouped(_matched(names, query), query)


def filter_names(names: list[str], query: str) -> list[str]:
    """The names `query` matches (split_matches' two groups, one after the other)."""
    together, apart = split_matches(names, query)
    return together + apart if apart else together


def match_positions(name: str, query: str) -> list[int]:
    """Where the characters of `query` are in `name`, for highlighting: each word where it first
    appears whole, else its characters at their first chance."""
    positions: set[int] = set()
    for word in query.split():
        whole, apart = _highlights(word)
        found = whole(name)
        if found is not None:
            positions.update(range(found.start(), found.end()))
            continue
        found = apart(name)
        if found is not None:
            positions.update(found.start(group) for group in range(1, len(word) + 1))
    return sorted(positions)


@functools.lru_cache(maxsize=64)
def _highlights(word: str) -> tuple[Search, Search]:
    flags = re.IGNORECASE | re.DOTALL
    return re.compile(re.escape(word), flags).search, re.compile(_in_order(word, groups=True), flags).search


def shown_match_positions(name: str, query: str) -> list[int]:
    """match_positions of `name` (what the filter matched), as offsets in terminal_safe(name) (what
    the row shows): an escape ("\\x1b") is longer than the character it stands for, and a "b" in it
    is not one the filter matched."""
    positions = match_positions(name, query)
    if not positions or terminal_safe(name) == name:
        return positions
    shown_at, offset = [], 0
    for char in name:
        shown_at.append(offset)
        offset += len(terminal_safe(char))
    return [shown_at[position] for position in positions]


class FilteredNames:
    """A filter's rows while the names under it change at their end (pages arriving) or the query
    is typed: the names it matches kept in the list's order and in split_matches' two groups, so a
    change is filtered alone, a longer query looks only at what the shorter one matched, and
    Backspace finds the shorter one's rows again."""

    def __init__(self, names: list[str], query: str, *, matched: list[str] | None = None) -> None:
        self.query = query
        self.matched = _matched(names, query) if matched is None else matched
        self.together, self.apart = _grouped(self.matched, query)
        self.shorter: FilteredNames | None = None  # the rows this one was narrowed from, while still true

    def typed(self, query: str) -> FilteredNames | None:
        """The rows for `query` typed from this one, without looking at every name: one more
        character (from this one's matches alone, as a longer query matches no name a shorter one
        did not) or one less (the rows it had). None for any other query."""
        if self.shorter is not None and query == self.shorter.query:
            return self.shorter
        if not self.query.split() or not query.startswith(self.query):
            return None
        longer = FilteredNames([], query, matched=_matched(self.matched, query))
        longer.shorter = self
        return longer

    @property
    def keys(self) -> list[str]:
        return self.together + self.apart

    def patch(self, removed: list[str], tail: list[str]) -> tuple[int, list[str]]:
        """The names from some point on were `removed` and are now `tail`: returns (start, rows) to
        splice into the table (its rows from `start` on become `rows`)."""
        self.shorter = None  # its rows are of the names as they were
        gone = _matched(removed, self.query)
        new = _matched(tail, self.query)
        del self.matched[len(self.matched) - len(gone):]
        self.matched.extend(new)
        gone_together, gone_apart = _grouped(gone, self.query)
        new_together, new_apart = _grouped(new, self.query)
        start = len(self.together) - len(gone_together)
        del self.together[start:]
        self.together.extend(new_together)
        del self.apart[len(self.apart) - len(gone_apart):]
        self.apart.extend(new_apart)
        return start, new_together + self.apart


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


class NewestFirst:
    """Names newest first by `pushed(name)` (names without a time last, in natural order), as pages
    arrive; add() and finish() as NaturalOrder's. ACR lists tags newest first already, so a page
    lands at the end; a page that does not (another source's order) sorts the whole list again."""

    def __init__(self, pushed: Callable[[str], datetime | None]) -> None:
        self.names: list[str] = []
        self._keys: dict[str, tuple[float, str]] = {}
        self._pushed = pushed

    def _key(self, name: str) -> tuple[float, str]:
        return self._keys[name]

    def add(self, page: list[str]) -> tuple[int, list[str]]:
        fresh = [name for name in dict.fromkeys(page) if name not in self._keys]
        for name in fresh:
            when = self._pushed(name)
            self._keys[name] = (-when.timestamp() if when is not None else math.inf, natural_key(name))
        fresh.sort(key=self._key)
        names = self.names
        old_size = len(names)
        if not fresh:
            return old_size, []
        if not names or self._keys[fresh[0]] >= self._keys[names[-1]]:
            names.extend(fresh)
            return old_size, []
        removed = names[:]
        names.extend(fresh)
        names.sort(key=self._key)
        return 0, removed

    def finish(self) -> tuple[int, list[str]]:
        return len(self.names), []


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
