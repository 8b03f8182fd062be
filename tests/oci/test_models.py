"""Manifests and configs parsed from the registry's JSON."""

import json

import pytest

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import MalformedResponse
from acrbrowse.oci.manifest import (
    Descriptor,
    ImageIndex,
    ImageManifest,
    LegacyManifest,
    Platform,
    UnknownManifest,
    manifest_media_type,
    parse_config,
    parse_manifest,
)
from tests.oci import content as c

DIGEST = c.fake_digest(1)


def _docker_list() -> bytes:
    linux = c.image_manifest(c.image_config(), media_type=mt.DOCKER_MANIFEST, config_type=mt.DOCKER_CONFIG)
    arm = c.image_manifest(c.image_config(architecture="arm64"), media_type=mt.DOCKER_MANIFEST,
                           config_type=mt.DOCKER_CONFIG)
    windows = c.image_manifest(c.image_config(os="windows"), media_type=mt.DOCKER_MANIFEST,
                               config_type=mt.DOCKER_CONFIG)
    return c.index([
        c.platform_entry(linux, "linux", "amd64", media_type=mt.DOCKER_MANIFEST),
        c.platform_entry(arm, "linux", "arm64", media_type=mt.DOCKER_MANIFEST, variant="v8"),
        c.platform_entry(windows, "windows", "amd64", media_type=mt.DOCKER_MANIFEST,
                         **{"os.version": "10.0.17763.5329", "os.features": ["win32k"]}),
    ], media_type=mt.DOCKER_MANIFEST_LIST)


def test_docker_manifest_list_platforms():
    raw = _docker_list()
    manifest = parse_manifest(raw, c.sha256(raw))
    assert isinstance(manifest, ImageIndex)
    assert manifest.kind == "index"
    assert manifest.media_type == mt.DOCKER_MANIFEST_LIST
    assert manifest.digest == c.sha256(raw) and manifest.size == len(raw) and manifest.raw == raw
    assert [d.platform.label for d in manifest.platforms] == [
        "linux/amd64", "linux/arm64/v8", "windows/amd64 10.0.17763.5329"]
    assert manifest.attestations == ()
    windows = manifest.manifests[2].platform
    assert windows.os_version == "10.0.17763.5329" and windows.os_features == ("win32k",)
    assert windows.os == "windows"
    assert all(d.media_type == mt.DOCKER_MANIFEST for d in manifest.manifests)


def test_oci_index_with_buildkit_attestations():
    amd = c.image_manifest(c.image_config())
    arm = c.image_manifest(c.image_config(architecture="arm64"))
    att_amd = c.attestation_manifest(c.sha256(amd))
    att_arm = c.attestation_manifest(c.sha256(arm))
    raw = c.index([
        c.platform_entry(amd, "linux", "amd64"),
        c.platform_entry(arm, "linux", "arm64", variant="v8"),
        c.attestation_entry(att_amd, c.sha256(amd)),
        c.attestation_entry(att_arm, c.sha256(arm)),
    ], annotations={"org.opencontainers.image.created": "2024-05-01"})
    manifest = parse_manifest(raw, c.sha256(raw), "application/vnd.oci.image.index.v1+json")
    assert isinstance(manifest, ImageIndex)
    assert [d.digest for d in manifest.platforms] == [c.sha256(amd), c.sha256(arm)]
    assert [d.digest for d in manifest.attestations] == [c.sha256(att_amd), c.sha256(att_arm)]
    assert all(d.is_attestation and d.platform.label == "unknown/unknown" for d in manifest.attestations)
    assert [d.attests for d in manifest.attestations] == [c.sha256(amd), c.sha256(arm)]
    assert manifest.platforms[0].attests is None and not manifest.platforms[0].is_attestation
    assert manifest.annotations == {"org.opencontainers.image.created": "2024-05-01"}
    assert len(manifest.manifests) == 4


def test_unknown_platform_without_the_annotation_is_a_platform():
    other = c.descriptor(mt.OCI_MANIFEST, c.fake_digest(5), 10, platform={"os": "unknown", "architecture": "unknown"})
    raw = c.index([other])
    manifest = parse_manifest(raw, DIGEST)
    assert len(manifest.platforms) == 1 and manifest.attestations == ()


