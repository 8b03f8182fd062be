"""Two images' layers side by side, matched by digest: shared, only in A, only in B."""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass

from acrbrowse.oci.manifest import Descriptor, ImageManifest


class LayerState(enum.Enum):
    SHARED = "shared"
    ONLY_A = "only in A"
    ONLY_B = "only in B"


@dataclass(frozen=True)
class LayerRow:
    state: LayerState
    a: Descriptor | None  # the layer in A (None: only in B)
    a_position: int | None  # its index in A's layers, from 0
    b: Descriptor | None
    b_position: int | None

    @property
    def layer(self) -> Descriptor:
        """The row's layer (A's and B's are the same on a shared row)."""
        layer = self.a if self.a is not None else self.b
        assert layer is not None
        return layer


@dataclass(frozen=True)
class LayerComparison:
    rows: tuple[LayerRow, ...]  # aligned as a diff aligns lines: shared layers on one row

    def _bytes(self, state: LayerState) -> int:
        return sum(row.layer.size for row in self.rows if row.state is state)

    @property
    def shared_bytes(self) -> int:
        return self._bytes(LayerState.SHARED)

    @property
    def only_a_bytes(self) -> int:
        return self._bytes(LayerState.ONLY_A)

    @property
    def only_b_bytes(self) -> int:
        return self._bytes(LayerState.ONLY_B)

    def count(self, state: LayerState) -> int:
        return sum(1 for row in self.rows if row.state is state)

    @property
    def shared_digests(self) -> frozenset[str]:
        """Every digest both images hold, aligned or not (a layer A and B both hold in another order
        is still fetched once)."""
        a = {row.a.digest for row in self.rows if row.a is not None}
        return frozenset(row.b.digest for row in self.rows if row.b is not None and row.b.digest in a)


def compare_layers(a: ImageManifest, b: ImageManifest) -> LayerComparison:
    """Rows in the order of both images, as difflib aligns two sequences of digests: each matched
    block is shared, each gap lists A's layers, then B's."""
    a_digests = [layer.digest for layer in a.layers]
    b_digests = [layer.digest for layer in b.layers]
    rows: list[LayerRow] = []
    matcher = difflib.SequenceMatcher(None, a_digests, b_digests, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(LayerRow(LayerState.SHARED, a.layers[i], i, b.layers[j], j)
                        for i, j in zip(range(a_start, a_end), range(b_start, b_end), strict=True))
            continue
        rows.extend(LayerRow(LayerState.ONLY_A, a.layers[i], i, None, None) for i in range(a_start, a_end))
        rows.extend(LayerRow(LayerState.ONLY_B, None, None, b.layers[j], j) for j in range(b_start, b_end))
    return LayerComparison(tuple(rows))
