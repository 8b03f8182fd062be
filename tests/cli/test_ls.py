"""`acrbrowse ls`: a layer's files and an image's merged filesystem, read from the real registry
without pulling the image, checked against what Python's tarfile lists in the same layers."""

from __future__ import annotations

import hashlib
import json

from acrbrowse.present.files import KIND_NAMES
from tests.cli.conftest import assert_one_line_error
from tests.layerfiles.images import EVIL_NAME, VISIBLE, WASTED
from tests.layerfiles.layers import tarfile_listing


def digest(blob: bytes) -> str:
    return f"sha256:{hashlib.sha256(blob).hexdigest()}"


def test_one_layer_lists_what_tarfile_lists(cli, layered):
    for number, tar in enumerate(layered.tars, 1):
        result = cli("ls", layered.ref(layered.image_tag), "--layer", str(number), "--json")
        assert result.code == 0, result.err
        document = json.loads(result.out)
        expected = tarfile_listing(tar)
        assert [(f["path"], f["type"], f.get("size")) for f in document["files"]] == \
            [(e.path, KIND_NAMES[e.kind], None if e.kind.is_deletion else e.size) for e in expected]
        assert document["layer"]["number"] == number and document["layer"]["readFrom"] == "stream"
        assert document["layer"]["digest"] == digest(layered.blobs[number - 1])


def test_layer_text_is_tar_tv_like_and_escaped(cli, layered):
    result = cli("ls", layered.ref(layered.image_tag), "--layer", "2")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    lines = result.lines
    assert any(line.startswith("-rwxr-xr-x root/root") and line.endswith("  usr/bin/app") and "60,000" in line
               for line in lines)
    assert any(line.split() == ["removed", "var/log/old.log"] for line in lines)
    assert any(line.endswith("usr/evil\\x1b[31mred\\x07") for line in lines)


def test_merged_filesystem_with_layers_changes_and_waste(cli, layered):
    result = cli("ls", layered.ref(layered.image_tag), "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["wastedBytes"] == WASTED and document["visibleBytes"] == VISIBLE
    assert document["storedBytes"] == VISIBLE + WASTED
    rows = {f["path"]: f for f in document["files"]}
    assert (rows["usr/bin/app"]["layer"], rows["usr/bin/app"]["change"], rows["usr/bin/app"]["wasted"]) == \
        (2, "modified", 50_000)
    assert (rows["var/log/old.log"]["layer"], rows["var/log/old.log"]["change"]) == (2, "removed")
    assert (rows["tmp/cache/a"]["change"], rows["tmp/cache/a"]["layer"], rows["tmp/cache/a"]["wasted"]) == \
        ("removed", 3, 10_000)
    assert (rows["tmp/cache/c"]["change"], rows["tmp/cache/c"]["layer"]) == ("added", 3)
    assert (rows["usr/bin/tool"]["change"], rows["usr/bin/tool"]["layer"]) == ("added", 1)
    assert rows[f"usr/{EVIL_NAME}"]["layer"] == 2  # JSON keeps the name exact
    assert [layer["number"] for layer in document["layers"]] == [1, 2, 3]

    text = cli("ls", layered.ref(layered.image_tag))
    assert text.code == 0 and "\x1b" not in text.out
    assert any(line.split()[:2] == ["2", "modified"] and line.endswith("usr/bin/app  (wasted 50,000)")
               for line in text.lines)
    assert text.err.startswith("acrbrowse: note: 3 layers, efficiency ")
    assert f"{(VISIBLE / (VISIBLE + WASTED)) * 100:.1f} %" in text.err


def test_platform_of_an_index(cli, layered):
    arm = cli("ls", layered.ref(layered.index_tag), "--platform", "linux/arm64", "--json")
    assert arm.code == 0, arm.err
    assert [f["path"] for f in json.loads(arm.out)["files"]] == ["opt", "opt/arm-only"]
    amd = cli("ls", layered.ref(layered.index_tag), "--platform", "linux/amd64", "--layer", "3", "--json")
    assert [f["path"] for f in json.loads(amd.out)["files"]] == ["tmp/cache", "tmp/cache/c", "etc/passwd"]
    assert_one_line_error(cli("ls", layered.ref(layered.index_tag)), "is an index of 2 platforms (linux/amd64, "
                                                                      "linux/arm64); choose one with --platform OS/ARCH[/VARIANT]")


def test_layer_by_digest_and_bad_choices(cli, layered):
    third = digest(layered.blobs[2])
    for choice in (third, third[7:19]):
        result = cli("ls", layered.ref(layered.image_tag), "--layer", choice, "--json")
        assert result.code == 0, result.err
        assert json.loads(result.out)["layer"]["number"] == 3
    bad = cli("ls", layered.ref(layered.image_tag), "--layer", "4")
    assert bad.code == 2 and "--layer 4: the image has 3 layers (1 to 3)" in bad.err
    bad = cli("ls", layered.ref(layered.image_tag), "--layer", "sha256:00000000")
    assert bad.code == 2 and "no layer of the image has that number or digest" in bad.err


def test_the_listing_cache_answers_the_second_time(cli, layered):
    first = cli("ls", layered.ref(layered.image_tag), "--layer", "1", "--json")
    second = cli("ls", layered.ref(layered.image_tag), "--layer", "1", "--json")
    assert json.loads(first.out)["layer"]["readFrom"] == "stream"
    assert json.loads(second.out)["layer"]["readFrom"] == "cache"
    assert json.loads(first.out)["files"] == json.loads(second.out)["files"]
    uncached = cli("ls", layered.ref(layered.image_tag), "--layer", "1", "--json", "--no-cache")
    assert json.loads(uncached.out)["layer"]["readFrom"] == "stream"


def test_a_layer_that_is_no_tar_is_one_line(cli, testbed):
    # the bed's aspnetapp layers are random bytes, as a hostile or broken registry might serve
    assert_one_line_error(cli("ls", f"{testbed.anon.host}/aspnetapp:8.0-amd64", "--layer", "1"),
                          "error: layer sha256:", " is not a tar archive (nor gzip or zstd)")


def test_a_cut_stream_is_one_line_and_not_cached(cli, layered, fault_proxy):
    proxy = fault_proxy(layered.registry)
    proxy.truncate("GET", rf"/blobs/{digest(layered.blobs[0])}", keep=3000, times=None)
    result = cli("ls", f"{proxy.host}/{layered.repository}:{layered.image_tag}", "--layer", "1", "--timeout", "5")
    assert_one_line_error(result)
    again = cli("ls", layered.ref(layered.image_tag), "--layer", "1", "--json")
    assert json.loads(again.out)["layer"]["readFrom"] == "stream"  # nothing of the cut read was kept


def test_progress_goes_to_a_terminal_only():
    import io

    from acrbrowse.cli.files import ProgressLine
    from acrbrowse.layerfiles.fetch import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        line = ProgressLine(stream, 3)
        line.update(0, Progress(1_000_000, 4_000_000, 10, 1.0))
        line.update(2, Progress(1_000_000, 2_000_000, 5, 1.0))
        line.clear()
    assert pipe.getvalue() == ""
    shown = terminal.getvalue().split("\r\x1b[K")
    assert shown[1] == "reading 1 of 3 layers: 1.0 MB of 4.0 MB (25 %) · 1.0 MB/s · 3 s left"
    assert shown[2] == "reading 2 of 3 layers: 2.0 MB of 6.0 MB (33 %) · 2.0 MB/s · 2 s left"
    assert shown[3] == ""  # cleared at the end
