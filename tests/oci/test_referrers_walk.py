"""walk(referrers=True) and referrers_of() on a signed, attested app pushed into a real registry
(distribution 2.8: no referrers API, so the referrers tag schema and cosign's tags are what it has);
the referrers API answer and the ORAS artifact manifest, which 2.8 cannot give, through the fault proxy."""

from __future__ import annotations

import json

import pytest

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.kinds import kind_of
from acrbrowse.oci.manifest import ImageIndex, ImageManifest
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.walk import ImageNode, referrers_of, walk
from acrbrowse.present.render import render_json, render_referrers_text, render_text

from .pushing import push_manifest, scratch_repository
from .signed import PROVENANCE_V1, SignedApp, push_signed_app


@pytest.fixture(scope="module")
def app(scratch_registry) -> SignedApp:
    return push_signed_app(scratch_registry)


def _kinds(nodes: list[ImageNode]) -> dict[str, str]:
    return {n.descriptor.digest: kind_of(n.manifest, tag=n.tag).label for n in nodes if n.manifest is not None}


async def test_the_referrers_of_each_platform_sit_under_that_platform(scratch_registry, app):
    async with RegistryClient(scratch_registry.anon.host) as client:
        tree = await walk(client, parse_reference(f"{scratch_registry.anon.host}/{app.repository}:1.0"), referrers=True)
    assert tree.errors == []
    amd64, arm64, attestation, builder = tree.nodes
    assert _kinds(amd64.referrers) == {
        app.sbom.digest: "SBOM (SPDX)",
        app.provenance.digest: "attestation (SLSA provenance v1)",
        app.notation.digest: "signature (Notation)",
        app.cosign_signature.digest: "signature (cosign)",
        app.cosign_attestation.digest: "attestation (SLSA provenance v0.2)",
    }
    by_digest = {n.descriptor.digest: n for n in amd64.referrers}
    assert by_digest[app.cosign_signature.digest].tag.endswith(".sig")
    assert by_digest[app.sbom.digest].tag is None  # found through the referrers tag, not a cosign tag
    # a referrer of a referrer: the SBOM's own signature
    assert _kinds(by_digest[app.sbom.digest].referrers) == {app.sbom_signature.digest: "signature (Notation)"}
    assert _kinds(arm64.referrers) == {app.cyclonedx.digest: "SBOM (CycloneDX)"}
    assert attestation.referrers == [] and tree.referrers == []
    # buildkit's attestation and builder entries are not platforms
    assert isinstance(tree.root, ImageIndex) and len(tree.root.platforms) == 2
    assert [n.descriptor.reference_type for n in (attestation, builder)] == ["attestation-manifest", "builder"]


async def test_tree_text_shows_referrers_under_their_platform(scratch_registry, app):
    async with RegistryClient(scratch_registry.anon.host) as client:
        tree = await walk(client, parse_reference(f"{scratch_registry.anon.host}/{app.repository}:1.0"), referrers=True)
    text = render_text(tree)
    lines = text.splitlines()
    assert lines[1].endswith("OCI image index, 2 platforms")
    amd = lines.index(f"├── linux/amd64  {app.amd64.digest}")
    arm = lines.index(f"├── linux/arm64  {app.arm64.digest}")
    under_amd = lines[amd:arm]
    assert "│   └── referrers (5)" in under_amd
    assert f"│       ├── SBOM (SPDX)  {app.sbom.digest}" in under_amd
    assert any(line.startswith("│       │   └── referrers (1)") for line in under_amd)
    assert f"│       │       └── signature (Notation)  {app.sbom_signature.digest}" in under_amd
    assert any(f"signature (cosign)  {app.cosign_signature.digest}  (tag sha256-" in line for line in under_amd)
    assert any(f"attestation (SLSA provenance v1)  {app.provenance.digest}" in line for line in under_amd)
    assert "└── attestations (2)" in lines[arm:]
    assert any(line.endswith(f"builder for linux/amd64  {app.builder.digest}") for line in lines)
    out = render_json(tree)
    kinds = {r["digest"]: r["kind"] for r in out["manifests"][0]["referrers"]}
    assert kinds[app.notation.digest] == "signature (Notation)"
    assert out["manifests"][0]["referrers"][0]["subject"]["digest"] == app.amd64.digest
    assert "referrers" not in out  # the index itself has none


