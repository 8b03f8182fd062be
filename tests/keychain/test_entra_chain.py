"""Entra ID and Podman in the credential chain: the order, the stored --azure choice and its
renewal, and the implicit try for ACR hosts only (the Session's exchange is passed in as `entra`:
the exchange itself is tested against the bed in tests/cli/test_entra.py and tests/test_session.py)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from acrbrowse.config import Config
from acrbrowse.keychain.acr_exchange import ACR_TOKEN_USERNAME, ExchangeRefused, exchange_url
from acrbrowse.keychain.entra import (
    EntraError,
    _az_failure,
    check_tenant,
    entra_scope,
    entra_token,
    is_acr_host,
)
from acrbrowse.keychain.keyring_store import layout_entries, load_credential, parse_header
from acrbrowse.keychain.logins import save_login
from acrbrowse.keychain.podman import auth_file_paths, podman_credential
from acrbrowse.keychain.resolver import SOURCE_ENTRA_LOGIN, known_registries, resolve
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.remote.challenge import Challenge

ACR = "myregistry.azurecr.io"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def entra_login(expires_in: float, tenant: str | None = TENANT) -> Credential:
    return Credential(ACR_TOKEN_USERNAME, Secret("stored-refresh-token"), "entra", source="test",
                      expires_at=time.time() + expires_in, tenant=tenant)


class Exchange:
    """The Session's exchange as the chain sees it: records each call, answers or fails."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple[str, str | None, float]] = []
        self.fail = fail

    def __call__(self, registry: str, tenant: str | None, timeout: float) -> Credential:
        self.calls.append((registry, tenant, timeout))
        if self.fail is not None:
            raise self.fail
        return Credential(ACR_TOKEN_USERNAME, Secret("new-refresh-token"), "entra", source="Entra ID (test)",
                          expires_at=time.time() + 3 * 3600, tenant=tenant)


@pytest.fixture
def az_on_path(sandbox):
    """An `az` the chain can find (it is never run here: the exchange is the test's)."""
    path = sandbox.bin_dir / "az"
    path.write_text("#!/bin/sh\nexit 99\n")
    path.chmod(0o755)
    return path


# ---- names, scopes, tenants ----------------------------------------------------------------


@pytest.mark.parametrize(("registry", "acr"), [
    ("myregistry.azurecr.io", True), ("MyRegistry.AzureCR.io", True), ("r.azurecr.cn", True),
    ("r.azurecr.us", True), ("r.azurecr.io:443", True), ("azurecr.io.example.com", False),
    ("mcr.microsoft.com", False), ("docker.io", False), ("127.0.0.1:5000", False), ("notazurecr.io", False),
])
def test_acr_hosts_by_name(registry, acr):
    assert is_acr_host(registry) is acr


def test_each_cloud_has_its_audience():
    assert entra_scope("r.azurecr.io") == "https://containerregistry.azure.net/.default"
    assert entra_scope("r.azurecr.cn") == "https://management.chinacloudapi.cn/.default"
    assert entra_scope("r.azurecr.us") == "https://management.usgovcloudapi.net/.default"
    assert entra_scope("127.0.0.1:5000") == "https://containerregistry.azure.net/.default"


@pytest.mark.parametrize("tenant", [TENANT, "contoso.onmicrosoft.com", "organizations"])
def test_tenants_that_can_be(tenant):
    assert check_tenant(tenant) == tenant


@pytest.mark.parametrize("tenant", ["", "--scope", "a b", "x;rm -rf", "é.com", "a" * 300])
def test_tenants_that_cannot_be_are_refused(tenant):
    with pytest.raises(EntraError):
        check_tenant(tenant)


# ---- az's failures, one line each --------------------------------------------------------


@pytest.mark.parametrize(("said", "tenant", "needle"), [
    ("ERROR: Please run 'az login' to setup account.\n", None, "the Azure CLI is not signed in: run `az login`"),
    ("ERROR: AADSTS700082: The refresh token has expired due to inactivity.\nInteractive authentication is needed.",
     None, "your Azure CLI sign-in has expired: run `az login` again (AADSTS700082"),
    ("ERROR: AADSTS90002: Tenant 'x' not found.", "x", "no sign-in for tenant x: run `az login` for that tenant"),
    ("ERROR: something else\x1b]52;c;AAAA\x07 happened\nsecond line", None, "failed to get a token: something else"),
    ('{"accessToken": "leaked"}', None, "(output not shown)"),
])
def test_az_failures_become_one_line(said, tenant, needle):
    message = str(_az_failure(said, tenant))
    assert needle in message
    assert "\n" not in message and "\x1b" not in message and "leaked" not in message


# ---- azure-identity's protocol: an injected credential ------------------------------------


