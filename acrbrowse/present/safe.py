"""The one way out to the terminal for any string from outside (registry, token service,
credential helper, settings file): control characters, DEL, C1 codes, bidi overrides and lone
surrogates become visible escapes, so nothing a registry sends can move the cursor, set the
title, write the clipboard (OSC 52) or reorder what is shown. Never markup: UI callers wrap the
result in a rich `Text`, which Textual does not parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI needs no Rich: imported only where a Text is made
    from rich.text import Text

# Invisible characters that reorder or hide text (Trojan Source, CVE-2021-42574) or break lines.
_INVISIBLE = (
    "\u061c\u200b\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff\ufff9\ufffa\ufffb"
)


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_CODES = [*range(0x20), 0x7F, *range(0x80, 0xA0), *map(ord, _INVISIBLE), *range(0xD800, 0xE000)]
_LINE = {code: _escape(code) for code in _CODES}
_BLOCK = {code: text for code, text in _LINE.items() if code not in (0x09, 0x0A)}


def terminal_safe(text: object, limit: int | None = None) -> str:
    """`text` on one line with every control or invisible character shown as an escape (\\x1b,
    \\u202e); cut to `limit` characters with an ellipsis when given."""
    value = (text if isinstance(text, str) else str(text)).translate(_LINE)
    if limit is not None and len(value) > limit:
        value = value[: max(0, limit - 1)] + "…"
    return value


def terminal_safe_block(text: object) -> str:
    """Like terminal_safe, but keeps newlines and tabs: for multi-line views (raw JSON, history)."""
    return (text if isinstance(text, str) else str(text)).translate(_BLOCK)


def safe_text(text: object, style: str = "", limit: int | None = None) -> Text:
    """A rich Text of `text` made terminal-safe: the form every UI widget takes outside strings in."""
    from rich.text import Text

    return Text(terminal_safe(text, limit), style=style, end="")
