"""Docker's credentials: config.json `auths`, `credHelpers` and `credsStore`, looked up as the
docker CLI does it (docker/cli: cli/config/configfile, cli/config/credentials).

- The key for a registry is its host[:port], except Docker Hub, whose key is
  `https://index.docker.io/v1/` (docker.io, index.docker.io and registry-1.docker.io all are Hub).
- `auths[key]` matches exactly first; then any key whose host, after dropping `http(s)://` and
  anything from the first `/`, equals the key (old configs wrote `https://host/v1/`).
- `credHelpers[key]` picks a helper for that exact key; otherwise `credsStore`, when set, is the
  helper for every registry, and then the inline `auths` are not used (docker does the same).
- A helper is `docker-credential-NAME get` with the server URL on stdin; it prints
  {"ServerURL", "Username", "Secret"}; Username `<token>` means Secret is an identity token.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acrbrowse import boundedjson
from acrbrowse.keychain.errors import CredentialHelperError, DockerConfigError
from acrbrowse.limits import HELPER_OUTPUT_BYTES, describe_bytes
from acrbrowse.localfile import LocalFileError, read_json_object, report_unusable
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.name import DOCKER_HUB, normalize_registry
from acrbrowse.present.safe import terminal_safe

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
TOKEN_USERNAME = "<token>"
HELPER_PREFIX = "docker-credential-"
HELPER_TIMEOUT = 15.0
SOURCE_FILE = "docker config"
# docker-credential-helpers' errCredentialsNotFoundMessage ("credentials not found in native
# keychain") starts with this; helpers print it and exit 1.
NOT_FOUND = "credentials not found"
# What helpers are called (desktop, ecr-login, dev-containers-<uuid>): never a path.
_HELPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class DockerConfig:
    """The parts of config.json that say where credentials are. `auths` values are raw dicts."""

    path: Path
    auths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    cred_helpers: Mapping[str, str] = field(default_factory=dict)
    creds_store: str | None = None

    def helper_for(self, key: str) -> str | None:
        """The helper NAME docker would run for `key`, or None when the file itself is the store."""
        return self.cred_helpers.get(key) or self.creds_store or None


def docker_config_path(env: Mapping[str, str] = os.environ) -> Path:
    """$DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    directory = env.get("DOCKER_CONFIG")
    if directory:
        return Path(directory).expanduser() / "config.json"
    home = env.get("HOME") or env.get("USERPROFILE")
    return (Path(home) if home else Path.home()) / ".docker" / "config.json"


def read_config_file(path: Path) -> dict[str, Any] | None:
    """A credentials file (Docker's or Podman's) as a JSON object, read bounded; None without a file.
    Raises DockerConfigError (one line) when it can't be used."""
    try:
        return read_json_object(path)
    except LocalFileError as exc:
        raise DockerConfigError(f"{exc}; fix or delete it") from None


def load_docker_config(env: Mapping[str, str] = os.environ) -> DockerConfig | None:
    """The parsed config, or None when there is no file. Raises DockerConfigError (one line)
    when the file can't be used: acrbrowse then goes on without it."""
    path = docker_config_path(env)
    doc = read_config_file(path)
    if doc is None:
        return None
    auths = _field(doc, "auths", dict, path) or {}
    helpers = _field(doc, "credHelpers", dict, path) or {}
    store = _field(doc, "credsStore", str, path) or None
    for name in (*helpers.values(), store):
        if isinstance(name, str) and name and not _HELPER_NAME.fullmatch(name):
            raise DockerConfigError(f"{path} names a credential helper {name!r} that is not a plain name; fix it")
    return DockerConfig(
        path=path,
        auths={k: v for k, v in auths.items() if isinstance(v, dict)},
        cred_helpers={k: v for k, v in helpers.items() if isinstance(v, str) and v},
        creds_store=store,
    )


