"""A hostile registry in the browser (the real test bed behind the fault proxy, which answers with
the registry's strings we choose): nothing it sends reaches the terminal raw or as markup, nothing
it sends is copied unless it is a valid digest, and no failure ends the app."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.present.safe import terminal_safe_block
from acrbrowse.ui.clipboard import copyable_digest, copyable_reference
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.raw import RawScreen, pretty_json
from acrbrowse.ui.screens.start import StartScreen
from acrbrowse.ui.tree.nodes import LayerItem
from tests.ui.conftest import (
    DISPLAY_NAME,
    SIZE,
    assert_screen_safe,
    screen_text,
    wait_for,
    write_docker_config,
)

pytestmark = pytest.mark.ui

OSC52 = "\x1b]52;c;ZWNobyBQV05FRA==\x07"  # writes "echo PWNED" to the clipboard
MARKUP = "[@click=app.quit]x[/]"
BIDI = "gnp.\u202eexe"
C1 = "\x9b2J"  # CSI as one C1 byte: clear the screen
HOSTILE = (f"osc{OSC52}", MARKUP, BIDI, f"c1{C1}", "title\x1b]0;pwned\x1b\\", "del\x7f")
JSON = {"Content-Type": "application/json"}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
EMPTY_CONFIG = {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}


def serve_manifest(proxy, repository: str, document: dict, tag: str = "latest") -> str:
    """The proxy answers the manifest by tag and by digest (HEAD and GET) with `document`."""
    body = json.dumps(document).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    headers = {"Content-Type": document.get("mediaType", OCI_MANIFEST), "Docker-Content-Digest": digest}
    proxy.respond(None, rf"^/v2/{re.escape(repository)}/manifests/({tag}|{digest})$", 200, body, headers)
    return digest


def hostile_manifest(layer_digest: str = "sha256:" + "a" * 64) -> dict:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": f"application/x-{OSC52}",
        "config": EMPTY_CONFIG,
        "layers": [{"mediaType": f"application/x-layer{C1}", "digest": layer_digest, "size": 10,
                    "annotations": {f"key{OSC52}": MARKUP, "org.opencontainers.image.title": BIDI}}],
        "annotations": {"org.opencontainers.image.description": f"{OSC52}{MARKUP}", MARKUP: C1},
    }


async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser")


async def test_hostile_repository_names_are_escaped_and_never_markup(make_app, fault_proxy):
    proxy = fault_proxy("anon")
    names = ["aspnetapp", *HOSTILE]
    proxy.respond("GET", r"^/v2/_catalog$", 200, json.dumps({"repositories": names}), JSON)
    app = make_app(proxy.host, display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        assert screen.repos.table.keys == names  # kept exact; only the display is escaped
        # the column widens for the longest name once the rows are in: wait for the names whole
        await wait_for(pilot, lambda: "osc\\x1b]52;c;" in assert_screen_safe(app), what="the names painted whole")
        text = assert_screen_safe(app)
        assert "osc\\x1b]52;c;" in text
        assert "gnp.\\u202eexe" in text and "c1\\x9b2J" in text and MARKUP in text

        # open the markup one: its name is in the tags pane's title, as text, not as a link
        screen.repos.table.cursor = names.index(MARKUP)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.tags.message.display, what="the tags pane's error")
        assert MARKUP in assert_screen_safe(app)
        for x in range(2, 40):  # a click anywhere on the title does nothing
            await pilot.click(screen.tags, offset=(x, 0))
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, BrowserScreen)

        # the escape-laden one: the registry layer refuses to fetch it, the pane says so in one line
        screen.repos.table.focus()
        screen.repos.table.cursor = names.index(HOSTILE[0])
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.tags.repository == HOSTILE[0] and screen.tags.message.display)
        assert_screen_safe(app)


async def test_hostile_tags_annotations_and_media_types_are_escaped(make_app, fault_proxy):
    proxy = fault_proxy("anon")
    tags = ["latest", *HOSTILE]
    proxy.respond("GET", r"^/v2/aspnetapp/tags/list$", 200, json.dumps({"name": "aspnetapp", "tags": tags}), JSON)
    serve_manifest(proxy, "aspnetapp", hostile_manifest())
    app = make_app(f"{proxy.host}/aspnetapp", display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
        assert sorted(screen.tags.tags) == sorted(tags)
        info = screen.tags.info
        await wait_for(pilot, lambda: all(t in info for t in tags), what="every row's details")
        assert info["latest"].kind == "artifact"
        assert all(isinstance(info[t], Exception) for t in HOSTILE)  # never fetched as a tag
        text = assert_screen_safe(app)
        assert "title\\x1b]0;pwn" in text

        screen.tags.table.cursor = screen.tags.table.keys.index("latest")
        await pilot.press("enter")
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="the hostile manifest")
        await wait_for(pilot, lambda: "application/x-\\x1b]52;c;" in (t := screen_text(app)) and MARKUP in t,
                       what="the root's details: annotations, artifact type")
        assert_screen_safe(app)
        await pilot.press("down", "down")  # config, the layer: its media type, annotations, title
        assert isinstance(tree.cursor_node.data, LayerItem)
        await wait_for(pilot, lambda: "application/x-layer\\x9b2J" in (t := screen_text(app)) and "gnp.\\u202eexe" in t,
                       what="the layer's details")
        assert_screen_safe(app)

        await pilot.press("up", "up", "v")  # the raw JSON, from the parsed document
        assert isinstance(app.screen, RawScreen)
        text = assert_screen_safe(app)
        assert "\\u202e" in text
        await pilot.press("escape")
        for x in range(2, 60):  # the tree pane's and the details' titles hold no links either
            await pilot.click(screen.detail, offset=(x, 0))
        assert app.is_running and isinstance(app.screen, BrowserScreen)


async def test_a_hostile_digest_is_never_copied(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    pasted = "sha256:" + "a" * 64 + "\necho PWNED; #"
    serve_manifest(proxy, "aspnetapp", hostile_manifest(layer_digest=pasted))
    app = make_app(f"{proxy.host}/aspnetapp:latest", display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.error is not None, what="the refused manifest")
        assert "\n" not in str(tree.root.data.error)
        await pilot.press("c", "C")
        await wait_for(pilot, lambda: screen_text(app).count("Nothing to copy") == 2, what="c and C refused")
        assert app.clipboard == ""
        assert_screen_safe(app)

        # whatever reaches copy_text is checked once more: no control character, no newline, no space
        refusals = screen_text(app).count("not copied")
        for text in (pasted, "sha256:" + "a" * 64 + OSC52, f"{BIDI}", "a b", ""):
            await app.copy_text(text, "digest")
        await wait_for(pilot, lambda: screen_text(app).count("not copied") >= refusals + 5, what="5 refusals")
        assert app.clipboard == ""
        assert_screen_safe(app)

        # a good one still is
        await app.copy_text(testbed.content.aspnetapp.digest, "digest")
        assert app.clipboard == testbed.content.aspnetapp.digest


@pytest.mark.parametrize("digest", [
    "sha256:" + "a" * 64 + "\necho PWNED; #",
    "sha256:" + "a" * 64 + "\n",
    "sha256:" + "a" * 63 + "\x1b",
    "sha256:" + "A" * 64,
    " sha256:" + "a" * 64,
    "sha256:" + "a" * 32 + "\u202e" + "a" * 31,
    None,
    5,
])
def test_copyable_digest_refuses_anything_but_a_digest(digest):
    with pytest.raises(InvalidReference):
        copyable_digest(digest)
    with pytest.raises(InvalidReference):
        copyable_reference("registry.test:5000", "repo", digest)


def test_copyable_reference_checks_every_part():
    good = "sha256:" + "b" * 64
    assert copyable_reference("registry.test:5000", "a/b", good) == f"registry.test:5000/a/b@{good}"
    assert copyable_digest(good) == good
    for registry, repository in (("registry.test:5000", "a\nb"), ("registry.test:5000", MARKUP),
                                 ("evil\x1b.io", "a"), ("Registry.Test", "a"), ("registry.test:5000", None)):
        with pytest.raises(InvalidReference):
            copyable_reference(registry, repository, good)


def test_raw_json_is_reserialised_and_escaped():
    raw = json.dumps({"a": f"{BIDI}{C1}", "b": ["\x1b"]}).encode()
    text = pretty_json(raw)
    assert json.loads(text.replace("\\u202e", "\u202e").replace("\\x9b", "\x9b")) == json.loads(raw)
    assert terminal_safe_block(text) == text
    deep = "[" * 100_000 + "]" * 100_000  # not re-serialised (too deep): shown as it came, escaped
    assert pretty_json(deep) == deep
    assert "\\x1b" in pretty_json(b"not json \x1b]52;c;AA==\x07")


class ExplodingClient(RegistryClient):
    """A bug deep inside a worker: tag_pages raises something that is no RegistryError, in a frame
    that holds the password in a local (Textual's own traceback would print it)."""

    def tag_pages(self, repository: str, page_size: int = 1000):
        password = self.credential.secret.reveal() if self.credential else None  # noqa: F841 - a local with the secret
        raise RuntimeError(f"unexpected shape in {repository}")


async def test_an_unexpected_error_in_a_worker_is_one_line_and_the_app_goes_on(testbed, make_app, crash_log_dir):
    canary = testbed.users["admin"]
    credential = Credential("admin", Secret(canary), source="test")
    app = make_app(f"{testbed.basic.host}/aspnetapp", credential,
                   client_factory=lambda ref, cred: ExplodingClient(ref, credential=cred, timeout=10.0))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        message = screen.tags.message
        await wait_for(pilot, lambda: message.display, what="the pane's error line")
        line = str(message.render())
        assert line.startswith("internal error (RuntimeError: unexpected shape in aspnetapp)")
        assert "errors.log" in line and "\n" not in line
        # the app goes on: the catalog still loads and another repository opens
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        assert app.is_running and app.return_code is None
        screen.repos.table.focus()
        screen.repos.table.cursor = screen.repos.table.keys.index("public/hello")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.tags.repository == "public/hello" and message.display)
        assert canary not in screen_text(app)
    log = (crash_log_dir / "errors.log").read_text()
    assert "RuntimeError: unexpected shape in aspnetapp" in log and "Traceback" in log
    assert canary not in log and "password" not in log  # no locals


