"""Writers of real eStargz and zstd:chunked layers (byte layouts as in containerd/stargz-snapshotter
`estargz/` and containers/storage `pkg/chunked/`), from a list of files; what Python's `tarfile` lists
from a layer's whole decompressed stream; and a scratch registry of the tests' own to push them to."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import struct
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import zstandard

from acrbrowse.layerfiles.entries import FileEntry, Kind, normalize_path, split_whiteout
from acrbrowse.oci.manifest import Descriptor
from tests.oci.pushing import ScratchRegistry, push_blob, scratch_repository

GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"
TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest"
ZSTD_POSITION = "io.github.containers.zstd-chunked.manifest-position"
ZSTD_CHECKSUM = "io.github.containers.zstd-chunked.manifest-checksum"
ZSTD_TARSPLIT = "io.github.containers.zstd-chunked.tarsplit-position"
SKIPPABLE_MAGIC = b"\x50\x2a\x4d\x18"
ZSTD_CHUNKED_MAGIC = b"GNUlInUx"
CHUNK = 64 * 1024  # a regular file past this gets "chunk" entries after its "reg" entry


@dataclass(frozen=True)
class File:
    """One tar entry to write."""

    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    link: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    uname: str = "root"
    gname: str = "root"
    mtime: int = 1_700_000_000
    devmajor: int = 0
    devminor: int = 0

    def tarinfo(self) -> tarfile.TarInfo:
        info = tarfile.TarInfo(self.name)
        info.type, info.size, info.linkname = self.type, len(self.data), self.link
        info.mode, info.uid, info.gid, info.uname, info.gname = self.mode, self.uid, self.gid, self.uname, self.gname
        info.mtime, info.devmajor, info.devminor = self.mtime, self.devmajor, self.devminor
        return info

    def tar_bytes(self) -> bytes:
        """Header, data and padding, as `tarfile` writes them (PAX: long names, any text)."""
        header = self.tarinfo().tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        return header + self.data + bytes(-len(self.data) % 512)

    def toc_entry(self, offset: int, users: set[int], groups: set[int]) -> dict:
        """The TOC JSON entry (eStargz names a user and group only on their first entry)."""
        kinds = {tarfile.REGTYPE: "reg", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
                 tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}
        entry: dict = {"name": self.name.removeprefix("./"),
                       "type": kinds[self.type],
                       "modtime": datetime.fromtimestamp(self.mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "mode": self.mode, "uid": self.uid, "gid": self.gid}
        if self.uid not in users and self.uname:
            users.add(self.uid)
            entry["userName"] = self.uname
        if self.gid not in groups and self.gname:
            groups.add(self.gid)
            entry["groupName"] = self.gname
        if self.link:
            entry["linkName"] = self.link
        if self.type == tarfile.REGTYPE:
            entry["size"] = len(self.data)
            entry["offset"] = offset
            if self.data:
                entry["digest"] = "sha256:" + hashlib.sha256(self.data).hexdigest()
        if self.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            entry["devMajor"], entry["devMinor"] = self.devmajor, self.devminor
        return entry


SAMPLE = [
    File("./", tarfile.DIRTYPE, mode=0o755),
    File("./etc/", tarfile.DIRTYPE, mode=0o755),
    File("./etc/hostname", data=b"box\n"),
    File("./etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n" * 40, mode=0o600, uid=0, gid=0),
    File("./home/", tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000, uname="ann", gname="staff"),
    File("./home/big.bin", data=random.Random(1).randbytes(300 * 1024), mode=0o640, uid=1000, gid=1000, uname="ann",
         gname="staff"),  # 300 KiB, incompressible: chunk entries
    File("./home/.profile", data=b"", uid=1000, gid=1000, uname="ann", gname="staff", mtime=0),
    File("./usr/bin/", tarfile.DIRTYPE, mode=0o755),
    File("./usr/bin/sh", tarfile.SYMTYPE, link="/bin/busybox", mode=0o777),
    File("./usr/bin/ash", tarfile.LNKTYPE, link="./etc/hostname"),
    File("./dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
    File("./run/pipe", tarfile.FIFOTYPE, mode=0o600),
    File("./opt/.wh..wh..opq"),
    File("./var/.wh.cache"),
    File("./ünïcode/名前.txt", data=b"x", mtime=1_234_567_890, uid=4_000_000_000, uname=""),
]


@dataclass
class Layer:
    """A written layer: its bytes, the annotations its manifest gives it, and where its TOC lies."""

    data: bytes
    media_type: str
    annotations: dict[str, str] = field(default_factory=dict)
    toc_start: int = 0  # the first byte the TOC request asks for
    toc_end: int = 0  # the byte after the last one it asks for
    footer_bytes: int = 0  # bytes the footer request asks for (0: no footer read)

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def descriptor(self, **annotations: str) -> Descriptor:
        return Descriptor(self.media_type, self.digest, len(self.data), {**self.annotations, **annotations})


def _gzip_member(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def estargz_footer(toc_offset: int) -> bytes:
    """51 bytes: an empty gzip member (no compression) whose Extra has subfield 'S','G' = "%016xSTARGZ"."""
    header = b"\x1f\x8b\x08\x04" + b"\x00\x00\x00\x00" + b"\x00\xff"  # FEXTRA, mtime 0, XFL 0, OS unknown
    extra = b"SG" + struct.pack("<H", 22) + f"{toc_offset:016x}STARGZ".encode()
    empty_stored_block = b"\x01\x00\x00\xff\xff"
    return header + struct.pack("<H", len(extra)) + extra + empty_stored_block + struct.pack("<II", 0, 0)


def legacy_stargz_footer(toc_offset: int) -> bytes:
    """47 bytes: as above with "%016xSTARGZ" as the whole Extra field."""
    extra = f"{toc_offset:016x}STARGZ".encode()
    return (b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff" + struct.pack("<H", len(extra)) + extra
            + b"\x01\x00\x00\xff\xff" + struct.pack("<II", 0, 0))


def toc_tar_member(toc_json: bytes) -> bytes:
    """The TOC as a tar entry `stargz.index.json`, then the end of the archive."""
    info = tarfile.TarInfo("stargz.index.json")
    info.size = len(toc_json)
    return info.tobuf(tarfile.USTAR_FORMAT) + toc_json + bytes(-len(toc_json) % 512) + bytes(1024)


def write_estargz(files: list[File] = SAMPLE, *, legacy: bool = False, toc_json: bytes | None = None,
                  footer_offset: int | None = None, toc_member: bytes | None = None) -> Layer:
    """A gzip member per file (and per further chunk of a big one), the TOC member, the footer.
    `toc_json` replaces the TOC written; `footer_offset` the offset the footer names; `toc_member` the
    TOC's gzip member as a whole."""
    out = bytearray()
    entries: list[dict] = []
    users: set[int] = set()
    groups: set[int] = set()
    for file in files:
        raw = file.tar_bytes()
        padding = bytes(-len(file.data) % 512)
        header = raw[:len(raw) - len(file.data) - len(padding)]
        entry = file.toc_entry(len(out), users, groups)
        entries.append(entry)
        if len(file.data) <= CHUNK:
            out += _gzip_member(raw)
            continue
        entry["chunkSize"] = CHUNK
        for at in range(0, len(file.data), CHUNK):
            last = at + CHUNK >= len(file.data)
            if at:
                entries.append({"name": entry["name"], "type": "chunk", "offset": len(out), "chunkOffset": at,
                                "chunkSize": min(CHUNK, len(file.data) - at)})
            out += _gzip_member((b"" if at else header) + file.data[at:at + CHUNK] + (padding if last else b""))
    if toc_json is None:
        toc_json = json.dumps({"version": 1, "entries": entries}, indent="\t").encode()
    toc_offset = len(out)
    out += toc_member if toc_member is not None else _gzip_member(toc_tar_member(toc_json))
    toc_end = len(out)
    footer = (legacy_stargz_footer if legacy else estargz_footer)(toc_offset if footer_offset is None else footer_offset)
    out += footer
    annotations = {TOC_DIGEST: "sha256:" + hashlib.sha256(toc_json).hexdigest()}
    return Layer(bytes(out), GZIP_LAYER, annotations, toc_start=toc_offset, toc_end=toc_end, footer_bytes=51)


