"""Parsing REGISTRY[:PORT]/REPO[:TAG][@DIGEST] the way a person types it."""

import pytest

from acrbrowse.oci.errors import InvalidReference, RegistryError
from acrbrowse.oci.name import (
    DOCKER_HUB,
    DOCKER_HUB_API,
    Reference,
    is_loopback_host,
    parse_reference,
    parse_registry,
    scope,
    validate_digest,
    validate_repository,
    validate_tag,
)

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "0123456789abcdef" * 8


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("myreg.azurecr.io", "myreg.azurecr.io", None, None, None),
        ("myreg.azurecr.io/app", "myreg.azurecr.io", "app", None, None),
        ("myreg.azurecr.io/team/app/api:v1.2", "myreg.azurecr.io", "team/app/api", "v1.2", None),
        (f"myreg.azurecr.io/app@{SHA256}", "myreg.azurecr.io", "app", None, SHA256),
        (f"myreg.azurecr.io/app:v1@{SHA256}", "myreg.azurecr.io", "app", "v1", SHA256),
        (f"myreg.azurecr.io/app@{SHA512}", "myreg.azurecr.io", "app", None, SHA512),
        ("MyReg.AzureCR.io/app", "myreg.azurecr.io", "app", None, None),
        ("myreg.azurecr.io:8443/app:v1", "myreg.azurecr.io:8443", "app", "v1", None),
        ("localhost:5000", "localhost:5000", None, None, None),
        ("localhost:5000/a/b", "localhost:5000", "a/b", None, None),
        ("localhost/app", "localhost", "app", None, None),
        (f"127.0.0.1:5000/a/b:c@{SHA256}", "127.0.0.1:5000", "a/b", "c", SHA256),
        ("[::1]:5000", "[::1]:5000", None, None, None),
        ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None),
        ("https://myreg.azurecr.io", "myreg.azurecr.io", None, None, None),
        ("https://myreg.azurecr.io/", "myreg.azurecr.io", None, None, None),
        ("https://myreg.azurecr.io/app:v1", "myreg.azurecr.io", "app", "v1", None),
        ("HTTPS://myreg.azurecr.io/app", "myreg.azurecr.io", "app", None, None),
        ("  myreg.azurecr.io/app  ", "myreg.azurecr.io", "app", None, None),
        ("myreg.azurecr.io/app:_underscore", "myreg.azurecr.io", "app", "_underscore", None),
        ("myreg.azurecr.io/a__b.c-d---e", "myreg.azurecr.io", "a__b.c-d---e", None, None),
    ],
)
def test_parse_reference(text, registry, repository, tag, digest):
    assert parse_reference(text) == Reference(registry, repository, tag, digest)


@pytest.mark.parametrize(
    ("text", "repository", "tag"),
    [
        ("ubuntu", "library/ubuntu", None),
        ("ubuntu:22.04", "library/ubuntu", "22.04"),
        ("docker.io/nginx", "library/nginx", None),
        ("docker.io/library/nginx:1.25", "library/nginx", "1.25"),
        ("index.docker.io/bitnami/redis", "bitnami/redis", None),
        ("registry-1.docker.io/bitnami/redis", "bitnami/redis", None),
        ("bitnami/redis:7", "bitnami/redis", "7"),
    ],
)
def test_docker_hub_names(text, repository, tag):
    ref = parse_reference(text)
    assert ref.registry == DOCKER_HUB
    assert ref.api_host == DOCKER_HUB_API == "registry-1.docker.io"
    assert (ref.repository, ref.tag) == (repository, tag)


def test_docker_hub_digest_only():
    ref = parse_reference(f"ubuntu@{SHA256}")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (DOCKER_HUB, "library/ubuntu", None, SHA256)


