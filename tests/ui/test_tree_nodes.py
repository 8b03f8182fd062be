"""The manifest tree's node classes, built from real manifest models: labels, details, what `v`
shows and what `c`/`C` copy, per kind; fetching children from a Source; hostile strings escaped."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from rich.console import Console, RenderableType

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import MalformedResponse, NotFound, RegistryError
from acrbrowse.oci.manifest import Descriptor, ImageConfig, ImageIndex, ImageManifest, parse_config, parse_manifest
from acrbrowse.present.describe import BlobFacts, IndexTotal, describe_image, index_total
from acrbrowse.present.units import human_size
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.tree.facts import LABEL_WIDTH
from acrbrowse.ui.tree.nodes import (
    ArtifactEntry,
    AttestationEntry,
    AttestationsGroup,
    ConfigItem,
    ErrorLeaf,
    IndexEntry,
    InfoLeaf,
    LayerItem,
    LoadingLeaf,
    PlatformEntry,
    ReferrersGroup,
    RootItem,
    TotalItem,
    TreeItem,
    manifest_children,
)
from tests.oci import content as c
from tests.ui.conftest import SIZE, wait_for

HISTORY = [
    {"created_by": "/bin/sh -c #(nop) ADD file:abc in /", "created": "2024-05-01T11:00:00Z"},
    {"created_by": "ENV A=1", "empty_layer": True},
    {"created_by": "RUN  apt-get\n  install -y curl", "comment": "buildkit.dockerfile.v0"},
]
CONFIG = c.image_config(history=HISTORY)
IMAGE = c.image_manifest(CONFIG, (1000, 2000))
ATTESTATION = c.attestation_manifest(c.sha256(IMAGE))
INDEX = c.index([c.platform_entry(IMAGE, "linux", "amd64"), c.attestation_entry(ATTESTATION, c.sha256(IMAGE))])
DISPLAY = str  # the app's `shown` without display names


def parsed(raw: bytes):
    return parse_manifest(raw, c.sha256(raw))


def fact(label: str, value: str) -> str:
    """A line of a facts grid: every label column is LABEL_WIDTH wide, so values line up."""
    return f"{label.ljust(LABEL_WIDTH)}  {value}"


def plain(renderable: RenderableType) -> str:
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


class Source:
    """A registry in memory: manifests by digest (and tag), configs by digest."""

    def __init__(self, *raws: bytes, configs: tuple[bytes, ...] = (), tags: dict[str, bytes] | None = None,
                 config_error: RegistryError | None = None) -> None:
        self.manifests = {c.sha256(raw): raw for raw in raws} | {tag: raw for tag, raw in (tags or {}).items()}
        self.configs = {c.sha256(raw): raw for raw in configs}
        self.config_error = config_error
        self.asked: list[str] = []

    async def get_manifest(self, repository: str, reference: str):
        self.asked.append(reference)
        if reference not in self.manifests:
            raise NotFound(f"manifest {reference} not found")
        raw = self.manifests[reference]
        return parse_manifest(raw, c.sha256(raw))

    async def manifest_by_digest(self, repository: str, digest: str):
        return await self.get_manifest(repository, digest)

    async def get_config(self, repository: str, config: Descriptor) -> ImageConfig:
        if self.config_error is not None:
            raise self.config_error
        return parse_config(self.configs[config.digest], config.digest)

    async def get_blob(self, repository: str, digest: str, *, max_bytes: int) -> bytes:
        self.asked.append(digest)
        if digest not in self.configs:
            raise NotFound(f"blob {digest} not found")
        return self.configs[digest][:max_bytes]


def image_items() -> tuple[ImageManifest, ImageConfig, list[TreeItem]]:
    image, config = parsed(IMAGE), parse_config(CONFIG, c.sha256(CONFIG))
    assert isinstance(image, ImageManifest)
    return image, config, manifest_children(image, config)


def test_an_index_root_and_its_entries():
    index = parsed(INDEX)
    root = RootItem("latest", "app:latest", index)
    assert root.label().plain == "app:latest  OCI image index · 1 platform"
    assert root.digest == root.manifest_digest == index.digest
    assert root.raw() == (f"manifest {index.digest}", INDEX)
    assert root.expandable and not root.fetched
    details = plain(root.details(DISPLAY))
    assert details.startswith("Manifest") and fact("Platforms", "1") in details and fact("Attestations", "1") in details

    platform, group = manifest_children(index)
    assert isinstance(platform, PlatformEntry) and isinstance(group, AttestationsGroup)
    assert platform.label().plain == f"linux/amd64  {c.sha256(IMAGE)[:19]}"
    assert platform.digest == platform.manifest_digest == c.sha256(IMAGE)
    assert platform.raw() == (f"descriptor {c.sha256(IMAGE)}", json.dumps(index.manifests[0].to_json()))
    assert "Expand it (Enter) to load its config and layers." in plain(platform.details(DISPLAY))

    assert group.label().plain == "attestations (1)" and group.fetched and group.digest is None
    assert group.raw() is None and "not runnable images" in plain(group.details(DISPLAY))
    [attestation] = group.known_children()
    assert isinstance(attestation, AttestationEntry)
    assert attestation.label().plain.startswith("attestation for linux/amd64  ")
    assert attestation.label().style == "" and attestation.label().spans[0].style == "dim"
    details = plain(attestation.details(DISPLAY))
    assert details.startswith("Attestation manifest") and fact("Attests", c.sha256(IMAGE)) in details


def test_an_entry_s_kind_comes_from_its_descriptor():
    nested = c.index([c.platform_entry(IMAGE, "linux", "amd64")])
    index = parsed(c.index([
        c.platform_entry(IMAGE, "linux", "amd64"),
        c.descriptor(mt.OCI_INDEX, c.sha256(nested), len(nested)),
        c.descriptor(mt.OCI_MANIFEST, c.fake_digest(7), 300, artifactType=c.SBOM_TYPE),
        c.descriptor(mt.OCI_MANIFEST, c.fake_digest(8), 300),
        c.attestation_entry(ATTESTATION, c.sha256(IMAGE)),
    ]))
    *entries, group = manifest_children(index)
    assert [type(entry) for entry in entries] == [PlatformEntry, IndexEntry, ArtifactEntry, PlatformEntry]
    assert [type(entry) for entry in group.known_children()] == [AttestationEntry]
    assert [plain(entry.details(DISPLAY)).splitlines()[0] for entry in entries[:3]] == [
        "Platform manifest", "Nested index", "Artifact manifest"]
    assert "Expand it (Enter) to load its entries." in plain(entries[1].details(DISPLAY))


def test_an_image_s_config_layers_and_total():
    image, config, children = image_items()
    assert [type(child) for child in children] == [ConfigItem, LayerItem, LayerItem, TotalItem]
    config_item, first, second, total = children
    assert all(child.manifest_digest == image.digest and not child.expandable for child in children)

    assert config_item.label().plain == f"config  {c.sha256(CONFIG)[:19]}  {human_size(len(CONFIG))}"
    assert config_item.digest == c.sha256(CONFIG)
    assert config_item.raw() == (f"config {c.sha256(CONFIG)}", CONFIG)
    details = plain(config_item.details(DISPLAY))
    assert details.startswith("Image config") and fact("Entrypoint", "/app") in details and fact("History", "3 entries") in details

    assert first.label().plain == f"layer 1  {c.fake_digest(100)[:19]}  1.0 kB"
    assert first.digest == c.fake_digest(100)
    assert first.raw() == (f"descriptor {c.fake_digest(100)}", json.dumps(image.layers[0].to_json()))
    details = plain(first.details(DISPLAY))
    assert details.startswith("Layer 1") and fact("Created", "2024-05-01T11:00:00Z") in details
    assert fact("Created by", "/bin/sh -c #(nop) ADD file:abc in /") in details
    # the history entry that made layer 2 skips the empty one; its whitespace folded, its comment kept
    assert fact("Created by", "RUN apt-get install -y curl  # buildkit.dockerfile.v0") in plain(second.details(DISPLAY))

    assert total.label().plain == "total  2 layers, 3.0 kB"
    assert total.digest is None and total.raw() == (f"manifest {image.digest}", IMAGE)
    details = plain(total.details(DISPLAY))
    assert fact("Compressed", "3,000 bytes (3.0 kB)") in details
    assert fact("With config", f"{3000 + len(CONFIG):,} bytes") in details


def test_the_layers_table_and_the_tree_say_what_the_cli_says():
    image, config, children = image_items()
    facts = describe_image(image, config)
    assert [blob.line.split("  ")[:3] for blob in facts.blobs] == [
        [child.label().plain.split("  ")[0], child.digest, child.label().plain.split("  ")[2]]
        for child in children[:-1]]
    assert children[-1].label().plain == facts.total.line
    root = RootItem("latest", "app:latest", image)
    root.config = config
    table = plain(root.details(DISPLAY))
    assert "Layers and the history lines that made them" in table
    assert "1  1,000  /bin/sh -c #(nop) ADD file:abc in /" in table
    assert "2  2,000  RUN apt-get install -y curl  # buildkit.dockerfile.v0" in table


def test_an_artifact_says_its_type_and_its_config_s():
    raw = c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": c.SBOM_TYPE,
                    "config": c.descriptor(mt.OCI_EMPTY, c.fake_digest(3), 2),
                    "layers": [c.descriptor(c.SBOM_TYPE, c.fake_digest(4), 4200)],
                    "subject": c.descriptor(mt.OCI_MANIFEST, c.fake_digest(9), 3)})
    artifact = parsed(raw)
    root = RootItem(c.sha256(raw), "app@sha256:0123", artifact)
    assert root.label().plain == f"app@sha256:0123  OCI image manifest · artifact {c.SBOM_TYPE}  4.2 kB"
    details = plain(root.details(DISPLAY))
    assert fact("Artifact type", c.SBOM_TYPE) in details and fact("Refers to", c.fake_digest(9)) in details
    config, layer, _ = manifest_children(artifact)
    assert config.label().plain.endswith(f"2 B  {mt.OCI_EMPTY}")
    assert describe_image(artifact).blobs[0].line == f"config  {c.fake_digest(3)}  2 B  {mt.OCI_EMPTY}"  # the CLI's line
    assert isinstance(config, ConfigItem) and plain(config.details(DISPLAY)).startswith("Config")
    assert config.raw() == (f"descriptor {c.fake_digest(3)}", json.dumps(artifact.config.to_json()))
    assert layer.label().plain.endswith(f"4.2 kB  {c.SBOM_TYPE}")


def test_an_untyped_artifact_is_just_an_artifact():
    raw = c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
                    "config": c.descriptor(mt.OCI_EMPTY, c.fake_digest(3), 2), "layers": []})
    assert RootItem("v1", "thing:v1", parsed(raw)).label().plain == "thing:v1  OCI image manifest · artifact  0 B"


def test_legacy_and_unknown_manifests_get_one_line():
    legacy = parsed(c.encode({"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": [{"blobSum": c.fake_digest(1)}]}))
    [line] = manifest_children(legacy)
    assert isinstance(line, InfoLeaf) and line.label().plain == "legacy schema 1 manifest, 1 layers (sizes unknown)"
    assert line.digest is line.manifest_digest is line.raw() is None


async def test_an_entry_fetches_its_manifest_and_config():
    index = parsed(INDEX)
    assert isinstance(index, ImageIndex)
    entry = PlatformEntry(index.manifests[0], index)
    children = await entry.fetch_children(Source(IMAGE, configs=(CONFIG,)), "app")
    assert [type(child) for child in children] == [ConfigItem, LayerItem, LayerItem, TotalItem, ReferrersGroup]
    assert entry.manifest is not None and entry.config is not None and entry.config_error is None
    assert entry.label().plain == f"linux/amd64  {c.sha256(IMAGE)[:19]}  2 layers, 3.0 kB"
    assert entry.raw() == (f"manifest {c.sha256(IMAGE)}", IMAGE)
    assert "RUN apt-get install -y curl" in plain(children[2].details(DISPLAY))


async def test_an_attestation_s_config_is_not_fetched():
    index = parsed(INDEX)
    entry = AttestationEntry(index.manifests[1], index)
    source = Source(ATTESTATION, config_error=RegistryError("must not be asked"))
    children = await entry.fetch_children(source, "app")
    assert entry.config is None and entry.config_error is None
    assert children[-2].label().plain == "total  1 layer, 1.2 kB"
    assert children[1].label().plain.endswith("https://spdx.dev/Document")


async def test_a_root_fetches_by_tag_and_keeps_a_config_error_beside_its_children():
    root = RootItem("v1", "app:v1")
    assert root.digest is None and root.raw() is None and plain(root.details(DISPLAY)).strip() == "Manifest"
    failure = MalformedResponse("config sha256:… is not JSON")
    children = await root.fetch_children(Source(tags={"v1": IMAGE}, config_error=failure), "app")
    assert root.manifest is not None and root.digest == c.sha256(IMAGE)
    assert root.config is None and root.config_error is failure
    assert [type(child) for child in children] == [ConfigItem, LayerItem, LayerItem, TotalItem, ReferrersGroup]


async def test_a_failed_fetch_says_so_and_the_next_expand_retries():
    index = parsed(INDEX)
    entry = PlatformEntry(index.manifests[0], index)
    entry.fetched = True  # as the tree sets it when the fetch starts
    with pytest.raises(NotFound) as caught:
        await entry.fetch_children(Source(), "app")
    entry.failed(caught.value)
    assert not entry.fetched and entry.error is caught.value and entry.manifest is None
    details = plain(entry.details(DISPLAY))
    assert f"manifest {c.sha256(IMAGE)} not found" in details and "Expand it" not in details
    assert entry.raw() == (f"descriptor {c.sha256(IMAGE)}", json.dumps(index.manifests[0].to_json()))
    await entry.fetch_children(Source(IMAGE, configs=(CONFIG,)), "app")
    assert entry.error is None and entry.manifest is not None


def test_leaves():
    error = NotFound("gone")
    leaf = ErrorLeaf("config", error, "gone (shown)")
    assert leaf.label().plain == "config: gone (shown)" and plain(leaf.details(DISPLAY)).strip() == "gone (shown)"
    loading = LoadingLeaf()
    assert loading.label().plain == "loading…"
    info = InfoLeaf("choose a tag (Enter in the tags pane)", detail="choose a tag")
    assert plain(info.details(DISPLAY)).strip() == "choose a tag"
    for item in (leaf, loading, info):
        assert not item.expandable and item.fetched
        assert item.digest is item.manifest_digest is item.raw() is None


HOSTILE = "\x1b]52;c;cHduZWQ=\x07[bold red]x[/]\u202egnp.exe\n"


def test_hostile_strings_stay_escaped_in_labels_and_details():
    layer = c.descriptor(HOSTILE, c.fake_digest(5), 7, annotations={HOSTILE: HOSTILE,
                                                                     mt.IN_TOTO_PREDICATE_ANNOTATION: HOSTILE},
                         urls=[HOSTILE])
    image_raw = c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "artifactType": HOSTILE,
                          "config": c.descriptor(HOSTILE, c.fake_digest(3), 2), "layers": [layer],
                          "annotations": {HOSTILE: HOSTILE}})
    config = c.image_config(history=[{"created_by": HOSTILE, "comment": HOSTILE, "created": HOSTILE}],
                            os=HOSTILE)
    image = parsed(image_raw)
    index = parsed(c.index([{**c.platform_entry(image_raw, HOSTILE, HOSTILE, variant=HOSTILE),
                             "annotations": {HOSTILE: HOSTILE}}]))
    entry = PlatformEntry(index.manifests[0], index)
    entry.manifest, entry.config = image, parse_config(config, c.sha256(config))
    items: list[TreeItem] = [RootItem("v1", HOSTILE, index), entry, *manifest_children(image, entry.config),
                             ErrorLeaf("error", NotFound(HOSTILE), "shown"), InfoLeaf(HOSTILE)]
    for item in items:
        for text in (item.label().plain, plain(item.details(DISPLAY))):
            assert not any(ch in text for ch in "\x1b\x07\u202e"), (type(item), text)
        assert all(span.style in ("", "bold", "dim", "cyan", "green", "yellow", "red", "bold green", "dim cyan",
                                  "dim green", "italic dim") for span in item.label().spans)
    assert "\\x1b]52;c;cHduZWQ=\\x07[bold red]x[/]\\u202egnp.exe\\x0a" in items[0].label().plain
    assert "[bold red]x[/]" in plain(items[1].details(DISPLAY))  # shown as text, never markup


IMAGE_ARM = c.image_manifest(CONFIG, (5000, 2000, 1000))
TWO_PLATFORMS = c.index([c.platform_entry(IMAGE, "linux", "amd64"), c.platform_entry(IMAGE_ARM, "linux", "arm64"),
                         c.attestation_entry(ATTESTATION, c.sha256(IMAGE))])


async def test_an_index_root_fetches_its_platforms_at_once_and_adds_them_up():
    """Defect 5: sizes while collapsed; the index's sum (attestations apart) and largest platform."""
    source = Source(IMAGE, IMAGE_ARM, ATTESTATION, configs=(CONFIG,), tags={"latest": TWO_PLATFORMS})
    root = RootItem("latest", "app:latest")
    amd64, arm64, group, _referrers = await root.fetch_children(source, "app")
    assert amd64.label().plain == f"linux/amd64  {c.sha256(IMAGE)[:19]}  2 layers, 3.0 kB"
    assert arm64.label().plain == f"linux/arm64  {c.sha256(IMAGE_ARM)[:19]}  3 layers, 8.0 kB"
    assert not amd64.fetched and amd64.config is None  # still collapsed: its config comes on expand
    assert c.sha256(CONFIG) not in source.asked and c.sha256(ATTESTATION) not in source.asked
    details = plain(root.details(DISPLAY))
    assert fact("All platforms", "11,000 bytes (11.0 kB)  compressed") in details
    assert fact("Largest", "linux/arm64  8.0 kB") in details

    asked = len(source.asked)
    await amd64.fetch_children(source, "app")  # expanding: the config, not the manifest again
    assert source.asked[asked:] == [] and amd64.config is not None


