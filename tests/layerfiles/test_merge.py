"""The merged filesystem: OCI layer changesets applied bottom to top, over listings built here."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing
from acrbrowse.layerfiles.merge import Change, LayerSummary, MergedFilesystem, MergedPath, merge, path_order, stored_size

ADDED, MODIFIED, REMOVED = Change.ADDED, Change.MODIFIED, Change.REMOVED


def file(path: str, size: int = 0, **more: object) -> FileEntry:
    return FileEntry(path, Kind.FILE, size, **more)  # type: ignore[arg-type]


def folder(path: str, mode: int = 0o755, **more: object) -> FileEntry:
    return FileEntry(path, Kind.DIR, 0, mode, **more)  # type: ignore[arg-type]


def whiteout(path: str) -> FileEntry:
    return FileEntry(path, Kind.WHITEOUT)


def opaque(path: str) -> FileEntry:
    return FileEntry(path, Kind.OPAQUE)


def merged(*layers: list[FileEntry]) -> MergedFilesystem:
    return merge([Listing(layer) for layer in layers])


def rows(fs: MergedFilesystem) -> dict[str, tuple[int, Change, int]]:
    """path -> (layer, change, wasted)"""
    return {row.path: (row.layer, row.change, row.wasted) for row in fs.paths}


def row(fs: MergedFilesystem, path: str) -> MergedPath:
    (found,) = [row for row in fs.paths if row.path == path]
    return found


def test_one_layer_adds_every_path_and_implies_missing_parents() -> None:
    fs = merged([folder("etc"), file("etc/hosts", 10), file("usr/bin/sh", 100)])
    assert rows(fs) == {"etc": (0, ADDED, 0), "etc/hosts": (0, ADDED, 0), "usr": (0, ADDED, 0),
                        "usr/bin": (0, ADDED, 0), "usr/bin/sh": (0, ADDED, 0)}
    assert [r.path for r in fs.paths if r.implicit] == ["usr", "usr/bin"]
    assert row(fs, "usr/bin").entry == FileEntry("usr/bin", Kind.DIR, mode=0o755)
    assert not row(fs, "etc").implicit
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes, fs.efficiency) == (110, 110, 0, 1.0)


def test_paths_come_in_path_order_a_directory_before_its_neighbours_with_longer_names() -> None:
    fs = merged([file("a-b"), file("a/b"), file("a.c"), folder("a"), file("B")])
    assert [r.path for r in fs.paths] == ["B", "a", "a/b", "a-b", "a.c"]
    assert sorted(["a-b", "a/b", "a"], key=path_order) == ["a", "a/b", "a-b"]


def test_a_file_written_again_is_modified_by_the_upper_layer_and_its_old_bytes_are_wasted() -> None:
    fs = merged([file("app", 100)], [file("app", 40, mode=0o755)])
    assert row(fs, "app") == MergedPath("app", file("app", 40, mode=0o755), 1, MODIFIED, 100)
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes) == (140, 40, 100)
    assert fs.efficiency == 40 / 140


def test_the_same_path_in_three_layers_wastes_both_lower_versions() -> None:
    fs = merged([file("f", 10)], [file("f", 20)], [file("f", 30)])
    assert rows(fs) == {"f": (2, MODIFIED, 30)}
    assert fs.layers == [LayerSummary(added=1, added_bytes=10, stored_bytes=10),
                         LayerSummary(modified=1, modified_bytes=20, stored_bytes=20),
                         LayerSummary(modified=1, modified_bytes=30, stored_bytes=30)]
    assert (fs.visible_bytes, fs.wasted_bytes) == (30, 30)


def test_a_file_written_twice_in_one_layer_wastes_the_first_copy_and_is_added_once() -> None:
    fs = merged([file("f", 10), file("f", 3)])
    assert rows(fs) == {"f": (0, ADDED, 10)}
    assert fs.layers == [LayerSummary(added=1, added_bytes=3, stored_bytes=13)]


def test_a_whiteout_removes_a_file_and_keeps_its_last_version() -> None:
    fs = merged([file("tmp/cache", 500), folder("tmp")], [whiteout("tmp/cache")])
    assert row(fs, "tmp/cache") == MergedPath("tmp/cache", file("tmp/cache", 500), 1, REMOVED, 500)
    assert rows(fs)["tmp"] == (0, ADDED, 0)
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes, fs.efficiency) == (500, 0, 500, 0.0)
    assert fs.layers[1] == LayerSummary(removed=1, removed_bytes=500)


def test_a_whiteout_of_a_directory_removes_each_path_below_it_with_its_own_bytes() -> None:
    fs = merged([folder("d"), file("d/x", 3), folder("d/sub"), file("d/sub/y", 4), file("keep", 1)],
                [whiteout("d")])
    assert rows(fs) == {"d": (1, REMOVED, 0), "d/sub": (1, REMOVED, 0), "d/sub/y": (1, REMOVED, 4),
                        "d/x": (1, REMOVED, 3), "keep": (0, ADDED, 0)}
    assert (fs.visible_bytes, fs.wasted_bytes) == (1, 7)
    assert fs.layers[1] == LayerSummary(removed=4, removed_bytes=7)


def test_a_whiteout_applies_only_to_the_layers_below_never_to_its_own() -> None:
    # Whatever the order in the tar, the file of the same layer stands.
    fs = merged([file("x", 5)], [file("x", 2), whiteout("x"), file("new", 1), whiteout("new")])
    assert rows(fs) == {"x": (1, MODIFIED, 5), "new": (1, ADDED, 0)}
    assert fs.visible_bytes == 3


def test_a_whiteout_of_a_path_the_layers_below_do_not_have_removes_nothing() -> None:
    fs = merged([file("a", 1), folder("d")], [whiteout("ghost"), whiteout("d/ghost")])
    assert rows(fs) == {"a": (0, ADDED, 0), "d": (0, ADDED, 0)}
    assert fs.layers[1] == LayerSummary()


def test_a_whiteout_marker_implies_its_directory_in_its_layer() -> None:
    # The tar holds a/.wh.b: "a" is a directory in that layer, so it replaces the file "a".
    fs = merged([file("a", 1)], [whiteout("a/b"), whiteout("new/b")])
    assert rows(fs) == {"a": (1, MODIFIED, 1), "new": (1, ADDED, 0)}
    assert row(fs, "a").implicit and row(fs, "a").entry.kind is Kind.DIR


def test_an_opaque_directory_hides_the_children_below_but_not_its_own() -> None:
    fs = merged([folder("d"), file("d/x", 3), folder("d/sub"), file("d/sub/y", 4), file("dd", 9)],
                [opaque("d"), folder("d"), file("d/z", 2)])
    assert rows(fs) == {"d": (0, ADDED, 0), "d/sub": (1, REMOVED, 0), "d/sub/y": (1, REMOVED, 4),
                        "d/x": (1, REMOVED, 3), "d/z": (1, ADDED, 0), "dd": (0, ADDED, 0)}
    assert fs.layers[1] == LayerSummary(added=1, removed=3, added_bytes=2, removed_bytes=7, stored_bytes=2)


def test_an_opaque_marker_alone_implies_its_directory() -> None:
    fs = merged([file("a", 1)], [opaque("new/dir")])
    assert rows(fs) == {"a": (0, ADDED, 0), "new": (1, ADDED, 0), "new/dir": (1, ADDED, 0)}
    assert row(fs, "new/dir").implicit


def test_a_directory_replacing_a_file_removes_the_file() -> None:
    fs = merged([file("p", 5)], [folder("p"), file("p/q", 3)])
    assert rows(fs) == {"p": (1, MODIFIED, 5), "p/q": (1, ADDED, 0)}
    assert row(fs, "p").entry.kind is Kind.DIR
    assert (fs.visible_bytes, fs.wasted_bytes) == (3, 5)


def test_a_file_below_a_path_that_was_a_file_implies_the_directory_in_its_place() -> None:
    fs = merged([file("p", 5)], [file("p/q", 3)])
    assert rows(fs) == {"p": (1, MODIFIED, 5), "p/q": (1, ADDED, 0)}
    assert row(fs, "p").implicit


def test_a_file_replacing_a_directory_removes_the_directory_subtree() -> None:
    fs = merged([folder("p"), file("p/q", 3), file("p/r/s", 4)], [file("p", 7)])
    assert rows(fs) == {"p": (1, MODIFIED, 0), "p/q": (1, REMOVED, 3), "p/r": (1, REMOVED, 0),
                        "p/r/s": (1, REMOVED, 4)}
    assert row(fs, "p").entry == file("p", 7)
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes) == (14, 7, 7)
    assert fs.layers[1] == LayerSummary(modified=1, removed=3, modified_bytes=7, removed_bytes=7, stored_bytes=7)


def test_a_symlink_replacing_a_directory_in_the_same_layer_removes_what_the_layer_put_there() -> None:
    link = FileEntry("p", Kind.SYMLINK, link="/elsewhere")
    fs = merged([folder("p"), file("p/q", 3), link])
    assert rows(fs) == {"p": (0, ADDED, 0), "p/q": (0, REMOVED, 3)}
    assert row(fs, "p").entry == link


def test_a_path_added_again_after_a_whiteout_is_added_by_the_upper_layer() -> None:
    fs = merged([file("f", 10)], [whiteout("f")], [file("f", 4)])
    assert rows(fs) == {"f": (2, ADDED, 10)}
    assert [layer.added for layer in fs.layers] == [1, 0, 1]
    assert [layer.removed for layer in fs.layers] == [0, 1, 0]
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes) == (14, 4, 10)


def test_a_directory_removed_and_written_again_in_one_layer_is_modified() -> None:
    fs = merged([folder("d"), file("d/old", 2)], [whiteout("d"), folder("d"), file("d/new", 1)])
    assert rows(fs) == {"d": (1, MODIFIED, 0), "d/new": (1, ADDED, 0), "d/old": (1, REMOVED, 2)}


def test_a_directory_listed_again_unchanged_keeps_the_layer_that_created_it() -> None:
    fs = merged([folder("d", mtime=1), file("d/a", 1)], [folder("d", mtime=2), file("d/b", 1)])
    assert rows(fs)["d"] == (0, ADDED, 0)
    assert row(fs, "d").entry.mtime == 1
    assert fs.layers[1].modified == 0


def test_a_directory_listed_again_with_another_mode_or_owner_is_modified() -> None:
    fs = merged([folder("m"), folder("o")], [folder("m", 0o700), folder("o", uid=1000)])
    assert rows(fs) == {"m": (1, MODIFIED, 0), "o": (1, MODIFIED, 0)}
    assert row(fs, "m").entry.mode == 0o700
    assert fs.layers[1] == LayerSummary(modified=2)


def test_an_implied_directory_takes_the_entry_a_later_layer_lists_for_it() -> None:
    listed = folder("d", user="root", mtime=7)
    fs = merged([file("d/x", 1)], [listed])
    assert row(fs, "d") == MergedPath("d", listed, 0, ADDED, 0, False)
    fs = merged([file("d/x", 1)], [folder("d", 0o700)])
    assert rows(fs)["d"] == (1, MODIFIED, 0)


def test_a_directory_implied_then_listed_in_one_layer_takes_the_listed_entry() -> None:
    fs = merged([file("d/x", 1), folder("d", 0o700)])
    assert row(fs, "d") == MergedPath("d", folder("d", 0o700), 0, ADDED, 0, False)


def test_a_hard_link_counts_its_bytes_once() -> None:
    fs = merged([file("bin/a", 100), FileEntry("bin/b", Kind.HARDLINK, 100, link="bin/a")])
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes) == (100, 100, 0)
    assert stored_size(FileEntry("x", Kind.SYMLINK, 9)) == 0


def test_efficiency_is_visible_over_stored_and_one_when_nothing_is_stored() -> None:
    fs = merged([file("a", 60), file("b", 40)], [whiteout("b"), file("c", 50)], [file("a", 10)])
    assert (fs.stored_bytes, fs.visible_bytes, fs.wasted_bytes) == (160, 60, 100)
    assert fs.efficiency == 60 / 160
    assert merged().efficiency == 1.0
    assert merged([folder("empty")]).efficiency == 1.0
    assert len(merge([]).paths) == 0 and list(merge([]).paths) == []


# A naive reference: the filesystem as a dict, every removal a scan of every path.

def _drop(fs: dict[str, FileEntry], path: str, *, itself: bool) -> None:
    for name in [name for name in fs if name.startswith(path + "/") or (itself and name == path)]:
        del fs[name]


def _make_dirs(fs: dict[str, FileEntry], path: str) -> None:
    parts = path.split("/") if path else []
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if prefix not in fs or fs[prefix].kind is not Kind.DIR:
            fs[prefix] = folder(prefix)
            _ever.add(prefix)


_ever: set[str] = set()  # every path the reference ever had


def reference(layers: list[list[FileEntry]]) -> dict[str, FileEntry]:
    fs: dict[str, FileEntry] = {}
    _ever.clear()
    for layer in layers:
        for entry in layer:
            if entry.kind.is_deletion:
                _drop(fs, entry.path, itself=entry.kind is Kind.WHITEOUT)
        for entry in layer:
            if entry.kind is Kind.WHITEOUT:
                _make_dirs(fs, entry.path.rpartition("/")[0])
            elif entry.kind is Kind.OPAQUE:
                _make_dirs(fs, entry.path)
            else:
                old = fs.get(entry.path)
                if old is not None and old.kind is Kind.DIR and entry.kind is not Kind.DIR:
                    _drop(fs, entry.path, itself=False)
                _make_dirs(fs, entry.path.rpartition("/")[0])
                fs[entry.path] = entry
                _ever.add(entry.path)
    return fs


paths = st.lists(st.sampled_from(["a", "b", "a-b"]), min_size=1, max_size=3).map("/".join)  # "a/b" < "a-b"
entries = st.one_of(
    st.builds(file, paths, st.integers(0, 1000)),
    st.builds(folder, paths, st.sampled_from([0o755, 0o700])),
    st.builds(whiteout, paths),
    st.builds(opaque, paths),
    st.builds(lambda path, target: FileEntry(path, Kind.HARDLINK, link=target), paths, paths),
    st.builds(lambda path: FileEntry(path, Kind.SYMLINK, link="/x"), paths),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(entries, max_size=8), max_size=5))
def test_the_final_filesystem_matches_a_naive_reference(layers: list[list[FileEntry]]) -> None:
    fs = merged(*layers)
    expected = reference(layers)
    standing = {r.path: r for r in fs.paths if r.change is not REMOVED}
    assert standing.keys() == expected.keys()
    for path, entry in expected.items():
        assert standing[path].entry.kind is entry.kind
        if entry.kind is not Kind.DIR:
            assert standing[path].entry == entry
    assert fs.visible_bytes == sum(stored_size(entry) for entry in expected.values())
    assert fs.stored_bytes == sum(stored_size(e) for layer in layers for e in layer if not e.kind.is_deletion)
    assert fs.wasted_bytes == fs.stored_bytes - fs.visible_bytes == sum(r.wasted for r in fs.paths)
    assert [r.path for r in fs.paths] == sorted(_ever, key=path_order)  # every path once, removed ones too
    assert all(0 <= r.layer < len(layers) for r in fs.paths)


def test_merged_paths_are_columns_read_as_rows() -> None:
    base = Listing([folder("d", user="root"), file("d/x", 3), file("d/y/z", 4)])
    fs = merge([base, Listing([whiteout("d/x")])])
    paths = fs.paths
    assert len(paths) == 4
    assert [paths.path(i) for i in range(4)] == list(paths.paths) == ["d", "d/x", "d/y", "d/y/z"]
    assert [paths.change(i) for i in range(4)] == [ADDED, REMOVED, ADDED, ADDED]
    assert [paths.wasted(i) for i in range(4)] == [0, 3, 0, 0]
    assert paths[0] == MergedPath("d", base[0], 0, ADDED, 0, False)  # the entry as the listing holds it
    assert paths[-1] == MergedPath("d/y/z", base[2], 0, ADDED, 0, False)
    assert paths[2].implicit and paths[2].entry == FileEntry("d/y", Kind.DIR, mode=0o755)
    assert list(paths) == [paths[i] for i in range(4)]


def test_an_opaque_root_hides_every_layer_below_and_a_root_whiteout_nothing() -> None:
    fs = merged([file("a", 1), file("d/b", 2)], [whiteout("")], [opaque(""), file("c", 4)])
    assert rows(fs) == {"a": (2, REMOVED, 1), "c": (2, ADDED, 0), "d": (2, REMOVED, 0), "d/b": (2, REMOVED, 2)}
    assert fs.layers[1] == LayerSummary()


def test_a_very_deep_tree_is_implied_and_removed_without_recursion() -> None:
    deep = "/".join(["d"] * 5000)
    fs = merged([file(deep + "/f", 3)], [whiteout("d")])
    assert len(fs.paths) == 5001
    assert all(fs.paths.change(i) is REMOVED for i in range(5001))
    assert (fs.visible_bytes, fs.wasted_bytes) == (0, 3)
