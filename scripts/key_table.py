"""Write README.md's key table from acrbrowse.ui.keys (the help screen's rows): one source.

    .venv/bin/python scripts/key_table.py          rewrite the table in README.md
    .venv/bin/python scripts/key_table.py --check  exit 1 when README.md's table is stale

tests/test_key_table.py fails when README.md and the keys differ.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrbrowse.ui.keys import markdown_table  # noqa: E402 - after the path is set

README = ROOT / "README.md"
BEGIN = "<!-- key table: written by scripts/key_table.py from acrbrowse/ui/keys.py -->\n"
END = "<!-- end of key table -->\n"
BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


def with_table(readme: str) -> str:
    if not BLOCK.search(readme):
        raise SystemExit(f"README.md has no key table markers ({BEGIN.strip()})")
    return BLOCK.sub(lambda _: BEGIN + markdown_table() + END, readme, count=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether README.md is current")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    current = with_table(readme)
    if args.check:
        if current != readme:
            print("README.md's key table is stale: run scripts/key_table.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
