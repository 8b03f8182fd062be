"""Times as people read them: "3 days ago" for lists, ISO 8601 for JSON and details."""

from __future__ import annotations

from datetime import UTC, datetime

_STEPS = (  # (limit in seconds, unit in seconds, name, short name)
    (3600, 60, "minute", "m"),
    (86400, 3600, "hour", "h"),
    (30 * 86400, 86400, "day", "d"),
    (365 * 86400, 30 * 86400, "month", "mo"),
)
_YEAR = 365 * 86400
FUTURE_SLACK = 120  # seconds: clocks disagree this much without anything being odd


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """"just now", "5 minutes ago", "3 days ago", "2 years ago"; "in the future" for a time more
    than two minutes ahead of `now` (a registry's clock, or a hostile value); "-" for unknown."""
    if when is None:
        return "-"
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < -FUTURE_SLACK:
        return "in the future"
    if seconds < 60:
        return "just now"
    for limit, unit, name, _short in _STEPS:
        if seconds < limit:
            return _count(int(seconds // unit), name)
    return _count(int(seconds // _YEAR), "year")


def short_age(when: datetime, now: datetime | None = None) -> str:
    """How long ago, in a few characters: "now", "5m", "3h", "2d", "4mo", "1y"; "?" ahead of now."""
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < -FUTURE_SLACK:
        return "?"
    if seconds < 60:
        return "now"
    for limit, unit, _name, short in _STEPS:
        if seconds < limit:
            return f"{int(seconds // unit)}{short}"
    return f"{int(seconds // _YEAR)}y"


def _count(value: int, name: str) -> str:
    return f"{value} {name}{'' if value == 1 else 's'} ago"


def iso_time(when: datetime | None) -> str | None:
    """UTC, to the second or with microseconds when it has them, with a Z: for JSON and details."""
    if when is None:
        return None
    text = when.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"
