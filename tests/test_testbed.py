"""Prove the test bed is right, with raw httpx (no acrbrowse code)."""

from __future__ import annotations

import hashlib
import json
import time

import httpx
import pytest

from tests.testbed import Testbed, decode_jwt
from tests.testbed.content import (
    DOCKER_FOREIGN_LAYER,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    HELM_CONFIG,
    IN_TOTO,
    OCI_INDEX,
    OCI_MANIFEST,
)

ACCEPT = ", ".join([DOCKER_MANIFEST_LIST, OCI_INDEX, DOCKER_MANIFEST, OCI_MANIFEST])


def token(testbed: Testbed, *scopes: str, user: str | None = None) -> str:
    assert testbed.token_server and testbed.token
    auth = (user, testbed.users[user]) if user else None
    r = httpx.get(testbed.token_server.realm, params=[("service", testbed.token.service)] +
                  [("scope", s) for s in scopes], auth=auth)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}", "Accept": ACCEPT}


# -- content / anonymous mode ---------------------------------------------------------


def test_anon_manifest_list_has_four_platforms(testbed: Testbed) -> None:
    c = testbed.content
    r = httpx.get(f"{testbed.anon.url}/v2/aspnetapp/manifests/latest", headers={"Accept": ACCEPT})
    assert r.status_code == 200
    assert r.headers["content-type"] == DOCKER_MANIFEST_LIST
    assert r.headers["docker-content-digest"] == c.aspnetapp.digest
    assert r.content == c.aspnetapp.raw
    plats = [m["platform"] for m in r.json()["manifests"]]
    assert [(p["os"], p["architecture"], p.get("variant")) for p in plats] == [
        ("linux", "amd64", None), ("linux", "arm64", "v8"), ("linux", "arm", "v7"), ("windows", "amd64", None)]
    assert plats[3]["os.version"] == "10.0.17763.5329"
    amd64 = c.aspnetapp_amd64
    assert len(amd64.layers) == 7
    assert len(c.aspnetapp_platforms) == 4
    # the amd64 tag points at the image manifest directly; 8.0 at the list
    r = httpx.get(f"{testbed.anon.url}/v2/aspnetapp/manifests/8.0-amd64", headers={"Accept": ACCEPT})
    assert r.headers["docker-content-digest"] == amd64.digest
    assert r.headers["content-type"] == DOCKER_MANIFEST
    cfg = httpx.get(f"{testbed.anon.url}/v2/aspnetapp/blobs/{amd64.config.digest}").json()
    non_empty = [h for h in cfg["history"] if not h.get("empty_layer")]
    assert len(non_empty) == len(cfg["rootfs"]["diff_ids"]) == 7
    assert cfg["config"]["Entrypoint"] == ["./aspnetapp"]
    # layer bytes are really there, with the recorded size
    layer = amd64.layers[0]
    r = httpx.get(f"{testbed.anon.url}/v2/aspnetapp/blobs/{layer.digest}")
    assert len(r.content) == layer.size and "sha256:" + hashlib.sha256(r.content).hexdigest() == layer.digest
    sizes = [b.size for m in c.aspnetapp_platforms.values() for b in m.layers]
    assert len(set(sizes)) == len(sizes) and min(sizes) >= 1000 and max(sizes) <= 300_000


