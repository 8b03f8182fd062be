"""No secret in any error message, repr or traceback: every failure path, with a canary password."""

import traceback

import httpx
import pytest

from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.remote.auth import basic_header

from . import content as c
from .conftest import CANARY, CANARY_BASIC, REALM, REGISTRY, bearer_challenge

TAGS_PATH = "/v2/app/tags/list"
IMAGE = c.image_manifest(c.image_config())


def _tags(status=200, **kwargs):
    return lambda mock: mock.get(TAGS_PATH).respond(status, **kwargs)


def _tags_effect(effect):
    return lambda mock: mock.get(TAGS_PATH).mock(side_effect=effect)


def _bearer_then(realm_response: httpx.Response, *, realm=REALM):
    def setup(mock):
        mock.get(TAGS_PATH).respond(401, headers={"WWW-Authenticate": bearer_challenge(realm=realm)})
        mock.route(host="auth.example.io").mock(return_value=realm_response)
    return setup


def _token_ok_registry_denies(mock):
    mock.get("/v2/_catalog").respond(401, headers={"WWW-Authenticate": bearer_challenge("registry:catalog:*")})
    mock.route(host="auth.example.io").respond(200, json={"token": "tok", "access_token": "tok"})


def _basic_refused(mock):
    mock.get(TAGS_PATH).respond(401, headers={"WWW-Authenticate": 'Basic realm="r"'})


def _next_elsewhere(mock):
    mock.get(TAGS_PATH).respond(200, json={"tags": ["v1"]},
                                headers={"Link": '<https://evil.example.com/v2/app/tags/list?last=v1>; rel="next"'})


def _echo(request: httpx.Request) -> str:
    """What a careless server might say back: the request's Authorization header and body."""
    return f"you sent {request.headers.get('authorization')} and {request.content.decode()}"


def _echoing_token_service(mock):
    """A token service that puts what it was sent into its error (some do, for a bad refresh token)."""
    mock.get(TAGS_PATH).respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.route(host="auth.example.io").mock(side_effect=lambda request: httpx.Response(
        400, json={"errors": [{"code": "INVALID_GRANT", "message": _echo(request)}]}))


def _echoing_registry(mock):
    mock.get(TAGS_PATH).mock(side_effect=lambda request: httpx.Response(
        400, json={"errors": [{"code": "DENIED", "message": _echo(request) + f" {CANARY}"}]}))


async def _list_tags(client):
    return [t async for t in client.tags("app")]


async def _list_repos(client):
    return [r async for r in client.repositories()]


async def _manifest_by_digest(client):
    return await client.get_manifest("app", c.fake_digest(1))


async def _manifest_by_tag(client):
    return await client.get_manifest("app", "v1")


