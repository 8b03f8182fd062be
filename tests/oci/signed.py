"""A signed, attested multi-platform app as the tools leave it in a registry without a referrers API
(distribution 2.8), pushed through the registry's own API into a `scratch/` repository:

- `1.0`: an index of linux/amd64 and linux/arm64, plus buildkit's attestation manifest for amd64 and a
  `builder` reference entry (neither a platform);
- on the amd64 manifest: a cosign signature (`sha256-<hex>.sig`, keyless: a certificate annotation),
  a cosign SLSA attestation (`sha256-<hex>.att`), and, listed under the referrers tag `sha256-<hex>`
  as oras and Notation write it, an SPDX SBOM, an in-toto SLSA provenance and a Notation signature;
- on the SBOM: a Notation signature of its own (a referrer of a referrer);
- on the arm64 manifest: a CycloneDX SBOM;
- `chart` (a Helm chart), `wasm` (a WASM module), `nested` (an index 3 deep around an image).

Media types and annotations as cosign, Notation, buildkit, oras, Helm and wasm-to-oci write them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from tests.testbed.content import (
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    Blob,
    Manifest,
    make_image,
    make_index,
    sha256,
)

from .pushing import ScratchRegistry, push_manifest, referrers_index, referrers_tag, scratch_repository

SPDX = json.dumps({"spdxVersion": "SPDX-2.3", "name": "app", "SPDXID": "SPDXRef-DOCUMENT",
                   "packages": [{"name": n, "SPDXID": f"SPDXRef-{n}", "versionInfo": "1.0"}
                                for n in ("busybox", "musl", "zlib")]}).encode()
CYCLONEDX = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5",
                        "components": [{"type": "library", "name": "openssl", "version": "3.1.4"}]}).encode()
PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
NOTATION = "application/vnd.cncf.notary.signature"
SIGNER, ISSUER = "release@example.com", "https://token.actions.githubusercontent.com"
NOTATION_SIGNER, SIGNING_TIME = "Example Release Signing", "2024-06-01T10:00:00Z"


def fulcio_certificate(identity: str = SIGNER, issuer: str = ISSUER) -> x509.Certificate:
    """A certificate shaped as Fulcio issues them: the identity as a SAN, the OIDC issuer in
    Fulcio's extensions (v1 raw, v2 a DER UTF8String). Self-signed: nothing here is verified."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev")])
    encoded = issuer.encode()
    return (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime(2024, 6, 1, tzinfo=UTC))
            .not_valid_after(datetime(2024, 6, 1, 0, 10, tzinfo=UTC))
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(identity)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), encoded), False)
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.57264.1.8"),
                                                      b"\x0c" + bytes([len(encoded)]) + encoded), False)
            .sign(key, hashes.SHA256()))


def notation_certificate(common_name: str = NOTATION_SIGNER) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(2).not_valid_before(datetime(2024, 6, 1, tzinfo=UTC))
            .not_valid_after(datetime(2025, 6, 1, tzinfo=UTC)).sign(key, hashes.SHA256()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def notation_jws(subject: Manifest, certificate: x509.Certificate | None = None) -> bytes:
    """A Notation JWS envelope (JSON serialization) as `notation sign` writes it."""
    protected = {"alg": "ES256", "cty": "application/vnd.cncf.notary.payload.v1+json",
                 "crit": ["io.cncf.notary.signingScheme"], "io.cncf.notary.signingScheme": "notary.x509",
                 "io.cncf.notary.signingTime": SIGNING_TIME}
    payload = {"targetArtifact": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size}}
    der = (certificate or notation_certificate()).public_bytes(serialization.Encoding.DER)
    return json.dumps({"payload": _b64url(json.dumps(payload).encode()),
                       "protected": _b64url(json.dumps(protected).encode()),
                       "header": {"x5c": [base64.b64encode(der).decode()], "io.cncf.notary.signingAgent": "notation/1.1"},
                       "signature": _b64url(b"not a real signature")}).encode()


