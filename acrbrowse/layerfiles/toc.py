"""eStargz and zstd:chunked layers carry a table of contents (TOC) at their end: their files can be
listed with two HTTP Range requests (footer, then TOC) instead of the whole blob. The TOC is checked
against the layer's annotation before it is believed.

Layouts (containerd/stargz-snapshotter `estargz/`, containers/storage `pkg/chunked/`):
- eStargz: a gzip member per file, then one holding a tar entry `stargz.index.json` (the TOC), then a
  51-byte footer: an empty gzip member whose Extra field has subfield 'S','G' = "%016xSTARGZ" (the TOC
  member's offset); the legacy stargz footer (47 bytes) has "%016xSTARGZ" as the whole Extra field.
  `containerd.io/snapshot/stargz/toc.digest` is the digest of the TOC JSON.
- zstd:chunked: the TOC is a zstd frame inside a skippable frame; the `manifest-position` annotation
  says "offset:compressed length:uncompressed length:1" and `manifest-checksum` is the digest of the
  compressed frame. stargz-snapshotter's zstd variant sets toc.digest (of the JSON) instead; without a
  position its 40-byte footer (64 in containers/storage) at the end says where the TOC is.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import math
import re
import struct
import tarfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import zstandard

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing, normalize_path, split_whiteout
from acrbrowse.limits import LAYER_ENTRIES, TOC_BYTES
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import IntegrityError, MalformedResponse, RangeIgnored, UnreadableLayer
from acrbrowse.oci.manifest import Descriptor
from acrbrowse.oci.name import digest_or_none
from acrbrowse.oci.source import Source

ESTARGZ = "eStargz"
ZSTD_CHUNKED = "zstd:chunked"
METHODS = {ESTARGZ: "eStargz table of contents", ZSTD_CHUNKED: "zstd:chunked table of contents"}

TOC_DIGEST_ANNOTATION = "containerd.io/snapshot/stargz/toc.digest"
# containers/storage's names, then stargz-snapshotter's older ones
ZSTD_POSITION_ANNOTATIONS = ("io.github.containers.zstd-chunked.manifest-position",
                             "io.containers.zstd-chunked.manifest-position")
ZSTD_CHECKSUM_ANNOTATIONS = ("io.github.containers.zstd-chunked.manifest-checksum",
                             "io.containers.zstd-chunked.manifest-checksum")

ESTARGZ_TOC_NAME = "stargz.index.json"
ESTARGZ_FOOTER_BYTES, LEGACY_FOOTER_BYTES = 51, 47
ZSTD_FOOTER_BYTES, LEGACY_ZSTD_FOOTER_BYTES = 64, 40  # containers/storage, stargz-snapshotter
ZSTD_FOOTER_MAGIC = b"GNUlInUx"
SKIPPABLE_FRAME_HEADER = 8
MANIFEST_TYPE_CRFS = 1
_GZIP_WITH_EXTRA = b"\x1f\x8b\x08\x04"
_HEX16 = re.compile(rb"[0-9a-fA-F]{16}")
_POSITION = re.compile(r"(\d{1,19}):(\d{1,19}):(\d{1,19}):(\d{1,19})")
_TAR_SLACK = 64 * 1024  # tar headers and padding around the TOC JSON in its gzip member

_KINDS = {"reg": Kind.FILE, "dir": Kind.DIR, "symlink": Kind.SYMLINK, "hardlink": Kind.HARDLINK,
          "char": Kind.CHAR, "block": Kind.BLOCK, "fifo": Kind.FIFO}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TocPlan:
    format: str  # "eStargz" or "zstd:chunked"
    toc_digest: str  # from the layer's annotation: what the TOC must hash to
    digest_of_compressed: bool = False  # zstd:chunked's manifest-checksum covers the stored zstd frame
    position: tuple[int, int, int] | None = None  # zstd: (offset, compressed, uncompressed length)


class _TooBig(Exception):
    """The TOC is past limits.TOC_BYTES: the layer is streamed instead."""


def toc_plan(layer: Descriptor) -> TocPlan | None:
    """How to list `layer` from its TOC, or None (no usable annotation: stream it)."""
    media_type = mt.bare(layer.media_type)
    if mt.is_foreign_layer(media_type) or layer.size <= 0:
        return None
    annotations = layer.annotations
    toc_digest = digest_or_none(annotations.get(TOC_DIGEST_ANNOTATION))
    if media_type.endswith("zstd"):
        position = _position(_first(annotations, ZSTD_POSITION_ANNOTATIONS))
        checksum = digest_or_none(_first(annotations, ZSTD_CHECKSUM_ANNOTATIONS))
        if position is not None and checksum is not None:
            return TocPlan(ZSTD_CHUNKED, checksum, digest_of_compressed=True, position=position)
        if toc_digest is not None:
            return TocPlan(ZSTD_CHUNKED, toc_digest, position=position)
        return None
    if media_type.endswith("gzip") and toc_digest is not None:
        return TocPlan(ESTARGZ, toc_digest)
    return None


async def read_toc(source: Source, repository: str, layer: Descriptor) -> Listing | None:
    """The layer's listing from its TOC (complete, method names the format), or None when it must be
    streamed instead: no plan, the registry ignores or botches Range, a TOC over limits.TOC_BYTES. A TOC that
    does not match its annotation raises IntegrityError; one that is not a TOC, UnreadableLayer."""
    plan = toc_plan(layer)
    if plan is None:
        return None
    label = f"layer {layer.digest[:19]}…"
    try:
        if plan.format == ESTARGZ:
            toc_json = await _estargz_toc(source, repository, layer, plan, label)
        else:
            toc_json = await _zstd_toc(source, repository, layer, plan, label)
        return await asyncio.to_thread(_listing, toc_json, plan.format, label)
    except (RangeIgnored, MalformedResponse, _TooBig):  # a registry that botches ranges may still stream
        return None


# ---- fetching ------------------------------------------------------------------------------------

async def _fetch(source: Source, repository: str, layer: Descriptor, start: int, length: int, label: str) -> bytes:
    """Bytes start..start+length-1 of the layer, in one Range request."""
    chunks: list[bytes] = []
    got = 0
    stream = source.blob_stream(repository, layer.digest, start=start, end=start + length - 1, ranged_only=True)
    try:
        async for chunk in stream:
            got += len(chunk)
            if got > length:
                break
            chunks.append(chunk)
    finally:
        close = getattr(stream, "aclose", None)  # the response is released now, not when collected
        if close is not None:
            await close()
    if got != length:
        raise UnreadableLayer(f"{label}: the registry sent {got} bytes of its table of contents, not {length}")
    return b"".join(chunks)


async def _estargz_toc(source: Source, repository: str, layer: Descriptor, plan: TocPlan, label: str) -> bytes:
    size = layer.size
    if size < LEGACY_FOOTER_BYTES:
        raise UnreadableLayer(f"{label} is too small to be an eStargz layer")
    tail = await _fetch(source, repository, layer, max(0, size - ESTARGZ_FOOTER_BYTES),
                        min(size, ESTARGZ_FOOTER_BYTES), label)
    offset, footer_bytes = _estargz_footer(tail, label)
    toc_end = size - footer_bytes
    if not 0 <= offset < toc_end:
        raise UnreadableLayer(f"{label}: its eStargz footer points outside the layer")
    if toc_end - offset > TOC_BYTES:
        raise _TooBig
    member = await _fetch(source, repository, layer, offset, toc_end - offset, label)
    toc_json = await asyncio.to_thread(_estargz_json, member, label)
    _check_digest(toc_json, plan.toc_digest, label)
    return toc_json


def _estargz_footer(tail: bytes, label: str) -> tuple[int, int]:
    """(offset of the TOC's gzip member, footer size) from the layer's last 51 bytes."""
    footer = tail[-ESTARGZ_FOOTER_BYTES:]
    if (len(footer) == ESTARGZ_FOOTER_BYTES and footer[:4] == _GZIP_WITH_EXTRA and footer[10:16] == b"\x1a\x00SG\x16\x00"
            and _HEX16.fullmatch(footer[16:32]) and footer[32:38] == b"STARGZ"):
        return int(footer[16:32], 16), ESTARGZ_FOOTER_BYTES
    legacy = tail[-LEGACY_FOOTER_BYTES:]
    if (len(legacy) == LEGACY_FOOTER_BYTES and legacy[:4] == _GZIP_WITH_EXTRA and legacy[10:12] == b"\x16\x00"
            and _HEX16.fullmatch(legacy[12:28]) and legacy[28:34] == b"STARGZ"):
        return int(legacy[12:28], 16), LEGACY_FOOTER_BYTES
    raise UnreadableLayer(f"{label} has an eStargz annotation but no eStargz footer")


def _estargz_json(member: bytes, label: str) -> bytes:
    """The TOC JSON out of its gzip member (a tar holding `stargz.index.json`)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        tar = inflater.decompress(member, TOC_BYTES + _TAR_SLACK)
    except zlib.error:
        raise UnreadableLayer(f"{label}: its eStargz table of contents is not gzip") from None
    if inflater.unconsumed_tail:
        raise _TooBig
    if not inflater.eof:
        raise UnreadableLayer(f"{label}: its eStargz table of contents ends early")
    try:
        with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as archive:
            entry = archive.next()
            if entry is None or normalize_path(entry.name) != ESTARGZ_TOC_NAME or not entry.isreg():
                raise UnreadableLayer(f"{label}: its eStargz table of contents holds no {ESTARGZ_TOC_NAME}")
            if entry.size > TOC_BYTES:
                raise _TooBig
            content = archive.extractfile(entry)
            data = content.read() if content is not None else b""
    except (tarfile.TarError, EOFError, ValueError, OSError):
        raise UnreadableLayer(f"{label}: its eStargz table of contents is not a tar entry") from None
    if len(data) != entry.size:
        raise UnreadableLayer(f"{label}: its eStargz table of contents ends early")
    return data


async def _zstd_toc(source: Source, repository: str, layer: Descriptor, plan: TocPlan, label: str) -> bytes:
    size = layer.size
    position = plan.position
    if position is None:
        footer_bytes = min(size, ZSTD_FOOTER_BYTES)
        position = _zstd_footer(await _fetch(source, repository, layer, size - footer_bytes, footer_bytes, label),
                                size, label)
    offset, compressed, uncompressed = position
    if compressed > TOC_BYTES or uncompressed > TOC_BYTES:
        raise _TooBig
    if compressed == 0 or offset + compressed > size:
        raise UnreadableLayer(f"{label}: its zstd:chunked position points outside the layer")
    frame = await _fetch(source, repository, layer, offset, compressed, label)
    if plan.digest_of_compressed:
        _check_digest(frame, plan.toc_digest, label)
    toc_json = await asyncio.to_thread(_inflate_zstd, frame, uncompressed, label)
    if not plan.digest_of_compressed:
        _check_digest(toc_json, plan.toc_digest, label)
    return toc_json


def _zstd_footer(tail: bytes, size: int, label: str) -> tuple[int, int, int]:
    """(offset, compressed, uncompressed) of the TOC from a zstd:chunked footer (64 or 40 bytes)."""
    if tail[-8:] == ZSTD_FOOTER_MAGIC:
        for footer_bytes in (ZSTD_FOOTER_BYTES, LEGACY_ZSTD_FOOTER_BYTES):
            if len(tail) < footer_bytes:
                continue
            offset, compressed, uncompressed, kind = struct.unpack_from("<4Q", tail, len(tail) - footer_bytes)
            if kind == MANIFEST_TYPE_CRFS and offset + compressed <= size - footer_bytes:
                return offset, compressed, uncompressed
    raise UnreadableLayer(f"{label} has a zstd:chunked annotation but no zstd:chunked footer")


def _inflate_zstd(frame: bytes, uncompressed: int, label: str) -> bytes:
    out = bytearray()
    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(frame)) as reader:
            while chunk := reader.read(1024 * 1024):
                out += chunk
                if len(out) > TOC_BYTES:
                    raise _TooBig
    except zstandard.ZstdError:
        raise UnreadableLayer(f"{label}: its zstd:chunked table of contents is not zstd") from None
    if len(out) != uncompressed:
        raise UnreadableLayer(f"{label}: its zstd:chunked table of contents is not the size its annotation says")
    return bytes(out)