async def test_referrers_of_one_manifest_and_by_type(scratch_registry, app):
    host = scratch_registry.anon.host
    async with RegistryClient(host) as client:
        flat = await referrers_of(client, parse_reference(f"{host}/{app.repository}@{app.amd64.digest}"))
        typed = await referrers_of(client, parse_reference(f"{host}/{app.repository}@{app.amd64.digest}"),
                                   artifact_type="application/vnd.dev.cosign.artifact.sig.v1+json")
        typed_notation = await referrers_of(client, parse_reference(f"{host}/{app.repository}@{app.amd64.digest}"),
                                            artifact_type="application/vnd.cncf.notary.signature")
    [node] = flat.nodes
    assert {n.descriptor.digest for n in node.referrers} == {
        app.sbom.digest, app.provenance.digest, app.notation.digest, app.cosign_signature.digest,
        app.cosign_attestation.digest}
    assert all(n.referrers == [] for n in node.referrers)  # not recursive: one level
    assert [n.descriptor.digest for n in typed.nodes[0].referrers] == []  # cosign's tag manifests have no type
    assert [n.descriptor.digest for n in typed_notation.nodes[0].referrers] == [app.notation.digest]
    text = render_referrers_text(flat)
    assert f"SBOM (SPDX)  {app.sbom.digest}" in text


async def test_an_index_s_referrers_recursive_reach_its_platforms(scratch_registry, app):
    host = scratch_registry.anon.host
    async with RegistryClient(host) as client:
        own = await referrers_of(client, parse_reference(f"{host}/{app.repository}:1.0"))
        deep = await referrers_of(client, parse_reference(f"{host}/{app.repository}:1.0"), recursive=True)
    assert own.referrers == [] and own.errors == []
    assert "no referrers" in render_referrers_text(own)
    text = render_referrers_text(deep)
    assert f"linux/amd64  {app.amd64.digest}" in text and f"SBOM (CycloneDX)  {app.cyclonedx.digest}" in text
    assert f"signature (Notation)  {app.sbom_signature.digest}" in text


async def test_the_nested_index_walks_three_deep(scratch_registry, app):
    host = scratch_registry.anon.host
    async with RegistryClient(host) as client:
        tree = await walk(client, parse_reference(f"{host}/{app.repository}:nested"))
    node = tree.nodes[0]
    for expected in app.nested[1:-1]:
        assert node.manifest is not None and node.manifest.digest == expected.digest
        [node] = node.children
    assert node.image is not None and node.image.digest == app.nested[-1].digest
    assert node.config is not None and node.config.architecture == "amd64"
    text = render_text(tree)
    assert text.splitlines()[2:5] == [f"└── index (1 platform)  {app.nested[1].digest}",
                                      f"    └── index (1 platform)  {app.nested[2].digest}",
                                      f"        └── linux/amd64  {app.nested[3].digest}"]
    leaf = render_json(tree)["manifests"][0]["manifests"][0]["manifests"][0]
    assert leaf["digest"] == app.nested[-1].digest and leaf["layers"] and leaf["kind"] == "image"


async def test_helm_and_wasm_kinds(scratch_registry, app):
    host = scratch_registry.anon.host
    async with RegistryClient(host) as client:
        chart = await client.get_manifest(app.repository, "chart")
        wasm = await client.get_manifest(app.repository, "wasm")
        assert isinstance(chart, ImageManifest) and chart.config is not None
        config = await client.get_blob(app.repository, chart.config.digest)
    from acrbrowse.oci.kinds import helm_chart

    assert kind_of(chart).label == "Helm chart" and kind_of(wasm).label == "WASM"
    chart_info = helm_chart(config)
    assert chart_info is not None and chart_info.label == "app 1.0.0"


