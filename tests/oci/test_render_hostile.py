"""render_text shows registry strings escaped and bounded; render_json keeps them exact."""

from __future__ import annotations

import json
import time

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import MalformedResponse
from acrbrowse.oci.manifest import ImageIndex, parse_manifest
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.walk import ImageNode, ManifestTree
from acrbrowse.present.describe import describe_image, layer_note
from acrbrowse.present.render import node_label, render_json, render_text
from tests.oci import content as c

OSC52 = "\x1b]52;c;ZWNobyBQV05FRA==\x07"
TITLE = "\x1b]0;pwned\x1b\\"
HOSTILE = f"{OSC52}{TITLE}\x1b[2J\u202e\u2066\u200f\nnext line\r\x9b31m\x7f\x00\ud800"
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _parsed(raw: bytes):
    return parse_manifest(raw, c.sha256(raw))


def _assert_terminal_safe(text: str) -> None:
    for line in text.split("\n"):
        bad = [ch for ch in line if ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) <= 0x9F or ch in BIDI
               or 0xD800 <= ord(ch) <= 0xDFFF]
        assert not bad, f"unsafe characters {bad!r} in {line!r}"


def _hostile_tree() -> tuple[ManifestTree, list[bytes]]:
    image = c.image_manifest(c.image_config(), (10,), annotations={"k": HOSTILE})
    image_data = json.loads(image)
    image_data["layers"].append(c.descriptor(HOSTILE, c.fake_digest(5), 7,
                                             annotations={mt.IN_TOTO_PREDICATE_ANNOTATION: HOSTILE}))
    image_data["layers"].append(c.descriptor(HOSTILE, c.fake_digest(6), 8))
    image = c.encode(image_data)
    artifact = c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": HOSTILE,
                         "config": c.descriptor(HOSTILE, c.fake_digest(3), 2), "layers": []})
    helm = c.encode({"schemaVersion": 2, "config": c.descriptor(HOSTILE, c.fake_digest(4), 2), "layers": []})
    unknown = c.encode({"mediaType": HOSTILE})
    legacy = c.encode({"schemaVersion": 1, "name": HOSTILE, "tag": HOSTILE, "fsLayers": []})
    attestation = c.attestation_entry(c.attestation_manifest(c.sha256(image)), c.sha256(image))
    entries = [
        c.platform_entry(image, HOSTILE, HOSTILE, variant=HOSTILE, **{"os.version": HOSTILE}),
        c.descriptor(mt.OCI_MANIFEST, c.sha256(artifact), len(artifact), artifactType=HOSTILE),
        c.descriptor(mt.OCI_MANIFEST, c.sha256(helm), len(helm)),
        c.descriptor(HOSTILE, c.sha256(unknown), len(unknown)),
        c.descriptor(mt.DOCKER_SCHEMA1, c.sha256(legacy), len(legacy)),
        c.descriptor(mt.OCI_MANIFEST, c.fake_digest(9), 1, platform={"os": "linux", "architecture": HOSTILE}),
        attestation,
    ]
    raw = c.index(entries, annotations={HOSTILE: HOSTILE})
    root = _parsed(raw)
    nodes = [
        ImageNode(root.manifests[0], _parsed(image)),
        ImageNode(root.manifests[1], _parsed(artifact)),
        ImageNode(root.manifests[2], _parsed(helm)),
        ImageNode(root.manifests[3], parse_manifest(unknown, c.sha256(unknown), HOSTILE)),
        ImageNode(root.manifests[4], _parsed(legacy)),
        ImageNode(root.manifests[5], error=MalformedResponse(f"the registry said: {HOSTILE}")),
        ImageNode(root.manifests[6]),
    ]
    return ManifestTree(parse_reference("x.io/app:v1"), root, nodes), [image, artifact]


def test_render_text_escapes_every_registry_string():
    tree, _ = _hostile_tree()
    text = render_text(tree)
    _assert_terminal_safe(text)
    assert "\\x1b]52;c;ZWNobyBQV05FRA==\\x07" in text and "\\u202e" in text and "\\x0anext line" in text
    lines = text.split("\n")
    # one line per drawn item: no string from the registry added or broke a line
    assert sum(line.lstrip("│ ").startswith(("├── ", "└── ")) for line in lines) == len(lines) - 2
    assert any(line.startswith("│   └── error: the registry said: \\x1b]52") for line in lines)
    assert any(f"layer 2  {c.fake_digest(5)}  7 B  \\x1b]52" in line for line in lines)  # the predicate
    assert any(f"layer 3  {c.fake_digest(6)}  8 B  \\x1b]52" in line for line in lines)  # the media type
    assert any("unknown media type \\x1b]52" in line for line in lines)