async def test_an_index_whose_platform_failed_says_how_much_is_known():
    source = Source(IMAGE, tags={"latest": TWO_PLATFORMS})  # the arm64 manifest is missing
    root = RootItem("latest", "app:latest")
    amd64, arm64, _, _referrers = await root.fetch_children(source, "app")
    assert arm64.manifest is None and not arm64.fetched  # expanding it tries again and says why
    assert fact("All platforms", "3,000 bytes (3.0 kB)  compressed, 1 of 2 known") in plain(root.details(DISPLAY))


async def test_v_fetches_what_is_not_here_yet():
    """Defect 8: an unexpanded platform's manifest; a Helm config (any small config), or that it is binary."""
    index = parsed(INDEX)
    entry = PlatformEntry(index.manifests[0], index)
    assert await entry.fetch_raw(Source(IMAGE), "app") == (f"manifest {c.sha256(IMAGE)}", IMAGE)
    assert entry.manifest is None  # not kept: the tree's expand fetches it

    helm_config = b'{"name":"mychart","version":"0.1.0"}'
    binary = bytes(range(256))
    chart = parsed(c.encode({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
                             "config": c.descriptor(c.HELM_CONFIG, c.sha256(helm_config), len(helm_config)),
                             "layers": [c.descriptor(c.HELM_LAYER, c.sha256(binary), len(binary))]}))
    config, *_ = manifest_children(chart)
    assert isinstance(config, ConfigItem) and config.config is None
    source = Source(configs=(helm_config, binary))
    assert await config.fetch_raw(source, "charts/mychart") == (f"config {c.sha256(helm_config)}",
                                                                helm_config.decode())
    odd = ConfigItem(BlobFacts("config", Descriptor.from_json(c.descriptor("x/y", c.sha256(binary), 256))),
                     chart, None)
    title, text = await odd.fetch_raw(source, "charts/mychart")
    assert title == f"config {c.sha256(binary)}" and "256 bytes of binary data" in str(text)


