"""A canary secret goes through every path; it must come out of none but the intended one."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import traceback

import keyring
import keyring.backend
import pytest
from keyring.backends import SecretService, fail, null

from acrbrowse.config import Config
from acrbrowse.keychain.docker_config import docker_credential, docker_known_registries
from acrbrowse.keychain.errors import CredentialError
from acrbrowse.keychain.keyring_store import (
    chunk_service_name,
    load_credential,
    service_name,
    store_credential,
)
from acrbrowse.keychain.logins import remove_login, save_login
from acrbrowse.keychain.resolver import known_registries, resolve
from acrbrowse.oci.credential import Credential, Secret

ACR = "myregistry.azurecr.io"


class EchoingBackend(keyring.backend.KeyringBackend):
    """A badly behaved backend whose errors quote the password they were given."""

    priority = 1

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        raise RuntimeError(f"could not save {password!r} for {username}")

    def delete_password(self, service, username):
        raise RuntimeError("nothing")


class Witness:
    """Collects everything a user or a log could see."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def error(self, exc: BaseException) -> None:
        self.texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]

    def value(self, obj: object) -> None:
        self.texts += [repr(obj), str(obj)]

    def expect_error(self, operation, kind=CredentialError) -> None:
        with pytest.raises(kind) as caught:
            operation()
        self.error(caught.value)


@pytest.fixture
def canary():
    return f"CANARY{secrets.token_hex(6)}"


def files_text(*roots) -> dict[str, bytes]:
    out = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_socket():
                out[str(path)] = path.read_bytes()
    return out


def test_the_canary_leaks_nowhere(secret_service_keyring, bus_without_secret_service, sandbox, canary, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    long_canary = "-".join([canary] * 400)  # every chunk of it holds the canary whole
    witness = Witness()
    notes: list[str] = []

    # keyring: store, load, resolve, short and long, through login/logout
    for secret in (canary, long_canary):
        credential = Credential("alice", Secret(secret), "identity_token")
        witness.value(credential)
        save_login(ACR, credential)
        loaded = load_credential(ACR)
        assert loaded.secret.reveal() == secret  # the secret does come back where it should
        witness.value(loaded)
        witness.value(resolve(ACR, notes=notes))
    witness.value(Config().stored_logins())
    witness.value(known_registries(notes=notes))

    # a damaged entry
    keyring.set_password(service_name(ACR), "alice", json.dumps({"acrbrowse": 1, "kind": "password", "chunks": 1, "length": 3}))
    keyring.set_password(chunk_service_name(ACR, 1), "alice", canary)
    witness.expect_error(lambda: load_credential(ACR, "alice"))
    witness.value(resolve(ACR, notes=notes))
    remove_login(ACR)

    # no usable keyring, in every flavour
    credential = Credential("alice", Secret(canary))
    for backend in (fail.Keyring(), null.Keyring(), EchoingBackend()):
        witness.expect_error(lambda b=backend: store_credential(ACR, credential, backend=b))
        witness.expect_error(lambda b=backend: save_login(ACR, credential, backend=b))
    with monkeypatch.context() as patch:
        patch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_without_secret_service.bus_address)
        witness.expect_error(lambda: store_credential(ACR, credential, backend=SecretService.Keyring()))
    secret_service_keyring.lock()
    try:
        witness.expect_error(lambda: store_credential(ACR, Credential("alice", Secret(long_canary))))
        Config().record_stored_login(ACR, "alice")
        witness.value(resolve(ACR, notes=notes))
    finally:
        secret_service_keyring.unlock()

    # command line and environment
    witness.value(resolve(ACR, username="u", password=Secret(canary), notes=notes))
    with monkeypatch.context() as patch:
        patch.setenv("ACRBROWSE_USERNAME", "u")
        patch.setenv("ACRBROWSE_PASSWORD", canary)
        witness.value(resolve(ACR, notes=notes))

    # docker: inline auth, identity token, helpers that answer, fail, or babble
    Config().forget_stored_login(ACR)
    sandbox.write_docker_config({"auths": {ACR: {"auth": base64.b64encode(f"u:{canary}".encode()).decode()}}})
    witness.value(resolve(ACR, notes=notes))
    sandbox.write_docker_config({"auths": {ACR: {"identitytoken": canary}}})
    witness.value(docker_credential(ACR))
    sandbox.write_docker_config({"auths": {ACR: {"auth": canary + "%%"}}})
    witness.expect_error(lambda: docker_credential(ACR))
    witness.value(resolve(ACR, notes=notes))
    sandbox.docker_dir.joinpath("config.json").write_text('{"auths": {"x": {"auth": "' + canary)
    witness.expect_error(lambda: docker_credential(ACR))
    witness.value(docker_known_registries(notes=notes))
    sandbox.write_docker_config({"credsStore": "acrtest"})
    sandbox.install_helper("acrtest", {ACR: ("u", canary)})
    witness.value(resolve(ACR, notes=notes))
    sandbox.install_helper("acrtest", garbage=f"Secret: {canary}")
    witness.expect_error(lambda: docker_credential(ACR))
    sandbox.install_helper("acrtest", fail=json.dumps({"Username": "u", "Secret": canary}))
    witness.expect_error(lambda: docker_credential(ACR))
    witness.value(resolve(ACR, notes=notes))

    assert len(witness.texts) > 40 and notes  # the paths above were really taken
    seen = "\n".join(witness.texts + notes + [r.getMessage() for r in caplog.records])
    assert canary not in seen

    # on disk: our config, the sandbox HOME and cache, and gnome-keyring's (encrypted) files.
    # docker/ and bin/ are the test's own inputs and hold the canary on purpose.
    files = files_text(sandbox.home, sandbox.config_dir, secret_service_keyring.root)
    if sandbox.cache_dir.exists():
        files.update(files_text(sandbox.cache_dir))
    assert sandbox.config_file.exists() and any(p.endswith(".keyring") for p in files)
    leaked = [path for path, data in files.items() if canary.encode() in data]
    assert leaked == []


