"""compare_files: the difference of two merged filesystems, over listings built here."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from acrbrowse.compare.files import FileChangeKind, compare_files
from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing
from acrbrowse.layerfiles.merge import Change, MergedFilesystem, merge, path_order

ADDED, REMOVED, MODIFIED = FileChangeKind.ADDED, FileChangeKind.REMOVED, FileChangeKind.MODIFIED


def file(path: str, size: int = 0, **more: object) -> FileEntry:
    return FileEntry(path, Kind.FILE, size, **more)  # type: ignore[arg-type]


def merged(*layers: list[FileEntry]) -> MergedFilesystem:
    return merge([Listing(layer) for layer in layers])


def summary(changes) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.path, c.kind.value, c.what) for c in changes]


BASE = [FileEntry("etc", Kind.DIR, mode=0o755), file("etc/a", 10), file("etc/b", 20), file("etc/c", 5),
        FileEntry("bin", Kind.DIR, mode=0o755), FileEntry("bin/sh", Kind.SYMLINK, link="busybox")]


def test_added_removed_modified_in_path_order():
    a = merged(BASE, [file("etc/only-a", 1)])
    b = merged(BASE, [file("etc/a", 11), FileEntry("etc/b", Kind.WHITEOUT), file("etc/c", 5, mode=0o600),
                      FileEntry("bin/sh", Kind.SYMLINK, link="bash"), file("new", 3, mtime=9)])
    assert summary(compare_files(a, b)) == [
        ("bin/sh", "modified", ("link",)),
        ("etc/a", "modified", ("size",)),
        ("etc/b", "removed", ()),
        ("etc/c", "modified", ("mode",)),
        ("etc/only-a", "removed", ()),
        ("new", "added", ()),
    ]


def test_a_path_removed_in_both_is_no_change_and_one_removed_in_a_is_added_in_b():
    a = merged(BASE, [FileEntry("etc/a", Kind.WHITEOUT), FileEntry("etc/b", Kind.WHITEOUT)])
    b = merged(BASE, [FileEntry("etc/a", Kind.WHITEOUT)])
    assert summary(compare_files(a, b)) == [("etc/b", "added", ())]
    assert compare_files(b, b) == []


def test_the_entries_of_each_side_and_every_kind_of_difference():
    a = merged([file("x", 1, mode=0o644, uid=0, mtime=1)])
    b = merged([FileEntry("x", Kind.SYMLINK, 0, 0o777, 1000, 0, "app", "", "y", 2)])
    (change,) = compare_files(a, b)
    assert change.what == ("type", "size", "mode", "owner", "link", "time")
    assert change.a == file("x", 1, mode=0o644, uid=0, mtime=1) and change.b is not None and change.b.link == "y"


def test_an_opaque_directory_removes_what_was_below_it():
    a = merged(BASE)
    b = merged(BASE, [FileEntry("etc", Kind.OPAQUE), file("etc/fresh", 1)])
    assert summary(compare_files(a, b)) == [("etc/a", "removed", ()), ("etc/b", "removed", ()),
                                            ("etc/c", "removed", ()), ("etc/fresh", "added", ())]


NAMES = st.sampled_from(["a", "b", "a/x", "a/y", "b/z", "a-b", "c"])
ENTRIES = st.one_of(
    st.builds(file, NAMES, st.integers(0, 3)),
    st.builds(lambda p: FileEntry(p, Kind.DIR, mode=0o755), NAMES),
    st.builds(lambda p: FileEntry(p, Kind.WHITEOUT), NAMES),
)
LAYERS = st.lists(st.lists(ENTRIES, max_size=5), max_size=4)


def standing(fs: MergedFilesystem) -> dict[str, FileEntry]:
    return {row.path: row.entry for row in fs.paths if row.change is not Change.REMOVED}


@settings(max_examples=200)
@given(LAYERS, LAYERS)
def test_changes_are_exactly_the_set_difference_and_in_path_order(a_layers, b_layers):
    a, b = merged(*a_layers), merged(*b_layers)
    changes = compare_files(a, b)
    in_a, in_b = standing(a), standing(b)
    assert {c.path for c in changes if c.kind is ADDED} == in_b.keys() - in_a.keys()
    assert {c.path for c in changes if c.kind is REMOVED} == in_a.keys() - in_b.keys()
    assert {c.path for c in changes if c.kind is MODIFIED} == \
        {path for path in in_a.keys() & in_b.keys() if in_a[path] != in_b[path]}
    keys = [path_order(c.path) for c in changes]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert compare_files(a, a) == []
