"""The filter both list panes use: every space-separated word must appear, case-insensitively."""

from __future__ import annotations


def matches(name: str, query: str) -> bool:
    if not query:
        return True
    lowered = name.lower()
    return all(word in lowered for word in query.lower().split())


def filter_names(names: list[str], query: str) -> list[str]:
    words = query.lower().split()
    if not words:
        return list(names)
    if len(words) == 1:
        word = words[0]
        return [n for n in names if word in n.lower()]
    return [n for n in names if all(w in n.lower() for w in words)]
