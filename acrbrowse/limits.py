"""Every bound on what acrbrowse reads from outside, in one place."""

from __future__ import annotations

KiB, MiB = 1024, 1024 * 1024

MANIFEST_BYTES = 4 * MiB  # distribution's own limit
CONFIG_BYTES = 8 * MiB  # an image config blob
TOKEN_ANSWER_BYTES = 64 * KiB  # the token service's JSON answer
ERROR_BODY_BYTES = 64 * KiB  # the body of a non-2xx answer (read for its OCI error code)
LIST_PAGE_BYTES = 32 * MiB  # one page of a tag or catalog list
HELPER_OUTPUT_BYTES = 1 * MiB  # a docker credential helper's stdout (and stderr)
SETTINGS_FILE_BYTES = 1 * MiB  # config.json, Docker's and Podman's config files

MAX_LIST_PAGES = 10_000  # Link-paged lists: 1,000,000 tags over 1,000 pages still load
MAX_REFERRERS = 10_000  # descriptors in one subject's referrers, over every page
MAX_INDEX_CHILDREN = 4_096  # manifests fetched for one index
TREE_BYTES = 64 * MiB  # manifests and configs fetched for one tree; past it the rest is not fetched
MANIFEST_MEMORY_BYTES = 64 * MiB  # manifests a client keeps in memory, oldest dropped first
BLOB_CHUNK_BYTES = 1 * MiB  # the most a streamed blob yields at once
LAYER_ENTRIES = 2_000_000  # files listed from one layer (a million stays under 300 MiB)
TAR_META_BYTES = 1 * MiB  # one pax header or GNU long name in a layer's tar
TAR_ENTRY_BYTES = 1 << 40  # a tar header claiming a bigger file is a bomb, not a file
TOC_BYTES = 64 * MiB  # an eStargz / zstd:chunked table of contents, compressed or not; past it: stream
LISTING_CACHE_BYTES = 256 * MiB  # the listing cache on disk, oldest dropped first
JSON_DEPTH = 64  # nesting of any JSON document read from outside (OCI documents use < 10)


def describe_bytes(size: int) -> str:
    """1048576 -> "1 MiB", 65536 -> "64 KiB": how limits are named in messages."""
    for unit, scale in (("MiB", MiB), ("KiB", KiB)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
