"""A layer's compressed bytes in, its tar bytes out to a consumer, a bounded piece at a time: gzip
(one member or many, as eStargz writes them), zstd (one frame or many, skippable frames included,
as zstd:chunked writes them) or none. Which one is sniffed from the first bytes; the media type
only names what was expected. Nothing here holds a whole layer, compressed or not."""

from __future__ import annotations

import zlib
from typing import IO, Protocol, cast

import zstandard

from acrbrowse.oci.errors import UnreadableLayer

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SNIFF_BYTES = 6  # enough to tell every format below apart

# The most compressed input handed to a decompressor at once, and the most output it may return
# from one call: a bomb (a few bytes that unpack to gigabytes) is met a bounded piece at a time.
INPUT_SLICE = 64 * 1024
OUTPUT_CHUNK = 1024 * 1024

# Formats acrbrowse recognizes and does not read, by their first bytes.
_UNREAD = ((b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x04\x22\x4d\x18", "lz4"))


class TarConsumer(Protocol):
    """Where decompressed bytes go (tar.TarWalker). `ended`: it wants no more (the archive ended)."""

    @property
    def ended(self) -> bool: ...

    def write(self, data: bytes | memoryview) -> None: ...


class Decompressor(Protocol):
    name: str

    def feed(self, data: bytes | memoryview, out: TarConsumer) -> None:
        """Decompress `data` into `out`, stopping early once `out.ended`."""

    def check_complete(self) -> None:
        """Raise UnreadableLayer if the compressed stream stopped in the middle."""


def is_skippable_zstd_frame(head: bytes) -> bool:
    """zstd's skippable frames (magic 0x184D2A50..5F, little-endian): zstd:chunked may start with one."""
    return len(head) >= 4 and head[1:4] == b"\x2a\x4d\x18" and head[0] & 0xF0 == 0x50


def sniff(head: bytes) -> str:
    """"gzip", "zstd" or "tar" (anything else: the tar walk says whether it is one) from the first bytes.
    Raises UnreadableLayer for a compression that is recognized and not read."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC) or is_skippable_zstd_frame(head):
        return "zstd"
    for magic, name in _UNREAD:
        if head.startswith(magic):
            raise UnreadableLayer(f"the layer is compressed with {name}, which acrbrowse does not read")
    return "tar"


def open_decompressor(head: bytes) -> Decompressor:
    """The decompressor for a layer whose first bytes are `head` (at least SNIFF_BYTES, unless shorter)."""
    kind = sniff(head)
    if kind == "gzip":
        return GzipStream()
    if kind == "zstd":
        return ZstdStream()
    return PlainStream()


class PlainStream:
    """An uncompressed tar: the bytes pass through in bounded slices."""

    name = "tar"

    def feed(self, data: bytes | memoryview, out: TarConsumer) -> None:
        view = memoryview(data)
        for start in range(0, len(view), OUTPUT_CHUNK):
            if out.ended:
                return
            out.write(view[start:start + OUTPUT_CHUNK])

    def check_complete(self) -> None:
        pass


class GzipStream:
    """gzip, one member after another (eStargz writes one per file, and its table of contents in another)."""

    name = "gzip"

    def __init__(self) -> None:
        self._member = zlib.decompressobj(wbits=31)
        self._in_member = False  # some of the current member has been read

    def feed(self, data: bytes | memoryview, out: TarConsumer) -> None:
        view = memoryview(data)
        # Small input slices keep zlib's copies of the unread rest (unused_data) small when a slice
        # holds many members.
        for start in range(0, len(view), INPUT_SLICE):
            self._feed_slice(view[start:start + INPUT_SLICE], out)
            if out.ended:
                return

    def _feed_slice(self, piece: memoryview, out: TarConsumer) -> None:
        pending: bytes | memoryview = piece
        full = False  # the last call filled its output: zlib may hold more even with no input left
        while (pending or full) and not out.ended:
            self._in_member = True
            try:
                chunk = self._member.decompress(pending, OUTPUT_CHUNK)
            except zlib.error as error:
                raise UnreadableLayer(f"the layer's gzip stream is damaged ({error})") from None
            full = len(chunk) == OUTPUT_CHUNK
            if chunk:
                out.write(chunk)
            if self._member.eof:  # the next member (or garbage, which its header check refuses) follows
                rest = len(self._member.unused_data)
                pending = pending[len(pending) - rest:] if rest else b""
                self._member = zlib.decompressobj(wbits=31)
                self._in_member = full = False
            else:
                pending = self._member.unconsumed_tail

    def check_complete(self) -> None:
        if self._in_member:
            raise UnreadableLayer("the layer's gzip stream is cut short (truncated)")


class _Forward:
    """The file-like sink zstandard's stream writer writes into: straight to the tar walk."""

    def __init__(self, out: TarConsumer) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        if not self.out.ended:
            self.out.write(data)
        return len(data)


class ZstdStream:
    """zstd, across frames: the streaming decoder moves from frame to frame and over skippable frames
    (zstd:chunked writes one frame per file and its manifest in skippable frames). Output reaches the
    tar walk in OUTPUT_CHUNK pieces as it is made, so a bomb costs time, never memory.

    A stream cut short is caught by the tar walk (it ends inside an entry or before the archive's
    end); zstandard's stream writer does not say whether its last frame was whole."""

    name = "zstd"

    def __init__(self) -> None:
        self._writer: zstandard.ZstdDecompressionWriter | None = None

    def feed(self, data: bytes | memoryview, out: TarConsumer) -> None:
        if self._writer is None:  # made on the first feed: it writes to `out` from then on
            self._writer = zstandard.ZstdDecompressor().stream_writer(cast(IO[bytes], _Forward(out)),
                                                                        write_size=OUTPUT_CHUNK)
        view = memoryview(data)
        for start in range(0, len(view), INPUT_SLICE):
            if out.ended:
                return
            try:
                self._writer.write(view[start:start + INPUT_SLICE])
            except zstandard.ZstdError as error:
                raise UnreadableLayer(f"the layer's zstd stream is damaged ({error})") from None

    def check_complete(self) -> None:
        pass