async def test_the_referrers_api_answer_is_used_where_a_registry_has_it(scratch_registry, fault_proxy, app):
    """A registry with the API: the proxy answers it (with a filter applied) as ACR and zot do."""
    host = scratch_registry.anon.host
    proxy = fault_proxy(host)
    answer = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX,
              "manifests": [{"mediaType": mt.OCI_MANIFEST, "digest": app.provenance.digest, "size": app.provenance.size,
                             "artifactType": "application/vnd.in-toto+json"}]}
    proxy.respond("GET", rf"/referrers/{app.amd64.digest}$", 200, json.dumps(answer),
                  headers={"Content-Type": mt.OCI_INDEX, "OCI-Filters-Applied": "artifactType"})
    proxy.respond("GET", r"/referrers/", 200, json.dumps({**answer, "manifests": []}),
                  headers={"Content-Type": mt.OCI_INDEX})
    async with RegistryClient(proxy.host) as client:
        tree = await referrers_of(client, parse_reference(f"{proxy.host}/{app.repository}@{app.amd64.digest}"),
                                  artifact_type="application/vnd.in-toto+json")
    [node] = tree.nodes
    assert [(n.descriptor.digest, kind_of(n.manifest).label) for n in node.referrers] == [
        (app.provenance.digest, "attestation (SLSA provenance v1)")]
    asked = [entry.path.split("?")[0] for entry in proxy.log]
    assert f"/v2/{app.repository}/manifests/sha256-{app.amd64.digest[7:]}" not in asked  # no tag fallback
    assert PROVENANCE_V1 in render_referrers_text(tree) or "SLSA provenance v1" in render_referrers_text(tree)


async def test_an_oras_artifact_manifest_lists_its_blobs(scratch_registry, fault_proxy):
    """Distribution 2.8 refuses the artifact manifest; the proxy serves one as an older ACR would."""
    repository = scratch_repository("oras-artifact")
    from .pushing import image

    subject = image(repository)
    push_manifest(scratch_registry, repository, "latest", subject)
    raw = json.dumps({
        "mediaType": mt.ORAS_ARTIFACT_MANIFEST, "artifactType": "application/vnd.cncf.notary.signature",
        "blobs": [{"mediaType": "application/jose+json", "digest": "sha256:" + "9" * 64, "size": 32654}],
        "subject": {"mediaType": mt.OCI_MANIFEST, "digest": subject.digest, "size": subject.size},
        "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[\"B7A6\"]"}}).encode()
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.respond("GET", r"/manifests/sig$", 200, raw, headers={"Content-Type": mt.ORAS_ARTIFACT_MANIFEST})
    async with RegistryClient(proxy.host) as client:
        tree = await walk(client, parse_reference(f"{proxy.host}/{repository}:sig"))
    lines = render_text(tree).splitlines()
    assert lines[1].endswith("ORAS artifact manifest, signature (Notation), artifact application/vnd.cncf.notary.signature")
    assert lines[2] == f"refers to {subject.digest}"
    assert f"├── blob 1  sha256:{'9' * 64}  32.7 kB  application/jose+json" in lines
    out = render_json(tree)
    assert out["blobs"][0]["mediaType"] == "application/jose+json" and out["subject"]["digest"] == subject.digest
    assert out["artifactType"] == "application/vnd.cncf.notary.signature"


async def test_the_referrers_tag_reads_as_the_referrers_of_its_subject(scratch_registry, app):
    host = scratch_registry.anon.host
    tag = f"sha256-{app.amd64.digest[7:]}"
    async with RegistryClient(host) as client:
        tree = await walk(client, parse_reference(f"{host}/{app.repository}:{tag}"))
    lines = render_text(tree).splitlines()
    assert lines[1].endswith("OCI image index, 3 artifacts")
    assert lines[2] == f"referrers of {app.amd64.digest}"
    assert any(line.startswith("├── SBOM (SPDX)  ") for line in lines)


class CountingClient(RegistryClient):
    """A real client that counts the registry calls in flight at once."""

    in_flight = peak = 0

    def _counted(name: str):  # noqa: N805  (a decorator factory inside the class body)
        async def call(self, *args, **kwargs):
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                return await getattr(RegistryClient, name)(self, *args, **kwargs)
            finally:
                self.in_flight -= 1
        return call

    manifest_by_digest = _counted("manifest_by_digest")
    referrers = _counted("referrers")
    head_manifest = _counted("head_manifest")
    get_config = _counted("get_config")


async def test_one_limit_holds_for_the_whole_tree_referrers_included(scratch_registry, app):
    """Platforms, nested indexes, referrers and their cosign tags share walk()'s one concurrency limit."""
    async with CountingClient(scratch_registry.anon.host) as client:
        tree = await walk(client, parse_reference(f"{scratch_registry.anon.host}/{app.repository}:1.0"),
                          referrers=True, concurrency=2)
    assert tree.errors == [] and len(tree.nodes[0].referrers) == 5
    assert 1 < client.peak <= 2
