"""Media types: the one source of truth for what acrbrowse asks for and how it reads it."""

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
# The artifact manifests of OCI 1.1's release candidates and of ORAS before it: `blobs`, no config.
# Registries mostly refuse them now; some still hold them.
OCI_ARTIFACT_MANIFEST = "application/vnd.oci.artifact.manifest.v1+json"
ORAS_ARTIFACT_MANIFEST = "application/vnd.cncf.oras.artifact.manifest.v1+json"

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_NONDISTRIBUTABLE_PREFIX = "application/vnd.oci.image.layer.nondistributable."

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED})
ARTIFACT_MANIFEST_TYPES = frozenset({OCI_ARTIFACT_MANIFEST, ORAS_ARTIFACT_MANIFEST})
IMAGE_CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})

# Sent on every manifest request. Without the OCI types, registries answer an OCI index with
# 404 or a down-converted manifest; schema 1 comes last, shown as legacy. The artifact manifests are
# asked for too: a registry that still holds one (Notation's older signatures) answers 404 without.
MANIFEST_ACCEPT = ", ".join(
    [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST, OCI_ARTIFACT_MANIFEST, ORAS_ARTIFACT_MANIFEST,
     f"{DOCKER_SCHEMA1_SIGNED};q=0.5", f"{DOCKER_SCHEMA1};q=0.5"]
)

# buildkit marks the entries of an index that are about another entry (attestations, the builder
# image) with these annotations: any reference type, not only attestations, is no platform.
REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type"
REFERENCE_DIGEST_ANNOTATION = "vnd.docker.reference.digest"
ATTESTATION_MANIFEST = "attestation-manifest"
IN_TOTO_PREDICATE_ANNOTATION = "in-toto.io/predicate-type"

# What artifacts say they are (kinds.py reads them): cosign, Notation, SBOMs, in-toto, Helm, WASM, SOCI.
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
COSIGN_SBOM_ARTIFACT = "application/vnd.dev.cosign.artifact.sbom.v1+json"
COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
NOTATION_SIGNATURE_V2 = "application/vnd.cncf.notary.v2.signature"
JWS_ENVELOPE = "application/jose+json"
COSE_ENVELOPE = "application/cose"
IN_TOTO = "application/vnd.in-toto+json"
SPDX_TYPES = frozenset({"application/spdx+json", "text/spdx+json", "text/spdx", "application/vnd.spdx+json"})
CYCLONEDX_TYPES = frozenset({"application/vnd.cyclonedx+json", "application/vnd.cyclonedx+xml",
                             "application/vnd.cyclonedx", "text/cyclonedx+json"})
SYFT_JSON = "application/vnd.syft+json"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
WASM_TYPES = frozenset({"application/vnd.wasm.config.v0+json", "application/vnd.wasm.config.v1+json",
                        "application/vnd.wasm.content.layer.v1+wasm", "application/vnd.module.wasm.content.layer.v1+wasm",
                        "application/vnd.module.wasm.config.v1+json", "application/wasm"})
SOCI_INDEX_PREFIX = "application/vnd.amazon.soci.index."


def bare(media_type: str | None) -> str:
    """The media type without parameters ("; charset=utf-8")."""
    return (media_type or "").split(";", 1)[0].strip().lower()


def is_index(media_type: str | None) -> bool:
    return bare(media_type) in INDEX_TYPES


def is_image(media_type: str | None) -> bool:
    return bare(media_type) in IMAGE_TYPES


def is_schema1(media_type: str | None) -> bool:
    return bare(media_type) in SCHEMA1_TYPES


def is_artifact_manifest(media_type: str | None) -> bool:
    return bare(media_type) in ARTIFACT_MANIFEST_TYPES


def is_image_config(media_type: str | None) -> bool:
    return bare(media_type) in IMAGE_CONFIG_TYPES


def is_foreign_layer(media_type: str | None) -> bool:
    mt = bare(media_type)
    return mt == DOCKER_FOREIGN_LAYER or mt.startswith(OCI_NONDISTRIBUTABLE_PREFIX)


def describe(media_type: str | None) -> str:
    """A short human name for a media type, e.g. "OCI image index"."""
    return _NAMES.get(bare(media_type), bare(media_type) or "unknown")


_NAMES = {
    OCI_INDEX: "OCI image index",
    DOCKER_MANIFEST_LIST: "Docker manifest list",
    OCI_MANIFEST: "OCI image manifest",
    DOCKER_MANIFEST: "Docker image manifest",
    DOCKER_SCHEMA1: "Docker schema 1 manifest (legacy)",
    DOCKER_SCHEMA1_SIGNED: "Docker schema 1 manifest (legacy, signed)",
    OCI_CONFIG: "OCI image config",
    DOCKER_CONFIG: "Docker image config",
    OCI_EMPTY: "empty",
    OCI_ARTIFACT_MANIFEST: "OCI artifact manifest",
    ORAS_ARTIFACT_MANIFEST: "ORAS artifact manifest",
}
