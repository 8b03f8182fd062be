"""README's key table is the help screen's (acrbrowse.ui.keys.help_rows): one source of truth."""

from __future__ import annotations

import re
from pathlib import Path

from acrbrowse.ui.keys import help_rows, markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_rows() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- key table: .*?-->\n(.*?)<!-- end of key table -->", text, re.DOTALL)
    assert block, "README.md lost its key table markers"
    rows = [re.split(r"(?<!\\) \| ", line.strip()[2:-2]) for line in block[1].splitlines()[2:]]
    return [(keys.replace("\\|", "|"), does.replace("\\|", "|")) for keys, does in rows]


def test_readme_key_table_is_the_help_screens():
    # on failure: .venv/bin/python scripts/key_table.py rewrites it
    assert readme_rows() == help_rows()
    assert markdown_table() in README.read_text(encoding="utf-8")
