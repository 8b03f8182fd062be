"""What a hostile registry can put in a manifest or config: wrong JSON types, bad digests, deep
nesting. Each is refused at parse time with one MalformedResponse line naming the field."""

from __future__ import annotations

import copy
import json
import time

import pytest

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import MalformedResponse
from acrbrowse.oci.manifest import (
    Descriptor,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    parse_config,
    parse_manifest,
)
from tests.oci import content as c

DIGEST = c.fake_digest(1)
WHERE = f"manifest {DIGEST[:19]}…"
CONFIG_WHERE = f"image config {DIGEST[:19]}…"
HOSTILE = "\x1b]52;c;ZWNobyBQV05FRA==\x07\x1b[2J\u202e\nnext line\x9b"


def _index() -> dict:
    entry = c.platform_entry(b"{}", "linux", "arm64", variant="v8",
                             **{"os.version": "1", "os.features": ["a"], "features": ["b"]})
    return json.loads(c.index([entry], annotations={"a": "b"}, artifactType="x/y",
                              subject=c.descriptor(mt.OCI_MANIFEST, c.fake_digest(2), 3)))


def _image() -> dict:
    raw = c.image_manifest(c.image_config(), (10, 20), annotations={"a": "b"}, artifactType="x/y",
                           subject=c.descriptor(mt.OCI_MANIFEST, c.fake_digest(2), 3))
    data = json.loads(raw)
    data["layers"][1].update(urls=["https://example.com/l"], annotations={"k": "v"}, artifactType="t")
    return data


def _config() -> dict:
    history = [{"created": "2024", "created_by": "ADD /", "comment": "c", "empty_layer": False}]
    return json.loads(c.image_config(history=history, **{"os.version": "10"}))