def _skippable(data: bytes) -> bytes:
    return SKIPPABLE_MAGIC + struct.pack("<I", len(data)) + data


def write_zstd_chunked(files: list[File] = SAMPLE, *, estargz_variant: bool = False,
                       toc_json: bytes | None = None, toc_frame: bytes | None = None) -> Layer:
    """A zstd frame per file (and per further chunk), the end of the archive, then skippable frames:
    the TOC (a zstd frame), the tar-split, and the 64-byte footer, with containers/storage's
    annotations. `estargz_variant`: stargz-snapshotter's flavour instead (TOC frame, 40-byte footer,
    toc.digest of the JSON, no position annotation: the reader must read the footer). `toc_json`
    replaces the TOC written, `toc_frame` its compressed frame."""
    compressor = zstandard.ZstdCompressor()
    out = bytearray()
    entries: list[dict] = []
    for file in files:
        raw = file.tar_bytes()
        entry = file.toc_entry(len(out), set(), set())
        entry.pop("userName", None)  # zstd:chunked keeps no names
        entry.pop("groupName", None)
        entries.append(entry)
        out += compressor.compress(raw)
        entry["endOffset"] = len(out)
    out += compressor.compress(bytes(1024))
    if toc_json is None:
        toc = {"version": 1, "entries": entries}
        toc_json = (json.dumps(toc, indent="\t") if estargz_variant else json.dumps(toc, separators=(",", ":"))).encode()
    compressed = compressor.compress(toc_json) if toc_frame is None else toc_frame
    toc_offset = len(out) + 8
    out += _skippable(compressed)
    if estargz_variant:
        footer = struct.pack("<4Q", toc_offset, len(compressed), len(toc_json), 1) + ZSTD_CHUNKED_MAGIC
        out += _skippable(footer)
        annotations = {TOC_DIGEST: "sha256:" + hashlib.sha256(toc_json).hexdigest()}
        return Layer(bytes(out), ZSTD_LAYER, annotations, toc_start=toc_offset, toc_end=toc_offset + len(compressed),
                     footer_bytes=64)
    tar_split = compressor.compress(b'{"type":1,"payload":"","position":0}\n')
    tar_split_offset = len(out) + 8
    out += _skippable(tar_split)
    footer = struct.pack("<7Q", toc_offset, len(compressed), len(toc_json), 1, tar_split_offset, len(tar_split),
                         38) + ZSTD_CHUNKED_MAGIC
    out += _skippable(footer)
    annotations = {
        ZSTD_CHECKSUM: "sha256:" + hashlib.sha256(compressed).hexdigest(),
        ZSTD_POSITION: f"{toc_offset}:{len(compressed)}:{len(toc_json)}:1",
        ZSTD_TARSPLIT: f"{tar_split_offset}:{len(tar_split)}:38",
    }
    return Layer(bytes(out), ZSTD_LAYER, annotations, toc_start=toc_offset, toc_end=toc_offset + len(compressed))


