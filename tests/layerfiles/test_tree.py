"""FileTree: the directory tree a layer's (or the merged) listing is shown through."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from acrbrowse.layerfiles.tree import ROOT, FileTree
from acrbrowse.present.order import natural_key


def built(*entries: tuple[str, int] | str) -> FileTree:
    """Entries in order: ("path", size) for a file, "path/" for a directory; refs count from 0."""
    tree = FileTree()
    for ref, entry in enumerate(entries):
        if isinstance(entry, str):
            tree.add(entry.rstrip("/"), ref, is_dir=True)
        else:
            tree.add(entry[0], ref, size=entry[1])
    return tree


def paths(tree: FileTree, nodes: list[int]) -> list[str]:
    return [tree.path(node) for node in nodes]


def node(tree: FileTree, path: str) -> int:
    found = tree.node_of(path)
    assert found is not None, path
    return found


def test_directory_sizes_are_the_sums_of_everything_below_them() -> None:
    tree = built("etc/", ("etc/hosts", 10), ("etc/ssl/cert.pem", 200), ("etc/ssl/key.pem", 3), ("bin", 1000))
    assert tree.size(node(tree, "etc/ssl")) == 203
    assert tree.size(node(tree, "etc")) == 213
    assert tree.size(ROOT) == 1213
    assert tree.size(node(tree, "bin")) == 1000


def test_missing_parents_are_implied_directories_with_no_ref() -> None:
    tree = built(("usr/lib/x/libc.so", 7))
    lib = node(tree, "usr/lib")
    assert paths(tree, [node(tree, "usr"), lib, node(tree, "usr/lib/x")]) == ["usr", "usr/lib", "usr/lib/x"]
    assert (tree.ref(lib), tree.is_dir(lib), tree.size(lib)) == (-1, True, 7)
    so = node(tree, "usr/lib/x/libc.so")
    assert (tree.ref(so), tree.is_dir(so), tree.name(so), tree.depth(so)) == (0, False, "libc.so", 4)
    assert tree.parent(tree.parent(so)) == lib
    assert tree.parent(node(tree, "usr")) == ROOT and tree.parent(ROOT) == -1
    assert (tree.path(ROOT), tree.name(ROOT), tree.depth(ROOT), tree.ref(ROOT)) == ("", "", 0, -1)
    assert len(tree) == 5  # the root, three directories, the file
    assert tree.node_of("usr/li") is None and tree.node_of("nope") is None and tree.node_of("") == ROOT


def test_a_directory_listed_after_its_children_updates_the_implied_node() -> None:
    tree = built(("a/b/f", 5), "a/b/", "a/")
    assert len(tree) == 4
    assert (tree.ref(node(tree, "a/b")), tree.ref(node(tree, "a"))) == (1, 2)
    assert tree.size(node(tree, "a")) == 5
    assert tree.children(ROOT) == [node(tree, "a")]


def test_a_directory_listed_twice_is_one_node_with_the_later_ref() -> None:
    tree = built("d/", ("d/x", 1), "d/")
    assert len(tree) == 3
    assert tree.ref(node(tree, "d")) == 2
    assert tree.children(node(tree, "d")) == [node(tree, "d/x")]


def test_a_file_added_again_takes_its_new_size_everywhere_above_it() -> None:
    tree = built(("d/f", 100), ("d/g", 1), ("d/f", 30))
    f = node(tree, "d/f")
    assert (len(tree), tree.ref(f), tree.size(f)) == (4, 2, 30)
    assert tree.size(node(tree, "d")) == 31 and tree.size(ROOT) == 31


def test_a_file_that_becomes_a_directory_loses_its_own_bytes() -> None:
    tree = built(("p", 100), ("p/q", 4))
    p = node(tree, "p")
    assert (tree.is_dir(p), tree.size(p), tree.size(ROOT), tree.ref(p)) == (True, 4, 4, 0)
    tree = built(("p", 100), "p/")
    assert (tree.is_dir(node(tree, "p")), tree.size(ROOT)) == (True, 0)


def test_a_directory_added_again_as_a_file_becomes_one_only_when_empty() -> None:
    tree = built("empty/", ("empty", 9), "full/", ("full/x", 1), ("full", 50))
    empty, full = node(tree, "empty"), node(tree, "full")
    assert (tree.is_dir(empty), tree.size(empty)) == (False, 9)
    assert (tree.is_dir(full), tree.size(full), tree.ref(full)) == (True, 1, 4)
    assert tree.size(ROOT) == 10
    tree.add("empty/inside", 5, size=2)  # the file is a directory again
    assert (tree.is_dir(empty), tree.size(empty), tree.size(ROOT)) == (True, 2, 3)


def test_the_root_path_sets_the_roots_ref() -> None:
    tree = FileTree()
    assert tree.add("", 4, is_dir=True) == ROOT
    assert (tree.ref(ROOT), len(tree)) == (4, 1)


def test_children_come_in_the_order_they_were_added() -> None:
    tree = built(("z", 1), ("a", 1), "m/", ("b", 1))
    assert paths(tree, tree.children(ROOT)) == ["z", "a", "m", "b"]
    assert tree.children(node(tree, "z")) == []


def test_rows_show_the_roots_children_and_the_children_of_expanded_directories() -> None:
    tree = built("bin/", ("bin/sh", 1), "etc/", ("etc/ssl/cert", 1), ("etc/hosts", 1), ("README", 1))
    assert paths(tree, tree.rows(set())) == ["bin", "etc", "README"]
    etc, ssl = node(tree, "etc"), node(tree, "etc/ssl")
    assert paths(tree, tree.rows({etc})) == ["bin", "etc", "etc/hosts", "etc/ssl", "README"]
    assert paths(tree, tree.rows({etc, ssl})) == ["bin", "etc", "etc/hosts", "etc/ssl", "etc/ssl/cert", "README"]
    # An expanded directory under a collapsed one stays hidden; expanding a file shows nothing.
    assert paths(tree, tree.rows({ssl, node(tree, "README")})) == ["bin", "etc", "README"]


def test_rows_by_name_are_in_natural_order_with_directories_and_files_mixed() -> None:
    tree = built(("file10", 1), ("file2", 1), "dir10/", "Dir2/", ("a", 1))
    assert paths(tree, tree.rows(set(), "name")) == ["a", "Dir2", "dir10", "file2", "file10"]


def test_rows_by_size_put_the_largest_first_ties_by_name() -> None:
    tree = built(("small", 1), ("big", 100), ("d/x", 60), ("d/y", 60), ("b2", 5), ("b10", 5))
    assert paths(tree, tree.rows({node(tree, "d")}, "size")) == ["d", "d/x", "d/y", "big", "b2", "b10", "small"]


def test_rows_by_a_key_put_the_largest_key_first() -> None:
    tree = built(("a", 1), ("b", 2), ("c", 3), ("d/e", 0))
    wasted = {node(tree, "a"): 50, node(tree, "b"): 0, node(tree, "c"): 50, node(tree, "d"): 7, node(tree, "d/e"): 7}
    assert paths(tree, tree.rows({node(tree, "d")}, key=wasted.__getitem__)) == ["a", "c", "d", "d/e", "b"]
    other = {**wasted, node(tree, "b"): 99}
    assert paths(tree, tree.rows(set(), key=other.__getitem__)) == ["b", "a", "c", "d"]


def test_rows_sort_a_directory_again_only_when_it_changed() -> None:
    class Wasted:
        calls = 0

        def of(self, node: int) -> int:
            self.calls += 1
            return node

    tree = built(("d/a", 1), ("d/b", 1), ("c", 1))
    d, wasted = node(tree, "d"), Wasted()
    first = tree.rows({d}, key=wasted.of)
    assert wasted.calls == 4  # c and d at the top, a and b in d
    assert tree.rows({d}, key=wasted.of) == first  # a new bound method, equal to the last one
    assert wasted.calls == 4
    tree.add("d/new", 9, size=1)  # d changed, and so did the top (d's size)
    assert len(tree.rows({d}, key=wasted.of)) == 5
    assert wasted.calls == 4 + 2 + 3


def test_rows_follow_the_tree_as_it_grows() -> None:
    tree = built(("d/a", 5), ("b", 6), ("c", 1))
    d = node(tree, "d")
    assert paths(tree, tree.rows({d}, "size")) == ["b", "d", "d/a", "c"]
    assert paths(tree, tree.rows({d}, "name")) == ["b", "c", "d", "d/a"]
    tree.add("d/deep/z", 9, size=10)  # d grows past b; d gets a new child
    assert paths(tree, tree.rows({d}, "size")) == ["d", "d/deep", "d/a", "b", "c"]
    assert paths(tree, tree.rows({d}, "name")) == ["b", "c", "d", "d/a", "d/deep"]
    tree.add("c", 10, size=100)  # a file added again, bigger
    assert paths(tree, tree.rows({d}, "size")) == ["c", "d", "d/deep", "d/a", "b"]


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown order"):
        FileTree().rows(set(), "mtime")


def test_a_very_deep_path_needs_no_recursion() -> None:
    deep = "/".join(["d"] * 5000)
    tree = FileTree()
    tree.add(deep + "/f", 0, size=3)
    assert len(tree) == 5002
    everything = set(range(len(tree)))
    rows = tree.rows(everything)
    assert len(rows) == 5001 and tree.path(rows[-1]) == deep + "/f"
    assert tree.depth(rows[-1]) == 5001 and tree.size(ROOT) == 3


def test_a_200000_path_tree_sums_and_rows_like_a_reference() -> None:
    rng = random.Random(15)
    names = [f"n{i}" for i in range(12)] + ["N2", "n10x"]
    listed: dict[str, int] = {}  # files
    dirs: set[str] = set()
    order: list[tuple[str, int, bool]] = []
    while len(order) < 200_000:
        # Files and directories at random depths, directories listed before, after or between their
        # children, or never (implied). (A directory listed again as a file is another test's.)
        path = "/".join(rng.choice(names) for _ in range(rng.randint(1, 7)))
        if rng.random() < 0.1:
            dirs.add(path)
            order.append((path, 0, True))
        elif path not in listed and path not in dirs:
            listed[path] = rng.randint(0, 10_000)
            order.append((path, listed[path], False))
    tree = FileTree()
    for ref, (path, size, is_dir) in enumerate(order):
        tree.add(path, ref, size=size, is_dir=is_dir)
    # The reference: a path is a directory when it is listed as one or anything lies below it.
    every = set(listed) | dirs
    for path in list(every):
        while "/" in path:
            path = path.rpartition("/")[0]
            every.add(path)
            dirs.add(path)
    files = {path: size for path, size in listed.items() if path not in dirs}
    assert len(tree) == len(every) + 1
    totals = dict.fromkeys(dirs, 0)
    for path, size in files.items():
        while "/" in path:
            path = path.rpartition("/")[0]
            totals[path] += size
    for path in every:
        assert tree.size(node(tree, path)) == (totals[path] if path in dirs else files[path]), path
        assert tree.is_dir(node(tree, path)) == (path in dirs), path
    assert tree.size(ROOT) == sum(files.values())
    # Every directory expanded: the rows are every path, each level in natural order.
    rows = tree.rows(set(range(len(tree))))
    assert paths(tree, rows) == sorted(every, key=lambda path: [natural_key(part) for part in path.split("/")])
    # Collapsed below the top: the top-level names by size.
    top = tree.rows(set(), "size")
    assert [tree.size(row) for row in top] == sorted((tree.size(row) for row in top), reverse=True)
    assert set(paths(tree, top)) == {path for path in every if "/" not in path}


def test_a_tree_adds_about_40_bytes_a_path_and_no_object_per_node() -> None:
    # 100,000 paths in 5,000 directories (listed before their files); the strings are the caller's.
    listed = [(f"usr/lib/pkg{d // 50}/mod{d % 50}" + (f"/file_{f}.py" if f else ""), f > 0)
              for d in range(5_000) for f in range(20)]
    tracemalloc.start()
    try:
        tree = FileTree()
        for ref, (path, is_file) in enumerate(listed):
            tree.add(path, ref, size=1000 if is_file else 0, is_dir=not is_file)
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tree) == 100_000 + 1 + 2 + 100  # the root, usr, usr/lib and the pkg directories are implied
    # Arrays and a path reference: 34 bytes; the table of nodes by path: 6 to 9 (12 while it grows).
    assert now / len(listed) < 46
    assert peak / len(listed) < 52
