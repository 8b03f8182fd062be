"""Kinds at a glance, from manifests shaped as the tools write them (cosign, Notation, buildkit,
oras, Helm, wasm-to-oci, soci-snapshotter): media types and annotations copied from their output."""

from __future__ import annotations

import json

import pytest

from acrbrowse.oci.kinds import Kind, cosign_tag, helm_chart, kind_of, predicate_label
from acrbrowse.oci.manifest import parse_manifest

from . import content as c

D1, D2, D3 = c.fake_digest(1), c.fake_digest(2), c.fake_digest(3)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": c.sha256(b"{}"), "size": 2}
SUBJECT = {"mediaType": OCI_MANIFEST, "digest": D3, "size": 1234}


def _manifest(config: dict, layers: list[dict], **extra) -> bytes:
    return c.encode({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers, **extra})


def _kind(raw: bytes, tag: str | None = None) -> Kind:
    return kind_of(parse_manifest(raw, c.sha256(raw)), tag=tag)


COSIGN_SIGNATURE = _manifest(
    {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 233},
    [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": D2, "size": 248,
      "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQDx…",
                      "dev.sigstore.cosign/bundle": "{\"SignedEntryTimestamp\":\"…\"}",
                      "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\n…"}}])
COSIGN_ATTESTATION = _manifest(
    {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 342},
    [{"mediaType": "application/vnd.dsse.envelope.v1+json", "digest": D2, "size": 10342,
      "annotations": {"dev.cosignproject.cosign/signature": "", "predicateType": "https://slsa.dev/provenance/v0.2"}}])
COSIGN_SBOM = _manifest(
    {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 233},
    [{"mediaType": "text/spdx+json", "digest": D2, "size": 9061}])
NOTATION = _manifest(
    EMPTY, [{"mediaType": "application/jose+json", "digest": D2, "size": 2090}],
    artifactType="application/vnd.cncf.notary.signature", subject=SUBJECT,
    annotations={"io.cncf.notary.x509chain.thumbprint#S256": "[\"b7a69a70…\"]",
                 "org.opencontainers.image.created": "2024-03-01T10:00:00Z"})
ORAS_NOTATION = c.encode({
    "mediaType": "application/vnd.cncf.oras.artifact.manifest.v1+json",
    "artifactType": "application/vnd.cncf.notary.signature",
    "blobs": [{"mediaType": "application/jose+json", "digest": D2, "size": 32654}], "subject": SUBJECT,
    "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[\"B7A69A70…\"]"}})
