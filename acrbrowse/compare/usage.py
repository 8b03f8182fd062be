"""What each tag of a repository holds alone, from manifests only (no layer is downloaded): the
bytes of the blobs (layers, configs, manifests) no other tag uses — what deleting the tag frees.

`read_tag_blobs` reads each tag's manifest (through an index to its children, attestations
included) and counts every blob it reaches, the manifests' own bytes too. On Docker Hub every
manifest read by tag counts against the pull quota: callers say how many tags they will read."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from acrbrowse.oci.errors import ManifestNotFound
from acrbrowse.oci.manifest import ImageIndex, ImageManifest, Manifest
from acrbrowse.oci.name import is_valid_tag
from acrbrowse.oci.source import Source

PARALLEL_TAGS = 3  # tags read at once
MAX_INDEX_DEPTH = 4  # an index of indexes of … is followed this deep


@dataclass(frozen=True)
class TagUsage:
    tag: str
    total: int  # every distinct blob the tag reaches (its manifests, configs, layers)
    shared: int  # of those, the bytes another tag reaches too
    alone: int  # the bytes no other tag reaches: what deleting the tag would free


@dataclass(frozen=True)
class RepositoryUsage:
    tags: tuple[TagUsage, ...]
    unique_bytes: int  # every distinct blob of every tag, once: sum(alone) + shared_bytes
    shared_bytes: int  # the blobs two or more tags reach, once each


def usage_of(blobs_of: Mapping[str, Mapping[str, int]]) -> RepositoryUsage:
    """From each tag's blobs ({digest: size}), in the mapping's order. A blob's size is the first
    one seen for its digest (a digest names one content, so one size)."""
    size_of: dict[str, int] = {}
    reached_by: Counter[str] = Counter()
    for blobs in blobs_of.values():
        for digest, size in blobs.items():
            size_of.setdefault(digest, size)
            reached_by[digest] += 1
    tags = []
    for tag, blobs in blobs_of.items():
        total = sum(size_of[digest] for digest in blobs)
        alone = sum(size_of[digest] for digest in blobs if reached_by[digest] == 1)
        tags.append(TagUsage(tag, total, total - alone, alone))
    shared = sum(size_of[digest] for digest, count in reached_by.items() if count > 1)
    return RepositoryUsage(tuple(tags), sum(size_of.values()), shared)


async def blobs_of_manifest(source: Source, repository: str, manifest: Manifest, blobs: dict[str, int],
                            depth: int = 0) -> None:
    """Every blob `manifest` reaches into `blobs` ({digest: size}): itself, an index's children (read
    by digest, once per run: the source remembers them), an image's config and layers."""
    blobs[manifest.digest] = manifest.size
    if isinstance(manifest, ImageManifest):
        if manifest.config is not None:
            blobs[manifest.config.digest] = manifest.config.size
        for layer in manifest.layers:
            blobs[layer.digest] = layer.size
    elif isinstance(manifest, ImageIndex) and depth < MAX_INDEX_DEPTH:
        for entry in manifest.manifests:
            if entry.digest in blobs:
                continue
            child = await source.manifest_by_digest(repository, entry.digest)
            await blobs_of_manifest(source, repository, child, blobs, depth + 1)


async def read_tag_blobs(source: Source, repository: str, tags: Sequence[str], *,
                         known: Mapping[str, Manifest] | None = None,
                         on_tag: Callable[[str, int], None] | None = None,
                         parallel: int = PARALLEL_TAGS) -> dict[str, dict[str, int]]:
    """Each tag's blobs ({digest: size}), in the order of `tags`; `on_tag(tag, done)` after each name
    (`done` counts every name of `tags`). A name that is not a valid tag (a registry may list
    anything), and a tag gone by the time it is read, are left out of the result. `known`: manifests
    already read, by tag (not read again)."""
    gate = asyncio.Semaphore(parallel)
    done = 0

    async def one(tag: str) -> dict[str, int] | None:
        nonlocal done
        async with gate:
            blobs: dict[str, int] = {}
            manifest = known.get(tag) if known is not None else None
            if manifest is None and is_valid_tag(tag):
                try:
                    manifest = await source.manifest_for_tag(repository, tag)
                except ManifestNotFound:
                    manifest = None
            if manifest is not None:
                await blobs_of_manifest(source, repository, manifest, blobs)
        done += 1
        if on_tag is not None:
            on_tag(tag, done)
        return blobs if manifest is not None else None

    found = await asyncio.gather(*(one(tag) for tag in tags))
    return {tag: blobs for tag, blobs in zip(tags, found, strict=True) if blobs is not None}