def _set(document: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(document)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


# (path in the document, a wrong value, the message's tail)
MANIFEST_FIELDS = [
    (_index, ("manifests", 0, "platform", "os"), 5, "entry 1: platform.os must be a string"),
    (_index, ("manifests", 0, "platform", "architecture"), ["amd64"], "entry 1: platform.architecture must be a string"),
    (_index, ("manifests", 0, "platform", "variant"), 8, "entry 1: platform.variant must be a string"),
    (_index, ("manifests", 0, "platform", "os.version"), 10.0, "entry 1: platform.os.version must be a string"),
    (_index, ("manifests", 0, "platform", "os.features"), "win32k", "entry 1: platform.os.features must be a list of strings"),
    (_index, ("manifests", 0, "platform", "features"), [None], "entry 1: platform.features must be a list of strings"),
    (_index, ("manifests", 0, "platform"), "linux/amd64", "entry 1: platform must be an object"),
    (_index, ("manifests", 0, "mediaType"), {}, "entry 1: mediaType must be a string"),
    (_index, ("manifests", 0, "annotations"), ["a"], "entry 1: annotations must be an object of strings"),
    (_index, ("manifests", 0, "annotations"), {"a": 1}, "entry 1: annotations must be an object of strings"),
    (_index, ("manifests", 0, "artifactType"), {}, "entry 1: artifactType must be a string"),
    (_index, ("manifests", 0), "sha256:abc", "entry 1 must be an object"),
    (_index, ("manifests",), {"a": 1}, ": manifests must be a list"),
    (_index, ("annotations",), {"a": {"b": "c"}}, ": annotations must be an object of strings"),
    (_index, ("artifactType",), {}, ": artifactType must be a string"),
    (_index, ("subject",), "sha256:abc", " subject must be an object"),
    (_index, ("subject", "size"), -1, "subject: size must be a whole number from 0 to 2**63-1"),
    (_index, ("mediaType",), 5, ": mediaType must be a string"),
    (_image, ("layers", 1, "urls"), [1], "layer 2: urls must be a list of strings"),
    (_image, ("layers", 1, "urls"), "https://x", "layer 2: urls must be a list of strings"),
    (_image, ("layers", 1, "size"), 2**63, "layer 2: size must be a whole number from 0 to 2**63-1"),
    (_image, ("layers", 1, "size"), 1.5, "layer 2: size must be a whole number from 0 to 2**63-1"),
    (_image, ("layers", 1, "size"), True, "layer 2: size must be a whole number from 0 to 2**63-1"),
    (_image, ("layers", 1, "size"), "12", "layer 2: size must be a whole number from 0 to 2**63-1"),
    (_image, ("layers", 1, "digest"), 5, "layer 2: digest must be a string"),
    (_image, ("layers", 1, "digest"), None, "layer 2: digest is missing"),
    (_image, ("layers", 1, "annotations"), "k=v", "layer 2: annotations must be an object of strings"),
    (_image, ("layers", 1, "artifactType"), {}, "layer 2: artifactType must be a string"),
    (_image, ("layers", 0), None, "layer 1 must be an object"),
    (_image, ("config", "mediaType"), 7, "config: mediaType must be a string"),
    (_image, ("config",), [], "config must be an object"),
    (_image, ("config",), None, ": an image manifest without a config"),
    (_image, ("layers",), {"a": 1}, ": layers must be a list"),
    (_image, ("annotations",), {"a": None}, ": annotations must be an object of strings"),
    (_image, ("artifactType",), {}, ": artifactType must be a string"),
    (_image, ("subject",), 5, " subject must be an object"),
    (_image, ("subject", "digest"), "sha256:abc", "subject: digest 'sha256:abc' is not a sha256 or sha512 digest"),
]


@pytest.mark.parametrize(("document", "path", "value", "tail"), MANIFEST_FIELDS,
                         ids=[f"{d.__name__[1:]}-{'.'.join(map(str, p))}-{v!r}" for d, p, v, _ in MANIFEST_FIELDS])
def test_a_wrong_type_in_a_manifest_is_refused_naming_the_field(document, path, value, tail):
    raw = c.encode(_set(document(), path, value))
    with pytest.raises(MalformedResponse) as caught:
        parse_manifest(raw, DIGEST)
    assert str(caught.value) == WHERE + ("" if tail.startswith((":", " ")) else " ") + tail


CONFIG_FIELDS = [
    (("created",), 12345, "created must be a string"),
    (("architecture",), 64, "architecture must be a string"),
    (("os",), 5, "os must be a string"),
    (("os.version",), [10], "os.version must be a string"),
    (("config",), [1], "config must be an object"),
    (("config", "Entrypoint"), [1], "config.Entrypoint must be a list of strings or a string"),
    (("config", "Cmd"), 5, "config.Cmd must be a list of strings or a string"),
    (("config", "Env"), {"A": "1"}, "config.Env must be a list of strings or a string"),
    (("config", "Labels"), ["x"], "config.Labels must be an object of strings"),
    (("config", "Labels"), {"x": 1}, "config.Labels must be an object of strings"),
    (("config", "WorkingDir"), 0, "config.WorkingDir must be a string"),
    (("config", "User"), 1000, "config.User must be a string"),
    (("config", "ExposedPorts"), ["80/tcp"], "config.ExposedPorts must be an object"),
    (("history",), {"a": 1}, "history must be a list"),
    (("history", 0), "junk", "history entry 1 must be an object"),
    (("history", 0, "created"), 12345, "history entry 1: created must be a string"),
    (("history", 0, "created_by"), ["RUN"], "history entry 1: created_by must be a string"),
    (("history", 0, "comment"), {}, "history entry 1: comment must be a string"),
    (("history", 0, "empty_layer"), "true", "history entry 1: empty_layer must be true or false"),
]


@pytest.mark.parametrize(("path", "value", "tail"), CONFIG_FIELDS,
                         ids=[f"{'.'.join(map(str, p))}-{v!r}" for p, v, _ in CONFIG_FIELDS])
def test_a_wrong_type_in_a_config_is_refused_naming_the_field(path, value, tail):
    raw = c.encode(_set(_config(), path, value))
    with pytest.raises(MalformedResponse) as caught:
        parse_config(raw, DIGEST)
    joiner = " " if tail.startswith("history entry") else ": "
    assert str(caught.value) == CONFIG_WHERE + joiner + tail


def test_the_untouched_documents_parse():
    index = parse_manifest(c.encode(_index()), DIGEST)
    assert isinstance(index, ImageIndex) and index.manifests[0].platform.features == ("b",)
    image = parse_manifest(c.encode(_image()), DIGEST)
    assert isinstance(image, ImageManifest) and image.layers[1].urls == ("https://example.com/l",)
    config = parse_config(c.encode(_config()), DIGEST)
    assert config.history[0].comment == "c" and config.os_version == "10"


PASTE_ATTACK = "sha256:" + "a" * 64 + "\necho PWNED; #"


@pytest.mark.parametrize("bad", [
    PASTE_ATTACK,
    "sha256:" + "a" * 64 + "\n",
    "md5:" + "a" * 32,
    "shake_128:" + "a" * 64,
    "sha256:" + "A" * 64,
    "sha256:" + "a" * 63,
    "sha512:" + "a" * 64,
    "x",
    "",
    "sha256:" + "a" * 64 + "\x1b]52;c;eA==\x07",
])
@pytest.mark.parametrize("where", ["layer", "config", "entry", "subject", "blobSum"])
def test_a_digest_that_is_not_sha256_or_sha512_is_refused_wherever_it_is(bad, where):
    good = c.fake_digest(5)
    if where == "layer":
        body = {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, good, 1),
                "layers": [c.descriptor("application/vnd.oci.image.layer.v1.tar", bad, 1)]}
    elif where == "config":
        body = {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, bad, 1), "layers": []}
    elif where == "entry":
        body = {"mediaType": mt.OCI_INDEX, "manifests": [c.descriptor(mt.OCI_MANIFEST, good, 1),
                                                         c.descriptor(mt.OCI_MANIFEST, bad, 1)]}
    elif where == "subject":
        body = {"mediaType": mt.OCI_INDEX, "manifests": [], "subject": c.descriptor(mt.OCI_MANIFEST, bad, 1)}
    else:
        body = {"mediaType": mt.DOCKER_SCHEMA1, "fsLayers": [{"blobSum": bad}]}
    with pytest.raises(MalformedResponse, match="is not a sha256 or sha512 digest$|digest is missing$") as caught:
        parse_manifest(c.encode(body), DIGEST)
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message and len(message) < 200


