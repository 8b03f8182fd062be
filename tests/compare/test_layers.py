"""compare_layers: two images' layers aligned by digest like a diff aligns lines."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from acrbrowse.compare.layers import LayerState, compare_layers
from acrbrowse.oci.manifest import Descriptor, ImageManifest

GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def layer(name: str) -> Descriptor:
    return Descriptor(GZIP, digest(name), 1000 + len(name) * 7)


def image(*names: str) -> ImageManifest:
    return ImageManifest("application/vnd.oci.image.manifest.v1+json", digest("|".join(names)), b"{}",
                         config=Descriptor("application/vnd.oci.image.config.v1+json", digest("config"), 2),
                         layers=tuple(layer(name) for name in names))


def states(comparison) -> list[tuple[str, int | None, int | None]]:
    return [(row.state.name, row.a_position, row.b_position) for row in comparison.rows]


def test_five_shared_then_two_each():
    a = image("l1", "l2", "l3", "l4", "l5", "a6", "a7")
    b = image("l1", "l2", "l3", "l4", "l5", "b6", "b7")
    comparison = compare_layers(a, b)
    assert states(comparison) == [("SHARED", i, i) for i in range(5)] + \
        [("ONLY_A", 5, None), ("ONLY_A", 6, None), ("ONLY_B", None, 5), ("ONLY_B", None, 6)]
    assert comparison.shared_bytes == sum(layer.size for layer in a.layers[:5])
    assert comparison.only_a_bytes == a.layers[5].size + a.layers[6].size
    assert comparison.only_b_bytes == b.layers[5].size + b.layers[6].size
    assert comparison.count(LayerState.SHARED) == 5
    assert comparison.shared_digests == {layer.digest for layer in a.layers[:5]}


def test_a_layer_in_the_middle_changes():
    comparison = compare_layers(image("x", "y", "z"), image("x", "q", "z"))
    assert states(comparison) == [("SHARED", 0, 0), ("ONLY_A", 1, None), ("ONLY_B", None, 1), ("SHARED", 2, 2)]


def test_identical_and_disjoint_and_empty():
    assert states(compare_layers(image("x", "y"), image("x", "y"))) == [("SHARED", 0, 0), ("SHARED", 1, 1)]
    assert states(compare_layers(image("x"), image("y"))) == [("ONLY_A", 0, None), ("ONLY_B", None, 0)]
    empty = compare_layers(image(), image())
    assert empty.rows == () and empty.shared_bytes == empty.only_a_bytes == empty.only_b_bytes == 0


def test_a_layer_both_hold_out_of_order_is_still_known_as_held_by_both():
    comparison = compare_layers(image("x", "y"), image("y", "x"))
    assert comparison.count(LayerState.SHARED) == 1
    assert comparison.shared_digests == {digest("x"), digest("y")}


@given(st.lists(st.sampled_from("abcdefg"), max_size=9), st.lists(st.sampled_from("abcdefg"), max_size=9))
def test_rows_hold_each_image_in_order_and_bytes_add_up(a_names, b_names):
    a, b = image(*a_names), image(*b_names)
    comparison = compare_layers(a, b)
    assert [row.a for row in comparison.rows if row.a is not None] == list(a.layers)
    assert [row.b for row in comparison.rows if row.b is not None] == list(b.layers)
    assert [row.a_position for row in comparison.rows if row.a is not None] == list(range(len(a.layers)))
    for row in comparison.rows:
        assert (row.state is LayerState.SHARED) == (row.a is not None and row.b is not None)
        if row.state is LayerState.SHARED:
            assert row.a == row.b
    assert comparison.shared_bytes + comparison.only_a_bytes == a.compressed_size
    assert comparison.shared_bytes + comparison.only_b_bytes == b.compressed_size