def decompressed(layer: Layer) -> bytes:
    """The layer's whole stream as a plain reader sees it (every gzip member; zstd frames, skippable ones skipped)."""
    if layer.media_type == GZIP_LAYER:
        return gzip.decompress(layer.data)
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(layer.data), read_across_frames=True)
    return reader.read()


def tar_entries(tar: bytes) -> list[FileEntry]:
    """What Python's `tarfile` lists, as FileEntry (whiteouts split, the root and the eStargz TOC left out)."""
    kinds = {tarfile.REGTYPE: Kind.FILE, tarfile.AREGTYPE: Kind.FILE, tarfile.DIRTYPE: Kind.DIR,
             tarfile.SYMTYPE: Kind.SYMLINK, tarfile.LNKTYPE: Kind.HARDLINK, tarfile.CHRTYPE: Kind.CHAR,
             tarfile.BLKTYPE: Kind.BLOCK, tarfile.FIFOTYPE: Kind.FIFO}
    out = []
    with tarfile.open(fileobj=io.BytesIO(tar), mode="r:", encoding="utf-8", errors="surrogateescape") as archive:
        for info in archive:
            path = normalize_path(info.name)
            if not path or path == "stargz.index.json":
                continue
            deletion = split_whiteout(path)
            if deletion is not None:
                out.append(FileEntry(*deletion))
                continue
            kind = kinds.get(info.type, Kind.OTHER)
            link = normalize_path(info.linkname) if kind is Kind.HARDLINK else info.linkname
            out.append(FileEntry(path, kind, info.size if kind is Kind.FILE else 0, info.mode & 0o7777, info.uid,
                                 info.gid, info.uname, info.gname, link, int(info.mtime)))
    return out


def drop_names(entries: list[FileEntry]) -> list[FileEntry]:
    """Entries without user and group names (zstd:chunked's TOC has none)."""
    return [entry._replace(user="", group="") for entry in entries]


def push(registry: ScratchRegistry, layer: Layer, what: str = "toc") -> str:
    """Push the layer's blob to a repository of its own; the repository's name."""
    repository = scratch_repository(what)
    push_blob(registry, repository, layer.data)
    return repository


def crc_ok(data: bytes) -> bool:
    """Every gzip member of `data` decompresses (its CRC holds)."""
    try:
        gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return False
    return True


@pytest.fixture(scope="module")
def scratch_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchRegistry]:
    """Distribution registries of this module's own, to push layers into."""
    registry = ScratchRegistry(tmp_path_factory.mktemp("toc-registry")).start()
    try:
        yield registry
    finally:
        registry.stop()
