"""A real, private Secret Service for tests: gnome-keyring-daemon on its own D-Bus session bus.

Any test package can reuse it by importing the fixtures into its conftest.py:

    from tests.keychain.secret_service import (  # noqa: F401
        bus_without_secret_service,
        secret_service, secret_service_keyring, locked_secret_service,
    )

- `secret_service` (session): the running daemon, a SecretServiceDaemon. `.env` holds the
  variables a child process needs (DBUS_SESSION_BUS_ADDRESS, PYTHON_KEYRING_BACKEND).
- `secret_service_keyring` (function): puts `.env` into os.environ, makes keyring's SecretService
  backend the process-wide keyring, empties the collection first; yields the daemon.
- `bus_without_secret_service` (session): a bare bus, for the "nobody answers" path.
- `locked_secret_service` (function): the same, with the login collection locked for the test and
  unlocked afterwards without a prompt.

The bus has its own config with no service directories, so nothing is D-Bus-activated: no stray
gnome-keyring, and no gcr prompter that could wait for a click on somebody's desktop. A locked
collection therefore fails at once instead of prompting. The login keyring is created fresh in a
temp HOME, unlocked with a known password read from stdin.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

KEYRING_PASSWORD = "acrbrowse-test-login-keyring"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
LOGIN_COLLECTION = "/org/freedesktop/secrets/collection/login"
REQUIRED_PROGRAMS = ("dbus-daemon", "gnome-keyring-daemon")

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class SecretServiceError(RuntimeError):
    pass


class SecretServiceDaemon:
    """dbus-daemon + gnome-keyring-daemon --foreground, both children of this process."""

    def __init__(self, root: Path, password: str = KEYRING_PASSWORD) -> None:
        self.root = root
        self.password = password
        self.home = root / "home"
        self.bus_address = ""
        self._dbus: subprocess.Popen[bytes] | None = None
        self._keyring: subprocess.Popen[bytes] | None = None

    # -- what tests use

    @property
    def env(self) -> dict[str, str]:
        """Variables a test or a child process needs to reach this Secret Service via keyring."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.bus_address, "PYTHON_KEYRING_BACKEND": SECRET_SERVICE_BACKEND}

    @property
    def data_dir(self) -> Path:
        """Where gnome-keyring keeps its (encrypted) keyring files."""
        return self.home / ".local" / "share" / "keyrings"

    @contextmanager
    def connection(self) -> Iterator[object]:
        from jeepney.io.blocking import open_dbus_connection

        with closing(open_dbus_connection(bus=self.bus_address)) as conn:
            yield conn

    def items(self) -> list[dict[str, str]]:
        """Attributes of every item in the login collection (no secrets)."""
        import secretstorage

        with self.connection() as conn:
            collection = secretstorage.Collection(conn, LOGIN_COLLECTION)
            return [item.get_attributes() for item in collection.get_all_items()]

    def clear(self) -> None:
        """Delete every item, so each test starts from an empty collection."""
        import secretstorage

        with self.connection() as conn:
            for item in secretstorage.Collection(conn, LOGIN_COLLECTION).get_all_items():
                item.delete()

    def lock(self) -> None:
        import secretstorage

        with self.connection() as conn:
            collection = secretstorage.Collection(conn, LOGIN_COLLECTION)
            collection.lock()
            if not collection.is_locked():
                raise SecretServiceError("the login collection did not lock")

    def unlock(self) -> None:
        """Unlock without a prompt, through gnome-keyring's own interface (what PAM-like tools use)."""
        import secretstorage
        from secretstorage.util import DBusAddressWrapper, format_secret, open_session

        with self.connection() as conn:
            session = open_session(conn)
            internal = DBusAddressWrapper(
                "/org/freedesktop/secrets", "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", conn
            )
            internal.call(
                "UnlockWithMasterPassword",
                "o(oayays)",
                LOGIN_COLLECTION,
                format_secret(session, self.password.encode(), "text/plain"),
            )
            if secretstorage.Collection(conn, LOGIN_COLLECTION).is_locked():
                raise SecretServiceError("the login collection did not unlock")

    def is_locked(self) -> bool:
        import secretstorage

        with self.connection() as conn:
            return secretstorage.Collection(conn, LOGIN_COLLECTION).is_locked()

    # -- lifecycle

    def start(self, timeout: float = 20.0, *, secrets: bool = True) -> None:
        """Start the bus, then (unless `secrets` is False: a bus with nobody on it) gnome-keyring."""
        missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
        if missing:
            raise SecretServiceError(
                f"{', '.join(missing)} not installed; apt-get install dbus gnome-keyring (CI installs them)"
            )
        for sub in ("home/.local/share", "home/.config", "home/.cache", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "run").chmod(0o700)
        config = self.root / "bus.conf"
        config.write_text(_BUS_CONFIG.format(socket=self.root / "bus"))
        daemon_env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_RUNTIME_DIR": str(self.root / "run"),
            "LANG": "C.UTF-8",
        }  # no DISPLAY / WAYLAND_DISPLAY: nothing may open a window
        deadline = time.monotonic() + timeout
        self._dbus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=daemon_env,
        )
        self.bus_address = _read_line(self._dbus, deadline).strip()
        if not self.bus_address:
            self.stop()
            raise SecretServiceError("dbus-daemon printed no address")
        daemon_env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        if not secrets:
            return
        self._keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=daemon_env,
        )
        assert self._keyring.stdin is not None
        self._keyring.stdin.write(self.password.encode())
        self._keyring.stdin.close()
        try:
            self._wait_until_ready(deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, deadline: float) -> None:
        import secretstorage

        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._keyring is not None and self._keyring.poll() is not None:
                raise SecretServiceError(f"gnome-keyring-daemon exited with {self._keyring.returncode}")
            try:
                with self.connection() as conn:
                    if secretstorage.check_service_availability(conn):
                        collection = secretstorage.Collection(conn, LOGIN_COLLECTION)
                        if not collection.is_locked():
                            return
            except Exception as exc:  # not up yet: the login collection appears a moment later
                last_error = exc
            time.sleep(0.05)
        raise SecretServiceError(f"the Secret Service did not come up unlocked in time ({last_error!r})")

    def stop(self) -> None:
        for process in (self._keyring, self._dbus):
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for process in (self._keyring, self._dbus):
            if process is not None and process.stdout is not None:
                process.stdout.close()
        self._keyring = self._dbus = None


