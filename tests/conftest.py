"""Test-bed fixtures (session registry bed, fault proxies). Other fixtures live in
subfolder conftest files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.layerfiles.images import LayeredImages, push_layered_images
from tests.testbed import FaultProxy, Testbed, TokenServer
from tests.testbed.acr import AcrLayer, AcrScratch, start_acr_layer


@pytest.fixture(scope="session")
def testbed() -> Iterator[Testbed]:
    """Three registries (``anon``/``basic``/``token``) over one filled storage dir.

    Set ACRBROWSE_TESTBED_DATA=/some/dir to keep the storage between sessions (the
    fill is skipped when that dir already holds the same content)."""
    bed = Testbed(data_dir=os.environ.get("ACRBROWSE_TESTBED_DATA") or None)
    bed.start()
    try:
        yield bed
    finally:
        bed.stop()


@pytest.fixture
def token_server(testbed: Testbed) -> Iterator[TokenServer]:
    """The bed's token server, with its request log cleared; ``lifetime``,
    ``send_expires_in`` and ``policy`` are restored after the test."""
    ts = testbed.token_server
    assert ts is not None
    saved = (ts.lifetime, ts.send_expires_in, {k: list(v) for k, v in ts.policy.items()})
    ts.requests.clear()
    try:
        yield ts
    finally:
        ts.lifetime, ts.send_expires_in, ts.policy = saved[0], saved[1], saved[2]


@pytest.fixture
def fault_proxy(testbed: Testbed) -> Iterator[Callable[..., FaultProxy]]:
    """Factory: ``fault_proxy("anon"|"basic"|"token" or "HOST:PORT", latency=0.0)`` → a started
    :class:`FaultProxy` in front of that registry; all are stopped after the test."""
    proxies: list[FaultProxy] = []

    def make(target: Any = "anon", *, latency: float = 0.0) -> FaultProxy:
        upstream = testbed.endpoint(target) if target in ("anon", "basic", "token") else target
        p = FaultProxy(upstream, latency=latency).start()
        proxies.append(p)
        return p

    try:
        yield make
    finally:
        for p in proxies:
            p.stop()


@pytest.fixture
def acr(testbed: Testbed) -> Iterator[AcrLayer]:
    """The bed's token registry behind an ACR-compatible /acr/v1 layer (tests/testbed/acr.py)."""
    layer = start_acr_layer(testbed)
    try:
        yield layer
    finally:
        layer.stop()


@pytest.fixture(scope="module")
def scratch(testbed: Testbed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcrScratch]:
    """An ACR-like registry of one test module's own to push into (the shared bed stays as filled)."""
    registry = AcrScratch(testbed, tmp_path_factory.mktemp("acr-scratch")).start()
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def layered(testbed: Testbed) -> LayeredImages:
    """An image of three real layers (gzip, zstd, plain tar; whiteouts, an opaque dir, links) and a
    two-platform index around it, pushed into the shared bed under a scratch name."""
    return push_layered_images(testbed.anon.host)
