"""Two 7-layer images that share their 5 lower layers, pushed over the registry's own API (plain
httpx, no acrbrowse code) with configs of their own (env, labels, cmd, history), and the 5-layer base
they grow from. What was pushed is kept for the tests to compute what they expect."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import httpx

from tests.layerfiles import layers as L

EVIL = "evil\x1b[31mred\x07"


def _bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def base_layers(scale: int = 1) -> list[list[L.Member]]:
    """Five layers: each adds a directory of files; the fourth a file the fifth removes."""
    out = []
    for number in range(5):
        members = [L.directory(f"base{number}"),
                   L.file(f"base{number}/data", _bytes(number, 4_000 * scale)),
                   L.file(f"base{number}/small", f"layer {number}\n".encode())]
        out.append(members)
    out[3].append(L.file("etc/old.conf", b"old\n"))
    out[4].append(L.whiteout("etc/old.conf"))
    out[0][:0] = [L.directory("etc"), L.file("etc/shared.conf", b"shared\n"), L.file("etc/tuned", b"a\n")]
    return out


def top_layers(side: str, scale: int = 1) -> list[list[L.Member]]:
    """A's or B's two own layers: a file of their own, a change to a shared one, and (B) a removal."""
    seed = 100 if side == "a" else 200
    first = [L.directory("app"), L.file(f"app/{side}-only", _bytes(seed, 3_000 * scale)),
             L.file("etc/tuned", b"tuned by " + side.encode() + b"\n", mode=0o600 if side == "b" else 0o644)]
    second = [L.file(f"app/{side}-second", _bytes(seed + 1, 2_000 * scale))]
    if side == "b":
        second += [L.whiteout("base1/small"), L.file(f"app/{EVIL}", b"x"), L.symlink("app/link", "b-only")]
    else:
        second += [L.symlink("app/link", "a-only")]
    return [first, second]


@dataclass(frozen=True)
class PushedImage:
    tag: str
    digest: str
    manifest_size: int
    config_digest: str
    config_size: int
    layers: tuple[tuple[str, int], ...]  # (digest, size) of each layer, bottom first

    def blobs(self) -> dict[str, int]:
        """Every blob the tag reaches: manifest, config, layers."""
        return {self.digest: self.manifest_size, self.config_digest: self.config_size, **dict(self.layers)}


def push_image(host: str, repository: str, tag: str, blobs: list[bytes], config: dict[str, Any]) -> PushedImage:
    """An OCI image of gzip layers `blobs` and `config` (rootfs filled in) under `tag`."""
    with httpx.Client(base_url=f"http://{host}", timeout=60) as http:
        config = {**config, "rootfs": {"type": "layers", "diff_ids": [L.sha256(L.uncompressed(b)) for b in blobs]}}
        raw_config = json.dumps(config).encode()
        layer_digests = [L._push_blob(http, repository, blob) for blob in blobs]
        config_digest = L._push_blob(http, repository, raw_config)
        manifest = {"schemaVersion": 2, "mediaType": L.OCI_MANIFEST,
                    "config": {"mediaType": L.OCI_CONFIG, "digest": config_digest, "size": len(raw_config)},
                    "layers": [{"mediaType": L.media_type("gzip"), "digest": digest, "size": len(blob)}
                               for digest, blob in zip(layer_digests, blobs, strict=True)]}
        digest, size = L._push_manifest(http, repository, tag, manifest)
    return PushedImage(tag, digest, size, config_digest, len(raw_config),
                       tuple((d, len(b)) for d, b in zip(layer_digests, blobs, strict=True)))


def _config(steps: list[str], env: list[str], labels: dict[str, str], cmd: list[str]) -> dict[str, Any]:
    return {"architecture": "amd64", "os": "linux", "created": "2024-06-01T00:00:00Z",
            "config": {"Env": env, "Labels": labels, "Cmd": cmd, "WorkingDir": "/app"},
            "history": [{"created": "2024-06-01T00:00:00Z", "created_by": step, **({"empty_layer": True}
                                                                                   if step.startswith("ENV") else {})}
                        for step in steps]}


BASE_STEPS = [f"RUN make base{number}" for number in range(5)]


@dataclass(frozen=True)
class ComparedImages:
    registry: str
    repository: str
    base: PushedImage  # the 5 shared layers alone
    a: PushedImage
    b: PushedImage

    def ref(self, tag: str) -> str:
        return f"{self.registry}/{self.repository}:{tag}"

    @property
    def shared(self) -> tuple[tuple[str, int], ...]:
        return self.a.layers[:5]


def push_compared_images(host: str, repository: str, *, scale: int = 1) -> ComparedImages:
    """Tags "base" (5 layers), "a" and "b" (7 layers each, the 5 shared) in `repository`."""
    base_blobs = [L.compress(L.build_tar(members), "gzip") for members in base_layers(scale)]
    a_blobs = [L.compress(L.build_tar(members), "gzip") for members in top_layers("a", scale)]
    b_blobs = [L.compress(L.build_tar(members), "gzip") for members in top_layers("b", scale)]
    base = push_image(host, repository, "base", base_blobs,
                      _config(BASE_STEPS, ["PATH=/usr/bin"], {"org.base": "1"}, ["sh"]))
    a = push_image(host, repository, "a", base_blobs + a_blobs,
                   _config([*BASE_STEPS, "ENV MODE=a", "RUN make a", "COPY a /app"],
                           ["PATH=/usr/bin", "MODE=a", "ONLY_A=1"], {"org.base": "1", "version": "1.0"},
                           ["serve", "--port", "80"]))
    b = push_image(host, repository, "b", base_blobs + b_blobs,
                   _config([*BASE_STEPS, "ENV MODE=b", "RUN make b", "COPY b /app"],
                           ["PATH=/usr/bin", "MODE=b", f"{EVIL}=1"], {"org.base": "1", "version": "2.0",
                                                                       "label": EVIL},
                           ["serve", "--port", "8080"]))
    return ComparedImages(host, repository, base, a, b)
