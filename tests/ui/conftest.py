"""UI fixtures: the app wired to the real test bed, with settings, Docker config and keyring kept
in the test's own folder, and the registry's random port shown as a fixed name."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backend
import pytest

from acrbrowse.config import Config
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.name import Reference, parse_reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.session import Session, SessionOptions
from acrbrowse.ui.app import AcrBrowseApp
from acrbrowse.ui.screens.browser import BrowserScreen

SIZE = (160, 45)
# Every test-bed registry is shown under one fixed name, so snapshots do not depend on its port.
DISPLAY_NAME = "registry.test:5000"


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture(autouse=True)
def crash_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The crash log (errors.log) of a UI test goes to the test's own folder."""
    path = tmp_path / "cache"
    monkeypatch.setenv("ACRBROWSE_CACHE_DIR", str(path))
    return path


@pytest.fixture
def keyring_memory() -> MemoryKeyring:
    return MemoryKeyring()


TEST_OPTIONS = SessionOptions(timeout=10.0, use_cache=False)


@pytest.fixture
def session(tmp_path: Path, keyring_memory: MemoryKeyring) -> Session:
    """Settings, Docker config and keyring in the test's own folder; no disk cache."""
    docker = tmp_path / "docker"
    docker.mkdir()
    env = {"ACRBROWSE_CONFIG_DIR": str(tmp_path / "config"), "DOCKER_CONFIG": str(docker),
           "HOME": str(tmp_path), "PATH": ""}
    return Session(TEST_OPTIONS, env=env, settings=Config(tmp_path / "config" / "config.json"),
                   keyring_backend=keyring_memory, include_helper_list=False)


def session_like(session: Session, *, timeout: float | None = None, **kwargs: Any) -> Session:
    """Another session over the same settings, Docker config and keyring, with other options."""
    options = SessionOptions(timeout=timeout or session.options.timeout, use_cache=False)
    return Session(options, env=session.env, settings=session.settings, keyring_backend=session.keyring_backend,
                   include_helper_list=False, **kwargs)


class PinnedCatalogClient(RegistryClient):
    """Lists only the repositories the test bed was filled with: other tests push scratch
    repositories into the shared bed, and a snapshot must not change with them."""

    known: frozenset[str] = frozenset()

    async def _pinned(self, page_size: int):
        async for page in RegistryClient.repository_pages(self, page_size):
            kept = [name for name in page if name in self.known]
            if kept:
                yield kept

    def repository_pages(self, page_size: int = 1000):
        return self._pinned(page_size)


@pytest.fixture
def make_app(testbed, session: Session) -> Callable[..., AcrBrowseApp]:
    """The app on the test bed. `timeout`, `client_factory`, `challenges` and `cache` go to a
    session of its own (over the same settings and keyring); otherwise it uses `session`."""

    def make(target: str | Reference | None = None, credential: Credential | None = None,
             *, pinned_catalog: bool = False, **kwargs: Any) -> AcrBrowseApp:
        start = parse_reference(target) if isinstance(target, str) else target
        if pinned_catalog:
            known = frozenset(testbed.content.repositories)

            def factory(reference, credential):
                client = PinnedCatalogClient(reference, credential=credential, timeout=10.0)
                client.known = known
                return client

            kwargs.setdefault("client_factory", factory)
        own = {key: kwargs.pop(key) for key in ("timeout", "client_factory", "challenges", "cache") if key in kwargs}
        if own:
            kwargs.setdefault("session", session_like(session, **own))
        names = {ep.host: DISPLAY_NAME for ep in (testbed.anon, testbed.basic, testbed.token)}
        kwargs.setdefault("session", session)
        kwargs.setdefault("display_names", names)
        kwargs.setdefault("system_clipboard", False)
        return AcrBrowseApp(start, credential, **kwargs)

    return make


def user(testbed, name: str) -> Credential:
    return Credential(name, Secret(testbed.users[name]), source="test")


async def wait_for(pilot, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Let the app run until predicate() is truthy (network answers come in workers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


async def tags_listed(pilot):
    """The browser, once its tags pane has listed every tag."""
    screen = await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                            what="the browser")
    await wait_for(pilot, lambda: screen.tags.complete, what="the tags")
    return screen


def cell(pane, tag: str, key: str) -> str:
    """What a list pane's row shows in the column `key`, as plain text."""
    column = next(c for c in pane.table.columns if c.key == key)
    return str(pane._render_cell(tag, column))


def write_docker_config(session: Session, auths: dict[str, dict]) -> None:
    path = Path(session.env["DOCKER_CONFIG"]) / "config.json"
    path.write_text(json.dumps({"auths": auths}))


def screen_text(app) -> str:
    """The screen as plain text lines (from the SVG screenshot Textual exports)."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        x, y, text = float(match[1]), float(match[2]), html.unescape(match[3])
        rows.setdefault(y, []).append((x, text.replace("\xa0", " ")))
    return "\n".join("".join(t for _, t in sorted(rows[y])) for y in sorted(rows))


def assert_screen_safe(app) -> str:
    """No control or bidi character on screen (toasts too, with run_test(notifications=True)): the
    text of Textual's own export of every rendered segment. Returns the screen as text."""
    text = screen_text(app)
    svg = app.export_screenshot()
    for raw in ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\x00"):
        assert raw not in svg, f"{raw!r} reached the screen"
    unsafe = re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]", text)
    assert unsafe is None, f"{unsafe[0]!r} reached the screen"
    return text
