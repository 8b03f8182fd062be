"""Issue 8, the CLI against a hostile registry: one test per shape, each run of `python -m
acrbrowse` in a child process with the canary credential in its environment.

Every shape must end in one escaped error line (exit 1) or a correctly escaped display (exit 0):
no raw control character on stdout or stderr, no traceback, no "internal error", the canary
secret in no output and no file the run left, never sent to another origin, peak RSS under
RSS_BOUND_MB and done in time. The runs are independent, so they go four at a time (most of them
wait on a deadline or the network); each test then checks its own run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from acrbrowse.present.safe import terminal_safe
from tests.hostile.conftest import PEAKS, Run, control_chars, run_cli, secrets_in
from tests.testbed.hostile import (
    BIDI,
    C1,
    CLEAR,
    FOREIGN_HOST,
    HOSTILE_STRINGS,
    MB,
    OSC52,
    TITLE,
    HostileRegistry,
    deep_json,
    screenshot_click,
)

RSS_BOUND_MB = 200
WORKERS = 4


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # "{host}" is the hostile registry
    exits: tuple[int, ...] = (1,)
    timeout: float = 5.0  # --timeout
    wall: float | None = None  # seconds the run may take; default 2 × timeout + 8 (four run at once)
    notices: tuple[int, int] = (0, 0)  # stderr lines allowed on success (a warning, a notice)
    credential: bool = True  # the canary credential in the environment
    check: Callable[[Run, HostileRegistry], None] | None = None
    setup: Callable[[Path, HostileRegistry], None] | None = None
    cost: float = 1.0  # about how long it runs: the longest start first, the short ones fill in

    @property
    def bound(self) -> float:
        return self.wall if self.wall is not None else 2 * self.timeout + 8


@dataclass
class Outcome:
    run: Run
    registry: HostileRegistry


# ---- checks for particular shapes --------------------------------------------------------------

def catalog_names(registry: HostileRegistry) -> list[str]:
    return [*HOSTILE_STRINGS, screenshot_click(registry.screenshot_path), "plain", "tags-hostile"]


def tag_names(registry: HostileRegistry) -> list[str]:
    return ["latest", *HOSTILE_STRINGS, screenshot_click(registry.screenshot_path)]


def lines_are_escaped(expected: Callable[[HostileRegistry], list[str]]):
    def check(run: Run, registry: HostileRegistry) -> None:
        assert run.out.splitlines() == [terminal_safe(name) for name in expected(registry)]
    return check


def json_is_exact(key: str, expected: Callable[[HostileRegistry], list[str]]):
    def check(run: Run, registry: HostileRegistry) -> None:
        assert json.loads(run.out)[key] == expected(registry)
    return check


def tree_shows_escaped(run: Run, registry: HostileRegistry) -> None:
    for text in ("linux" + TITLE, "amd64" + BIDI):
        assert terminal_safe(text) in run.out, f"{text!r} not shown escaped"


def tree_json_exact(run: Run, registry: HostileRegistry) -> None:
    document = json.dumps(json.loads(run.out), ensure_ascii=False)
    for text in ("linux" + TITLE, "amd64" + BIDI, "v8" + C1, CLEAR):
        assert json.dumps(text, ensure_ascii=False)[1:-1] in document, f"{text!r} not kept exact in --json"


def layer_files_escaped(run: Run, registry: HostileRegistry) -> None:
    for text in HOSTILE_STRINGS:
        assert f"etc/{terminal_safe(text)}" in run.out and f"-> {terminal_safe(text)}" in run.out, text


def layer_files_exact(run: Run, registry: HostileRegistry) -> None:
    files = {f["path"]: f for f in json.loads(run.out)["files"]}
    for text in HOSTILE_STRINGS:
        assert files[f"etc/{text}"]["user"] == text and text in {f.get("link") for f in files.values()}


def diff_escaped(run: Run, registry: HostileRegistry) -> None:
    for text in (TITLE, BIDI, CLEAR, C1, "RUN " + OSC52):
        assert terminal_safe(text) in run.out, f"{text!r} not shown escaped"


def diff_json_exact(run: Run, registry: HostileRegistry) -> None:
    document = json.dumps(json.loads(run.out), ensure_ascii=False)
    for text in (TITLE, BIDI, CLEAR, OSC52):
        assert json.dumps(text, ensure_ascii=False)[1:-1] in document, f"{text!r} not kept exact in --json"


def hostile_image(registry: HostileRegistry) -> str:
    """The image inside tree-hostile's index: its config's every field attacks the terminal."""
    store, index = registry.shapes.store, registry.shapes.manifests["tree-hostile"]
    return json.loads(store.blobs[index["digest"]][1])["manifests"][0]["digest"]


def error_escaped(run: Run, registry: HostileRegistry) -> None:
    assert terminal_safe(OSC52)[:12] in run.err  # the registry's words, shown escaped


def requests_at_most(fragment: str, limit: int):
    def check(run: Run, registry: HostileRegistry) -> None:
        count = sum(1 for hit in registry.hits if fragment in hit.path)
        assert count <= limit, f"{count} requests for {fragment!r}"
    return check


def sent_at_most(fragment: str, limit: int):
    """The client stopped reading near its cap: the server wrote at most `limit` body bytes
    (socket buffers hold a few MB more than the client read)."""
    def check(run: Run, registry: HostileRegistry) -> None:
        sent = max((hit.sent for hit in registry.hits if fragment in hit.path), default=0)
        assert sent <= limit, f"{sent / MB:.0f} MB sent for {fragment!r}"
    return check


def all_of(*checks):
    def check(run: Run, registry: HostileRegistry) -> None:
        for one in checks:
            one(run, registry)
    return check


def waited_and_said_so(run: Run, registry: HostileRegistry) -> None:
    assert "wait" in run.err.lower()
    assert run.out.splitlines() == ["latest"]


def no_big_authorization(run: Run, registry: HostileRegistry) -> None:
    longest = max((len(hit.authorization) for hit in registry.hits), default=0)
    assert longest < 64 * 1024, f"a {longest / MB:.1f} MB Authorization header was sent"


def nothing_reached_foreign_origin_with_basic(run: Run, registry: HostileRegistry) -> None:
    foreign = [hit for hit in registry.hits if hit.listener == FOREIGN_HOST]
    assert foreign, "the blob redirect was not followed at all"
    assert not [hit for hit in foreign if hit.authorization.lower().startswith("basic")]


def nothing_reached_alias(run: Run, registry: HostileRegistry) -> None:
    reached = [hit for hit in registry.hits if hit.host.split(":")[0] == registry.alias and hit.authorization]
    assert not reached, f"credentials went to {registry.alias}: {reached}"


def write_memo(home: Path, registry: HostileRegistry) -> None:
    """A remembered challenge whose realm is a remote host over plain HTTP."""
    realm = f"http://{registry.alias}:{registry.port}/token/memo-elsewhere"
    (home / "cache").mkdir(parents=True, exist_ok=True)
    (home / "cache" / "challenges.json").write_text(
        json.dumps({registry.host: {"scheme": "bearer", "realm": realm, "service": "hostile"}}))


def local_file(relative: str, data: bytes):
    def setup(home: Path, registry: HostileRegistry) -> None:
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return setup


def cache_entry(make: Callable[[Path], None]):
    """The content cache's file for the `plain` manifest replaced by something that is no file."""
    def setup(home: Path, registry: HostileRegistry) -> None:
        hex_part = registry.shapes.manifests["plain"]["digest"].removeprefix("sha256:")
        path = home / "cache" / "content" / "sha256" / hex_part[:2] / hex_part
        path.parent.mkdir(parents=True, exist_ok=True)
        make(path)
    return setup


