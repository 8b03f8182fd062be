"""WWW-Authenticate parsing: what registries actually send, and garbage that must not raise."""

import random

import pytest

from acrbrowse.oci.remote.challenge import Challenge, parse_challenges, pick

ACR = 'Bearer realm="https://myreg.azurecr.io/oauth2/token",service="myreg.azurecr.io",scope="repository:app:pull"'


def test_acr_bearer_challenge():
    [challenge] = parse_challenges(ACR)
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://myreg.azurecr.io/oauth2/token"
    assert challenge.service == "myreg.azurecr.io"
    assert challenge.scopes == ("repository:app:pull",)
    assert challenge.error is None
    assert challenge.token68 is None


def test_several_challenges_in_one_header():
    challenges = parse_challenges('Basic realm="Registry Realm", Bearer realm="https://auth.io/token",service=reg')
    assert [c.scheme for c in challenges] == ["basic", "bearer"]
    assert challenges[0].realm == "Registry Realm"
    assert challenges[1].params == {"realm": "https://auth.io/token", "service": "reg"}


def test_challenges_across_headers():
    challenges = parse_challenges(['Basic realm="r"', 'Bearer realm="https://auth.io/token", scope="repository:a:pull"'])
    assert [c.scheme for c in challenges] == ["basic", "bearer"]
    assert challenges[1].scopes == ("repository:a:pull",)


def test_quoted_values_with_escaped_quotes_and_commas():
    [challenge] = parse_challenges(r'Bearer realm="say \"hi\", then \\ go", scope="a,b", service="x"')
    assert challenge.realm == 'say "hi", then \\ go'
    assert challenge.params["scope"] == "a,b"
    assert challenge.service == "x"


def test_commas_inside_quotes_do_not_start_a_challenge():
    challenges = parse_challenges('Digest realm="r", nonce="a, Basic b", Basic realm="basic"')
    assert [c.scheme for c in challenges] == ["digest", "basic"]
    assert challenges[0].params["nonce"] == "a, Basic b"


def test_unquoted_params_and_spaces_around_equals():
    [challenge] = parse_challenges("Bearer realm = https://auth.io/token , service=reg.io,scope=repository:x:pull")
    assert challenge.params == {"realm": "https://auth.io/token", "service": "reg.io", "scope": "repository:x:pull"}


def test_token68():
    challenges = parse_challenges('Negotiate YIIB+gYGKwYBBQUCoIIB7jCC==, Basic realm="r"')
    assert challenges[0] == Challenge("negotiate", {}, "YIIB+gYGKwYBBQUCoIIB7jCC==")
    assert challenges[1].realm == "r"
    [alone] = parse_challenges("NTLM abc123")
    assert alone.token68 == "abc123" and alone.params == {}


def test_scheme_and_param_names_are_case_insensitive_values_are_not():
    [challenge] = parse_challenges('BEARER Realm="https://Auth.io/Token", SERVICE="Reg", Scope="repository:x:pull"')
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://Auth.io/Token"
    assert challenge.service == "Reg"
    assert challenge.scopes == ("repository:x:pull",)


def test_several_scopes_space_separated():
    [challenge] = parse_challenges('Bearer realm="r",scope="repository:a:pull repository:b:pull,push  registry:catalog:*"')
    assert challenge.scopes == ("repository:a:pull", "repository:b:pull,push", "registry:catalog:*")


def test_error_param():
    [challenge] = parse_challenges('Bearer realm="r",error="insufficient_scope",scope="registry:catalog:*"')
    assert challenge.error == "insufficient_scope"


def test_first_value_of_a_repeated_param_wins():
    [challenge] = parse_challenges('Bearer realm="first", realm="second"')
    assert challenge.realm == "first"


def test_bare_scheme_without_params():
    assert parse_challenges("Basic") == [Challenge("basic")]
    assert parse_challenges("Negotiate, Basic") == [Challenge("negotiate"), Challenge("basic")]


def test_pick_prefers_bearer_over_basic_whatever_the_order():
    challenges = parse_challenges('Basic realm="b", Negotiate abc, Bearer realm="t"')
    assert pick(challenges).scheme == "bearer"
    assert pick(parse_challenges('Negotiate abc, Basic realm="b"')).scheme == "basic"
    assert pick(parse_challenges("Negotiate abc, NTLM")) is None
    assert pick([]) is None


@pytest.mark.parametrize(
    "header",
    ["", " ", ",,,", '"', '===,,,"', "(((\x00\x01", 'Bearer realm="unterminated', "Bearer realm=", "Bearer =x",
     "Bearer realm=,service=x", ", , Basic", "Bearer realm=\"r\" ,, ,", "= = =", "Bearer a=b=c", "\\", "Bearer realm=\"\\"],
)
def test_garbage_does_not_raise(header):
    result = parse_challenges(header)
    assert isinstance(result, list)
    assert all(isinstance(c, Challenge) for c in result)


def test_unterminated_quote_keeps_what_there_is():
    [challenge] = parse_challenges('Bearer realm="https://auth.io/tok')
    assert challenge.realm == "https://auth.io/tok"


def test_random_garbage_never_raises():
    rng = random.Random(1234)
    alphabet = 'Bearer Basic realm=scope",\\ \t=abc!#$%&\'*+-.^_`|~()[]{}<>/\x00é'
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        parse_challenges(text)