SCENARIOS = {
    "429 forever": (_tags(429, headers={"Retry-After": "1"}), _list_tags),
    "429 beyond the cap": (_tags(429, headers={"Retry-After": "3600"}), _list_tags),
    "503 forever": (_tags(503), _list_tags),
    "500": (_tags(500), _list_tags),
    "reset every time": (_tags_effect(httpx.RemoteProtocolError), _list_tags),
    "read error every time": (_tags_effect(httpx.ReadError), _list_tags),
    "connect error": (_tags_effect(httpx.ConnectError("Name or service not known")), _list_tags),
    "timeout": (_tags_effect(httpx.ReadTimeout), _list_tags),
    "tls": (_tags_effect(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")),
            _list_tags),
    "malformed tags": (_tags(content=b"{nope"), _list_tags),
    "next page elsewhere": (_next_elsewhere, _list_tags),
    "manifest by digest altered": (lambda mock: mock.get(f"/v2/app/manifests/{c.fake_digest(1)}").respond(
        200, content=IMAGE), _manifest_by_digest),
    "realm refuses": (_bearer_then(httpx.Response(401)), _list_tags),
    "realm forbids": (_bearer_then(httpx.Response(403)), _list_tags),
    "realm fails": (_bearer_then(httpx.Response(500)), _list_tags),
    "realm throttles": (_bearer_then(httpx.Response(429, headers={"Retry-After": "3600"})), _list_tags),
    "realm answers no token": (_bearer_then(httpx.Response(200, json={})), _list_tags),
    "realm answers 400": (_bearer_then(httpx.Response(400, json={"errors": [{"code": "X", "message": "no"}]})),
                          _list_tags),
    "realm times out": (_bearer_then(httpx.Response(200)), None),  # replaced below
    "plain-http realm": (_bearer_then(httpx.Response(200, json={"token": "t"}), realm="http://auth.example.io/t"),
                         _list_tags),
    "catalog denied": (_token_ok_registry_denies, _list_repos),
    "basic refused": (_basic_refused, _list_tags),
    "token service echoes the secret": (_echoing_token_service, _list_tags),
    "registry echoes the secret": (_echoing_registry, _list_tags),
}


def _realm_times_out(mock):
    mock.get(TAGS_PATH).respond(401, headers={"WWW-Authenticate": bearer_challenge()})
    mock.route(host="auth.example.io").mock(side_effect=httpx.ReadTimeout)


SCENARIOS["realm times out"] = (_realm_times_out, _list_tags)


# ---- hostile shapes (issue 8): bounds, unusable URLs, foreign challenges ----------------------------

BLOB = c.image_config()
BLOB_DIGEST = c.sha256(BLOB)


async def _blob(client):
    return await client.get_blob("app", BLOB_DIGEST)


async def _bad_tag(client):
    return await client.get_manifest("app", "v1\x1b]52;c;ZWNobyBQV05FRA==\x07")


def _endless(head: bytes = b"", fill: bytes = b" "):
    async def body():
        yield head
        while True:
            yield fill * 65536
    return body()


def _foreign_challenge(challenge: str):
    def setup(mock):
        mock.get(f"/v2/app/blobs/{BLOB_DIGEST}").respond(307, headers={"Location": "https://blobs.other.io/data"})
        mock.route(host="blobs.other.io").respond(401, headers={"WWW-Authenticate": challenge})
    return setup


def _bearer_answers(respond):
    def setup(mock):
        mock.get(TAGS_PATH).respond(401, headers={"WWW-Authenticate": bearer_challenge()})
        mock.route(host="auth.example.io").mock(side_effect=respond)
    return setup


def _huge_echoing_error(mock):
    mock.get(TAGS_PATH).mock(side_effect=lambda request: httpx.Response(400, content=_endless(
        b'{"errors":[{"code":"DENIED","message":"' + _echo(request).encode() + f" {CANARY}".encode(),
        fill=CANARY.encode())))


SCENARIOS.update({
    "token answer past its cap": (_bearer_answers(lambda request: httpx.Response(
        200, content=_endless(b'{"token":"', b"a"))), _list_tags),
    "token that cannot travel": (_bearer_then(httpx.Response(200, json={"token": "a b\x1b"})), _list_tags),
    "absurd expires_in then 401": (_bearer_then(httpx.Response(200, content=b'{"token":"t","expires_in":' + b"9" * 400
                                                               + b"}")), _list_tags),
    "realm port abc": (_bearer_then(httpx.Response(200), realm="https://auth.example.io:abc/t"), _list_tags),
    "realm port 99999": (_bearer_then(httpx.Response(200), realm="https://auth.example.io:99999/t"), _list_tags),
    "link port abc": (_tags(200, json={"tags": ["v1"]}, headers={"Link": '<https://reg.example.io:abc/x>; rel="next"'}),
                      _list_tags),
    "endless tag page": (lambda mock: mock.get(TAGS_PATH).mock(
        side_effect=lambda request: httpx.Response(200, content=_endless(b'{"tags":["'))), _list_tags),
    "endless error echoing the secret": (_huge_echoing_error, _list_tags),
    "compressed answer": (_tags(200, content=b"x", headers={"Content-Encoding": "gzip"}), _list_tags),
    "shake_128 digest": (lambda mock: mock.get("/v2/app/manifests/v1").respond(
        200, content=IMAGE, headers={"Docker-Content-Digest": "shake_128:" + "0" * 64}), _manifest_by_tag),
    "foreign bearer challenge": (_foreign_challenge('Bearer realm="https://blobs.other.io/t",service="s"'), _blob),
    "foreign basic challenge": (_foreign_challenge('Basic realm="storage"'), _blob),
    "redirect to port abc": (lambda mock: mock.get(f"/v2/app/blobs/{BLOB_DIGEST}").respond(
        307, headers={"Location": "https://blobs.other.io:abc/x"}), _blob),
    "tag with ESC": (lambda mock: None, _bad_tag),
})


def assert_no_secret(text: str) -> None:
    assert CANARY not in text
    assert CANARY_BASIC not in text


@pytest.mark.parametrize("kind", ["password", "identity_token"])
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_no_secret_in_errors(mock, make_client, password, identity_token, name, kind):
    setup, action = SCENARIOS[name]
    setup(mock)
    credential = password if kind == "password" else identity_token
    client = make_client(credential, retries=2)
    with pytest.raises(RegistryError) as caught:
        await action(client)
    error = caught.value
    assert "\n" not in str(error), str(error)
    basic = basic_header(credential).removeprefix("Basic ")
    assert_no_secret(str(error).replace(basic, CANARY_BASIC))
    assert_no_secret(str(error))
    assert_no_secret(repr(error))
    assert_no_secret(repr(error.args))
    assert_no_secret("".join(traceback.format_exception(error)))
    assert_no_secret(repr(client))
    assert_no_secret(repr(client.auth))
    assert_no_secret(repr(client.auth._tokens))
    assert_no_secret(repr(credential))
    assert_no_secret(str(credential.secret))
    assert_no_secret(repr(vars(error)))
    assert_no_secret(repr(client.auth.challenge))
    for call in mock.calls:  # the secret went to the registry and its own realm, nowhere else
        request = call.request
        if request.url.host not in (REGISTRY, "auth.example.io") or request.url.scheme != "https":
            assert_no_secret(str(request.url) + str(request.headers) + request.content.decode(errors="replace"))


def test_credential_and_secret_reprs(password):
    assert repr(password) == "Credential(username='alice', kind='password', source='test')"
    assert repr(password.secret) == str(password.secret) == "Secret('********')"
    assert f"{password.secret}" == "Secret('********')"
    assert password.secret.reveal() == CANARY
    import pickle
    with pytest.raises(TypeError):
        pickle.dumps(password.secret)


async def test_client_repr(make_client, password):
    client = make_client(password)
    assert repr(client) == f"RegistryClient(https://{REGISTRY}, credential={password!r})"
