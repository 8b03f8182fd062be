"""Transport faults a real registry won't produce on demand: throttling, 5xx, resets, timeouts, TLS."""

import ssl
import threading

import httpx
import pytest

from acrbrowse.oci.errors import Hint, RateLimited, ServerError, Timeout, TLSFailure, Unreachable
from acrbrowse.oci.remote import transport as transport_module
from acrbrowse.oci.remote.auth import retry_after_seconds
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.remote.transport import MAX_RETRY_AFTER

from .conftest import REGISTRY

TAGS = {"name": "app", "tags": ["v1", "v2"]}


async def tags(client, repository="app"):
    return [tag async for tag in client.tags(repository)]


def test_http2_only_without_a_given_transport():
    client = RegistryClient(REGISTRY)
    pool = client.transport.http._transport._pool
    assert pool._http2 is True
    given = httpx.MockTransport(lambda request: httpx.Response(200))
    assert RegistryClient(REGISTRY, transport=given).transport.http._transport is given
    assert RegistryClient("localhost:5000").transport.http._transport._pool._http2 is False  # plain HTTP


async def test_respx_intercepts_the_http2_client(mock, make_client):
    route = mock.get("/v2/app/tags/list").respond(200, json=TAGS)
    client = make_client()
    assert client.transport.http._transport._pool._http2
    assert await tags(client) == ["v1", "v2"]
    assert route.call_count == 1


# ---- 429 ------------------------------------------------------------------------------------

async def test_429_with_retry_after_then_200_waits_as_asked(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json=TAGS),
    ])
    assert await tags(make_client()) == ["v1", "v2"]
    assert route.call_count == 2
    assert sleeps == [pytest.approx(1.0)]


async def test_429_without_retry_after_backs_off(mock, make_client, sleeps):
    mock.get("/v2/app/tags/list").mock(side_effect=[httpx.Response(429), httpx.Response(200, json=TAGS)])
    assert await tags(make_client(backoff=0.01)) == ["v1", "v2"]
    assert len(sleeps) == 1 and 0.01 <= sleeps[0] <= 0.015


