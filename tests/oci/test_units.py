"""Human-readable sizes and digests."""

import pytest

from acrbrowse.present.units import human_size, short_digest


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1536, "1.5 kB"),
        (999_949, "999.9 kB"),
        (999_950, "1.0 MB"),  # rounds up into the next unit rather than printing "1000.0 kB"
        (1_000_000, "1.0 MB"),
        (27_800_000, "27.8 MB"),
        (1_234_567_890, "1.2 GB"),
        (5 * 10**12, "5.0 TB"),
        (7 * 10**15, "7.0 PB"),
        (3 * 10**18, "3000.0 PB"),  # the last unit has no ceiling
        (2**63 - 1, "9223.4 PB"),  # the largest size a descriptor may have
        (10**21, "1000000 PB"),
        (10**400, "1" + "0" * 385 + " PB"),  # no OverflowError, however large a sum of sizes
    ],
)
def test_human_size(size, text):
    assert human_size(size) == text


def test_human_size_never_shows_four_digits_below_petabytes():
    for exponent in range(3, 16):
        for size in (10**exponent - 1, 10**exponent - 10**(exponent - 4) // 2, 10**exponent):
            number = human_size(size).split()[0]
            assert float(number) < 1000, (size, human_size(size))


@pytest.mark.parametrize(
    ("digest", "text"),
    [
        ("sha256:" + "0123456789abcdef" * 4, "sha256:0123456789ab"),
        ("sha512:" + "f" * 128, "sha512:ffffffffffff"),
        ("sha256:abc", "sha256:abc"),
        ("0123456789abcdef", "0123456789ab"),
        ("", ""),
        ("sha256:", "sha256:"),
    ],
)
def test_short_digest(digest, text):
    assert short_digest(digest) == text


def test_short_digest_length():
    assert short_digest("sha256:" + "a" * 64, 7) == "sha256:aaaaaaa"