def test_the_entra_token_and_the_acr_refresh_token_leak_nowhere(secret_service_keyring, sandbox, caplog):
    """Issue 12: the Entra ID token is never written anywhere; the ACR refresh token only into the
    keyring (whose files are encrypted)."""
    from acrbrowse.keychain.acr_exchange import ACR_TOKEN_USERNAME, _refresh_token
    from acrbrowse.keychain.entra import EntraToken, _az_failure, entra_token

    caplog.set_level(logging.DEBUG)
    entra_canary, refresh_canary = f"ENTRA{secrets.token_hex(6)}", f"REFRESH{secrets.token_hex(6)}"
    witness = Witness()
    notes: list[str] = []

    class Identity:  # azure-identity's protocol
        def get_token(self, *scopes, tenant_id=None, **kwargs):
            return type("AccessToken", (), {"token": entra_canary, "expires_on": 0})()

    token = entra_token(ACR, credential=Identity())
    assert token.value.reveal() == entra_canary
    witness.value(token)
    # az failing with its answer on stderr; a registry echoing the Entra token in its refusal
    witness.error(_az_failure(json.dumps({"accessToken": entra_canary}), None))
    witness.error(_az_failure(f"ERROR: accessToken {entra_canary} rejected", None))
    refusal = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": f"bad token {entra_canary}"}]}).encode()
    with pytest.raises(CredentialError) as caught:
        _refresh_token(ACR, 401, refusal, EntraToken(Secret(entra_canary), "test"), None)
    witness.error(caught.value)
    answer = json.dumps({"refresh_token": refresh_canary}).encode()
    credential = _refresh_token(ACR, 200, answer, EntraToken(Secret(entra_canary), "test"), "contoso.com")
    assert credential.secret.reveal() == refresh_canary and credential.kind == "entra"
    witness.value(credential)

    # kept, loaded, resolved, renewed, listed, removed
    save_login(ACR, credential)
    witness.value(load_credential(ACR, ACR_TOKEN_USERNAME))
    witness.value(resolve(ACR, notes=notes))
    expired = Credential(ACR_TOKEN_USERNAME, Secret(refresh_canary), "entra", expires_at=1.0, tenant="contoso.com")
    save_login(ACR, expired)
    witness.value(resolve(ACR, notes=notes, entra=lambda registry, tenant, timeout: credential))
    witness.value(Config().stored_logins())
    witness.value(known_registries(notes=notes))

    assert len(witness.texts) > 10 and notes
    seen = "\n".join(witness.texts + notes + [r.getMessage() for r in caplog.records])
    assert entra_canary not in seen and refresh_canary not in seen

    files = files_text(sandbox.home, sandbox.config_dir, secret_service_keyring.root)
    if sandbox.cache_dir.exists():
        files.update(files_text(sandbox.cache_dir))
    assert sandbox.config_file.exists() and any(p.endswith(".keyring") for p in files)
    assert [path for path, data in files.items() if entra_canary.encode() in data or refresh_canary.encode() in data] == []
    remove_login(ACR)