def test_oci_image_with_annotations_artifact_type_and_subject():
    config = c.image_config()
    subject = c.descriptor(mt.OCI_MANIFEST, c.fake_digest(7), 512)
    raw = c.image_manifest(config, (10, 20, 30), annotations={"org.example": "yes"}, subject=subject,
                           artifactType=c.SBOM_TYPE)
    manifest = parse_manifest(raw, DIGEST)
    assert isinstance(manifest, ImageManifest)
    assert manifest.annotations == {"org.example": "yes"}
    assert manifest.artifact_type == c.SBOM_TYPE
    assert manifest.subject == Descriptor(mt.OCI_MANIFEST, c.fake_digest(7), 512)
    assert manifest.is_artifact and manifest.kind == "artifact"
    assert manifest.effective_artifact_type == c.SBOM_TYPE
    assert manifest.compressed_size == 60
    assert manifest.config.digest == c.sha256(config)


def test_plain_image_is_not_an_artifact():
    raw = c.image_manifest(c.image_config(), (5, 7))
    manifest = parse_manifest(raw, DIGEST)
    assert not manifest.is_artifact and manifest.kind == "image"
    assert manifest.effective_artifact_type is None
    assert manifest.subject is None and manifest.annotations == {}
    assert [layer.size for layer in manifest.layers] == [5, 7]


def test_docker_image_manifest():
    raw = c.image_manifest(c.image_config(), media_type=mt.DOCKER_MANIFEST, config_type=mt.DOCKER_CONFIG)
    manifest = parse_manifest(raw, DIGEST)
    assert isinstance(manifest, ImageManifest) and manifest.media_type == mt.DOCKER_MANIFEST
    assert not manifest.is_artifact


def test_helm_chart_is_an_artifact_by_its_config_type():
    raw = c.encode({
        "schemaVersion": 2,
        "config": c.descriptor(c.HELM_CONFIG, c.fake_digest(2), 120),
        "layers": [c.descriptor(c.HELM_LAYER, c.fake_digest(3), 4096)],
    })
    manifest = parse_manifest(raw, DIGEST, "application/vnd.oci.image.manifest.v1+json")
    assert isinstance(manifest, ImageManifest)
    assert manifest.is_artifact
    assert manifest.effective_artifact_type == c.HELM_CONFIG


def test_empty_config_with_artifact_type():
    raw = c.encode({
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
        "config": c.descriptor(mt.OCI_EMPTY, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2),
        "layers": [],
    })
    manifest = parse_manifest(raw, DIGEST)
    assert manifest.is_artifact
    assert manifest.effective_artifact_type == "application/vnd.dev.cosign.artifact.sig.v1+json"


def test_media_type_comes_from_the_body_first():
    raw = c.image_manifest(c.image_config(), media_type=mt.DOCKER_MANIFEST, config_type=mt.DOCKER_CONFIG)
    assert manifest_media_type(json.loads(raw), mt.OCI_INDEX) == mt.DOCKER_MANIFEST
    assert isinstance(parse_manifest(raw, DIGEST, mt.OCI_INDEX), ImageManifest)


def test_media_type_then_from_content_type():
    body = {"schemaVersion": 2, "manifests": []}
    assert manifest_media_type(body, "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8") \
        == mt.DOCKER_MANIFEST_LIST
    manifest = parse_manifest(c.encode(body), DIGEST, mt.DOCKER_MANIFEST_LIST)
    assert isinstance(manifest, ImageIndex) and manifest.media_type == mt.DOCKER_MANIFEST_LIST


@pytest.mark.parametrize("content_type", [None, "", "application/json", "text/plain; charset=utf-8",
                                          "application/octet-stream"])
def test_media_type_then_from_the_shape(content_type):
    as_index = {"schemaVersion": 2, "manifests": []}
    as_image = {"schemaVersion": 2, "config": c.descriptor(mt.OCI_CONFIG, DIGEST, 1), "layers": []}
    schema1 = {"schemaVersion": 1, "name": "app", "tag": "v1", "fsLayers": []}
    signed = {**schema1, "signatures": []}
    assert manifest_media_type(as_index, content_type) == mt.OCI_INDEX
    assert manifest_media_type(as_image, content_type) == mt.OCI_MANIFEST
    assert manifest_media_type(schema1, content_type) == mt.DOCKER_SCHEMA1
    assert manifest_media_type(signed, content_type) == mt.DOCKER_SCHEMA1_SIGNED
    assert isinstance(parse_manifest(c.encode(as_index), DIGEST, content_type), ImageIndex)
    assert isinstance(parse_manifest(c.encode(as_image), DIGEST, content_type), ImageManifest)


