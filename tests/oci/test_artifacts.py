"""A look inside small artifacts: SBOMs, in-toto statements, cosign certificates, Notation JWS
envelopes, as the tools write them; and what a hostile or broken one gets (no error, no facts)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization

from acrbrowse.oci.artifacts import (
    certificate_signer,
    cosign_facts,
    look_inside,
    notation_facts,
    sbom_facts,
    statement_facts,
)
from acrbrowse.oci.manifest import ImageManifest, parse_manifest
from acrbrowse.oci.name import parse_reference
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.walk import walk

from .signed import (
    CYCLONEDX,
    ISSUER,
    NOTATION_SIGNER,
    SIGNER,
    SIGNING_TIME,
    SPDX,
    SignedApp,
    fulcio_certificate,
    notation_certificate,
    notation_jws,
    push_signed_app,
    statement,
)
from .signed import build as build_app


def test_sbom_facts():
    assert sbom_facts(SPDX).facts == ("SPDX-2.3", "3 packages")
    assert sbom_facts(CYCLONEDX).facts == ("CycloneDX 1.5", "1 package")
    wrapped = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://spdx.dev/Document",
                          "predicate": json.loads(SPDX)}).encode()
    assert sbom_facts(wrapped).facts == ("SPDX-2.3", "3 packages")  # buildkit's SBOM attestation
    assert sbom_facts(b"not json") is None and sbom_facts(b"[]") is None and sbom_facts(b"{}") is None
    assert sbom_facts(json.dumps({"spdxVersion": "SPDX-2.3", "packages": "many"}).encode()).facts == ("SPDX-2.3",)


def test_statement_facts_bare_and_in_a_dsse_envelope():
    app = build_app("app")
    bare = statement(app.amd64, "registry.example/app", "https://slsa.dev/provenance/v1")
    facts = statement_facts(bare).facts
    assert facts == ("predicate SLSA provenance v1", f"subject registry.example/app@sha256:{app.amd64.digest[7:19]}…",
                     "not verified")
    envelope = json.dumps({"payloadType": "application/vnd.in-toto+json",
                           "payload": base64.b64encode(bare).decode(), "signatures": []}).encode()
    assert statement_facts(envelope).facts == facts
    assert statement_facts(b'{"payloadType": "x", "payload": "%%%"}') is None
    assert statement_facts(b'{"predicateType": 3}') is None


def test_a_fulcio_certificate_names_signer_and_issuer():
    pem = fulcio_certificate().public_bytes(serialization.Encoding.PEM)
    signer = certificate_signer(pem)
    assert signer is not None and (signer.identity, signer.issuer) == (SIGNER, ISSUER)
    assert certificate_signer("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----") is None
    assert certificate_signer(b"\x30\x03garbage") is None


def test_cosign_facts_from_the_certificate_annotation():
    app = build_app("app")
    manifest = parse_manifest(app.cosign_signature.raw, app.cosign_signature.digest)
    assert isinstance(manifest, ImageManifest)
    assert cosign_facts(manifest).facts == (f"signer {SIGNER}", f"issuer {ISSUER}", "not verified")


def test_notation_facts_from_the_jws_envelope():
    app = build_app("app")
    assert notation_facts(notation_jws(app.amd64)).facts == (f"signed {SIGNING_TIME}", f"signer {NOTATION_SIGNER}",
                                                             "not verified")
    odd = notation_jws(app.amd64, notation_certificate("x\x1b]52;c;evil\x07"))
    assert "signer x\x1b]52;c;evil\x07" in notation_facts(odd).facts  # exact here; escaped where shown
    assert notation_facts(b'{"protected": "!!!", "header": {"x5c": ["%%"]}}') is None
    assert notation_facts(b"[1]") is None


@pytest.fixture(scope="module")
def app(scratch_registry) -> SignedApp:
    return push_signed_app(scratch_registry, "inside")


async def test_look_inside_the_referrers_in_a_real_registry(scratch_registry, app):
    host = scratch_registry.anon.host
    async with RegistryClient(host) as client:
        tree = await walk(client, parse_reference(f"{host}/{app.repository}:1.0"), referrers=True, inside=True)
        none_for_an_image = await look_inside(client, app.repository, tree.nodes[0].image)
    assert none_for_an_image is None
    inside = {n.descriptor.digest: n.inside.facts for n in tree.nodes[0].referrers if n.inside is not None}
    assert inside[app.sbom.digest] == ("SPDX-2.3", "3 packages")
    assert inside[app.provenance.digest][0] == "predicate SLSA provenance v1"
    assert inside[app.cosign_attestation.digest][0] == "predicate SLSA provenance v0.2"
    assert inside[app.cosign_signature.digest] == (f"signer {SIGNER}", f"issuer {ISSUER}", "not verified")
    assert inside[app.notation.digest] == (f"signed {SIGNING_TIME}", f"signer {NOTATION_SIGNER}", "not verified")
    [sbom] = [n for n in tree.nodes[0].referrers if n.descriptor.digest == app.sbom.digest]
    assert sbom.referrers[0].inside is not None and sbom.referrers[0].inside.facts[0] == f"signed {SIGNING_TIME}"
    assert tree.nodes[1].referrers[0].inside.facts == ("CycloneDX 1.5", "1 package")
