"""Text and JSON renderings of a manifest tree, for the CLI."""

from __future__ import annotations

from typing import Any

from acrbrowse.registry import mediatypes as mt
from acrbrowse.registry.models import Descriptor, ImageIndex, ImageManifest, LegacyManifest
from acrbrowse.registry.walk import ImageNode, ManifestTree
from acrbrowse.units import human_size, short_digest


def node_label(node: ImageNode, index: ImageIndex | None = None) -> str:
    """linux/arm64/v8 · 'attestation for linux/amd64' · the artifact type."""
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
    for entry in index.manifests:
        if entry.digest == digest and entry.platform is not None:
            return entry.platform.label
    return None


def layer_note(layer: Descriptor) -> str | None:
    """What sets a layer apart, if anything: its in-toto predicate, being foreign, an unusual type."""
    predicate = layer.annotations.get(mt.IN_TOTO_PREDICATE_ANNOTATION)
    if predicate:
        return predicate
    if layer.is_foreign:
        return "(foreign layer)"
    if not layer.media_type.startswith(("application/vnd.oci.image.layer", "application/vnd.docker.image.rootfs")):
        return layer.media_type
    return None


def layer_count(count: int) -> str:
    return f"{count} layer{'s' * (count != 1)}"


def layer_label(position: int, layer: Descriptor) -> str:
    note = layer_note(layer)
    return f"layer {position}  {layer.digest}  {human_size(layer.size)}" + (f"  {note}" if note else "")


def _image_lines(image: ImageManifest) -> list[str]:
    lines = []
    if image.config is not None:
        lines.append(f"config  {image.config.digest}  {human_size(image.config.size)}")
    lines += [layer_label(i, layer) for i, layer in enumerate(image.layers, 1)]
    lines.append(f"total  {layer_count(len(image.layers))}, {human_size(image.compressed_size)}")
    return lines


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


def render_text(tree: ManifestTree) -> str:
    root = tree.root
    lines = [str(tree.reference), f"{root.digest}  {mt.describe(root.media_type)}"]
    if isinstance(root, ImageIndex):
        lines[-1] += f", {len(root.platforms)} platform{'s' * (len(root.platforms) != 1)}"
        platforms = [n for n in tree.nodes if not n.descriptor.is_attestation]
        attestations = [n for n in tree.nodes if n.descriptor.is_attestation]
        items: list[tuple[str, list]] = [
            (f"{node_label(n, root)}  {n.descriptor.digest}", _node_children(n)) for n in platforms
        ]
        if attestations:
            items.append((f"attestations ({len(attestations)})", [
                (f"{node_label(n, root)}  {n.descriptor.digest}", _node_children(n)) for n in attestations
            ]))
        _branch(lines, items)
    else:
        node = tree.nodes[0]
        if isinstance(root, ImageManifest) and root.is_artifact:
            lines[-1] += f", {_artifact_label(root)}"
        if isinstance(root, ImageManifest) and root.subject is not None:
            lines.append(f"refers to {root.subject.digest}")
        _branch(lines, [(c, []) for c in _node_children(node)])
    return "\n".join(lines)


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


def _node_json(node: ImageNode) -> dict[str, Any]:
    out = node.descriptor.to_json()
    if node.descriptor.is_attestation:
        out["attestation"] = True
    if node.error is not None:
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
        out["manifests"] = [_node_json(n) for n in tree.nodes]
    elif isinstance(root, ImageManifest):
        out.update(_image_json(root))
    else:
        out["raw"] = root.raw.decode("utf-8", "replace")
    return out
