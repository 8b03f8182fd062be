"""Manifests, descriptors, platforms and image configs, parsed from the registry's JSON.

The models hold only what their fields declare. parse_manifest, parse_config and the from_json
constructors check the JSON type of every field they read, with one rule for all of them,
decorative or not: a missing key or JSON null is absent (the field's default); any other value of
the wrong type is refused with a MalformedResponse naming the document and the field, e.g.
"manifest sha256:0123456789ab… layer 2: urls must be a list of strings". Nothing is dropped
silently: a registry that sends `created: 12345` is broken or hostile, and saying so beats showing
part of a document as if it were all of it. Every digest (a descriptor's, a manifest's, a config's,
a schema 1 blobSum) is a sha256 or sha512 digest in the OCI grammar (reference.validate_digest).
Values stay exact, never escaped: --json prints them as they came; whatever shows them escapes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from acrbrowse import boundedjson
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import InvalidReference, MalformedResponse
from acrbrowse.oci.name import digest_or_none, validate_digest

_EMPTY: Mapping[str, str] = MappingProxyType({})
MAX_SIZE = 2**63  # sizes are int64 in the OCI spec


def _refuse(where: str, name: str, must: str) -> MalformedResponse:
    return MalformedResponse(f"{where}: {name} must be {must}")


# The common digests, matched in one step; anything else is judged by validate_digest, the authority.
_PLAIN_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")


def _digest(value: Any, where: str, name: str = "digest") -> str:
    if isinstance(value, str) and _PLAIN_DIGEST.fullmatch(value):
        return value
    if value is None:
        raise MalformedResponse(f"{where}: {name} is missing")
    if not isinstance(value, str):
        raise _refuse(where, name, "a string")
    try:
        return validate_digest(value)
    except InvalidReference:
        raise MalformedResponse(f"{where}: {name} {value[:80]!r} is not a sha256 or sha512 digest") from None


def _size(value: Any, where: str, name: str = "size") -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_SIZE:
        return value
    raise _refuse(where, name, "a whole number from 0 to 2**63-1")


def _text(data: dict, key: str, where: str, prefix: str = "") -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _refuse(where, prefix + key, "a string")


def _strings(data: dict, key: str, where: str, prefix: str = "", *, or_one: bool = False) -> tuple[str, ...]:
    """A list of strings (or, with `or_one`, a single string, as Docker writes a shell-form Cmd)."""
    value = data.get(key)
    if value is None:
        return ()
    if or_one and isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _refuse(where, prefix + key, "a list of strings" + (" or a string" if or_one else ""))


def _string_map(data: dict, key: str, where: str, prefix: str = "") -> Mapping[str, str]:
    value = data.get(key)
    if value is None:
        return _EMPTY
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return MappingProxyType(dict(value)) if value else _EMPTY
    raise _refuse(where, prefix + key, "an object of strings")


def _object(data: dict, key: str, where: str, prefix: str = "") -> dict | None:
    value = data.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise _refuse(where, prefix + key, "an object")


def _list(data: dict, key: str, where: str, prefix: str = "") -> list | None:
    value = data.get(key)
    if value is None or isinstance(value, list):
        return value
    raise _refuse(where, prefix + key, "a list")


def _flag(data: dict, key: str, where: str, prefix: str = "") -> bool:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise _refuse(where, prefix + key, "true or false")


def _short(digest: str) -> str:
    return f"{digest[:19]}…"


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

    @classmethod
    def from_json(cls, data: Any, where: str = "descriptor") -> Platform | None:
        """The `platform` object of a descriptor (None when absent); field names are reported as platform.os etc."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise _refuse(where, "platform", "an object")
        prefix = "platform."
        return cls(
            os=_text(data, "os", where, prefix) or "",
            architecture=_text(data, "architecture", where, prefix) or "",
            variant=_text(data, "variant", where, prefix) or None,
            os_version=_text(data, "os.version", where, prefix) or None,
            os_features=_strings(data, "os.features", where, prefix),
            features=_strings(data, "features", where, prefix),
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
    def reference_type(self) -> str | None:
        """buildkit's `vnd.docker.reference.type` ("attestation-manifest", "builder", …), if any."""
        return self.annotations.get(mt.REFERENCE_TYPE_ANNOTATION) or None

    @property
    def is_attestation(self) -> bool:
        """An entry about another entry (any reference type: attestations, the builder image): grouped
        with the attestations, never counted as a platform."""
        return self.reference_type is not None

    @property
    def attests(self) -> str | None:
        """For an attestation manifest, the digest of the image it is about (None unless a valid digest)."""
        return digest_or_none(self.annotations.get(mt.REFERENCE_DIGEST_ANNOTATION))

    @property
    def is_foreign(self) -> bool:
        return mt.is_foreign_layer(self.media_type)

    def __post_init__(self) -> None:
        # The fields everything else trusts: what is fetched, copied and added up.
        _digest(self.digest, "descriptor")
        _size(self.size, f"descriptor {_short(self.digest)}")

    @classmethod
    def from_json(cls, data: Any, where: str = "descriptor") -> Descriptor:
        """A descriptor object; `where` names it in errors ("manifest sha256:… layer 2")."""
        if not isinstance(data, dict):
            raise MalformedResponse(f"{where} must be an object")
        return cls(
            media_type=_text(data, "mediaType", where) or "",
            digest=_digest(data.get("digest"), where),
            size=_size(data.get("size"), where),
            annotations=_string_map(data, "annotations", where),
            platform=Platform.from_json(data.get("platform"), where),
            urls=_strings(data, "urls", where),
            artifact_type=_text(data, "artifactType", where) or None,
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
    # Fetched by tag, the digest the registry announced when the body received hashes to another
    # (`digest` is then the body's): a warning to show, never a digest to fetch by.
    announced_digest: str | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        return len(self.raw)

    def __post_init__(self) -> None:
        _digest(self.digest, "manifest")

    @property
    def json(self) -> Any:
        return boundedjson.loads(self.raw)

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

    @cached_property
    def platform_by_digest(self) -> Mapping[str, Platform]:
        """The platform of each entry that has one, by digest (the first entry wins): one lookup
        per attestation instead of a scan of the whole index."""
        out: dict[str, Platform] = {}
        for entry in self.manifests:
            if entry.platform is not None:
                out.setdefault(entry.digest, entry.platform)
        return MappingProxyType(out)

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
    def is_artifact_manifest(self) -> bool:
        """An OCI 1.1-rc / ORAS artifact manifest: its `blobs` are `layers` here, and it has no config."""
        return mt.is_artifact_manifest(self.media_type)

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


Manifest = ImageIndex | ImageManifest | LegacyManifest | UnknownManifest


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


def _load(raw: bytes, what: str) -> Any:
    """JSON from outside: depth-bounded, and every parse failure a MalformedResponse."""
    try:
        return boundedjson.loads(raw)
    except boundedjson.JSONTooDeep as exc:
        raise MalformedResponse(f"{what} is not usable JSON: {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:  # incl. ints of more than 4,300 digits
        raise MalformedResponse(f"{what} is not valid JSON ({exc.__class__.__name__})") from None


def parse_manifest(raw: bytes, digest: str, content_type: str | None = None) -> Manifest:
    """A manifest's bytes as a model: an index, an image (or artifact), schema 1, or unknown kept raw."""
    _digest(digest, "manifest")
    where = f"manifest {_short(digest)}"
    data = _load(raw, where)
    media_type = manifest_media_type(data, content_type)
    if not isinstance(data, dict):
        if mt.is_index(media_type) or mt.is_image(media_type) or mt.is_schema1(media_type) \
                or mt.is_artifact_manifest(media_type):
            raise MalformedResponse(f"{where} ({mt.describe(media_type)}) is not a JSON object")
        return UnknownManifest(media_type, digest, raw)
    _text(data, "mediaType", where)
    if mt.is_index(media_type):
        return _parse_index(data, media_type, digest, raw, where)
    if mt.is_image(media_type):
        return _parse_image(data, media_type, digest, raw, where)
    if mt.is_schema1(media_type):
        return _parse_schema1(data, media_type, digest, raw, where)
    if mt.is_artifact_manifest(media_type):
        return _parse_artifact(data, media_type, digest, raw, where)
    return UnknownManifest(media_type, digest, raw)


def _parse_index(data: dict, media_type: str, digest: str, raw: bytes, where: str) -> ImageIndex:
    entries = _list(data, "manifests", where)
    if entries is None:
        raise MalformedResponse(f"{where}: an index without a manifests list")
    return ImageIndex(
        media_type, digest, raw,
        manifests=tuple(Descriptor.from_json(d, f"{where} entry {i}") for i, d in enumerate(entries, 1)),
        **_artifact_fields(data, where),
    )


def _parse_image(data: dict, media_type: str, digest: str, raw: bytes, where: str) -> ImageManifest:
    if "layers" not in data:
        raise MalformedResponse(f"{where}: an image manifest without a layers list")
    layers = _list(data, "layers", where) or []  # "layers": null, as some writers say none
    config = data.get("config")
    if config is None:
        raise MalformedResponse(f"{where}: an image manifest without a config")
    return ImageManifest(
        media_type, digest, raw,
        config=Descriptor.from_json(config, f"{where} config"),
        layers=tuple(Descriptor.from_json(d, f"{where} layer {i}") for i, d in enumerate(layers, 1)),
        **_artifact_fields(data, where),
    )


def _parse_artifact(data: dict, media_type: str, digest: str, raw: bytes, where: str) -> ImageManifest:
    """An artifact manifest (OCI 1.1-rc, ORAS): `blobs` (maybe none) instead of config and layers."""
    blobs = _list(data, "blobs", where) or []
    return ImageManifest(
        media_type, digest, raw,
        layers=tuple(Descriptor.from_json(d, f"{where} blob {i}") for i, d in enumerate(blobs, 1)),
        **_artifact_fields(data, where),
    )


def _parse_schema1(data: dict, media_type: str, digest: str, raw: bytes, where: str) -> LegacyManifest:
    fs_layers = _list(data, "fsLayers", where) or []
    blob_sums = []
    for i, layer in enumerate(fs_layers, 1):
        if not isinstance(layer, dict):
            raise MalformedResponse(f"{where} fsLayer {i} must be an object")
        blob_sums.append(_digest(layer.get("blobSum"), f"{where} fsLayer {i}", "blobSum"))
    return LegacyManifest(
        media_type, digest, raw,
        name=_text(data, "name", where) or "",
        tag=_text(data, "tag", where) or "",
        architecture=_text(data, "architecture", where) or "",
        blob_sums=tuple(blob_sums),
    )


MAX_SCHEMA1_TAIL = 1024  # a formatTail is the few bytes that close the JSON ("\n}")


def schema1_payload(raw: bytes) -> bytes | None:
    """A signed schema 1 manifest's canonical payload, the bytes its digest is of: the document
    without its JWS `signatures`, as libtrust cut it (each signature's protected header says where:
    the first `formatLength` bytes, then the base64url `formatTail`). None when `raw` is not a signed
    schema 1 manifest, its signatures disagree, or the payload is not the document minus its signatures."""
    try:
        data = boundedjson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    signatures = data.get("signatures") if isinstance(data, dict) else None
    if not isinstance(signatures, list) or not signatures:
        return None
    cuts = {_schema1_cut(signature) for signature in signatures}
    if len(cuts) != 1 or None in cuts:
        return None
    [cut] = cuts
    assert cut is not None
    length, tail = cut
    if length > len(raw):
        return None
    payload = raw[:length] + tail
    try:
        unsigned = boundedjson.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    # What is shown is `raw`: it must say nothing the digest does not cover.
    if unsigned != {key: value for key, value in data.items() if key != "signatures"}:
        return None
    return payload


def _schema1_cut(signature: Any) -> tuple[int, bytes] | None:
    protected = signature.get("protected") if isinstance(signature, dict) else None
    header = _base64url_json(protected)
    if not isinstance(header, dict):
        return None
    length, tail = header.get("formatLength"), header.get("formatTail")
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0 or not isinstance(tail, str):
        return None
    tail_bytes = _base64url(tail)
    if tail_bytes is None or len(tail_bytes) > MAX_SCHEMA1_TAIL:
        return None
    return length, tail_bytes


def _base64url(text: Any) -> bytes | None:
    if not isinstance(text, str) or len(text) > 64 * 1024 or not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _base64url_json(text: Any) -> Any:
    decoded = _base64url(text)
    if decoded is None:
        return None
    try:
        return boundedjson.loads(decoded)
    except (ValueError, UnicodeDecodeError):
        return None


def _artifact_fields(data: dict, where: str) -> dict[str, Any]:
    """annotations, artifactType and subject: the same three fields on an index and an image."""
    subject = data.get("subject")
    return {
        "annotations": _string_map(data, "annotations", where),
        "artifact_type": _text(data, "artifactType", where) or None,
        "subject": None if subject is None else Descriptor.from_json(subject, f"{where} subject"),
    }


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
    volumes: tuple[str, ...] = ()  # the paths of config.Volumes, sorted


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

    def __post_init__(self) -> None:
        _digest(self.digest, "image config")

    def layer_history(self, layer_count: int) -> list[HistoryEntry | None]:
        """The history entry that produced each layer, in layer order (None where history is short)."""
        producing = [h for h in self.history if not h.empty_layer]
        return [producing[i] if i < len(producing) else None for i in range(layer_count)]


def parse_config(raw: bytes, digest: str) -> ImageConfig:
    """An image config blob as a model (see the module docstring for how wrong types are refused)."""
    _digest(digest, "image config")
    where = f"image config {_short(digest)}"
    data = _load(raw, where)
    if not isinstance(data, dict):
        raise MalformedResponse(f"{where} is not a JSON object")
    runtime = _object(data, "config", where) or {}
    ports = _object(runtime, "ExposedPorts", where, "config.")
    volumes = _object(runtime, "Volumes", where, "config.")
    return ImageConfig(
        digest=digest,
        raw=raw,
        created=_text(data, "created", where),
        architecture=_text(data, "architecture", where),
        os=_text(data, "os", where),
        os_version=_text(data, "os.version", where),
        runtime=RuntimeConfig(
            entrypoint=_strings(runtime, "Entrypoint", where, "config.", or_one=True),
            cmd=_strings(runtime, "Cmd", where, "config.", or_one=True),
            env=_strings(runtime, "Env", where, "config.", or_one=True),
            labels=_string_map(runtime, "Labels", where, "config."),
            working_dir=_text(runtime, "WorkingDir", where, "config.") or None,
            user=_text(runtime, "User", where, "config.") or None,
            exposed_ports=tuple(sorted(ports)) if ports else (),
            volumes=tuple(sorted(volumes)) if volumes else (),
        ),
        history=tuple(_history_entry(h, f"{where} history entry {i}")
                      for i, h in enumerate(_list(data, "history", where) or [], 1)),
    )


def _history_entry(data: Any, where: str) -> HistoryEntry:
    if not isinstance(data, dict):
        raise MalformedResponse(f"{where} must be an object")
    return HistoryEntry(
        created=_text(data, "created", where),
        created_by=_text(data, "created_by", where),
        comment=_text(data, "comment", where),
        empty_layer=_flag(data, "empty_layer", where),
    )
