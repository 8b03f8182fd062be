"""Text and JSON renderings of a manifest tree, for the CLI.

Text is for a terminal: every line passes present.safe.terminal_safe, and so does node_label, which
the UI takes from here (escaping twice changes nothing). An image's config, layers and total come
from present.describe, as in the UI. JSON stays exact: json.dumps escapes control characters itself.
"""

from __future__ import annotations

from typing import Any

from acrbrowse.oci import kinds
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import ImageIndex, ImageManifest, LegacyManifest, Manifest
from acrbrowse.oci.walk import MAX_NESTING, ImageNode, ManifestTree
from acrbrowse.present.describe import bounded, describe_image
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.units import short_digest

# Why a nested index shows no entries of its own.
NOT_WALKED = {
    "cycle": "it lists an index above it; not walked again",
    "too deep": f"more than {MAX_NESTING} indexes deep; open it by digest",
    "shown above": "its entries are shown above",
}


def node_label(node: ImageNode, index: ImageIndex | None = None) -> str:
    """linux/arm64/v8 · 'attestation for linux/amd64' · 'signature (Notation)'; terminal-safe."""
    return bounded(_node_label(node, index))


def _node_label(node: ImageNode, index: ImageIndex | None) -> str:
    descriptor = node.descriptor
    if descriptor.is_attestation:
        target = descriptor.attests
        platform = _platform_of(index, target) if index and target else None
        what = "attestation" if descriptor.reference_type == mt.ATTESTATION_MANIFEST else descriptor.reference_type
        return f"{what} for {platform or short_digest(target or '?')}"
    if descriptor.platform is not None:
        return descriptor.platform.label
    if node.manifest is not None:
        return kind_text(node.manifest, node.tag)
    return "manifest"


def kind_text(manifest: Manifest, tag: str | None = None) -> str:
    """'signature (Notation)', 'index (3 platforms)', 'artifact application/x'; not escaped."""
    kind = kinds.kind_of(manifest, tag=tag)
    if kind.name == kinds.ARTIFACT and isinstance(manifest, ImageManifest):
        return _artifact_label(manifest)
    return kind.label


def _artifact_label(image: ImageManifest) -> str:
    # An artifact with an empty config and no artifactType (the spec forbids it, some tools do it) has no type.
    kind = image.effective_artifact_type
    return f"artifact {kind}" if kind else "artifact"


def _platform_of(index: ImageIndex, digest: str) -> str | None:
    platform = index.platform_by_digest.get(digest)
    return platform.label if platform is not None else None


def _image_lines(image: ImageManifest) -> list[str]:
    facts = describe_image(image)
    return [blob.line for blob in facts.blobs] + [facts.total.line]


def _node_children(node: ImageNode) -> list:
    """What is drawn under a node: its layers or its own entries, then what refers to it."""
    return _manifest_children(node) + _referrer_items(node.referrers, node.referrers_error)


def _manifest_children(node: ImageNode) -> list:
    if node.error is not None:
        return [f"error: {node.error}"]
    manifest = node.manifest
    if isinstance(manifest, ImageManifest):
        return _image_lines(manifest)
    if isinstance(manifest, ImageIndex):
        if node.children or node.not_walked is None:
            return _index_items(manifest, node.children)
        return [f"nested index, {len(manifest.manifests)} entries ({NOT_WALKED[node.not_walked]})"]
    if isinstance(manifest, LegacyManifest):
        return [f"legacy schema 1 manifest, {len(manifest.blob_sums)} layers (sizes unknown)"]
    if manifest is not None:
        return [f"unknown media type {manifest.media_type}; shown raw with --json"]
    return []


def _referrer_items(referrers: list[ImageNode], error: RegistryError | None) -> list:
    """A 'referrers (N)' branch: each referrer's kind, digest (and cosign tag), and its own referrers."""
    if not referrers and error is None:
        return []
    items: list = [(_referrer_label(node), _referrer_children(node)) for node in referrers]
    if error is not None:
        items.append(f"error: {error}")
    return [(f"referrers ({len(referrers)})", items)]


def _referrer_label(node: ImageNode) -> str:
    known = node.manifest
    what = kind_text(known, node.tag) if known is not None else node.descriptor.artifact_type or "manifest"
    text = f"{bounded(what)}  {node.descriptor.digest}"
    return text + (f"  (tag {node.tag})" if node.tag else "")


def _referrer_children(node: ImageNode) -> list:
    children: list = [f"error: {node.error}"] if node.error is not None else []
    if node.inside is not None and node.inside.facts:
        children.append(bounded(node.inside.line))
    return children + _referrer_items(node.referrers, node.referrers_error)


def _branch(lines: list[str], items: list[tuple[str, list]], prefix: str = "") -> None:
    """Draw (label, children) pairs with box characters; children are str or (label, children)."""
    for i, (label, children) in enumerate(items):
        last = i == len(items) - 1
        lines.append(f"{prefix}{'└── ' if last else '├── '}{label}")
        nested = [c if isinstance(c, tuple) else (c, []) for c in children]
        _branch(lines, nested, prefix + ("    " if last else "│   "))


