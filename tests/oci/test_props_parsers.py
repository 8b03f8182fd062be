"""Property tests: whatever text a person types or a registry sends, the parsers and the paging and
auth paths raise nothing but RegistryError (InvalidReference for names)."""

from __future__ import annotations

import asyncio

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrbrowse.oci.errors import InvalidReference, RegistryError
from acrbrowse.oci.name import (
    Reference,
    parse_reference,
    parse_registry,
    validate_digest,
    validate_repository,
    validate_tag,
)
from acrbrowse.oci.remote.auth import retry_after_seconds
from acrbrowse.oci.remote.challenge import Challenge, parse_challenges, pick
from acrbrowse.oci.remote.client import RegistryClient

FAST = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Text biased towards the characters these grammars care about, plus anything at all.
NAME_CHARS = st.sampled_from(list("abcz09AZ:/@.-_[]%?#= \t\x1b\x00\n\u202eé") + ["sha256:", "localhost", "::1"])
name_text = st.one_of(st.text(), st.lists(NAME_CHARS, max_size=30).map("".join))
header_text = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xff), max_size=200),
    st.lists(st.sampled_from(['<', '>', ';', ',', '"', "=", " ", "rel", "next", "http://", "https://",
                              "reg.example.io", ":abc", ":99999", ":0", "/v2/app/tags/list", "?last=",
                              "\x1b", "[::1]", "//", "realm", "Bearer", "Basic", "service", "scope", "\\"]),
             max_size=25).map("".join),
)


def only_invalid_reference(parse, text):
    try:
        return parse(text)
    except InvalidReference as error:
        assert "\n" not in str(error) and len(str(error)) < 400
        return None


@FAST
@given(name_text)
def test_reference_parsers_raise_only_invalid_reference(text):
    reference = only_invalid_reference(parse_reference, text)
    if reference is not None:
        assert parse_reference(str(reference)) == reference  # what it shows, it reads back
        assert isinstance(reference, Reference)
    only_invalid_reference(parse_registry, text)
    for validate in (validate_digest, validate_tag, validate_repository):
        if only_invalid_reference(validate, text) is not None:
            assert all(0x20 < ord(ch) < 0x7f for ch in text)  # nothing valid holds a control or a space


@FAST
@given(st.one_of(header_text, st.lists(header_text, max_size=4)))
def test_challenge_parsing_never_raises(values):
    challenges = parse_challenges(values)
    assert all(isinstance(c, Challenge) and c.scheme == c.scheme.lower() for c in challenges)
    assert all(isinstance(k, str) and isinstance(v, str) for c in challenges for k, v in c.params.items())
    chosen = pick(challenges)
    assert chosen is None or chosen.scheme in ("bearer", "basic")
    assert all(isinstance(scope, str) for c in challenges for scope in c.scopes)


@FAST
@given(header_text)
def test_retry_after_is_a_finite_non_negative_number_or_none(value):
    seconds = retry_after_seconds(httpx.Response(429, headers=[(b"Retry-After", value.encode("latin-1"))]))
    assert seconds is None or 0 <= seconds < float("inf")


def run_client(handler, action, **kwargs):
    async def go():
        async with RegistryClient("reg.example.io", transport=httpx.MockTransport(handler), retries=1,
                                  backoff=0.0, timeout=5, **kwargs) as client:
            try:
                return await action(client)
            except RegistryError as error:
                assert "\n" not in str(error)
                return error

    return asyncio.run(go())


async def all_tags(client):
    return [t async for t in client.tags("app")]


@SLOW
@given(header_text, st.integers(min_value=1, max_value=5))
def test_paging_with_any_link_header_ends_in_pages_or_a_registry_error(link, pages_before):
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        assert seen < 50, "paging does not stop"
        header = link if seen >= pages_before else f'</v2/app/tags/list?last={seen}>; rel="next"'
        return httpx.Response(200, json={"tags": [str(seen)]}, headers=[(b"Link", header.encode("latin-1"))])

    result = run_client(handler, all_tags)
    assert isinstance(result, (list, RegistryError))


@SLOW
@given(header_text, st.sampled_from([b'{"token":"t"}', b'{"token":5}', b"[", b"", b'{"access_token":"a b"}']))
def test_any_challenge_text_ends_in_tags_or_a_registry_error(challenge, token_answer):
    from acrbrowse.oci.credential import Credential, Secret

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/app/tags/list":
            if request.headers.get("authorization") in ("Bearer t", "Basic YWxpY2U6cHc="):
                return httpx.Response(200, json={"tags": ["v1"]})
            return httpx.Response(401, headers=[(b"WWW-Authenticate", challenge.encode("latin-1"))])
        return httpx.Response(200, content=token_answer)

    for credential in (None, Credential("alice", Secret("pw"), source="test")):
        result = run_client(handler, all_tags, credential=credential)
        assert isinstance(result, (list, RegistryError))


json_numberish = st.one_of(
    st.integers(min_value=-10**500, max_value=10**500).map(lambda n: str(n).encode()),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"true", b"null", b'"60"', b"[1]"]),
    st.binary(max_size=30),
)


@FAST
@given(json_numberish, json_numberish)
def test_token_lifetimes_are_always_within_a_day(expires_in, exp):
    import base64

    from acrbrowse import boundedjson
    from acrbrowse.oci.remote.auth import MAX_TOKEN_LIFETIME, jwt_expiry, token_lifetime

    payload = base64.urlsafe_b64encode(b'{"exp":' + exp + b"}").rstrip(b"=").decode()
    token = f"e30.{payload}.c"
    try:
        body = boundedjson.loads(b'{"expires_in":' + expires_in + b"}")
    except ValueError:
        body = {}
    expiry = jwt_expiry(token)
    assert expiry is None or expiry == expiry and abs(expiry) < float("inf")
    assert 0 <= token_lifetime(body, token, 1_700_000_000.0) <= MAX_TOKEN_LIFETIME
