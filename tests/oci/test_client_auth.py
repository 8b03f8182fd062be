"""Sign-in as registries do it: bearer tokens from a realm, Basic, and what must never leak."""

import time
import urllib.parse

import httpx
import pytest

from acrbrowse.oci.errors import (
    AccessDenied,
    AuthenticationFailed,
    AuthenticationRequired,
    CatalogDenied,
    Hint,
    InsecureRequest,
    IntegrityError,
    MalformedResponse,
    RateLimited,
    ServerError,
)
from acrbrowse.oci.remote.auth import DEFAULT_TOKEN_LIFETIME, jwt_expiry, token_lifetime

from . import content as c
from .conftest import (
    CANARY,
    CANARY_BASIC,
    REALM,
    REGISTRY,
    at_most,
    auth_of,
    bearer_challenge,
    jwt,
    protected,
    token_responder,
    unauthorized,
)

TAGS = {"name": "app", "tags": ["v1"]}


async def tags(client, repository="app"):
    return [tag async for tag in client.tags(repository)]


def params_of(route, index=-1):
    return urllib.parse.parse_qsl(route.calls[index].request.url.query.decode())


# ---- the bearer flow ------------------------------------------------------------------------------

async def test_bearer_flow_with_a_password(mock, make_client, password):
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected({"tok-1"}, httpx.Response(200, json=TAGS),
                                                                        bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder("tok-1"))
    client = make_client(password)
    assert await tags(client) == ["v1"]
    assert realm.call_count == 1
    request = realm.calls[0].request
    assert sorted(params_of(realm)) == [("scope", "repository:app:pull"), ("service", REGISTRY)]
    assert request.headers["authorization"] == f"Basic {CANARY_BASIC}"
    assert auth_of(registry) == [None, "Bearer tok-1"]


async def test_access_token_is_accepted_too(mock, make_client, password):
    mock.get("/v2/app/tags/list").mock(side_effect=protected({"oauth"}, httpx.Response(200, json=TAGS),
                                                             bearer_challenge()))
    mock.get(REALM).respond(200, json={"access_token": "oauth", "expires_in": 300})
    assert await tags(make_client(password)) == ["v1"]


async def test_token_is_preferred_over_access_token(mock, make_client, password):
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok"}, httpx.Response(200, json=TAGS), bearer_challenge()))
    mock.get(REALM).respond(200, json={"token": "tok", "access_token": "other"})
    assert await tags(make_client(password)) == ["v1"]
    assert auth_of(registry)[-1] == "Bearer tok"


async def test_token_is_cached_and_sent_up_front(mock, make_client, password):
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok-1"}, httpx.Response(200, json=TAGS), bearer_challenge()))
    manifest = mock.get("/v2/app/manifests/v1").mock(side_effect=protected(
        {"tok-1"}, httpx.Response(200, content=c.image_manifest(c.image_config())), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder("tok-1", "tok-2"))
    client = make_client(password)
    await tags(client)
    await tags(client)
    await client.get_manifest("app", "v1")  # same repository, same scope: same token
    assert realm.call_count == 1
    assert auth_of(registry) == [None, "Bearer tok-1", "Bearer tok-1"]
    assert auth_of(manifest) == ["Bearer tok-1"]


async def test_another_repository_needs_another_token(mock, make_client, password):
    mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok-app"}, httpx.Response(200, json=TAGS), bearer_challenge("repository:app:pull")))
    other = mock.get("/v2/web/tags/list").mock(side_effect=protected(
        {"tok-web"}, httpx.Response(200, json=TAGS), bearer_challenge("repository:web:pull")))
    realm = mock.get(REALM).mock(side_effect=lambda request: httpx.Response(
        200, json={"token": "tok-" + request.url.params["scope"].split(":")[1]}))
    client = make_client(password)
    await tags(client, "app")
    await tags(client, "web")
    assert realm.call_count == 2
    # The realm is known after the first 401, so the second repository's token comes first:
    # no round trip is spent on a second 401.
    assert auth_of(other) == ["Bearer tok-web"]


async def test_expires_in_is_honoured(mock, make_client, password, clock):
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok-1", "tok-2"}, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder("tok-1", "tok-2", expires_in=300))
    client = make_client(password)
    await tags(client)
    clock.advance(250)  # within 300 s less the 30 s safety margin
    await tags(client)
    assert realm.call_count == 1
    clock.advance(30)  # 280 s: inside the margin, so no longer used
    await tags(client)
    assert realm.call_count == 2
    # An expired token is replaced before the request goes out, not after a 401.
    assert auth_of(registry) == [None, "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


async def test_without_expires_in_the_jwt_exp_is_honoured(mock, make_client, password, clock):
    first, second = jwt(time.time() + 120, n=1), jwt(time.time() + 3600, n=2)
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {first, second}, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder(first, second))
    client = make_client(password)
    await tags(client)
    clock.advance(100)  # 120 s lifetime less a 12 s margin: still good
    await tags(client)
    assert realm.call_count == 1
    clock.advance(10)
    await tags(client)
    assert realm.call_count == 2
    assert auth_of(registry)[-1] == f"Bearer {second}"


async def test_a_jwt_already_expired_is_fetched_anew_once_per_request(mock, make_client, password):
    stale, fresh = jwt(time.time() - 5, n=1), jwt(time.time() + 3600, n=2)
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {stale, fresh}, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder(stale, fresh))
    client = make_client(password)
    await tags(client)
    await tags(client)  # the cached token is past its exp: not sent, a fresh one fetched first
    assert realm.call_count == 2
    assert auth_of(registry) == [None, f"Bearer {stale}", f"Bearer {fresh}"]
    await tags(client)
    assert realm.call_count == 2
    assert auth_of(registry)[-1] == f"Bearer {fresh}"