def test_sha512_digests_are_accepted():
    digest = c.sha512(b"layer")
    body = {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, c.sha512(b"c"), 1),
            "layers": [c.descriptor("application/vnd.oci.image.layer.v1.tar", digest, 5)]}
    raw = c.encode(body)
    manifest = parse_manifest(raw, c.sha512(raw))
    assert manifest.layers[0].digest == digest and manifest.digest == c.sha512(raw)


def test_a_huge_bad_digest_gives_a_short_message():
    body = {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, c.fake_digest(2), 1),
            "layers": [c.descriptor("t", "sha256:" + "a" * 1_000_000, 1)]}
    with pytest.raises(MalformedResponse) as caught:
        parse_manifest(c.encode(body), DIGEST)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("bad", [PASTE_ATTACK, "md5:" + "0" * 32, "x"])
def test_models_cannot_be_built_around_a_bad_digest(bad):
    """Direct construction (e.g. from a HEAD's Docker-Content-Digest) keeps the same promise."""
    with pytest.raises(MalformedResponse):
        Descriptor(mt.OCI_MANIFEST, bad, 1)
    with pytest.raises(MalformedResponse):
        ImageIndex(mt.OCI_INDEX, bad, b"{}")
    with pytest.raises(MalformedResponse):
        ImageConfig(bad, b"{}")
    with pytest.raises(MalformedResponse):
        parse_manifest(c.index([]), bad)
    with pytest.raises(MalformedResponse):
        parse_config(b"{}", bad)
    with pytest.raises(MalformedResponse):
        Descriptor(mt.OCI_MANIFEST, DIGEST, -1)


def test_attests_is_only_ever_a_valid_digest():
    entry = c.attestation_entry(b"{}", PASTE_ATTACK)
    [descriptor] = parse_manifest(c.index([entry]), DIGEST).manifests
    assert descriptor.is_attestation and descriptor.attests is None
    assert descriptor.annotations[mt.REFERENCE_DIGEST_ANNOTATION] == PASTE_ATTACK  # kept exact for --json


@pytest.mark.parametrize("parse", [
    lambda raw: parse_manifest(raw, DIGEST),
    lambda raw: parse_manifest(raw, DIGEST, mt.OCI_MANIFEST),
    lambda raw: parse_config(raw, DIGEST),
], ids=["manifest", "typed-manifest", "config"])
@pytest.mark.parametrize("shape", ["array", "object", "inside-annotations"])
def test_json_nested_100000_deep_is_refused_quickly(parse, shape):
    depth = 100_000
    if shape == "array":
        raw = b"[" * depth + b"]" * depth
    elif shape == "object":
        raw = b'{"a":' * depth + b"1" + b"}" * depth
    else:
        raw = b'{"annotations": {"x": ' + b"[" * depth + b"]" * depth + b"}}"
    started = time.perf_counter()
    with pytest.raises(MalformedResponse, match="nested deeper than 64 levels"):
        parse(raw)
    assert time.perf_counter() - started < 0.5


def test_an_integer_of_5000_digits_is_malformed_not_a_crash():
    raw = b'{"mediaType": "%s", "config": {"digest": "%s", "size": %s}, "layers": []}' % (
        mt.OCI_MANIFEST.encode(), DIGEST.encode(), b"9" * 5000)
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        parse_manifest(raw, DIGEST)


def test_the_largest_size_is_kept():
    body = {"mediaType": mt.OCI_MANIFEST, "config": c.descriptor(mt.OCI_CONFIG, DIGEST, 2**63 - 1), "layers": []}
    assert parse_manifest(c.encode(body), DIGEST).config.size == 2**63 - 1


def test_hostile_strings_of_the_right_type_stay_exact():
    """Escaping is the display's job: the models and --json keep what the registry sent."""
    entry = c.platform_entry(b"{}", HOSTILE, HOSTILE, variant=HOSTILE)
    entry.update(annotations={HOSTILE: HOSTILE}, artifactType=HOSTILE, mediaType=HOSTILE)
    raw = c.index([entry], annotations={"k": HOSTILE})
    index = parse_manifest(raw, DIGEST)
    [descriptor] = index.manifests
    assert descriptor.platform.os == HOSTILE and descriptor.annotations[HOSTILE] == HOSTILE
    assert descriptor.to_json() == entry
    assert index.annotations["k"] == HOSTILE and index.json == json.loads(raw)
    config = parse_config(c.encode({"created": HOSTILE, "config": {"Labels": {HOSTILE: HOSTILE}}}), DIGEST)
    assert config.created == HOSTILE and config.runtime.labels == {HOSTILE: HOSTILE}
