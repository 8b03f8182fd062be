"""render_text / render_json on hand-built manifest trees."""

import json

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import ManifestNotFound
from acrbrowse.oci.manifest import parse_manifest
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.walk import ImageNode, ManifestTree
from acrbrowse.present.render import node_label, render_json, render_text
from tests.oci import content as c


def _parsed(raw: bytes):
    return parse_manifest(raw, c.sha256(raw))


def _index_tree():
    amd = c.image_manifest(c.image_config(), (1000, 2000))
    arm = c.image_manifest(c.image_config(architecture="arm64"), (5,))
    att = c.attestation_manifest(c.sha256(amd))
    raw = c.index([
        c.platform_entry(amd, "linux", "amd64"),
        c.platform_entry(arm, "linux", "arm64", variant="v8"),
        c.attestation_entry(att, c.sha256(amd)),
    ], annotations={"org.opencontainers.image.version": "1.2"})
    root = _parsed(raw)
    nodes = [
        ImageNode(root.manifests[0], _parsed(amd)),
        ImageNode(root.manifests[1], error=ManifestNotFound(f"app@{c.sha256(arm)[:19]} not found on x.io")),
        ImageNode(root.manifests[2], _parsed(att)),
    ]
    return ManifestTree(parse_reference("x.io/app:v1"), root, nodes), (amd, arm, att, raw)


def test_render_text_index_with_attestations_and_an_error():
    tree, (amd, arm, att, raw) = _index_tree()
    text = render_text(tree)
    lines = text.splitlines()
    assert lines[0] == "x.io/app:v1"
    assert lines[1] == f"{c.sha256(raw)}  OCI image index, 2 platforms"
    assert lines[2:4] == ["├── annotations (1)", "│   └── org.opencontainers.image.version: 1.2"]
    assert lines[4] == f"├── linux/amd64  {c.sha256(amd)}"
    assert f"│   ├── config  {c.sha256(c.image_config())}  " in text
    assert f"│   ├── layer 1  {c.fake_digest(100)}  1.0 kB" in lines
    assert "│   └── total  2 layers, 3.0 kB" in lines
    assert f"├── linux/arm64/v8  {c.sha256(arm)}" in lines
    assert f"│   └── error: app@{c.sha256(arm)[:19]} not found on x.io" in lines
    assert "└── attestations (1)" in lines
    assert f"    └── attestation for linux/amd64  {c.sha256(att)}" in lines
    assert f"        ├── layer 1  {c.fake_digest(900)}  1.2 kB  https://spdx.dev/Document" in lines
    assert lines[-1] == "        └── total  1 layer, 1.2 kB"
    # the attestation is drawn under its own heading, after the platforms
    assert text.index("attestations (1)") > text.index("linux/arm64/v8")


def test_render_json_index():
    tree, (amd, arm, att, raw) = _index_tree()
    out = render_json(tree)
    json.dumps(out)  # serialisable
    assert out["reference"] == "x.io/app:v1"
    assert out["mediaType"] == mt.OCI_INDEX and out["digest"] == c.sha256(raw) and out["size"] == len(raw)
    assert out["annotations"] == {"org.opencontainers.image.version": "1.2"}
    first, failed, attestation = out["manifests"]
    assert first["platform"] == {"architecture": "amd64", "os": "linux"}
    assert first["totalSize"] == 3000 and [layer["size"] for layer in first["layers"]] == [1000, 2000]
    assert first["config"]["digest"] == c.sha256(c.image_config())
    assert "attestation" not in first and "error" not in first
    assert failed["error"].endswith("not found on x.io") and "layers" not in failed
    assert failed["platform"]["variant"] == "v8"
    assert attestation["attestation"] is True
    assert attestation["annotations"][mt.REFERENCE_DIGEST_ANNOTATION] == c.sha256(amd)


def test_single_image():
    raw = c.image_manifest(c.image_config(), (999, 1536, 2_500_000), media_type=mt.DOCKER_MANIFEST,
                           config_type=mt.DOCKER_CONFIG)
    image = _parsed(raw)
    tree = ManifestTree(parse_reference("localhost:5000/app:v1"), image, [ImageNode(image.descriptor(), image)])
    lines = render_text(tree).splitlines()
    assert lines[:2] == ["localhost:5000/app:v1", f"{c.sha256(raw)}  Docker image manifest"]
    assert lines[2].startswith(f"├── config  {c.sha256(c.image_config())}")
    assert lines[3:] == [
        f"├── layer 1  {c.fake_digest(100)}  999 B",
        f"├── layer 2  {c.fake_digest(101)}  1.5 kB",
        f"├── layer 3  {c.fake_digest(102)}  2.5 MB",
        "└── total  3 layers, 2.5 MB",
    ]
    out = render_json(tree)
    assert out["mediaType"] == mt.DOCKER_MANIFEST and out["totalSize"] == 999 + 1536 + 2_500_000
    assert "manifests" not in out and "artifactType" not in out and "subject" not in out


