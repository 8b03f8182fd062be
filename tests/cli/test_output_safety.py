"""What the CLI prints of a registry's strings is terminal-safe; --json stays exact; a bug is one
line on stderr and a traceback without locals or secrets in the crash log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from acrbrowse.cli import commands
from acrbrowse.cli import main as cli_module
from acrbrowse.present.safe import terminal_safe
from tests.cli.conftest import assert_one_line_error

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE = [
    "plain",
    "osc52\x1b]52;c;UFdORUQK\x07",
    "title\x1b]0;PWNED\x1b\\",
    "clear\x1b[2J\x1b[H",
    "bidi\u202etxt.exe",
    "new\nline",
    "cr\rret",
    "csi\x9b2J",
    "del\x7f",
    "[@click=app.quit]click[/]",
]


def list_body(key: str, names: list[str], **extra) -> bytes:
    return json.dumps({**extra, key: names}).encode()


def test_tags_are_printed_escaped_one_per_line(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.respond("GET", r"/v2/aspnetapp/tags/list", 200, list_body("tags", HOSTILE, name="aspnetapp"),
                  {"Content-Type": "application/json"})
    result = cli("tags", f"{proxy.host}/aspnetapp")
    assert result.code == 0, result.err
    assert result.lines == [terminal_safe(tag) for tag in HOSTILE]
    assert "osc52\\x1b]52;c;UFdORUQK\\x07" in result.lines and "new\\x0aline" in result.lines
    assert not CONTROL.search(result.out)


def test_repositories_are_printed_escaped_and_json_stays_exact(cli, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.respond("GET", r"/v2/_catalog", 200, list_body("repositories", HOSTILE),
                  {"Content-Type": "application/json"})
    text = cli("repos", proxy.host)
    assert text.code == 0, text.err
    assert text.lines == [terminal_safe(name) for name in HOSTILE]
    assert not CONTROL.search(text.out)
    exact = cli("repos", proxy.host, "--json")
    assert exact.code == 0, exact.err
    assert not CONTROL.search(exact.out.replace("\n", ""))  # json.dumps escapes every control
    assert json.loads(exact.out)["repositories"] == HOSTILE


@pytest.mark.parametrize("as_json", [False, True])
def test_a_registry_error_message_is_one_escaped_line(cli, fault_proxy, as_json):
    proxy = fault_proxy("anon")
    message = "no such \x1b]52;c;UFdORUQK\x07 repo\nsecond line\u202e"
    body = json.dumps({"errors": [{"code": "DENIED\x1b[2J", "message": message}]})
    proxy.respond("GET", r"/tags/list", 400, body, {"Content-Type": "application/json"})
    result = cli("tags", f"{proxy.host}/aspnetapp", *(["--json"] if as_json else []))
    assert_one_line_error(result, "no such \\x1b]52;c;UFdORUQK\\x07 repo")
    assert not CONTROL.search(result.err.rstrip("\n"))


def test_waiting_on_retry_after_is_said_on_stderr(cli, testbed, fault_proxy):
    proxy = fault_proxy("anon")
    body = json.dumps({"errors": [{"code": "TOOMANYREQUESTS", "message": "slow \x1b[2J down"}]})
    proxy.throttle("GET", r"/tags/list", retry_after=1, times=1, body=body)
    result = cli("tags", f"{proxy.host}/aspnetapp")
    assert result.code == 0, result.err
    assert "latest" in result.lines
    notices = result.err.splitlines()
    assert len(notices) == 1 and notices[0].startswith("acrbrowse: "), result.err
    assert "429" in notices[0] and "wait" in notices[0]
    assert not CONTROL.search(result.err.rstrip("\n"))


def test_verbose_escapes_the_user_name_and_its_source(cli, testbed):
    user = "admin\x1b]0;PWNED\x07"
    result = cli("tags", f"{testbed.anon.host}/aspnetapp", "-v",
                 extra_env={"ACRBROWSE_USERNAME": user, "ACRBROWSE_PASSWORD": "x"})
    assert result.code == 0, result.err
    assert not CONTROL.search(result.err.replace("\n", ""))
    assert "from environment" in result.err and "PWNED" in result.err


def test_logins_escapes_what_the_files_say(cli):
    config = Path(cli.env["ACRBROWSE_CONFIG_DIR"]) / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"stored_logins": {"evil\x1b]52;c;aGk=\x07.io": {"username": "u\x1b[2J\u202e"}}}))
    result = cli("logins")
    assert result.code == 0, result.err
    assert result.lines == ["evil\\x1b]52;c;aGk=\\x07.io\tu\\x1b[2J\\u202e\tkeyring"]


# ---------------------------------------------------------------- bugs


SECRET = "Basic YWxpY2U6Y2FuYXJ5LVB3LTMxMzM3"


def test_an_unexpected_error_is_one_line_and_a_crash_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ACRBROWSE_CACHE_DIR", str(tmp_path / "cache"))

    async def broken(args):
        password = "canary-local-5150"  # noqa: F841  (a local that must not reach the log)
        raise KeyError(f"\x1b]52;c;UFdORUQK\x07 sent {SECRET}\nand more")

    monkeypatch.setattr(commands, "cmd_tags", broken)
    assert cli_module.main(["tags", "example.io/repo"]) == 1
    captured = capsys.readouterr()
    log = tmp_path / "cache" / "errors.log"
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and not CONTROL.search(captured.err.rstrip("\n"))
    assert captured.err.startswith("acrbrowse: internal error (KeyError: ")
    assert captured.err.endswith(f"; details in {log}; please report it\n")
    assert "YWxpY2U6" not in captured.err and "Basic ********" in captured.err
    text = log.read_text()
    assert "Traceback" in text and "broken" in text
    assert "canary-local-5150" not in text and "YWxpY2U6" not in text and "\x1b" not in text


def test_ctrl_c_is_130(monkeypatch, capsys):
    async def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "cmd_tags", interrupted)
    assert cli_module.main(["tags", "example.io/repo"]) == 130
    assert capsys.readouterr().err == ""
