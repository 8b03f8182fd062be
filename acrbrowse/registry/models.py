"""Manifests, descriptors, platforms and image configs, parsed from the registry's JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Union

from acrbrowse.registry import mediatypes as mt
from acrbrowse.registry.errors import MalformedResponse

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """linux/arm64/v8, windows/amd64 10.0.17763.5329"""
        text = f"{self.os}/{self.architecture}"
        if self.variant:
            text += f"/{self.variant}"
        if self.os_version:
            text += f" {self.os_version}"
        return text

    @property
    def is_unknown(self) -> bool:
        return self.os == "unknown" and self.architecture == "unknown"

    @classmethod
    def from_json(cls, data: Any) -> Platform | None:
        if not isinstance(data, dict):
            return None
        return cls(
            os=str(data.get("os", "")),
            architecture=str(data.get("architecture", "")),
            variant=data.get("variant") or None,
            os_version=data.get("os.version") or None,
            os_features=tuple(data.get("os.features") or ()),
            features=tuple(data.get("features") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        if self.variant:
            out["variant"] = self.variant
        if self.features:
            out["features"] = list(self.features)
        return out


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    platform: Platform | None = None
    urls: tuple[str, ...] = ()
    artifact_type: str | None = None

    @property
    def is_attestation(self) -> bool:
        return self.annotations.get(mt.REFERENCE_TYPE_ANNOTATION) == mt.ATTESTATION_MANIFEST

    @property
    def attests(self) -> str | None:
        """For an attestation manifest, the digest of the image it is about."""
        return self.annotations.get(mt.REFERENCE_DIGEST_ANNOTATION)

    @property
    def is_foreign(self) -> bool:
        return mt.is_foreign_layer(self.media_type)

    @classmethod
    def from_json(cls, data: Any, where: str = "descriptor") -> Descriptor:
        if not isinstance(data, dict) or not isinstance(data.get("digest"), str):
            raise MalformedResponse(f"{where} has no digest")
        size = data.get("size", 0)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise MalformedResponse(f"{where} {data['digest']} has an invalid size {size!r}")
        annotations = data.get("annotations") or {}
        return cls(
            media_type=str(data.get("mediaType", "")),
            digest=data["digest"],
            size=size,
            annotations=MappingProxyType({str(k): str(v) for k, v in annotations.items()})
            if isinstance(annotations, dict)
            else _EMPTY,
            platform=Platform.from_json(data.get("platform")),
            urls=tuple(data.get("urls") or ()),
            artifact_type=data.get("artifactType") or None,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.urls:
            out["urls"] = list(self.urls)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = self.platform.to_json()
        return out


@dataclass(frozen=True)
class _ManifestBase:
    media_type: str
    digest: str
    raw: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.raw)

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    def descriptor(self) -> Descriptor:
        return Descriptor(self.media_type, self.digest, self.size)


@dataclass(frozen=True)
class ImageIndex(_ManifestBase):
    """An OCI image index or a Docker manifest list."""

    manifests: tuple[Descriptor, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    artifact_type: str | None = None
    subject: Descriptor | None = None

    @property
    def platforms(self) -> tuple[Descriptor, ...]:
        """The runnable entries: everything but attestation manifests."""
        return tuple(d for d in self.manifests if not d.is_attestation)

    @property
    def attestations(self) -> tuple[Descriptor, ...]:
        return tuple(d for d in self.manifests if d.is_attestation)

    @property
    def kind(self) -> str:
        return "index"


@dataclass(frozen=True)
class ImageManifest(_ManifestBase):
    """An OCI or Docker schema 2 manifest: one config, its layers. An artifact when the config isn't an image's."""

    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    artifact_type: str | None = None
    subject: Descriptor | None = None

    @property
    def compressed_size(self) -> int:
        """Sum of the layer sizes: what a pull downloads (as Docker Hub's "compressed size")."""
        return sum(layer.size for layer in self.layers)

    @property
    def is_artifact(self) -> bool:
        config_type = self.config.media_type if self.config else ""
        if self.artifact_type:
            return True
        return not mt.is_image_config(config_type)

    @property
    def kind(self) -> str:
        return "artifact" if self.is_artifact else "image"

    @property
    def effective_artifact_type(self) -> str | None:
        if self.artifact_type:
            return self.artifact_type
        if self.config and self.config.media_type not in (mt.OCI_EMPTY, *mt.IMAGE_CONFIG_TYPES):
            return self.config.media_type
        return None


@dataclass(frozen=True)
class LegacyManifest(_ManifestBase):
    """Docker schema 1: shown, not drilled into. Its layers are blobSums without sizes."""

    name: str = ""
    tag: str = ""
    architecture: str = ""
    blob_sums: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "legacy"


@dataclass(frozen=True)
class UnknownManifest(_ManifestBase):
    """A media type acrbrowse does not know: kept and shown raw."""

    @property
    def kind(self) -> str:
        return "unknown"


Manifest = Union[ImageIndex, ImageManifest, LegacyManifest, UnknownManifest]


def manifest_media_type(data: Any, content_type: str | None) -> str:
    """mediaType from the body, else the Content-Type header, else guessed from the shape."""
    declared = data.get("mediaType") if isinstance(data, dict) else None
    if isinstance(declared, str) and declared:
        return mt.bare(declared)
    header = mt.bare(content_type)
    if header and header not in ("application/json", "text/plain", "application/octet-stream"):
        return header
    if isinstance(data, dict):
        if "manifests" in data:
            return mt.OCI_INDEX
        if "config" in data and "layers" in data:
            return mt.OCI_MANIFEST
        if "fsLayers" in data or data.get("schemaVersion") == 1:
            return mt.DOCKER_SCHEMA1_SIGNED if "signatures" in data else mt.DOCKER_SCHEMA1
    return header or "application/octet-stream"


def parse_manifest(raw: bytes, digest: str, content_type: str | None = None) -> Manifest:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResponse(f"manifest {digest} is not valid JSON ({exc.__class__.__name__})") from None
    media_type = manifest_media_type(data, content_type)
    if not isinstance(data, dict):
        if mt.is_index(media_type) or mt.is_image(media_type) or mt.is_schema1(media_type):
            raise MalformedResponse(f"manifest {digest[:19]} ({mt.describe(media_type)}) is not a JSON object")
        return UnknownManifest(media_type, digest, raw)
    where = f"manifest {digest[:19]}"
    try:
        if mt.is_index(media_type):
            entries = data.get("manifests")
            if not isinstance(entries, list):
                raise MalformedResponse(f"{where}: an index without a manifests list")
            return ImageIndex(
                media_type, digest, raw,
                manifests=tuple(Descriptor.from_json(d, f"{where} entry") for d in entries),
                **_artifact_fields(data, where),
            )
        if mt.is_image(media_type):
            layers = data.get("layers")
            if not isinstance(layers, list):
                raise MalformedResponse(f"{where}: an image manifest without a layers list")
            return ImageManifest(
                media_type, digest, raw,
                config=Descriptor.from_json(data.get("config"), f"{where} config"),
                layers=tuple(Descriptor.from_json(d, f"{where} layer") for d in layers),
                **_artifact_fields(data, where),
            )
        if mt.is_schema1(media_type):
            return LegacyManifest(
                media_type, digest, raw,
                name=str(data.get("name", "")),
                tag=str(data.get("tag", "")),
                architecture=str(data.get("architecture", "")),
                blob_sums=tuple(
                    str(layer.get("blobSum")) for layer in data.get("fsLayers") or () if isinstance(layer, dict)
                ),
            )
    except (TypeError, AttributeError) as exc:
        raise MalformedResponse(f"{where} does not have the shape of a {mt.describe(media_type)}") from exc
    return UnknownManifest(media_type, digest, raw)


def _artifact_fields(data: dict, where: str) -> dict[str, Any]:
    """annotations, artifactType and subject: the same three fields on an index and an image."""
    subject = data.get("subject")
    return {
        "annotations": _annotations(data),
        "artifact_type": data.get("artifactType") or None,
        "subject": Descriptor.from_json(subject, f"{where} subject") if subject else None,
    }


def _annotations(data: dict) -> Mapping[str, str]:
    value = data.get("annotations")
    if not isinstance(value, dict):
        return _EMPTY
    return MappingProxyType({str(k): str(v) for k, v in value.items()})


@dataclass(frozen=True)
class HistoryEntry:
    created: str | None
    created_by: str | None
    comment: str | None
    empty_layer: bool


@dataclass(frozen=True)
class RuntimeConfig:
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    working_dir: str | None = None
    user: str | None = None
    exposed_ports: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageConfig:
    digest: str
    raw: bytes = field(repr=False)
    created: str | None = None
    architecture: str | None = None
    os: str | None = None
    os_version: str | None = None
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    history: tuple[HistoryEntry, ...] = ()

    def layer_history(self, layer_count: int) -> list[HistoryEntry | None]:
        """The history entry that produced each layer, in layer order (None where history is short)."""
        producing = [h for h in self.history if not h.empty_layer]
        return [producing[i] if i < len(producing) else None for i in range(layer_count)]


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def parse_config(raw: bytes, digest: str) -> ImageConfig:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedResponse(f"image config {digest[:19]} is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"image config {digest[:19]} is not a JSON object")
    runtime = data.get("config") or {}
    if not isinstance(runtime, dict):
        runtime = {}
    history = data.get("history") or []
    if not isinstance(history, list):
        history = []
    labels = runtime.get("Labels") or {}
    return ImageConfig(
        digest=digest,
        raw=raw,
        created=data.get("created"),
        architecture=data.get("architecture"),
        os=data.get("os"),
        os_version=data.get("os.version"),
        runtime=RuntimeConfig(
            entrypoint=_strings(runtime.get("Entrypoint")),
            cmd=_strings(runtime.get("Cmd")),
            env=_strings(runtime.get("Env")),
            labels=MappingProxyType({str(k): str(v) for k, v in labels.items()}) if isinstance(labels, dict) else _EMPTY,
            working_dir=runtime.get("WorkingDir") or None,
            user=runtime.get("User") or None,
            exposed_ports=tuple(sorted((runtime.get("ExposedPorts") or {}).keys()))
            if isinstance(runtime.get("ExposedPorts"), dict)
            else (),
        ),
        history=tuple(
            HistoryEntry(
                created=h.get("created"),
                created_by=h.get("created_by"),
                comment=h.get("comment"),
                empty_layer=h.get("empty_layer") is True or str(h.get("empty_layer")).lower() == "true",
            )
            for h in history
            if isinstance(h, dict)
        ),
    )
