"""The disk cache of digest-addressed content, and the per-registry memo of auth challenges."""

from __future__ import annotations

import hashlib
import multiprocessing
import os

from acrbrowse.registry.cache import ChallengeMemo, ContentCache
from acrbrowse.registry.challenge import Challenge


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_round_trip_keeps_media_type_and_bytes(tmp_path):
    cache = ContentCache(tmp_path)
    data = b'{"schemaVersion":2}'
    cache.put(digest(data), "application/vnd.oci.image.manifest.v1+json", data)
    assert cache.get(digest(data)) == ("application/vnd.oci.image.manifest.v1+json", data)
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 0, 1)
    assert cache.get(digest(b"other")) is None and cache.stats.misses == 1


def test_a_truncated_or_altered_entry_is_a_miss_and_is_removed(tmp_path):
    cache = ContentCache(tmp_path)
    data = b"x" * 1000
    cache.put(digest(data), "application/octet-stream", data)
    path = next(p for p in tmp_path.rglob("*") if p.is_file())
    path.write_bytes(path.read_bytes()[:500])  # a crash mid-write by something else, a disk error
    assert cache.get(digest(data)) is None
    assert not path.exists() and cache.stats.rejected == 1
    cache.put(digest(data), "application/octet-stream", data)
    assert cache.get(digest(data)) == ("application/octet-stream", data)


def test_odd_digests_and_oversized_content_are_not_stored(tmp_path):
    cache = ContentCache(tmp_path)
    cache.put("sha256:../../etc/passwd", "x", b"data")
    cache.put("md5:abcd", "x", b"data")
    cache.put(digest(b"y" * (5 * 2**20)), "x", b"y" * (5 * 2**20))
    assert list(tmp_path.rglob("*")) == [] and cache.stats.writes == 0
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
    assert not [p for p in tmp_path.rglob(".tmp-*")]  # no temp files left behind


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