def test_schema1_is_a_legacy_manifest():
    raw = c.encode({
        "schemaVersion": 1, "name": "team/app", "tag": "old", "architecture": "amd64",
        "fsLayers": [{"blobSum": c.fake_digest(1)}, {"blobSum": c.fake_digest(2)}],
        "history": [], "signatures": [{"header": {}}],
    })
    manifest = parse_manifest(raw, DIGEST, mt.DOCKER_SCHEMA1_SIGNED)
    assert isinstance(manifest, LegacyManifest) and manifest.kind == "legacy"
    assert (manifest.name, manifest.tag, manifest.architecture) == ("team/app", "old", "amd64")
    assert manifest.blob_sums == (c.fake_digest(1), c.fake_digest(2))


@pytest.mark.parametrize("content_type", ["application/vnd.example.thing.v1+json", None])
def test_unknown_media_type_is_kept_raw(content_type):
    raw = c.encode({"schemaVersion": 2, "mediaType": "application/vnd.example.thing.v1+json", "stuff": [1, 2]})
    manifest = parse_manifest(raw, DIGEST, content_type)
    assert isinstance(manifest, UnknownManifest)
    assert manifest.kind == "unknown" and manifest.raw == raw
    assert manifest.media_type == "application/vnd.example.thing.v1+json"


def test_json_that_is_not_an_object_is_unknown_without_a_claimed_type():
    manifest = parse_manifest(b"[1, 2, 3]", DIGEST, "application/json")
    assert isinstance(manifest, UnknownManifest)


def test_descriptor_media_type_is_a_manifest_type():
    manifest = parse_manifest(c.image_manifest(c.image_config()), DIGEST)
    assert manifest.descriptor() == Descriptor(mt.OCI_MANIFEST, DIGEST, manifest.size)


@pytest.mark.parametrize(
    "body",
    [
        {"mediaType": mt.OCI_INDEX, "manifests": "nope"},
        {"mediaType": mt.OCI_INDEX},
        {"mediaType": mt.OCI_INDEX, "manifests": [{"mediaType": mt.OCI_MANIFEST, "size": 3}]},
        {"mediaType": mt.OCI_INDEX, "manifests": ["sha256:abc"]},
        {"mediaType": mt.OCI_INDEX, "manifests": [{"digest": DIGEST, "size": -1}]},
        {"mediaType": mt.OCI_INDEX, "manifests": [{"digest": DIGEST, "size": "12"}]},
        {"mediaType": mt.OCI_INDEX, "manifests": [{"digest": DIGEST, "size": True}]},
        {"mediaType": mt.OCI_INDEX, "manifests": [{"digest": DIGEST, "size": 1, "urls": 5}]},
        {"mediaType": mt.OCI_INDEX, "manifests": [], "subject": {"size": 1}},
        {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, DIGEST, 1)},
        {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, DIGEST, 1), "layers": {"a": 1}},
        {"mediaType": mt.OCI_MANIFEST, "layers": []},
        {"mediaType": mt.OCI_MANIFEST, "config": "sha256:abc", "layers": []},
        {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, DIGEST, 1), "layers": [None]},
        {"mediaType": mt.DOCKER_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, DIGEST, 1),
         "layers": [{"digest": DIGEST, "size": 1, "platform": {"os.features": 7}}]},
        {"mediaType": mt.DOCKER_SCHEMA1, "fsLayers": 5},
    ],
)
def test_malformed_shapes_raise_malformed_response(body):
    with pytest.raises(MalformedResponse) as caught:
        parse_manifest(c.encode(body), DIGEST)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b""])
def test_not_json_raises_malformed_response(raw):
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        parse_manifest(raw, DIGEST)


def test_platform_from_json():
    assert Platform.from_json(None) is None
    with pytest.raises(MalformedResponse, match="^descriptor: platform must be an object$"):
        Platform.from_json("linux/amd64")
    platform = Platform.from_json({"os": "linux", "architecture": "arm", "variant": "v7", "features": ["sse4"]})
    assert platform.label == "linux/arm/v7" and platform.features == ("sse4",)
    assert Platform.from_json(platform.to_json()) == platform
    assert Platform("unknown", "unknown").label == "unknown/unknown"