def _field(doc: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    """doc[key] when absent, null or of `kind`; docker refuses the file otherwise, and so do we."""
    value = doc.get(key)
    if value is not None and not isinstance(value, kind):
        wanted = "a JSON object" if kind is dict else "a string"
        raise DockerConfigError(f"{path}: {key!r} should be {wanted}; fix it")
    return value


def convert_to_hostname(url: str) -> str:
    """docker's ConvertToHostname: drop http:// or https://, then everything from the first '/'."""
    for prefix in ("http://", "https://"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
            break
    return url.split("/", 1)[0]


def docker_key(registry: str) -> str:
    """The config key docker uses for a registry: host[:port], or Hub's `https://index.docker.io/v1/`."""
    registry = normalize_registry(registry)
    return DOCKER_HUB_KEY if registry == DOCKER_HUB else registry


def registry_for_key(key: str) -> str | None:
    """The registry a config key stands for (Hub's keys fold to docker.io); None if it isn't one."""
    try:
        return normalize_registry(convert_to_hostname(key))
    except InvalidReference:
        return None


def find_auth_entry(config: DockerConfig, key: str) -> Mapping[str, Any] | None:
    """docker's fileStore.Get: the exact key, else the first key that converts to it."""
    if key in config.auths:
        return config.auths[key]
    for candidate, entry in config.auths.items():
        if convert_to_hostname(candidate) == key:
            return entry
    return None


def credential_from_auth_entry(entry: Mapping[str, Any], *, key: str, path: Path) -> Credential | None:
    """An `auths` entry -> Credential: `identitytoken`, else base64 `auth`, else `username`/`password`."""
    username = entry.get("username") if isinstance(entry.get("username"), str) else ""
    password = entry.get("password") if isinstance(entry.get("password"), str) else ""
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=False).decode("utf-8")
        except (binascii.Error, ValueError):
            raise DockerConfigError(f"the auth value for {key!r} in {path} is not base64 of user:password") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise DockerConfigError(f"the auth value for {key!r} in {path} is not base64 of user:password")
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        return Credential(username or TOKEN_USERNAME, Secret(token), "identity_token", source=SOURCE_FILE)
    if username and password:
        return Credential(username, Secret(password), "password", source=SOURCE_FILE)
    return None


def docker_credential(
    registry: str,
    *,
    env: Mapping[str, str] = os.environ,
    timeout: float = HELPER_TIMEOUT,
) -> Credential | None:
    """The credential docker would use for `registry`, or None. Raises DockerConfigError /
    CredentialHelperError with one-line messages."""
    config = load_docker_config(env)
    if config is None:
        return None
    key = docker_key(registry)
    helper = config.helper_for(key)
    if helper is not None:
        return helper_get(helper, key, env=env, timeout=timeout)
    entry = find_auth_entry(config, key)
    return credential_from_auth_entry(entry, key=key, path=config.path) if entry is not None else None


# ---------------------------------------------------------------- helpers


def helper_get(
    name: str, server_url: str, *, env: Mapping[str, str] = os.environ, timeout: float = HELPER_TIMEOUT
) -> Credential | None:
    """`docker-credential-NAME get` for `server_url`; None when it says the credentials aren't there."""
    program = HELPER_PREFIX + name
    output = _run_helper(name, "get", server_url, env=env, timeout=timeout, not_found_ok=True)
    if output is None:
        return None
    try:
        data = boundedjson.loads(output)
    except ValueError:
        raise CredentialHelperError(f"{program} printed something that is not JSON for {server_url}") from None
    if not isinstance(data, dict) or not isinstance(data.get("Secret"), str) or not isinstance(data.get("Username"), str):
        raise CredentialHelperError(f"{program} did not print Username and Secret for {server_url}")
    username, secret = data["Username"], data["Secret"]
    if not secret:
        return None
    if username == TOKEN_USERNAME:
        return Credential(TOKEN_USERNAME, Secret(secret), "identity_token", source=program)
    return Credential(username, Secret(secret), "password", source=program)


def helper_list(
    name: str, *, env: Mapping[str, str] = os.environ, timeout: float = HELPER_TIMEOUT
) -> dict[str, str]:
    """`docker-credential-NAME list`: server URL -> username (no secrets)."""
    program = HELPER_PREFIX + name
    output = _run_helper(name, "list", "", env=env, timeout=timeout, not_found_ok=False) or "{}"
    try:
        data = boundedjson.loads(output)
    except ValueError:
        raise CredentialHelperError(f"{program} list printed something that is not JSON") from None
    if not isinstance(data, dict):
        raise CredentialHelperError(f"{program} list did not print a JSON object")
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _run_helper(
    name: str, action: str, stdin: str, *, env: Mapping[str, str], timeout: float, not_found_ok: bool
) -> str | None:
    program = HELPER_PREFIX + name
    executable = shutil.which(program, path=env.get("PATH", os.defpath))
    if executable is None:
        raise CredentialHelperError(f"{program} is not on PATH (Docker's config names it as a credential helper)")
    try:
        process = subprocess.Popen(
            [executable, action], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env),
            start_new_session=os.name == "posix",  # its own process group: stopping it stops its children
        )
    except OSError as exc:
        raise CredentialHelperError(f"can't run {program}: {exc.strerror or exc}") from None
    try:
        out, err = _capture(process, stdin.encode(), timeout, HELPER_OUTPUT_BYTES)
    except subprocess.TimeoutExpired:
        raise CredentialHelperError(f"{program} {action} did not answer within {timeout:g} s") from None
    except _TooMuchOutput:
        raise CredentialHelperError(
            f"{program} {action} printed more than {describe_bytes(HELPER_OUTPUT_BYTES)}; stopped it"
        ) from None
    finally:
        if process.poll() is None:
            _stop(process)
            process.wait()
    stdout, stderr = (data.decode("utf-8", "replace") for data in (out, err))
    if process.returncode == 0:
        return stdout
    said = " ".join((stdout.strip() or stderr.strip()).split())
    if not_found_ok and NOT_FOUND in said.lower():
        return None
    # A failing helper prints an error, not a secret; but never echo anything shaped like its
    # JSON answer, and show the rest as one short, terminal-safe line.
    if said.startswith("{") or '"Secret"' in said:
        said = "(output not shown)"
    said = terminal_safe(said, limit=160)
    raise CredentialHelperError(
        f"{program} {action} failed (exit {process.returncode})" + (f": {said}" if said else "")
    )


