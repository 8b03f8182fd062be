"""Broken local state never breaks a command: acrbrowse's config.json and Docker's config.json in
every hostile shape are ignored with one escaped warning line, and anonymous browsing goes on."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def acrbrowse_config(cli: Cli) -> Path:
    return Path(cli.env["ACRBROWSE_CONFIG_DIR"]) / "config.json"


def docker_config(cli: Cli) -> Path:
    return Path(cli.env["DOCKER_CONFIG"]) / "config.json"


def make_sparse(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(8 * 1024**3)  # 8 GiB that take no space


SHAPES = {
    "not-utf8": (lambda p: p.write_bytes(b'{"auths": {"\xff\xfe\x1b]52;c;UFdORUQK\x07": {}}}'), "is not UTF-8 text"),
    "deep": (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "is nested deeper than 64 levels"),
    "huge": (make_sparse, "is larger than 1 MiB"),
    "fifo": (os.mkfifo, "is not a regular file"),
    "dev-zero": (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    "not-an-object": (lambda p: p.write_text('["recent_registries", {"auths": {}}]'), "should hold a JSON object"),
    "not-json": (lambda p: p.write_text('{"stored_logins": {\n'), "is not valid JSON (line 2)"),
}


def assert_one_warning(result, path: Path, problem: str) -> None:
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0] == f"acrbrowse: warning: {path} {problem}; fix or delete it (going on without it)"
    assert "Traceback" not in result.err and not CONTROL.search(result.err)


@pytest.mark.parametrize("which", ["acrbrowse", "docker"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_anonymous_repos_survive_a_broken_config_file(cli, testbed, which, shape):
    path = acrbrowse_config(cli) if which == "acrbrowse" else docker_config(cli)
    path.parent.mkdir(parents=True, exist_ok=True)
    make, problem = SHAPES[shape]
    make(path)
    result = cli("repos", testbed.anon.host, timeout=30)
    assert result.code == 0, result.err
    assert sorted(result.lines) == sorted(testbed.content.repositories)
    assert_one_warning(result, path, problem)


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"auths": 5}, "'auths' should be a JSON object; fix it"),
        ({"credsStore": ["desktop"]}, "'credsStore' should be a string; fix it"),
        ({"credHelpers": {"x.io": "/bin/sh -c"}}, "names a credential helper '/bin/sh -c' that is not a plain name; fix it"),
    ],
)
def test_a_docker_config_of_the_wrong_shape_is_one_warning(cli, testbed, doc, problem):
    path = docker_config(cli)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    result = cli("tags", f"{testbed.anon.host}/aspnetapp")
    assert result.code == 0, result.err
    assert "latest" in result.lines
    assert result.err.splitlines() == [f"acrbrowse: warning: {path}{'' if problem.startswith('names') else ':'} {problem} (going on without it)"]


def test_wrong_types_inside_acrbrowse_config_are_ignored_silently(cli, testbed):
    path = acrbrowse_config(cli)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"stored_logins": {testbed.anon.host: 5, "x.io": {"username": ["u"]}},
                                "recent_registries": {"a": 1}, "keymap": [1]}))
    result = cli("repos", testbed.anon.host)
    assert result.code == 0 and result.err == "", result.err
    assert sorted(result.lines) == sorted(testbed.content.repositories)


def test_the_warning_escapes_a_hostile_path(cli, testbed):
    folder = Path(cli.env["HOME"]) / "docker\x1b]0;PWNED\x07\u202e"
    folder.mkdir()
    (folder / "config.json").write_bytes(b"\xff")
    result = cli("repos", testbed.anon.host, extra_env={"DOCKER_CONFIG": str(folder)})
    assert result.code == 0, result.err
    folder_shown = f"{cli.env['HOME']}/docker\\x1b]0;PWNED\\x07\\u202e"
    assert result.err.splitlines() == [
        f"acrbrowse: warning: {folder_shown}/config.json is not UTF-8 text; fix or delete it (going on without it)"
    ]


def test_logins_with_broken_files_warns_once_per_file(cli):
    for path in (acrbrowse_config(cli), docker_config(cli)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[" * 100_000)
    result = cli("logins")
    assert result.code == 0, result.err
    assert result.out == "No stored credentials. Sign in with: acrbrowse login REGISTRY\n"
    assert [line.split(" ", 3)[2] for line in result.err.splitlines()] == [
        str(acrbrowse_config(cli)), str(docker_config(cli))
    ]


def test_login_with_a_broken_config_is_one_line_and_leaves_it(cli, testbed):
    path = acrbrowse_config(cli)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe")
    result = cli("login", testbed.basic.host, "-u", "admin", "--password-stdin", stdin=testbed.users["admin"])
    assert result.code == 1
    assert result.err.splitlines() == [f"acrbrowse: error: {path} is not UTF-8 text; fix or delete it"]
    assert path.read_bytes() == b"\xff\xfe"


# ---------------------------------------------------------------- credential helpers

FLOOD_HELPER = """#!{python}
import sys
sys.stdin.read()
chunk = b"x" * (1024 * 1024)
for _ in range(300):
    sys.stdout.buffer.write(chunk)
"""

MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": done.returncode, "out": done.stdout, "err": done.stderr, "peak": peak}))
"""


def test_a_helper_printing_300_mb_is_stopped_in_bounded_memory(cli, testbed, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-flood"
    helper.write_text(FLOOD_HELPER.format(python=sys.executable))
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    docker_config(cli).parent.mkdir(parents=True)
    docker_config(cli).write_text(json.dumps({"credsStore": "flood"}))
    env = {**cli.env, "PATH": f"{bin_dir}{os.pathsep}{cli.env['PATH']}"}
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "acrbrowse", "tags", f"{testbed.anon.host}/aspnetapp", "-v"],
        capture_output=True, text=True, timeout=90, env=env, check=True,
    )
    report = json.loads(measured.stdout)
    assert report["code"] == 0, report["err"]
    assert "latest" in report["out"].splitlines()
    assert "docker-credential-flood get printed more than 1 MiB; stopped it" in report["err"]
    print(f"peak RSS {report['peak'] / 2**20:.0f} MiB")
    assert report["peak"] < 150 * 1024 * 1024, f"peak RSS {report['peak'] / 2**20:.0f} MiB"