def test_api_host_is_the_registry_elsewhere():
    assert parse_reference("myreg.azurecr.io/app").api_host == "myreg.azurecr.io"
    assert parse_reference("localhost:5000/app").api_host == "localhost:5000"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty reference"),
        ("   ", "empty reference"),
        ("http://myreg.azurecr.io/app", "without http://"),
        ("http://localhost:5000", "without http://"),
        ("ftp://myreg.azurecr.io/app", "unknown scheme"),
        ("myreg.azurecr.io/App", "lowercase"),
        ("myreg.azurecr.io/team/MyApp:v1", "lowercase"),
        ("myreg.azurecr.io/app:b!d", "not a valid tag"),
        ("myreg.azurecr.io/app:-dash", "not a valid tag"),
        ("myreg.azurecr.io/app:.dot", "not a valid tag"),
        ("myreg.azurecr.io/app:café", "not a valid tag"),
        ("myreg.azurecr.io/app:" + "t" * 129, "not a valid tag"),
        ("myreg.azurecr.io/app@sha256:abc", "not a digest"),
        ("myreg.azurecr.io/app@sha256:" + "a" * 63, "64 lowercase hex"),
        ("myreg.azurecr.io/app@sha256:" + "a" * 65, "64 lowercase hex"),
        ("myreg.azurecr.io/app@sha256:" + "A" * 64, "64 lowercase hex"),
        ("myreg.azurecr.io/app@sha512:" + "a" * 64, "128 lowercase hex"),
        ("myreg.azurecr.io/app@sha256", "not a digest"),
        ("myreg.azurecr.io/app:", "nothing after ':'"),
        ("myreg.azurecr.io/app@", "nothing after '@'"),
        ("myreg.azurecr.io/app:v1@", "nothing after '@'"),
        ("myreg.azurecr.io:", "nothing after ':'"),
        ("myreg.azurecr.io:/app", "nothing after ':'"),
        ("localhost:5000:", "nothing after ':'"),
        ("myreg.azurecr.io/app/", "not a valid repository"),
        ("myreg.azurecr.io/a b", "not a valid repository"),
        ("myreg.azurecr.io/" + "a" * 256, "not a valid repository"),
        ("myreg.azurecr.io:99999/app", "port"),
        ("myreg.azurecr.io:http/app", "port"),
        ("[zz]:5000/app", "IPv6"),
        ("my_reg.io/app", "not a registry host name"),
        (f"@{SHA256}", "no repository"),
    ],
)
def test_invalid_references_say_why_in_one_line(text, needle):
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)
    message = str(caught.value)
    assert needle in message
    assert "\n" not in message
    assert isinstance(caught.value, RegistryError) and isinstance(caught.value, ValueError)


def test_parse_registry():
    assert parse_registry("myreg.azurecr.io") == Reference("myreg.azurecr.io")
    assert parse_registry("https://myreg.azurecr.io/") == Reference("myreg.azurecr.io")
    assert parse_registry("index.docker.io") == Reference(DOCKER_HUB)
    assert parse_registry("[::1]:5000") == Reference("[::1]:5000")
    for bad, needle in [
        ("myreg.azurecr.io/app", "not a repository"),
        ("http://myreg.azurecr.io", "without http://"),
        ("ftp://myreg.azurecr.io", "unknown scheme"),
        ("", "no registry"),
        ("myreg.azurecr.io:", "nothing after ':'"),
    ]:
        with pytest.raises(InvalidReference) as caught:
            parse_registry(bad)
        assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_scope():
    assert scope(parse_reference("myreg.azurecr.io").repository) == "registry:catalog:*"
    ref = parse_reference("myreg.azurecr.io/team/app:v1")
    assert scope(ref.repository) == "repository:team/app:pull"
    assert scope(ref.repository, "pull,push") == "repository:team/app:pull,push"
    assert scope(parse_reference("ubuntu").repository) == "repository:library/ubuntu:pull"


def test_pullable_and_str():
    assert parse_reference("myreg.azurecr.io/app").pullable() == "myreg.azurecr.io/app:latest"
    assert parse_reference("myreg.azurecr.io/app:v1").pullable() == "myreg.azurecr.io/app:v1"
    assert parse_reference(f"myreg.azurecr.io/app:v1@{SHA256}").pullable() == f"myreg.azurecr.io/app@{SHA256}"
    assert str(parse_reference(f"localhost:5000/a/b:c@{SHA256}")) == f"localhost:5000/a/b:c@{SHA256}"
    assert str(parse_reference("myreg.azurecr.io")) == "myreg.azurecr.io"


