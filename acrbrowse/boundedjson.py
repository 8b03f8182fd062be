"""json.loads with a bound on nesting: a document nested 100,000 deep would otherwise exhaust
the recursion limit in the parser or in whatever walks the result (a pretty-printer, a repr)."""

from __future__ import annotations

import json
import re
from typing import Any

from acrbrowse.limits import JSON_DEPTH

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class JSONTooDeep(ValueError):
    pass


def json_depth_ok(raw: bytes, limit: int = JSON_DEPTH) -> bool:
    """True when no array or object in `raw` nests deeper than `limit`."""
    skeleton = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if len(skeleton) <= 2 * limit:
        return True
    depth = 0
    for byte in skeleton:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return False
        else:
            depth -= 1
    return True


def loads(raw: bytes | str, limit: int = JSON_DEPTH) -> Any:
    """Parse JSON; raises ValueError (JSONTooDeep for nesting past `limit`, UnicodeDecodeError or
    json.JSONDecodeError for the rest)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if not json_depth_ok(data, limit):
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels")
    try:
        return json.loads(data)
    except RecursionError:  # unreachable after the check; kept so no caller ever sees one
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels") from None
