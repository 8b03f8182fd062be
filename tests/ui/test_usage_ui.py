"""U in the tags pane: what each tag in view holds alone and shares, from manifests only, checked
against sums the test makes itself from the registry's own JSON; the filter narrows the tags it
counts; on Docker Hub it asks first, and Esc there reads nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.usage import UsageScreen
from tests.ui.conftest import DISPLAY_NAME, SIZE, assert_screen_safe, tags_listed, wait_for
from tests.ui.test_compare_ui import Pair, push_pair

pytestmark = pytest.mark.ui

ACCEPT = ", ".join(("application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"))


def blobs_by_hand(registry: str, repository: str, reference: str) -> dict[str, int]:
    """What a tag reaches, read with plain httpx: the manifest (its bytes), an index's children,
    each image's config and layers."""
    found: dict[str, int] = {}
    with httpx.Client(base_url=f"http://{registry}", timeout=30) as http:
        pending = [reference]
        while pending:
            answer = http.get(f"/v2/{repository}/manifests/{pending.pop()}", headers={"Accept": ACCEPT})
            answer.raise_for_status()
            found[answer.headers["Docker-Content-Digest"]] = len(answer.content)
            document = json.loads(answer.content)
            for child in document.get("manifests", []):
                pending.append(child["digest"])
            for blob in ([document["config"]] if "config" in document else []) + document.get("layers", []):
                found[blob["digest"]] = blob["size"]
    return found


def expected_usage(pair: Pair, tags: list[str]) -> tuple[dict[str, tuple[int, int]], int, int]:
    """({tag: (total, alone)}, unique bytes, shared bytes), summed here apart from the app."""
    blobs = {tag: blobs_by_hand(pair.registry, pair.repository, tag) for tag in tags}
    sizes = {digest: size for found in blobs.values() for digest, size in found.items()}
    holders = {digest: sum(digest in found for found in blobs.values()) for digest in sizes}
    per_tag = {tag: (sum(found.values()), sum(size for digest, size in found.items() if holders[digest] == 1))
               for tag, found in blobs.items()}
    shared = sum(size for digest, size in sizes.items() if holders[digest] > 1)
    return per_tag, sum(sizes.values()), shared


@pytest.fixture(scope="module")
def pair(testbed) -> Pair:
    return push_pair(testbed.anon.host)


async def usage_screen(pilot, app) -> UsageScreen:
    screen = await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen) and app.screen, what="the usage")
    await wait_for(pilot, lambda: screen.state == "done", what="the manifests read")
    await pilot.pause()
    return screen


async def test_usage_of_the_tags_in_view(pair, make_app):
    app = make_app(pair.ref())
    async with app.run_test(size=SIZE) as pilot:
        browser = await tags_listed(pilot)
        browser.tags.table.focus()
        await pilot.press("U")
        screen = await usage_screen(pilot, app)
        per_tag, unique, shared = expected_usage(pair, ["multi", "one", "two"])
        assert screen.usage is not None
        assert {tag: (u.total, u.alone) for tag, u in screen.by_tag.items()} == per_tag
        assert (screen.usage.unique_bytes, screen.usage.shared_bytes) == (unique, shared)
        # "one" and "two" are the index's platforms: nothing of theirs is theirs alone but their manifest bytes
        assert per_tag["multi"][1] < per_tag["multi"][0]
        alone_order = sorted(per_tag, key=lambda tag: (-per_tag[tag][1], tag))
        assert list(screen.table.keys) == alone_order
        assert "✓ adds up" in str(screen.query_one("#usage-info").render())
        await pilot.press("s")  # by total
        assert list(screen.table.keys) == sorted(per_tag, key=lambda tag: (-per_tag[tag][0], tag))
        await pilot.press("s")  # by name
        assert list(screen.table.keys) == ["multi", "one", "two"]
        assert_screen_safe(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="back in the browser")


async def test_usage_counts_only_the_filtered_tags(pair, make_app):
    app = make_app(pair.ref())
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await tags_listed(pilot)
        await pilot.press("slash", *"o")  # "one" and "two"
        await wait_for(pilot, lambda: sorted(browser.tags.table.keys) == ["one", "two"], what="the filter")
        browser.tags.table.focus()
        await pilot.press("U")
        screen = await usage_screen(pilot, app)
        per_tag, unique, shared = expected_usage(pair, ["one", "two"])
        assert {tag: (u.total, u.alone) for tag, u in screen.by_tag.items()} == per_tag
        assert screen.usage is not None and screen.usage.shared_bytes == shared
        assert shared > 0  # the base layer (and nothing else)
        assert "✓ adds up" in assert_screen_safe(app)


async def test_on_docker_hub_it_asks_first(pair, make_app, fault_proxy):
    proxy = fault_proxy(pair.registry)
    hub = proxy.docker_hub(limit=100)

    def hub_client(reference, credential):
        return RegistryClient(reference, credential=credential, timeout=10.0, counts_pulls=True)

    app = make_app(f"{proxy.host}/{pair.repository}", client_factory=hub_client,
                   display_names={proxy.host: DISPLAY_NAME})
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await tags_listed(pilot)
        await wait_for(pilot, lambda: browser.tags.settled(), what="the rows resolved by HEAD")
        browser.tags.table.focus()
        await pilot.press("U")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen) and app.screen, what="the usage")
        await pilot.pause()
        assert screen.state == "asking"
        assert "Reads 3+ manifests: pulls of Docker Hub's quota. Enter goes on, Esc doesn't." in assert_screen_safe(app)
        await pilot.press("escape")  # no: nothing is read
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="back in the browser")
        assert hub.pulls == 0

        await pilot.press("U")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen) and app.screen, what="the usage")
        await pilot.press("enter")
        screen = await usage_screen(pilot, app)
        assert len(screen.by_tag) == 3
        assert hub.pulls >= 3  # one per tag at least (the index's platforms too)


async def test_esc_cancels_the_reading(pair, make_app, fault_proxy):
    proxy = fault_proxy(pair.registry)
    with httpx.Client(base_url=f"http://{pair.registry}", timeout=30) as http:
        index = http.get(f"/v2/{pair.repository}/manifests/multi", headers={"Accept": ACCEPT}).json()
    arm = next(entry["digest"] for entry in index["manifests"] if entry["platform"]["architecture"] == "arm64")
    proxy.delay("GET", rf"/manifests/{arm}$", 30)  # the index's arm64 image answers after 30 s
    app = make_app(f"{proxy.host}/{pair.repository}")
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await tags_listed(pilot)
        browser.tags.table.focus()
        await pilot.press("U")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen) and app.screen, what="the usage")
        await wait_for(pilot, lambda: screen.read == 2, what="the two tags that answer")
        await pilot.pause()
        assert screen.state == "reading"
        text = assert_screen_safe(app)
        assert "2 of 3 tags read · Esc cancels" in text and "Usage of scratch/compare-" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.state == "cancelled", what="cancelled")
        assert isinstance(app.screen, UsageScreen)  # the first Esc cancels, the view stays
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="closed")
