"""An image with real layers, pushed into the shared bed under a scratch name for the CLI and UI
tests: three layers in three compressions (gzip, zstd, plain tar), with a file modified, a file and
a directory's contents removed (whiteout, opaque), links, and a name with an escape sequence; and a
two-platform index around it. What each layer holds is kept for the tests to compare against."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.layerfiles import layers as L
from tests.oci.pushing import scratch_repository

EVIL_NAME = "evil\x1b[31mred\x07"


def _bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


BASE = [
    L.directory("etc"), L.file("etc/os-release", b"ID=test\n"), L.file("etc/passwd", _bytes(1, 1_500)),
    L.directory("usr"), L.directory("usr/bin"),
    L.file("usr/bin/app", _bytes(2, 50_000), mode=0o755),
    L.file("usr/bin/tool", _bytes(3, 20_000), mode=0o755),
    L.symlink("usr/bin/sh", "app"), L.hardlink("usr/bin/app2", "usr/bin/app"),
    L.directory("tmp"), L.directory("tmp/cache"),
    L.file("tmp/cache/a", _bytes(4, 10_000)), L.file("tmp/cache/b", _bytes(5, 5_000)),
    L.directory("var"), L.directory("var/log"), L.file("var/log/old.log", _bytes(6, 30_000)),
]
UPDATE = [
    L.file("usr/bin/app", _bytes(7, 60_000), mode=0o755),  # modified: the base's 50,000 bytes are wasted
    L.file("etc/new.conf", _bytes(8, 1_000)),
    L.whiteout("var/log/old.log"),  # removed: 30,000 wasted
    L.file(f"usr/{EVIL_NAME}", b"x"),
]
CLEANUP = [
    L.opaque("tmp/cache"),  # hides a and b: 15,000 wasted
    L.file("tmp/cache/c", _bytes(9, 2_000)),
    L.whiteout("etc/passwd"),  # 1,500 wasted
]
WASTED = 50_000 + 30_000 + 10_000 + 5_000 + 1_500
VISIBLE = 8 + 20_000 + 60_000 + 1_000 + 1 + 2_000  # the files that stand at the top
ARM_ONLY = [L.directory("opt"), L.file("opt/arm-only", _bytes(10, 3_000))]


@dataclass(frozen=True)
class LayeredImages:
    registry: str  # host:port of the bed's anonymous registry
    repository: str
    image_tag: str  # one image of the three layers
    index_tag: str  # linux/amd64 (the three layers) and linux/arm64 (one layer)
    tars: tuple[bytes, ...]  # each layer's tar, for tarfile to list
    blobs: tuple[bytes, ...]  # each layer as pushed

    def ref(self, tag: str) -> str:
        return f"{self.registry}/{self.repository}:{tag}"


def push_layered_images(registry: str, repository: str | None = None) -> LayeredImages:
    """Pushed under `repository` (the same content each time: pushing it again changes nothing), or a
    scratch name of the caller's own."""
    tars = tuple(L.build_tar(members) for members in (BASE, UPDATE, CLEANUP))
    blobs = (L.compress(tars[0], "gzip"), L.compress(tars[1], "zstd"), L.compress(tars[2], "none"))
    specs: list[L.LayerSpec] = [(blobs[0], L.media_type("gzip"), None), (blobs[1], L.media_type("zstd"), None),
                                (blobs[2], L.media_type("none", docker=True), None)]
    repository = repository or scratch_repository("files")
    L.push_layers_image(registry, repository, "image", specs)
    arm = L.compress(L.build_tar(ARM_ONLY), "gzip")
    L.push_layers_index(registry, repository, "multi",
                        {"linux/amd64": specs, "linux/arm64": [(arm, L.media_type("gzip"), None)]})
    return LayeredImages(registry, repository, "image", "multi", tars, blobs)