async def test_a_token_the_registry_rejects_is_replaced_once(mock, make_client, password):
    valid = {"tok-1"}
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        valid, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder("tok-1", "tok-2", expires_in=3600))
    client = make_client(password)
    await tags(client)
    valid.clear()
    valid.add("tok-2")  # the registry revoked tok-1 before its expires_in said
    assert await tags(client) == ["v1"]
    assert realm.call_count == 2
    assert auth_of(registry) == [None, "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


async def test_a_registry_that_rejects_every_token_does_not_loop(mock, make_client, password):
    registry = mock.get("/v2/app/tags/list").mock(
        side_effect=at_most(10, lambda request: unauthorized(bearer_challenge())))
    realm = mock.get(REALM).mock(side_effect=at_most(10, token_responder("tok-1", "tok-2")))
    client = make_client(password)
    with pytest.raises(AccessDenied) as caught:
        await tags(client)
    assert realm.call_count == 1 and registry.call_count == 2
    assert str(caught.value) == f"access to app on {REGISTRY} denied: the credential lacks the right to list the tags of app"
    with pytest.raises(AccessDenied):
        await tags(client)  # up front with tok-1, refused, one fresh token, refused: stop
    assert realm.call_count == 2 and registry.call_count == 4


async def test_realm_refusing_the_password(mock, make_client, password):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).respond(401, json={"details": "incorrect username or password"})
    with pytest.raises(AuthenticationFailed) as caught:
        await tags(make_client(password))
    message = str(caught.value)
    assert message == (f"{REGISTRY} refused the credentials of 'alice' (from test): wrong username, password or "
                       "token")
    assert caught.value.hint is Hint.SIGN_IN_AGAIN and caught.value.registry == REGISTRY


async def test_identity_token_is_exchanged_as_a_refresh_token(mock, make_client, identity_token):
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"acr-access"}, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.post(REALM).respond(200, json={"access_token": "acr-access"})
    assert await tags(make_client(identity_token)) == ["v1"]
    request = realm.calls[0].request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in request.headers
    form = dict(urllib.parse.parse_qsl(request.content.decode()))
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == CANARY
    assert form["service"] == REGISTRY
    assert form["scope"] == "repository:app:pull"
    assert CANARY not in str(request.url)
    assert auth_of(registry)[-1] == "Bearer acr-access"


async def test_anonymous_token_request_carries_no_authorization(mock, make_client):
    mock.get("/v2/library/ubuntu/tags/list").mock(side_effect=protected(
        {"anon"}, httpx.Response(200, json=TAGS), bearer_challenge("repository:library/ubuntu:pull")))
    realm = mock.get(REALM).respond(200, json={"token": "anon"})
    assert await tags(make_client(), "library/ubuntu") == ["v1"]
    assert "authorization" not in realm.calls[0].request.headers
    assert ("scope", "repository:library/ubuntu:pull") in params_of(realm)


async def test_anonymous_refused_by_the_realm_is_told_to_sign_in(mock, make_client):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).respond(401)
    with pytest.raises(AuthenticationRequired) as caught:
        await tags(make_client())
    assert str(caught.value) == f"{REGISTRY} requires you to sign in"
    assert caught.value.hint is Hint.SIGN_IN and caught.value.registry == REGISTRY


async def test_credentials_are_never_sent_to_a_plain_http_realm(mock, make_client, password, identity_token):
    mock.get("/v2/app/tags/list").respond(
        401, headers={"WWW-Authenticate": bearer_challenge(realm="http://auth.example.io/token")})
    realm = mock.route(host="auth.example.io").respond(200, json={"token": "t"})
    for credential in (password, identity_token):
        with pytest.raises(InsecureRequest) as caught:
            await tags(make_client(credential))
        assert "plain-HTTP token service (auth.example.io); refusing to expose them" in str(caught.value)
    assert not realm.called


