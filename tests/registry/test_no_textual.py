"""The registry layer and the CLI's subcommands never import Textual (STYLE.md: the domain layer is UI-free)."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import acrbrowse.registry

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, pkgutil, sys
import acrbrowse.registry
names = ["acrbrowse.registry." + m.name for m in pkgutil.iter_modules(acrbrowse.registry.__path__)]
names += ["acrbrowse.cli", "acrbrowse.render", "acrbrowse.units"]
for name in names:
    importlib.import_module(name)
assert len(names) >= 12, names
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("LEAKED:" + ",".join(leaked))
"""


def test_registry_modules_are_all_covered():
    names = {m.name for m in pkgutil.iter_modules(acrbrowse.registry.__path__)}
    assert {"reference", "mediatypes", "models", "challenge", "auth", "client", "errors", "walk",
            "credential"} <= names


def test_importing_the_registry_and_the_cli_does_not_import_textual():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "LEAKED:", result.stdout


def test_the_check_can_fail():
    """The same probe sees textual when something does import it (so the test above is not vacuous)."""
    script = SCRIPT.replace('names += ["acrbrowse.cli"', 'names += ["textual.app", "acrbrowse.cli"')
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "textual" in result.stdout.split("LEAKED:")[1]
