"""Deterministic registry content for the test bed.

Everything here is computed from fixed seeds and fixed timestamps, so two runs
produce byte-identical blobs and manifests (and therefore identical digests).
That lets a standing test bed reuse an already-filled storage directory and
still describe its content exactly.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

# Media types -----------------------------------------------------------------
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
IN_TOTO = "application/vnd.in-toto+json"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
SPDX_JSON = "application/spdx+json"

FOREIGN_LAYER_URL = (
    "https://mcr.microsoft.com/v2/windows/nanoserver/blobs/"
)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    """A config or layer blob. ``data`` is empty for foreign layers (not in the registry)."""

    media_type: str
    digest: str
    size: int
    data: bytes = field(repr=False, default=b"")
    urls: tuple[str, ...] = ()
    annotations: dict[str, str] | None = field(default=None, compare=False, hash=False)

    @property
    def foreign(self) -> bool:
        return bool(self.urls)

    def descriptor(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if self.urls:
            d["urls"] = list(self.urls)
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        return d

    @staticmethod
    def of(media_type: str, data: bytes, annotations: dict[str, str] | None = None) -> Blob:
        return Blob(media_type, sha256(data), len(data), data, annotations=annotations)


@dataclass(frozen=True)
class Manifest:
    """One manifest exactly as pushed.

    ``raw`` are the exact bytes pushed (the digest is over them). For an image,
    ``config``/``layers`` are set; for an index/list, ``manifests`` holds the
    children in index order. ``platform`` is the platform this manifest has in
    its parent index (None when it is not a child of an index).
    """

    media_type: str
    digest: str
    size: int
    raw: bytes = field(repr=False)
    config: Blob | None = None
    layers: tuple[Blob, ...] = ()
    manifests: tuple[Manifest, ...] = ()
    platform: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    annotations: dict[str, str] | None = field(default=None, compare=False, hash=False)
    artifact_type: str | None = None
    subject: str | None = None  # digest of the subject manifest

    @property
    def is_index(self) -> bool:
        return self.media_type in (DOCKER_MANIFEST_LIST, OCI_INDEX)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.raw)

    @property
    def config_json(self) -> dict[str, Any] | None:
        if self.config is None or not self.config.data:
            return None
        return json.loads(self.config.data)

    @property
    def layers_size(self) -> int:
        """Sum of the layer sizes (foreign layers included)."""
        return sum(b.size for b in self.layers)

    @property
    def total_size(self) -> int:
        """Config + layers (what `docker manifest inspect`-style tools call image size)."""
        return (self.config.size if self.config else 0) + self.layers_size

    @property
    def platform_str(self) -> str | None:
        p = self.platform
        if not p:
            return None
        s = f"{p['os']}/{p['architecture']}"
        if p.get("variant"):
            s += "/" + p["variant"]
        return s

    def descriptor(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "size": self.size, "digest": self.digest}
        if self.platform is not None:
            d["platform"] = dict(self.platform)
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        if self.artifact_type:
            d["artifactType"] = self.artifact_type
        return d

    def blobs(self) -> list[Blob]:
        """Blobs this manifest (not its children) needs uploaded to the registry."""
        out = []
        if self.config is not None:
            out.append(self.config)
        out.extend(b for b in self.layers if not b.foreign)
        return out


@dataclass
class RepoPlan:
    """How to push one repository: blobs, then manifests by digest (children first), then tags."""

    name: str
    blobs: list[Blob] = field(default_factory=list)
    # (manifest, reference) in push order; reference is a tag or the digest.
    manifests: list[tuple[Manifest, str]] = field(default_factory=list)
    mount_from: str | None = None  # blobs may be cross-repo mounted from this repo


@dataclass
class Content:
    """Everything the test bed pushes, with exact digests and sizes.

    Field meanings:

    * ``aspnetapp`` – the Docker manifest list tagged ``latest`` and ``8.0``.
    * ``aspnetapp_platforms`` – its four children keyed ``linux/amd64``,
      ``linux/arm64/v8``, ``linux/arm/v7``, ``windows/amd64`` (Docker schema 2
      images; ``linux/amd64`` has exactly 7 layers; it is also tagged ``8.0-amd64``).
    * ``aspnetapp_foreign_layer`` – the windows image's foreign layer (URLs set,
      no bytes in the registry), or None when foreign layers are disabled.
    * ``sbom`` – OCI image manifest with ``artifactType`` and ``subject`` (the
      aspnetapp amd64 image), tagged ``aspnetapp:sbom``.
    * ``buildkit`` – OCI image index ``buildkit/app:latest``; ``buildkit_images``
      its two platform images keyed ``linux/amd64``/``linux/arm64``;
      ``buildkit_attestations`` the attestation manifests keyed by the platform
      of the image they attest.
    * ``nightly`` – single OCI image ``dotnet/nightly/aspnet:9.0-preview``.
    * ``chart`` – Helm chart ``charts/mychart:0.1.0``.
    * ``manytags`` – tag → digest for the 2,100 tags of ``manytags``;
      ``manytags_images`` the 5 small images they point at.
    * ``bulk`` – repo name → image for ``bulk/repo-000`` … ``bulk/repo-159`` (tag ``v1``).
    * ``public_hello`` – ``public/hello:latest``.
    * ``tags`` – repo → {tag: digest} for every repository.
    * ``repositories`` – sorted list of every repository name (the catalog).
    * ``manifests`` – digest → Manifest for everything pushed.
    * ``blobs`` – digest → Blob for every blob pushed.
    """

    aspnetapp: Manifest
    aspnetapp_platforms: dict[str, Manifest]
    aspnetapp_foreign_layer: Blob | None
    sbom: Manifest
    buildkit: Manifest
    buildkit_images: dict[str, Manifest]
    buildkit_attestations: dict[str, Manifest]
    nightly: Manifest
    chart: Manifest
    manytags: dict[str, str]
    manytags_images: list[Manifest]
    bulk: dict[str, Manifest]
    public_hello: Manifest
    tags: dict[str, dict[str, str]]
    repositories: list[str]
    manifests: dict[str, Manifest]
    blobs: dict[str, Blob]
    plan: list[RepoPlan] = field(repr=False, default_factory=list)

    @property
    def aspnetapp_amd64(self) -> Manifest:
        return self.aspnetapp_platforms["linux/amd64"]

    @property
    def fingerprint(self) -> str:
        """Hash over every repo/tag/digest; identifies a fill in a reused storage dir."""
        return sha256(json.dumps(self.tags, sort_keys=True).encode())


# Builders --------------------------------------------------------------------


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_sizes: set[int] = set()

    def size(self, lo: int, hi: int) -> int:
        while True:
            s = self.rng.randint(lo, hi)
            if s not in self.used_sizes:
                self.used_sizes.add(s)
                return s

    def data(self, n: int) -> bytes:
        return self.rng.randbytes(n)

    def layer(self, media_type: str, lo: int, hi: int) -> Blob:
        return Blob.of(media_type, self.data(self.size(lo, hi)))


def _dumps(obj: Any, indent: int | None) -> bytes:
    if indent is None:
        return json.dumps(obj, separators=(",", ":")).encode()
    return json.dumps(obj, indent=indent).encode()


def _diff_id(layer: Blob) -> str:
    # Layers are random bytes, not real gzip; fake a distinct "uncompressed" digest.
    return sha256(b"uncompressed:" + layer.digest.encode())


def image_config(
    *,
    os: str,
    arch: str,
    variant: str | None,
    created: str,
    layers: list[Blob],
    history: list[tuple[str, bool]],
    env: list[str],
    entrypoint: list[str] | None,
    cmd: list[str] | None,
    labels: dict[str, str],
    workdir: str = "",
    user: str = "",
    exposed: list[str] | None = None,
    os_version: str | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    non_empty = [h for h in history if not h[1]]
    assert len(non_empty) == len(layers), (len(non_empty), len(layers))
    cfg: dict[str, Any] = {
        "architecture": arch,
        "os": os,
    }
    if variant:
        cfg["variant"] = variant
    if os_version:
        cfg["os.version"] = os_version
    c: dict[str, Any] = {"Env": env}
    if user:
        c["User"] = user
    if exposed:
        c["ExposedPorts"] = {p: {} for p in exposed}
    if entrypoint is not None:
        c["Entrypoint"] = entrypoint
    if cmd is not None:
        c["Cmd"] = cmd
    c["WorkingDir"] = workdir
    c["Labels"] = labels
    cfg["config"] = c
    cfg["created"] = created
    hist = []
    # spread history timestamps: base layers older than app layers
    for i, (created_by, empty) in enumerate(history):
        entry: dict[str, Any] = {
            "created": created if i >= len(history) - 3 else f"2024-01-02T03:04:05.{i * 1111:06d}Z",
            "created_by": created_by,
        }
        if i >= 2:
            entry["comment"] = "buildkit.dockerfile.v0"
        if empty:
            entry["empty_layer"] = True
        hist.append(entry)
    cfg["history"] = hist
    cfg["rootfs"] = {"type": "layers", "diff_ids": [_diff_id(b) for b in layers]}
    if extra:
        cfg.update(extra)
    return _dumps(cfg, None)


def make_image(
    media_type: str,
    config_media_type: str,
    config_data: bytes,
    layers: list[Blob],
    *,
    platform: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    artifact_type: str | None = None,
    subject: Manifest | None = None,
    indent: int | None = None,
    index_annotations: dict[str, str] | None = None,
) -> Manifest:
    config = Blob.of(config_media_type, config_data)
    body: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type}
    if artifact_type:
        body["artifactType"] = artifact_type
    body["config"] = config.descriptor()
    body["layers"] = [b.descriptor() for b in layers]
    if subject is not None:
        body["subject"] = {"mediaType": subject.media_type, "size": subject.size, "digest": subject.digest}
    if annotations:
        body["annotations"] = annotations
    raw = _dumps(body, indent)
    return Manifest(
        media_type=media_type,
        digest=sha256(raw),
        size=len(raw),
        raw=raw,
        config=config,
        layers=tuple(layers),
        platform=platform,
        annotations=index_annotations,
        artifact_type=artifact_type,
        subject=subject.digest if subject else None,
    )


def make_index(media_type: str, children: list[Manifest], *, indent: int | None = None,
               annotations: dict[str, str] | None = None) -> Manifest:
    body: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [c.descriptor() for c in children],
    }
    if annotations:
        body["annotations"] = annotations
    raw = _dumps(body, indent)
    return Manifest(media_type=media_type, digest=sha256(raw), size=len(raw), raw=raw,
                    manifests=tuple(children))


# The actual content ----------------------------------------------------------

ASPNET_CREATED = "2024-01-09T22:14:05.123456789Z"

_ASPNET_LINUX_HISTORY = [
    ("/bin/sh -c #(nop) ADD file:2fdb0e3b3e4c9f1f3a9c0b0c7f0ab7b6f3c6a6fb3d7f2dfc3e5e1c4f6b7a8c9d in / ", False),
    ('/bin/sh -c #(nop)  CMD ["bash"]', True),
    ("ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true", True),
    ("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates "
     "libc6 libgcc-s1 libicu72 libssl3 libstdc++6 tzdata zlib1g && rm -rf /var/lib/apt/lists/* # buildkit", False),
    ("RUN /bin/sh -c groupadd --gid=$APP_UID app && useradd -l --uid=$APP_UID --gid=$APP_UID "
     "--create-home app # buildkit", False),
    ("ENV DOTNET_VERSION=8.0.1", True),
    ("COPY /dotnet /usr/share/dotnet # buildkit", False),
    ("RUN /bin/sh -c ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet # buildkit", False),
    ("ENV ASPNET_VERSION=8.0.1", True),
    ("COPY /shared/Microsoft.AspNetCore.App /usr/share/dotnet/shared/Microsoft.AspNetCore.App # buildkit", False),
    ("WORKDIR /app", True),
    ("EXPOSE map[8080/tcp:{}]", True),
    ("USER $APP_UID", True),
    ("COPY /app . # buildkit", False),
    ('ENTRYPOINT ["./aspnetapp"]', True),
]

_ASPNET_WINDOWS_HISTORY = [
    ("Apply image 10.0.17763.5329", False),
    ('cmd /S /C #(nop)  USER ContainerUser', True),
    ("ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true", True),
    ("COPY /dotnet /Program Files/dotnet # buildkit", False),
    ('RUN cmd /S /C setx /M PATH "%PATH%;C:\\Program Files\\dotnet" # buildkit', False),
    ("WORKDIR /app", True),
    ("COPY /app . # buildkit", False),
    ('ENTRYPOINT ["aspnetapp"]', True),
]

ASPNET_LABELS = {
    "org.opencontainers.image.source": "https://github.com/dotnet/dotnet-docker",
    "org.opencontainers.image.description": "ASP.NET Core sample app",
    "com.microsoft.product": "Microsoft .NET",
}

ASPNET_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "APP_UID=1654",
    "ASPNETCORE_HTTP_PORTS=8080",
    "DOTNET_RUNNING_IN_CONTAINER=true",
    "DOTNET_VERSION=8.0.1",
    "ASPNET_VERSION=8.0.1",
]

WINDOWS_OS_VERSION = "10.0.17763.5329"


def _small_image(g: _Gen, *, media_type: str, created: str, nlayers: int, labels: dict[str, str],
                 lo: int = 1024, hi: int = 4096, cmd: list[str] | None = None,
                 platform: dict[str, Any] | None = None, arch: str = "amd64") -> Manifest:
    oci = media_type == OCI_MANIFEST
    layer_mt = OCI_LAYER if oci else DOCKER_LAYER
    layers = [g.layer(layer_mt, lo, hi) for _ in range(nlayers)]
    history = [("ADD rootfs.tar.gz / # buildkit", False)] + [
        (f"COPY part{i} /opt/part{i} # buildkit", False) for i in range(1, nlayers)
    ] + [(f"CMD {json.dumps(cmd or ['/hello'])}", True)]
    cfg = image_config(os="linux", arch=arch, variant=None, created=created, layers=layers, history=history,
                       env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       entrypoint=None, cmd=cmd or ["/hello"], labels=labels, workdir="/")
    return make_image(media_type, OCI_CONFIG if oci else DOCKER_CONFIG, cfg, layers,
                      platform=platform, indent=None if oci else 3)


def build_content(*, foreign_layers: bool = True, manytags: int = 2100, bulk: int = 160) -> Content:
    g = _Gen(20240109)
    manifests: dict[str, Manifest] = {}
    blobs: dict[str, Blob] = {}
    tags: dict[str, dict[str, str]] = {}
    plan: list[RepoPlan] = []

    def add_plan(rp: RepoPlan) -> None:
        plan.append(rp)
        for m, ref in rp.manifests:
            manifests.setdefault(m.digest, m)
            if not ref.startswith("sha256:"):
                tags.setdefault(rp.name, {})[ref] = m.digest
            tags.setdefault(rp.name, {})
        for b in rp.blobs:
            blobs.setdefault(b.digest, b)

    # --- aspnetapp: Docker manifest list with 4 platforms ----------------------
    platforms: dict[str, Manifest] = {}
    linux_specs = [
        ({"architecture": "amd64", "os": "linux"}, "amd64", None),
        ({"architecture": "arm64", "os": "linux", "variant": "v8"}, "arm64", "v8"),
        ({"architecture": "arm", "os": "linux", "variant": "v7"}, "arm", "v7"),
    ]
    # layer size ranges, in history order: rootfs big, apt medium, useradd tiny, dotnet big, ln tiny,
    # aspnet medium-big, app small.
    ranges = [(200_000, 300_000), (60_000, 120_000), (1_024, 4_000), (120_000, 200_000),
              (1_024, 2_000), (50_000, 110_000), (8_000, 30_000)]
    for plat, arch, variant in linux_specs:
        layers = [g.layer(DOCKER_LAYER, lo, hi) for lo, hi in ranges]
        cfg = image_config(os="linux", arch=arch, variant=variant, created=ASPNET_CREATED, layers=layers,
                           history=_ASPNET_LINUX_HISTORY, env=ASPNET_ENV, entrypoint=["./aspnetapp"], cmd=None,
                           labels=ASPNET_LABELS, workdir="/app", user="1654", exposed=["8080/tcp"])
        m = make_image(DOCKER_MANIFEST, DOCKER_CONFIG, cfg, layers, platform=plat, indent=3)
        platforms[m.platform_str] = m
    win_layers: list[Blob] = []
    foreign: Blob | None = None
    if foreign_layers:
        fdata = g.data(g.size(250_000, 300_000))  # only its digest/size is used; bytes never uploaded
        fdigest = sha256(fdata)
        foreign = Blob(DOCKER_FOREIGN_LAYER, fdigest, len(fdata), b"",
                       urls=(FOREIGN_LAYER_URL + fdigest,))
        win_layers.append(foreign)
        win_history = _ASPNET_WINDOWS_HISTORY
    else:
        win_layers.append(g.layer(DOCKER_LAYER, 250_000, 300_000))
        win_history = _ASPNET_WINDOWS_HISTORY
    win_layers += [g.layer(DOCKER_LAYER, lo, hi) for lo, hi in [(120_000, 200_000), (1_024, 3_000), (8_000, 30_000)]]
    win_plat = {"architecture": "amd64", "os": "windows", "os.version": WINDOWS_OS_VERSION,
                "os.features": ["win32k"]}
    cfg = image_config(os="windows", arch="amd64", variant=None, created=ASPNET_CREATED, layers=win_layers,
                       history=win_history, env=["APP_UID=1654", "ASPNETCORE_HTTP_PORTS=8080",
                                                 "DOTNET_RUNNING_IN_CONTAINER=true"],
                       entrypoint=["aspnetapp"], cmd=None, labels=ASPNET_LABELS, workdir="C:\\app",
                       user="ContainerUser", exposed=["8080/tcp"], os_version=WINDOWS_OS_VERSION)
    win = make_image(DOCKER_MANIFEST, DOCKER_CONFIG, cfg, win_layers, platform=win_plat, indent=3)
    platforms["windows/amd64"] = win
    aspnet_list = make_index(DOCKER_MANIFEST_LIST, list(platforms.values()), indent=3)
    amd64 = platforms["linux/amd64"]

    # SBOM artifact referring to the amd64 image (OCI 1.1 image-manifest form).
    sbom_doc = json.dumps({
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "aspnetapp", "documentNamespace": "https://example.invalid/spdx/aspnetapp",
        "creationInfo": {"created": "2024-01-09T22:15:00Z", "creators": ["Tool: acrbrowse-testbed"]},
        "packages": [{"SPDXID": "SPDXRef-dotnet", "name": "dotnet-runtime", "versionInfo": "8.0.1"}],
    }, indent=2).encode()
    sbom_layer = Blob.of(SPDX_JSON, sbom_doc, annotations={"org.opencontainers.image.title": "sbom.spdx.json"})
    sbom = make_image(OCI_MANIFEST, OCI_EMPTY, b"{}", [sbom_layer], artifact_type=SPDX_JSON, subject=amd64,
                      annotations={"org.opencontainers.image.created": "2024-01-09T22:15:00Z"})

    rp = RepoPlan("aspnetapp")
    for m in platforms.values():
        rp.blobs += m.blobs()
    rp.blobs += sbom.blobs()
    for m in platforms.values():
        rp.manifests.append((m, m.digest))
    rp.manifests += [(aspnet_list, "latest"), (aspnet_list, "8.0"), (amd64, "8.0-amd64"), (sbom, "sbom")]
    add_plan(rp)

    # --- buildkit/app: OCI index with attestations -----------------------------
    bk_images: dict[str, Manifest] = {}
    bk_att: dict[str, Manifest] = {}
    bk_children: list[Manifest] = []
    for arch in ("amd64", "arm64"):
        plat = {"architecture": arch, "os": "linux"}
        layers = [g.layer(OCI_LAYER, 2_000, 60_000) for _ in range(3)]
        history = [("ADD alpine-minirootfs.tar.gz / # buildkit", False),
                   ('CMD ["/bin/sh"]', True),
                   ("RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit", False),
                   ("WORKDIR /srv", True),
                   ("COPY app /srv/app # buildkit", False),
                   ('ENTRYPOINT ["/srv/app"]', True)]
        cfg = image_config(os="linux", arch=arch, variant=None, created="2024-03-01T10:00:00Z", layers=layers,
                           history=history, env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                           entrypoint=["/srv/app"], cmd=None, labels={"org.opencontainers.image.title": "app"},
                           workdir="/srv")
        img = make_image(OCI_MANIFEST, OCI_CONFIG, cfg, layers, platform=plat)
        bk_images[f"linux/{arch}"] = img
    for key, img in bk_images.items():
        spdx = json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
                           "predicateType": "https://spdx.dev/Document",
                           "subject": [{"name": "pkg:docker/buildkit/app@latest", "digest": {"sha256": img.digest[7:]}}],
                           "predicate": {"spdxVersion": "SPDX-2.3", "name": "sbom"}}).encode()
        prov = json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
                           "predicateType": "https://slsa.dev/provenance/v0.2",
                           "subject": [{"name": "pkg:docker/buildkit/app@latest", "digest": {"sha256": img.digest[7:]}}],
                           "predicate": {"builder": {"id": ""}, "buildType": "https://mobyproject.org/buildkit@v1"}}).encode()
        att_layers = [
            Blob.of(IN_TOTO, spdx, annotations={"in-toto.io/predicate-type": "https://spdx.dev/Document"}),
            Blob.of(IN_TOTO, prov, annotations={"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}),
        ]
        att_cfg = json.dumps({"architecture": "unknown", "os": "unknown", "config": {},
                              "rootfs": {"type": "layers", "diff_ids": [b.digest for b in att_layers]}}).encode()
        att = make_image(OCI_MANIFEST, OCI_CONFIG, att_cfg, att_layers,
                         platform={"architecture": "unknown", "os": "unknown"},
                         index_annotations={"vnd.docker.reference.digest": img.digest,
                                            "vnd.docker.reference.type": "attestation-manifest"})
        bk_att[key] = att
    bk_children = list(bk_images.values()) + list(bk_att.values())
    bk_index = make_index(OCI_INDEX, bk_children)
    rp = RepoPlan("buildkit/app")
    for m in bk_children:
        rp.blobs += m.blobs()
        rp.manifests.append((m, m.digest))
    rp.manifests.append((bk_index, "latest"))
    add_plan(rp)

    # --- dotnet/nightly/aspnet:9.0-preview: single OCI image ------------------
    layers = [g.layer(OCI_LAYER, 5_000, 150_000) for _ in range(4)]
    history = [("ADD file:aa in / ", False), ('CMD ["bash"]', True),
               ("RUN apt-get install -y libicu72 # buildkit", False),
               ("COPY /dotnet /usr/share/dotnet # buildkit", False),
               ("ENV ASPNET_VERSION=9.0.0-preview.1", True),
               ("COPY /shared /usr/share/dotnet/shared # buildkit", False)]
    cfg = image_config(os="linux", arch="amd64", variant=None, created="2024-02-13T08:00:00Z", layers=layers,
                       history=history, env=ASPNET_ENV[:4] + ["ASPNET_VERSION=9.0.0-preview.1"],
                       entrypoint=None, cmd=["bash"], labels={}, workdir="")
    nightly = make_image(OCI_MANIFEST, OCI_CONFIG, cfg, layers,
                         annotations={"org.opencontainers.image.version": "9.0.0-preview.1",
                                      "org.opencontainers.image.created": "2024-02-13T08:00:00Z"})
    add_plan(RepoPlan("dotnet/nightly/aspnet", nightly.blobs(), [(nightly, "9.0-preview")]))

    # --- charts/mychart:0.1.0: Helm chart -------------------------------------
    chart_cfg = json.dumps({"name": "mychart", "version": "0.1.0", "description": "A Helm chart for Kubernetes",
                            "apiVersion": "v2", "appVersion": "1.16.0", "type": "application"}).encode()
    chart_layer = Blob.of(HELM_CHART, g.data(g.size(3_000, 6_000)))
    chart = make_image(OCI_MANIFEST, HELM_CONFIG, chart_cfg, [chart_layer],
                       annotations={"org.opencontainers.image.created": "2024-01-20T12:00:00Z",
                                    "org.opencontainers.image.title": "mychart",
                                    "org.opencontainers.image.version": "0.1.0"})
    add_plan(RepoPlan("charts/mychart", chart.blobs(), [(chart, "0.1.0")]))

    # --- public/hello:latest --------------------------------------------------
    hello = _small_image(g, media_type=DOCKER_MANIFEST, created="2023-05-04T17:37:03.872958712Z", nlayers=2,
                         labels={"org.opencontainers.image.title": "hello"}, cmd=["/hello"])
    add_plan(RepoPlan("public/hello", hello.blobs(), [(hello, "latest")]))

    # --- manytags: 2,100 tags over 5 small images -----------------------------
    mt_images = [
        _small_image(g, media_type=DOCKER_MANIFEST, created=f"2023-0{i + 1}-15T12:00:00Z", nlayers=1 + i % 2,
                     labels={"build": str(i)})
        for i in range(5)
    ]
    mt_tags: list[str] = []
    nsemver = min(1000, manytags)
    for i in range(nsemver):
        mt_tags.append(f"1.{i // 25}.{i % 25}")
    for i in range(manytags - nsemver):
        mt_tags.append(f"build-{i + 1:04d}")
    manytag_map = {t: mt_images[i % len(mt_images)].digest for i, t in enumerate(mt_tags)}
    rp = RepoPlan("manytags")
    for m in mt_images:
        rp.blobs += m.blobs()
        rp.manifests.append((m, m.digest))
    by_digest = {m.digest: m for m in mt_images}
    rp.manifests += [(by_digest[d], t) for t, d in manytag_map.items()]
    add_plan(rp)

    # --- bulk/repo-NNN: many repos, shared layer, per-repo config -------------
    shared_layer = Blob.of(DOCKER_LAYER, g.data(2_345))
    bulk_map: dict[str, Manifest] = {}
    for i in range(bulk):
        name = f"bulk/repo-{i:03d}"
        cfg = image_config(os="linux", arch="amd64", variant=None, created="2023-11-11T11:11:11Z",
                           layers=[shared_layer], history=[("ADD rootfs / # buildkit", False)],
                           env=[], entrypoint=None, cmd=["/bin/true"],
                           labels={"org.opencontainers.image.title": name}, workdir="/")
        m = make_image(DOCKER_MANIFEST, DOCKER_CONFIG, cfg, [shared_layer], indent=3)
        bulk_map[name] = m
        add_plan(RepoPlan(name, m.blobs(), [(m, "v1")], mount_from="bulk/repo-000" if i else None))

    return Content(
        aspnetapp=aspnet_list,
        aspnetapp_platforms=platforms,
        aspnetapp_foreign_layer=foreign,
        sbom=sbom,
        buildkit=bk_index,
        buildkit_images=bk_images,
        buildkit_attestations=bk_att,
        nightly=nightly,
        chart=chart,
        manytags=manytag_map,
        manytags_images=mt_images,
        bulk=bulk_map,
        public_hello=hello,
        tags=tags,
        repositories=sorted(tags),
        manifests=manifests,
        blobs=blobs,
        plan=plan,
    )
