"""A layer blob's bytes in, its FileEntry list out: decompression (decompress.py) then the tar
walk (tar.py), fed chunk by chunk so that a layer is never held whole. Runs in a worker thread
(zlib and zstandard release the GIL); the network stays on the event loop (fetch.py)."""

from __future__ import annotations

from acrbrowse.layerfiles.decompress import SNIFF_BYTES, Decompressor, open_decompressor
from acrbrowse.layerfiles.entries import FileEntry
from acrbrowse.layerfiles.tar import TarWalker
from acrbrowse.oci.errors import UnreadableLayer
from acrbrowse.oci.mediatypes import is_foreign_layer


class _Counter:
    """Counts the decompressed bytes on their way to the tar walk."""

    def __init__(self, walker: TarWalker) -> None:
        self.walker = walker
        self.count = 0

    @property
    def ended(self) -> bool:
        return self.walker.ended

    def write(self, data: bytes | memoryview) -> None:
        self.count += len(data)
        self.walker.write(data)


class LayerReader:
    """`feed` the blob's bytes as they arrive, then `finish`. Both return the entries completed so
    far. Raises UnreadableLayer (one line) for a foreign layer, an unknown compression, a truncated
    or hostile archive.

    The compression is sniffed from the first bytes (gzip, zstd, or else a plain tar, which the tar
    walk confirms); the media type is not trusted for it. Once the archive's end is read, the rest
    of the blob is not decompressed (eStargz and zstd:chunked keep their footers there)."""

    def __init__(self, media_type: str) -> None:
        if is_foreign_layer(media_type):
            raise UnreadableLayer("a foreign (non-distributable) layer: its bytes live outside the registry, "
                                  "at the URLs its descriptor names, and acrbrowse does not fetch them")
        self.media_type = media_type
        self._head = b""  # the first bytes, kept until there are enough to sniff
        self._stream: Decompressor | None = None
        self._walker = TarWalker()
        self._out = _Counter(self._walker)
        self._finished = False

    @property
    def compression(self) -> str:
        """"gzip", "zstd" or "tar" once known, else ""."""
        return self._stream.name if self._stream is not None else ""

    def feed(self, data: bytes) -> list[FileEntry]:
        if self._finished:
            raise RuntimeError("LayerReader.feed after finish")
        if self._walker.ended or not data:
            return self._walker.take()
        if self._stream is None:
            self._head += data
            if len(self._head) < SNIFF_BYTES:
                return []
            self._stream = open_decompressor(self._head)
            data, self._head = self._head, b""
        self._stream.feed(data, self._out)
        return self._walker.take()

    def finish(self) -> list[FileEntry]:
        if self._finished:
            return []
        self._finished = True
        if self._stream is None and self._head:  # a blob shorter than the sniff
            self._stream = open_decompressor(self._head)
            self._stream.feed(self._head, self._out)
        entries = self._walker.take()
        if self._walker.ended or self._stream is None:
            return entries + self._walker.finish()
        try:
            entries += self._walker.finish()  # a stream cut inside an entry: that is the message…
        except UnreadableLayer:
            if not self._walker.headers:  # …unless no entry began: then the compressed stream's
                self._stream.check_complete()
            raise
        self._stream.check_complete()
        return entries

    @property
    def unpacked_bytes(self) -> int:
        """Decompressed bytes seen so far."""
        return self._out.count
