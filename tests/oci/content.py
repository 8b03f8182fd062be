"""Hand-built manifests, configs and their digests, shared by the model, render and client tests."""

from __future__ import annotations

import hashlib
import json

from acrbrowse.oci import mediatypes as mt

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
SBOM_TYPE = "application/spdx+json"


def encode(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


def fake_digest(n: int) -> str:
    return "sha256:" + f"{n:x}".rjust(64, "0")


def descriptor(media_type: str, digest: str, size: int, **extra) -> dict:
    return {"mediaType": media_type, "digest": digest, "size": size, **extra}


def image_config(*, os="linux", architecture="amd64", history=None, **extra) -> bytes:
    return encode({
        "created": "2024-05-01T12:00:00Z",
        "architecture": architecture,
        "os": os,
        "config": {
            "Entrypoint": ["/app"],
            "Cmd": "serve",
            "Env": ["PATH=/usr/bin"],
            "Labels": {"org.opencontainers.image.source": "https://github.com/example/app"},
            "WorkingDir": "/srv",
            "User": "1000",
            "ExposedPorts": {"8080/tcp": {}, "443/tcp": {}},
        },
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": history or [],
        **extra,
    })


def image_manifest(config: bytes, layer_sizes=(1000, 2000), *, media_type=mt.OCI_MANIFEST,
                   config_type=mt.OCI_CONFIG, **extra) -> bytes:
    layer_type = "application/vnd.oci.image.layer.v1.tar+gzip" if media_type == mt.OCI_MANIFEST \
        else "application/vnd.docker.image.rootfs.diff.tar.gzip"
    return encode({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config_type, sha256(config), len(config)),
        "layers": [descriptor(layer_type, fake_digest(100 + i), size) for i, size in enumerate(layer_sizes)],
        **extra,
    })


def attestation_manifest(subject_digest: str) -> bytes:
    config = encode({"architecture": "unknown", "os": "unknown", "config": {}, "rootfs": {"type": "layers"}})
    return encode({
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": descriptor(mt.OCI_CONFIG, sha256(config), len(config)),
        "layers": [descriptor("application/vnd.in-toto+json", fake_digest(900), 1234,
                              annotations={mt.IN_TOTO_PREDICATE_ANNOTATION: "https://spdx.dev/Document"})],
    })


def index(entries: list[dict], *, media_type=mt.OCI_INDEX, **extra) -> bytes:
    return encode({"schemaVersion": 2, "mediaType": media_type, "manifests": entries, **extra})


def platform_entry(manifest: bytes, os: str, architecture: str, *, media_type=mt.OCI_MANIFEST, **platform) -> dict:
    return descriptor(media_type, sha256(manifest), len(manifest),
                      platform={"os": os, "architecture": architecture, **platform})


def attestation_entry(manifest: bytes, subject_digest: str) -> dict:
    return descriptor(mt.OCI_MANIFEST, sha256(manifest), len(manifest),
                      platform={"os": "unknown", "architecture": "unknown"},
                      annotations={mt.REFERENCE_TYPE_ANNOTATION: mt.ATTESTATION_MANIFEST,
                                   mt.REFERENCE_DIGEST_ANNOTATION: subject_digest})
