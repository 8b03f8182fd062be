"""Fetch a whole manifest tree at once: an index, its platform manifests and their configs, concurrently."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from acrbrowse.registry import mediatypes as mt
from acrbrowse.registry.client import RegistryClient
from acrbrowse.registry.errors import RegistryError
from acrbrowse.registry.models import Descriptor, ImageConfig, ImageIndex, ImageManifest, Manifest
from acrbrowse.registry.reference import Reference

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
    # For an index: one node per entry, in index order. For an image: one node, the image itself.
    nodes: list[ImageNode] = field(default_factory=list)

    @property
    def errors(self) -> list[RegistryError]:
        return [n.error for n in self.nodes if n.error is not None]


def wants_config(manifest: ImageManifest, descriptor: Descriptor) -> bool:
    """Image configs are worth fetching; attestation and artifact configs are not."""
    return manifest.config is not None and mt.is_image_config(manifest.config.media_type) and not descriptor.is_attestation


async def fill_node(client: RegistryClient, repository: str, node: ImageNode, *, with_config: bool = True) -> ImageNode:
    """Fetch a node's manifest (unless known) and its image config; an error is kept on the node."""
    try:
        if node.manifest is None:
            node.manifest = await client.get_manifest(repository, node.descriptor.digest)
        image = node.image
        if with_config and image is not None and wants_config(image, node.descriptor):
            node.config = await client.get_config(repository, image.config)
    except RegistryError as exc:
        node.error = exc
    return node


async def walk(client: RegistryClient, reference: Reference, *, with_configs: bool = True,
               concurrency: int = DEFAULT_CONCURRENCY) -> ManifestTree:
    """The manifest at `reference`, and for an index every entry's manifest and config, fetched concurrently."""
    repository = reference.repository
    assert repository is not None
    root = await client.get_manifest(repository, reference.manifest_ref or "latest")
    tree = ManifestTree(reference, root)
    if isinstance(root, ImageIndex):
        tree.nodes = [ImageNode(d) for d in root.manifests]
    else:
        tree.nodes = [ImageNode(root.descriptor(), manifest=root)]
    limit = asyncio.Semaphore(concurrency)

    async def bounded(node: ImageNode) -> ImageNode:
        async with limit:
            return await fill_node(client, repository, node, with_config=with_configs)

    await asyncio.gather(*(bounded(n) for n in tree.nodes))
    return tree
