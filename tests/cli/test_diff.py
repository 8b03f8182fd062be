"""`acrbrowse diff` against the real registry: two 7-layer images sharing 5 layers, read through the
fault proxy whose log shows which blobs were fetched; the test bed's whiteout image; hostile names."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.compare.images import EVIL, ComparedImages, push_compared_images
from tests.layerfiles import layers as L
from tests.layerfiles.images import EVIL_NAME
from tests.oci.pushing import scratch_repository


@pytest.fixture(scope="module")
def compared(testbed) -> ComparedImages:
    return push_compared_images(testbed.anon.host, scratch_repository("diff"))


def blob_gets(proxy, digests) -> Counter[str]:
    """How many times each of `digests` was fetched (GET of its blob) through the proxy."""
    got: Counter[str] = Counter()
    for entry in proxy.log:
        if entry.method == "GET" and "/blobs/" in entry.path:
            digest = entry.path.rsplit("/", 1)[-1].split("?")[0]
            if digest in digests:
                got[digest] += 1
    return got


def ref(proxy, compared: ComparedImages, tag: str) -> str:
    return f"{proxy.host}/{compared.repository}:{tag}"


def layer_digests(compared: ComparedImages) -> set[str]:
    return {digest for digest, _ in compared.a.layers + compared.b.layers}


def test_diff_reports_the_five_shared_layers_and_fetches_no_layer(cli, compared, fault_proxy):
    proxy = fault_proxy("anon")
    result = cli("diff", ref(proxy, compared, "a"), "b", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    rows = document["layers"]["rows"]
    shared = [row for row in rows if row["state"] == "shared"]
    assert [(row["a"]["digest"], row["a"]["number"], row["b"]["number"]) for row in shared] == \
        [(digest, n, n) for n, (digest, _) in enumerate(compared.shared, 1)]
    assert [row["a"]["digest"] for row in rows if row["state"] == "only_a"] == [d for d, _ in compared.a.layers[5:]]
    assert [row["b"]["digest"] for row in rows if row["state"] == "only_b"] == [d for d, _ in compared.b.layers[5:]]
    assert document["layers"]["sharedBytes"] == sum(size for _, size in compared.shared)
    assert document["layers"]["onlyABytes"] == sum(size for _, size in compared.a.layers[5:])
    assert document["layers"]["onlyBBytes"] == sum(size for _, size in compared.b.layers[5:])
    assert (document["a"]["manifest"], document["b"]["manifest"]) == (compared.a.digest, compared.b.digest)
    assert "files" not in document and "layersRead" not in document
    assert not blob_gets(proxy, layer_digests(compared))
    # the configs were read (the proof the log sees blob GETs at all)
    assert blob_gets(proxy, {compared.a.config_digest, compared.b.config_digest}) == \
        {compared.a.config_digest: 1, compared.b.config_digest: 1}


def test_config_and_history_differences(cli, compared):
    result = cli("diff", compared.ref("a"), compared.ref("b"), "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    changes = [(c["field"], c["key"], c["a"], c["b"]) for c in document["config"]]
    assert changes == [
        ("env", "MODE", "a", "b"), ("env", "ONLY_A", "1", None), ("env", EVIL, None, "1"),
        ("cmd", None, '["serve", "--port", "80"]', '["serve", "--port", "8080"]'),
        ("labels", "label", None, EVIL), ("labels", "version", "1.0", "2.0"),
    ]
    history = [(h["change"], h["a"], h["b"]) for h in document["history"]]
    assert history[:5] == [("same", f"RUN make base{n}", f"RUN make base{n}") for n in range(5)]
    assert history[5:] == [("removed", "ENV MODE=a", None), ("removed", "RUN make a", None),
                           ("removed", "COPY a /app", None), ("added", None, "ENV MODE=b"),
                           ("added", None, "RUN make b"), ("added", None, "COPY b /app")]


EXPECTED_FILES = [
    ("app/a-only", "removed", []), ("app/a-second", "removed", []), ("app/b-only", "added", []),
    ("app/b-second", "added", []), (f"app/{EVIL}", "added", []), ("app/link", "modified", ["link"]),
    ("base1/small", "removed", []), ("etc/tuned", "modified", ["mode"]),
]


def files_of(document) -> list[tuple[str, str, list[str]]]:
    return [(f["path"], f["change"], f["what"]) for f in document["files"]]


def test_files_cold_reads_each_distinct_layer_once(cli, compared, fault_proxy):
    proxy = fault_proxy("anon")
    result = cli("diff", ref(proxy, compared, "a"), "b", "--files", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert files_of(document) == EXPECTED_FILES
    got = blob_gets(proxy, layer_digests(compared))
    assert got == {digest: 1 for digest in layer_digests(compared)}  # 9 distinct layers, once each
    reads = {r["digest"]: (r["inA"], r["inB"], r["readFrom"]) for r in document["layersRead"]}
    assert reads == {**{d: (True, True, "stream") for d, _ in compared.shared},
                     **{d: (True, False, "stream") for d, _ in compared.a.layers[5:]},
                     **{d: (False, True, "stream") for d, _ in compared.b.layers[5:]}}


def test_files_after_ls_of_the_base_fetches_only_the_unshared_layers(cli, compared, fault_proxy):
    listed = cli("ls", compared.ref("base"), "--json")
    assert listed.code == 0, listed.err
    proxy = fault_proxy("anon")
    result = cli("diff", ref(proxy, compared, "a"), ref(proxy, compared, "b"), "--files", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert files_of(document) == EXPECTED_FILES
    unshared = {d for d, _ in compared.a.layers[5:] + compared.b.layers[5:]}
    assert blob_gets(proxy, layer_digests(compared)) == {digest: 1 for digest in unshared}
    assert {r["digest"] for r in document["layersRead"] if r["readFrom"] == "cache"} == \
        {d for d, _ in compared.shared}


def test_two_registries_a_client_each_and_shared_layers_read_once_from_a(cli, compared, fault_proxy):
    proxy = fault_proxy("anon")
    result = cli("diff", ref(proxy, compared, "a"), compared.ref("b"), "--files", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert files_of(document) == EXPECTED_FILES
    assert document["a"]["registry"] == proxy.host and document["b"]["registry"] == compared.registry
    # through the proxy (A's registry): A's 7 layers; B's own 2 came straight from B's
    assert blob_gets(proxy, layer_digests(compared)) == {digest: 1 for digest, _ in compared.a.layers}


def test_text_output_is_aligned_and_escaped(cli, compared):
    result = cli("diff", compared.ref("a"), compared.ref("b"), "--files")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out and "\x1b" not in result.err
    lines = result.lines
    assert lines[2] == f"5 layers shared ({human(compared, 'shared')}) · 2 only in A ({human(compared, 'a')}) · " \
                       f"2 only in B ({human(compared, 'b')})"
    table = lines[lines.index("layers:") + 2:lines.index("layers:") + 11]
    assert [line.split()[:3] for line in table] == \
        [[str(n), str(n), "shared"] for n in range(1, 6)] + [["6", "-", "only"], ["7", "-", "only"],
                                                             ["-", "6", "only"], ["-", "7", "only"]]
    assert "  env MODE: a -> b" in lines
    assert "  env evil\\x1b[31mred\\x07: (not set) -> 1" in lines
    assert "  labels label: (not set) -> evil\\x1b[31mred\\x07" in lines
    assert "  - RUN make a" in lines and "  + RUN make b" in lines and "    RUN make base0" in lines
    assert any(line.startswith("  + app/evil\\x1b[31mred\\x07 ") for line in lines)
    assert "  ~ etc/tuned: mode -rw-r--r-- -> -rw-------" in lines
    assert "  ~ app/link: link a-only -> b-only" in lines
    assert "files: 3 added · 3 removed · 2 modified" in lines
    assert any(line.startswith("layers read: 9 distinct layers: ") for line in lines)


def human(compared: ComparedImages, which: str) -> str:
    from acrbrowse.present.units import human_size

    layers = {"shared": compared.shared, "a": compared.a.layers[5:], "b": compared.b.layers[5:]}[which]
    return human_size(sum(size for _, size in layers))


def test_a_bare_tag_or_digest_names_the_first_ones_repository(cli, compared):
    by_tag = cli("diff", compared.ref("a"), "b", "--json")
    by_digest = cli("diff", compared.ref("a"), f"@{compared.b.digest}", "--json")
    assert by_tag.code == 0 and by_digest.code == 0, by_tag.err + by_digest.err
    assert json.loads(by_tag.out)["b"]["manifest"] == json.loads(by_digest.out)["b"]["manifest"] == compared.b.digest
    assert json.loads(by_digest.out)["b"]["reference"] == compared.b.digest
    bad = cli("diff", compared.ref("a"), "@sha256:nope")
    assert bad.code == 2 and "is not a digest" in bad.err and "Traceback" not in bad.err


def test_files_show_what_the_whiteout_image_removed(cli, layered):
    repository = scratch_repository("diff-first-layer")
    L.push_layers_image(layered.registry, repository, "first", [(layered.blobs[0], L.media_type("gzip"), None)])
    result = cli("diff", f"{layered.registry}/{repository}:first", layered.ref(layered.image_tag), "--files",
                 "--json")
    assert result.code == 0, result.err
    changes = {f["path"]: (f["change"], f["what"]) for f in json.loads(result.out)["files"]}
    assert changes["var/log/old.log"] == ("removed", [])
    assert changes["etc/passwd"] == ("removed", [])
    assert changes["tmp/cache/a"] == changes["tmp/cache/b"] == ("removed", [])
    assert changes["tmp/cache/c"] == changes["etc/new.conf"] == ("added", [])
    assert changes["usr/bin/app"] == ("modified", ["size"])
    assert changes[f"usr/{EVIL_NAME}"] == ("added", [])
    assert "usr/bin/tool" not in changes
    text = cli("diff", f"{layered.registry}/{repository}:first", layered.ref(layered.image_tag), "--files")
    assert text.code == 0 and "\x1b" not in text.out
    assert any(line.startswith("  - var/log/old.log ") for line in text.lines)


def test_an_index_needs_a_platform(cli, layered):
    result = cli("diff", layered.ref(layered.index_tag), layered.ref(layered.image_tag))
    assert result.code == 1 and "choose one with --platform" in result.err
    arm = cli("diff", layered.ref(layered.index_tag), layered.ref(layered.image_tag), "--platform", "linux/amd64",
              "--json")
    assert arm.code == 0, arm.err
    assert all(row["state"] == "shared" for row in json.loads(arm.out)["layers"]["rows"])


def test_the_credential_flags_are_for_the_first_registry(cli, compared, testbed):
    user = next(iter(testbed.users))
    result = cli("diff", f"{testbed.basic.host}/{compared.repository}:a", compared.ref("b"), "-u", user,
                 "--password-stdin", "--json", stdin=testbed.users[user] + "\n")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (document["a"]["manifest"], document["b"]["manifest"]) == (compared.a.digest, compared.b.digest)
    assert document["a"]["registry"] == testbed.basic.host
