"""FileView, the files view's model, without a screen: a layer's rows as a tree (whiteouts and opaque
markers where the layer holds them), the merged view's cells, filtering, and a file that replaced a
directory keeping the directory's removed rows out of the tree."""

from __future__ import annotations

from acrbrowse.layerfiles.entries import FileEntry, Kind, Listing
from acrbrowse.layerfiles.merge import merge
from acrbrowse.ui.fileview import FileView, path_search


def names(view: FileView) -> list[str]:
    return [view.name_cell(node).plain for node in view.rows()]


def layer_view(*entries: FileEntry) -> FileView:
    view = FileView()
    view.add(list(entries))
    return view


def test_a_layer_as_a_tree_with_its_deletions_where_they_are():
    view = layer_view(FileEntry("usr/bin/app", Kind.FILE, 100), FileEntry("usr/old", Kind.WHITEOUT),
                      FileEntry("var/cache", Kind.OPAQUE), FileEntry("etc", Kind.DIR, mode=0o755))
    assert names(view) == ["▸ etc/", "▸ usr/", "▸ var/"]
    view.expand_all()
    assert names(view) == ["▾ etc/", "▾ usr/", "  ▾ bin/", "      app", "    old  removed", "▾ var/", "  ▾ cache/",
                           "      .wh..wh..opq  hides what the layers below have here"]
    usr = view.tree.node_of("usr")
    assert view.size_cell(usr).plain == "100 B" and view.mode_cell(usr).plain == "(implied)"
    assert view.mode_cell(view.tree.node_of("etc")).plain == "drwxr-xr-x"
    assert view.describe(view.tree.node_of("usr/bin/app")).plain == "-rw-r--r-- 0/0  100 bytes  /usr/bin/app"
    assert not view.expand_all() and names(view) == ["▸ etc/", "▸ usr/", "▸ var/"]  # again: all collapsed


def test_names_with_escapes_never_reach_a_cell_raw():
    view = layer_view(FileEntry("a\x1b[2Jb", Kind.SYMLINK, link="\x07t"))
    assert names(view) == ["  a\\x1b[2Jb → \\x07t"]


def test_filter_finds_every_word_anywhere_in_the_path():
    view = layer_view(*(FileEntry(f"d{i}/f{i}.txt", Kind.FILE, i) for i in range(30)))
    matches = view.filter("F1 txt")
    assert [view.tree.path(node) for node in matches] == [f"d{i}/f{i}.txt" for i in (1, *range(10, 20))]
    view.matches = matches
    assert names(view)[0] == "  d1/f1.txt"  # flat: the whole path
    assert view.filter("   ") is None and path_search("") is None


def test_merged_cells_and_a_file_that_replaced_a_directory():
    lower = Listing([FileEntry("opt/tool", Kind.DIR), FileEntry("opt/tool/lib.so", Kind.FILE, 700),
                     FileEntry("etc/a", Kind.FILE, 50)])
    upper = Listing([FileEntry("opt/tool", Kind.FILE, 30), FileEntry("etc/a", Kind.FILE, 60)])
    view = FileView()
    view.show_merged(merge([lower, upper]))
    view.expand_all()
    tool = view.tree.node_of("opt/tool")
    assert not view.tree.is_dir(tool) and view.size_cell(tool).plain == "30 B"  # still a file in the tree
    assert view.tree.node_of("opt/tool/lib.so") is None
    assert (view.layer_cell(tool).plain, view.change_cell(tool).plain) == ("2", "modified")
    a = view.tree.node_of("etc/a")
    assert (view.change_cell(a).plain, view.wasted_cell(a).plain) == ("modified", "50 B")
    assert view.wasted(view.tree.node_of("etc")) == 50
    assert view.wasted(view.tree.node_of("opt")) == 700  # the removed library is the directory's waste
    view.order = "wasted"
    view.changed()
    assert view.tree.path(view.rows()[0]) == "opt"