def _entry_item(node: ImageNode, position: int, first: int, index: ImageIndex) -> tuple[str, list]:
    """An entry whose digest an earlier entry has points there instead of repeating its layers
    (an index of 4,096 copies of one big manifest would otherwise print 4,096 layer lists)."""
    children = _node_children(node) if first == position else [f"same manifest as entry {first}"]
    return f"{node_label(node, index)}  {node.descriptor.digest}", children


def _index_items(index: ImageIndex, nodes: list[ImageNode]) -> list:
    """An index's entries: its platforms, then the entries about them (attestations, builder) in a
    group, then what was left unread."""
    first_of: dict[str, int] = {}
    entries = [(n, i, first_of.setdefault(n.descriptor.digest, i)) for i, n in enumerate(nodes, 1)]
    items: list = [_entry_item(n, i, first, index) for n, i, first in entries if not n.descriptor.is_attestation]
    attestations = [_entry_item(n, i, first, index) for n, i, first in entries if n.descriptor.is_attestation]
    if attestations:
        items.append((f"attestations ({len(attestations)})", attestations))
    if len(index.manifests) > len(nodes):
        items.append((f"… {len(index.manifests) - len(nodes):,} more entries, not read", []))
    return items


def _annotation_items(annotations) -> list:
    """An 'annotations (N)' branch, key: value per line, sorted."""
    if not annotations:
        return []
    return [(f"annotations ({len(annotations)})",
             [f"{bounded(key)}: {bounded(value)}" for key, value in sorted(annotations.items())])]


def render_text(tree: ManifestTree) -> str:
    """The tree drawn with box characters, every line terminal-safe."""
    root = tree.root
    lines = [str(tree.reference), f"{root.digest}  {mt.describe(root.media_type)}"]
    if isinstance(root, ImageIndex):
        lines[-1] += f", {bounded(kinds.kind_of(root).detail or '')}"
        if root.subject is not None:
            lines.append(f"refers to {root.subject.digest}")
        listed_for = kinds.referrers_tag(tree.reference.tag) if tree.reference.tag else None
        if listed_for is not None:  # sha512's tag keeps 64 of its 128 hex digits: a prefix
            lines.append(f"referrers of {listed_for}{'…' if listed_for.startswith('sha512') else ''}")
        items = _annotation_items(root.annotations) + _index_items(root, tree.nodes)
        _branch(lines, items + _referrer_items(tree.referrers, tree.referrers_error))
    else:
        node = tree.nodes[0]
        if isinstance(root, ImageManifest):
            kind = kind_text(root, tree.reference.tag)
            if kind != kinds.IMAGE:
                lines[-1] += f", {bounded(kind)}"
            if root.is_artifact and not kind.startswith("artifact"):  # the kind, then the exact type it is read from
                lines[-1] += f", {bounded(_artifact_label(root))}"
            if root.subject is not None:
                lines.append(f"refers to {root.subject.digest}")
        _branch(lines, [c if isinstance(c, tuple) else (c, []) for c in _node_children(node)])
    return "\n".join(terminal_safe(line) for line in lines)


def _image_json(image: ImageManifest) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if image.artifact_type:
        out["artifactType"] = image.artifact_type
    if image.config is not None:
        out["config"] = image.config.to_json()
    out["blobs" if image.is_artifact_manifest else "layers"] = [layer.to_json() for layer in image.layers]
    out["totalSize"] = image.compressed_size
    if image.subject is not None:
        out["subject"] = image.subject.to_json()
    if image.annotations:
        out["annotations"] = dict(image.annotations)
    return out


def _index_json(index: ImageIndex, nodes: list[ImageNode]) -> dict[str, Any]:
    """An index's own fields and its entries (an entry repeating an earlier digest says which)."""
    out: dict[str, Any] = {}
    if index.artifact_type:
        out["artifactType"] = index.artifact_type
    if index.subject is not None:
        out["subject"] = index.subject.to_json()
    if index.annotations:
        out["annotations"] = dict(index.annotations)
    first_seen: dict[str, int] = {}
    out["manifests"] = []
    for i, node in enumerate(nodes):
        first = first_seen.setdefault(node.descriptor.digest, i)
        out["manifests"].append(_node_json(node, None if first == i else first))
    return out


def _referrers_json(out: dict[str, Any], referrers: list[ImageNode], error: RegistryError | None) -> None:
    if referrers or error is not None:
        out["referrers"] = [_referrer_json(node) for node in referrers]
    if error is not None:
        out["referrersError"] = str(error)


