"""Source: what the CLI and the UI talk to. A RegistryClient is one (mypy checks the typed
assignments below, run by the last test here); tag metadata is an optional capability; every
scope string comes from name.scope."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import acrbrowse
from acrbrowse.oci.manifest import ImageIndex
from acrbrowse.oci.name import CATALOG_SCOPE, parse_reference, scope
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.source import Source, TagMetadata, TagMetadataSource
from acrbrowse.oci.walk import walk


async def test_a_registry_client_is_a_source():
    async with RegistryClient("localhost:5000") as client:
        source: Source = client  # the check that matters is mypy's
        assert isinstance(source, Source)
        assert not isinstance(client, TagMetadataSource)  # plain OCI lists bare tag names


async def test_walk_reads_a_registry_as_a_source(testbed):
    async with RegistryClient(testbed.anon.host) as client:
        source: Source = client
        tree = await walk(source, parse_reference(f"{testbed.anon.host}/buildkit/app:latest"))
    assert isinstance(tree.root, ImageIndex) and tree.root.digest == testbed.content.buildkit.digest
    assert not tree.errors and all(node.manifest is not None for node in tree.nodes)


async def test_a_source_reads_referrers_and_streams_blobs(testbed):
    sbom = testbed.content.sbom
    async with RegistryClient(testbed.anon.host) as client:
        source: Source = client
        # distribution 2.8 has no referrers API and nobody wrote the referrers tag for the bed's SBOM
        assert await source.referrers("aspnetapp", testbed.content.aspnetapp_amd64.digest) == []
        layer = sbom.layers[0]
        assert b"".join([chunk async for chunk in source.blob_stream("aspnetapp", layer.digest)]) == layer.data


class AcrLike:
    """The shape oci/remote/acr.py will have: tags with times and sizes, a page at a time."""

    async def tag_metadata_pages(self, repository: str) -> AsyncIterator[list[TagMetadata]]:
        yield [TagMetadata("v1", digest="sha256:" + "0" * 64, created=datetime(2024, 1, 1, tzinfo=UTC), size=1234)]
        yield [TagMetadata("v2")]


async def test_tag_metadata_is_an_optional_capability():
    source: TagMetadataSource = AcrLike()
    assert isinstance(source, TagMetadataSource)
    pages = [page async for page in source.tag_metadata_pages("app")]
    assert [tag.name for page in pages for tag in page] == ["v1", "v2"]
    bare = pages[1][0]
    assert (bare.digest, bare.created, bare.updated, bare.size) == (None, None, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        bare.name = "v3"  # type: ignore[misc]


# ---- scopes ----------------------------------------------------------------------------------------

def test_scopes():
    assert scope("team/app") == "repository:team/app:pull"
    assert scope("team/app", "pull,push") == "repository:team/app:pull,push"
    assert scope(None) == CATALOG_SCOPE == "registry:catalog:*"
    assert scope(parse_reference("myreg.azurecr.io/team/app:v1").repository) == "repository:team/app:pull"
    assert scope(parse_reference("myreg.azurecr.io").repository) == CATALOG_SCOPE


SCOPE_TEXT = re.compile(r"repository:\S+:\S+|registry:catalog:\S*")


def test_no_scope_string_is_built_outside_name_scope():
    """Every string constant or f-string in acrbrowse/ that starts a scope lives in name.py."""
    package = Path(acrbrowse.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path == package / "oci" / "name.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                text = str(node.values[0].value)  # f"repository:{name}:pull" starts with "repository:"
                built = text == "repository:" or text.startswith("registry:catalog")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                built = SCOPE_TEXT.fullmatch(text) is not None
            else:
                continue
            if built:
                offenders.append(f"{path.relative_to(package)}:{node.lineno}: {text[:40]!r}")
    assert offenders == []


def test_mypy_checks_the_typed_assignments_in_this_file(tmp_path):
    root = Path(acrbrowse.__file__).parent.parent
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), "--no-error-summary",
                             str(Path(__file__).relative_to(root))], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