async def test_429_forever_gives_up_after_the_retries(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").respond(429, headers={"Retry-After": "1"})
    with pytest.raises(RateLimited) as caught:
        await tags(make_client(retries=3))
    assert route.call_count == 4
    assert sleeps == [1.0, 1.0, 1.0]
    message = str(caught.value)
    assert "\n" not in message
    assert REGISTRY in message and "429" in message and caught.value.hint is Hint.TRY_LATER
    assert caught.value.retry_after == pytest.approx(1.0)


async def test_retry_after_beyond_the_cap_is_reported_not_slept(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").respond(429, headers={"Retry-After": str(int(MAX_RETRY_AFTER) + 60)})
    with pytest.raises(RateLimited) as caught:
        await tags(make_client())
    assert route.call_count == 1
    assert sleeps == []
    assert "wait 120 s" in str(caught.value)
    assert caught.value.retry_after == pytest.approx(120.0)


def test_retry_after_forms():
    def seconds(value):
        return retry_after_seconds(httpx.Response(429, headers={"Retry-After": value} if value is not None else {}))

    assert seconds("3") == 3.0
    assert seconds("1.5") == 1.5
    assert seconds("-4") == 0.0
    assert seconds(None) is None
    assert seconds("soon") is None
    assert seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    import time
    from email.utils import formatdate
    assert 100 < seconds(formatdate(time.time() + 120, usegmt=True)) <= 120


# ---- 5xx --------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried_with_backoff(mock, make_client, sleeps, status):
    route = mock.get("/v2/app/tags/list").mock(side_effect=[
        httpx.Response(status), httpx.Response(status), httpx.Response(200, json=TAGS),
    ])
    assert await tags(make_client(backoff=0.01)) == ["v1", "v2"]
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert 0.01 <= sleeps[0] <= 0.015 and 0.02 <= sleeps[1] <= 0.03  # exponential, with jitter


async def test_gateway_errors_forever_end_in_server_error(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").respond(503)
    with pytest.raises(ServerError) as caught:
        await tags(make_client(retries=2))
    assert route.call_count == 3 and len(sleeps) == 2
    assert caught.value.status_code == 503
    assert "503" in str(caught.value) and "\n" not in str(caught.value)


async def test_500_is_not_retried(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").respond(500)
    with pytest.raises(ServerError) as caught:
        await tags(make_client())
    assert route.call_count == 1 and sleeps == []
    assert caught.value.status_code == 500
    assert str(caught.value) == f"{REGISTRY} failed to list the tags of app (500 Internal Server Error)"
    assert caught.value.hint is Hint.TRY_LATER


# ---- connection faults ---------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError])
async def test_a_reset_connection_is_retried(mock, make_client, sleeps, fault):
    route = mock.get("/v2/app/tags/list").mock(side_effect=[fault, httpx.Response(200, json=TAGS)])
    assert await tags(make_client()) == ["v1", "v2"]
    assert route.call_count == 2 and len(sleeps) == 1


async def test_a_reset_every_time_is_unreachable(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").mock(
        side_effect=httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(Unreachable) as caught:
        await tags(make_client(retries=3))
    assert route.call_count == 4 and len(sleeps) == 3
    assert str(caught.value) == (f"the connection to {REGISTRY} kept failing "
                                 "(Server disconnected without sending a response.)")
    assert caught.value.hint is Hint.TRY_LATER


async def test_connect_error_names_the_registry(mock, make_client, sleeps):
    route = mock.get("/v2/app/tags/list").mock(side_effect=httpx.ConnectError("[Errno -2] Name or service not known"))
    with pytest.raises(Unreachable) as caught:
        await tags(make_client())
    assert not isinstance(caught.value, TLSFailure)
    assert str(caught.value) == (f"cannot reach {REGISTRY} ([Errno -2] Name or service not known)")
    assert caught.value.hint is Hint.CHECK_NETWORK
    assert route.call_count == 1


@pytest.mark.parametrize("fault", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout])
async def test_timeout_suggests_raising_it(mock, make_client, fault):
    mock.get("/v2/app/tags/list").mock(side_effect=fault)
    with pytest.raises(Timeout) as caught:
        await tags(make_client(timeout=7.5))
    assert str(caught.value) == f"{REGISTRY} did not answer within 7.5 s"
    assert caught.value.hint is Hint.RAISE_TIMEOUT


class _TLSFailingTransport(httpx.AsyncBaseTransport):
    """Raises what httpx raises for a certificate it cannot verify: a ConnectError caused by an SSL error."""

    def __init__(self, cause: ssl.SSLError, text: str = "connection failed") -> None:
        self.cause, self.text, self.requests = cause, text, 0

    async def handle_async_request(self, request):
        self.requests += 1
        error = httpx.ConnectError(self.text, request=request)
        error.__cause__ = self.cause
        raise error


async def test_tls_failure_from_the_cause_suggests_ca_cert(sleeps):
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed: unable to get local issuer certificate")
    transport = _TLSFailingTransport(cause)
    async with RegistryClient(REGISTRY, transport=transport, backoff=0.01) as client:
        with pytest.raises(TLSFailure) as caught:
            await tags(client)
    assert transport.requests == 1
    assert isinstance(caught.value, Unreachable)
    assert str(caught.value) == f"TLS with {REGISTRY} failed (connection failed)"
    assert caught.value.hint is Hint.CA_CERT


async def test_tls_failure_from_the_message_suggests_ca_cert(mock, make_client):
    text = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain"
    mock.get("/v2/app/tags/list").mock(side_effect=httpx.ConnectError(text))
    with pytest.raises(TLSFailure, match="CERTIFICATE_VERIFY_FAILED") as caught:
        await tags(make_client())
    assert caught.value.hint is Hint.CA_CERT


async def test_plain_http_registry_on_https_suggests_plain_http(mock, make_client):
    mock.get("/v2/app/tags/list").mock(
        side_effect=httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"))
    with pytest.raises(TLSFailure) as caught:
        await tags(make_client())
    assert str(caught.value) == f"{REGISTRY} does not speak HTTPS"
    assert caught.value.hint is Hint.PLAIN_HTTP


def test_a_cause_chain_that_loops_does_not_hang():
    # respx re-raises a raising side effect's exception `from` its own wrapper, which points back at it
    error = httpx.ConnectError("connect failed")
    wrapper = RuntimeError("side effect failed")
    wrapper.__cause__, error.__cause__ = error, wrapper
    client = RegistryClient(REGISTRY)
    result = []
    worker = threading.Thread(target=lambda: result.append(client.transport.connect_error(error)), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "connect_error loops on a cyclic __cause__ chain"
    assert isinstance(result[0], Unreachable) and not isinstance(result[0], TLSFailure)


def test_ca_cert_that_cannot_be_read(tmp_path):
    with pytest.raises(TLSFailure, match="cannot use the CA certificate file"):
        transport_module.tls_context(tmp_path / "missing.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TLSFailure, match="cannot use the CA certificate file"):
        transport_module.tls_context(bad)


async def test_an_unreachable_token_service_is_named_as_such(mock, make_client, password):
    from acrbrowse.oci.errors import Unreachable

    mock.get("/v2/app/tags/list").mock(return_value=httpx.Response(
        401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.example.io/oauth2/token",service="reg.example.io"'}))
    mock.get("https://auth.example.io/oauth2/token").mock(side_effect=httpx.ConnectError("refused"))
    client = make_client(password)
    with pytest.raises(Unreachable) as caught:
        await tags(client)
    assert "reg.example.io's token or blob service at auth.example.io" in str(caught.value)


async def test_an_unreachable_ipv6_registry_is_named_as_the_registry():
    import respx

    with respx.mock(assert_all_called=False) as router:
        router.get("http://[::1]/v2/app/tags/list").mock(side_effect=httpx.ConnectError("refused"))
        async with RegistryClient("[::1]", backoff=0.01) as client:
            with pytest.raises(Unreachable) as caught:
                await tags(client)
    assert str(caught.value).startswith("cannot reach [::1] (")