async def test_anonymous_may_use_a_plain_http_realm(mock, make_client):
    mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"t"}, httpx.Response(200, json=TAGS), bearer_challenge(realm="http://auth.example.io/token")))
    realm = mock.get("http://auth.example.io/token").respond(200, json={"token": "t"})
    assert await tags(make_client()) == ["v1"]
    assert realm.call_count == 1


async def test_a_realm_that_is_not_http_is_refused(mock, make_client):
    mock.get("/v2/app/tags/list").respond(
        401, headers={"WWW-Authenticate": bearer_challenge(realm="file:///etc/passwd")})
    with pytest.raises(InsecureRequest, match="not HTTP"):
        await tags(make_client())


async def test_several_scopes_are_sent_as_several_params(mock, make_client, password):
    scopes = "repository:app:pull repository:base/image:pull"
    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok"}, httpx.Response(200, json=TAGS), bearer_challenge(scopes)))
    realm = mock.get(REALM).respond(200, json={"token": "tok"})
    assert await tags(make_client(password)) == ["v1"]
    assert [value for key, value in params_of(realm) if key == "scope"] == scopes.split()
    assert registry.call_count == 2


async def test_challenge_without_a_scope_uses_the_requests_own(mock, make_client, password):
    mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok"}, httpx.Response(200, json=TAGS), f'Bearer realm="{REALM}",service="{REGISTRY}"'))
    realm = mock.get(REALM).respond(200, json={"token": "tok"})
    assert await tags(make_client(password)) == ["v1"]
    assert ("scope", "repository:app:pull") in params_of(realm)


async def test_acr_catalog_denied_after_a_good_token(mock, make_client, password):
    catalog = mock.get("/v2/_catalog").respond(401, headers={
        "WWW-Authenticate": bearer_challenge("registry:catalog:*", error="insufficient_scope")})
    realm = mock.get(REALM).respond(200, json={"access_token": "repo-scoped"})
    with pytest.raises(CatalogDenied) as caught:
        async for _ in make_client(password).repository_pages():
            pass
    message = str(caught.value)
    assert "cannot list repositories" in message
    assert caught.value.hint is Hint.NAME_A_REPOSITORY
    assert realm.call_count == 1 and auth_of(catalog) == [None, "Bearer repo-scoped"]
    assert ("scope", "registry:catalog:*") in params_of(realm)


async def test_anonymous_catalog_denied(mock, make_client):
    mock.get("/v2/_catalog").respond(401, headers={"WWW-Authenticate": 'Basic realm="Registry"'})
    with pytest.raises(CatalogDenied, match="does not let anonymous users list repositories") as caught:
        async for _ in make_client().repository_pages():
            pass
    assert caught.value.hint is Hint.SIGN_IN_OR_NAME_REPOSITORY


async def test_token_service_without_a_token(mock, make_client, password):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).respond(200, json={"expires_in": 60})
    with pytest.raises(MalformedResponse, match="without a token"):
        await tags(make_client(password))
    mock.get(REALM).respond(200, content=b"<html>")
    with pytest.raises(MalformedResponse, match="without a token"):
        await tags(make_client(password))


async def test_token_service_errors_are_retried_then_reported(mock, make_client, password, sleeps):
    mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok"}, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=[httpx.Response(503), httpx.Response(200, json={"token": "tok"})])
    assert await tags(make_client(password)) == ["v1"]
    assert realm.call_count == 2 and len(sleeps) == 1
    mock.get(REALM).respond(500)
    with pytest.raises(ServerError, match="token service failed"):
        await tags(make_client(password, retries=1))
    mock.get(REALM).respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited, match="token service is throttling"):
        await tags(make_client(password))


async def test_bearer_challenge_without_a_realm(mock, make_client, password):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": 'Bearer service="x"'})
    with pytest.raises(MalformedResponse, match="named no realm"):
        await tags(make_client(password))


# ---- Basic ------------------------------------------------------------------------------------------

def basic_protected(respond):
    def handler(request):
        if request.headers.get("authorization") == f"Basic {CANARY_BASIC}":
            return respond
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="Registry Realm"'})
    return handler


async def test_basic_challenge_with_a_password(mock, make_client, password):
    registry = mock.get("/v2/app/tags/list").mock(side_effect=basic_protected(httpx.Response(200, json=TAGS)))
    client = make_client(password)
    assert await tags(client) == ["v1"]
    assert auth_of(registry) == [None, f"Basic {CANARY_BASIC}"]
    assert await tags(client) == ["v1"]
    assert auth_of(registry)[2:] == [f"Basic {CANARY_BASIC}"]  # up front from then on


