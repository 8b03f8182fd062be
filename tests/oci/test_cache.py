"""The disk cache of digest-addressed content, and the per-registry memo of auth challenges."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from acrbrowse.limits import CONFIG_BYTES, MANIFEST_BYTES
from acrbrowse.oci.cache import ChallengeMemo, ContentCache, read_regular
from acrbrowse.oci.remote.challenge import Challenge


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_round_trip_keeps_media_type_and_bytes(tmp_path):
    cache = ContentCache(tmp_path)
    data = b'{"schemaVersion":2}'
    cache.put(digest(data), "application/vnd.oci.image.manifest.v1+json", data)
    assert cache.get(digest(data)) == ("application/vnd.oci.image.manifest.v1+json", data)
    assert cache.get(digest(b"other")) is None


def test_a_truncated_or_altered_entry_is_a_miss_and_is_removed(tmp_path):
    cache = ContentCache(tmp_path)
    data = b"x" * 1000
    cache.put(digest(data), "application/octet-stream", data)
    path = next(p for p in tmp_path.rglob("*") if p.is_file())
    path.write_bytes(path.read_bytes()[:500])  # a crash mid-write by something else, a disk error
    assert cache.get(digest(data)) is None
    assert not path.exists()
    cache.put(digest(data), "application/octet-stream", data)
    assert cache.get(digest(data)) == ("application/octet-stream", data)


def test_odd_digests_and_oversized_content_are_not_stored(tmp_path):
    cache = ContentCache(tmp_path)
    cache.put("sha256:../../etc/passwd", "x", b"data")
    cache.put("md5:abcd", "x", b"data")
    cache.put(digest(b"y" * (9 * 2**20)), "x", b"y" * (9 * 2**20))
    cache.put(digest(b"z"), "two\nlines", b"z")
    assert list(tmp_path.rglob("*")) == []
    assert cache.get("sha256:../../etc/passwd") is None


def test_trim_keeps_the_cache_under_its_cap(tmp_path):
    cache = ContentCache(tmp_path, max_bytes=10_000)
    blobs = [os.urandom(1500) for _ in range(20)]
    for i, blob in enumerate(blobs):
        cache.put(digest(blob), "application/octet-stream", blob)
        os.utime(next(tmp_path.rglob(digest(blob).split(":")[1])), (i, i))  # oldest first
    cache.trim()
    total = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert total <= 10_000
    assert cache.get(digest(blobs[-1])) is not None  # the newest stays
    assert cache.get(digest(blobs[0])) is None  # the oldest went


def _writer(root: str, blob: bytes, rounds: int) -> None:
    cache = ContentCache(root)
    for _ in range(rounds):
        cache.put(digest(blob), "application/octet-stream", blob)
        got = cache.get(digest(blob))
        assert got is None or got[1] == blob
        # another writer may have just replaced the file: remove it so the next put writes again
        for path in cache.root.rglob(digest(blob).split(":")[1]):
            path.unlink(missing_ok=True)


def test_concurrent_writers_never_leave_a_bad_entry(tmp_path):
    blob = os.urandom(200_000)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), blob, 40)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    cache = ContentCache(tmp_path)
    cache.put(digest(blob), "application/octet-stream", blob)
    assert cache.get(digest(blob)) == ("application/octet-stream", blob)
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temp files left behind


def test_challenge_memo_keeps_nothing_secret_and_forgets(tmp_path):
    memo = ChallengeMemo(tmp_path / "challenges.json")
    assert memo.get("reg.example.io") is None
    challenge = Challenge("bearer", {"realm": "https://reg.example.io/oauth2/token", "service": "reg.example.io",
                                     "scope": "repository:app:pull", "error": "invalid_token"})
    memo.put("reg.example.io", challenge)
    assert memo.get("reg.example.io") == Challenge(
        "bearer", {"realm": "https://reg.example.io/oauth2/token", "service": "reg.example.io"})
    assert "scope" not in (tmp_path / "challenges.json").read_text()
    memo.forget("reg.example.io")
    assert memo.get("reg.example.io") is None
    (tmp_path / "challenges.json").write_text("{not json")
    assert memo.get("reg.example.io") is None  # a damaged memo is no memo


# ---- hostile local state: only regular files are read, each within the cap of its kind ---------------

def _entry_path(root, data: bytes):
    hex_part = digest(data).split(":")[1]
    return root / "sha256" / hex_part[:2] / hex_part


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_a_cache_entry_that_is_a_symlink_to_a_device_is_a_miss(tmp_path, target):
    cache = ContentCache(tmp_path)
    path = _entry_path(tmp_path, b"data")
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    assert cache.get(digest(b"data")) is None
    assert not os.path.lexists(path)  # the link is removed, not its target
    assert os.path.exists(target)


def test_a_cache_entry_that_is_a_fifo_does_not_hang(tmp_path):
    cache = ContentCache(tmp_path)
    path = _entry_path(tmp_path, b"data")
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    result = []
    worker = threading.Thread(target=lambda: result.append(cache.get(digest(b"data"))), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "reading a FIFO entry blocks"
    assert result == [None]


def test_a_symlink_to_a_valid_entry_elsewhere_is_not_followed(tmp_path):
    data = b'{"schemaVersion":2}'
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"application/json\n" + data)
    cache = ContentCache(tmp_path / "cache")
    path = _entry_path(tmp_path / "cache", data)
    path.parent.mkdir(parents=True)
    path.symlink_to(elsewhere)
    assert cache.get(digest(data)) is None
    assert elsewhere.exists()


def test_an_entry_past_the_cap_of_its_kind_is_not_read(tmp_path):
    data = b"x" * (MANIFEST_BYTES + 1)
    cache = ContentCache(tmp_path)
    cache.put(digest(data), "application/octet-stream", data)  # a config may be this large
    assert cache.get(digest(data), max_bytes=CONFIG_BYTES) == ("application/octet-stream", data)
    assert cache.get(digest(data), max_bytes=MANIFEST_BYTES) is None  # as a manifest, it is too large


def test_an_entry_with_a_control_character_in_its_media_type_is_rejected(tmp_path):
    data = b"{}"
    path = _entry_path(tmp_path, data)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"application/\x1b[2Jjson\n" + data)
    assert ContentCache(tmp_path).get(digest(data)) is None and not path.exists()


def test_a_directory_in_place_of_an_entry_is_a_miss(tmp_path):
    path = _entry_path(tmp_path, b"data")
    path.mkdir(parents=True)
    assert ContentCache(tmp_path).get(digest(b"data")) is None


def test_read_regular_refuses_all_but_small_regular_files(tmp_path):
    small = tmp_path / "small"
    small.write_bytes(b"12345")
    assert read_regular(small, 5) == b"12345"
    assert read_regular(small, 4) is None
    assert read_regular(tmp_path / "missing", 5) is None
    (tmp_path / "link").symlink_to(small)
    assert read_regular(tmp_path / "link", 5) is None
    assert read_regular(Path("/dev/zero"), 5) is None


# ---- the remembered challenges are checked by the rules a live challenge meets --------------------

def _planted(tmp_path, registry: str, entry: dict) -> ChallengeMemo:
    path = tmp_path / "challenges.json"
    path.write_text(json.dumps({registry: entry}))
    return ChallengeMemo(path)


@pytest.mark.parametrize("realm", [
    "http://evil.example.com/token",  # plain HTTP to a remote host
    "http://127.0.0.1/token",  # plain HTTP to loopback, but the registry is remote
    "file:///etc/passwd",
    "ftp://evil.example.com/token",
    "https://evil.example.com:abc/token",
    "https://evil.example.com:99999/token",
    "https://evil\x1b.example.com/token",
    "https:///token",
    "",
])
def test_a_planted_realm_that_would_not_be_followed_is_dropped(tmp_path, realm):
    memo = _planted(tmp_path, "reg.example.io", {"scheme": "bearer", "realm": realm, "service": "x"})
    assert memo.get("reg.example.io") is None


def test_a_plain_http_realm_is_kept_only_between_loopback_ends(tmp_path):
    entry = {"scheme": "bearer", "realm": "http://127.0.0.1:5001/token", "service": "local"}
    assert _planted(tmp_path, "localhost:5000", entry).get("localhost:5000") == Challenge(
        "bearer", {"realm": "http://127.0.0.1:5001/token", "service": "local"})
    entry["realm"] = "http://[::1]:5001/token"
    assert _planted(tmp_path, "127.0.0.1:5000", entry).get("127.0.0.1:5000") is not None
    entry["realm"] = "http://foo.localhost:5001/token"
    assert _planted(tmp_path, "127.0.0.1:5000", entry).get("127.0.0.1:5000") is None


def test_a_https_realm_is_kept(tmp_path):
    entry = {"scheme": "bearer", "realm": "https://auth.example.io/token", "service": "reg.example.io"}
    assert _planted(tmp_path, "reg.example.io", entry).get("reg.example.io") is not None


@pytest.mark.parametrize("content", [b"[" * 100_000, b"\xff\xfe", b'"a string"', b'{"reg.example.io": 5}'])
def test_a_damaged_memo_is_no_memo(tmp_path, content):
    path = tmp_path / "challenges.json"
    path.write_bytes(content)
    assert ChallengeMemo(path).get("reg.example.io") is None


def test_a_memo_that_is_a_fifo_or_a_device_is_no_memo(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    result = []
    worker = threading.Thread(target=lambda: result.append(ChallengeMemo(fifo).get("r")), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert result == [None]
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    assert ChallengeMemo(link).get("r") is None


async def test_a_planted_realm_never_sees_the_credential(tmp_path, mock, password):
    from acrbrowse.oci.remote.client import RegistryClient

    memo = _planted(tmp_path, "reg.example.io", {"scheme": "bearer", "realm": "http://evil.example.com/t"})
    evil = mock.route(host="evil.example.com").respond(200, json={"token": "t"})
    mock.get("/v2/app/tags/list").respond(200, json={"tags": ["v1"]})
    async with RegistryClient("reg.example.io", credential=password,
                              known_challenge=memo.get("reg.example.io")) as client:
        assert [t async for t in client.tags("app")] == ["v1"]
    assert not evil.called