def credential_helper(script: str):
    """Docker's config names a credential helper for the registry; the helper is `script`."""
    def setup(home: Path, registry: HostileRegistry) -> None:
        helper = home / "bin" / "docker-credential-hostile"
        helper.parent.mkdir(parents=True, exist_ok=True)
        helper.write_text("#!/bin/sh\n" + script + "\n")
        helper.chmod(0o755)
        local_file("docker/config.json", json.dumps({"credHelpers": {registry.host: "hostile"}}).encode())(home, registry)
    return setup


# ---- the shapes --------------------------------------------------------------------------------

CASES = [
    # terminal and markup injection: shown escaped, --json exact
    Case("catalog-names", ("repos", "{host}"), (0,), check=lines_are_escaped(catalog_names)),
    Case("catalog-names-json", ("repos", "{host}", "--json"), (0,),
         check=json_is_exact("repositories", catalog_names)),
    Case("tag-names", ("tags", "{host}/tags-hostile"), (0,), check=lines_are_escaped(tag_names)),
    Case("tag-names-json", ("tags", "{host}/tags-hostile", "--json"), (0,), check=json_is_exact("tags", tag_names)),
    Case("tree-fields", ("tree", "{host}/tree-hostile:latest"), (0,), check=tree_shows_escaped),
    Case("tree-fields-json", ("tree", "{host}/tree-hostile:latest", "--json"), (0,), check=tree_json_exact),
    Case("error-message", ("tags", "{host}/error-hostile/x"), check=error_escaped),
    Case("error-message-json", ("tree", "{host}/error-hostile:latest", "--json"), check=error_escaped),
    Case("error-echoes-secret", ("tags", "{host}/error-echo")),
    Case("reference-with-esc", ("tree", "{host}/plain:v1" + TITLE), (2,)),
    # wrong JSON types and depth
    Case("type-created", ("tree", "{host}/type-created:latest")),
    Case("type-os", ("tree", "{host}/type-os:latest")),
    Case("type-urls", ("tree", "{host}/type-urls:latest")),
    Case("type-artifacttype", ("tree", "{host}/type-artifacttype:latest")),
    Case("type-annotations", ("tree", "{host}/type-annotations:latest")),
    Case("type-history", ("tree", "{host}/type-history:latest")),
    Case("deep-manifest", ("tree", "{host}/deep-manifest:latest")),
    Case("deep-config", ("tree", "{host}/deep-config:latest")),
    Case("deep-tags", ("tags", "{host}/deep-tags")),
    Case("deep-error", ("tags", "{host}/deep-error")),
    Case("deep-token", ("tags", "{host}/token-deep")),
    # digests
    Case("digest-paste", ("tree", "{host}/digest-paste:latest")),
    Case("digest-md5-layer", ("tree", "{host}/digest-md5:latest")),
    Case("header-md5", ("tree", "{host}/header-md5:latest")),
    Case("header-shake", ("tree", "{host}/header-shake:latest")),
    Case("index-digest-x", ("tree", "{host}/index-x:latest"), check=requests_at_most("/manifests/x", 0)),
    Case("index-fanout", ("tree", "{host}/index-fanout:latest"), (0, 1), wall=90, cost=20,
         check=requests_at_most("/manifests/sha256:", 4096)),
    Case("index-duplicates", ("tree", "{host}/index-dup:latest"), (0, 1), check=requests_at_most("/manifests/sha256:", 1)),
    # a layer's files (acrbrowse ls)
    Case("layer-names", ("ls", "{host}/layer-names:latest", "--layer", "1"), (0,), check=layer_files_escaped),
    Case("layer-names-json", ("ls", "{host}/layer-names:latest", "--layer", "1", "--json"), (0,),
         check=layer_files_exact),
    Case("layer-names-merged", ("ls", "{host}/layer-names:latest"), (0,), notices=(0, 1), check=layer_files_escaped),
    Case("layer-endless", ("ls", "{host}/layer-endless:latest", "--layer", "1"), check=sent_at_most("/blobs/", 16 * MB)),
    Case("layer-bomb", ("ls", "{host}/layer-bomb:latest", "--layer", "1")),
    # comparing: a config whose every field attacks; a tag list of names that are no tags
    Case("diff-config", ("diff", "{host}/plain:latest", "@{hostile_image}"), (0,), check=diff_escaped),
    Case("diff-config-json", ("diff", "{host}/plain:latest", "@{hostile_image}", "--json"), (0,),
         check=diff_json_exact),
    Case("usage-hostile-tags", ("usage", "{host}/tags-hostile"), (0,), notices=(1, 1)),
    # the token service
    Case("token-expires-400-digits", ("tags", "{host}/token-expires400"), (0, 1)),
    Case("token-50mb", ("tags", "{host}/token-50mb"),
         check=all_of(no_big_authorization, sent_at_most("/token/", 16 * MB))),
    Case("token-slow", ("tags", "{host}/token-slow"), timeout=2, cost=3),
    Case("realm-port-abc", ("tags", "{host}/realm-port-abc")),
    Case("realm-port-99999", ("tags", "{host}/realm-port-99999")),
    Case("realm-elsewhere-plain-http", ("tags", "{host}/realm-elsewhere"), check=nothing_reached_alias),
    Case("remembered-realm-elsewhere", ("tags", "{host}/memo-elsewhere"), (0, 1),
         setup=write_memo, check=nothing_reached_alias),
    # credentials and redirects
    Case("redirect-401-bearer", ("tree", "{host}/redirect-bearer:latest"), check=nothing_reached_foreign_origin_with_basic),
    Case("redirect-401-basic", ("tree", "{host}/redirect-basic:latest"), check=nothing_reached_foreign_origin_with_basic),
    # paging
    Case("link-port-abc", ("tags", "{host}/link-port-abc")),
    Case("link-port-99999", ("tags", "{host}/link-port-99999")),
    Case("link-endless", ("tags", "{host}/link-endless"), wall=90, cost=25, check=requests_at_most("/tags/list", 10_001)),
    Case("link-repeat", ("tags", "{host}/link-repeat"), (0, 1), check=requests_at_most("/tags/list", 3)),
    # size and time bounds
    Case("huge-tags", ("tags", "{host}/huge-tags"), check=sent_at_most("/tags/list", 48 * MB)),
    Case("endless-tags", ("tags", "{host}/endless-tags"), check=sent_at_most("/tags/list", 48 * MB)),
    Case("huge-manifest", ("tree", "{host}/huge-manifest:latest"), check=sent_at_most("/manifests/", 20 * MB)),
    Case("huge-config", ("tree", "{host}/huge-config:latest"), check=sent_at_most("/blobs/", 24 * MB)),
    Case("huge-error", ("tags", "{host}/huge-error"), check=sent_at_most("/tags/list", 16 * MB)),
    Case("slow-tags", ("tags", "{host}/slow-tags"), timeout=2, cost=3),
    Case("slow-manifest", ("tree", "{host}/slow-manifest:latest"), timeout=2, cost=3),
    Case("retry-after-59", ("tags", "{host}/retry-after-59"), timeout=3, cost=3),
    Case("retry-after-1", ("tags", "{host}/retry-after-1"), (0,), notices=(1, 1), check=waited_and_said_so),
    # local state: broken files are a warning at most, never a crash, a hang or a flood
    Case("config-not-utf8", ("tags", "{host}/plain"), (0,), notices=(0, 1), setup=local_file("config/config.json", b"\xff\xfe{")),
    Case("config-deep", ("tags", "{host}/plain"), (0,), notices=(0, 1), setup=local_file("config/config.json", deep_json())),
    Case("docker-config-not-utf8", ("tags", "{host}/plain"), (0,), notices=(0, 1), credential=False,
         setup=local_file("docker/config.json", b"\xff\xfe{")),
    Case("docker-config-deep", ("tags", "{host}/plain"), (0,), notices=(0, 1), credential=False,
         setup=local_file("docker/config.json", deep_json())),
    Case("cache-symlink-dev-zero", ("tree", "{host}/plain@{plain}"), (0,), notices=(0, 1),
         setup=cache_entry(lambda path: path.symlink_to("/dev/zero"))),
    Case("cache-fifo", ("tree", "{host}/plain@{plain}"), (0,), notices=(0, 1), setup=cache_entry(os.mkfifo)),
    Case("helper-300mb", ("tags", "{host}/plain"), (0, 1), notices=(0, 1), credential=False, wall=10,
         setup=credential_helper("exec head -c 300000000 /dev/zero")),
    Case("helper-300mb-from-a-pipeline", ("tags", "{host}/plain"), (0, 1), notices=(0, 1), credential=False, wall=10,
         setup=credential_helper("head -c 300000000 /dev/zero | tr '\\0' a")),
    Case("helper-stderr", ("tags", "{host}/plain", "-v"), (0, 1), notices=(0, 3), credential=False,
         setup=credential_helper(f"printf '{OSC52} {CLEAR} boom' >&2; exit 1")),
]
IDS = [case.id for case in CASES]
assert len(set(IDS)) == len(IDS)