def test_render_text_of_a_hostile_single_manifest():
    raw = c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": HOSTILE,
                    "config": c.descriptor(mt.OCI_EMPTY, c.fake_digest(3), 2),
                    "layers": [c.descriptor(HOSTILE, c.fake_digest(4), 1)],
                    "subject": c.descriptor(HOSTILE, c.fake_digest(5), 1)})
    artifact = _parsed(raw)
    text = render_text(ManifestTree(parse_reference("x.io/a:b"), artifact, [ImageNode(artifact.descriptor(), artifact)]))
    _assert_terminal_safe(text)
    header = text.split("\n")[1]
    assert "  OCI image manifest, artifact \\x1b]52;c;ZWNobyBQV05FRA==\\x07\\x1b]0;pwned" in header
    assert header.endswith("\\x0anext line\\x0d\\x9b31m\\x7f\\x00\\ud800")
    unknown_raw = c.encode({"x": HOSTILE})
    unknown = parse_manifest(unknown_raw, c.sha256(unknown_raw), HOSTILE)
    text = render_text(ManifestTree(parse_reference("x.io/a:b"), unknown, [ImageNode(unknown.descriptor(), unknown)]))
    _assert_terminal_safe(text)
    assert len(text.split("\n")) == 3


def test_render_json_keeps_every_string_exact():
    tree, (image, artifact) = _hostile_tree()
    out = render_json(tree)
    printed = json.dumps(out, indent=2)
    assert all(32 <= ord(ch) < 127 or ch == "\n" for ch in printed)  # json.dumps escapes the rest
    back = json.loads(printed)
    assert back["annotations"] == {HOSTILE: HOSTILE}
    first = back["manifests"][0]
    assert first["platform"] == {"os": HOSTILE, "architecture": HOSTILE, "variant": HOSTILE, "os.version": HOSTILE}
    assert first["annotations"] == {"k": HOSTILE} and first["layers"][1]["mediaType"] == HOSTILE
    assert back["manifests"][1]["artifactType"] == HOSTILE
    assert back["manifests"][5]["error"] == f"the registry said: {HOSTILE}"
    assert json.loads(back["manifests"][3]["raw"]) == {"mediaType": HOSTILE}


def test_the_label_helpers_the_ui_uses_are_terminal_safe_and_bounded():
    tree, _ = _hostile_tree()
    for node in tree.nodes:
        label = node_label(node, tree.root)
        _assert_terminal_safe(label)
        assert len(label) <= 200
    image = tree.nodes[0].manifest
    for blob in describe_image(image).blobs:
        for text in (blob.line, blob.name, blob.created_by):
            _assert_terminal_safe(text)
        assert blob.note is None or (len(blob.note) <= 200 and "\x1b" not in blob.note)
    long = c.descriptor("x/y", c.fake_digest(1), 1, annotations={mt.IN_TOTO_PREDICATE_ANNOTATION: "\x1b" * 100_000})
    index = _parsed(c.index([long]))
    assert len(layer_note(index.manifests[0])) == 200


def test_escaping_twice_changes_nothing():
    tree, _ = _hostile_tree()
    text = render_text(tree)
    from acrbrowse.present.safe import terminal_safe
    assert "\n".join(terminal_safe(line) for line in text.split("\n")) == text


def _copies_tree(copies: int, layers: int) -> tuple[ManifestTree, bytes]:
    image = c.image_manifest(c.image_config(), [1] * layers)
    raw = c.index([c.platform_entry(image, "linux", "amd64")] * copies)
    root = _parsed(raw)
    manifest = _parsed(image)
    nodes = [ImageNode(d, manifest) for d in root.manifests[:4096]]
    return ManifestTree(parse_reference("x.io/app:v1"), root, nodes,
                        truncated=MalformedResponse("index lists too many")), image


def test_repeated_entries_are_drawn_once():
    tree, image = _copies_tree(5000, 1000)
    started = time.perf_counter()
    text = render_text(tree)
    out = render_json(tree)
    assert time.perf_counter() - started < 2
    lines = text.split("\n")
    assert len(lines) < 4096 * 2 + 1000 + 10
    assert lines[3] == f"│   ├── config  {c.sha256(c.image_config())}  " + lines[3].rsplit("  ", 1)[1]
    assert "│   └── same manifest as entry 1" in lines
    assert lines[-1] == "└── … 904 more entries, not read"
    assert len(out["manifests"]) == 4096 and out["truncated"] == "index lists too many"
    assert len(out["manifests"][0]["layers"]) == 1000
    assert all(m == {**out["manifests"][1], "sameAs": 0} for m in out["manifests"][1:])
    assert "layers" not in out["manifests"][1]


def test_many_attestations_label_in_linear_time():
    platforms = [c.descriptor(mt.OCI_MANIFEST, c.fake_digest(i), 1, platform={"os": "linux", "architecture": f"a{i}"})
                 for i in range(4000)]
    attestations = [c.attestation_entry(b"{}", c.fake_digest(i)) for i in range(4000)]
    index = _parsed(c.index(platforms + attestations))
    assert isinstance(index, ImageIndex)
    started = time.perf_counter()
    labels = [node_label(ImageNode(d), index) for d in index.attestations]
    assert time.perf_counter() - started < 1
    assert labels[3999] == "attestation for linux/a3999"