def test_other_content_as_recorded(testbed: Testbed) -> None:
    c, url = testbed.content, testbed.anon.url
    win = c.aspnetapp_platforms["windows/amd64"]
    assert c.aspnetapp_foreign_layer is not None and win.layers[0].media_type == DOCKER_FOREIGN_LAYER
    r = httpx.get(f"{url}/v2/buildkit/app/manifests/latest", headers={"Accept": ACCEPT})
    assert r.headers["content-type"] == OCI_INDEX and r.content == c.buildkit.raw
    atts = [m for m in r.json()["manifests"] if m["platform"]["os"] == "unknown"]
    assert len(atts) == 2
    for a in atts:
        assert a["annotations"]["vnd.docker.reference.type"] == "attestation-manifest"
        ref = a["annotations"]["vnd.docker.reference.digest"]
        assert ref in {m.digest for m in c.buildkit_images.values()}
        am = httpx.get(f"{url}/v2/buildkit/app/manifests/{a['digest']}", headers={"Accept": ACCEPT}).json()
        assert {lay["mediaType"] for lay in am["layers"]} == {IN_TOTO}
        assert {lay["annotations"]["in-toto.io/predicate-type"] for lay in am["layers"]} == {
            "https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"}
    r = httpx.get(f"{url}/v2/charts/mychart/manifests/0.1.0", headers={"Accept": ACCEPT})
    assert r.json()["config"]["mediaType"] == HELM_CONFIG and r.headers["docker-content-digest"] == c.chart.digest
    r = httpx.get(f"{url}/v2/aspnetapp/manifests/sbom", headers={"Accept": ACCEPT})
    assert r.json()["artifactType"] == "application/spdx+json"
    assert r.json()["subject"]["digest"] == c.aspnetapp_amd64.digest
    r = httpx.get(f"{url}/v2/dotnet/nightly/aspnet/manifests/9.0-preview", headers={"Accept": ACCEPT})
    assert r.headers["docker-content-digest"] == c.nightly.digest
    r = httpx.get(f"{url}/v2/bulk/repo-159/manifests/v1", headers={"Accept": ACCEPT})
    assert r.headers["docker-content-digest"] == c.bulk["bulk/repo-159"].digest


def test_catalog_pages_with_link(testbed: Testbed) -> None:
    url = f"{testbed.anon.url}/v2/_catalog?n=100"
    repos: list[str] = []
    links = 0
    while url:
        r = httpx.get(url)
        assert r.status_code == 200
        repos += r.json()["repositories"]
        link = r.headers.get("link")
        if link:
            links += 1
            url = testbed.anon.url + link.split(";")[0].strip("<> ")
        else:
            url = ""
    assert links >= 1
    assert len(repos) >= 150
    # other tests in this worker may have pushed scratch/ repositories into the shared bed
    assert [name for name in repos if not name.startswith("scratch/")] == testbed.content.repositories


def test_manytags(testbed: Testbed) -> None:
    r = httpx.get(f"{testbed.anon.url}/v2/manytags/tags/list")
    tags = r.json()["tags"]
    assert len(tags) >= 2000
    assert sorted(tags) == sorted(testbed.content.manytags)


# -- basic mode -----------------------------------------------------------------------


def test_basic_mode(testbed: Testbed) -> None:
    r = httpx.get(f"{testbed.basic.url}/v2/")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    r = httpx.get(f"{testbed.basic.url}/v2/", auth=("admin", "wrong"))
    assert r.status_code == 401
    r = httpx.get(f"{testbed.basic.url}/v2/aspnetapp/manifests/latest", headers={"Accept": ACCEPT},
                  auth=("admin", testbed.users["admin"]))
    assert r.status_code == 200 and r.headers["docker-content-digest"] == testbed.content.aspnetapp.digest


# -- token mode -----------------------------------------------------------------------


