"""Fetch a whole manifest tree at once: an index, its platform manifests and their configs, concurrently;
nested indexes and, when asked, what refers to each manifest (signatures, SBOMs, attestations).

An index is untrusted: its children are fetched only by (validated) digest, each distinct digest
once, at most limits.MAX_INDEX_CHILDREN of them per index and limits.TREE_BYTES in all. Nested
indexes are walked MAX_NESTING levels deep, each distinct one once, never into an index that
contains itself; referrers MAX_REFERRER_DEPTH deep (a signature on an SBOM), at most
limits.MAX_REFERRERS in the whole tree. So no registry can make acrbrowse loop or fan out without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from acrbrowse.limits import MAX_INDEX_CHILDREN, MAX_REFERRERS, TREE_BYTES
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.artifacts import Inside, look_inside
from acrbrowse.oci.errors import ManifestNotFound, RegistryError
from acrbrowse.oci.manifest import Descriptor, ImageConfig, ImageIndex, ImageManifest, Manifest
from acrbrowse.oci.name import Reference, validate_digest
from acrbrowse.oci.source import Source

DEFAULT_CONCURRENCY = 8
MAX_NESTING = 8  # levels of indexes inside indexes walked below the root
MAX_REFERRER_DEPTH = 4  # referrers of referrers of … of a manifest
COSIGN_SUFFIXES = ("sig", "att", "sbom")  # cosign's tags: sha256-<hex>.sig etc.


@dataclass
class ImageNode:
    """One entry of the tree: the descriptor that points at it, and what was fetched for it."""

    descriptor: Descriptor
    manifest: Manifest | None = None
    config: ImageConfig | None = None
    error: RegistryError | None = None
    # A nested index's own entries (walked), and why some are missing or it was not walked.
    children: list[ImageNode] = field(default_factory=list)
    children_truncated: RegistryError | None = None
    not_walked: str | None = None  # "cycle", "too deep" or "shown above": why a nested index has no children
    # What refers to this manifest (when asked for), and the error that kept them from being known.
    referrers: list[ImageNode] = field(default_factory=list)
    referrers_error: RegistryError | None = None
    tag: str | None = None  # for a referrer found by cosign's tag, that tag
    inside: Inside | None = None  # for a referrer, when looked inside: its SBOM's, signature's facts

    @property
    def image(self) -> ImageManifest | None:
        return self.manifest if isinstance(self.manifest, ImageManifest) else None

    def walk_nodes(self) -> Iterator[ImageNode]:
        """This node, its nested entries and its referrers, depth first."""
        yield self
        for child in (*self.children, *self.referrers):
            yield from child.walk_nodes()


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
    # With referrers asked for: the root's (an index's own; an image's are on its one node).
    referrers: list[ImageNode] = field(default_factory=list)
    referrers_error: RegistryError | None = None

    @property
    def errors(self) -> list[RegistryError]:
        """Each error once (entries that share a digest share its error), the truncations last."""
        out: list[RegistryError] = []
        late: list[RegistryError] = [self.referrers_error] if self.referrers_error is not None else []
        for top in (*self.nodes, *self.referrers):
            for node in top.walk_nodes():
                for error in (node.error, node.referrers_error):
                    if error is not None and all(error is not seen for seen in out):
                        out.append(error)
                if node.children_truncated is not None:
                    late.append(node.children_truncated)
        return out + late + ([self.truncated] if self.truncated is not None else [])


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
    An entry naming the index itself gets the index (and walk() sees the cycle)."""
    entries = index.manifests[:MAX_INDEX_CHILDREN]
    nodes = [ImageNode(d, manifest=index if d.digest == index.digest else None) for d in entries]
    if len(index.manifests) <= MAX_INDEX_CHILDREN:
        return nodes, None
    return nodes, RegistryError(
        f"index {index.digest[:19]}… lists {len(index.manifests):,} manifests; acrbrowse reads only the first "
        f"{MAX_INDEX_CHILDREN:,}, and shows only those")


class Budget:
    """What one tree may still fetch: TREE_BYTES of manifests and configs, MAX_REFERRERS referrers."""

    def __init__(self) -> None:
        self.fetched = 0
        self.referrers = 0


