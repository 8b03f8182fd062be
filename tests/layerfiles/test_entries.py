"""Listing: entries kept in columns, read back as FileEntry; columns in and out in bulk (the cache's
form), refusing values the columns cannot hold."""

from __future__ import annotations

import pytest

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing, normalize_path, split_whiteout

ENTRIES = [
    FileEntry("usr/bin/app", Kind.FILE, 5, 0o755, 0, 0, "root", "root", "", 1_700_000_000),
    FileEntry("usr/bin/sh", Kind.SYMLINK, 0, 0o777, 0, 0, "root", "root", "app", 1),
    FileEntry("home/ann", Kind.DIR, 0, 0o750, 1000, 1000, "ann", "staff", "", 2),
    FileEntry("etc/old", Kind.WHITEOUT),
    FileEntry("x\x1b[2J", Kind.HARDLINK, 0, 0o644, 2**32 - 1, 7, "", "", "usr/bin/app", -5),
]


def test_entries_and_columns_round_trip():
    listing = Listing(ENTRIES)
    assert list(listing) == ENTRIES and len(listing) == 5 and listing.total_size == 5
    columns = listing.columns(1, 4)
    assert columns[0] == ["usr/bin/sh", "home/ann", "etc/old"] and columns[8] == ["app", "", ""]
    again = Listing()
    again.extend_columns(listing.columns(0, 2))
    again.extend_columns(listing.columns(2, 5))
    assert list(again) == ENTRIES and again.paths == [e.path for e in ENTRIES]


def test_values_out_of_range_are_clamped_one_by_one():
    listing = Listing([FileEntry("a", Kind.FILE, -3, 0o177777, -1, 2**40, mtime=2**70)])
    assert listing[0][2:6] == (0, 0o7777, 0, 2**32 - 1) and listing[0].mtime == 2**63 - 1


@pytest.mark.parametrize("damage", [
    lambda c: c[0].append("extra"),  # a column longer than the others
    lambda c: c[1].__setitem__(0, 99),  # no such kind
    lambda c: c[2].__setitem__(0, -1),  # a negative size
    lambda c: c[2].__setitem__(0, 2**64),  # past the column
    lambda c: c[3].__setitem__(0, 0o10000),  # more than permission bits
    lambda c: c[4].__setitem__(0, "0"),  # not a number
    lambda c: c[9].__setitem__(0, 1.5),
])
def test_bad_columns_add_nothing(damage):
    columns = Listing(ENTRIES).columns(0, 5)
    damage(columns)
    listing = Listing(ENTRIES[:1])
    with pytest.raises((ValueError, TypeError, OverflowError)):
        listing.extend_columns(columns)
    assert list(listing) == ENTRIES[:1]  # nothing half-added


def test_paths_and_whiteouts():
    assert normalize_path("./usr//bin/") == "usr/bin" and normalize_path("/") == normalize_path(".") == ""
    assert normalize_path("../etc/../x") == "../etc/../x"  # kept as names: nothing is extracted
    assert split_whiteout("var/.wh.cache") == ("var/cache", Kind.WHITEOUT)
    assert split_whiteout("opt/.wh..wh..opq") == ("opt", Kind.OPAQUE)
    assert split_whiteout(".wh.") is None and split_whiteout("a/b") is None
