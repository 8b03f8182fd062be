"""`acrbrowse tree --referrers` and `acrbrowse referrers`, run as a process against a signed, attested
app pushed into a registry of these tests' own (distribution 2.8: referrers by tag schema and
cosign's tags). The shared bed's content stays as filled."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.oci.pushing import ScratchRegistry
from tests.oci.signed import ISSUER, NOTATION_SIGNER, SIGNER, SIGNING_TIME, SignedApp, push_signed_app


@pytest.fixture(scope="module")
def pushed(tmp_path_factory) -> Iterator[tuple[str, SignedApp]]:
    registry = ScratchRegistry(tmp_path_factory.mktemp("signed-registry")).start()
    try:
        yield registry.anon.host, push_signed_app(registry)
    finally:
        registry.stop()


def _block(lines: list[str], start: str, end: str) -> list[str]:
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next(i for i, line in enumerate(lines) if i > first and line.startswith(end))
    return lines[first:last]


def test_tree_referrers_shows_signature_sbom_and_provenance_under_the_platform(cli, pushed):
    host, app = pushed
    result = cli("tree", f"{host}/{app.repository}:1.0", "--referrers")
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.lines[1] == f"{app.index.digest}  OCI image index, 2 platforms"
    amd64 = _block(result.lines, f"├── linux/amd64  {app.amd64.digest}", "├── linux/arm64")
    assert "│   └── referrers (5)" in amd64
    for text in (f"SBOM (SPDX)  {app.sbom.digest}", f"signature (Notation)  {app.notation.digest}",
                 f"signature (cosign)  {app.cosign_signature.digest}  (tag sha256-{app.amd64.digest[7:]}.sig)",
                 f"attestation (SLSA provenance v1)  {app.provenance.digest}",
                 f"attestation (SLSA provenance v0.2)  {app.cosign_attestation.digest}",
                 f"signature (Notation)  {app.sbom_signature.digest}"):
        assert any(text in line for line in amd64), (text, amd64)
    # a look inside: the SBOM's package count, the signers (never verified)
    assert any(line.endswith("│   └── SPDX-2.3, 3 packages") or line.endswith("│   ├── SPDX-2.3, 3 packages")
               for line in amd64), amd64
    assert any(line.endswith(f"signer {SIGNER}, issuer {ISSUER}, not verified") for line in amd64)
    assert any(line.endswith(f"signed {SIGNING_TIME}, signer {NOTATION_SIGNER}, not verified") for line in amd64)
    arm64 = _block(result.lines, f"├── linux/arm64  {app.arm64.digest}", "└── attestations")
    assert any(line.endswith("CycloneDX 1.5, 1 package") for line in arm64)
    assert any(line.endswith(f"SBOM (CycloneDX)  {app.cyclonedx.digest}") for line in arm64)
    assert "└── attestations (2)" in result.lines  # buildkit's attestation and builder entries


def test_tree_referrers_json(cli, pushed):
    host, app = pushed
    result = cli("tree", f"{host}/{app.repository}:1.0", "--referrers", "--json")
    assert result.code == 0, result.err
    out = json.loads(result.out)
    amd64 = out["manifests"][0]
    assert amd64["digest"] == app.amd64.digest and amd64["kind"] == "image"
    kinds = {r["digest"]: r["kind"] for r in amd64["referrers"]}
    assert kinds == {app.sbom.digest: "SBOM (SPDX)", app.provenance.digest: "attestation (SLSA provenance v1)",
                     app.notation.digest: "signature (Notation)", app.cosign_signature.digest: "signature (cosign)",
                     app.cosign_attestation.digest: "attestation (SLSA provenance v0.2)"}
    [sbom] = [r for r in amd64["referrers"] if r["digest"] == app.sbom.digest]
    assert sbom["subject"]["digest"] == app.amd64.digest and sbom["inside"] == ["SPDX-2.3", "3 packages"]
    assert [r["digest"] for r in sbom["referrers"]] == [app.sbom_signature.digest]
    assert out["annotations"] == {"org.opencontainers.image.version": "1.0"}
    assert [m.get("attestation", False) for m in out["manifests"]] == [False, False, True, True]


def test_tree_without_referrers_asks_for_none(cli, pushed):
    host, app = pushed
    result = cli("tree", f"{host}/{app.repository}:1.0", "--json")
    assert result.code == 0, result.err
    assert all("referrers" not in m for m in json.loads(result.out)["manifests"])


def test_referrers_command(cli, pushed):
    host, app = pushed
    result = cli("referrers", f"{host}/{app.repository}@{app.amd64.digest}")
    assert result.code == 0, result.err
    assert result.lines[1] == f"{app.amd64.digest}  image"
    tops = [line for line in result.lines[2:] if line.startswith(("├── ", "└── "))]
    assert len(tops) == 5 and all(line.startswith(("│   ", "    ")) for line in result.lines[2:] if line not in tops)
    assert any(line.endswith("SPDX-2.3, 3 packages") for line in result.lines)
    typed = cli("referrers", f"{host}/{app.repository}@{app.amd64.digest}", "--json",
                "--artifact-type", "application/spdx+json")
    assert typed.code == 0, typed.err
    assert [r["digest"] for r in json.loads(typed.out)["referrers"]] == [app.sbom.digest]


def test_referrers_of_an_index_recursive(cli, pushed):
    host, app = pushed
    own = cli("referrers", f"{host}/{app.repository}:1.0")
    assert own.code == 0, own.err
    assert own.lines[1:] == [f"{app.index.digest}  index (2 platforms)", "└── no referrers"]
    deep = cli("referrers", f"{host}/{app.repository}:1.0", "--recursive", "--json")
    assert deep.code == 0, deep.err
    out = json.loads(deep.out)
    assert out["referrers"] == []
    by_manifest = {m["digest"]: {r["digest"] for r in m["referrers"]} for m in out["manifests"]}
    assert by_manifest[app.arm64.digest] == {app.cyclonedx.digest}
    assert app.sbom.digest in by_manifest[app.amd64.digest]


def test_tree_of_the_nested_index_and_the_artifacts(cli, pushed):
    host, app = pushed
    nested = cli("tree", f"{host}/{app.repository}:nested")
    assert nested.code == 0, nested.err
    assert f"        └── linux/amd64  {app.nested[3].digest}" in nested.lines
    leaf = json.loads(cli("tree", f"{host}/{app.repository}:nested", "--json").out)
    assert leaf["manifests"][0]["manifests"][0]["manifests"][0]["digest"] == app.nested[3].digest
    chart = cli("tree", f"{host}/{app.repository}:chart")
    assert chart.lines[1] == (f"{app.chart.digest}  OCI image manifest, Helm chart, "
                              "artifact application/vnd.cncf.helm.config.v1+json")
    wasm = cli("tree", f"{host}/{app.repository}:wasm")
    assert wasm.lines[1] == f"{app.wasm.digest}  OCI image manifest, WASM, artifact application/vnd.wasm.config.v0+json"