def test_each_fact_sits_under_its_own_heading_and_values_line_up():
    """Defect 16: one label width in every grid; an attestation's Layers line is not under
    "Descriptor annotations"."""
    index = parsed(INDEX)
    attestation = AttestationEntry(index.manifests[1], index)
    attestation.manifest = parsed(ATTESTATION)
    lines = plain(attestation.details(DISPLAY)).splitlines()
    heading = lines.index("Descriptor annotations")
    layers = fact("Layers", "1, ")
    assert any(line.startswith(layers) for line in lines[:heading])
    assert not any(line.startswith(layers) for line in lines[heading:])
    image, config, children = image_items()
    root = RootItem("v1", "app:v1", image)
    root.config = config
    for item in (root, attestation, *children):
        for line in plain(item.details(DISPLAY)).splitlines():
            label = line[:LABEL_WIDTH].strip()
            if label in ("Digest", "Media type", "Size", "Layers", "Created", "Compressed", "Created by"):
                assert line[LABEL_WIDTH:LABEL_WIDTH + 2] == "  " and line[LABEL_WIDTH + 2] != " ", (type(item), line)


def test_index_total():
    assert index_total([]) == IndexTotal(0, 0, 0, None)
    image, arm = parsed(IMAGE), parsed(IMAGE_ARM)
    assert isinstance(image, ImageManifest) and isinstance(arm, ImageManifest)
    total = index_total([("linux/amd64", image), ("linux/arm64", arm), ("windows/amd64", None)])
    assert total == IndexTotal(3, 2, 11_000, ("linux/arm64", 8_000)) and not total.complete