def test_manifest_ref_prefers_the_digest():
    assert parse_reference(f"x.io/app:v1@{SHA256}").manifest_ref == SHA256
    assert parse_reference("x.io/app:v1").manifest_ref == "v1"
    assert parse_reference("x.io/app").manifest_ref is None


def test_with_tag_validates():
    ref = parse_reference("x.io/app:v1")
    assert ref.with_tag("v2") == Reference("x.io", "app", "v2")
    with pytest.raises(InvalidReference):
        ref.with_tag("a b")


@pytest.mark.parametrize(
    ("registry", "loopback"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("registry.localhost:5000", False),
        ("127.0.0.1:5000", True),
        ("127.8.9.10", True),
        ("[::1]:5000", True),
        ("[::1]", True),
        ("myreg.azurecr.io", False),
        ("10.0.0.1:5000", False),
        ("[2001:db8::1]:5000", False),
        ("localhost.example.com", False),
        ("docker.io", False),
    ],
)
def test_is_loopback(registry, loopback):
    assert is_loopback_host(registry) is loopback
    assert Reference(registry).is_loopback is loopback


def test_validate_digest_accepts_sha256_and_sha512_only():
    assert validate_digest(SHA512) == SHA512
    assert validate_digest("sha256:" + "a" * 64) == "sha256:" + "a" * 64
    for digest in ("sha384:" + "a" * 96, "md5:" + "a" * 32, "shake_128:" + "a" * 64, "blake3:" + "a" * 64):
        with pytest.raises(InvalidReference, match="unsupported digest algorithm"):
            validate_digest(digest)


def test_invalid_names_give_short_errors():
    huge = "A" * 5_000_000
    for check in (validate_digest, validate_tag, validate_repository, parse_reference, parse_registry):
        with pytest.raises(InvalidReference) as caught:
            check(huge)
        assert len(str(caught.value)) < 300
    for value in (None, 5, b"sha256:"):
        for check in (validate_digest, validate_tag, validate_repository):
            with pytest.raises(InvalidReference):
                check(value)


@pytest.mark.parametrize("registry", ["reg.io:\uff15000", "reg.io:\u00b2", "reg.io:" + "9" * 200, "[::1]:abc"],
                         ids=["fullwidth", "superscript", "200 digits", "ipv6 abc"])
def test_odd_ports_are_invalid_references(registry):
    with pytest.raises(InvalidReference, match="port"):
        parse_registry(registry)
    assert is_loopback_host(registry) in (True, False)


def test_repository_in_completes_docker_hub_official_images():
    from acrbrowse.oci.name import repository_in

    assert repository_in("docker.io", "alpine") == "library/alpine"
    assert repository_in("docker.io", "bitnami/redis") == "bitnami/redis"
    assert repository_in("myreg.azurecr.io", "alpine") == "alpine"
    assert repository_in("myreg.azurecr.io", " dotnet/nightly/aspnet/ ") == "dotnet/nightly/aspnet"
    with pytest.raises(InvalidReference):
        repository_in("docker.io", "Alpine")


@pytest.mark.parametrize("name", ["latest", "8.0-amd64", "_x", "a" * 128, "a" * 129, "-x", ".x", "a b", "a\x1b", "", None, 5])
def test_is_valid_tag_agrees_with_validate_tag(name):
    from acrbrowse.oci.name import is_valid_tag, validate_tag

    try:
        validate_tag(name)
        valid = True
    except InvalidReference:
        valid = False
    assert is_valid_tag(name) is valid


@pytest.mark.parametrize(("value", "expected"), [
    ("sha256:" + "a" * 64, "sha256:" + "a" * 64), ("sha512:" + "b" * 128, "sha512:" + "b" * 128),
    ("sha256:" + "A" * 64, None), ("md5:" + "0" * 32, None), ("sha256:" + "a" * 64 + "\n", None),
    ("sha256:" + "a" * 10**6, None), (None, None), (5, None), ("", None),
])
def test_digest_or_none(value, expected):
    from acrbrowse.oci.name import digest_or_none

    assert digest_or_none(value) == expected
