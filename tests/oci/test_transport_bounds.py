"""Every body is read against the cap of its kind: huge and endless answers stop at the cap (counted at
the source: nothing past the cap plus a chunk is ever pulled), error bodies are cut short."""

from __future__ import annotations

import tracemalloc

import httpx
import pytest

from acrbrowse.limits import (
    CONFIG_BYTES,
    ERROR_BODY_BYTES,
    LIST_PAGE_BYTES,
    MANIFEST_BYTES,
    TOKEN_ANSWER_BYTES,
)
from acrbrowse.oci.errors import AuthenticationFailed, MalformedResponse, NotFound

from . import content as c
from .conftest import REALM, bearer_challenge

CHUNK = 64 * 1024
MB = 10**6


class Body:
    """An async body of `total` bytes (None: endless) that counts what the client pulled from it."""

    def __init__(self, total: int | None = None, *, head: bytes = b"", fill: bytes = b" ") -> None:
        self.total, self.head, self.fill, self.pulled = total, head, fill * CHUNK, 0

    async def __aiter__(self):
        if self.head:
            self.pulled += len(self.head)
            yield self.head
        while self.total is None or self.pulled < self.total:
            chunk = self.fill if self.total is None else self.fill[: self.total - self.pulled]
            self.pulled += len(chunk)
            yield chunk


def answer(body: Body, status: int = 200, **kwargs):
    return lambda request: httpx.Response(status, content=body, **kwargs)


def assert_stopped_at(body: Body, cap: int) -> None:
    assert cap < body.pulled <= cap + 2 * CHUNK, f"pulled {body.pulled:,} bytes for a cap of {cap:,}"


