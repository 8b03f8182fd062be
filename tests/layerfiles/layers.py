"""Layers for tests: real tar bytes written by Python's `tarfile` from a small spec, compressed the
ways registries hold them (gzip, gzip in many members as eStargz writes it, zstd, zstd in many frames
with skippable frames as zstd:chunked writes it, none), pushed as OCI images and indexes over the
registry's own API (plain httpx, no acrbrowse code), and `tarfile_listing`: what `tarfile` itself
reads in a tar, as FileEntry, for the reader to be checked against."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import tarfile
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx
import zstandard

from acrbrowse.layerfiles.entries import OPAQUE_MARKER, WHITEOUT_PREFIX, FileEntry, Kind

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"

OCI_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_TAR_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd"
DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

# compression -> (OCI media type, Docker media type)
MEDIA_TYPES = {
    "gzip": (OCI_TAR_GZIP, DOCKER_TAR_GZIP), "gzip-members": (OCI_TAR_GZIP, DOCKER_TAR_GZIP),
    "zstd": (OCI_TAR_ZSTD, DOCKER_TAR_ZSTD), "zstd-frames": (OCI_TAR_ZSTD, DOCKER_TAR_ZSTD),
    "none": (OCI_TAR, DOCKER_TAR),
}
COMPRESSIONS = tuple(MEDIA_TYPES)
MTIME = 1_717_200_000  # 2024-06-01


@dataclass(frozen=True)
class Member:
    """One tar member to write. `kind`: "file", "dir", "symlink", "hardlink", "char", "block", "fifo".
    A file holds `content`, or `size` zero bytes when content is None."""

    name: str
    kind: str = "file"
    content: bytes | None = None
    size: int = 0
    link: str = ""
    mode: int | None = None
    uid: int = 0
    gid: int = 0
    user: str = "root"
    group: str = "root"
    mtime: int = MTIME
    pax: dict[str, str] = field(default_factory=dict)  # extra per-entry pax records (format "pax" only)


def file(name: str, content: bytes | None = None, *, size: int = 0, **meta: Any) -> Member:
    return Member(name, "file", content, size, **meta)


def directory(name: str, **meta: Any) -> Member:
    return Member(name, "dir", **meta)


def symlink(name: str, target: str, **meta: Any) -> Member:
    return Member(name, "symlink", link=target, **meta)


def hardlink(name: str, target: str, **meta: Any) -> Member:
    return Member(name, "hardlink", link=target, **meta)


def device(name: str, kind: str = "char", **meta: Any) -> Member:
    return Member(name, kind, **meta)


def whiteout(path: str, **meta: Any) -> Member:
    """The marker that deletes `path` of the layers below."""
    parent, _, name = path.rpartition("/")
    return file(f"{parent}/{WHITEOUT_PREFIX}{name}" if parent else f"{WHITEOUT_PREFIX}{name}", **meta)


def opaque(directory_path: str, **meta: Any) -> Member:
    """The marker that hides everything of the layers below under `directory_path`."""
    return file(f"{directory_path}/{OPAQUE_MARKER}", **meta)


_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
          "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
_FORMATS = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}


def build_tar(members: list[Member], *, format: str = "pax", global_pax: dict[str, str] | None = None) -> bytes:
    """A tar of `members` in `format` ("pax": long or unicode names in 'x' records; "gnu": in 'L'/'K'
    records; "ustar"), written by tarfile; `global_pax` becomes a 'g' record before the first member."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=_FORMATS[format], encoding="utf-8", errors="surrogateescape",
                      pax_headers=global_pax or {}) as archive:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.type = _TYPES[member.kind]
            info.mode = member.mode if member.mode is not None else (0o755 if member.kind == "dir" else 0o644)
            info.uid, info.gid, info.uname, info.gname = member.uid, member.gid, member.user, member.group
            info.mtime = member.mtime
            info.linkname = member.link
            info.pax_headers = dict(member.pax)
            data = None
            if member.kind == "file":
                content = member.content if member.content is not None else bytes(member.size)
                info.size = len(content)
                data = io.BytesIO(content)
            archive.addfile(info, data)
    return out.getvalue()


