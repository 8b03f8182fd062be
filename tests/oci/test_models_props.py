"""Property tests: parse_manifest and parse_config on any JSON (and on real documents with one
part replaced by any JSON) raise nothing but MalformedResponse, and what they return has the
declared types all the way down, so renderers can rely on them."""

from __future__ import annotations

import json
from collections.abc import Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import MalformedResponse
from acrbrowse.oci.manifest import (
    Descriptor,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    LegacyManifest,
    Platform,
    UnknownManifest,
    parse_config,
    parse_manifest,
)
from acrbrowse.oci.name import parse_reference, validate_digest
from acrbrowse.oci.walk import ImageNode, ManifestTree
from acrbrowse.present.render import render_json, render_text
from tests.oci import content as c

DIGEST = c.fake_digest(1)
PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Field names of the documents, so generated objects reach the code that reads them.
FIELDS = ["mediaType", "digest", "size", "urls", "annotations", "platform", "artifactType", "subject",
          "config", "layers", "manifests", "os", "architecture", "variant", "os.version", "os.features",
          "features", "created", "history", "created_by", "comment", "empty_layer", "Entrypoint", "Cmd",
          "Env", "Labels", "WorkingDir", "User", "ExposedPorts", "schemaVersion", "fsLayers", "blobSum",
          "name", "tag", "signatures"]
MEDIA_TYPES = [mt.OCI_INDEX, mt.OCI_MANIFEST, mt.DOCKER_MANIFEST_LIST, mt.DOCKER_MANIFEST, mt.DOCKER_SCHEMA1,
               mt.DOCKER_SCHEMA1_SIGNED, mt.OCI_CONFIG, "application/json", "x/\x1b]52;y"]

scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 2, max_value=2**63 + 1)
           | st.floats() | st.text(max_size=20) | st.sampled_from([DIGEST, c.sha512(b"x"), *MEDIA_TYPES]))
keys = st.sampled_from(FIELDS) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=30,
)


def _real_manifests() -> list[bytes]:
    config = c.image_config(history=[{"created": "2024", "created_by": "ADD /"}, {"empty_layer": True}])
    amd = c.image_manifest(config, (10, 20), annotations={"a": "b"}, artifactType="x/y",
                           subject=c.descriptor(mt.OCI_MANIFEST, DIGEST, 3))
    docker = c.image_manifest(config, (5,), media_type=mt.DOCKER_MANIFEST, config_type=mt.DOCKER_CONFIG)
    attestation = c.attestation_manifest(c.sha256(amd))
    index = c.index([c.platform_entry(amd, "linux", "amd64", variant="v8", **{"os.features": ["f"]}),
                     c.attestation_entry(attestation, c.sha256(amd))], annotations={"k": "v"})
    legacy = c.encode({"schemaVersion": 1, "name": "a", "tag": "b", "architecture": "amd64",
                       "fsLayers": [{"blobSum": DIGEST}], "signatures": []})
    return [amd, docker, attestation, index, legacy]


REAL_MANIFESTS = [json.loads(raw) for raw in _real_manifests()]
REAL_CONFIG = json.loads(c.image_config(history=[{"created": "2024", "created_by": "ADD /", "comment": "c",
                                                   "empty_layer": False}], **{"os.version": "1"}))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


def _replaced(document, path, value):
    if not path:
        return value
    out = json.loads(json.dumps(document))
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@st.composite
def mutated(draw, documents):
    document = draw(st.sampled_from(documents))
    path = draw(st.sampled_from(list(_paths(document))))
    return _replaced(document, path, draw(json_values))


# What every parsed model must be, field by field.

def _is_str_map(value) -> bool:
    return isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _is_strs(value) -> bool:
    return isinstance(value, tuple) and all(isinstance(item, str) for item in value)


def _opt_str(value) -> bool:
    return value is None or isinstance(value, str)


def _check_platform(platform: Platform) -> None:
    assert isinstance(platform.os, str) and isinstance(platform.architecture, str)
    assert _opt_str(platform.variant) and _opt_str(platform.os_version)
    assert _is_strs(platform.os_features) and _is_strs(platform.features)
    assert isinstance(platform.label, str)