async def walk(client: Source, reference: Reference, *, with_configs: bool = True,
               concurrency: int = DEFAULT_CONCURRENCY, referrers: bool = False,
               artifact_type: str | None = None, referrer_depth: int = MAX_REFERRER_DEPTH,
               inside: bool = False) -> ManifestTree:
    """The manifest at `reference`, and for an index its entries' manifests and configs, fetched
    concurrently: each distinct digest once, the result shared by every entry that names it. Nested
    indexes are walked too; with `referrers`, what refers to every manifest in the tree (only of
    `artifact_type` when given: for the tree's own manifests, not for referrers of referrers),
    `referrer_depth` levels deep; with `inside`, a look inside each referrer (artifacts.look_inside)."""
    repository = reference.repository
    assert repository is not None
    root = await client.get_manifest(repository, reference.manifest_ref or "latest")
    tree = ManifestTree(reference, root)
    budget = Budget()
    if isinstance(root, ImageIndex):
        tree.nodes, tree.truncated = index_nodes(root)
    else:
        tree.nodes = [ImageNode(root.descriptor(), manifest=root)]
    gate = asyncio.Semaphore(concurrency)  # one limit for the whole tree: nested indexes, referrers and all
    skipped = await fill_nodes(client, repository, tree.nodes, with_configs=with_configs, budget=budget, gate=gate)
    skipped += await _walk_nested(client, repository, tree.nodes, {root.digest}, set(), 1, budget, gate,
                                  with_configs=with_configs)
    if skipped:
        over = (f"the manifests of index {root.digest[:19]}… add up to more than {TREE_BYTES // 2**20} MiB; "
                f"acrbrowse stopped there and left {skipped:,} of them unread")
        tree.truncated = RegistryError(f"{tree.truncated}; {over}" if tree.truncated else over)
    if referrers:
        lookups = Referrers(client, repository, budget, gate, artifact_type, referrer_depth)
        holders: dict[str, list[ImageNode]] = {}  # each distinct manifest asked about once
        for node in (node for top in tree.nodes for node in top.walk_nodes()):
            if node.manifest is not None:
                holders.setdefault(node.descriptor.digest, []).append(node)
        if isinstance(root, ImageIndex):
            tree.referrers, tree.referrers_error = await lookups.of(root.digest, {root.digest}, 1)
        await asyncio.gather(*(lookups.fill(first, {root.digest, digest}) for digest, (first, *_) in holders.items()))
        for first, *others in holders.values():
            for other in others:
                other.referrers, other.referrers_error = first.referrers, first.referrers_error
        if inside:
            await look_inside_referrers(client, repository, tree, gate)
    return tree


def _referrer_nodes(tree: ManifestTree) -> Iterator[ImageNode]:
    """Every referrer in the tree, at any depth (one that refers to several manifests, as often)."""
    for node in (n for top in tree.nodes for n in top.walk_nodes()):
        yield from node.referrers
    for top in tree.referrers:
        yield from top.walk_nodes()


async def look_inside_referrers(client: Source, repository: str, tree: ManifestTree,
                                gate: asyncio.Semaphore | None = None) -> None:
    """Look inside every referrer in the tree (each distinct one once): its SBOM's package count,
    its signature's signer. A blob each at most, INSIDE_BYTES at most."""
    await look_inside_nodes(client, repository, _referrer_nodes(tree), gate)


async def look_inside_nodes(client: Source, repository: str, nodes: Iterable[ImageNode],
                            gate: asyncio.Semaphore | None = None) -> None:
    """Look inside each of `nodes` (referrers; each distinct digest once) and keep what was found on it."""
    gate = gate or asyncio.Semaphore(DEFAULT_CONCURRENCY)
    by_digest: dict[str, list[ImageNode]] = {}
    for node in nodes:
        by_digest.setdefault(node.descriptor.digest, []).append(node)

    async def look(nodes: list[ImageNode]) -> None:
        image = nodes[0].image
        if image is None:
            return
        async with gate:
            found = await look_inside(client, repository, image, nodes[0].tag)
        for node in nodes:
            node.inside = found

    await asyncio.gather(*(look(nodes) for nodes in by_digest.values()))


async def _walk_nested(client: Source, repository: str, nodes: list[ImageNode], path: set[str], expanded: set[str],
                       depth: int, budget: Budget, gate: asyncio.Semaphore, *, with_configs: bool) -> int:
    """Walk the nested indexes among `nodes` (at `depth` below the root): each distinct index once in
    the tree, none that is its own ancestor (`path`), none deeper than MAX_NESTING. Returns how many
    manifests TREE_BYTES left unread."""
    skipped = 0
    for node in nodes:
        index = node.manifest
        if not isinstance(index, ImageIndex):
            continue
        if index.digest in path:
            node.not_walked = "cycle"
        elif depth > MAX_NESTING:
            node.not_walked = "too deep"
        elif index.digest in expanded:
            node.not_walked = "shown above"
        else:
            expanded.add(index.digest)
            node.children, node.children_truncated = index_nodes(index)
            skipped += await fill_nodes(client, repository, node.children, with_configs=with_configs, budget=budget,
                                        gate=gate)
            skipped += await _walk_nested(client, repository, node.children, path | {index.digest}, expanded,
                                          depth + 1, budget, gate, with_configs=with_configs)
    return skipped