def test_token_readonlypull(testbed: Testbed) -> None:
    url = testbed.token.url
    r = httpx.get(f"{url}/v2/aspnetapp/manifests/latest")
    assert r.status_code == 401
    ch = r.headers["www-authenticate"]
    assert ch.startswith("Bearer ") and testbed.token_server.realm in ch and testbed.token.service in ch

    tok = token(testbed, "repository:aspnetapp:pull", user="readonlypull")
    header, claims = decode_jwt(tok)
    assert header["alg"] == "ES256" and len(header["kid"].split(":")) == 12
    assert claims["aud"] == testbed.token.service and claims["sub"] == "readonlypull"
    r = httpx.get(f"{url}/v2/aspnetapp/manifests/latest", headers=bearer(tok))
    assert r.status_code == 200

    tok2 = token(testbed, "repository:buildkit/app:pull", user="readonlypull")
    assert decode_jwt(tok2)[1]["access"] == [{"type": "repository", "name": "buildkit/app", "actions": []}]
    r = httpx.get(f"{url}/v2/buildkit/app/manifests/latest", headers=bearer(tok2))
    assert r.status_code in (401, 403)

    # asking for push on aspnetapp: 200, but only pull granted
    tok3 = token(testbed, "repository:aspnetapp:pull,push,delete", user="readonlypull")
    assert decode_jwt(tok3)[1]["access"][0]["actions"] == ["pull"]

    cat = token(testbed, "registry:catalog:*", user="readonlypull")
    r = httpx.get(f"{url}/v2/_catalog", headers=bearer(cat))
    assert r.status_code in (401, 403)
    cat = token(testbed, "registry:catalog:*", user="admin")
    r = httpx.get(f"{url}/v2/_catalog", headers=bearer(cat))
    assert r.status_code == 200 and len(r.json()["repositories"]) == 100


def test_token_anonymous_and_wrong_password(testbed: Testbed) -> None:
    url = testbed.token.url
    tok = token(testbed, "repository:public/hello:pull")
    r = httpx.get(f"{url}/v2/public/hello/manifests/latest", headers=bearer(tok))
    assert r.status_code == 200 and r.headers["docker-content-digest"] == testbed.content.public_hello.digest
    tok = token(testbed, "repository:aspnetapp:pull")
    assert httpx.get(f"{url}/v2/aspnetapp/manifests/latest", headers=bearer(tok)).status_code == 401

    r = httpx.get(testbed.token_server.realm, params={"service": testbed.token.service,
                                                      "scope": "repository:aspnetapp:pull"},
                  auth=("admin", "not-the-password"))
    assert r.status_code == 401
    assert r.json() == {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}


def test_token_post_refresh_and_lifetime(testbed: Testbed, token_server) -> None:
    svc = testbed.token.service
    r = httpx.post(token_server.realm, data={"grant_type": "password", "username": "admin",
                                             "password": testbed.users["admin"], "service": svc,
                                             "scope": "repository:aspnetapp:pull registry:catalog:*",
                                             "access_type": "offline"})
    assert r.status_code == 200
    body = r.json()
    access = decode_jwt(body["access_token"])[1]["access"]
    assert access == [{"type": "repository", "name": "aspnetapp", "actions": ["pull"]},
                      {"type": "registry", "name": "catalog", "actions": ["*"]}]
    assert body["refresh_token"]

    rt = token_server.refresh_token_for("readonlypull")
    r = httpx.post(token_server.realm, data={"grant_type": "refresh_token", "refresh_token": rt, "service": svc,
                                             "scope": "repository:aspnetapp:pull"})
    assert r.status_code == 200 and decode_jwt(r.json()["access_token"])[1]["sub"] == "readonlypull"
    r = httpx.post(token_server.realm, data={"grant_type": "refresh_token", "refresh_token": "nope", "service": svc})
    assert r.status_code == 401
    # ACR-style: refresh token as password of the all-zero user
    r = httpx.get(token_server.realm, params={"service": svc, "scope": "repository:aspnetapp:pull"},
                  auth=("00000000-0000-0000-0000-000000000000", rt))
    assert r.status_code == 200
    # AAD exchange
    r = httpx.post(f"{token_server.url}/oauth2/exchange",
                   data={"grant_type": "access_token", "service": svc, "access_token": token_server.aad_token_for("admin")})
    assert r.status_code == 200 and r.json()["refresh_token"]

    token_server.lifetime = 2
    token_server.send_expires_in = False
    r = httpx.get(token_server.realm, params={"service": svc})
    assert "expires_in" not in r.json()
    claims = decode_jwt(r.json()["access_token"])[1]
    assert claims["exp"] - claims["iat"] == 2
    assert [(m, has) for m, _, has in token_server.requests] == [
        ("POST", False), ("POST", False), ("POST", False), ("GET", True), ("POST", False), ("GET", False)]


