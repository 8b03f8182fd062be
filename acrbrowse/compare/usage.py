"""What each tag of a repository holds alone, from manifests only (no layer is downloaded): the
bytes of the blobs (layers, configs, manifests) no other tag uses — what deleting the tag frees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TagUsage:
    tag: str
    total: int  # every distinct blob the tag reaches (its manifests, configs, layers)
    shared: int  # of those, the bytes another tag reaches too
    alone: int  # the bytes no other tag reaches: what deleting the tag would free


@dataclass(frozen=True)
class RepositoryUsage:
    tags: tuple[TagUsage, ...]
    unique_bytes: int  # every distinct blob of every tag, once: sum(alone) + shared_bytes
    shared_bytes: int  # the blobs two or more tags reach, once each


def usage_of(blobs_of: Mapping[str, Mapping[str, int]]) -> RepositoryUsage:
    """From each tag's blobs ({digest: size}), in the mapping's order."""
    raise NotImplementedError