def run_case(case: Case, home: Path) -> Outcome:
    registry = HostileRegistry(screenshot_path=str(home / "pwned.svg")).start()
    try:
        if case.setup:
            case.setup(home, registry)
        plain = registry.shapes.manifests["plain"]["digest"]
        args = [arg.replace("{host}", registry.host).replace("{plain}", plain)
                .replace("{hostile_image}", hostile_image(registry)) for arg in case.args]
        env = {"PATH": f"{home / 'bin'}:/usr/bin:/bin"}
        run = run_cli([*args, "--timeout", f"{case.timeout:g}"], home, credential=case.credential, env=env,
                      kill_after=case.bound + 30)
    finally:
        registry.stop()
    return Outcome(run, registry)


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    """Run every selected case, WORKERS at a time, once for the module."""
    selected = [item.callspec.params["case"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params]
    homes = {case.id: tmp_path_factory.mktemp(case.id) for case in selected}
    longest_first = sorted(selected, key=lambda case: -case.cost)
    with ThreadPoolExecutor(WORKERS) as pool:
        results = pool.map(lambda case: run_case(case, homes[case.id]), longest_first)
        return dict(zip((case.id for case in longest_first), results, strict=False))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hostile_shape(case: Case, outcomes: dict[str, Outcome]) -> None:
    run, registry = outcomes[case.id].run, outcomes[case.id].registry
    PEAKS[f"cli {case.id}"] = run.peak_rss_mb
    where = f"{case.id}: exit {run.code}, {run.seconds:.1f} s, {run.peak_rss_mb:.0f} MB, stderr {run.err[:600]!r}"
    assert "Traceback" not in run.out + run.err, where
    assert "internal error" not in run.err, where
    assert run.code in case.exits, where
    lines = run.err.splitlines()
    if run.code:
        assert len(lines) == 1, where
    else:
        assert case.notices[0] <= len(lines) <= case.notices[1], where
    assert not control_chars(run.stdout), f"{where}: raw control characters on stdout {control_chars(run.stdout)[:5]}"
    assert not control_chars(run.stderr), f"{where}: raw control characters on stderr {control_chars(run.stderr)[:5]}"
    for name, data in {"stdout": run.stdout, "stderr": run.stderr, **run.files}.items():
        assert not secrets_in(data), f"{where}: the canary secret is in {name}"
    assert not registry.leaks(), f"{where}: the credential went elsewhere: {registry.leaks()[:3]}"
    assert not Path(registry.screenshot_path).exists(), where
    assert run.peak_rss_mb < RSS_BOUND_MB, where
    assert run.seconds < case.bound, where
    if case.check:
        case.check(run, registry)