class FakeAzureCredential:
    """azure-identity's seam: get_token(*scopes, tenant_id=...) -> an object with .token, .expires_on."""

    def __init__(self, *, fail: Exception | None = None, hang: float = 0.0) -> None:
        self.asked: list[tuple[tuple[str, ...], str | None]] = []
        self.fail, self.hang = fail, hang

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs):
        self.asked.append((scopes, tenant_id))
        if self.hang:
            time.sleep(self.hang)
        if self.fail is not None:
            raise self.fail

        class AccessToken:
            token = "entra-access-token"
            expires_on = int(time.time()) + 3600

        return AccessToken()


def test_an_injected_credential_is_asked_for_the_cloud_s_scope_and_tenant():
    credential = FakeAzureCredential()
    token = entra_token("r.azurecr.us", tenant=TENANT, credential=credential, env={"PATH": ""})
    assert token.value.reveal() == "entra-access-token" and token.source == "Entra ID (azure-identity)"
    assert credential.asked == [(("https://management.usgovcloudapi.net/.default",), TENANT)]
    assert "entra-access-token" not in repr(token)


def test_an_injected_credential_failing_is_one_line():
    error = RuntimeError("DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
                         "Attempted credentials:\n\tEnvironmentCredential: ...")
    with pytest.raises(EntraError) as caught:
        entra_token(ACR, credential=FakeAzureCredential(fail=error))
    assert str(caught.value) == ("Entra ID gave no token: DefaultAzureCredential failed to retrieve a token from "
                                 "the included credentials.")


def test_an_injected_credential_that_hangs_is_left_behind_at_the_timeout():
    with pytest.raises(EntraError, match="no token within 0.2 s"):
        entra_token(ACR, credential=FakeAzureCredential(hang=5), timeout=0.2)


# ---- where the Entra token may go ----------------------------------------------------------


def bearer(realm: str, service: str = "svc") -> Challenge:
    return Challenge("bearer", {"realm": realm, "service": service})


def test_the_exchange_goes_to_the_registry_s_own_oauth2():
    url, service = exchange_url(ACR, bearer(f"https://{ACR}/oauth2/token", ACR), loopback=False)
    assert str(url) == f"https://{ACR}/oauth2/exchange" and service == ACR
    url, _ = exchange_url("127.0.0.1:5000", bearer("http://127.0.0.1:6000/oauth2/token"), loopback=True)
    assert str(url) == "http://127.0.0.1:6000/oauth2/exchange"


@pytest.mark.parametrize("challenge", [
    None,
    Challenge("basic", {"realm": "x"}),
    bearer("https://auth.docker.io/token"),
    bearer(f"https://{ACR}.evil.example/oauth2/token"),
    bearer(f"https://{ACR}/token"),
    bearer(f"https://{ACR}:8443/oauth2/token"),
    bearer(f"http://{ACR}/oauth2/token"),
])
def test_the_entra_token_goes_nowhere_else(challenge):
    with pytest.raises(ExchangeRefused):
        exchange_url(ACR, challenge, loopback=False)


# ---- the keyring keeps the refresh token, its expiry and tenant -----------------------------


def test_the_header_keeps_expiry_and_tenant_and_ignores_nonsense():
    header = parse_header(layout_entries("rt", "entra", expires_at=1_900_000_000.5, tenant=TENANT).header)
    assert (header.kind, header.secret, header.expires_at, header.tenant) == ("entra", "rt", 1_900_000_000.5, TENANT)
    odd = parse_header(json.dumps({"acrbrowse": 1, "kind": "entra", "length": 2, "chunks": 0, "secret": "rt",
                                   "expires": 10 ** 400, "tenant": "a b\x1b"}))
    assert odd.expires_at is None and odd.tenant is None


def test_a_stored_entra_login_loads_with_its_expiry(secret_service_keyring, sandbox):
    login = entra_login(3600)
    save_login(ACR, login)
    loaded = load_credential(ACR, ACR_TOKEN_USERNAME)
    assert loaded is not None and loaded.kind == "entra" and loaded.is_refresh_token
    assert loaded.expires_at == pytest.approx(login.expires_at, abs=0.01) and loaded.tenant == TENANT


# ---- the chain ----------------------------------------------------------------------------


def test_a_stored_entra_login_is_used_while_it_lasts(secret_service_keyring, sandbox):
    save_login(ACR, entra_login(3600))
    exchange = Exchange()
    credential = resolve(ACR, entra=exchange)
    assert credential is not None and credential.secret.reveal() == "stored-refresh-token"
    assert credential.source == f"keyring ({SOURCE_ENTRA_LOGIN})"
    assert exchange.calls == []


