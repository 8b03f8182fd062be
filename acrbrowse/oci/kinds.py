"""What a manifest is, at a glance: image, index, Helm chart, signature, SBOM, attestation, WASM,
SOCI index or some other artifact, read from what is already fetched (the manifest; for a Helm
chart's name and version, its config). Pure: no I/O. Values stay exact; whatever shows them escapes.

The signs are the ones the tools write: cosign (a simplesigning layer, `.sig`/`.att`/`.sbom` tags),
Notation (artifactType `application/vnd.cncf.notary.signature`), buildkit (in-toto layers with
`in-toto.io/predicate-type`), oras and Helm (their artifact and config media types).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from acrbrowse import boundedjson
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import ImageIndex, ImageManifest, LegacyManifest, Manifest

IMAGE, INDEX, HELM_CHART, SIGNATURE, SBOM, ATTESTATION = "image", "index", "Helm chart", "signature", "SBOM", "attestation"
WASM, SOCI_INDEX, ARTIFACT, LEGACY, UNKNOWN = "WASM", "SOCI index", "artifact", "legacy", "unknown"
ATTACHED = frozenset({SIGNATURE, SBOM, ATTESTATION})  # kinds that are about another manifest

COSIGN_PREDICATE_ANNOTATION = "predicateType"  # on cosign's .att layers
SIGSTORE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType"  # on sigstore bundles of attestations
COSIGN_TAG = re.compile(r"(?P<algorithm>sha256|sha512)-(?P<hex>[0-9a-f]{64}|[0-9a-f]{128})\.(?P<suffix>sig|att|sbom)")
REFERRERS_TAG = re.compile(r"(?P<algorithm>sha256|sha512)-(?P<hex>[0-9a-f]{64})")
COSIGN_TAG_KINDS = {"sig": SIGNATURE, "att": ATTESTATION, "sbom": SBOM}

# Predicate types with a short name; any other is shown as it is.
_PREDICATES = {
    "https://slsa.dev/provenance/v0.1": "SLSA provenance v0.1",
    "https://slsa.dev/provenance/v0.2": "SLSA provenance v0.2",
    "https://slsa.dev/provenance/v1": "SLSA provenance v1",
    "https://spdx.dev/Document": "SPDX SBOM",
    "https://cyclonedx.org/bom": "CycloneDX SBOM",
    "https://cosign.sigstore.dev/attestation/vuln/v1": "vulnerability scan",
    "https://in-toto.io/attestation/vulns": "vulnerability scan",
}
_SBOM_PREDICATES = {"https://spdx.dev/Document": "SPDX", "https://cyclonedx.org/bom": "CycloneDX"}


@dataclass(frozen=True)
class Kind:
    name: str  # one of the names above
    detail: str | None = None  # "cosign", "SPDX", "SLSA provenance v1", "3 platforms", an artifact type

    @property
    def label(self) -> str:
        """'signature (cosign)', 'index (3 platforms)', 'image'; not escaped."""
        return f"{self.name} ({self.detail})" if self.detail else self.name

    @property
    def is_attached(self) -> bool:
        """A signature, SBOM or attestation: about another manifest, not something to run."""
        return self.name in ATTACHED


def predicate_label(predicate_type: str) -> str:
    """'https://slsa.dev/provenance/v1' -> 'SLSA provenance v1'; unknown ones as they are."""
    return _PREDICATES.get(predicate_type, predicate_type)


def cosign_tag(tag: str) -> tuple[str, str] | None:
    """For cosign's `sha256-<hex>.sig|.att|.sbom` tags: (the subject's digest, the kind); else None."""
    match = COSIGN_TAG.fullmatch(tag)
    if match is None:
        return None
    return f"{match['algorithm']}:{match['hex']}", COSIGN_TAG_KINDS[match["suffix"]]


def kind_of(manifest: Manifest, *, tag: str | None = None) -> Kind:
    """The kind of `manifest` (fetched under `tag`, when a tag led to it: cosign's suffixes tell)."""
    if isinstance(manifest, ImageIndex):
        return _index_kind(manifest)
    if isinstance(manifest, LegacyManifest):
        return Kind(LEGACY, "schema 1")
    if not isinstance(manifest, ImageManifest):
        return Kind(UNKNOWN, manifest.media_type or None)
    found = _artifact_kind(manifest)
    if found is not None:
        return found
    by_tag = cosign_tag(tag) if tag else None
    if by_tag is not None:
        return Kind(by_tag[1], "cosign")
    if not manifest.is_artifact:
        return Kind(IMAGE)
    return Kind(ARTIFACT, manifest.effective_artifact_type)


def referrers_tag(tag: str) -> str | None:
    """For a tag of the referrers tag schema (`sha256-<hex>`, as oras and Notation keep it where a
    registry has no referrers API), the digest of the subject it lists referrers of; else None."""
    match = REFERRERS_TAG.fullmatch(tag)
    return f"{match['algorithm']}:{match['hex']}" if match else None


def _index_kind(index: ImageIndex) -> Kind:
    if index.artifact_type:
        count = len(index.manifests)
        return Kind(INDEX, f"{index.artifact_type}, {count} entr{'y' if count == 1 else 'ies'}")
    platforms = index.platforms
    if platforms and all(d.platform is None and d.artifact_type for d in platforms):
        # a referrers tag's index, or any index of artifacts: nothing in it runs
        return Kind(INDEX, f"{len(platforms)} artifact{'s' * (len(platforms) != 1)}")
    count = len(platforms)
    return Kind(INDEX, f"{count} platform{'s' * (count != 1)}")


def _types(image: ImageManifest) -> set[str]:
    """Every media type the manifest names: its artifactType, its config's and its layers'."""
    named = {mt.bare(layer.media_type) for layer in image.layers}
    if image.artifact_type:
        named.add(mt.bare(image.artifact_type))
    if image.config is not None:
        named.add(mt.bare(image.config.media_type))
    return named


def _artifact_kind(image: ImageManifest) -> Kind | None:
    named = _types(image)
    primary = mt.bare(image.effective_artifact_type)
    layer_annotations = [layer.annotations for layer in image.layers]
    if named & {mt.NOTATION_SIGNATURE, mt.NOTATION_SIGNATURE_V2}:
        return Kind(SIGNATURE, "Notation")
    if primary.startswith(mt.SIGSTORE_BUNDLE_PREFIX):
        predicate = image.annotations.get(SIGSTORE_PREDICATE_ANNOTATION)
        return Kind(ATTESTATION, predicate_label(predicate)) if predicate else Kind(SIGNATURE, "sigstore bundle")
    if mt.COSIGN_SIMPLESIGNING in named or primary == mt.COSIGN_SIGNATURE_ARTIFACT:
        return Kind(SIGNATURE, "cosign")
    sbom = _sbom_format(named, primary)
    if sbom is not None:
        return Kind(SBOM, sbom)
    predicates = _predicates(layer_annotations)
    if mt.DSSE_ENVELOPE in named or mt.IN_TOTO in named:
        return _attestation(predicates)
    if mt.HELM_CONFIG in named:
        return Kind(HELM_CHART)
    if named & mt.WASM_TYPES:
        return Kind(WASM)
    if any(name.startswith(mt.SOCI_INDEX_PREFIX) for name in named):
        return Kind(SOCI_INDEX)
    return None


def _sbom_format(named: set[str], primary: str) -> str | None:
    if named & mt.SPDX_TYPES:
        return "SPDX"
    if named & mt.CYCLONEDX_TYPES:
        return "CycloneDX"
    if mt.SYFT_JSON in named:
        return "Syft"
    if primary == mt.COSIGN_SBOM_ARTIFACT:
        return "cosign"
    return None


def _predicates(annotations: Iterable[Mapping[str, str]]) -> list[str]:
    """The predicate types the layers announce (buildkit's and cosign's annotations), in order, once each."""
    out: list[str] = []
    for layer in annotations:
        for key in (mt.IN_TOTO_PREDICATE_ANNOTATION, COSIGN_PREDICATE_ANNOTATION):
            value = layer.get(key)
            if value and value not in out:
                out.append(value)
    return out


def _attestation(predicates: list[str]) -> Kind:
    """An in-toto attestation; one whose only predicates are SBOMs is an SBOM (buildkit's `--sbom`)."""
    if predicates and all(p in _SBOM_PREDICATES for p in predicates):
        return Kind(SBOM, ", ".join(_SBOM_PREDICATES[p] for p in predicates) + " in-toto")
    return Kind(ATTESTATION, ", ".join(predicate_label(p) for p in predicates) or "in-toto")


@dataclass(frozen=True)
class HelmChart:
    name: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def helm_chart(config: bytes) -> HelmChart | None:
    """A Helm chart's name and version from its config blob (Chart.yaml as JSON); None when unreadable."""
    try:
        data = boundedjson.loads(config)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name:
        return None
    return HelmChart(name, version)