# ---- the tree with them, on the real test bed ------------------------------------------------


@pytest.mark.ui
async def test_a_new_tag_cancels_the_old_one_s_load(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        source = app.source(testbed.anon.host)
        fetch, asked, cancelled = source.get_manifest, asyncio.Event(), asyncio.Event()

        async def slow_latest(repository, reference):
            if reference == "latest":
                asked.set()
                try:
                    await asyncio.Event().wait()  # an answer that would come too late
                except asyncio.CancelledError:
                    cancelled.set()
                    raise
            return await fetch(repository, reference)

        source.get_manifest = slow_latest
        tree = screen.manifest_tree
        tree.show("aspnetapp", "latest")
        first = tree.root.data
        assert isinstance(first, RootItem) and isinstance(tree.root.children[0].data, LoadingLeaf)
        await wait_for(pilot, asked.is_set, what="the registry asked for latest")
        tree.show("aspnetapp", "8.0-amd64")
        await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="8.0-amd64")
        await wait_for(pilot, cancelled.is_set, what="the first load cancelled")
        assert tree.root.data.title == "aspnetapp:8.0-amd64" and first.manifest is None
        assert [type(node.data) for node in tree.root.children] == [ConfigItem, *[LayerItem] * 7, TotalItem,
                                                                      ReferrersGroup]


@pytest.mark.ui
async def test_a_root_whose_config_fails_lists_its_layers_and_says_why(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)

        async def no_config(repository, config):
            raise MalformedResponse(f"config {config.digest[:19]}… is not JSON")

        app.source(testbed.anon.host).get_config = no_config
        tree = screen.manifest_tree
        tree.show("aspnetapp", "8.0-amd64")
        await wait_for(pilot, lambda: isinstance(tree.root.children[-1].data, ErrorLeaf), what="the config's error")
        *parts, error = tree.root.children
        assert [type(node.data) for node in parts] == [ConfigItem, *[LayerItem] * 7, TotalItem, ReferrersGroup]
        assert str(error.label).startswith("config: config sha256:") and "is not JSON" in str(error.label)
        assert plain(parts[0].data.details(str)).startswith("Config")  # no image config to describe