class Referrers:
    """Finds what refers to manifests of one repository: the referrers API (or its tag schema) and
    cosign's `sha256-<hex>.sig|.att|.sbom` tags; recursively, within one tree's budget."""

    def __init__(self, client: Source, repository: str, budget: Budget, gate: asyncio.Semaphore,
                 artifact_type: str | None = None, max_depth: int = MAX_REFERRER_DEPTH) -> None:
        self.client, self.repository, self.budget, self.gate = client, repository, budget, gate
        self.artifact_type = artifact_type
        self.max_depth = min(max_depth, MAX_REFERRER_DEPTH)

    async def fill(self, node: ImageNode, path: set[str], depth: int = 1) -> None:
        node.referrers, node.referrers_error = await self.of(node.descriptor.digest, path, depth)

    async def of(self, digest: str, path: set[str], depth: int) -> tuple[list[ImageNode], RegistryError | None]:
        """The referrers of `digest` (filled, and theirs below them up to MAX_REFERRER_DEPTH), and the
        error that left some unknown. `path`: the digests above, never walked into again."""
        wanted = self.artifact_type if depth == 1 else None
        try:
            async with self.gate:
                listed = await self.client.referrers(self.repository, digest, wanted)
            found = [ImageNode(d) for d in listed]
            found += await self._cosign_tags(digest, {d.digest for d in listed})
        except RegistryError as exc:
            return [], exc
        room = max(MAX_REFERRERS - self.budget.referrers, 0)
        error = None
        if len(found) > room:
            error = RegistryError(f"the referrers in this tree number more than {MAX_REFERRERS:,}; "
                                  f"acrbrowse reads only that many, and shows only those")
            found = found[:room]
        self.budget.referrers += len(found)
        unread = [node for node in found if node.manifest is None]
        await fill_nodes(self.client, self.repository, unread, with_configs=False, budget=self.budget, gate=self.gate)
        if wanted is not None:  # cosign's tags have no artifactType to filter on: their manifest tells
            found = [n for n in found if n.tag is None or (n.image is not None and n.image.effective_artifact_type == wanted)]
        if depth < self.max_depth:
            await asyncio.gather(*(self.fill(node, path | {node.descriptor.digest}, depth + 1)
                                   for node in found if node.descriptor.digest not in path and node.manifest is not None))
        return found, error

    async def _cosign_tags(self, digest: str, known: set[str]) -> list[ImageNode]:
        algorithm, _, encoded = digest.partition(":")

        async def probe(suffix: str) -> ImageNode | None:
            tag = f"{algorithm}-{encoded}.{suffix}"
            try:
                async with self.gate:
                    descriptor = await self.client.head_manifest(self.repository, tag)
            except ManifestNotFound:
                return None
            return ImageNode(descriptor, tag=tag)

        found = await asyncio.gather(*(probe(suffix) for suffix in COSIGN_SUFFIXES))
        out: list[ImageNode] = []
        for node in found:
            if node is not None and node.descriptor.digest not in known:
                known.add(node.descriptor.digest)
                out.append(node)
        return out


async def fill_nodes(client: Source, repository: str, nodes: list[ImageNode], *, with_configs: bool = True,
                     concurrency: int = DEFAULT_CONCURRENCY, budget: Budget | None = None,
                     gate: asyncio.Semaphore | None = None) -> int:
    """Fill `nodes` concurrently (at most `concurrency` at once, or as `gate` allows: a tree shares
    one): each distinct digest fetched once, the result shared by every node that names it; past
    TREE_BYTES (counted in `budget`, shared by one tree's calls) the rest are left unread. Returns how
    many digests were left unread. Nothing holding `gate` may wait for it again."""
    by_digest: dict[str, list[ImageNode]] = {}
    for node in nodes:
        by_digest.setdefault(node.descriptor.digest, []).append(node)
    limit = gate if gate is not None else asyncio.Semaphore(concurrency)
    spent = budget if budget is not None else Budget()
    skipped = 0

    async def fill_group(first: ImageNode, *others: ImageNode) -> None:
        nonlocal skipped
        async with limit:
            if spent.fetched > TREE_BYTES:
                skipped += 1
                return
            await fill_node(client, repository, first, with_config=with_configs)
            spent.fetched += (first.manifest.size if first.manifest is not None else 0) + (
                len(first.config.raw) if first.config is not None else 0)
        for other in others:
            other.manifest, other.config, other.error = first.manifest, first.config, first.error

    await asyncio.gather(*(fill_group(*group) for group in by_digest.values()))
    return skipped


async def referrers_of(client: Source, reference: Reference, *, artifact_type: str | None = None,
                       recursive: bool = False, inside: bool = False) -> ManifestTree:
    """What refers to the manifest at `reference`: one level; `recursive`, the referrers' own (up to
    MAX_REFERRER_DEPTH) and, for an index, its platform manifests' too. A tree whose root's
    referrers are in `referrers` (an index) or on its one node (an image)."""
    repository = reference.repository
    assert repository is not None
    if recursive:
        return await walk(client, reference, with_configs=False, referrers=True, artifact_type=artifact_type,
                          inside=inside)
    root = await client.get_manifest(repository, reference.manifest_ref or "latest")
    tree = ManifestTree(reference, root)
    lookups = Referrers(client, repository, Budget(), asyncio.Semaphore(DEFAULT_CONCURRENCY), artifact_type, 1)
    found, error = await lookups.of(root.digest, {root.digest}, 1)
    if isinstance(root, ImageIndex):
        tree.referrers, tree.referrers_error = found, error
    else:
        tree.nodes = [ImageNode(root.descriptor(), manifest=root, referrers=found, referrers_error=error)]
    if inside:
        await look_inside_referrers(client, repository, tree)
    return tree