async def test_a_200_mb_manifest_is_refused_after_the_cap_in_bounded_memory(mock, make_client):
    body = Body(200 * MB, head=b"{")
    mock.get("/v2/app/manifests/v1").mock(side_effect=answer(body))
    client = make_client()
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse) as caught:
            await client.get_manifest("app", "v1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == "manifest app:v1 is larger than 4 MiB; refusing it"
    assert_stopped_at(body, MANIFEST_BYTES)
    assert peak < 3 * MANIFEST_BYTES, f"peak {peak:,} bytes"


async def test_an_announced_content_length_past_the_cap_is_refused_unread(mock, make_client):
    body = Body(5 * MB)
    mock.get("/v2/app/manifests/v1").mock(side_effect=answer(body, headers={"Content-Length": str(5 * MB)}))
    with pytest.raises(MalformedResponse, match="larger than 4 MiB"):
        await make_client().get_manifest("app", "v1")
    assert body.pulled == 0


async def test_a_manifest_of_exactly_the_cap_is_read(mock, make_client):
    raw = c.image_manifest(c.image_config())
    raw = raw[:-1] + b" " * (MANIFEST_BYTES - len(raw)) + b"}"
    mock.get("/v2/app/manifests/v1").respond(200, content=raw)
    manifest = await make_client().get_manifest("app", "v1")
    assert manifest.digest == c.sha256(raw)


async def test_an_endless_chunked_tag_page_stops_at_the_page_cap(mock, make_client):
    body = Body(None, head=b'{"tags":["')
    mock.get("/v2/app/tags/list").mock(side_effect=answer(body))
    with pytest.raises(MalformedResponse) as caught:
        [t async for t in make_client().tags("app")]
    assert str(caught.value) == "a page of the tags of app from reg.example.io is larger than 32 MiB; refusing it"
    assert_stopped_at(body, LIST_PAGE_BYTES)


async def test_a_catalog_page_past_the_cap(mock, make_client):
    body = Body(LIST_PAGE_BYTES + 1, head=b'{"repositories":["')
    mock.get("/v2/_catalog").mock(side_effect=answer(body))
    with pytest.raises(MalformedResponse, match="a page of repositories from reg.example.io is larger than 32 MiB"):
        [r async for r in make_client().repositories()]


async def test_a_config_blob_past_the_cap(mock, make_client):
    digest = c.fake_digest(7)
    body = Body(200 * MB)
    mock.get(f"/v2/app/blobs/{digest}").mock(side_effect=answer(body))
    with pytest.raises(MalformedResponse, match=r"blob sha256:000000000000 of app is larger than 8 MiB"):
        await make_client().get_blob("app", digest)
    assert_stopped_at(body, CONFIG_BYTES)


async def test_a_blob_redirect_target_is_capped_too(mock, make_client):
    digest = c.fake_digest(7)
    body = Body(None)
    mock.get(f"/v2/app/blobs/{digest}").respond(307, headers={"Location": "https://blobs.other.io/data"})
    mock.get("https://blobs.other.io/data").mock(side_effect=answer(body))
    with pytest.raises(MalformedResponse, match="larger than 8 MiB"):
        await make_client().get_blob("app", digest)
    assert_stopped_at(body, CONFIG_BYTES)


async def test_an_endless_error_body_is_cut_at_its_cap_and_still_read_for_its_code(mock, make_client):
    head = b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such repository"}]}'
    body = Body(None, head=head)
    mock.get("/v2/app/tags/list").mock(side_effect=answer(body, status=404))
    with pytest.raises(NotFound):
        [t async for t in make_client().tags("app")]
    assert ERROR_BODY_BYTES <= body.pulled <= ERROR_BODY_BYTES + 2 * CHUNK


async def test_an_endless_redirect_body_is_cut_short(mock, make_client):
    config = c.image_config()
    digest = c.sha256(config)
    body = Body(None)
    mock.get(f"/v2/app/blobs/{digest}").mock(
        side_effect=lambda request: httpx.Response(307, headers={"Location": "https://blobs.other.io/x"}, content=body))
    mock.get("https://blobs.other.io/x").respond(200, content=config)
    assert await make_client().get_blob("app", digest) == config
    assert body.pulled <= ERROR_BODY_BYTES + 2 * CHUNK


async def test_an_endless_401_body_inside_the_auth_flow_is_cut_short(mock, make_client, password):
    body = Body(None)
    registry = mock.get("/v2/app/tags/list")
    registry.mock(side_effect=[
        httpx.Response(401, headers={"WWW-Authenticate": bearer_challenge()}, content=body),
        httpx.Response(200, json={"tags": ["v1"]}),
    ])
    mock.get(REALM).respond(200, json={"token": "tok"})
    assert [t async for t in make_client(password).tags("app")] == ["v1"]
    assert body.pulled <= ERROR_BODY_BYTES + 2 * CHUNK


async def test_a_50_mb_token_answer_is_refused_at_its_cap(mock, make_client, password):
    body = Body(50 * MB, head=b'{"token":"', fill=b"a")
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).mock(side_effect=answer(body))
    with pytest.raises(MalformedResponse) as caught:
        [t async for t in make_client(password).tags("app")]
    assert str(caught.value) == "reg.example.io's token service answer is larger than 64 KiB; refusing it"
    assert_stopped_at(body, TOKEN_ANSWER_BYTES)


async def test_an_endless_token_error_is_cut_short(mock, make_client, password):
    body = Body(None, head=b'{"errors":[{"code":"UNAUTHORIZED"}]}')
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).mock(side_effect=answer(body, status=401))
    with pytest.raises(AuthenticationFailed):
        [t async for t in make_client(password).tags("app")]
    assert body.pulled <= ERROR_BODY_BYTES + 2 * CHUNK


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "deflate"])
async def test_a_compressed_answer_is_refused_unread(mock, make_client, encoding):
    body = Body(None)
    route = mock.get("/v2/app/manifests/v1").mock(side_effect=answer(body, headers={"Content-Encoding": encoding}))
    with pytest.raises(MalformedResponse, match=f"came compressed \\('{encoding}'\\)"):
        await make_client().get_manifest("app", "v1")
    assert body.pulled == 0
    assert route.calls.last.request.headers["accept-encoding"] == "identity"


async def test_a_compressed_error_body_is_dropped(mock, make_client):
    mock.get("/v2/app/tags/list").mock(side_effect=answer(Body(None), status=404, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(NotFound) as caught:
        [t async for t in make_client().tags("app")]
    assert "\n" not in str(caught.value)
