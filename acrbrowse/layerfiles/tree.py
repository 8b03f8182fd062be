"""A directory tree over a listing, for a view that shows a million paths: children per directory,
sizes summed per directory, rows in display order for the directories that are expanded.

Memory: no object per node. Each node is a slot in a few arrays (parent, first child, next sibling,
ref, size, is-directory: 25 bytes) plus a reference to the caller's path string (8 bytes: the string
is the caller's, not a copy; only a directory no entry lists gets a string of its own) and 6 to 9
bytes in an open-addressing table of node numbers by hash of path (load kept under 2/3). That table
finds a directory, or a file added again, without a dict entry (and an int object) per path.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Container

from acrbrowse.present.order import natural_key

ROOT = 0
_MAX_SIZE = 2**63 - 1
_EMPTY = -1
ORDERS = ("name", "size")


class FileTree:
    """Nodes are ints, 0 the root (path ""); a node's `ref` is the caller's (e.g. its index in a
    Listing), -1 for a directory that no entry lists but a path below it implies.

    A path added again updates its node: its ref, and its size (the difference goes up to every
    directory above it). A file added again as a directory becomes one; a directory added again as a
    file becomes one only if nothing was filed below it (else it stays a directory, with the new ref).
    A directory's own size is ignored: its size is the sum of everything below it."""

    def __init__(self) -> None:
        self._paths: list[str] = [""]
        self._parent = array("i", [_EMPTY])
        self._first = array("i", [_EMPTY])  # the child added last: siblings are chained backwards
        self._next = array("i", [_EMPTY])
        self._ref = array("i", [-1])
        self._size = array("q", [0])
        self._dir = bytearray(b"\1")
        self._slots = array("i", [_EMPTY]) * 8
        self._slots[hash("") % 8] = ROOT
        # Sorted children of the directories rows() has shown: dir -> {order: (key, nodes)}. Dropped
        # for a directory (and every one above it) when anything below it changes.
        self._sorted: dict[int, dict[str, tuple[object, list[int]]]] = {}
        self._last_dir = ("", ROOT)  # entries of one directory usually come together

    def __len__(self) -> int:
        """The number of nodes, the root included: nodes are range(len(tree))."""
        return len(self._paths)

    # ---- building

    def add(self, path: str, ref: int, *, size: int = 0, is_dir: bool = False) -> int:
        """File a normalized path (its parent directories implied if missing); its node."""
        if not path:
            self._ref[ROOT] = ref
            return ROOT
        size = min(max(size, 0), _MAX_SIZE)
        parent = self._dir_node(path.rpartition("/")[0])
        slot = self._slot(path)
        node = self._slots[slot]
        if node != _EMPTY:
            self._update(node, path, ref, size, is_dir)
            return node
        node = self._new(path, parent, ref, is_dir, slot)
        self._grew(parent, 0 if is_dir else size)
        if not is_dir and size:
            self._size[node] = size
        return node

    def _update(self, node: int, path: str, ref: int, size: int, is_dir: bool) -> None:
        self._ref[node] = ref
        self._paths[node] = path  # the caller's string, in place of an implied directory's own copy
        if self._dir[node]:
            if is_dir or self._first[node] != _EMPTY:
                return
            self._dir[node] = 0
            if self._last_dir[1] == node:
                self._last_dir = ("", ROOT)
            delta = size
        elif is_dir:
            self._dir[node] = 1
            delta = -self._size[node]
        else:
            delta = size - self._size[node]
        if delta:
            self._grew(node, delta)

    def _dir_node(self, path: str) -> int:
        """The directory at `path`, made (implied, ref -1) with its missing parents, or turned from a
        file into a directory."""
        if path == self._last_dir[0]:
            return self._last_dir[1]
        wanted = path
        missing: list[str] = []
        found = self._find(path)
        while found == _EMPTY:
            missing.append(path)
            path = path.rpartition("/")[0]
            found = self._find(path)
        if not self._dir[found]:
            self._dir[found] = 1
            if self._size[found]:
                self._grew(found, -self._size[found])
        for name in reversed(missing):
            found = self._new(name, found, -1, True, self._slot(name))
            self._grew(self._parent[found], 0)
        self._last_dir = (wanted, found)
        return found

    def _new(self, path: str, parent: int, ref: int, is_dir: bool, slot: int) -> int:
        node = len(self._paths)
        self._paths.append(path)
        self._parent.append(parent)
        self._first.append(_EMPTY)
        self._next.append(self._first[parent])
        self._first[parent] = node
        self._ref.append(ref)
        self._size.append(0)
        self._dir.append(1 if is_dir else 0)
        self._slots[slot] = node
        if 3 * len(self._paths) > 2 * len(self._slots):
            self._rehash(len(self._slots) * 3 // 2)  # not doubled: the table stays 6 to 9 bytes a node
        return node

    def _grew(self, node: int, delta: int) -> None:
        """Add `delta` bytes to a node and every directory above it; forget their sorted children."""
        sizes, parents, cached = self._size, self._parent, self._sorted
        while node != _EMPTY:
            if delta:
                try:
                    sizes[node] += delta
                except OverflowError:
                    sizes[node] = _MAX_SIZE
            if cached:
                cached.pop(node, None)
            node = parents[node]

    # ---- the table of nodes by path

    def _slot(self, path: str) -> int:
        """The slot that holds `path`'s node, or the empty slot where it would go (linear probing)."""
        slots, paths = self._slots, self._paths
        size = len(slots)
        slot = hash(path) % size
        while True:
            node = slots[slot]
            if node == _EMPTY or paths[node] == path:
                return slot
            slot = slot + 1 if slot + 1 < size else 0

    def _find(self, path: str) -> int:
        return self._slots[self._slot(path)]

    def _rehash(self, size: int) -> None:
        slots = array("i", [_EMPTY]) * size
        for node, path in enumerate(self._paths):
            slot = hash(path) % size
            while slots[slot] != _EMPTY:
                slot = slot + 1 if slot + 1 < size else 0
            slots[slot] = node
        self._slots = slots

    # ---- reading

    def node_of(self, path: str) -> int | None:
        node = self._find(path)
        return None if node == _EMPTY else node

    def path(self, node: int) -> str:
        return self._paths[node]

    def name(self, node: int) -> str:
        return self._paths[node].rpartition("/")[2]

    def parent(self, node: int) -> int:
        """The directory holding the node (-1 for the root)."""
        return self._parent[node]

    def depth(self, node: int) -> int:
        """0 for the root, 1 for the paths in it, …"""
        path = self._paths[node]
        return path.count("/") + 1 if path else 0

    def ref(self, node: int) -> int:
        return self._ref[node]

    def is_dir(self, node: int) -> bool:
        return bool(self._dir[node])

    def size(self, node: int) -> int:
        """A file's bytes; a directory's: the sum of everything below it."""
        return self._size[node]

    def children(self, node: int) -> list[int]:
        """In the order they were added."""
        found: list[int] = []
        child = self._first[node]
        while child != _EMPTY:
            found.append(child)
            child = self._next[child]
        found.reverse()
        return found

    def rows(self, expanded: Container[int], order: str = "name", key: Callable[[int], float] | None = None) -> list[int]:
        """The nodes shown, depth first: the root's children, and the children of every directory in
        `expanded` whose parent is shown. Siblings are sorted by name (natural order: "2" before "10"),
        by size (largest first), or by `key(node)` (largest first) when one is given; ties by name.
        Directories and files are mixed (as `ls` and dive list them): a size order puts the biggest
        directories first anyway. The cost is the rows returned plus sorting the children of the
        expanded directories that changed since the last call."""
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}: one of {', '.join(ORDERS)}")
        shown: list[int] = []
        pending = [iter(self._sorted_children(ROOT, order, key))]
        while pending:
            for node in pending[-1]:
                shown.append(node)
                if self._first[node] != _EMPTY and node in expanded:
                    pending.append(iter(self._sorted_children(node, order, key)))
                    break
            else:
                pending.pop()
        return shown

    def _sorted_children(self, node: int, order: str, key: Callable[[int], float] | None) -> list[int]:
        tag = order if key is None else "key"
        cached = self._sorted.setdefault(node, {})
        hit = cached.get(tag)
        if hit is not None and hit[0] == key:  # ==: a bound method is a new object at each access
            return hit[1]
        children = self.children(node)
        if key is not None:
            children.sort(key=lambda child: (-key(child), natural_key(self.name(child))))
        elif order == "size":
            sizes = self._size
            children.sort(key=lambda child: (-sizes[child], natural_key(self.name(child))))
        else:
            children.sort(key=lambda child: natural_key(self.name(child)))
        cached[tag] = (key, children)
        return children
