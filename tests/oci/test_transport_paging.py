"""Link paging: at most MAX_LIST_PAGES pages, a stop on any URL seen before, the same-origin rule, any
unusable Link a one-line MalformedResponse, and a million tags over a thousand pages, every one (bench/paging.py times it)."""

from __future__ import annotations

import httpx
import pytest

from acrbrowse.oci.errors import InsecureRequest, MalformedResponse, RegistryError
from acrbrowse.oci.remote import client as client_module
from acrbrowse.oci.remote.client import RegistryClient

from .conftest import REGISTRY


async def pages_of(client: RegistryClient, repository: str = "app") -> list[list[str]]:
    return [page async for page in client.tag_pages(repository)]


def linked(next_link: str | None, tags=("v1",)) -> httpx.Response:
    headers = {"Link": f'<{next_link}>; rel="next"'} if next_link is not None else {}
    return httpx.Response(200, json={"tags": list(tags)}, headers=headers)


async def test_a_chain_of_new_urls_stops_at_the_page_limit(mock, make_client, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_LIST_PAGES", 50)
    route = mock.get("/v2/app/tags/list").mock(
        side_effect=lambda request: linked(f"/v2/app/tags/list?last={int(request.url.params.get('last', 0)) + 1}"))
    with pytest.raises(MalformedResponse) as caught:
        await pages_of(make_client())
    assert route.call_count == 50
    assert str(caught.value) == f"{REGISTRY} lists tags over more than 50 pages; stopped there"


def test_the_page_limit_is_the_one_in_limits():
    from acrbrowse import limits

    assert client_module.MAX_LIST_PAGES == limits.MAX_LIST_PAGES == 10_000


async def test_a_loop_through_several_pages_stops_at_the_first_repeat(mock, make_client):
    ring = {"a": "b", "b": "c", "c": "a"}
    route = mock.get("/v2/app/tags/list").mock(side_effect=lambda request: linked(
        f"/v2/app/tags/list?last={ring[request.url.params.get('last', 'c')]}",
        tags=[request.url.params.get("last", "first")]))
    assert await pages_of(make_client()) == [["first"], ["a"], ["b"], ["c"]]
    assert route.call_count == 4  # first, a, b, c; c links back to a: stop


@pytest.mark.parametrize("link", [
    "https://reg.example.io:abc/v2/app/tags/list",
    "https://reg.example.io:99999/v2/app/tags/list",
    "//reg.example.io:0/v2/app/tags/list",
    "http://[::1",
    "/v2/app/tags/list?last=\x1b[2J",
    "https://re\x00g.example.io/",
])
async def test_an_unusable_link_is_a_malformed_response(mock, make_client, link):
    mock.get("/v2/app/tags/list").mock(side_effect=lambda request: linked(link))
    with pytest.raises(MalformedResponse) as caught:
        await pages_of(make_client())
    assert str(caught.value).startswith(f"{REGISTRY}'s next page of tags is not a usable URL: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("link", ["ftp://reg.example.io/x", "javascript:alert(1)", "file:///etc/passwd",
                                  "http://reg.example.io/v2/app/tags/list", "https://reg.example.io:8443/x"])
async def test_a_link_to_another_scheme_or_origin_is_refused(mock, make_client, link):
    mock.get("/v2/app/tags/list").mock(side_effect=lambda request: linked(link))
    with pytest.raises(InsecureRequest):
        await pages_of(make_client())


@pytest.mark.parametrize("header", ["<>; rel=next", "garbage", ";;;,,,<", '<?last=x>; rel="next"; rel="next"', ""])
async def test_odd_link_headers_never_crash(mock, make_client, header):
    mock.get("/v2/app/tags/list").respond(200, json={"tags": ["v1"]}, headers={"Link": header})
    try:
        await pages_of(make_client())
    except RegistryError as error:
        assert "\n" not in str(error)


async def test_a_million_tags_over_a_thousand_pages_all_arrive():
    """Every page of a long listing is read, in order (how its time grows: bench/paging.py)."""
    pages, per_page = 1_000, 1_000
    bodies = [httpx.Response(200, json={"tags": [f"t{p}-{i}" for i in range(per_page)]}).content
              for p in range(pages)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("last", "0"))
        headers = {"Link": f'</v2/big/tags/list?n={per_page}&last={page + 1}>; rel="next"'} if page + 1 < pages else {}
        return httpx.Response(200, content=bodies[page], headers=headers)

    async with RegistryClient(REGISTRY, transport=httpx.MockTransport(handler)) as client:
        seen = [page async for page in client.tag_pages("big")]
    assert len(seen) == pages and sum(map(len, seen)) == 1_000_000
    assert seen[0][0] == "t0-0" and seen[-1][-1] == f"t{pages - 1}-{per_page - 1}"
