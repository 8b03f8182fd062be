"""`login --azure`: an Entra ID token from a stand-in `az` (the only `az` on PATH), exchanged at the
bed's token server for an ACR refresh token, kept in a real Secret Service, renewed when it expires."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, assert_one_line_error
from tests.keychain.secret_service import LOGIN_COLLECTION
from tests.testbed.fake_az import PUBLIC_SCOPE, FakeAz


@pytest.fixture
def fake_az(tmp_path_factory, token_server) -> FakeAz:
    """A stand-in `az` signed in as readonlypull, in a directory outside the run's sandbox."""
    return FakeAz(tmp_path_factory.mktemp("az"), token=token_server.aad_token_for("readonlypull"))


def with_az(cli: Cli, az: FakeAz | None) -> Cli:
    """PATH holds the stand-in `az` (or nothing at all): never a real one."""
    bare = Path(cli.root) / "empty-bin"
    bare.mkdir(exist_ok=True)
    cli.env["PATH"] = str(az.directory if az else bare)
    return cli


@pytest.fixture
def refresh_lifetime(token_server):
    saved = token_server.refresh_lifetime
    try:
        yield token_server
    finally:
        token_server.refresh_lifetime = saved


def stored_values(secret_service) -> list[str]:
    """Every secret the keyring holds (the test's own Secret Service)."""
    import secretstorage

    with secret_service.connection() as conn:
        collection = secretstorage.Collection(conn, LOGIN_COLLECTION)
        return [item.get_secret().decode() for item in collection.get_all_items()]


def exchanges(token_server) -> int:
    return sum(1 for method, path, _ in token_server.requests if method == "POST" and path == "/oauth2/exchange")


def test_login_azure_then_a_new_process_lists_tags_with_nothing_else(keyring_cli, testbed, token_server, fake_az,
                                                                     secret_service):
    cli, host = with_az(keyring_cli, fake_az), testbed.token.host
    entra_token = json.loads((fake_az.directory / "az.json").read_text())["token"]
    login = cli("login", host, "--azure", "-v")
    assert login.code == 0, login.err
    assert "Login succeeded: Entra ID (user or app)" in login.out
    assert fake_az.calls == [["account", "get-access-token", "--scope", PUBLIC_SCOPE, "--output", "json"]]
    assert exchanges(token_server) == 1
    assert len(secret_service.items()) >= 1

    # a new process: no flags, no environment, no Docker config; `az` is not started again
    tags = cli("tags", f"{host}/aspnetapp", "-v")
    assert tags.code == 0, tags.err
    assert "latest" in tags.lines
    assert "from keyring (Entra ID (user or app))" in tags.err
    assert len(fake_az.calls) == 1 and exchanges(token_server) == 1

    listed = cli("logins")
    assert listed.code == 0 and f"{host}\t-\tEntra ID (user or app)" in listed.out

    # the Entra token is nowhere on disk; the refresh token only in the keyring
    refresh_token = next(v for v in stored_values(secret_service) if "entra" in v)
    assert cli.files_containing(entra_token) == []
    for secret in (entra_token, refresh_token):
        assert secret not in login.out + login.err + tags.out + tags.err + listed.out
    assert not [path for path in cli.root.rglob("*") if path.is_file() and b"eyJ" in path.read_bytes()]

    logout = cli("logout", host)
    assert logout.code == 0 and "Removed" in logout.out
    assert secret_service.items() == []
    assert cli("logins").out.startswith("No stored credentials")
    assert_one_line_error(cli("tags", f"{host}/aspnetapp"), "requires you to sign in")


def test_an_expired_refresh_token_is_exchanged_again_by_itself(keyring_cli, testbed, refresh_lifetime, fake_az,
                                                               secret_service):
    token_server = refresh_lifetime
    cli, host = with_az(keyring_cli, fake_az), testbed.token.host
    token_server.refresh_lifetime = 4  # seconds: the stored refresh token is soon worthless
    assert cli("login", host, "--azure").code == 0
    first = stored_values(secret_service)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and time.time() < _stored_expiry(first) + 1:
        time.sleep(0.2)
    assert time.time() > _stored_expiry(first)  # the stored token has expired
    token_server.refresh_lifetime = 3 * 3600

    tags = cli("tags", f"{host}/aspnetapp", "-v")
    assert tags.code == 0, tags.err
    assert "latest" in tags.lines
    assert "exchanged a new token" in tags.err
    assert len(fake_az.calls) == 2 and exchanges(token_server) == 2
    renewed = stored_values(secret_service)
    assert renewed != first and _stored_expiry(renewed) > time.time() + 3000
    # the next run uses the renewed token: no `az`
    assert cli("tags", f"{host}/aspnetapp").code == 0
    assert len(fake_az.calls) == 2