def test_strict_expiry_via_proxy(testbed: Testbed, token_server, fault_proxy) -> None:
    proxy = fault_proxy("token")
    proxy.strip_expired_bearer()
    token_server.lifetime = 1
    tok = token(testbed, "repository:public/hello:pull")
    assert httpx.get(f"{proxy.url}/v2/public/hello/tags/list", headers=bearer(tok)).status_code == 200
    time.sleep(2.1)
    r = httpx.get(f"{proxy.url}/v2/public/hello/tags/list", headers=bearer(tok))
    assert r.status_code == 401 and 'scope="repository:public/hello:pull"' in r.headers["www-authenticate"]
    # without the proxy the registry still accepts it (60 s leeway)
    assert httpx.get(f"{testbed.token.url}/v2/public/hello/tags/list", headers=bearer(tok)).status_code == 200


# -- fault proxy ------------------------------------------------------------------------


def test_proxy_forwards_and_logs(testbed: Testbed, fault_proxy) -> None:
    proxy = fault_proxy("basic")
    with httpx.Client(base_url=proxy.url) as c:  # one keep-alive connection
        r = c.get("/v2/")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        r = c.get("/v2/_catalog", params={"n": 10}, auth=("admin", testbed.users["admin"]))
        assert r.status_code == 200 and 'rel="next"' in r.headers["link"]
        m = testbed.content.aspnetapp_amd64
        r = c.head(f"/v2/aspnetapp/manifests/{m.digest}", headers={"Accept": ACCEPT},
                   auth=("admin", testbed.users["admin"]))
        assert r.status_code == 200 and int(r.headers["content-length"]) == m.size
        # a push through the proxy: Location must come back pointing at the proxy
        r = c.post("/v2/scratch/proxy/blobs/uploads/", auth=("admin", testbed.users["admin"]))
        assert r.status_code == 202
        loc = r.headers["location"]
        assert loc.startswith("/") or proxy.host in loc
        data = b"hello through the proxy"
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        r = c.put(f"{loc}&digest={digest}", content=data, auth=("admin", testbed.users["admin"]))
        assert r.status_code == 201
    assert [(e.method, e.status) for e in proxy.log] == [
        ("GET", 401), ("GET", 200), ("HEAD", 200), ("POST", 202), ("PUT", 201)]
    assert proxy.log[1].headers["Authorization"].startswith("Basic ")
    proxy.clear_log()
    assert proxy.log == []


def test_proxy_throttle_error_reset(testbed: Testbed, fault_proxy) -> None:
    proxy = fault_proxy("anon")
    rule = proxy.throttle("GET", r"/manifests/", retry_after=3, times=1)
    r = httpx.get(f"{proxy.url}/v2/aspnetapp/manifests/latest", headers={"Accept": ACCEPT})
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    r = httpx.get(f"{proxy.url}/v2/aspnetapp/manifests/latest", headers={"Accept": ACCEPT})
    assert r.status_code == 200 and rule.hits == 1

    proxy.error("GET", r"/tags/list$", 503, times=2)
    assert httpx.get(f"{proxy.url}/v2/public/hello/tags/list").status_code == 503
    assert httpx.get(f"{proxy.url}/v2/public/hello/tags/list").status_code == 503
    assert httpx.get(f"{proxy.url}/v2/public/hello/tags/list").status_code == 200

    proxy.reset("GET", r"^/v2/$", times=1)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{proxy.url}/v2/")
    assert httpx.get(f"{proxy.url}/v2/").status_code == 200
    assert proxy.log[-2].status is None and proxy.log[-2].action == "reset"

    proxy.truncate("GET", r"/blobs/", keep=100, times=1)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{proxy.url}/v2/aspnetapp/blobs/{testbed.content.aspnetapp_amd64.layers[0].digest}")