def _check_digest(data: bytes, expected: str, label: str) -> None:
    algorithm = expected.split(":", 1)[0]
    actual = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
    if actual != expected:
        raise IntegrityError(f"the table of contents of {label} does not match its annotation "
                             f"(expected {expected[:19]}…, got {actual[:19]}…)")


# ---- annotations ---------------------------------------------------------------------------------

def _first(annotations: Any, keys: tuple[str, ...]) -> str | None:
    return next((annotations[key] for key in keys if isinstance(annotations.get(key), str)), None)


def _position(value: str | None) -> tuple[int, int, int] | None:
    match = _POSITION.fullmatch(value or "")
    if match is None or int(match[4]) != MANIFEST_TYPE_CRFS:
        return None
    return int(match[1]), int(match[2]), int(match[3])


# ---- the TOC's entries ---------------------------------------------------------------------------

class _Parsed:
    """An entry already turned into a FileEntry (or None: skipped) while the JSON was parsed."""

    __slots__ = ("entry",)

    def __init__(self, entry: FileEntry | None) -> None:
        self.entry = entry


def _listing(toc_json: bytes, toc_format: str, label: str) -> Listing:
    users: dict[int, str] = {}
    groups: dict[int, str] = {}

    def entry_now(raw: dict[str, Any]) -> Any:
        # Each entry becomes a FileEntry as soon as it is parsed, so that a TOC's hundreds of thousands of
        # dicts never exist at once (a 64 MiB TOC would otherwise take a gigabyte).
        return _Parsed(_entry(raw, users, groups)) if "name" in raw else raw

    try:
        # Not boundedjson: its depth check costs ~8 times the document in memory. Nothing here walks the
        # result recursively; the parser itself raises RecursionError past the interpreter's limit.
        toc = json.loads(toc_json, object_hook=entry_now)
    except (ValueError, RecursionError):
        raise UnreadableLayer(f"{label}: its {toc_format} table of contents is not JSON") from None
    raw_entries = toc.get("entries") if isinstance(toc, dict) else None
    if not isinstance(raw_entries, list):
        raise UnreadableLayer(f"{label}: its {toc_format} table of contents lists no entries")
    listing = Listing()
    for parsed in raw_entries:
        if isinstance(parsed, dict):  # an object with no name: nothing to list
            continue
        if not isinstance(parsed, _Parsed):
            raise UnreadableLayer(f"{label}: its {toc_format} table of contents has an entry that is not an object")
        if parsed.entry is None:
            continue
        if len(listing) >= LAYER_ENTRIES:
            raise UnreadableLayer(f"{label} lists more than {LAYER_ENTRIES:,} files")
        listing.append(parsed.entry)
    listing.complete = True
    listing.method = METHODS[toc_format]
    return listing


