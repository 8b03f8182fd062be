"""The test bed's ACR layer (tests/testbed/acr.py) answers as ACR's /acr/v1 does: scope
`metadata_read` granted per user by the token server (admin yes, readonlypull no), ACR's fields and
time format, Link paging, NAME_UNKNOWN; everything else is forwarded to the registry."""

from __future__ import annotations

import re

import httpx

ACR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")



def token(testbed, user: str | None, repo: str) -> str:
    auth = (user, testbed.users[user]) if user else None
    answer = httpx.get(testbed.token_server.realm, auth=auth,
                       params={"service": testbed.token.service, "scope": f"repository:{repo}:metadata_read"})
    answer.raise_for_status()
    return answer.json()["access_token"]


def test_without_metadata_read_the_answer_is_acr_s_challenge(testbed, acr):
    bare = httpx.get(f"{acr.url}/acr/v1/aspnetapp/_tags")
    assert bare.status_code == 401
    challenge = bare.headers["WWW-Authenticate"]
    assert f'realm="{testbed.token_server.realm}"' in challenge
    assert 'scope="repository:aspnetapp:metadata_read"' in challenge
    pull_only = token(testbed, "readonlypull", "aspnetapp")
    refused = httpx.get(f"{acr.url}/acr/v1/aspnetapp/_tags", headers={"Authorization": f"Bearer {pull_only}"})
    assert refused.status_code == 401
    forged = pull_only.rsplit(".", 1)[0] + "." + token(testbed, "admin", "aspnetapp").rsplit(".", 1)[1]
    assert httpx.get(f"{acr.url}/acr/v1/aspnetapp", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_admin_pages_tags_newest_first_with_acr_fields(testbed, acr):
    headers = {"Authorization": f"Bearer {token(testbed, 'admin', 'manytags')}"}
    url = f"{acr.url}/acr/v1/manytags/_tags?n=1000&orderby=timedesc"
    names, times = [], []
    while url:
        page = httpx.get(url, headers=headers)
        assert page.status_code == 200
        doc = page.json()
        assert (doc["imageName"], set(doc)) == ("manytags", {"registry", "imageName", "tags"})
        for tag in doc["tags"]:
            assert set(tag) == {"name", "digest", "createdTime", "lastUpdateTime", "signed", "changeableAttributes"}
            assert ACR_TIME.fullmatch(tag["lastUpdateTime"]) and ACR_TIME.fullmatch(tag["createdTime"])
            names.append(tag["name"])
            times.append(tag["lastUpdateTime"])
        link = page.links.get("next", {}).get("url")
        url = f"{acr.url}{link}" if link else ""
    assert sorted(names) == sorted(testbed.content.manytags)
    assert times == sorted(times, reverse=True)


def test_unknown_repository_and_forwarding(testbed, acr):
    headers = {"Authorization": f"Bearer {token(testbed, 'admin', 'no/such')}"}
    missing = httpx.get(f"{acr.url}/acr/v1/no/such/_tags", headers=headers)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    assert httpx.get(f"{acr.url}/v2/").status_code == 401  # the token registry's own answer
    assert acr.acr_requests == 1