def _read_line(process: subprocess.Popen[bytes], deadline: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        buffer = b""
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise SecretServiceError("dbus-daemon did not print its address in time")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
    return buffer.decode().split("\n", 1)[0]


@contextmanager
def running_secret_service(password: str = KEYRING_PASSWORD, *, secrets: bool = True) -> Iterator[SecretServiceDaemon]:
    """A started daemon in a fresh temp dir, stopped and removed on exit. `secrets=False`: the bare bus."""
    # A short /tmp path: a unix socket path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="acrb-ss-"))
    daemon = SecretServiceDaemon(root, password)
    try:
        daemon.start(secrets=secrets)
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def secret_service() -> Iterator[SecretServiceDaemon]:
    with running_secret_service() as daemon:
        yield daemon


@pytest.fixture(scope="session")
def bus_without_secret_service() -> Iterator[SecretServiceDaemon]:
    """A D-Bus session bus with no Secret Service on it (and none activatable)."""
    with running_secret_service(secrets=False) as daemon:
        yield daemon


@pytest.fixture
def secret_service_keyring(
    secret_service: SecretServiceDaemon, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceDaemon]:
    import keyring
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    if secret_service.is_locked():
        secret_service.unlock()
    secret_service.clear()
    for name, value in secret_service.env.items():
        monkeypatch.setenv(name, value)
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(SecretServiceKeyring())
    try:
        yield secret_service
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def locked_secret_service(secret_service_keyring: SecretServiceDaemon) -> Iterator[SecretServiceDaemon]:
    secret_service_keyring.lock()
    try:
        yield secret_service_keyring
    finally:
        secret_service_keyring.unlock()