def test_artifact_with_subject():
    raw = c.encode({
        "schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": c.SBOM_TYPE,
        "config": c.descriptor(mt.OCI_EMPTY, c.fake_digest(3), 2),
        "layers": [c.descriptor(c.SBOM_TYPE, c.fake_digest(4), 4200)],
        "subject": c.descriptor(mt.OCI_MANIFEST, c.fake_digest(9), 3),
        "annotations": {"org.example.kind": "sbom"},
    })
    artifact = _parsed(raw)
    tree = ManifestTree(parse_reference("x.io/app@" + c.sha256(raw)), artifact, [ImageNode(artifact.descriptor(), artifact)])
    lines = render_text(tree).splitlines()
    assert lines[1] == f"{c.sha256(raw)}  OCI image manifest, SBOM (SPDX), artifact {c.SBOM_TYPE}"
    assert lines[2] == f"refers to {c.fake_digest(9)}"
    assert f"├── layer 1  {c.fake_digest(4)}  4.2 kB  {c.SBOM_TYPE}" in lines
    out = render_json(tree)
    assert out["artifactType"] == c.SBOM_TYPE
    assert out["subject"]["digest"] == c.fake_digest(9)
    assert out["annotations"] == {"org.example.kind": "sbom"}


def test_helm_chart_and_untyped_artifact_labels():
    helm = _parsed(c.encode({
        "schemaVersion": 2,
        "config": c.descriptor(c.HELM_CONFIG, c.fake_digest(2), 120),
        "layers": [c.descriptor(c.HELM_LAYER, c.fake_digest(3), 4096)],
    }))
    assert node_label(ImageNode(helm.descriptor(), helm)) == "Helm chart"
    untyped = _parsed(c.encode({
        "schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
        "config": c.descriptor(mt.OCI_EMPTY, c.fake_digest(3), 2), "layers": [],
    }))
    assert node_label(ImageNode(untyped.descriptor(), untyped)) == "artifact"
    tree = ManifestTree(parse_reference("x.io/thing:v1"), untyped, [ImageNode(untyped.descriptor(), untyped)])
    assert "None" not in render_text(tree)
    assert render_text(tree).splitlines()[1].endswith("OCI image manifest, artifact")


def test_legacy_and_unknown_roots():
    legacy_raw = c.encode({"schemaVersion": 1, "name": "app", "tag": "old", "fsLayers": [{"blobSum": c.fake_digest(1)}]})
    legacy = parse_manifest(legacy_raw, c.sha256(legacy_raw), mt.DOCKER_SCHEMA1)
    tree = ManifestTree(parse_reference("x.io/app:old"), legacy, [ImageNode(legacy.descriptor(), legacy)])
    assert "└── legacy schema 1 manifest, 1 layers (sizes unknown)" in render_text(tree).splitlines()
    assert render_json(tree)["raw"] == legacy_raw.decode()
    unknown_raw = c.encode({"mediaType": "application/vnd.example+json"})
    unknown = parse_manifest(unknown_raw, c.sha256(unknown_raw))
    tree = ManifestTree(parse_reference("x.io/app:u"), unknown, [ImageNode(unknown.descriptor(), unknown)])
    assert "unknown media type application/vnd.example+json" in render_text(tree)


def test_nested_index_and_unfetched_entry():
    inner = c.index([])
    outer = c.index([c.descriptor(mt.OCI_INDEX, c.sha256(inner), len(inner)),
                     c.descriptor(mt.OCI_MANIFEST, c.fake_digest(8), 10)])
    root = _parsed(outer)
    tree = ManifestTree(parse_reference("x.io/app:v1"), root,
                        [ImageNode(root.manifests[0], _parsed(inner)), ImageNode(root.manifests[1])])
    text = render_text(tree)
    assert f"├── index (0 platforms)  {c.sha256(inner)}" in text
    assert f"└── manifest  {c.fake_digest(8)}" in text
    assert render_text(tree).splitlines()[1].endswith("OCI image index, 2 platforms")
    out = render_json(tree)
    assert "raw" not in out["manifests"][0] and "error" not in out["manifests"][1]


def test_attestation_for_an_unknown_subject_shows_its_digest():
    att = c.attestation_manifest(c.fake_digest(77))
    raw = c.index([c.attestation_entry(att, c.fake_digest(77))])
    root = _parsed(raw)
    assert node_label(ImageNode(root.manifests[0]), root) == f"attestation for sha256:{'0' * 12}"
    assert render_text(ManifestTree(parse_reference("x.io/a:b"), root, [ImageNode(root.manifests[0])])) \
        .splitlines()[1].endswith("OCI image index, 0 platforms")