def test_proxy_delay_latency_replace(testbed: Testbed, fault_proxy) -> None:
    proxy = fault_proxy("anon", latency=0.05)
    t0 = time.monotonic()
    httpx.get(f"{proxy.url}/v2/")
    assert time.monotonic() - t0 >= 0.1
    proxy.latency = 0
    proxy.delay("GET", r"^/v2/$", 0.3, times=1)
    t0 = time.monotonic()
    assert httpx.get(f"{proxy.url}/v2/").status_code == 200
    assert time.monotonic() - t0 >= 0.3
    m = testbed.content.aspnetapp
    proxy.replace_body("GET", r"/manifests/latest$", b'{"schemaVersion": 2, "mediaType": "bogus"', times=1)
    r = httpx.get(f"{proxy.url}/v2/aspnetapp/manifests/latest", headers={"Accept": ACCEPT})
    assert r.headers["docker-content-digest"] == m.digest
    with pytest.raises(json.JSONDecodeError):
        r.json()


def test_proxy_tag_pagination(testbed: Testbed, fault_proxy) -> None:
    proxy = fault_proxy("anon")
    proxy.paginate_tags()
    url: str | None = f"{proxy.url}/v2/manytags/tags/list?n=500"
    tags: list[str] = []
    pages = 0
    while url:
        r = httpx.get(url)
        assert r.status_code == 200
        pages += 1
        page = r.json()["tags"]
        assert len(page) <= 500
        tags += page
        link = r.headers.get("link")
        url = proxy.url + link.split(";")[0].strip("<> ") if link else None
    assert pages == 5 and tags == sorted(testbed.content.manytags)

    proxy.clear_rules()
    proxy.paginate_tags(link_host="evil.example:443")
    r = httpx.get(f"{proxy.url}/v2/manytags/tags/list?n=10")
    assert r.headers["link"].startswith("<http://evil.example:443/v2/manytags/tags/list?n=10&last=")


def test_proxy_blob_redirect_drops_authorization(testbed: Testbed, fault_proxy) -> None:
    proxy = fault_proxy("token")
    proxy.redirect_blobs()
    layer = testbed.content.aspnetapp_amd64.layers[2]
    tok = token(testbed, "repository:aspnetapp:pull", user="readonlypull")
    # without auth: the registry's 401 passes through, no redirect
    r = httpx.get(f"{proxy.url}/v2/aspnetapp/blobs/{layer.digest}")
    assert r.status_code == 401
    r = httpx.get(f"{proxy.url}/v2/aspnetapp/blobs/{layer.digest}", headers=bearer(tok))
    assert r.status_code == 307
    loc = r.headers["location"]
    assert loc.startswith(proxy.blob_server.url) and proxy.host not in loc
    r = httpx.get(f"{proxy.url}/v2/aspnetapp/blobs/{layer.digest}", headers=bearer(tok), follow_redirects=True)
    assert r.status_code == 200 and len(r.content) == layer.size
    assert "sha256:" + hashlib.sha256(r.content).hexdigest() == layer.digest
    req = proxy.blob_server.requests[-1]
    assert "Authorization" not in req.headers and req.status == 200


def test_scratch_image_and_delete(testbed: Testbed) -> None:
    m = testbed.push_scratch_image("scratch/testbed-delete", "tmp")
    admin = ("admin", testbed.users["admin"])
    url = f"{testbed.basic.url}/v2/scratch/testbed-delete/manifests"
    r = httpx.get(f"{url}/tmp", headers={"Accept": ACCEPT}, auth=admin)
    assert r.status_code == 200 and r.headers["docker-content-digest"] == m.digest
    assert httpx.delete(f"{url}/{m.digest}", auth=admin).status_code == 202
    assert httpx.get(f"{url}/tmp", headers={"Accept": ACCEPT}, auth=admin).status_code == 404