def statement(subject: Manifest, name: str, predicate_type: str) -> bytes:
    """An in-toto v1 statement about `subject`."""
    return json.dumps({"_type": "https://in-toto.io/Statement/v1", "predicateType": predicate_type,
                       "subject": [{"name": name, "digest": {"sha256": subject.digest[7:]}}],
                       "predicate": {"buildDefinition": {"buildType": "https://example.com/build/v1"}}}).encode()


@dataclass
class SignedApp:
    repository: str
    index: Manifest
    amd64: Manifest
    arm64: Manifest
    attestation: Manifest
    builder: Manifest
    cosign_signature: Manifest
    cosign_attestation: Manifest
    sbom: Manifest
    provenance: Manifest
    notation: Manifest
    sbom_signature: Manifest
    cyclonedx: Manifest
    chart: Manifest
    wasm: Manifest
    nested: list[Manifest]  # outermost first; the last is the image


def _image(arch: str, seed: str) -> Manifest:
    config = json.dumps({"architecture": arch, "os": "linux", "created": "2024-06-01T00:00:00Z",
                         "config": {"Cmd": ["/app"]}, "rootfs": {"type": "layers", "diff_ids": []},
                         "seed": seed}).encode()
    return make_image(OCI_MANIFEST, OCI_CONFIG, config, [Blob.of(OCI_LAYER, f"{arch} layer {seed}".encode() * 20)],
                      platform={"architecture": arch, "os": "linux"})


def _referrer(subject: Manifest, artifact_type: str, layer_type: str, payload: bytes,
              layer_annotations: dict[str, str] | None = None) -> Manifest:
    """An OCI 1.1 artifact (empty config) about `subject`, as oras attach and notation sign push it."""
    return make_image(OCI_MANIFEST, OCI_EMPTY, b"{}", [Blob.of(layer_type, payload, layer_annotations)],
                      artifact_type=artifact_type, subject=subject,
                      annotations={"org.opencontainers.image.created": "2024-06-01T00:00:00Z"})


def _entry(manifest: Manifest, **annotations: str) -> Manifest:
    """`manifest` as an index entry of platform unknown/unknown with buildkit's reference annotations."""
    return Manifest(manifest.media_type, manifest.digest, manifest.size, manifest.raw, config=manifest.config,
                    layers=manifest.layers, platform={"architecture": "unknown", "os": "unknown"},
                    annotations=annotations)


