"""Data flows one way: the OCI core knows nothing of the keychain, the UI or the command line; the
UI never reaches into the command line; the script commands and the core never load Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "acrbrowse"

# package -> what none of its modules may import (at module level or inside a function)
FORBIDDEN = {
    "acrbrowse.oci": ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain"),
    "acrbrowse.keychain": ("textual", "acrbrowse.ui", "acrbrowse.cli"),
    "acrbrowse.layerfiles": ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain"),
    "acrbrowse.compare": ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain"),
    "acrbrowse.present": ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain"),
    "acrbrowse.ui": ("acrbrowse.cli",),
    "acrbrowse.session": ("textual", "acrbrowse.ui", "acrbrowse.cli"),
    "acrbrowse.config": ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain"),
    "acrbrowse.localfile": ("textual", "acrbrowse.ui", "acrbrowse.cli", "acrbrowse.keychain"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str) -> set[str]:
    """Every module named by an import statement anywhere in `source` (relative ones resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(module: str, source: str) -> list[str]:
    out = []
    for package, forbidden in FORBIDDEN.items():
        if module == package or module.startswith(package + "."):
            for name in sorted(imports_of(source, module)):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    out.append(f"{module} imports {name}")
    return out


def test_every_package_keeps_to_its_side():
    found = [v for path in sorted(PACKAGE.rglob("*.py"))
             for v in violations(module_name(path), path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize(("module", "source"), [
    ("acrbrowse.oci.remote.client", "def f():\n    from acrbrowse.keychain import resolve\n"),
    ("acrbrowse.oci.walk", "import textual.app\n"),
    ("acrbrowse.ui.app", "from acrbrowse.cli.common import say\n"),
    ("acrbrowse.oci.remote.auth", "from ...ui import app\n"),
])
def test_the_rules_catch_a_wrong_import(module, source):
    assert violations(module, source)


SCRIPT = """
import importlib, pkgutil, sys
import acrbrowse.oci, acrbrowse.oci.remote, acrbrowse.keychain, acrbrowse.present
names = [f"{p.__name__}.{m.name}" for p in (acrbrowse.oci, acrbrowse.oci.remote, acrbrowse.keychain, acrbrowse.present)
         for m in pkgutil.iter_modules(p.__path__)]
names += ["acrbrowse.cli.main", "acrbrowse.cli.commands", "acrbrowse.cli.login", "acrbrowse.cli.common",
          "acrbrowse.session", "acrbrowse.config", "acrbrowse.localfile"]
for name in EXTRA + names:
    importlib.import_module(name)
print("LEAKED:" + ",".join(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))))
"""


def loaded_textual(extra: list[str]) -> str:
    script = f"EXTRA = {extra!r}\n" + SCRIPT
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("LEAKED:")[1].strip()


def test_the_core_and_the_script_commands_do_not_load_textual():
    assert loaded_textual([]) == ""


def test_what_runs_before_textual_is_imported_does_not_load_it():
    """The browser's first requests go out (ui/prefetch.py, from cli/browse.py) while Textual is
    imported in a thread: importing Textual first would put its ~100-200 ms before them again."""
    assert loaded_textual(["acrbrowse.cli.browse", "acrbrowse.ui.prefetch"]) == ""


LAZY_SCRIPT = """
import sys
import acrbrowse.ui.app
print("LOADED:" + ",".join(m for m in LAZY if m in sys.modules))
"""


def test_the_first_screen_leaves_what_it_does_not_show_for_later():
    """Screens the first paint never shows are imported when first opened, not with the app."""
    lazy = ["acrbrowse.ui.screens.help"]
    script = f"LAZY = {lazy!r}\n" + LAZY_SCRIPT
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("LOADED:")[1].strip() == ""


def test_the_runtime_check_can_fail():
    assert "textual" in loaded_textual(["textual.app"])
