"""The keyring store against a real gnome-keyring Secret Service on a private D-Bus."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import keyring
import pytest

from acrbrowse.config import Config
from acrbrowse.keychain.errors import IncompleteCredential, KeyringEntryCorrupt
from acrbrowse.keychain.keyring_store import (
    chunk_service_name,
    delete_credential,
    load_credential,
    service_name,
    store_credential,
)
from acrbrowse.keychain.logins import remove_login, save_login
from acrbrowse.oci.credential import Credential, Secret

REGISTRY = "myregistry.azurecr.io"

# A fresh interpreter: nothing shared with this process but the Secret Service.
LOAD_IN_CHILD = """
import hashlib, sys
from acrbrowse.keychain.keyring_store import load_credential
found = load_credential(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
if found is None:
    print("none")
else:
    digest = hashlib.sha256(found.secret.reveal().encode()).hexdigest()
    print(f"{found.username}|{found.kind}|{found.source}|{len(found.secret.reveal())}|{digest}")
"""


def load_in_child(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_IN_CHILD, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def fingerprint(username: str, kind: str, secret: str) -> str:
    return f"{username}|{kind}|keyring|{len(secret)}|{hashlib.sha256(secret.encode()).hexdigest()}"


def ours(secret_service, registry: str = REGISTRY) -> list[str]:
    """Services of the items this registry has in the Secret Service."""
    prefix = service_name(registry)
    return sorted(
        a["service"] for a in secret_service.items() if a.get("service", "").split("#")[0] == prefix
    )


def long_token(length: int, seed: str = "t") -> str:
    out, counter = "", 0
    while len(out) < length:
        out += hashlib.sha256(f"{seed}{counter}".encode()).hexdigest()
        counter += 1
    return out[:length]


def test_the_fixture_selects_the_secret_service_backend(secret_service_keyring):
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService"


def test_store_is_seen_by_another_process_and_delete_removes_it(secret_service_keyring):
    credential = Credential("alice", Secret("pa55-word"), "password")
    store_credential(REGISTRY, credential)

    assert load_in_child(REGISTRY, "alice") == fingerprint("alice", "password", "pa55-word")
    assert load_in_child(REGISTRY) == fingerprint("alice", "password", "pa55-word")  # username looked up
    # libsecret's own client sees the entry too: it really is in the Secret Service.
    looked_up = subprocess.run(
        ["secret-tool", "lookup", "service", service_name(REGISTRY), "username", "alice"],
        capture_output=True, text=True, timeout=30,
    )
    assert json.loads(looked_up.stdout)["secret"] == "pa55-word"

    assert delete_credential(REGISTRY, "alice") is True
    assert load_in_child(REGISTRY, "alice") == "none"
    assert ours(secret_service_keyring) == []
    assert delete_credential(REGISTRY, "alice") is False


def test_long_secret_round_trips_through_chunks_and_is_fully_removed(secret_service_keyring):
    secret = long_token(6000)
    store_credential(REGISTRY, Credential("00000000-0000-0000-0000-000000000000", Secret(secret), "identity_token"))

    services = ours(secret_service_keyring)
    assert services == sorted([service_name(REGISTRY)] + [chunk_service_name(REGISTRY, i) for i in range(1, 7)])
    # No single item holds the whole secret.
    header = keyring.get_password(service_name(REGISTRY), "00000000-0000-0000-0000-000000000000")
    assert secret not in header and len(header) < 200

    loaded = load_credential(REGISTRY)
    assert loaded.secret.reveal() == secret
    assert loaded.kind == "identity_token"
    assert load_in_child(REGISTRY) == fingerprint("00000000-0000-0000-0000-000000000000", "identity_token", secret)

    assert delete_credential(REGISTRY) is True
    assert ours(secret_service_keyring) == []
    assert load_credential(REGISTRY) is None


def test_overwriting_long_with_short_leaves_no_stray_chunks(secret_service_keyring):
    store_credential(REGISTRY, Credential("alice", Secret(long_token(6000))))
    assert len(ours(secret_service_keyring)) == 7
    store_credential(REGISTRY, Credential("alice", Secret("short")))
    assert ours(secret_service_keyring) == [service_name(REGISTRY)]
    assert load_credential(REGISTRY, "alice").secret.reveal() == "short"


def test_overwriting_long_with_shorter_long_drops_the_extra_chunks(secret_service_keyring):
    store_credential(REGISTRY, Credential("alice", Secret(long_token(6000, "a"))))
    shorter = long_token(2500, "b")
    store_credential(REGISTRY, Credential("alice", Secret(shorter)))
    assert len(ours(secret_service_keyring)) == 1 + 3
    assert load_credential(REGISTRY, "alice").secret.reveal() == shorter


def test_one_credential_per_registry_even_across_usernames(secret_service_keyring):
    store_credential(REGISTRY, Credential("alice", Secret(long_token(3000))))
    store_credential(REGISTRY, Credential("bob", Secret("bobs")))
    assert ours(secret_service_keyring) == [service_name(REGISTRY)]
    assert {a["username"] for a in secret_service_keyring.items()} == {"bob"}
    assert load_credential(REGISTRY).username == "bob"


def test_registries_do_not_touch_each_other(secret_service_keyring):
    store_credential("a.azurecr.io", Credential("u", Secret(long_token(3000, "a"))))
    store_credential("b.azurecr.io", Credential("u", Secret("b-secret")))
    delete_credential("a.azurecr.io")
    assert ours(secret_service_keyring, "a.azurecr.io") == []
    assert load_credential("b.azurecr.io").secret.reveal() == "b-secret"


def test_docker_hub_aliases_share_one_entry(secret_service_keyring):
    store_credential("index.docker.io", Credential("u", Secret("hub")))
    assert load_credential("docker.io").secret.reveal() == "hub"
    assert load_credential("registry-1.docker.io", "u").secret.reveal() == "hub"


def test_a_missing_chunk_is_reported_not_joined(secret_service_keyring):
    store_credential(REGISTRY, Credential("alice", Secret(long_token(3500))))
    keyring.delete_password(chunk_service_name(REGISTRY, 2), "alice")
    with pytest.raises(KeyringEntryCorrupt, match=r"piece 2 of 4 is missing.*log in again"):
        load_credential(REGISTRY, "alice")
    # and logout still cleans up what is left
    assert delete_credential(REGISTRY, "alice") is True
    assert ours(secret_service_keyring) == []


def test_stray_chunks_after_a_crash_are_removed(secret_service_keyring):
    store_credential(REGISTRY, Credential("alice", Secret(long_token(2500))))
    # pieces 4 and 5 written by an interrupted store of a longer secret
    keyring.set_password(chunk_service_name(REGISTRY, 4), "alice", "x")
    keyring.set_password(chunk_service_name(REGISTRY, 5), "alice", "y")
    delete_credential(REGISTRY, "alice")
    assert ours(secret_service_keyring) == []


def test_a_value_set_by_hand_reads_as_a_password(secret_service_keyring):
    keyring.set_password(service_name(REGISTRY), "alice", "typed-in")
    loaded = load_credential(REGISTRY, "alice")
    assert (loaded.username, loaded.secret.reveal(), loaded.kind, loaded.source) == ("alice", "typed-in", "password", "keyring")


def test_nothing_stored_is_none(secret_service_keyring):
    assert load_credential(REGISTRY) is None
    assert load_credential(REGISTRY, "alice") is None
    assert delete_credential(REGISTRY) is False


def test_refuses_an_empty_secret_or_username(secret_service_keyring):
    with pytest.raises(IncompleteCredential):
        store_credential(REGISTRY, Credential("alice", Secret("")))
    with pytest.raises(IncompleteCredential):
        store_credential(REGISTRY, Credential("", Secret("x")))
    assert ours(secret_service_keyring) == []


def test_login_and_logout_keep_the_settings_index_in_step(secret_service_keyring, sandbox):
    settings = Config()
    save_login(REGISTRY, Credential("alice", Secret(long_token(3000))))
    assert settings.stored_login(REGISTRY).username == "alice"
    save_login(REGISTRY, Credential("bob", Secret("b-secret-value"), "identity_token"))
    assert "b-secret-value" not in settings.path.read_text()
    login = settings.stored_login(REGISTRY)
    assert (login.username, login.kind) == ("bob", "identity_token")
    assert ours(secret_service_keyring) == [service_name(REGISTRY)]
    assert remove_login(REGISTRY) is True
    assert settings.stored_login(REGISTRY) is None
    assert ours(secret_service_keyring) == []
    assert remove_login(REGISTRY) is False
