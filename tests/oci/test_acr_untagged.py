"""Untagged manifests from ACR's /_manifests (the test bed's ACR layer): platform manifests of a
tagged index and referrers are not orphans; an untagged index holds its own platforms; the bytes
counted are those no tagged manifest shares."""

from __future__ import annotations

import json

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.name import parse_registry
from acrbrowse.oci.source import ManifestMetadata, PlatformRef
from acrbrowse.oci.untagged import find_untagged, untagged_manifests
from acrbrowse.session import Session, SessionOptions
from tests.oci.pushing import artifact, image, push_manifest, scratch_repository
from tests.testbed.content import OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, Blob, Manifest, make_image, make_index


def sharing(base: Manifest, seed: str) -> Manifest:
    """An image with `base`'s layers plus one of its own."""
    own = Blob.of(OCI_LAYER, f"own layer {seed}".encode() * 20)
    config = json.dumps({"architecture": "arm64", "os": "linux", "seed": seed}).encode()
    return make_image(OCI_MANIFEST, OCI_CONFIG, config, [*base.layers, own])


async def test_untagged_leaves_out_platforms_and_referrers(testbed, scratch, tmp_path):
    repo = scratch_repository("untagged")
    kept = image("kept")
    push_manifest(scratch, repo, "kept", kept)
    # a tagged index whose platforms have no tag of their own
    p1, p2 = image("platform-1"), image("platform-2")
    for p in (p1, p2):
        push_manifest(scratch, repo, p.digest, p)
    push_manifest(scratch, repo, "multi", make_index(OCI_INDEX, [p1, p2]))
    # a referrer of a tagged image (OCI 1.1 subject), untagged
    signature = artifact(kept, "application/vnd.dev.cosign.artifact.sig.v1+json", b"signature")
    push_manifest(scratch, repo, signature.digest, signature)
    # orphans: an image sharing kept's layer, and an untagged index with untagged platforms
    orphan = sharing(kept, "orphan")
    push_manifest(scratch, repo, orphan.digest, orphan)
    c1, c2 = image("child-1"), image("child-2")
    for c in (c1, c2):
        push_manifest(scratch, repo, c.digest, c)
    loose_index = make_index(OCI_INDEX, [c1, c2])
    push_manifest(scratch, repo, loose_index.digest, loose_index)

    s = Session(SessionOptions(use_cache=False), env={"ACRBROWSE_CACHE_DIR": str(tmp_path / "c")})
    admin = Credential("admin", Secret(testbed.users["admin"]), source="test")
    async with s.opened(parse_registry(scratch.host), admin) as client:
        listed = [m async for page in s.metadata(client).manifest_metadata_pages(repo) for m in page]
        report = await untagged_manifests(client, repo, listed)

    assert len(listed) == 9
    found = {u.metadata.digest: u for u in report.untagged}
    assert set(found) == {orphan.digest, loose_index.digest}
    assert found[loose_index.digest].children == (c1.digest, c2.digest)
    own_layer = orphan.layers[-1]
    assert found[orphan.digest].exclusive_bytes == len(orphan.raw) + orphan.config.size + own_layer.size
    children_bytes = sum(len(c.raw) + c.config.size + sum(layer.size for layer in c.layers) for c in (c1, c2))
    assert found[loose_index.digest].exclusive_bytes == len(loose_index.raw) + children_bytes
    assert report.exclusive_bytes == sum(u.exclusive_bytes for u in report.untagged)
    assert (report.referrers, report.platforms) == (1, 2)


def test_referrers_tag_contents_are_not_orphans():
    digest = "sha256:" + "a" * 64
    referrer = "sha256:" + "b" * 64
    listed = [ManifestMetadata(digest, tags=("v1",)),
              ManifestMetadata("sha256:" + "c" * 64, tags=("sha256-" + "a" * 64,), references=(PlatformRef(referrer),)),
              ManifestMetadata(referrer)]
    report = find_untagged(listed, {})
    assert report.untagged == ()
