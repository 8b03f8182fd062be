"""The pure helpers around ACR's metadata: its time format, relative times, natural order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acrbrowse.oci.remote.acr import parse_changeable, parse_manifest_metadata, parse_tag, parse_time
from acrbrowse.present.order import natural_key
from acrbrowse.present.times import iso_time, relative_time

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-06-01T12:00:00.1234567Z", datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2024-06-01T12:00:00Z", datetime(2024, 6, 1, 12, tzinfo=UTC)),
    ("2024-06-01T12:00:00.5+02:00", datetime(2024, 6, 1, 10, 0, 0, 500000, tzinfo=UTC)),
    ("2024-06-01T12:00:00", datetime(2024, 6, 1, 12, tzinfo=UTC)),
    ("2024-06-01 12:00:00.1z", datetime(2024, 6, 1, 12, 0, 0, 100000, tzinfo=UTC)),
])
def test_parse_time_reads_acr_and_iso_forms(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("value", [None, 12, 1.5, True, [], {}, "", "yesterday", "2024-13-01T00:00:00Z",
                                   "2024-02-30T00:00:00Z", "9999-99-99T99:99:99Z", "2024-06-01T12:00:00+99:00",
                                   "2024-06-01T12:00:00Z\n", "2024-06-01T12:00:00Z" + "0" * 100,
                                   "0000-01-01T00:00:00Z", "2024-06-01T25:00:00Z"])
def test_parse_time_refuses_anything_else(value):
    assert parse_time(value) is None


@pytest.mark.parametrize(("delta", "expected"), [
    (timedelta(seconds=0), "just now"), (timedelta(seconds=59), "just now"),
    (timedelta(minutes=1), "1 minute ago"), (timedelta(minutes=59, seconds=59), "59 minutes ago"),
    (timedelta(hours=1), "1 hour ago"), (timedelta(hours=23), "23 hours ago"),
    (timedelta(days=3), "3 days ago"), (timedelta(days=29), "29 days ago"),
    (timedelta(days=60), "2 months ago"), (timedelta(days=400), "1 year ago"), (timedelta(days=3650), "10 years ago"),
    (timedelta(seconds=-60), "just now"), (timedelta(days=-1), "in the future"),
])
def test_relative_time(delta, expected):
    assert relative_time(NOW - delta, NOW) == expected


def test_relative_and_iso_of_unknown():
    assert relative_time(None, NOW) == "-"
    assert iso_time(None) is None
    assert iso_time(datetime(2024, 6, 1, 12, tzinfo=UTC)) == "2024-06-01T12:00:00Z"


def test_natural_order():
    names = ["v1.10", "v1.9", "build-10", "Build-2", "latest"]
    assert sorted(names, key=natural_key) == ["Build-2", "build-10", "latest", "v1.9", "v1.10"]


def test_hostile_entries_never_crash():
    for item in [None, [], "x", 5, {"name": 5}, {"name": "a" * 200}, {"name": "\x1b[31m"}]:
        assert parse_tag(item) is None
    for item in [None, {"digest": "md5:00"}, {"digest": 5}]:
        assert parse_manifest_metadata(item) is None
    odd = parse_manifest_metadata({"digest": "sha256:" + "a" * 64, "imageSize": -1, "tags": ["ok", 5, "no pe"],
                                   "references": [{"digest": "x"}, 3, {"digest": "sha256:" + "b" * 64, "os": 9}],
                                   "architecture": "x" * 1000, "changeableAttributes": {"quarantineState": 5}})
    assert odd is not None
    assert (odd.size, odd.tags, odd.architecture, odd.quarantine_state) == (None, ("ok",), None, None)
    assert [r.digest for r in odd.references] == ["sha256:" + "b" * 64] and odd.references[0].os is None
    assert parse_changeable({"writeEnabled": False}).locked  # type: ignore[union-attr]
    assert not parse_changeable({"writeEnabled": "false"}).locked  # type: ignore[union-attr]
    big = parse_manifest_metadata({"digest": "sha256:" + "a" * 64, "imageSize": 10**30})
    assert big is not None and big.size is None