BUILDKIT_ATTESTATIONS = _manifest(
    {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 167},
    [{"mediaType": "application/vnd.in-toto+json", "digest": D2, "size": 1510,
      "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}},
     {"mediaType": "application/vnd.in-toto+json", "digest": D3, "size": 12080,
      "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}])
BUILDKIT_SBOM_ONLY = _manifest(
    {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 167},
    [{"mediaType": "application/vnd.in-toto+json", "digest": D2, "size": 1510,
      "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}])
ORAS_SPDX = _manifest(EMPTY, [{"mediaType": "application/spdx+json", "digest": D2, "size": 4000,
                               "annotations": {"org.opencontainers.image.title": "sbom.spdx.json"}}],
                      artifactType="application/spdx+json", subject=SUBJECT)
ORAS_CYCLONEDX = _manifest(EMPTY, [{"mediaType": "application/vnd.cyclonedx+json", "digest": D2, "size": 4000}],
                           artifactType="application/vnd.cyclonedx+json", subject=SUBJECT)
ORAS_PROVENANCE = _manifest(EMPTY, [{"mediaType": "application/vnd.in-toto+json", "digest": D2, "size": 4000,
                                     "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v1"}}],
                            artifactType="application/vnd.in-toto+json", subject=SUBJECT)
SIGSTORE_BUNDLE = _manifest(EMPTY, [{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "digest": D2,
                                     "size": 4000}],
                            artifactType="application/vnd.dev.sigstore.bundle.v0.3+json", subject=SUBJECT,
                            annotations={"dev.sigstore.bundle.content": "dsse-envelope",
                                         "dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"})
HELM = _manifest({"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": D1, "size": 117},
                 [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": D2, "size": 3631}])
WASM = _manifest({"mediaType": "application/vnd.wasm.config.v0+json", "digest": D1, "size": 300},
                 [{"mediaType": "application/vnd.wasm.content.layer.v1+wasm", "digest": D2, "size": 2000000,
                   "annotations": {"org.opencontainers.image.title": "module.wasm"}}])
SOCI = _manifest(EMPTY, [{"mediaType": "application/vnd.amazon.soci.ztoc.v1+octet-stream", "digest": D2,
                          "size": 2000}],
                 artifactType="application/vnd.amazon.soci.index.v2+json", subject=SUBJECT)
GENERIC = _manifest(EMPTY, [{"mediaType": "application/octet-stream", "digest": D2, "size": 10}],
                    artifactType="application/vnd.example.readme+markdown")
IMAGE = c.image_manifest(c.image_config())


@pytest.mark.parametrize(("raw", "label"), [
    (COSIGN_SIGNATURE, "signature (cosign)"),
    (COSIGN_ATTESTATION, "attestation (SLSA provenance v0.2)"),
    (COSIGN_SBOM, "SBOM (SPDX)"),
    (NOTATION, "signature (Notation)"),
    (ORAS_NOTATION, "signature (Notation)"),
    (BUILDKIT_ATTESTATIONS, "attestation (SPDX SBOM, SLSA provenance v0.2)"),
    (BUILDKIT_SBOM_ONLY, "SBOM (SPDX in-toto)"),
    (ORAS_SPDX, "SBOM (SPDX)"),
    (ORAS_CYCLONEDX, "SBOM (CycloneDX)"),
    (ORAS_PROVENANCE, "attestation (SLSA provenance v1)"),
    (SIGSTORE_BUNDLE, "attestation (SLSA provenance v1)"),
    (HELM, "Helm chart"),
    (WASM, "WASM"),
    (SOCI, "SOCI index"),
    (GENERIC, "artifact (application/vnd.example.readme+markdown)"),
    (IMAGE, "image"),
])
def test_kind_at_a_glance(raw, label):
    kind = _kind(raw)
    assert kind.label == label
    assert kind.is_attached == (kind.name in ("signature", "SBOM", "attestation"))


def test_an_index_counts_platforms_not_attestations_or_builder_entries():
    amd, arm = c.image_manifest(c.image_config()), c.image_manifest(c.image_config(architecture="arm64"))
    builder = {**c.platform_entry(arm, "unknown", "unknown"),
               "annotations": {"vnd.docker.reference.type": "builder", "vnd.docker.reference.digest": c.sha256(amd)}}
    raw = c.index([c.platform_entry(amd, "linux", "amd64"), c.platform_entry(arm, "linux", "arm64"),
                   c.attestation_entry(c.attestation_manifest(c.sha256(amd)), c.sha256(amd)), builder])
    index = parse_manifest(raw, c.sha256(raw))
    assert kind_of(index).label == "index (2 platforms)"
    assert [d.reference_type for d in index.attestations] == ["attestation-manifest", "builder"]


def test_an_index_with_an_artifact_type_says_it():
    raw = c.index([c.platform_entry(IMAGE, "linux", "amd64")], artifactType="application/vnd.example.bundle")
    assert _kind(raw).label == "index (application/vnd.example.bundle, 1 entry)"


def test_an_unrecognised_image_shaped_manifest_under_a_cosign_tag_is_the_tag_s_kind():
    odd = _manifest({"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 2},
                    [{"mediaType": "application/octet-stream", "digest": D2, "size": 3}])
    assert _kind(odd, tag=f"sha256-{'a' * 64}.att").label == "attestation (cosign)"
    assert _kind(odd, tag="v1.att").label == "image"


def test_cosign_tags_name_their_subject():
    assert cosign_tag(f"sha256-{'a' * 64}.sig") == (f"sha256:{'a' * 64}", "signature")
    assert cosign_tag(f"sha256-{'b' * 64}.sbom") == (f"sha256:{'b' * 64}", "SBOM")
    assert cosign_tag(f"sha256-{'a' * 64}") is None  # the referrers tag schema: an index, not a cosign tag
    assert cosign_tag(f"sha256-{'A' * 64}.sig") is None
    assert cosign_tag("latest.sig") is None


def test_helm_chart_name_and_version_from_its_config():
    config = json.dumps({"apiVersion": "v2", "name": "podinfo", "version": "6.5.4", "appVersion": "6.5.4",
                         "description": "Podinfo Helm chart for Kubernetes", "type": "application"}).encode()
    chart = helm_chart(config)
    assert chart is not None and chart.label == "podinfo 6.5.4"
    assert helm_chart(b"[]") is None and helm_chart(b"not json") is None and helm_chart(b'{"name": 3}') is None


def test_predicate_labels():
    assert predicate_label("https://slsa.dev/provenance/v1") == "SLSA provenance v1"
    assert predicate_label("https://example.com/custom/v1") == "https://example.com/custom/v1"


def test_the_oras_artifact_manifest_lists_its_blobs():
    manifest = parse_manifest(ORAS_NOTATION, c.sha256(ORAS_NOTATION))
    assert manifest.kind == "artifact" and manifest.is_artifact_manifest
    assert manifest.config is None and [b.media_type for b in manifest.layers] == ["application/jose+json"]
    assert manifest.subject is not None and manifest.subject.digest == D3
    assert manifest.artifact_type == "application/vnd.cncf.notary.signature"


def test_the_referrers_tag_schema_names_its_subject():
    from acrbrowse.oci.kinds import referrers_tag

    assert referrers_tag(f"sha256-{'a' * 64}") == f"sha256:{'a' * 64}"
    assert referrers_tag(f"sha256-{'a' * 64}.sig") is None and referrers_tag("latest") is None


def test_an_index_of_artifacts_counts_artifacts_not_platforms():
    raw = c.index([c.descriptor(OCI_MANIFEST, c.sha256(m), len(m), artifactType=t)
                   for m, t in ((NOTATION, "application/vnd.cncf.notary.signature"), (ORAS_SPDX, "application/spdx+json"))])
    assert _kind(raw).label == "index (2 artifacts)"
