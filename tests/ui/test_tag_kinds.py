"""Issue 14 in the tags pane, against a signed, attested app pushed into the ACR-like scratch registry
(tests/oci/signed.py: cosign `.sig`/`.att` tags and referrers tags on the amd64 manifest of `1.0`):
each row's kind at a glance; the attached tags hidden by name, counted in the title, shown by `a`;
the tag they are about marked signed, SBOM, attested; its details list them."""

from __future__ import annotations

import pytest

from acrbrowse.oci.manifest import Descriptor
from acrbrowse.oci.name import parse_reference
from acrbrowse.ui.taginfo import Attachments, TagHead, kind_cell
from acrbrowse.ui.widgets.tags import ATTACHED_COLUMN
from tests.oci.pushing import referrers_tag
from tests.oci.signed import SignedApp, push_signed_app
from tests.testbed.content import OCI_INDEX, OCI_MANIFEST
from tests.ui.conftest import SIZE, cell, tags_listed, user, wait_for

pytestmark = pytest.mark.ui

SHOWN = ["1.0", "chart", "nested", "wasm"]


@pytest.fixture(scope="module")
def signed(scratch) -> SignedApp:
    return push_signed_app(scratch, "ui-kinds")


def attached_tags(app: SignedApp) -> set[str]:
    amd64 = referrers_tag(app.amd64.digest)
    return {f"{amd64}.sig", f"{amd64}.att", amd64, referrers_tag(app.arm64.digest), referrers_tag(app.sbom.digest)}


async def test_one_row_1_0_marked_signed_sbom_attested_and_a_shows_the_attached_tags(testbed, make_app, scratch,
                                                                                     signed):
    app = make_app(parse_reference(f"{scratch.host}/{signed.repository}"), user(testbed, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await tags_listed(pilot)
        tags = screen.tags
        assert sorted(tags.table.keys) == SHOWN  # five attached tags hidden, from their names alone
        assert "5 attached hidden" in str(tags.border_title)
        assert ATTACHED_COLUMN in tags.table.columns
        # .sig and .att by name; the SBOM from the referrers tags' indexes, read for the row in view
        await wait_for(pilot, lambda: cell(tags, "1.0", "attached") == "signed SBOM attested",
                       what="1.0's marks")
        await wait_for(pilot, lambda: all(cell(tags, tag, "kind") for tag in SHOWN), what="the kinds")
        assert {tag: cell(tags, tag, "kind") for tag in SHOWN} == {
            "1.0": "index", "chart": "Helm chart", "nested": "index", "wasm": "WASM"}
        assert cell(tags, "chart", "attached") == ""

        tags.table.cursor = tags.table.keys.index("1.0")
        details = await wait_for(pilot, lambda: screen.detail.showing and screen.detail.showing[2] == "1.0"
                                 and "Attached" in screen.detail.plain_text() and "SBOM" in screen.detail.plain_text()
                                 and screen.detail.plain_text(), what="1.0's details")
        assert "signature (cosign)" in details and "attestation (cosign)" in details
        for tag in attached_tags(signed) - {referrers_tag(signed.sbom.digest)}:  # the SBOM's own: not about 1.0
            assert tag in details
        assert referrers_tag(signed.sbom.digest) not in details

        tags.table.focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: len(tags.table.keys) == len(SHOWN) + 5, what="the attached tags shown")
        assert set(tags.table.keys) == set(SHOWN) | attached_tags(signed)
        assert "hidden" not in str(tags.border_title)
        assert tags.table.cursor_key == "1.0"  # the cursor stays on its tag
        sig = f"{referrers_tag(signed.amd64.digest)}.sig"
        await wait_for(pilot, lambda: cell(tags, sig, "kind") == "signature", what="the signature's kind")

        await pilot.press("slash", *".sig")  # the filter still works, over the shown attached tags
        await wait_for(pilot, lambda: tags.table.keys == [sig], what="the filtered row")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(tags.table.keys) == len(SHOWN) + 5, what="every row again")

        tags.table.focus()
        await pilot.press("a")  # hidden again
        await wait_for(pilot, lambda: sorted(tags.table.keys) == SHOWN, what="the attached tags hidden")
        assert "5 attached hidden" in str(tags.border_title)

        await pilot.press("slash", *"1.")  # a filter over the hidden tags' names finds no hidden one
        await wait_for(pilot, lambda: tags.table.keys == ["1.0"], what="the filtered row")
        assert "1 of 4" in str(tags.border_title)


def test_on_docker_hub_a_head_only_row_is_marked_from_the_attached_tags_names_alone():
    """Hub rows are HEADs (no manifest): the kind of a cosign tag and the subject's marks come from the
    names; a referrers tag, never read there (a pull), says only "referrers" in the details."""
    subject = "sha256:" + "ab" * 32
    head = TagHead("1.0", Descriptor(OCI_INDEX, subject, 100))
    signature = TagHead(f"sha256-{'ab' * 32}.sig", Descriptor(OCI_MANIFEST, "sha256:" + "cd" * 32, 100))
    attachments = Attachments()
    names = ["1.0", signature.tag, f"sha256-{'ab' * 32}", "sha256-abc.sig", "latest"]
    assert [name for name in names if attachments.add(name)] == [signature.tag, f"sha256-{'ab' * 32}"]
    rows: dict = {"1.0": head, signature.tag: signature}
    assert kind_cell(signature) == "signature" and kind_cell(head) == "index"
    assert attachments.marks(head, rows) == ["signed"]
    assert [a.label for a in attachments.attached(head, rows)] == ["signature (cosign)", "referrers"]
    assert attachments.marks(TagHead("latest", Descriptor(OCI_INDEX, "sha256:" + "ef" * 32, 1)), rows) == []
