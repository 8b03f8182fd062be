"""What other registries send that distribution does not (issue 13): signed schema 1 manifests (old
registries, Quay), a Docker-Content-Digest of another serialization, `layers: null`, and the
`manifest` map of Google's tags/list. Served by the real test bed through the fault proxy, which
plays what distribution 2.8 will not do (it refuses schema 1 pushes)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.errors import IntegrityError
from acrbrowse.oci.manifest import ImageManifest, LegacyManifest, parse_manifest, schema1_payload
from acrbrowse.oci.remote.client import RegistryClient, gcr_tag_metadata
from acrbrowse.oci.source import TagMetadata

from . import content as c

LEGACY = "legacy/app"
BLOB_SUMS = [c.fake_digest(1), c.fake_digest(2)]


# ---- a signed schema 1 manifest, as libtrust makes one ---------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_schema1(tag: str = "v1") -> bytes:
    """What docker 1.x pushed before signing: indented three spaces, as Go's MarshalIndent writes."""
    document = {
        "schemaVersion": 1, "name": LEGACY, "tag": tag, "architecture": "amd64",
        "fsLayers": [{"blobSum": digest} for digest in BLOB_SUMS],
        "history": [{"v1Compatibility": json.dumps({"id": "a" * 64, "created": "2016-01-01T00:00:00Z"})}],
    }
    return json.dumps(document, indent=3).encode()


def sign_schema1(payload: bytes, keys: int = 1) -> bytes:
    """libtrust's JWS ("pretty signature"): the payload cut before its closing brace, the signatures
    put in, the tail put back; each signature's protected header says where the cut is."""
    close = payload.rstrip().rfind(b"}")
    length = len(payload[:close].rstrip())
    tail = payload[length:]
    signatures = []
    for _ in range(keys):
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        protected = b64url(json.dumps({"formatLength": length, "formatTail": b64url(tail),
                                       "time": "2016-01-01T00:00:00Z"}).encode())
        der = key.sign(f"{protected}.{b64url(payload)}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signatures.append({
            "header": {"jwk": {"crv": "P-256", "kty": "EC", "x": b64url(numbers.x.to_bytes(32, "big")),
                               "y": b64url(numbers.y.to_bytes(32, "big"))}, "alg": "ES256"},
            "signature": b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big")),
            "protected": protected,
        })
    inserted = ',\n   "signatures": ' + json.dumps(signatures, indent=3).replace("\n", "\n   ")
    return payload[:length] + inserted.encode() + tail


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def serve_schema1(proxy, raw: bytes, digest: str, tag: str = "v1") -> None:
    """The proxy answers the tag and the digest (GET and HEAD) as a registry holding `raw` would."""
    headers = {"Content-Type": mt.DOCKER_SCHEMA1_SIGNED, "Docker-Content-Digest": digest}
    proxy.respond(None, rf"^/v2/{LEGACY}/manifests/({tag}|{digest})$", 200, raw, headers)


def test_the_canonical_payload_is_the_document_without_its_signatures():
    payload = unsigned_schema1()
    for keys in (1, 2):
        signed = sign_schema1(payload, keys)
        assert signed != payload and b'"signatures"' in signed
        assert schema1_payload(signed) == payload


def test_no_payload_for_what_is_not_a_signed_schema1():
    payload = unsigned_schema1()
    signed = sign_schema1(payload)
    document = json.loads(signed)
    assert schema1_payload(payload) is None  # unsigned
    assert schema1_payload(b"not json") is None
    assert schema1_payload(json.dumps({**document, "signatures": []}).encode()) is None
    assert schema1_payload(json.dumps({**document, "signatures": [{"protected": "%%%"}]}).encode()) is None
    # a cut past the end, or one that leaves a document other than the signed one minus its signatures
    for length in (len(signed) + 1, 10):
        protected = b64url(json.dumps({"formatLength": length, "formatTail": b64url(b"\n}")}).encode())
        forged = json.dumps({**document, "signatures": [{"protected": protected}]}, indent=3).encode()
        assert schema1_payload(forged) is None


