"""Human-readable sizes and digests."""

from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def human_size(size: int) -> str:
    """Decimal units, as docker and the registries' portals show them: 1536 -> '1.5 kB'."""
    if size < 1000:
        return f"{size} B"
    if size >= 10**21:  # a sum of hostile sizes: integer arithmetic, where a float would overflow
        return f"{size // 10**15} PB"
    value = float(size)
    for unit in _UNITS[1:]:
        value /= 1000
        if value < 999.95 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def short_digest(digest: str, length: int = 12) -> str:
    """sha256:0123456789abcdef... -> sha256:0123456789ab"""
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:length]}" if hex_part else digest[:length]
