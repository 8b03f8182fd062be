"""Two images' layers side by side, matched by digest: shared, only in A, only in B."""

from __future__ import annotations

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


@dataclass(frozen=True)
class LayerComparison:
    rows: tuple[LayerRow, ...]  # aligned as a diff aligns lines: shared layers on one row

    @property
    def shared_bytes(self) -> int:
        raise NotImplementedError

    @property
    def only_a_bytes(self) -> int:
        raise NotImplementedError

    @property
    def only_b_bytes(self) -> int:
        raise NotImplementedError


def compare_layers(a: ImageManifest, b: ImageManifest) -> LayerComparison:
    raise NotImplementedError