def test_signatures_that_disagree_on_the_cut_are_refused():
    payload = unsigned_schema1()
    signed = json.loads(sign_schema1(payload, 2))
    other = json.loads(base64.urlsafe_b64decode(signed["signatures"][1]["protected"] + "=="))
    other["formatLength"] -= 1
    signed["signatures"][1]["protected"] = b64url(json.dumps(other).encode())
    assert schema1_payload(json.dumps(signed, indent=3).encode()) is None


def test_keys_after_the_cut_are_not_taken_as_signed():
    payload = unsigned_schema1()
    signed = sign_schema1(payload)
    smuggled = signed[:-2] + b',\n   "name": "someone/else"\n}'  # after formatLength: not covered by the digest
    assert schema1_payload(smuggled) is None


async def test_a_signed_schema1_is_read_under_the_digest_the_registry_announces(testbed, fault_proxy):
    payload = unsigned_schema1()
    raw = sign_schema1(payload)
    digest = sha256(payload)
    proxy = fault_proxy("anon")
    serve_schema1(proxy, raw, digest)
    notices: list[str] = []
    async with RegistryClient(proxy.host, on_notice=notices.append) as client:
        by_tag = await client.get_manifest(LEGACY, "v1")
        by_digest = await client.get_manifest(LEGACY, digest)
        listed = await client.manifest_for_tag(LEGACY, "v1")
    for manifest in (by_tag, by_digest, listed):
        assert isinstance(manifest, LegacyManifest) and manifest.digest == digest and manifest.raw == raw
        assert manifest.announced_digest is None and manifest.blob_sums == tuple(BLOB_SUMS)
    assert notices == []


async def test_a_signed_schema1_altered_is_still_refused_by_digest(testbed, fault_proxy):
    payload = unsigned_schema1()
    digest = sha256(payload)
    altered = sign_schema1(payload.replace(b'"tag": "v1"', b'"tag": "v2"'))  # signed again, by someone
    proxy = fault_proxy("anon")
    serve_schema1(proxy, altered, digest)
    async with RegistryClient(proxy.host) as client:
        with pytest.raises(IntegrityError, match="does not match its digest"):
            await client.get_manifest(LEGACY, digest)


async def test_a_signed_schema1_without_a_digest_header_is_named_by_its_payload(testbed, fault_proxy):
    payload = unsigned_schema1()
    proxy = fault_proxy("anon")
    proxy.respond("GET", rf"^/v2/{LEGACY}/manifests/v1$", 200, sign_schema1(payload),
                  {"Content-Type": mt.DOCKER_SCHEMA1_SIGNED})
    async with RegistryClient(proxy.host) as client:
        assert (await client.get_manifest(LEGACY, "v1")).digest == sha256(payload)


# ---- a Docker-Content-Digest of another serialization ------------------------------------------

def reserialized(body: bytes) -> bytes:
    return json.dumps(json.loads(body), indent=2).encode()


async def test_by_tag_another_serialization_is_shown_with_a_warning(testbed, fault_proxy):
    digest = testbed.content.tags["aspnetapp"]["8.0-amd64"]
    proxy = fault_proxy("anon")
    proxy.replace_body("GET", r"^/v2/aspnetapp/manifests/", reserialized)  # Docker-Content-Digest kept
    notices: list[str] = []
    async with RegistryClient(proxy.host, on_notice=notices.append) as client:
        by_tag = await client.get_manifest("aspnetapp", "8.0-amd64")
        assert isinstance(by_tag, ImageManifest)
        assert by_tag.digest == sha256(by_tag.raw) != digest and by_tag.announced_digest == digest
        assert len(notices) == 1 and f"announced digest {digest[:19]}…" in notices[0]
        assert sha256(by_tag.raw)[:19] in notices[0] and "\n" not in notices[0]

        with pytest.raises(IntegrityError, match="does not match its digest"):  # by digest: strict
            await client.get_manifest("aspnetapp", digest)

        listed = await client.manifest_for_tag("aspnetapp", "8.0-amd64")  # HEAD, by digest refused, by tag
        assert listed.digest == by_tag.digest and listed.announced_digest == digest
        assert len(notices) == 2