def test_an_expired_entra_login_is_exchanged_again_and_kept(secret_service_keyring, sandbox):
    save_login(ACR, entra_login(-10))
    exchange, notes = Exchange(), []
    credential = resolve(ACR, entra=exchange, notes=notes)
    assert credential is not None and credential.secret.reveal() == "new-refresh-token"
    assert [call[:2] for call in exchange.calls] == [(ACR, TENANT)]
    assert load_credential(ACR, ACR_TOKEN_USERNAME).secret.reveal() == "new-refresh-token"
    assert any("exchanged a new token" in note for note in notes)


def test_an_expired_entra_login_that_can_t_be_renewed_warns_and_goes_on(secret_service_keyring, sandbox, az_on_path):
    save_login(ACR, entra_login(-10))
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("docker-user:docker-pw")}}})
    exchange, warnings = Exchange(fail=EntraError("the Azure CLI is not signed in: run `az login`")), []
    credential = resolve(ACR, entra=exchange, warnings=warnings)
    assert credential is not None and credential.source == "docker config"
    assert warnings == [f"the Entra ID sign-in for {ACR} expired and could not be renewed: the Azure CLI is not "
                        "signed in: run `az login` (going on without it)"]
    sandbox.docker_dir.joinpath("config.json").unlink()
    exchange.calls.clear()
    assert resolve(ACR, entra=exchange, warnings=[]) is None
    assert len(exchange.calls) == 1  # not tried a second time as the fallback


def test_podman_comes_after_docker_and_before_entra(sandbox, az_on_path):
    sandbox.write_podman_auth({"auths": {ACR: {"auth": b64("podman-user:podman-pw")},
                                         f"{ACR}/team": {"auth": b64("team-user:team-pw")}}})
    sandbox.write_docker_config({"auths": {ACR: {"auth": b64("docker-user:docker-pw")}}})
    exchange = Exchange()
    assert resolve(ACR, entra=exchange).source == "docker config"
    sandbox.docker_dir.joinpath("config.json").unlink()
    found = resolve(ACR, entra=exchange)
    assert (found.username, found.secret.reveal(), found.source) == ("podman-user", "podman-pw", "podman auth file")
    assert exchange.calls == []
    assert [k.sources for k in known_registries() if k.registry == ACR] == [("podman auth file",)]


def test_podman_s_files_and_docker_hub_key(sandbox, monkeypatch, tmp_path):
    runtime = tmp_path / "run"
    (runtime / "containers").mkdir(parents=True)
    (runtime / "containers" / "auth.json").write_text(json.dumps({"auths": {"docker.io": {"auth": b64("hub:pw")}}}))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert auth_file_paths()[0] == runtime / "containers" / "auth.json"
    assert podman_credential("index.docker.io").username == "hub"
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "elsewhere.json"))
    assert auth_file_paths()[0] == tmp_path / "elsewhere.json"
    assert podman_credential("docker.io") is None


def test_a_broken_podman_file_is_a_warning_not_a_stop(sandbox):
    sandbox.write_podman_auth({"auths": ["not", "an", "object"]})
    warnings: list[str] = []
    assert resolve(ACR, warnings=warnings) is None
    assert len(warnings) == 1 and "'auths' should be a JSON object" in warnings[0]


def test_entra_is_tried_last_and_only_for_acr_hosts_with_a_way_to_get_a_token(sandbox, az_on_path):
    exchange, notes = Exchange(), []
    credential = resolve(ACR, entra=exchange, notes=notes)
    assert credential is not None and credential.secret.reveal() == "new-refresh-token"
    assert exchange.calls == [(ACR, None, 10.0)]  # the short wait of a guess

    assert resolve("ghcr.io", entra=exchange) is None
    assert resolve(ACR, username="someone", entra=exchange) is None  # a named user is not Entra ID
    assert len(exchange.calls) == 1

    az_on_path.unlink()  # no `az`, no azure-identity: no try, no wait
    assert resolve(ACR, entra=exchange) is None
    assert len(exchange.calls) == 1


def test_a_failed_implicit_try_is_a_note_then_anonymous(sandbox, az_on_path):
    notes: list[str] = []
    assert resolve(ACR, entra=Exchange(fail=EntraError("the Azure CLI is not signed in: run `az login`")),
                   notes=notes) is None
    assert notes[-2:] == ["Entra ID skipped: the Azure CLI is not signed in: run `az login`",
                          f"no credential for {ACR}; trying anonymous access"]


def test_logins_name_an_entra_login_without_a_username(secret_service_keyring, sandbox):
    save_login(ACR, entra_login(3600))
    save_login("other.azurecr.io", Credential("bob", Secret("pw")))
    rows = {k.registry: (k.sources, k.username) for k in known_registries(include_helper_list=False)}
    assert rows[ACR] == ((SOURCE_ENTRA_LOGIN,), None)
    assert rows["other.azurecr.io"] == (("keyring",), "bob")
    assert Config().stored_login(ACR).username == ACR_TOKEN_USERNAME