def build(repository: str) -> SignedApp:
    amd64, arm64 = _image("amd64", repository), _image("arm64", repository)
    attestation = make_image(
        OCI_MANIFEST, OCI_CONFIG, b'{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers"}}',
        [Blob.of("application/vnd.in-toto+json", b'{"_type":"https://in-toto.io/Statement/v0.1","seed":"'
                 + repository.encode() + b'"}', {"in-toto.io/predicate-type": PROVENANCE_V02})])
    builder = _image("amd64", "builder of " + repository)
    index = make_index(OCI_INDEX, [
        amd64, arm64,
        _entry(attestation, **{"vnd.docker.reference.type": "attestation-manifest",
                               "vnd.docker.reference.digest": amd64.digest}),
        _entry(builder, **{"vnd.docker.reference.type": "builder", "vnd.docker.reference.digest": amd64.digest}),
    ], annotations={"org.opencontainers.image.version": "1.0"})
    certificate = fulcio_certificate().public_bytes(serialization.Encoding.PEM).decode()
    cosign_signature = make_image(
        OCI_MANIFEST, OCI_CONFIG, b'{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}',
        [Blob.of("application/vnd.dev.cosign.simplesigning.v1+json",
                 json.dumps({"critical": {"identity": {"docker-reference": repository},
                                          "image": {"docker-manifest-digest": amd64.digest},
                                          "type": "cosign container image signature"}, "optional": None}).encode(),
                 {"dev.cosignproject.cosign/signature": "MEUCIQDxexample",
                  "dev.sigstore.cosign/certificate": certificate,
                  "dev.sigstore.cosign/chain": certificate})])
    cosign_attestation = make_image(
        OCI_MANIFEST, OCI_CONFIG, b'{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}',
        [Blob.of("application/vnd.dsse.envelope.v1+json",
                 json.dumps({"payloadType": "application/vnd.in-toto+json",
                             "payload": base64.b64encode(statement(amd64, repository, PROVENANCE_V02)).decode(),
                             "signatures": [{"sig": "MEUCIQ"}]}).encode(),
                 {"dev.cosignproject.cosign/signature": "", "predicateType": PROVENANCE_V02})])
    sbom = _referrer(amd64, "application/spdx+json", "application/spdx+json", SPDX)
    provenance = _referrer(amd64, "application/vnd.in-toto+json", "application/vnd.in-toto+json",
                           statement(amd64, repository, PROVENANCE_V1), {"in-toto.io/predicate-type": PROVENANCE_V1})
    notation = _referrer(amd64, NOTATION, "application/jose+json", notation_jws(amd64))
    sbom_signature = _referrer(sbom, NOTATION, "application/jose+json", notation_jws(sbom))
    cyclonedx = _referrer(arm64, "application/vnd.cyclonedx+json", "application/vnd.cyclonedx+json", CYCLONEDX)
    chart = make_image(OCI_MANIFEST, "application/vnd.cncf.helm.config.v1+json",
                       b'{"apiVersion":"v2","name":"app","version":"1.0.0","type":"application"}',
                       [Blob.of("application/vnd.cncf.helm.chart.content.v1.tar+gzip", b"chart " * 50)])
    wasm = make_image(OCI_MANIFEST, "application/vnd.wasm.config.v0+json", b'{"created":"2024-06-01T00:00:00Z"}',
                      [Blob.of("application/vnd.wasm.content.layer.v1+wasm", b"\0asm\1\0\0\0" + repository.encode(),
                               {"org.opencontainers.image.title": "module.wasm"})])
    inner = _image("amd64", "nested " + repository)
    nested = [inner]
    for _ in range(3):
        nested.insert(0, make_index(OCI_INDEX, [nested[0]]))
    return SignedApp(repository, index, amd64, arm64, attestation, builder, cosign_signature, cosign_attestation,
                     sbom, provenance, notation, sbom_signature, cyclonedx, chart, wasm, nested)


def push_signed_app(registry: ScratchRegistry, what: str = "signed-app") -> SignedApp:
    app = build(scratch_repository(what))
    repository = app.repository
    for manifest in (app.amd64, app.arm64, app.attestation, app.builder):
        push_manifest(registry, repository, manifest.digest, manifest)
    push_manifest(registry, repository, "1.0", app.index)
    push_manifest(registry, repository, _cosign_tag(app.amd64, "sig"), app.cosign_signature)
    push_manifest(registry, repository, _cosign_tag(app.amd64, "att"), app.cosign_attestation)
    for referrer in (app.sbom, app.provenance, app.notation, app.sbom_signature, app.cyclonedx):
        push_manifest(registry, repository, referrer.digest, referrer)
    push_manifest(registry, repository, referrers_tag(app.amd64.digest),
                  referrers_index(app.sbom, app.provenance, app.notation))
    push_manifest(registry, repository, referrers_tag(app.sbom.digest), referrers_index(app.sbom_signature))
    push_manifest(registry, repository, referrers_tag(app.arm64.digest), referrers_index(app.cyclonedx))
    push_manifest(registry, repository, "chart", app.chart)
    push_manifest(registry, repository, "wasm", app.wasm)
    for manifest in reversed(app.nested):
        push_manifest(registry, repository, manifest.digest, manifest)
    push_manifest(registry, repository, "nested", app.nested[0])
    return app


def _cosign_tag(subject: Manifest, suffix: str) -> str:
    return f"{referrers_tag(subject.digest)}.{suffix}"


__all__ = ["SignedApp", "build", "push_signed_app", "sha256"]
