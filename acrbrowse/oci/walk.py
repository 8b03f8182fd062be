"""Fetch a whole manifest tree at once: an index, its platform manifests and their configs, concurrently.

An index is untrusted: its children are fetched only by (validated) digest, each distinct digest
once, at most limits.MAX_INDEX_CHILDREN of them and limits.TREE_BYTES in all, and only one level deep (a nested index is shown,
not walked), so no index can make acrbrowse loop or fan out without bound.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from acrbrowse.limits import MAX_INDEX_CHILDREN, TREE_BYTES
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import Descriptor, ImageConfig, ImageIndex, ImageManifest, Manifest
from acrbrowse.oci.name import Reference, validate_digest
from acrbrowse.oci.source import Source

DEFAULT_CONCURRENCY = 8


@dataclass
class ImageNode:
    """One entry of the tree: the descriptor that points at it, and what was fetched for it."""

    descriptor: Descriptor
    manifest: Manifest | None = None
    config: ImageConfig | None = None
    error: RegistryError | None = None

    @property
    def image(self) -> ImageManifest | None:
        return self.manifest if isinstance(self.manifest, ImageManifest) else None


@dataclass
class ManifestTree:
    reference: Reference
    root: Manifest
    # For an index: one node per entry, in index order (the first MAX_INDEX_CHILDREN). For an image:
    # one node, the image itself.
    nodes: list[ImageNode] = field(default_factory=list)
    # Why the tree is incomplete although no fetch failed (an index past MAX_INDEX_CHILDREN, or
    # children past TREE_BYTES).
    truncated: RegistryError | None = None

    @property
    def errors(self) -> list[RegistryError]:
        """Each error once (entries that share a digest share its error), the truncation last."""
        out: list[RegistryError] = []
        for node in self.nodes:
            if node.error is not None and all(node.error is not seen for seen in out):
                out.append(node.error)
        return out + ([self.truncated] if self.truncated is not None else [])


def wants_config(manifest: ImageManifest, descriptor: Descriptor) -> bool:
    """Image configs are worth fetching; attestation and artifact configs are not."""
    return manifest.config is not None and mt.is_image_config(manifest.config.media_type) and not descriptor.is_attestation


async def fill_node(client: Source, repository: str, node: ImageNode, *, with_config: bool = True) -> ImageNode:
    """Fetch a node's manifest (unless known) and its image config; an error is kept on the node.
    By digest through the source's memory: the tags table, the tag's details and the tree all ask
    for the same platform manifests, and each is fetched once."""
    try:
        if node.manifest is None:
            node.manifest = await client.manifest_by_digest(repository, validate_digest(node.descriptor.digest))
        image = node.image
        if with_config and image is not None and image.config is not None and wants_config(image, node.descriptor):
            node.config = await client.get_config(repository, image.config)
    except RegistryError as exc:
        node.error = exc
    return node


def index_nodes(index: ImageIndex) -> tuple[list[ImageNode], RegistryError | None]:
    """One node per entry, up to MAX_INDEX_CHILDREN; past it, the error that says what was left out.
    An entry naming the index itself gets the index (a nested index is not walked further)."""
    entries = index.manifests[:MAX_INDEX_CHILDREN]
    nodes = [ImageNode(d, manifest=index if d.digest == index.digest else None) for d in entries]
    if len(index.manifests) <= MAX_INDEX_CHILDREN:
        return nodes, None
    return nodes, RegistryError(
        f"index {index.digest[:19]}… lists {len(index.manifests):,} manifests; acrbrowse reads only the first "
        f"{MAX_INDEX_CHILDREN:,}, and shows only those")


async def walk(client: Source, reference: Reference, *, with_configs: bool = True,
               concurrency: int = DEFAULT_CONCURRENCY) -> ManifestTree:
    """The manifest at `reference`, and for an index its entries' manifests and configs, fetched
    concurrently: each distinct digest once, the result shared by every entry that names it."""
    repository = reference.repository
    assert repository is not None
    root = await client.get_manifest(repository, reference.manifest_ref or "latest")
    tree = ManifestTree(reference, root)
    if isinstance(root, ImageIndex):
        tree.nodes, tree.truncated = index_nodes(root)
    else:
        tree.nodes = [ImageNode(root.descriptor(), manifest=root)]
    skipped = await fill_nodes(client, repository, tree.nodes, with_configs=with_configs, concurrency=concurrency)
    if skipped:
        over = (f"the manifests of index {root.digest[:19]}… add up to more than {TREE_BYTES // 2**20} MiB; "
                f"acrbrowse stopped there and left {skipped:,} of them unread")
        tree.truncated = RegistryError(f"{tree.truncated}; {over}" if tree.truncated else over)
    return tree


async def fill_nodes(client: Source, repository: str, nodes: list[ImageNode], *, with_configs: bool = True,
                     concurrency: int = DEFAULT_CONCURRENCY) -> int:
    """Fill `nodes` concurrently (at most `concurrency` at once): each distinct digest fetched once,
    the result shared by every node that names it; past TREE_BYTES the rest are left unread.
    Returns how many digests were left unread."""
    by_digest: dict[str, list[ImageNode]] = {}
    for node in nodes:
        by_digest.setdefault(node.descriptor.digest, []).append(node)
    limit = asyncio.Semaphore(concurrency)
    fetched = 0  # bytes of manifests and configs; the walk stops asking once past TREE_BYTES
    skipped = 0

    async def fill_group(first: ImageNode, *others: ImageNode) -> None:
        nonlocal fetched, skipped
        async with limit:
            if fetched > TREE_BYTES:
                skipped += 1
                return
            await fill_node(client, repository, first, with_config=with_configs)
            fetched += (first.manifest.size if first.manifest is not None else 0) + (
                len(first.config.raw) if first.config is not None else 0)
        for other in others:
            other.manifest, other.config, other.error = first.manifest, first.config, first.error

    await asyncio.gather(*(fill_group(*group) for group in by_digest.values()))
    return skipped
