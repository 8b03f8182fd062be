"""The layer below cli/ says what happened; it never words command-line advice (issue 9).

Its errors carry a reason and a Hint as data: the CLI words the hint as flags, the UI as keys."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import acrbrowse
from acrbrowse.keychain.errors import IncompleteCredential, KeyringUnavailable
from acrbrowse.keychain.resolver import resolve
from acrbrowse.oci.credential import Secret
from acrbrowse.oci.errors import Hint, InvalidReference, credentials_refused, sign_in_required
from acrbrowse.oci.name import normalize_registry, parse_reference

PACKAGE = Path(acrbrowse.__file__).parent
CORE = ("oci", "keychain", "layerfiles", "compare")
# a long option (--timeout, --plain-http), or a command line a person would type
CLI_ADVICE = re.compile(r"(?<![\w-])--[a-z]|acrbrowse (login|logins|logout|repos|tags|tree)\b|acrbrowse [A-Z]+\b|try: acrbrowse|acrbrowse \S*/REPO")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (prose for maintainers, not messages)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip]


def test_the_scan_finds_what_it_looks_for():
    for text in ("raise --timeout", "add --plain-http", "sign in with: acrbrowse login r.io",
                 "name one: acrbrowse r.io/REPO", "try: acrbrowse myregistry.azurecr.io"):
        assert CLI_ADVICE.search(text), text
    for text in ("a--b", "sha256:abc", "acrbrowse sends no credentials there", "-----BEGIN", "no registry given",
                 "expected REGISTRY or REGISTRY/REPO[:TAG]"):
        assert not CLI_ADVICE.search(text), text


@pytest.mark.parametrize("part", CORE)
def test_no_string_below_cli_holds_command_line_advice(part):
    files = sorted((PACKAGE / part).rglob("*.py"))
    assert files
    found = [f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
             for path in files for line, text in _literals(path) if CLI_ADVICE.search(text)]
    assert found == []


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (lambda: parse_reference("http://myreg.azurecr.io/app"), Hint.PLAIN_HTTP),
        (lambda: normalize_registry("http://localhost:5000"), Hint.PLAIN_HTTP),
        (lambda: normalize_registry(""), Hint.NAME_A_REGISTRY),
    ],
)
def test_reference_errors_give_the_hint_as_data(make, hint):
    with pytest.raises(InvalidReference) as caught:
        make()
    assert caught.value.hint is hint
    assert not CLI_ADVICE.search(str(caught.value))


def test_auth_errors_give_the_hint_and_the_registry_as_data():
    required = sign_in_required("r.io")
    assert (str(required), required.reason, required.hint, required.registry) == (
        "r.io requires you to sign in", "r.io requires you to sign in", Hint.SIGN_IN, "r.io")
    refused = credentials_refused("r.io", "alice", "keyring")
    assert refused.hint is Hint.SIGN_IN_AGAIN and refused.registry == "r.io"
    assert not CLI_ADVICE.search(str(refused))


def test_credential_errors_give_the_hint_as_data():
    keyring = KeyringUnavailable("locked")
    assert (str(keyring), keyring.hint) == ("No usable keyring (locked)", Hint.KEYRING)
    with pytest.raises(IncompleteCredential) as caught:
        resolve("r.io", password=Secret("pw"), env={})
    assert caught.value.hint is Hint.GIVE_USERNAME and not CLI_ADVICE.search(str(caught.value))