async def test_whatever_escapes_ends_the_app_with_one_line_and_no_locals(make_app, crash_log_dir, capfd):
    app = make_app()
    secret = "canary-in-a-local"

    def broken() -> None:
        token = secret  # noqa: F841 - a local with the secret
        raise ValueError("a bug \x1b]52;c;AA==\x07 here")

    with pytest.raises(ValueError):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
            app.call_later(broken)
            await wait_for(pilot, lambda: not app.is_running, what="the app to end")
    assert app.return_code == 1
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("acrbrowse: internal error (ValueError: a bug \\x1b]52;")
    assert "canary" not in err and "Traceback" not in err and "\x1b]52" not in err
    log = (crash_log_dir / "errors.log").read_text()
    assert "ValueError" in log and "canary-in-a-local" not in log


async def test_hostile_settings_and_helper_notes_on_the_start_screen(make_app, session):
    session.settings.record_recent_registry("contoso.azurecr.io")
    user = base64.b64encode(f"bob{OSC52}:pw".encode()).decode()
    write_docker_config(session, {f"evil{OSC52}.io": {"auth": user}, "ghcr.io": {"auth": user}})
    app = make_app(keymap={"acrbrowse.help": "\x1b]0;pwned\x07", "acrbrowse.quit": "ctrl+q"})
    real = session.known_registries

    def known(notes=None):  # a credential helper's stderr, as the credential layer passes it on
        if notes is not None:
            notes.append(f"docker-credential-evil: {OSC52}{MARKUP}\nsecond line")
        return real(notes)

    session.known_registries = known
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        start = await wait_for(pilot, lambda: isinstance(app.screen, StartScreen) and app.screen)
        await wait_for(pilot, lambda: start.known, what="the known registries")
        text = assert_screen_safe(app)
        assert f"docker-credential-evil: \\x1b]52;c;ZWNobyBQV05FRA==\\x07{MARKUP}\\x0asecond line" in text
        assert "bob\\x1b]52;c;" in text  # a user name from Docker's config


async def test_a_hostile_error_message_from_the_registry(make_app, fault_proxy):
    proxy = fault_proxy("anon")
    errors = {"errors": [{"code": "DENIED", "message": f"no {OSC52}{MARKUP}{BIDI}"}]}
    proxy.respond("GET", r"^/v2/_catalog$", 400, json.dumps(errors), JSON)
    app = make_app(proxy.host, display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.message.display, what="the pane's line")
        assert_screen_safe(app)  # the pane's line and the toast
        line = str(screen.repos.message.render())
        assert f"DENIED: no \\x1b]52;c;ZWNobyBQV05FRA==\\x07{MARKUP}gnp.\\u202eexe" in line


async def test_a_wait_notice_is_shown_escaped(make_app, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.throttle("GET", r"/tags/list$", retry_after=1, times=1)
    app = make_app(f"{proxy.host}/aspnetapp", display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: "429" in screen_text(app), what="the notice that it waits")
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags after the wait")
        app.show_notice(f"{DISPLAY_NAME} says {OSC52}{MARKUP}")
        await wait_for(pilot, lambda: MARKUP in screen_text(app), what="the notice, markup shown as text")
        assert_screen_safe(app)