def _referrer_json(node: ImageNode) -> dict[str, Any]:
    out = node.descriptor.to_json()
    if node.tag:
        out["tag"] = node.tag
    if node.error is not None:
        out["error"] = str(node.error)
    elif node.manifest is not None:
        out["kind"] = kind_text(node.manifest, node.tag)
        if isinstance(node.manifest, ImageManifest):
            out.update(_image_json(node.manifest))
    if node.inside is not None:
        out["inside"] = list(node.inside.facts)
    _referrers_json(out, node.referrers, node.referrers_error)
    return out


def _node_json(node: ImageNode, same_as: int | None = None) -> dict[str, Any]:
    out = node.descriptor.to_json()
    if node.descriptor.is_attestation:
        out["attestation"] = True
    if same_as is not None:
        out["sameAs"] = same_as  # the position (from 0) of the entry with the same digest, shown in full there
        return out
    if node.error is not None:
        out["error"] = str(node.error)
    elif node.manifest is not None:
        out["kind"] = kind_text(node.manifest, node.tag)
    if node.error is not None:
        pass  # nothing more is known
    elif isinstance(node.manifest, ImageManifest):
        out.update(_image_json(node.manifest))
    elif isinstance(node.manifest, ImageIndex):
        if node.children or node.not_walked is None:
            out.update(_index_json(node.manifest, node.children))
            if node.children_truncated is not None:
                out["truncated"] = str(node.children_truncated)
        else:
            out["notWalked"] = NOT_WALKED[node.not_walked]
    elif node.manifest is not None:
        out["raw"] = node.manifest.raw.decode("utf-8", "replace")
    _referrers_json(out, node.referrers, node.referrers_error)
    return out


def render_json(tree: ManifestTree) -> dict[str, Any]:
    root = tree.root
    out: dict[str, Any] = {"reference": str(tree.reference), "mediaType": root.media_type,
                           "digest": root.digest, "size": root.size,
                           "kind": kind_text(root, tree.reference.tag)}
    if isinstance(root, ImageIndex):
        out.update(_index_json(root, tree.nodes))
        if tree.truncated is not None:
            out["truncated"] = str(tree.truncated)
        _referrers_json(out, tree.referrers, tree.referrers_error)
    elif isinstance(root, ImageManifest):
        out.update(_image_json(root))
        _referrers_json(out, tree.nodes[0].referrers, tree.nodes[0].referrers_error)
    else:
        out["raw"] = root.raw.decode("utf-8", "replace")
    return out


def _own_referrers(tree: ManifestTree) -> tuple[list[ImageNode], RegistryError | None]:
    if isinstance(tree.root, ImageIndex) or not tree.nodes:
        return tree.referrers, tree.referrers_error
    return tree.nodes[0].referrers, tree.nodes[0].referrers_error


def _entries_with_referrers(tree: ManifestTree) -> list[tuple[ImageNode, ImageIndex]]:
    """An index's entries (nested ones too) that have referrers or failed to get them, with their index."""
    out: list[tuple[ImageNode, ImageIndex]] = []

    def visit(nodes: list[ImageNode], index: ImageIndex) -> None:
        for node in nodes:
            if node.referrers or node.referrers_error is not None:
                out.append((node, index))
            if isinstance(node.manifest, ImageIndex):
                visit(node.children, node.manifest)

    if isinstance(tree.root, ImageIndex):
        visit(tree.nodes, tree.root)
    return out


def render_referrers_text(tree: ManifestTree) -> str:
    """What refers to the tree's root (and, walked recursively, to its entries), terminal-safe."""
    root = tree.root
    lines = [str(tree.reference), f"{root.digest}  {bounded(kind_text(root, tree.reference.tag))}"]
    referrers, error = _own_referrers(tree)
    items: list = [(_referrer_label(node), _referrer_children(node)) for node in referrers]
    if error is not None:
        items.append(f"error: {error}")
    seen: set[str] = set()
    for node, index in _entries_with_referrers(tree):
        if node.descriptor.digest not in seen:
            seen.add(node.descriptor.digest)
            items.append((f"{node_label(node, index)}  {node.descriptor.digest}",
                          _referrer_items(node.referrers, node.referrers_error)))
    if not items:
        items = ["no referrers"]
    _branch(lines, [c if isinstance(c, tuple) else (c, []) for c in items])
    return "\n".join(terminal_safe(line) for line in lines)


def render_referrers_json(tree: ManifestTree) -> dict[str, Any]:
    root = tree.root
    out: dict[str, Any] = {"reference": str(tree.reference), "mediaType": root.media_type, "digest": root.digest,
                           "kind": kind_text(root, tree.reference.tag)}
    referrers, error = _own_referrers(tree)
    _referrers_json(out, referrers, error)
    out.setdefault("referrers", [])
    entries = []
    seen: set[str] = set()
    for node, _ in _entries_with_referrers(tree):
        if node.descriptor.digest not in seen:
            seen.add(node.descriptor.digest)
            entry = node.descriptor.to_json()
            _referrers_json(entry, node.referrers, node.referrers_error)
            entries.append(entry)
    if entries:
        out["manifests"] = entries
    return out
