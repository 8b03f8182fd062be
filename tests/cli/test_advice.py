"""The CLI words an error's hint as command-line advice, on the error's one line (issue 9)."""

from __future__ import annotations

import pytest

from acrbrowse.cli.common import advice, cli_hint
from acrbrowse.keychain.errors import KeyringUnavailable
from acrbrowse.oci.errors import (
    CatalogDenied,
    Hint,
    InvalidReference,
    RegistryError,
    ServerError,
    Timeout,
    TLSFailure,
    sign_in_required,
)

EXPECTED = {
    Hint.RAISE_TIMEOUT: "try again, or raise --timeout",
    Hint.TRY_LATER: "try again later",
    Hint.CHECK_NETWORK: "check the name and your network",
    Hint.PLAIN_HTTP: "if it is a plain-HTTP registry, add --plain-http",
    Hint.CA_CERT: "if it uses a private CA, pass --ca-cert FILE",
    Hint.SIGN_IN: "sign in with: acrbrowse login r.io",
    Hint.SIGN_IN_AGAIN: "sign in again with: acrbrowse login r.io",
    Hint.SIGN_IN_OR_NAME_REPOSITORY: "sign in with: acrbrowse login r.io, or name one: acrbrowse r.io/REPO",
    Hint.NAME_A_REPOSITORY: "name one: acrbrowse r.io/REPO",
    Hint.NAME_A_REGISTRY: "try: acrbrowse myregistry.azurecr.io",
    Hint.GIVE_USERNAME: "pass --username too",
    Hint.KEYRING: ("start or unlock a Secret Service (e.g. gnome-keyring), install a keyring backend, "
                   "or pass the secret per run with --password-stdin or ACRBROWSE_USERNAME/ACRBROWSE_PASSWORD"),
    Hint.CHOOSE_PLATFORM: "choose one with --platform OS/ARCH[/VARIANT], or name the image by its digest",
}


def test_every_hint_has_cli_words():
    assert set(EXPECTED) == set(Hint)


@pytest.mark.parametrize("hint", list(Hint))
def test_each_hint_is_worded_for_the_command_line(hint):
    assert cli_hint(hint, "r.io") == EXPECTED[hint]
    line = advice(RegistryError("something happened", hint=hint, registry="r.io"))
    assert line == f"something happened; {EXPECTED[hint]}" and "\n" not in line


def test_no_hint_adds_nothing():
    assert cli_hint(None) == ""
    assert advice(RegistryError("plain")) == "plain"
    assert advice(ValueError("a bug")) == "a bug"


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (Timeout("r.io did not answer within 5 s", hint=Hint.RAISE_TIMEOUT),
         "r.io did not answer within 5 s; try again, or raise --timeout"),
        (ServerError("r.io failed to list the tags of app (500 Internal Server Error)", 500),
         "r.io failed to list the tags of app (500 Internal Server Error); try again later"),
        (TLSFailure("r.io does not speak HTTPS", hint=Hint.PLAIN_HTTP),
         "r.io does not speak HTTPS; if it is a plain-HTTP registry, add --plain-http"),
        (sign_in_required("r.io"), "r.io requires you to sign in; sign in with: acrbrowse login r.io"),
        (CatalogDenied("r.io has no repository catalog", hint=Hint.NAME_A_REPOSITORY, registry="r.io"),
         "r.io has no repository catalog; name one: acrbrowse r.io/REPO"),
        (InvalidReference("no registry given", hint=Hint.NAME_A_REGISTRY),
         "no registry given; try: acrbrowse myregistry.azurecr.io"),
        (KeyringUnavailable("locked"), f"No usable keyring (locked); {EXPECTED[Hint.KEYRING]}"),
    ],
)
def test_the_errors_read_as_before(error, line):
    assert advice(error) == line


def test_a_hint_without_a_registry_names_the_placeholder():
    assert cli_hint(Hint.SIGN_IN) == "sign in with: acrbrowse login REGISTRY"