def test_descriptor_round_trip():
    data = c.descriptor(mt.OCI_MANIFEST, DIGEST, 99, annotations={"a": "b"}, urls=["https://x/y"],
                        artifactType=c.SBOM_TYPE, platform={"os": "linux", "architecture": "amd64"})
    descriptor = Descriptor.from_json(data)
    assert descriptor.to_json() == data
    assert not descriptor.is_foreign
    foreign = Descriptor.from_json(c.descriptor(mt.DOCKER_FOREIGN_LAYER, DIGEST, 1))
    assert foreign.is_foreign
    assert Descriptor.from_json(c.descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                                             DIGEST, 1)).is_foreign


def test_image_config():
    history = [
        {"created": "2024-01-01", "created_by": "ADD rootfs.tar /"},
        {"created": "2024-01-02", "created_by": "ENV A=1", "empty_layer": True},
        {"created": "2024-01-03", "created_by": "RUN apt-get install", "comment": "buildkit"},
        {"created": "2024-01-04", "created_by": "CMD [\"serve\"]", "empty_layer": True},
        {"created": "2024-01-05", "created_by": "COPY app /app"},
    ]
    raw = c.image_config(history=history, **{"os.version": "10.0.17763.5329"})
    config = parse_config(raw, c.sha256(raw))
    assert (config.os, config.architecture, config.os_version) == ("linux", "amd64", "10.0.17763.5329")
    assert config.created == "2024-05-01T12:00:00Z"
    assert config.runtime.entrypoint == ("/app",)
    assert config.runtime.cmd == ("serve",)
    assert config.runtime.env == ("PATH=/usr/bin",)
    assert config.runtime.labels == {"org.opencontainers.image.source": "https://github.com/example/app"}
    assert (config.runtime.working_dir, config.runtime.user) == ("/srv", "1000")
    assert config.runtime.exposed_ports == ("443/tcp", "8080/tcp")
    assert len(config.history) == 5
    assert [h.created_by for h in config.layer_history(3)] == ["ADD rootfs.tar /", "RUN apt-get install", "COPY app /app"]
    assert config.layer_history(3)[1].comment == "buildkit"
    # more layers than history: the extra ones have none
    assert [h and h.created_by for h in config.layer_history(4)][3] is None
    assert config.layer_history(0) == []


def test_image_config_reads_null_as_absent():
    config = parse_config(b'{"config": null, "history": null, "created": null}', DIGEST)
    assert config.runtime.entrypoint == () and config.history == () and config.runtime.labels == {}
    assert config.created is None and config.runtime.exposed_ports == ()
    config = parse_config(b'{"config": {"Labels": null, "ExposedPorts": null, "Cmd": null, "Env": null}}', DIGEST)
    assert config.runtime.labels == {} and config.runtime.exposed_ports == () and config.runtime.cmd == ()
    config = parse_config(b'{"history": [{"empty_layer": null}, {}]}', DIGEST)
    assert [h.empty_layer for h in config.history] == [False, False]


@pytest.mark.parametrize("raw", [b"nope", b"[]", b'"str"', b"\xff"])
def test_image_config_malformed(raw):
    with pytest.raises(MalformedResponse):
        parse_config(raw, DIGEST)


@pytest.mark.parametrize(("raw", "content_type"), [
    (b"[]", mt.OCI_INDEX),
    (b'"x"', mt.OCI_MANIFEST),
    (b"null", mt.DOCKER_SCHEMA1_SIGNED),
])
def test_a_known_manifest_type_that_is_not_an_object_is_malformed(raw, content_type):
    with pytest.raises(MalformedResponse, match="not a JSON object"):
        parse_manifest(raw, DIGEST, content_type)


@pytest.mark.parametrize("history", [5, "abc", {"a": 1}, True])
def test_image_config_history_that_is_not_a_list_is_refused(history):
    with pytest.raises(MalformedResponse, match=r"^image config sha256:0{12}…: history must be a list$"):
        parse_config(c.encode({"architecture": "amd64", "history": history}), DIGEST)


@pytest.mark.parametrize("value", ["false", "true", 0, 1])
def test_empty_layer_that_is_not_a_boolean_is_refused(value):
    raw = c.encode({"history": [{"created_by": "a"}, {"created_by": "b", "empty_layer": value}]})
    with pytest.raises(MalformedResponse, match=r"history entry 2: empty_layer must be true or false$"):
        parse_config(raw, DIGEST)
