"""The tree's "referrers" branch: under a platform manifest, its signatures, SBOMs and provenance
(found by the referrers tag schema and cosign's tags on distribution 2.8), each with its kind and
what a look inside found; asked for only when expanded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.tree.nodes import EntryItem, ReferrerItem, ReferrersGroup
from tests.oci.pushing import ScratchRegistry
from tests.oci.signed import SIGNER, SignedApp, push_signed_app
from tests.ui.conftest import SIZE, assert_screen_safe, wait_for

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> Iterator[tuple[str, SignedApp]]:
    registry = ScratchRegistry(tmp_path_factory.mktemp("signed-ui")).start()
    try:
        yield registry.anon.host, push_signed_app(registry)
    finally:
        registry.stop()


def referrers_of(node) -> object:
    return next(child for child in node.children if isinstance(child.data, ReferrersGroup))


async def test_a_platform_s_referrers_are_listed_with_their_kinds_when_expanded(signed, make_app):
    host, content = signed
    app = make_app(f"{host}/{content.repository}:1.0")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.root.data.manifest is not None and tree.root.children, what="the index")
        amd64 = next(child for child in tree.root.children
                     if isinstance(child.data, EntryItem) and "linux/amd64" in child.label.plain)
        amd64.expand()
        await wait_for(pilot, lambda: any(isinstance(child.data, ReferrersGroup) for child in amd64.children),
                       what="linux/amd64's parts")
        group = referrers_of(amd64)
        assert group.label.plain == "referrers" and not group.children  # not asked before it is opened
        group.expand()
        await wait_for(pilot, lambda: group.label.plain.startswith("referrers (") and group.children
                       and isinstance(group.children[0].data, ReferrerItem), what="the referrers")
        lines = [child.label.plain for child in group.children]
        assert group.label.plain == f"referrers ({len(lines)})"
        found = "\n".join(lines)
        assert "signature" in found and "SBOM" in found and "provenance" in found.lower()
        assert "3 packages" in found  # the SPDX SBOM, looked inside
        digests = {child.data.digest for child in group.children}
        assert content.cosign_signature.digest in digests and content.sbom.digest in digests
        tree.move_cursor(next(child for child in group.children if child.data.digest == content.cosign_signature.digest))
        await wait_for(pilot, lambda: SIGNER in screen.detail.plain_text(), what="the signer in the details")
        assert "not verified" in screen.detail.plain_text()
        assert_screen_safe(app)
