"""A registry of the tests' own to push into (real distribution processes, like the bed's), and push
helpers over its API (plain httpx, no acrbrowse code), for tests that need content of their own:
referrers, big blobs. The shared bed's content stays exactly as filled: some tests compare its
catalog and tags to what was pushed."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import urllib.parse
from pathlib import Path

import bcrypt
import httpx

from tests.testbed.content import OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, Blob, Manifest, make_image
from tests.testbed.registry import Endpoint, RegistryProcess

USER, PASSWORD = "pusher", "Push-7hQ2vK9xLm4Tz"
_unique = itertools.count()


class ScratchRegistry:
    """Two registries over one storage directory: `anon` (open) and `basic` (htpasswd, USER/PASSWORD)."""

    def __init__(self, workdir: Path) -> None:
        htpasswd = workdir / "htpasswd"
        htpasswd.write_text(f"{USER}:{bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()}\n")
        common = {"rootdir": workdir / "data", "workdir": workdir, "loglevel": "warn"}
        self._processes = [
            RegistryProcess("scratch-anon", **common),
            RegistryProcess("scratch-basic", auth={"htpasswd": {"realm": "scratch", "path": str(htpasswd)}}, **common),
        ]
        self.anon = Endpoint("anon", self._processes[0].host, "anon")
        self.basic = Endpoint("basic", self._processes[1].host, "basic")

    def start(self) -> ScratchRegistry:
        try:
            for process in self._processes:
                process.start()
            for process in self._processes:
                process.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self._processes:
            process.stop()


def scratch_repository(what: str) -> str:
    """A repository no other test (or xdist worker) writes to."""
    return f"scratch/{what}-{os.getpid()}-{next(_unique)}"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(registry: ScratchRegistry, repository: str, data: bytes) -> str:
    digest = sha256(data)
    with httpx.Client(base_url=registry.anon.url, timeout=60) as http:
        started = http.post(f"/v2/{repository}/blobs/uploads/")
        started.raise_for_status()
        location = urllib.parse.urljoin(registry.anon.url + "/", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        http.put(f"{location}{separator}digest={digest}", content=data,
                 headers={"Content-Type": "application/octet-stream"}).raise_for_status()
    return digest


def push_manifest(registry: ScratchRegistry, repository: str, reference: str, manifest: Manifest) -> None:
    """The manifest's blobs, then the manifest under `reference` (a tag or its digest)."""
    for blob in manifest.blobs():
        push_blob(registry, repository, blob.data)
    with httpx.Client(base_url=registry.anon.url, timeout=60) as http:
        http.put(f"/v2/{repository}/manifests/{reference}", content=manifest.raw,
                 headers={"Content-Type": manifest.media_type}).raise_for_status()


def image(seed: str) -> Manifest:
    """A small OCI image whose digest depends on `seed`."""
    layer = Blob.of(OCI_LAYER, f"layer of {seed}".encode() * 10)
    return make_image(OCI_MANIFEST, OCI_CONFIG,
                      f'{{"architecture":"amd64","os":"linux","created":"2024-06-01T00:00:00Z","seed":"{seed}"}}'.encode(),
                      [layer])


def artifact(subject: Manifest, artifact_type: str, payload: bytes) -> Manifest:
    """An OCI 1.1 artifact (empty config, one layer) whose `subject` is `subject`."""
    return make_image(OCI_MANIFEST, OCI_EMPTY, b"{}", [Blob.of(artifact_type, payload)],
                      artifact_type=artifact_type, subject=subject)


def referrers_index(*referrers: Manifest) -> Manifest:
    """The index a client like oras keeps under the referrers tag when a registry has no referrers API."""
    entries = [{**m.descriptor(), "annotations": {"org.opencontainers.image.created": "2024-06-01T00:00:00Z"}}
               for m in referrers]
    raw = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
    return Manifest(OCI_INDEX, sha256(raw), len(raw), raw)


def referrers_tag(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded[:64]}"