def layer(members: list[Member], compression: str = "gzip", **tar_options: Any) -> bytes:
    return compress(build_tar(members, **tar_options), compression)


def compress(tar_bytes: bytes, compression: str, *, pieces: int = 7) -> bytes:
    """`tar_bytes` as a layer blob: "gzip", "zstd", "none", or "gzip-members" / "zstd-frames": cut
    into `pieces` gzip members / zstd frames (with skippable frames between and after, like
    zstd:chunked's manifest) — cut anywhere, which decompressors join back."""
    if compression == "gzip":
        return gzip.compress(tar_bytes, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(tar_bytes)
    if compression == "none":
        return tar_bytes
    step = max(1, -(-len(tar_bytes) // pieces))
    parts = [tar_bytes[start:start + step] for start in range(0, len(tar_bytes), step)]
    if compression == "gzip-members":
        return b"".join(gzip.compress(part, mtime=0) for part in parts)
    if compression == "zstd-frames":
        frames = [zstandard.ZstdCompressor().compress(part) + skippable_frame(b"manifest bits") for part in parts]
        return b"".join(frames)
    raise ValueError(compression)


def skippable_frame(payload: bytes, magic: int = 0x184D2A50) -> bytes:
    return struct.pack("<II", magic, len(payload)) + payload


def media_type(compression: str, docker: bool = False) -> str:
    return MEDIA_TYPES[compression][1 if docker else 0]


def uncompressed(blob: bytes) -> bytes:
    """A layer blob's tar bytes (its diff_id is their digest)."""
    if blob[:2] == b"\x1f\x8b":  # GzipFile reads member after member; gzip.decompress copies the rest per member
        with gzip.GzipFile(fileobj=io.BytesIO(blob)) as stream:
            return stream.read()
    if blob[:4] == b"\x28\xb5\x2f\xfd" or blob[1:4] == b"\x2a\x4d\x18":
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob), read_across_frames=True)
        return reader.read()
    return blob


# ---- what tarfile says ---------------------------------------------------------------------------

_KINDS = {tarfile.REGTYPE: Kind.FILE, tarfile.AREGTYPE: Kind.FILE, tarfile.CONTTYPE: Kind.FILE,
          tarfile.GNUTYPE_SPARSE: Kind.FILE, tarfile.LNKTYPE: Kind.HARDLINK, tarfile.SYMTYPE: Kind.SYMLINK,
          tarfile.CHRTYPE: Kind.CHAR, tarfile.BLKTYPE: Kind.BLOCK, tarfile.DIRTYPE: Kind.DIR,
          tarfile.FIFOTYPE: Kind.FIFO}


def tarfile_listing(tar_bytes: bytes) -> list[FileEntry]:
    """Python's tarfile's reading of an (uncompressed or gzip) tar, mapped the way LayerReader maps
    entries: normalized paths, whiteout and opaque markers as deletions, sizes for files only."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(uncompressed(tar_bytes)), mode="r:", encoding="utf-8",
                      errors="surrogateescape") as archive:
        for info in archive:
            path = "/".join(p for p in info.name.split("/") if p and p != ".")
            if not path:
                continue
            parent, _, base = path.rpartition("/")
            if base == OPAQUE_MARKER:
                out.append(FileEntry(parent, Kind.OPAQUE))
                continue
            if base.startswith(WHITEOUT_PREFIX) and base != WHITEOUT_PREFIX:
                deleted = base[len(WHITEOUT_PREFIX):]
                out.append(FileEntry(f"{parent}/{deleted}" if parent else deleted, Kind.WHITEOUT))
                continue
            kind = _KINDS.get(info.type, Kind.OTHER)
            link = info.linkname if kind == Kind.SYMLINK else ""
            if kind == Kind.HARDLINK:
                link = "/".join(p for p in info.linkname.split("/") if p and p != ".")
            out.append(FileEntry(path, kind, info.size if kind in (Kind.FILE, Kind.OTHER) else 0, info.mode & 0o7777,
                                 info.uid, info.gid, info.uname, info.gname, link, int(info.mtime)))
    return out


# ---- pushing -------------------------------------------------------------------------------------

LayerSpec = tuple[bytes, str, dict[str, str] | None]  # (blob, media type, annotations)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _push_blob(http: httpx.Client, repository: str, data: bytes) -> str:
    digest = sha256(data)
    if http.head(f"/v2/{repository}/blobs/{digest}").status_code == 200:
        return digest
    started = http.post(f"/v2/{repository}/blobs/uploads/")
    started.raise_for_status()
    location = urllib.parse.urljoin(str(http.base_url), started.headers["Location"])
    separator = "&" if "?" in location else "?"
    http.put(f"{location}{separator}digest={digest}", content=data,
             headers={"Content-Type": "application/octet-stream"}).raise_for_status()
    return digest


def _push_manifest(http: httpx.Client, repository: str, reference: str, document: dict[str, Any]) -> tuple[str, int]:
    raw = json.dumps(document).encode()
    http.put(f"/v2/{repository}/manifests/{reference}", content=raw,
             headers={"Content-Type": document["mediaType"]}).raise_for_status()
    return sha256(raw), len(raw)


def _image_manifest(http: httpx.Client, repository: str, layers: list[LayerSpec], platform: str) -> dict[str, Any]:
    os_name, _, architecture = platform.partition("/")
    descriptors = []
    for blob, layer_type, layer_annotations in layers:
        descriptor: dict[str, Any] = {"mediaType": layer_type, "digest": _push_blob(http, repository, blob),
                                      "size": len(blob)}
        if layer_annotations:
            descriptor["annotations"] = dict(layer_annotations)
        descriptors.append(descriptor)
    config = json.dumps({
        "architecture": architecture, "os": os_name, "created": "2024-06-01T00:00:00Z", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha256(uncompressed(blob)) for blob, _, _ in layers]},
        "history": [{"created": "2024-06-01T00:00:00Z", "created_by": f"layer {number}"}
                    for number in range(len(layers))],
    }).encode()
    return {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": _push_blob(http, repository, config), "size": len(config)},
            "layers": descriptors}


def push_layers_image(registry_host: str, repository: str, tag: str, layers: list[LayerSpec],
                      platform: str = "linux/amd64") -> str:
    """An OCI image of `layers` (its config has their diff_ids and a history line each) pushed to the
    anonymous registry at `registry_host` under `tag`; its digest."""
    with httpx.Client(base_url=f"http://{registry_host}", timeout=60) as http:
        return _push_manifest(http, repository, tag, _image_manifest(http, repository, layers, platform))[0]


def push_layers_index(registry_host: str, repository: str, tag: str,
                      per_platform: dict[str, list[LayerSpec]]) -> str:
    """An OCI index of one image per platform ("linux/amd64": layers, "linux/arm64": layers, …) under
    `tag`; its digest. The images are pushed by digest first."""
    with httpx.Client(base_url=f"http://{registry_host}", timeout=60) as http:
        children = []
        for platform, layers in per_platform.items():
            manifest = _image_manifest(http, repository, layers, platform)
            digest, size = _push_manifest(http, repository, sha256(json.dumps(manifest).encode()), manifest)
            os_name, _, architecture = platform.partition("/")
            children.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                             "platform": {"os": os_name, "architecture": architecture}})
        return _push_manifest(http, repository, tag, {"schemaVersion": 2, "mediaType": OCI_INDEX,
                                                      "manifests": children})[0]
