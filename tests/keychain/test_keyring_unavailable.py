"""No usable keyring -> one typed error with one human line; never a hang, never a file."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import keyring
import pytest
from keyring.backends import SecretService, fail, null

from acrbrowse.cli.common import advice
from acrbrowse.config import Config
from acrbrowse.keychain.errors import KeyringUnavailable
from acrbrowse.keychain.keyring_store import delete_credential, load_credential, store_credential
from acrbrowse.keychain.logins import save_login
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import Hint

REGISTRY = "myregistry.azurecr.io"
# A locked collection must fail fast; well under this.
NO_HANG_SECONDS = 20


def assert_one_human_line(error: KeyringUnavailable, reason_part: str) -> None:
    message = str(error)
    assert "\n" not in message
    assert message.startswith("No usable keyring (")
    assert reason_part in error.reason
    assert "--" not in message and error.hint is Hint.KEYRING  # the ways out are the CLI's and the UI's to word
    line = advice(error)
    assert "gnome-keyring" in line
    assert "install a keyring backend" in line
    assert "--password-stdin" in line
    assert "ACRBROWSE_USERNAME/ACRBROWSE_PASSWORD" in line
    # the traceback shows our error alone, not the backend's internals
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def every_operation(backend=None):
    """store, load, delete: each must raise KeyringUnavailable."""
    return [
        lambda: store_credential(REGISTRY, Credential("alice", Secret("pw")), backend=backend),
        lambda: load_credential(REGISTRY, "alice", backend=backend),
        lambda: load_credential(REGISTRY, backend=backend),
        lambda: delete_credential(REGISTRY, "alice", backend=backend),
    ]


def test_fail_backend_as_the_process_keyring(fail_keyring):
    for operation in every_operation():
        with pytest.raises(KeyringUnavailable) as caught:
            operation()
        assert_one_human_line(caught.value, "no keyring backend is installed")


def test_fail_backend_passed_in():
    with pytest.raises(KeyringUnavailable) as caught:
        store_credential(REGISTRY, Credential("alice", Secret("pw")), backend=fail.Keyring())
    assert_one_human_line(caught.value, "no keyring backend")


def test_fail_backend_in_a_fresh_process_chosen_by_keyring_itself(sandbox):
    script = (
        "from acrbrowse.keychain import KeyringUnavailable, store_credential\n"
        "from acrbrowse.oci.credential import Credential, Secret\n"
        "try:\n"
        "    store_credential('r.io', Credential('u', Secret('pw')))\n"
        "except KeyringUnavailable as e:\n"
        "    print(e)\n"
    )
    env = {**sandbox.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "No usable keyring (no keyring backend is installed)\n"
    assert done.stdout.count("\n") == 1


def test_null_backend_is_not_a_place_to_store():
    with pytest.raises(KeyringUnavailable) as caught:
        store_credential(REGISTRY, Credential("alice", Secret("pw")), backend=null.Keyring())
    assert_one_human_line(caught.value, "null backend")


def test_no_secret_service_on_the_bus(monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus-here")
    for operation in every_operation(SecretService.Keyring()):
        with pytest.raises(KeyringUnavailable) as caught:
            operation()
        assert_one_human_line(caught.value, "can't connect to the D-Bus session bus")


def test_a_bus_with_no_secret_service_on_it(bus_without_secret_service, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_without_secret_service.bus_address)
    for operation in every_operation(SecretService.Keyring()):
        with pytest.raises(KeyringUnavailable) as caught:
            operation()
        assert_one_human_line(caught.value, "no Secret Service on it")


def test_no_session_bus_at_all(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent-runtime-dir")
    with pytest.raises(KeyringUnavailable) as caught:
        load_credential(REGISTRY, "alice", backend=SecretService.Keyring())
    assert_one_human_line(caught.value, "Secret Service")


def run_with_deadline(operation):
    """Run in a thread: a prompt that waits for a click would fail the test, not hang it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        future = pool.submit(operation)
        try:
            future.exception(timeout=NO_HANG_SECONDS)
        except TimeoutError:
            pytest.fail(f"the keyring call still hangs after {NO_HANG_SECONDS} s (waiting on a prompt?)")
        return future, time.monotonic() - started


def test_locked_collection_is_the_same_typed_error(locked_secret_service):
    for operation in every_operation():
        future, elapsed = run_with_deadline(operation)
        error = future.exception()
        assert isinstance(error, KeyringUnavailable), repr(error)
        assert_one_human_line(error, "locked")
        assert elapsed < NO_HANG_SECONDS
    assert locked_secret_service.is_locked()  # nobody unlocked it behind our back
    assert locked_secret_service.items() == []  # and nothing was written


def test_locked_collection_keeps_what_was_stored_before(secret_service_keyring):
    store_credential(REGISTRY, Credential("alice", Secret("before-lock")))
    secret_service_keyring.lock()
    try:
        future, _ = run_with_deadline(lambda: load_credential(REGISTRY, "alice"))
        assert isinstance(future.exception(), KeyringUnavailable)
    finally:
        secret_service_keyring.unlock()
    assert load_credential(REGISTRY, "alice").secret.reveal() == "before-lock"


def test_login_without_a_keyring_writes_no_file(fail_keyring, sandbox):
    with pytest.raises(KeyringUnavailable):
        save_login(REGISTRY, Credential("alice", Secret("pw")))
    assert Config().stored_login(REGISTRY) is None
    assert not sandbox.config_dir.exists()
    assert [p for p in sandbox.home.rglob("*")] == []


def test_the_fixture_restores_the_previous_keyring(fail_keyring):
    assert isinstance(keyring.get_keyring(), fail.Keyring)
