"""Reading a layer's listing: from the listing cache, else from its table of contents (eStargz,
zstd:chunked), else by streaming the blob. The network stays on the event loop; decompression and
the tar walk run in a worker thread, one batch behind the download, so both go at once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from acrbrowse.layerfiles.entries import FileEntry, Listing
from acrbrowse.layerfiles.listcache import ListingCache
from acrbrowse.layerfiles.reader import LayerReader
from acrbrowse.layerfiles.toc import ESTARGZ, ESTARGZ_TOC_NAME, read_toc, toc_plan
from acrbrowse.limits import KiB
from acrbrowse.oci.errors import MalformedResponse, UnreadableLayer
from acrbrowse.oci.manifest import Descriptor
from acrbrowse.oci.source import Source
from acrbrowse.present.units import short_digest

QUEUED_CHUNKS = 16  # what the download may run ahead of the reader (chunks are at most 1 MiB)
# What the reader takes at once (chunks are joined up to this; a bigger chunk goes alone): a layer of
# headers alone inflates ~100x, and a batch's entries are held as objects until they are in the listing's columns.
BATCH_BYTES = 256 * KiB
PROGRESS_EVERY = 0.1  # seconds between progress reports
PARALLEL_LAYERS = 3  # layers read at once (the merged view, a comparison)


@dataclass(frozen=True)
class Progress:
    received: int  # bytes of the blob read so far
    total: int  # the blob's size (its descriptor's)
    entries: int  # entries listed so far
    elapsed: float  # seconds since the read started

    @property
    def rate(self) -> float:
        """Bytes per second so far (0 before anything arrived)."""
        return self.received / self.elapsed if self.elapsed > 0 else 0.0


def overall(parts: Iterable[Progress], total: int) -> tuple[int, int, float, float | None]:
    """Several blobs read at once as one: (bytes received, `total`, their rates added, seconds left)."""
    parts = list(parts)
    received = sum(p.received for p in parts)
    rate = sum(p.rate for p in parts)
    return received, total, rate, (max(total - received, 0) / rate if rate > 0 else None)


EntriesCallback = Callable[[Sequence[FileEntry]], None]
ProgressCallback = Callable[[Progress], None]


def check_listable(layer: Descriptor) -> None:
    """A foreign (non-distributable) layer is not in the registry: say so rather than ask for it."""
    if layer.is_foreign:
        raise UnreadableLayer(f"layer {short_digest(layer.digest)} is a foreign layer: its bytes are not in this "
                              "registry (they come from the URLs in its descriptor), so acrbrowse does not fetch it")


def named(message: str, layer: Descriptor) -> str:
    """"the layer's tar …" -> "layer sha256:0123456789ab's tar …"."""
    name = f"layer {short_digest(layer.digest)}"
    return name + message.removeprefix("the layer") if message.startswith("the layer") else f"{name}: {message}"


async def read_listing(source: Source, repository: str, layer: Descriptor, *, cache: ListingCache | None = None,
                       on_entries: EntriesCallback | None = None, on_progress: ProgressCallback | None = None,
                       into: Listing | None = None) -> Listing:
    """The layer's complete listing. `on_entries` sees the entries as they are read (a stream's
    entries are unverified until its end: a digest mismatch raises IntegrityError and the caller
    drops what it showed); `on_progress` sees the bytes read while the blob streams. A stream fills
    `into` when given (the caller reads it as it grows); the cache and a TOC return a listing of their own."""
    check_listable(layer)
    # The cache reads and writes a million entries in about a second: off the event loop.
    listing = await asyncio.to_thread(cache.get, layer.digest) if cache is not None else None
    if listing is None:
        listing = await read_toc(source, repository, layer)
    if listing is not None:
        if on_entries is not None:
            on_entries(listing)
        if cache is not None and listing.method != "cache":
            await asyncio.to_thread(cache.put, layer.digest, listing)
        return listing
    listing = await stream_listing(source, repository, layer, on_entries=on_entries, on_progress=on_progress,
                                   into=into)
    if cache is not None:
        await asyncio.to_thread(cache.put, layer.digest, listing)
    return listing


async def read_listings(layers: Sequence[tuple[Source, str, Descriptor]], *, cache: ListingCache | None = None,
                        on_progress: Callable[[int, Progress], None] | None = None,
                        on_listing: Callable[[int, Listing], None] | None = None,
                        parallel: int = PARALLEL_LAYERS) -> list[Listing]:
    """Each (source, repository, layer)'s listing, at most `parallel` read at once; `on_progress` and
    `on_listing` get the layer's position in `layers`. When one fails (or the caller gives up), the
    others stop too: no download goes on behind an error."""
    gate = asyncio.Semaphore(parallel)

    async def one(position: int, source: Source, repository: str, layer: Descriptor) -> Listing:
        progress = (lambda p: on_progress(position, p)) if on_progress is not None else None
        async with gate:
            listing = await read_listing(source, repository, layer, cache=cache, on_progress=progress)
        if on_listing is not None:
            on_listing(position, listing)
        return listing

    tasks = [asyncio.ensure_future(one(position, *spec)) for position, spec in enumerate(layers)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def stream_listing(source: Source, repository: str, layer: Descriptor, *,
                         on_entries: EntriesCallback | None = None,
                         on_progress: ProgressCallback | None = None, into: Listing | None = None) -> Listing:
    """The listing read from the whole blob (into `into`, when given), verified against its digest at the end.
    (A foreign layer: refused by read_listing, and by the reader.)"""
    reader = LayerReader(layer.media_type)
    plan = toc_plan(layer)
    # An eStargz layer's own TOC entry is format, not content: a TOC read leaves it out, so a stream does too.
    hidden = ESTARGZ_TOC_NAME if plan is not None and plan.format == ESTARGZ else None

    def read(step: Callable[..., list[FileEntry]], *data: bytes) -> list[FileEntry]:
        """In the worker thread: decompress, walk the tar, and append to the listing there (a
        Listing may grow in one thread while another reads the entries it already has)."""
        try:
            entries = step(*data)
        except UnreadableLayer as error:  # the reader's words ("the layer …"), naming the layer
            raise UnreadableLayer(named(error.message, layer)) from None
        if hidden is not None:
            entries = [entry for entry in entries if entry.path != hidden]
        listing.extend(entries)
        return entries

    listing = into if into is not None else Listing()
    listing.method = "stream"
    queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(maxsize=QUEUED_CHUNKS)

    async def download() -> None:
        try:
            chunks = source.blob_stream(repository, layer.digest)
            sent = 0
            try:
                async for chunk in chunks:
                    sent += len(chunk)
                    if sent > layer.size:  # a blob that never ends: no more than its descriptor says
                        raise MalformedResponse(f"layer {short_digest(layer.digest)}: the registry sent more than the "
                                                f"{layer.size:,} bytes its descriptor says")
                    await queue.put(chunk)
            finally:
                close = getattr(chunks, "aclose", None)  # the response is released at once, not when collected
                if close is not None:
                    await close()
            await queue.put(None)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # handed to the reading side, which raises it
            await queue.put(error)

    def took(entries: Sequence[FileEntry]) -> None:
        if entries and on_entries is not None:
            on_entries(entries)

    started = time.monotonic()
    reported = 0.0
    received = 0
    task = asyncio.create_task(download())
    try:
        while True:
            item = await queue.get()
            batch: list[bytes] = []
            size = 0
            while isinstance(item, bytes):
                batch.append(item)
                size += len(item)
                if size >= BATCH_BYTES or queue.empty():
                    break
                item = queue.get_nowait()
            if batch:
                received += size
                took(await asyncio.to_thread(read, reader.feed, b"".join(batch) if len(batch) > 1 else batch[0]))
                now = time.monotonic()
                if on_progress is not None and now - reported >= PROGRESS_EVERY:
                    reported = now
                    on_progress(Progress(received, layer.size, len(listing), now - started))
                if isinstance(item, bytes):
                    continue
            if isinstance(item, BaseException):
                raise item
            if item is None:
                break
        took(await asyncio.to_thread(read, reader.finish))
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if on_progress is not None:
        on_progress(Progress(received, layer.size, len(listing), time.monotonic() - started))
    listing.complete = True
    return listing