def _check_descriptor(descriptor: Descriptor) -> None:
    assert isinstance(descriptor, Descriptor)
    assert isinstance(descriptor.media_type, str)
    assert validate_digest(descriptor.digest) == descriptor.digest
    assert type(descriptor.size) is int and 0 <= descriptor.size < 2**63
    assert _is_str_map(descriptor.annotations) and _is_strs(descriptor.urls) and _opt_str(descriptor.artifact_type)
    assert descriptor.platform is None or _check_platform(descriptor.platform) is None
    assert descriptor.attests is None or validate_digest(descriptor.attests)
    json.dumps(descriptor.to_json())


def _check_manifest(manifest) -> None:
    assert validate_digest(manifest.digest) == manifest.digest and isinstance(manifest.media_type, str)
    if isinstance(manifest, ImageIndex):
        for descriptor in manifest.manifests:
            _check_descriptor(descriptor)
        assert len(manifest.platforms) + len(manifest.attestations) == len(manifest.manifests)
    elif isinstance(manifest, ImageManifest):
        _check_descriptor(manifest.config)
        for layer in manifest.layers:
            _check_descriptor(layer)
        assert isinstance(manifest.compressed_size, int) and isinstance(manifest.is_artifact, bool)
        assert _opt_str(manifest.effective_artifact_type)
    elif isinstance(manifest, LegacyManifest):
        assert isinstance(manifest.name, str) and isinstance(manifest.tag, str)
        assert isinstance(manifest.architecture, str)
        assert all(validate_digest(d) for d in manifest.blob_sums)
    else:
        assert isinstance(manifest, UnknownManifest)
    if isinstance(manifest, (ImageIndex, ImageManifest)):
        assert _is_str_map(manifest.annotations) and _opt_str(manifest.artifact_type)
        assert manifest.subject is None or _check_descriptor(manifest.subject) is None
    # and the renderers take it
    nodes = ([ImageNode(d) for d in manifest.manifests] if isinstance(manifest, ImageIndex)
             else [ImageNode(manifest.descriptor(), manifest)])
    tree = ManifestTree(parse_reference("x.io/app:v1"), manifest, nodes)
    assert all(ord(ch) >= 0x20 or ch == "\n" for ch in render_text(tree))
    json.dumps(render_json(tree))


def _check_config(config: ImageConfig) -> None:
    for value in (config.created, config.architecture, config.os, config.os_version):
        assert _opt_str(value)
    runtime = config.runtime
    for value in (runtime.entrypoint, runtime.cmd, runtime.env, runtime.exposed_ports):
        assert _is_strs(value)
    assert _is_str_map(runtime.labels) and _opt_str(runtime.working_dir) and _opt_str(runtime.user)
    for entry in config.history:
        assert _opt_str(entry.created) and _opt_str(entry.created_by) and _opt_str(entry.comment)
        assert type(entry.empty_layer) is bool
    assert len(config.layer_history(3)) == 3


def _manifest_or_refused(raw: bytes, content_type: str | None) -> None:
    try:
        manifest = parse_manifest(raw, DIGEST, content_type)
    except MalformedResponse as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    _check_manifest(manifest)


def _config_or_refused(raw: bytes) -> None:
    try:
        config = parse_config(raw, DIGEST)
    except MalformedResponse as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    _check_config(config)


@PROPS
@given(json_values, st.none() | st.sampled_from(MEDIA_TYPES))
def test_any_json_as_a_manifest(value, content_type):
    _manifest_or_refused(json.dumps(value).encode(), content_type)


@PROPS
@given(mutated(REAL_MANIFESTS), st.none() | st.sampled_from(MEDIA_TYPES))
def test_a_real_manifest_with_one_part_replaced(value, content_type):
    _manifest_or_refused(json.dumps(value).encode(), content_type)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_as_a_manifest_or_config(raw):
    _manifest_or_refused(raw, None)
    _config_or_refused(raw)


@PROPS
@given(json_values)
def test_any_json_as_a_config(value):
    _config_or_refused(json.dumps(value).encode())


@PROPS
@given(mutated([REAL_CONFIG]))
def test_a_real_config_with_one_part_replaced(value):
    _config_or_refused(json.dumps(value).encode())


def test_the_real_documents_themselves_parse():
    for document in REAL_MANIFESTS:
        _check_manifest(parse_manifest(c.encode(document), DIGEST))
    _check_config(parse_config(c.encode(REAL_CONFIG), DIGEST))
