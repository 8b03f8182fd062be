"""How the browser's columns share the screen (Miller columns), and how text is cut to fit so that
what identifies it survives: a name keeps its end, a digest its both ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text

Cut = Literal["end", "start", "middle"]
ELLIPSIS = "…"


def cut(text: Text | str, width: int, where: Cut = "end") -> Text:
    """`text` in at most `width` cells: "end" drops the tail, "start" the head ("…/platform/app"),
    "middle" the middle ("sha256:8e95…b017b8")."""
    text = text.copy() if isinstance(text, Text) else Text(text)
    if text.cell_len <= width:
        return text
    if width <= 1:
        return Text(ELLIPSIS[:width], end="")
    if where == "end":
        text.truncate(width, overflow="ellipsis")
        return text
    plain = text.plain
    if where == "start":
        start = _cells_from_end(plain, width - 1)
        return Text(ELLIPSIS, end="") + text[start:]
    keep = width - 1
    head = keep - keep // 2
    end = _cells_from_start(plain, head)
    start = _cells_from_end(plain, keep - Text(plain[:end]).cell_len)
    return text[:end] + Text(ELLIPSIS, end="") + text[start:]


def _cells_from_start(plain: str, cells: int) -> int:
    """The index where the first `cells` cells of `plain` end."""
    used = 0
    for index, char in enumerate(plain):
        used += Text(char).cell_len
        if used > cells:
            return index
    return len(plain)


def _cells_from_end(plain: str, cells: int) -> int:
    """The index where the last `cells` cells of `plain` begin."""
    used = 0
    for index in range(len(plain) - 1, -1, -1):
        used += Text(plain[index]).cell_len
        if used > cells:
            return index + 1
    return 0


@dataclass(frozen=True)
class Need:
    """What a column needs: below `minimum` it is of no use; at `want` all of it shows."""

    minimum: int
    want: int


def arrange(width: int, needs: Sequence[Need], focus: int) -> list[int]:
    """Widths for columns left to right (0: hidden). The focused column always shows, at least at
    its minimum (the caller gives the focus a minimum that shows it whole); then its neighbours
    join, the right one first (it previews what the focus opens), while their minimum fits, so the
    columns left of the focus go first when space is short. Spare width goes to the focus up to
    its `want`, then to the others nearest first; the last shown takes the rest."""
    widths = [0] * len(needs)
    widths[focus] = min(width, needs[focus].minimum)
    low = high = focus
    while True:
        grew = False
        for candidate in (high + 1, low - 1):
            if 0 <= candidate < len(needs) and sum(widths) + needs[candidate].minimum <= width:
                widths[candidate] = needs[candidate].minimum
                low, high = min(low, candidate), max(high, candidate)
                grew = True
        if not grew:
            break
    for index in sorted(range(low, high + 1), key=lambda i: abs(i - focus)):
        spare = width - sum(widths)
        widths[index] += max(0, min(spare, needs[index].want - widths[index]))
    widths[high] += width - sum(widths)
    return widths
