"""--platform: parsed, matched as containerd matches (arm64 means arm64/v8), refused with the
index's platforms named when it matches none or several."""

import pytest

from acrbrowse.oci.errors import InvalidReference, RegistryError
from acrbrowse.oci.manifest import ImageIndex, parse_manifest
from acrbrowse.oci.platforms import PlatformSpec, choose_platform, parse_platform

from . import content as c

AMD = c.image_manifest(c.image_config(), (1000,))
ARM64 = c.image_manifest(c.image_config(architecture="arm64"), (2000,))
ARM = c.image_manifest(c.image_config(architecture="arm"), (3000,))
WIN_2019 = c.image_manifest(c.image_config(os="windows"), (4000,))
WIN_2022 = c.image_manifest(c.image_config(os="windows"), (5000,))


def index(*entries: dict) -> ImageIndex:
    raw = c.index(list(entries))
    manifest = parse_manifest(raw, c.sha256(raw))
    assert isinstance(manifest, ImageIndex)
    return manifest


MULTI = index(
    c.platform_entry(AMD, "linux", "amd64"),
    c.platform_entry(ARM64, "linux", "arm64", variant="v8"),
    c.platform_entry(ARM, "linux", "arm"),
    c.attestation_entry(c.attestation_manifest(c.sha256(AMD)), c.sha256(AMD)),
    c.platform_entry(WIN_2019, "windows", "amd64", **{"os.version": "10.0.17763.5329"}),
    c.platform_entry(WIN_2022, "windows", "amd64", **{"os.version": "10.0.20348.2227"}),
)


@pytest.mark.parametrize(("text", "spec"), [
    ("linux/amd64", PlatformSpec("linux", "amd64")),
    ("Linux/ARM64/v8", PlatformSpec("linux", "arm64", "v8")),
    (" windows/amd64 ", PlatformSpec("windows", "amd64")),
])
def test_parse(text, spec):
    assert parse_platform(text) == spec


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64", "linux/\x1b[2Jamd64", ""])
def test_parse_refuses(text):
    with pytest.raises(InvalidReference, match="OS/ARCH") as caught:
        parse_platform(text)
    assert "\x1b" not in str(caught.value)


@pytest.mark.parametrize(("text", "manifest"), [
    ("linux/amd64", AMD),
    ("linux/arm64", ARM64),
    ("linux/arm64/v8", ARM64),  # the variant written out matches
    ("linux/arm/v7", ARM),  # an arm without a variant is v7
])
def test_choose(text, manifest):
    assert choose_platform(MULTI, parse_platform(text), "app:1").digest == c.sha256(manifest)


def test_an_attestation_is_never_a_platform():
    only = index(c.platform_entry(AMD, "linux", "amd64"), c.attestation_entry(c.attestation_manifest(c.sha256(AMD)),
                                                                              c.sha256(AMD)))
    assert choose_platform(only, None, "app:1").digest == c.sha256(AMD)  # the one platform, without --platform


def test_several_or_none_are_refused_with_the_platforms_named():
    with pytest.raises(RegistryError, match=r"app:1 is an index of 5 platforms \(linux/amd64, linux/arm64/v8, "
                                            r"linux/arm, windows/amd64 10\.0\.17763\.5329, .*\)$"):
        choose_platform(MULTI, None, "app:1")
    with pytest.raises(RegistryError, match="app:1 has no linux/s390x image; its platforms: linux/amd64, "):
        choose_platform(MULTI, parse_platform("linux/s390x"), "app:1")
    with pytest.raises(RegistryError, match=r"app:1 has 2 windows/amd64 images \(windows/amd64 10\.0\.17763\.5329, "
                                            r"windows/amd64 10\.0\.20348\.2227\)$"):
        choose_platform(MULTI, parse_platform("windows/amd64"), "app:1")
    with pytest.raises(RegistryError, match="no linux/arm64/v7 image"):
        choose_platform(MULTI, parse_platform("linux/arm64/v7"), "app:1")
