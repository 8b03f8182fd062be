"""Ordering and filtering for the list panes."""

from __future__ import annotations

import bisect
import re

from acrbrowse.present.safe import terminal_safe

_NUMBERS = re.compile(r"(\d+)")


def natural_key(name: str) -> str:
    """"1.9" before "1.10", "build-2" before "build-10"; case-insensitive, ties broken by the name.

    A string (digit runs zero-padded), not a tuple: 20,000 tuple keys cost ~100 ms and a GC pass.
    """
    return _NUMBERS.sub(lambda m: m[0].rjust(20, "0"), name.lower()) + "\0" + name


def _in_order(word: str, *, groups: bool = False) -> str:
    """A pattern for the characters of `word` in order, anything between: "a[^b]*b[^c]*c". The
    negated classes make it linear, and the match leftmost with each character at its first chance."""
    chars = [re.escape(char) for char in word]
    if groups:
        chars = [f"({char})" for char in chars]
    return chars[0] + "".join(f"[^{re.escape(char)}]*{pattern}" for char, pattern in zip(word[1:], chars[1:],
                                                                                           strict=True))


def _all_of(patterns: list[str]) -> re.Pattern[str]:
    if len(patterns) == 1:
        return re.compile(patterns[0], re.IGNORECASE | re.DOTALL)
    # \A: tried once per name; without it, search() would try every lookahead again from each position.
    return re.compile(r"\A" + "".join(f"(?=.*?{pattern})" for pattern in patterns), re.IGNORECASE | re.DOTALL)


def split_matches(names: list[str], query: str) -> tuple[list[str], list[str]]:
    """The names `query` matches, in two groups, each in the list's own order: those holding every
    word of it as it is typed, then those holding each word's characters in order, apart.

    Case-insensitive; the query is text, never a pattern. One compiled pattern per group, so the
    work per name is the C regex engine's (20,000 names in a few ms)."""
    words = query.split()
    if not words:
        return list(names), []
    scattered = _all_of([_in_order(word) for word in words]).search
    contiguous = _all_of([re.escape(word) for word in words]).search
    matched = [name for name in names if scattered(name)]
    together = [name for name in matched if contiguous(name)]
    if len(together) == len(matched):
        return together, []
    return together, [name for name in matched if not contiguous(name)]


def filter_names(names: list[str], query: str) -> list[str]:
    """The names `query` matches (split_matches' two groups, one after the other)."""
    together, apart = split_matches(names, query)
    return together + apart if apart else together


def match_positions(name: str, query: str) -> list[int]:
    """Where the characters of `query` are in `name`, for highlighting: each word where it first
    appears whole, else its characters at their first chance."""
    positions: set[int] = set()
    for word in query.split():
        whole = re.search(re.escape(word), name, re.IGNORECASE)
        if whole is not None:
            positions.update(range(whole.start(), whole.end()))
            continue
        apart = re.search(_in_order(word, groups=True), name, re.IGNORECASE | re.DOTALL)
        if apart is not None:
            positions.update(apart.start(group) for group in range(1, len(word) + 1))
    return sorted(positions)


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
    """A filter's rows while the names under it change at their end (pages arriving): the two groups
    of split_matches kept apart, so a change is filtered alone, not every name again."""

    def __init__(self, names: list[str], query: str) -> None:
        self.query = query
        self.together, self.apart = split_matches(names, query)

    @property
    def keys(self) -> list[str]:
        return self.together + self.apart

    def patch(self, removed: list[str], tail: list[str]) -> tuple[int, list[str]]:
        """The names from some point on were `removed` and are now `tail`: returns (start, rows) to
        splice into the table (its rows from `start` on become `rows`)."""
        gone_together, gone_apart = split_matches(removed, self.query)
        new_together, new_apart = split_matches(tail, self.query)
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