class _TooMuchOutput(Exception):
    pass


def _stop(process: subprocess.Popen) -> None:
    """Kill the helper and whatever it started (a `head | tr` pipeline keeps the pipes open)."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()


def _capture(process: subprocess.Popen, data: bytes, timeout: float, cap: int) -> tuple[bytes, bytes]:
    """Feed `data` to `process` and collect its stdout and stderr, each read as it comes and at
    most `cap` bytes: past that the process is killed. Raises TimeoutExpired / _TooMuchOutput."""
    deadline = time.monotonic() + timeout
    overflow = threading.Event()
    outputs: list[bytes] = [b"", b""]

    def drain(stream, slot: int) -> None:
        buffer = bytearray()
        while chunk := stream.read1(64 * 1024):
            buffer += chunk
            if len(buffer) > cap:
                overflow.set()
                _stop(process)
                break
        outputs[slot] = bytes(buffer)

    assert process.stdin and process.stdout and process.stderr  # all three are pipes
    readers = [threading.Thread(target=drain, args=(stream, slot), daemon=True)
               for slot, stream in enumerate((process.stdout, process.stderr))]
    for reader in readers:
        reader.start()
    try:
        process.stdin.write(data)
        process.stdin.close()
    except OSError:  # it exited or closed stdin without reading: its output says why
        pass
    for reader in readers:
        reader.join(max(0.0, deadline - time.monotonic()))
    for reader, stream in zip(readers, (process.stdout, process.stderr), strict=False):
        if not reader.is_alive():  # one still reading holds the stream: a child of the helper has it
            stream.close()
    if overflow.is_set():
        raise _TooMuchOutput
    if any(reader.is_alive() for reader in readers):
        _stop(process)
        raise subprocess.TimeoutExpired(process.args, timeout)
    process.wait(max(0.0, deadline - time.monotonic()))
    return outputs[0], outputs[1]


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class DockerKnownRegistry:
    registry: str
    username: str | None
    source: str


def docker_known_registries(
    env: Mapping[str, str] = os.environ,
    *,
    include_helper_list: bool = True,
    timeout: float = HELPER_TIMEOUT,
    notes: list[str] | None = None,
    warnings: list[str] | None = None,
) -> list[DockerKnownRegistry]:
    """Registries docker's config knows: `auths` keys, `credHelpers` keys, and (if asked) what
    the `credsStore` helper lists. Failures become notes (a file that can't be used: a warning,
    when `warnings` is given), so a start screen still opens."""
    try:
        config = load_docker_config(env)
    except DockerConfigError as exc:
        report_unusable(str(exc), notes, warnings)
        return []
    if config is None:
        return []
    found: dict[str, DockerKnownRegistry] = {}

    def add(key: str, username: str | None, source: str) -> None:
        registry = registry_for_key(key)
        if registry is not None and registry not in found:
            found[registry] = DockerKnownRegistry(registry, username or None, source)

    for key, entry in config.auths.items():
        registry = registry_for_key(key)
        helper = config.helper_for(docker_key(registry)) if registry is not None else None
        username = None
        if helper is None:
            try:
                credential = credential_from_auth_entry(entry, key=key, path=config.path)
            except DockerConfigError:
                credential = None
            username = credential.username if credential and credential.kind == "password" else None
        add(key, username, HELPER_PREFIX + helper if helper else SOURCE_FILE)
    for key, helper in config.cred_helpers.items():
        add(key, None, HELPER_PREFIX + helper)
    if include_helper_list and config.creds_store:
        try:
            listed = helper_list(config.creds_store, env=env, timeout=timeout)
        except CredentialHelperError as exc:
            _note(notes, str(exc))
        else:
            for key, username in listed.items():
                add(key, None if username == TOKEN_USERNAME else username, HELPER_PREFIX + config.creds_store)
    return list(found.values())


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)
