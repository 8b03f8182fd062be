"""compare_configs: only what differs, env and labels by name; history steps aligned like a diff."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from acrbrowse.compare.config import ConfigChange, HistoryLine, align_history, compare_configs
from acrbrowse.oci.manifest import HistoryEntry, parse_config


def config(runtime: dict[str, Any] | None = None, history: list[dict[str, Any]] | None = None, **top: Any):
    raw = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-06-01T00:00:00Z", **top,
                      "config": runtime or {}, "history": history or []}).encode()
    return parse_config(raw, "sha256:" + hashlib.sha256(raw).hexdigest())


def test_the_same_config_has_no_changes():
    one = config({"Env": ["A=1"], "Labels": {"x": "y"}}, [{"created_by": "RUN x"}])
    changes, history = compare_configs(one, one)
    assert changes == [] and history == [HistoryLine("same", "RUN x", "RUN x")]


def test_env_and_labels_by_name_and_every_other_field():
    a = config({"Env": ["PATH=/bin", "MODE=a", "GONE=1", "EMPTY"], "Labels": {"v": "1", "keep": "k"},
                "Cmd": ["serve", "--port", "80"], "Entrypoint": "/init", "User": "app", "WorkingDir": "/a",
                "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}})
    b = config({"Env": ["MODE=b", "PATH=/bin", "NEW=x=y"], "Labels": {"v": "2", "keep": "k", "new": "n"},
                "Cmd": ["serve", "--port", "8080"], "Entrypoint": "/init", "WorkingDir": "/b",
                "ExposedPorts": {"8080/tcp": {}, "80/tcp": {}}, "Volumes": {"/data": {}, "/cache": {}}},
               created="2025-01-01T00:00:00Z", architecture="arm64", **{"os.version": "10.0"})
    changes, _ = compare_configs(a, b)
    assert changes == [
        ConfigChange("env", "EMPTY", "", None),
        ConfigChange("env", "GONE", "1", None),
        ConfigChange("env", "MODE", "a", "b"),
        ConfigChange("env", "NEW", None, "x=y"),
        ConfigChange("cmd", None, '["serve", "--port", "80"]', '["serve", "--port", "8080"]'),
        ConfigChange("labels", "new", None, "n"),
        ConfigChange("labels", "v", "1", "2"),
        ConfigChange("user", None, "app", None),
        ConfigChange("workdir", None, "/a", "/b"),
        ConfigChange("exposed ports", None, "80/tcp", "80/tcp, 8080/tcp"),
        ConfigChange("volumes", None, "/data", "/cache, /data"),
        ConfigChange("created", None, "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ConfigChange("architecture", None, "amd64", "arm64"),
        ConfigChange("os.version", None, None, "10.0"),
    ]


def test_the_last_definition_of_a_variable_wins():
    changes, _ = compare_configs(config({"Env": ["A=1", "A=2"]}), config({"Env": ["A=2"]}))
    assert changes == []


def entries(*steps: str, empty: frozenset[str] = frozenset()) -> list[HistoryEntry]:
    return [HistoryEntry(None, step, None, step in empty) for step in steps]


def test_history_aligned_with_empty_layer_steps_included():
    a = entries("FROM base", "ENV A=1", "RUN make a", "CMD x", empty=frozenset({"ENV A=1", "CMD x"}))
    b = entries("FROM base", "ENV A=2", "RUN make a", "RUN extra", "CMD x", empty=frozenset({"ENV A=2", "CMD x"}))
    assert [(line.change, line.a, line.b) for line in align_history(a, b)] == [
        ("same", "FROM base", "FROM base"), ("removed", "ENV A=1", None), ("added", None, "ENV A=2"),
        ("same", "RUN make a", "RUN make a"), ("added", None, "RUN extra"), ("same", "CMD x", "CMD x")]


def test_a_step_is_one_line_and_falls_back_to_its_comment():
    a = [HistoryEntry(None, "/bin/sh -c   apt-get update \\\n\t&& install", None, False),
         HistoryEntry(None, None, "buildkit.dockerfile.v0", True)]
    lines = align_history(a, [])
    assert [line.a for line in lines] == ["/bin/sh -c apt-get update \\ && install", "buildkit.dockerfile.v0"]


@given(st.lists(st.sampled_from(["RUN a", "RUN b", "ENV c", "COPY d"]), max_size=8),
       st.lists(st.sampled_from(["RUN a", "RUN b", "ENV c", "COPY d"]), max_size=8))
def test_history_alignment_keeps_both_sides_in_order(a_steps, b_steps):
    lines = align_history(entries(*a_steps), entries(*b_steps))
    assert [line.a for line in lines if line.a is not None] == a_steps
    assert [line.b for line in lines if line.b is not None] == b_steps
    for line in lines:
        assert (line.change == "same") == (line.a is not None and line.b is not None)
        assert line.change != "same" or line.a == line.b


def test_volumes_are_parsed_sorted_and_a_wrong_type_is_refused():
    import pytest

    from acrbrowse.oci.errors import MalformedResponse

    assert config({"Volumes": {"/z": {}, "/a": {}}}).runtime.volumes == ("/a", "/z")
    assert config({"Volumes": None}).runtime.volumes == ()
    with pytest.raises(MalformedResponse, match="config.Volumes must be an object"):
        config({"Volumes": ["/a"]})
