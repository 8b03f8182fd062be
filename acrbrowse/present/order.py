"""The order names are listed in."""

from __future__ import annotations

import re

_NUMBERS = re.compile(r"(\d+)")


def natural_key(name: str) -> str:
    """"1.9" before "1.10", "build-2" before "build-10"; case-insensitive, ties broken by the name.
    (The same key as the UI's list panes.)"""
    return _NUMBERS.sub(lambda m: m[0].rjust(20, "0"), name.lower()) + "\0" + name
