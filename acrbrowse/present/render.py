"""Text and JSON renderings of a manifest tree, for the CLI.

Text is for a terminal: every line passes present.safe.terminal_safe, and so does node_label, which
the UI takes from here (escaping twice changes nothing). An image's config, layers and total come
from present.describe, as in the UI. JSON stays exact: json.dumps escapes control characters itself.
"""

from __future__ import annotations

from typing import Any

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import ImageIndex, ImageManifest, LegacyManifest
from acrbrowse.oci.walk import ImageNode, ManifestTree
from acrbrowse.present.describe import bounded, describe_image
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.units import short_digest


def node_label(node: ImageNode, index: ImageIndex | None = None) -> str:
    """linux/arm64/v8 · 'attestation for linux/amd64' · the artifact type; terminal-safe."""
    return bounded(_node_label(node, index))


def _node_label(node: ImageNode, index: ImageIndex | None) -> str:
    descriptor = node.descriptor
    if descriptor.is_attestation:
        target = descriptor.attests
        platform = _platform_of(index, target) if index and target else None
        return f"attestation for {platform or short_digest(target or '?')}"
    if descriptor.platform is not None:
        return descriptor.platform.label
    image = node.image
    if image is not None and image.is_artifact:
        return _artifact_label(image)
    return node.manifest.kind if node.manifest is not None else "manifest"


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


def _node_children(node: ImageNode) -> list[str]:
    if node.error is not None:
        return [f"error: {node.error}"]
    manifest = node.manifest
    if isinstance(manifest, ImageManifest):
        return _image_lines(manifest)
    if isinstance(manifest, ImageIndex):
        return [f"nested index, {len(manifest.manifests)} entries (open it by digest)"]
    if isinstance(manifest, LegacyManifest):
        return [f"legacy schema 1 manifest, {len(manifest.blob_sums)} layers (sizes unknown)"]
    if manifest is not None:
        return [f"unknown media type {manifest.media_type}; shown raw with --json"]
    return []


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


def render_text(tree: ManifestTree) -> str:
    """The tree drawn with box characters, every line terminal-safe."""
    root = tree.root
    lines = [str(tree.reference), f"{root.digest}  {mt.describe(root.media_type)}"]
    if isinstance(root, ImageIndex):
        lines[-1] += f", {len(root.platforms)} platform{'s' * (len(root.platforms) != 1)}"
        first_of: dict[str, int] = {}
        entries = [(n, i, first_of.setdefault(n.descriptor.digest, i)) for i, n in enumerate(tree.nodes, 1)]
        items = [_entry_item(n, i, first, root) for n, i, first in entries if not n.descriptor.is_attestation]
        attestations = [_entry_item(n, i, first, root) for n, i, first in entries if n.descriptor.is_attestation]
        if attestations:
            items.append((f"attestations ({len(attestations)})", attestations))
        if len(root.manifests) > len(tree.nodes):
            items.append((f"… {len(root.manifests) - len(tree.nodes):,} more entries, not read", []))
        _branch(lines, items)
    else:
        node = tree.nodes[0]
        if isinstance(root, ImageManifest) and root.is_artifact:
            lines[-1] += f", {_artifact_label(root)}"
        if isinstance(root, ImageManifest) and root.subject is not None:
            lines.append(f"refers to {root.subject.digest}")
        _branch(lines, [(c, []) for c in _node_children(node)])
    return "\n".join(terminal_safe(line) for line in lines)


def _image_json(image: ImageManifest) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if image.artifact_type:
        out["artifactType"] = image.artifact_type
    if image.config is not None:
        out["config"] = image.config.to_json()
    out["layers"] = [layer.to_json() for layer in image.layers]
    out["totalSize"] = image.compressed_size
    if image.subject is not None:
        out["subject"] = image.subject.to_json()
    if image.annotations:
        out["annotations"] = dict(image.annotations)
    return out


def _node_json(node: ImageNode, same_as: int | None = None) -> dict[str, Any]:
    out = node.descriptor.to_json()
    if node.descriptor.is_attestation:
        out["attestation"] = True
    if same_as is not None:
        out["sameAs"] = same_as  # the position (from 0) of the entry with the same digest, shown in full there
    elif node.error is not None:
        out["error"] = str(node.error)
    elif isinstance(node.manifest, ImageManifest):
        out.update(_image_json(node.manifest))
    elif node.manifest is not None and not isinstance(node.manifest, ImageIndex):
        out["raw"] = node.manifest.raw.decode("utf-8", "replace")
    return out


def render_json(tree: ManifestTree) -> dict[str, Any]:
    root = tree.root
    out: dict[str, Any] = {"reference": str(tree.reference), "mediaType": root.media_type,
                           "digest": root.digest, "size": root.size}
    if isinstance(root, ImageIndex):
        if root.annotations:
            out["annotations"] = dict(root.annotations)
        first_seen: dict[str, int] = {}
        out["manifests"] = []
        for i, node in enumerate(tree.nodes):
            first = first_seen.setdefault(node.descriptor.digest, i)
            out["manifests"].append(_node_json(node, None if first == i else first))
        if tree.truncated is not None:
            out["truncated"] = str(tree.truncated)
    elif isinstance(root, ImageManifest):
        out.update(_image_json(root))
    else:
        out["raw"] = root.raw.decode("utf-8", "replace")
    return out
