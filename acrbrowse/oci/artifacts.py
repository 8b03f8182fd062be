"""A look inside small artifacts: an SBOM's format and package count, an attestation's predicate
type and subjects, a cosign signature's signer and issuer (from its certificate annotation), a
Notation JWS signature's signing time and signer. Read on demand, one blob of at most
INSIDE_BYTES, digest-verified by the client. Nothing is verified cryptographically: every fact
says "not verified". Values stay exact; whatever shows them escapes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from acrbrowse import boundedjson
from acrbrowse.limits import CONFIG_BYTES
from acrbrowse.oci import kinds
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import Descriptor, ImageManifest
from acrbrowse.oci.source import Source

INSIDE_BYTES = CONFIG_BYTES  # the most read of one artifact blob (an SBOM of a big image is a few MiB)
NOT_VERIFIED = "not verified"

# Fulcio's certificate extensions: the OIDC issuer (v1: the raw string; v2: a DER UTF8String).
FULCIO_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
FULCIO_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
NOTATION_SIGNING_TIME = "io.cncf.notary.signingTime"


@dataclass(frozen=True)
class Inside:
    """What a look inside found: short facts, in order, each already worded ("3 packages")."""

    facts: tuple[str, ...]

    @property
    def line(self) -> str:
        return ", ".join(self.facts)


def _json(data: bytes) -> Any:
    try:
        return boundedjson.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


def _b64(text: Any, *, url: bool) -> bytes | None:
    if not isinstance(text, str) or not text.isascii():
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.urlsafe_b64decode(padded) if url else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _count(items: Any) -> str | None:
    return f"{len(items)} package{'s' * (len(items) != 1)}" if isinstance(items, list) else None


def sbom_facts(data: bytes) -> Inside | None:
    """SPDX or CycloneDX JSON (bare, or as the predicate of an in-toto statement): format, version,
    package count."""
    document = _json(data)
    if isinstance(document, dict) and isinstance(document.get("predicate"), dict):
        document = document["predicate"]
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("spdxVersion"), str):
        return Inside(tuple(f for f in (document["spdxVersion"], _count(document.get("packages", []))) if f))
    if document.get("bomFormat") == "CycloneDX":
        version = document.get("specVersion")
        label = f"CycloneDX {version}" if isinstance(version, str) else "CycloneDX"
        return Inside(tuple(f for f in (label, _count(document.get("components", []))) if f))
    return None


def statement_facts(data: bytes) -> Inside | None:
    """An in-toto statement, bare or in a DSSE envelope: its predicate type and subjects."""
    document = _json(data)
    if isinstance(document, dict) and "payload" in document and "payloadType" in document:
        payload = _b64(document.get("payload"), url=False) or _b64(document.get("payload"), url=True)
        document = _json(payload) if payload is not None else None
    if not isinstance(document, dict) or not isinstance(document.get("predicateType"), str):
        return None
    facts = [f"predicate {kinds.predicate_label(document['predicateType'])}"]
    subjects = document.get("subject")
    if isinstance(subjects, list):
        for subject in subjects[:3]:
            if isinstance(subject, dict) and isinstance(subject.get("name"), str):
                digest = subject.get("digest")
                sha = digest.get("sha256") if isinstance(digest, dict) else None
                facts.append(f"subject {subject['name']}" + (f"@sha256:{sha[:12]}…" if isinstance(sha, str) else ""))
        if len(subjects) > 3:
            facts.append(f"{len(subjects) - 3} more subjects")
    return Inside((*facts, NOT_VERIFIED))


@dataclass(frozen=True)
class Signer:
    identity: str | None
    issuer: str | None


def certificate_signer(pem: str | bytes) -> Signer | None:
    """The signer identity (a SAN: e-mail or URI) and OIDC issuer of a Fulcio (or any) certificate."""
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

    try:
        raw = pem.encode() if isinstance(pem, str) else pem
        certificate = x509.load_pem_x509_certificate(raw) if b"-----BEGIN" in raw else x509.load_der_x509_certificate(raw)
    except ValueError:
        return None
    identity = None
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        found = names.get_values_for_type(x509.RFC822Name) + names.get_values_for_type(
            x509.UniformResourceIdentifier)
        identity = found[0] if found else None
    except (x509.ExtensionNotFound, ValueError):
        pass
    if identity is None:
        common = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        identity = str(common[0].value) if common else certificate.subject.rfc4514_string() or None
    issuer = None
    for oid in (FULCIO_ISSUER_V2, FULCIO_ISSUER_V1):
        try:
            value = certificate.extensions.get_extension_for_oid(ObjectIdentifier(oid)).value
        except (x509.ExtensionNotFound, ValueError):
            continue
        der = getattr(value, "value", b"")
        issuer = _der_utf8(der) if oid == FULCIO_ISSUER_V2 else der.decode("utf-8", "replace")
        if issuer:
            break
    return Signer(identity, issuer)


def _der_utf8(der: bytes) -> str | None:
    """A DER UTF8String's text (tag 0x0c, a short or long length)."""
    if len(der) < 2 or der[0] != 0x0C:
        return None
    length, start = der[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(der[2:2 + count], "big"), 2 + count
    return der[start:start + length].decode("utf-8", "replace")


def cosign_facts(image: ImageManifest) -> Inside | None:
    """A cosign signature's signer and issuer, from the certificate annotation on its layer (keyless
    signing); a signature made with a key has none: "signed with a key"."""
    for layer in image.layers:
        pem = layer.annotations.get(mt.COSIGN_CERTIFICATE_ANNOTATION)
        if pem:
            signer = certificate_signer(pem)
            if signer is None:
                return Inside(("certificate unreadable", NOT_VERIFIED))
            facts = [f"signer {signer.identity}" if signer.identity else "signer unknown"]
            if signer.issuer:
                facts.append(f"issuer {signer.issuer}")
            return Inside((*facts, NOT_VERIFIED))
    if any(mt.COSIGN_SIGNATURE_ANNOTATION in layer.annotations for layer in image.layers):
        return Inside(("signed with a key", NOT_VERIFIED))
    return None


def notation_facts(data: bytes) -> Inside | None:
    """A Notation JWS envelope (JSON serialization): the signing time from its protected header and
    the signer from the first certificate of its chain."""
    envelope = _json(data)
    if not isinstance(envelope, dict):
        return None
    protected = _b64(envelope.get("protected"), url=True)
    header = _json(protected) if protected is not None else None
    facts = []
    if isinstance(header, dict) and isinstance(header.get(NOTATION_SIGNING_TIME), str):
        facts.append(f"signed {header[NOTATION_SIGNING_TIME]}")
    unprotected = envelope.get("header")
    chain = unprotected.get("x5c") if isinstance(unprotected, dict) else None
    if isinstance(chain, list) and chain:
        der = _b64(chain[0], url=False)
        signer = certificate_signer(der) if der is not None else None
        if signer is not None and signer.identity:
            facts.append(f"signer {signer.identity}")
    return Inside((*facts, NOT_VERIFIED)) if facts else None


def _blob(image: ImageManifest, *types: str) -> Descriptor | None:
    for layer in image.layers:
        if mt.bare(layer.media_type) in types or not types:
            return layer
    return None


async def look_inside(client: Source, repository: str, image: ImageManifest, tag: str | None = None) -> Inside | None:
    """Facts from inside an SBOM, attestation or signature (one small blob read, or none for a cosign
    signature); None for other kinds, or when nothing is found. An error is a fact too."""
    kind = kinds.kind_of(image, tag=tag)
    if kind.name == kinds.SIGNATURE and kind.detail in ("cosign", None):
        return cosign_facts(image)
    if kind.name == kinds.SIGNATURE and kind.detail == "Notation":
        layer, read = _blob(image, mt.JWS_ENVELOPE), notation_facts
        if layer is None:
            cose = _blob(image, mt.COSE_ENVELOPE)
            return Inside(("COSE envelope", NOT_VERIFIED)) if cose is not None else None
    elif kind.name == kinds.SBOM:
        layer, read = _blob(image), sbom_facts
    elif kind.name == kinds.ATTESTATION:
        layer, read = _blob(image, mt.IN_TOTO, mt.DSSE_ENVELOPE) or _blob(image), statement_facts
    else:
        return None
    if layer is None:
        return None
    if layer.size > INSIDE_BYTES:
        return Inside((f"{layer.size:,} bytes: too big to look inside",))
    try:
        data = await client.get_blob(repository, layer.digest, max_bytes=INSIDE_BYTES)
    except RegistryError as exc:
        return Inside((f"unread: {exc}",))
    return read(data)
