"""Untagged manifests: what no tag leads to, and the bytes only they hold.

A manifest is an orphan when no tag points at it and it is none of:
- a platform manifest (or attestation) of a tagged index, at any depth;
- a referrer: a manifest with a `subject` (a signature, an SBOM), or what an index tagged
  `sha256-<hex>` (the referrers tag schema) lists, and anything under those.
An untagged index's own platform manifests are part of it, not orphans of their own.

Its bytes are the manifests, configs and layers under it that no tagged manifest shares (deleting
it frees them, unless another untagged manifest holds them too: the report's total counts each once).

`find_untagged` is pure; `untagged_manifests` reads the manifests it needs from a Source first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from acrbrowse.oci.errors import ManifestNotFound
from acrbrowse.oci.kinds import referrers_tag
from acrbrowse.oci.manifest import ImageIndex, ImageManifest, Manifest
from acrbrowse.oci.source import ManifestMetadata, Source

FETCHES_AT_ONCE = 8


@dataclass(frozen=True)
class UntaggedManifest:
    metadata: ManifestMetadata
    exclusive_bytes: int  # bytes under it that no tagged manifest shares
    children: tuple[str, ...] = ()  # an untagged index's platform manifests (part of it)


@dataclass(frozen=True)
class UntaggedReport:
    untagged: tuple[UntaggedManifest, ...]  # newest first, as listed
    exclusive_bytes: int  # of all of them together, each blob counted once
    referrers: int  # untagged manifests left out: referrers (signatures, SBOMs) and what is under them
    platforms: int  # untagged manifests left out: platform manifests of a tagged index


def _children(digest: str, manifests: Mapping[str, Manifest], listed: Mapping[str, ManifestMetadata]) -> tuple[str, ...]:
    manifest = manifests.get(digest)
    if isinstance(manifest, ImageIndex):
        return tuple(d.digest for d in manifest.manifests)
    meta = listed.get(digest)
    return tuple(ref.digest for ref in meta.references) if meta is not None else ()


def _closure(roots: Iterable[str], manifests: Mapping[str, Manifest], listed: Mapping[str, ManifestMetadata]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        digest = todo.pop()
        if digest in seen:
            continue
        seen.add(digest)
        todo.extend(_children(digest, manifests, listed))
    return seen


def _blobs(digests: Iterable[str], manifests: Mapping[str, Manifest]) -> dict[str, int]:
    """digest → size of every manifest, config and layer of `digests` (manifests not read count
    nothing: their size is unknown)."""
    out: dict[str, int] = {}
    for digest in digests:
        manifest = manifests.get(digest)
        if manifest is None:
            continue
        out[digest] = manifest.size
        if isinstance(manifest, ImageManifest):
            for descriptor in (manifest.config, *manifest.layers):
                if descriptor is not None:
                    out[descriptor.digest] = descriptor.size
    return out


def find_untagged(listed: Iterable[ManifestMetadata], manifests: Mapping[str, Manifest]) -> UntaggedReport:
    """The orphans among `listed` (every manifest of a repository), given the manifests read so far
    (`manifests`, by digest: their subjects, children and blobs)."""
    order = list(listed)
    by_digest = {m.digest: m for m in order}
    tagged = _closure((m.digest for m in order if m.tagged), manifests, by_digest)
    referrer_roots = {d for d, m in manifests.items() if getattr(m, "subject", None) is not None}
    referrer_roots |= {d for m in order if any(referrers_tag(tag) is not None for tag in m.tags)
                       for d in _children(m.digest, manifests, by_digest)}
    attached = _closure(referrer_roots, manifests, by_digest) - tagged
    loose = [m for m in order if m.digest not in tagged and m.digest not in attached]
    loose_digests = {m.digest for m in loose}
    inner = {c for m in loose for c in _children(m.digest, manifests, by_digest)} & loose_digests
    tagged_blobs = _blobs(tagged, manifests)
    untagged = []
    freed: dict[str, int] = {}
    for meta in loose:
        if meta.digest in inner:
            continue
        under = _closure([meta.digest], manifests, by_digest)
        own = {d: size for d, size in _blobs(under, manifests).items() if d not in tagged_blobs}
        freed.update(own)
        untagged.append(UntaggedManifest(meta, sum(own.values()),
                                         tuple(c for c in _children(meta.digest, manifests, by_digest))))
    platforms = sum(1 for m in order if not m.tagged and m.digest in tagged)
    return UntaggedReport(tuple(untagged), sum(freed.values()),
                          referrers=sum(1 for m in order if m.digest in attached), platforms=platforms)


async def untagged_manifests(source: Source, repository: str, listed: Iterable[ManifestMetadata],
                             *, at_once: int = FETCHES_AT_ONCE) -> UntaggedReport:
    """`find_untagged` after reading every listed manifest (each digest once, `at_once` at a time);
    one deleted meanwhile is left unread."""
    order = list(listed)
    gate = asyncio.Semaphore(at_once)
    manifests: dict[str, Manifest] = {}

    async def read(digest: str) -> None:
        async with gate:
            with contextlib.suppress(ManifestNotFound):
                manifests[digest] = await source.manifest_by_digest(repository, digest)

    await asyncio.gather(*(read(d) for d in dict.fromkeys(m.digest for m in order)))
    return find_untagged(order, manifests)