def _stored_expiry(values: list[str]) -> float:
    header = next(json.loads(v) for v in values if '"kind":"entra"' in v)
    return header["expires"]


def test_an_expired_azure_sign_in_says_run_az_login_again(keyring_cli, testbed, refresh_lifetime, fake_az):
    token_server = refresh_lifetime
    cli, host = with_az(keyring_cli, fake_az), testbed.token.host
    token_server.refresh_lifetime = 30  # within the renewal margin from the start
    assert cli("login", host, "--azure").code == 0
    fake_az.set(mode="expired")
    result = cli("tags", f"{host}/aspnetapp")
    assert result.code == 1
    assert "could not be renewed: your Azure CLI sign-in has expired: run `az login` again" in result.err
    assert "requires you to sign in" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(("mode", "needle"), [
    ("not_logged_in", "the Azure CLI is not signed in: run `az login`"),
    ("expired", "your Azure CLI sign-in has expired: run `az login` again"),
])
def test_az_failures_are_one_line_saying_what_to_do(keyring_cli, testbed, fake_az, secret_service, mode, needle):
    fake_az.set(mode=mode)
    result = with_az(keyring_cli, fake_az)("login", testbed.token.host, "--azure")
    assert_one_line_error(result, needle)
    assert secret_service.items() == []


def test_without_az_it_says_how_to_get_it(keyring_cli, testbed):
    result = with_az(keyring_cli, None)("login", testbed.token.host, "--azure")
    assert_one_line_error(result, "the Azure CLI (az) is not on PATH", "az login", "acrbrowse[azure]")


def test_a_tenant_az_has_no_sign_in_for(keyring_cli, testbed, fake_az):
    result = with_az(keyring_cli, fake_az)("login", testbed.token.host, "--azure", "--tenant", "contoso.onmicrosoft.com")
    assert_one_line_error(result, "no sign-in for tenant contoso.onmicrosoft.com", "az login", "AADSTS90002")
    assert fake_az.calls[-1][-2:] == ["--tenant", "contoso.onmicrosoft.com"]
    good = with_az(keyring_cli, fake_az)("login", testbed.token.host, "--azure", "--tenant", fake_az.tenant)
    assert good.code == 0, good.err


def test_a_tenant_that_cannot_be_one_is_refused_before_az_runs(keyring_cli, testbed, fake_az):
    result = with_az(keyring_cli, fake_az)("login", testbed.token.host, "--azure", "--tenant", "--scope=x;rm")
    assert result.code != 0
    assert fake_az.calls == []


def test_an_identity_without_a_role_is_refused_with_the_roles_it_needs(keyring_cli, testbed, token_server, fake_az,
                                                                       secret_service):
    token_server.exchange_refused.add("readonlypull")
    try:
        result = with_az(keyring_cli, fake_az)("login", testbed.token.host, "--azure")
    finally:
        token_server.exchange_refused.discard("readonlypull")
    assert_one_line_error(result, "refused the Entra ID identity", "AcrPull", "Container Registry Repository Reader")
    assert secret_service.items() == []


def test_a_hanging_az_is_stopped_at_the_timeout(keyring_cli, testbed, fake_az):
    fake_az.set(mode="hang")
    result = with_az(keyring_cli, fake_az)("login", testbed.token.host, "--azure", "--timeout", "2")
    assert_one_line_error(result, "the Azure CLI gave no token within 2 s")


def test_a_registry_that_is_not_acr_is_refused_before_the_token_leaves(keyring_cli, testbed, fake_az, token_server):
    result = with_az(keyring_cli, fake_az)("login", testbed.basic.host, "--azure")
    assert_one_line_error(result, "does not ask for bearer tokens", "Azure Container Registry")
    assert exchanges(token_server) == 0


def test_azure_usage_errors(keyring_cli, testbed, fake_az):
    cli, host = with_az(keyring_cli, fake_az), testbed.token.host
    both = cli("login", host, "--azure", "-u", "someone", "--password-stdin", stdin="x")
    assert both.code == 2 and "--azure" in both.err
    assert cli("login", host, "--tenant", fake_az.tenant, "-u", "x", "--password-stdin", stdin="y").code == 2
    assert fake_az.calls == []


def test_without_a_keyring_the_login_says_what_to_do_and_stores_nothing(cli, testbed, fake_az):
    result = with_az(cli, fake_az)("login", testbed.token.host, "--azure")
    assert_one_line_error(result, "No usable keyring")
    entra_token = json.loads((fake_az.directory / "az.json").read_text())["token"]
    assert cli.files_containing(entra_token) == []