async def test_a_tampered_tag_of_the_same_digest_is_not_waved_through(testbed, fault_proxy):
    """manifest_for_tag reads by tag only when the registry serves another serialization under the
    tag too: a by-digest answer altered while the tag's body still matches is an error."""
    digest = testbed.content.tags["aspnetapp"]["8.0-amd64"]
    proxy = fault_proxy("anon")
    proxy.replace_body("GET", rf"^/v2/aspnetapp/manifests/{digest}$", reserialized)
    async with RegistryClient(proxy.host) as client:
        with pytest.raises(IntegrityError, match="does not match its digest"):
            await client.manifest_for_tag("aspnetapp", "8.0-amd64")


def test_layers_null_reads_as_no_layers():
    raw = json.dumps({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "layers": None,
                      "config": c.descriptor(mt.OCI_CONFIG, c.fake_digest(1), 2)}).encode()
    manifest = parse_manifest(raw, sha256(raw))
    assert isinstance(manifest, ImageManifest) and manifest.layers == () and manifest.compressed_size == 0


# ---- Google's tags/list manifest map ------------------------------------------------------------

def gcr_map(tags: dict[str, str], **extra) -> dict:
    """Google's `manifest` map for `tags` (tag → digest): numbers as strings, as GCR and AR send them."""
    by_digest: dict[str, list[str]] = {}
    for tag, digest in tags.items():
        by_digest.setdefault(digest, []).append(tag)
    return {digest: {"imageSizeBytes": "1234", "layerId": "", "mediaType": mt.DOCKER_MANIFEST, "tag": names,
                     "timeCreatedMs": "0", "timeUploadedMs": "1700000000123", **extra}
            for digest, names in by_digest.items()}


def with_manifest_map(tags: dict[str, str], **extra):
    def rewrite(body: bytes) -> bytes:
        return json.dumps({**json.loads(body), "manifest": gcr_map(tags, **extra)}).encode()
    return rewrite


async def test_google_tag_times_and_sizes_are_kept(testbed, fault_proxy):
    tags = testbed.content.tags["aspnetapp"]
    proxy = fault_proxy("anon")
    proxy.replace_body("GET", r"^/v2/aspnetapp/tags/list$", with_manifest_map(tags))
    async with RegistryClient(proxy.host) as client:
        assert client.tag_list_metadata("aspnetapp") == {}
        assert sorted([tag async for tag in client.tags("aspnetapp")]) == sorted(tags)
        metadata = client.tag_list_metadata("aspnetapp")
        uploaded = datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
        assert metadata == {tag: TagMetadata(tag, digest=digest, created=None, updated=uploaded, size=1234)
                            for tag, digest in tags.items()}
        assert client.tag_list_metadata("public/hello") == {}


async def test_a_google_map_that_cannot_be_read_leaves_the_names_and_says_so(testbed, fault_proxy):
    tags = testbed.content.tags["aspnetapp"]
    proxy = fault_proxy("anon")
    proxy.replace_body("GET", r"^/v2/aspnetapp/tags/list$", with_manifest_map(tags, imageSizeBytes="-1"))
    notices: list[str] = []
    async with RegistryClient(proxy.host, on_notice=notices.append) as client:
        assert sorted([tag async for tag in client.tags("aspnetapp")]) == sorted(tags)
        assert client.tag_list_metadata("aspnetapp") == {}
    assert len(notices) == 1 and "manifest map that cannot be read" in notices[0]


@pytest.mark.parametrize("listed", [
    [], {"sha256:short": {}}, {c.fake_digest(1): []}, {c.fake_digest(1): {"tag": "latest"}},
    {c.fake_digest(1): {"tag": [1]}}, {c.fake_digest(1): {"timeUploadedMs": 1.5}},
    {c.fake_digest(1): {"timeUploadedMs": "9" * 19}}, {c.fake_digest(1): {"imageSizeBytes": True}},
])
def test_google_maps_of_another_shape_are_refused(listed):
    assert gcr_tag_metadata(listed) is None


def test_google_numbers_may_be_numbers():
    found = gcr_tag_metadata({c.fake_digest(1): {"tag": ["a", "b"], "imageSizeBytes": 5, "timeCreatedMs": 1000,
                                                 "timeUploadedMs": None}})
    assert found is not None and set(found) == {"a", "b"}
    assert found["a"] == TagMetadata("a", digest=c.fake_digest(1), created=datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
                                     updated=None, size=5)
