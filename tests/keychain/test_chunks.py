"""The keyring layout, as pure functions: no keyring involved."""

import json

import pytest

from acrbrowse.keychain.keyring_store import (
    MAX_ENTRY_UNITS,
    Header,
    chunk_service_name,
    join_chunks,
    layout_entries,
    parse_header,
    service_name,
    split_secret,
    utf16_units,
)

# Windows Credential Manager: 2,560 bytes of UTF-16 per blob.
WINDOWS_BLOB_UNITS = 2560 // 2


def token(length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
    return "".join(alphabet[(i * 7) % len(alphabet)] for i in range(length))


def test_split_and_join_a_long_token():
    secret = token(6000)
    pieces = split_secret(secret, 1000)
    assert len(pieces) == 6
    assert all(len(p) == 1000 for p in pieces)
    assert "".join(pieces) == secret


def test_split_uneven_and_small():
    assert split_secret("abcdefg", 3) == ["abc", "def", "g"]
    assert split_secret("abc", 3) == ["abc"]
    assert split_secret("", 3) == []


def test_split_never_cuts_an_astral_character():
    secret = "a" + "😀" * 10  # each emoji is two UTF-16 units
    pieces = split_secret(secret, 4)
    assert "".join(pieces) == secret
    assert all(utf16_units(p) <= 4 for p in pieces)
    assert pieces[0] == "a😀"  # a third unit would not fit the second emoji


def test_split_rejects_a_budget_too_small_for_one_character():
    with pytest.raises(ValueError):
        split_secret("x", 1)


def test_utf16_units_counts_like_windows():
    assert utf16_units("abc") == 3
    assert utf16_units("é") == 1
    assert utf16_units("😀") == 2


def test_short_secret_is_inline_in_the_header():
    layout = layout_entries("s3cret", "password")
    assert layout.chunks == ()
    header = parse_header(layout.header)
    assert header == Header("password", 6, 0, "s3cret")


@pytest.mark.parametrize("length", [900, 1000, 1300, 2600, 6000])
def test_every_value_fits_a_windows_credential(length):
    secret = token(length)
    layout = layout_entries(secret, "identity_token")
    for value in (layout.header, *layout.chunks):
        assert utf16_units(value) <= MAX_ENTRY_UNITS < WINDOWS_BLOB_UNITS
    header = parse_header(layout.header)
    assert header.kind == "identity_token"
    if layout.chunks:
        assert header.secret is None and secret not in layout.header
        assert join_chunks(header, layout.chunks) == secret
    else:
        assert header.secret == secret


def test_inline_threshold_counts_the_header_too():
    # The secret alone fits in MAX_ENTRY_UNITS, but not with the JSON around it.
    layout = layout_entries(token(MAX_ENTRY_UNITS - 10), "password")
    assert len(layout.chunks) == 1


def test_header_is_json_with_count_and_length():
    layout = layout_entries(token(2500), "password")
    assert json.loads(layout.header) == {"acrbrowse": 1, "kind": "password", "length": 2500, "chunks": 3}


def test_a_value_that_is_not_our_header_is_a_plain_password():
    assert parse_header("hunter2") == Header("password", 7, 0, "hunter2")
    assert parse_header('{"json": "but not ours"}').secret == '{"json": "but not ours"}'
    deep = "[" * 100_000 + "]" * 100_000  # no RecursionError: too deep to be ours
    assert parse_header(deep) == Header("password", len(deep), 0, deep)


@pytest.mark.parametrize(
    "value",
    [
        '{"acrbrowse": 1, "kind": "bogus", "chunks": 0, "secret": "x"}',
        '{"acrbrowse": 1, "kind": "password", "chunks": -1}',
        '{"acrbrowse": 1, "kind": "password", "chunks": 100000}',
        '{"acrbrowse": 1, "kind": "password", "chunks": 0}',
        '{"acrbrowse": 1, "kind": "password", "chunks": 2, "length": "x"}',
    ],
)
def test_damaged_header_raises_without_quoting_it(value):
    with pytest.raises(ValueError) as caught:
        parse_header(value)
    assert value not in str(caught.value)


def test_join_checks_count_and_length():
    header = Header("password", 10, 2)
    assert join_chunks(header, ["abcde", "fghij"]) == "abcdefghij"
    with pytest.raises(ValueError):
        join_chunks(header, ["abcde"])
    with pytest.raises(ValueError):
        join_chunks(header, ["abcde", "fgh"])


def test_reprs_hide_the_secret():
    layout = layout_entries("topsecret" * 300, "password")
    assert "topsecret" not in repr(layout)
    assert "topsecret" not in repr(parse_header(layout_entries("topsecret", "password").header))


def test_service_names():
    assert service_name("MyRegistry.azurecr.io") == "acrbrowse:myregistry.azurecr.io"
    assert service_name("localhost:5000") == "acrbrowse:localhost:5000"
    assert chunk_service_name("myregistry.azurecr.io", 2) == "acrbrowse:myregistry.azurecr.io#2"
    for alias in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        assert service_name(alias) == "acrbrowse:docker.io"
    with pytest.raises(ValueError):
        chunk_service_name("r.io", 0)
