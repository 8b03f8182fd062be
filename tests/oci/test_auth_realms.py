"""Auth against a hostile registry or token service: absurd lifetimes and tokens stay bounded, unusable
realms are one-line errors, and the credential goes only where it belongs."""

from __future__ import annotations

import base64
import time
import urllib.parse

import httpx
import pytest

from acrbrowse.oci.errors import AccessDenied, InsecureRequest, MalformedResponse, RegistryError
from acrbrowse.oci.remote.auth import MAX_TOKEN_LIFETIME, jwt_expiry, token_lifetime
from acrbrowse.oci.remote.challenge import Challenge
from acrbrowse.oci.remote.client import RegistryClient

from . import content as c
from .conftest import CANARY, CANARY_BASIC, REALM, REGISTRY, auth_of, bearer_challenge, jwt, protected

TAGS = {"tags": ["v1"]}


async def tags(client, repository="app"):
    return [t async for t in client.tags(repository)]


# ---- token lifetimes and token values -------------------------------------------------------------

@pytest.mark.parametrize("expires_in", [b"9" * 400, b"-300", b"NaN", b"Infinity", b"-Infinity", b"1e400",
                                        b"1e-300", b"true", b'"3600"', b"null", b"[]"])
async def test_absurd_expires_in_gives_a_bounded_lifetime(mock, make_client, password, expires_in):
    mock.get("/v2/app/tags/list").mock(side_effect=protected({"tok"}, httpx.Response(200, json=TAGS),
                                                             bearer_challenge()))
    mock.get(REALM).respond(200, content=b'{"token":"tok","expires_in":' + expires_in + b"}")
    client = make_client(password)
    assert await tags(client) == ["v1"]
    (token,) = client.auth._tokens.values()
    assert -1 < token.expires_at - time.monotonic() <= MAX_TOKEN_LIFETIME


def test_token_lifetime_is_capped_at_a_day():
    now = 1_700_000_000.0
    assert token_lifetime({"expires_in": 10**400}, "opaque", now) == MAX_TOKEN_LIFETIME == 86400
    assert token_lifetime({"expires_in": float("inf")}, "opaque", now) == MAX_TOKEN_LIFETIME
    assert token_lifetime({"expires_in": float("nan")}, "opaque", now) == 60
    assert token_lifetime({}, jwt(now + 10**9), now) == MAX_TOKEN_LIFETIME
    for exp in (b"9" * 400, b"-" + b"9" * 400, b"1e400", b"NaN", b'"soon"', b"[" * 10_000):
        payload = base64.urlsafe_b64encode(b'{"exp":' + exp + b"}").rstrip(b"=").decode()
        assert jwt_expiry(f"e30.{payload}.c") is None
        assert token_lifetime({}, f"e30.{payload}.c", now) == 60
    deep = "eyJleHAiOg" + "W1tb" * 30 + "MQ"  # {"exp":[[[[...1  (nested, unterminated)
    assert token_lifetime({}, f"a.{deep}.c", now) == 60


@pytest.mark.parametrize("token", ["tok en", "tok\x1b[2J", "tök", "tok\r\nX-Evil: 1", "\u202etok"])
async def test_a_token_that_cannot_travel_in_a_header_is_refused(mock, make_client, password, token):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).respond(200, json={"token": token})
    with pytest.raises(MalformedResponse, match="answered a token that cannot be sent"):
        await tags(make_client(password))


async def test_a_deeply_nested_token_answer_is_malformed(mock, make_client, password):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.get(REALM).respond(200, content=b'{"token":' + b"[" * 30_000)
    with pytest.raises(MalformedResponse, match="without a token"):
        await tags(make_client(password))


async def test_a_deeply_nested_error_body_is_no_crash(mock, make_client):
    mock.get("/v2/app/tags/list").respond(400, content=b'{"errors":' + b"[" * 60_000)
    with pytest.raises(MalformedResponse, match="answered 400"):
        await tags(make_client())


# ---- unusable realms --------------------------------------------------------------------------------

@pytest.mark.parametrize("realm", ["https://auth.example.io:abc/token", "https://auth.example.io:99999/token",
                                   "https://auth.example.io:0/token", "https://au\x1bth.example.io/token",
                                   "https:///token", "http://[::1", "//auth.example.io/token"])
async def test_an_unusable_realm_is_a_malformed_response(mock, make_client, password, realm):
    mock.get("/v2/app/tags/list").respond(401, headers=[(b"WWW-Authenticate", bearer_challenge(realm=realm).encode())])
    for credential in (password, None):
        client = make_client(credential)
        with pytest.raises(MalformedResponse) as caught:
            await tags(client)
        assert str(caught.value).startswith(f"{REGISTRY}'s token service is not a usable URL: ")
        assert client.auth.challenge is None  # not remembered either


# ---- credentials only where they belong -------------------------------------------------------------

BLOB = c.image_config()
BLOB_DIGEST = c.sha256(BLOB)
STORAGE = "https://blobs.other.io/data"


@pytest.mark.parametrize("challenge", ['Bearer realm="https://blobs.other.io/token",service="s",scope="x"',
                                       'Basic realm="storage"'])
