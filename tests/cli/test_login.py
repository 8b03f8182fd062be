"""login / logout / logins with a real Secret Service, checked against the real registry."""

from __future__ import annotations

from tests.cli.conftest import assert_one_line_error


def test_login_then_a_new_process_needs_no_flags_then_logout(keyring_cli, testbed, secret_service):
    cli, host = keyring_cli, testbed.token.host
    password = testbed.users["readonlypull"]
    login = cli("login", host, "-u", "readonlypull", "--password-stdin", stdin=password + "\n")
    assert login.code == 0, login.err
    assert "Login succeeded" in login.out and password not in login.out + login.err
    assert len(secret_service.items()) >= 1

    tree = cli("tree", f"{host}/aspnetapp:latest", "-v")
    assert tree.code == 0, tree.err
    assert "from keyring" in tree.err
    assert tree.lines[1].startswith(testbed.content.aspnetapp.digest)

    listed = cli("logins")
    assert listed.code == 0 and f"{host}\treadonlypull\tkeyring" in listed.out
    assert cli("login", "--list").code == 2  # gone: `logins` lists them
    assert password not in listed.out

    assert cli.files_containing(password) == []  # not in config, cache or anywhere under HOME

    logout = cli("logout", host)
    assert logout.code == 0 and "Removed" in logout.out
    assert secret_service.items() == []
    after = cli("tree", f"{host}/aspnetapp:latest")
    assert_one_line_error(after, "requires you to sign in")


def test_wrong_password_is_caught_at_login_and_nothing_is_stored(keyring_cli, testbed, secret_service):
    canary = "Canary-Secret-0b5e7d"
    result = keyring_cli("login", testbed.token.host, "-u", "readonlypull", "--password-stdin", stdin=canary)
    assert_one_line_error(result, "refused the credentials of 'readonlypull'")
    assert canary not in result.err
    assert secret_service.items() == []
    assert keyring_cli("logins").out.startswith("No stored credentials")
    assert keyring_cli.files_containing(canary) == []


def test_a_repository_scoped_token_logs_in_against_its_repository(keyring_cli, testbed):
    host, password = testbed.token.host, testbed.users["readonlypull"]
    ok = keyring_cli("login", f"{host}/aspnetapp", "-u", "readonlypull", "--password-stdin", stdin=password)
    assert ok.code == 0, ok.err
    assert "checked against aspnetapp" in ok.out
    denied = keyring_cli("login", f"{host}/buildkit/app", "-u", "readonlypull", "--password-stdin", stdin=password)
    assert_one_line_error(denied, "denied", "buildkit/app")
    # the first login is still stored; the scoped token still cannot list repositories
    assert_one_line_error(keyring_cli("repos", host), "cannot list repositories")


def test_basic_auth_login(keyring_cli, testbed):
    host, password = testbed.basic.host, testbed.users["admin"]
    assert keyring_cli("login", host, "-u", "admin", "--password-stdin", stdin="nope").code == 1
    ok = keyring_cli("login", host, "-u", "admin", "--password-stdin", stdin=password)
    assert ok.code == 0, ok.err
    tags = keyring_cli("tags", f"{host}/aspnetapp")
    assert tags.code == 0 and "latest" in tags.lines


def test_login_without_a_keyring_says_what_to_do(cli, testbed):
    password = testbed.users["readonlypull"]
    result = cli("login", testbed.token.host, "-u", "readonlypull", "--password-stdin", stdin=password)
    assert_one_line_error(result, "No usable keyring", "--password-stdin", "ACRBROWSE_USERNAME")
    assert password not in result.err
    assert cli.files_containing(password) == []  # never a plain-text fallback
    # browsing still works with the secret passed per run
    per_run = cli("tags", f"{testbed.token.host}/aspnetapp", "-u", "readonlypull", "--password-stdin", stdin=password)
    assert per_run.code == 0, per_run.err


def test_login_usage_errors(cli, testbed):
    assert cli("login").code == 2
    no_tty = cli("login", testbed.token.host)  # no username, stdin not a terminal
    assert no_tty.code == 2 and "--username" in no_tty.err


def test_docker_config_credentials_are_used(cli, testbed):
    import base64
    import json
    from pathlib import Path

    docker = Path(cli.env["DOCKER_CONFIG"])
    docker.mkdir()
    auth = base64.b64encode(f"readonlypull:{testbed.users['readonlypull']}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {testbed.token.host: {"auth": auth}}}))
    result = cli("tree", f"{testbed.token.host}/aspnetapp:latest", "-v")
    assert result.code == 0, result.err
    assert "from docker config" in result.err


def test_login_prompts_with_hidden_input_on_a_terminal(keyring_cli, testbed, secret_service):
    """A real pseudo-terminal: the username is echoed, the password is not."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    password = testbed.users["readonlypull"]
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "acrbrowse", "login", testbed.token.host],
        stdin=secondary, stdout=secondary, stderr=secondary, env=keyring_cli.env,
        start_new_session=True, close_fds=True,
    )
    os.close(secondary)
    screen = b""

    def read_until(marker: bytes, timeout: float = 30) -> None:
        nonlocal screen
        deadline = time.monotonic() + timeout
        while marker not in screen and time.monotonic() < deadline:
            if select.select([primary], [], [], 0.2)[0]:
                try:
                    screen += os.read(primary, 4096)
                except OSError:
                    break
        assert marker in screen, screen

    read_until(b"Username for ")
    os.write(primary, b"readonlypull\n")
    read_until(b"Password or token for readonlypull@")
    os.write(primary, password.encode() + b"\n")
    read_until(b"Login succeeded")
    assert process.wait(timeout=30) == 0
    os.close(primary)
    assert b"readonlypull" in screen and password.encode() not in screen
    assert secret_service.items()


def test_login_to_a_registry_that_asks_for_nothing_says_so(keyring_cli, testbed):
    result = keyring_cli("login", testbed.anon.host, "-u", "someone", "--password-stdin", stdin="anything")
    assert result.code == 0, result.err
    assert "asks for no credentials" in result.err