async def test_basic_refused(mock, make_client, password):
    registry = mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": 'Basic realm="Registry Realm"'})
    with pytest.raises(AuthenticationFailed) as caught:
        await tags(make_client(password))
    assert registry.call_count == 2
    assert str(caught.value) == (f"{REGISTRY} refused the credentials of 'alice' (from test): wrong username or "
                                 "password")
    assert caught.value.hint is Hint.SIGN_IN_AGAIN


async def test_basic_challenge_without_credentials(mock, make_client):
    registry = mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": 'Basic realm="Registry Realm"'})
    with pytest.raises(AuthenticationRequired, match="requires you to sign in") as caught:
        await tags(make_client())
    assert caught.value.hint is Hint.SIGN_IN
    assert registry.call_count == 1


# ---- redirects ---------------------------------------------------------------------------------------

BLOB = c.image_config()
BLOB_DIGEST = c.sha256(BLOB)
STORAGE = f"https://blobs.other.io/docker/registry/v2/blobs/sha256/{BLOB_DIGEST[7:9]}/{BLOB_DIGEST[7:]}/data"


@pytest.mark.parametrize("status", [302, 307])
async def test_blob_redirect_to_storage_drops_the_authorization(mock, make_client, password, status):
    registry = mock.get(f"/v2/app/blobs/{BLOB_DIGEST}").mock(side_effect=protected(
        {"tok"}, httpx.Response(status, headers={"Location": STORAGE + "?sig=abc"}), bearer_challenge()))
    mock.get(REALM).respond(200, json={"token": "tok"})
    storage = mock.get(STORAGE).respond(200, content=BLOB)
    assert await make_client(password).get_blob("app", BLOB_DIGEST) == BLOB
    assert auth_of(registry) == [None, "Bearer tok"]
    assert storage.call_count == 1
    assert "authorization" not in storage.calls[0].request.headers
    assert storage.calls[0].request.url.params["sig"] == "abc"


async def test_basic_auth_is_not_forwarded_to_storage_either(mock, make_client, password):
    mock.get(f"/v2/app/blobs/{BLOB_DIGEST}").mock(
        side_effect=basic_protected(httpx.Response(307, headers={"Location": STORAGE})))
    storage = mock.get(STORAGE).respond(200, content=BLOB)
    assert await make_client(password).get_blob("app", BLOB_DIGEST) == BLOB
    assert "authorization" not in storage.calls[0].request.headers


async def test_redirected_blob_is_still_verified(mock, make_client, password):
    mock.get(f"/v2/app/blobs/{BLOB_DIGEST}").respond(307, headers={"Location": STORAGE})
    mock.get(STORAGE).respond(200, content=BLOB + b" ")
    with pytest.raises(IntegrityError, match="does not match its digest"):
        await make_client(password).get_blob("app", BLOB_DIGEST)


# ---- pure helpers -----------------------------------------------------------------------------------

def test_token_lifetime():
    now = 1_700_000_000.0
    assert token_lifetime({"expires_in": 300}, "opaque", now) == 300
    assert token_lifetime({"expires_in": 300}, jwt(now + 10), now) == 300  # expires_in wins
    assert token_lifetime({}, jwt(now + 120), now) == pytest.approx(120)
    assert token_lifetime({}, jwt(now - 50), now) == 0
    assert token_lifetime({"expires_in": 0}, "opaque", now) == DEFAULT_TOKEN_LIFETIME
    assert token_lifetime({"expires_in": True}, "opaque", now) == DEFAULT_TOKEN_LIFETIME
    assert token_lifetime({"expires_in": "300"}, "opaque", now) == DEFAULT_TOKEN_LIFETIME


def test_jwt_expiry():
    assert jwt_expiry(jwt(1234)) == 1234
    assert jwt_expiry("opaque") is None
    assert jwt_expiry("a.b.c") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry("eyJ9.bnVsbA.c") is None  # payload "null"


async def test_a_known_challenge_fetches_the_token_before_the_first_request(mock, password):
    from acrbrowse.oci.remote.challenge import Challenge
    from acrbrowse.oci.remote.client import RegistryClient

    registry = mock.get("/v2/app/tags/list").mock(side_effect=protected(
        {"tok-1"}, httpx.Response(200, json=TAGS), bearer_challenge()))
    realm = mock.get(REALM).mock(side_effect=token_responder("tok-1"))
    known = Challenge("bearer", {"realm": REALM, "service": "reg.example.io"})
    async with RegistryClient("reg.example.io", credential=password, known_challenge=known, backoff=0.01) as client:
        await tags(client)
    assert realm.call_count == 1
    assert auth_of(registry) == ["Bearer tok-1"]  # no 401 round trip at all