@pytest.mark.parametrize("credential_kind", ["password", "identity_token"])
async def test_a_foreign_401_after_a_redirect_never_gets_the_credential(
        mock, make_client, password, identity_token, challenge, credential_kind):
    credential = password if credential_kind == "password" else identity_token
    registry = mock.get(f"/v2/app/blobs/{BLOB_DIGEST}").mock(side_effect=protected(
        {"tok"}, httpx.Response(307, headers={"Location": STORAGE}), bearer_challenge()))
    mock.get(REALM).respond(200, json={"token": "tok"})
    mock.post(REALM).respond(200, json={"access_token": "tok"})
    storage = mock.route(host="blobs.other.io").respond(401, headers={"WWW-Authenticate": challenge})
    client = make_client(credential)
    with pytest.raises(AccessDenied) as caught:
        await client.get_blob("app", BLOB_DIGEST)
    assert str(caught.value) == (f"blobs.other.io, where {REGISTRY} sent acrbrowse to read blob {BLOB_DIGEST[:19]} "
                                 "of app, refused it (401); acrbrowse sends no credentials there")
    for call in storage.calls:  # neither the storage nor a realm it names saw anything of the user's
        request = call.request
        assert "authorization" not in request.headers
        assert CANARY not in request.url.query.decode() + request.content.decode(errors="replace")
    assert storage.call_count == 1
    assert client.auth.challenge.realm == REALM  # the registry's challenge stays the one remembered
    assert auth_of(registry) == [None, "Bearer tok"]


LOOPBACK = "127.0.0.1:5000"


@pytest.mark.parametrize("realm, allowed", [
    ("http://127.0.0.1:5001/token", True),
    ("http://localhost:5001/token", True),
    ("http://[::1]:5001/token", True),
    ("http://127.8.9.10/token", True),
    ("http://auth.example.io/token", False),
    ("http://foo.localhost/token", False),
    ("http://10.0.0.1/token", False),
    ("https://auth.example.io/token", True),
])
async def test_a_plain_http_realm_gets_the_credential_only_between_loopback_ends(password, realm, allowed):
    import respx

    with respx.mock(assert_all_called=False) as router:
        router.get(f"http://{LOOPBACK}/v2/app/tags/list").mock(side_effect=protected(
            {"tok"}, httpx.Response(200, json=TAGS), bearer_challenge(realm=realm, service="local")))
        token = router.get(url__startswith=realm).respond(200, json={"token": "tok"})
        async with RegistryClient(LOOPBACK, credential=password, backoff=0.01) as client:
            if allowed:
                assert await tags(client) == ["v1"]
                assert token.calls.last.request.headers["authorization"] == f"Basic {CANARY_BASIC}"
            else:
                with pytest.raises(InsecureRequest, match="plain-HTTP token service"):
                    await tags(client)
                assert not token.called


async def test_a_remote_registry_never_sends_the_credential_to_a_loopback_plain_http_realm(mock, make_client,
                                                                                         password):
    mock.get("/v2/app/tags/list").respond(
        401, headers={"WWW-Authenticate": bearer_challenge(realm="http://127.0.0.1:9/token")})
    realm = mock.route(host="127.0.0.1").respond(200, json={"token": "t"})
    with pytest.raises(InsecureRequest):
        await tags(make_client(password))
    assert not realm.called


@pytest.mark.parametrize("target", ["https://evil.example.com/steal", "http://127.0.0.1:9/steal",
                                    "https://auth.example.io:8443/steal"])
async def test_a_refresh_token_is_not_reposted_to_another_origin(mock, make_client, identity_token, target):
    mock.get("/v2/app/tags/list").respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.post(REALM).respond(307, headers={"Location": target})
    elsewhere = mock.route(url__startswith=target).respond(200, json={"access_token": "t"})
    with pytest.raises(InsecureRequest, match="redirected the credential to another host"):
        await tags(make_client(identity_token))
    assert not elsewhere.called


async def test_a_same_origin_token_redirect_is_followed(mock, make_client, identity_token):
    mock.get("/v2/app/tags/list").mock(side_effect=protected({"t"}, httpx.Response(200, json=TAGS),
                                                             bearer_challenge()))
    mock.post(REALM).respond(307, headers={"Location": "/oauth2/token2"})
    moved = mock.post("https://auth.example.io/oauth2/token2").respond(200, json={"access_token": "t"})
    assert await tags(make_client(identity_token)) == ["v1"]
    form = dict(urllib.parse.parse_qsl(moved.calls.last.request.content.decode()))
    assert form["refresh_token"] == CANARY


async def test_a_known_challenge_with_a_bad_realm_fails_cleanly(mock, password):
    mock.get("/v2/app/tags/list").respond(200, json=TAGS)
    known = Challenge("bearer", {"realm": "https://auth.example.io:abc/"})
    async with RegistryClient(REGISTRY, credential=password, known_challenge=known) as client:
        with pytest.raises(RegistryError) as caught:
            await tags(client)
    assert isinstance(caught.value, MalformedResponse)