def _entry(raw: dict[str, Any], users: dict[int, str], groups: dict[int, str]) -> FileEntry | None:
    """One TOC entry as a FileEntry; None for a file's later chunks and the root itself. eStargz names a
    user only on the first entry with its uid: later ones inherit it."""
    kind_name = raw.get("type")
    name = raw.get("name")
    if kind_name == "chunk" or not isinstance(name, str):
        return None
    uid, gid = _int(raw.get("uid")), _int(raw.get("gid"))
    user, group = _text(raw.get("userName")), _text(raw.get("groupName"))
    if user:  # even on the root or a whiteout: the names hold for later entries
        users.setdefault(uid, user)
    if group:
        groups.setdefault(gid, group)
    path = normalize_path(name)
    if not path:
        return None
    deletion = split_whiteout(path)
    if deletion is not None:
        return FileEntry(deletion[0], deletion[1])
    kind = _KINDS.get(kind_name, Kind.OTHER) if isinstance(kind_name, str) else Kind.OTHER
    user = user or users.get(uid, "")
    group = group or groups.get(gid, "")
    link = _text(raw.get("linkName")) if kind in (Kind.SYMLINK, Kind.HARDLINK) else ""
    if kind is Kind.HARDLINK:
        link = normalize_path(link)
    return FileEntry(path, kind, _int(raw.get("size")) if kind is Kind.FILE else 0, _int(raw.get("mode")) & 0o7777,
                     uid, gid, user, group, link, _epoch_seconds(raw.get("modtime")))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _epoch_seconds(value: object) -> int:
    """An RFC 3339 time as seconds since the epoch; 0 when absent or not a time."""
    if not isinstance(value, str) or len(value) > 64:
        return 0
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.floor((moment - _EPOCH).total_seconds())
