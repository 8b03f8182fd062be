"""A layer blob's bytes in, its FileEntry list out: decompression (decompress.py) then the tar
walk (tar.py), fed chunk by chunk so that a layer is never held whole. Runs in a worker thread
(zlib and zstandard release the GIL); the network stays on the event loop (fetch.py)."""

from __future__ import annotations

from acrbrowse.layerfiles.entries import FileEntry


class LayerReader:
    """`feed` the blob's bytes as they arrive, then `finish`. Both return the entries completed so
    far. Raises UnreadableLayer (one line) for a foreign layer, an unknown compression, a truncated
    or hostile archive."""

    def __init__(self, media_type: str) -> None:
        raise NotImplementedError

    def feed(self, data: bytes) -> list[FileEntry]:
        raise NotImplementedError

    def finish(self) -> list[FileEntry]:
        raise NotImplementedError

    @property
    def unpacked_bytes(self) -> int:
        """Decompressed bytes seen so far."""
        raise NotImplementedError
