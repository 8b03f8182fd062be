"""usage_of: what each tag holds alone and shares; the repository's unique bytes add up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from acrbrowse.compare.usage import RepositoryUsage, TagUsage, usage_of


def test_alone_and_shared_bytes():
    usage = usage_of({"1.0": {"m1": 500, "c1": 100, "base": 10_000, "one": 2_000},
                      "1.1": {"m2": 510, "c2": 101, "base": 10_000, "two": 3_000},
                      "latest": {"m2": 510, "c2": 101, "base": 10_000, "two": 3_000}})
    assert usage == RepositoryUsage(
        tags=(TagUsage("1.0", 12_600, 10_000, 2_600), TagUsage("1.1", 13_611, 13_611, 0),
              TagUsage("latest", 13_611, 13_611, 0)),
        unique_bytes=500 + 100 + 10_000 + 2_000 + 510 + 101 + 3_000, shared_bytes=10_000 + 510 + 101 + 3_000)


def test_no_tags():
    assert usage_of({}) == RepositoryUsage((), 0, 0)


BLOBS = st.dictionaries(st.sampled_from([f"d{i}" for i in range(12)]), st.integers(0, 10**12), max_size=8)


@given(st.dictionaries(st.text(min_size=1, max_size=5), BLOBS, max_size=6))
def test_unique_bytes_is_what_each_holds_alone_plus_the_shared(tags):
    # one digest, one size: the sizes of the first tag that names it
    sizes: dict[str, int] = {}
    for blobs in tags.values():
        for digest, size in blobs.items():
            sizes.setdefault(digest, size)
    tags = {tag: {digest: sizes[digest] for digest in blobs} for tag, blobs in tags.items()}
    usage = usage_of(tags)
    assert usage.unique_bytes == sum(tag.alone for tag in usage.tags) + usage.shared_bytes
    assert usage.unique_bytes == sum(sizes.values())
    assert [tag.tag for tag in usage.tags] == list(tags)
    for tag in usage.tags:
        assert tag.total == tag.shared + tag.alone == sum(tags[tag.tag].values())
