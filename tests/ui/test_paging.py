"""Tags and repositories arrive in pages; each page costs work in proportion to the page, and the
table shows the same order (natural, for tags) and the same filtered rows as sorting everything."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.widgets import Input

from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.ui.filtering import FilteredNames, NaturalOrder, PendingChange, filter_names, natural_key
from acrbrowse.ui.screens.browser import BrowserScreen
from tests.ui.conftest import SIZE, wait_for

names = st.text(alphabet="ab.-019", min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.lists(names, max_size=30), st.sampled_from(["patch", "wait", "refilter", "type", "type", "erase"])),
                max_size=12),
       st.sampled_from(["", "1", "a 9", "b.", "a0", "9 b1", "1.0 a"]))
def test_natural_order_patches_reproduce_the_sorted_list(pages, query):
    """After each page the table is patched (as the tags pane does), or the change waits for a later
    patch, or the filter is rebuilt from every name, or one more character of the query is typed or
    the last one erased (the rows taken from the last query's, as the panes do); it always ends as
    sorting and filtering everything would."""
    order = NaturalOrder()
    pending = PendingChange()
    typed = query  # what the filter holds: all of the query, or after "type" steps a prefix growing to it
    if any(then == "type" for _, then in pages):
        typed = ""
    matches: FilteredNames | None = FilteredNames([], typed) if typed else None
    shown: list[str] = []

    def patch() -> None:
        change = pending.take()
        if change is not None:
            start, removed = change
            if matches is None:
                shown[start:] = order.names[start:]
            else:
                at, rows = matches.patch(removed, order.names[start:])
                shown[at:] = rows
        assert shown == filter_names(order.names, typed)

    def apply_filter(*, narrow: bool) -> None:  # TagsPane._apply_filter
        nonlocal matches
        change = pending.take()
        if narrow and matches is not None and change is not None:
            start, removed = change
            matches.patch(removed, order.names[start:])
        if typed:
            known = matches.typed(typed) if narrow and matches is not None else None
            matches = known or FilteredNames(order.names, typed)
            shown[:] = matches.keys
        else:
            matches = None
            shown[:] = order.names
        assert shown == filter_names(order.names, typed)

    for page, then in pages:
        before = list(order.names)
        start, removed = order.add(page)
        assert before[start:] == removed and before[:start] == order.names[:start]
        pending.add(start, removed)
        if then == "patch":
            patch()
        elif then == "refilter":
            apply_filter(narrow=False)
        elif then == "type" and len(typed) < len(query):
            typed = query[:len(typed) + 1]
            apply_filter(narrow=True)
        elif then == "erase" and typed:
            typed = typed[:-1]
            apply_filter(narrow=True)
    pending.add(*order.finish())
    patch()
    if len(typed) < len(query):  # the rest of the query typed at once (a paste)
        typed = query
        apply_filter(narrow=True)
    assert shown == filter_names(order.names, query)
    expected = sorted(dict.fromkeys(n for page, _ in pages for n in page), key=natural_key)
    assert order.names == expected


def test_a_query_typed_on_narrows_the_rows_of_the_last_one_and_backspace_finds_them_again():
    names = ["a-b-c", "abc", "x", "ab", "ba"]
    matches = FilteredNames(names, "a")
    assert matches.keys == ["a-b-c", "abc", "ab", "ba"]
    longer = matches.typed("ab")
    assert longer is not None and longer.keys == ["abc", "ab", "a-b-c"] == filter_names(names, "ab")
    longest = longer.typed("abc")
    assert longest is not None and longest.keys == ["abc", "a-b-c"]
    assert longest.typed("ab") is longer and longer.typed("a") is matches  # Backspace: the rows it had
    assert matches.typed("") is None and longer.typed("xb") is None  # anything else: every name again
    assert FilteredNames(names, "").typed("a") is None  # no filter: no rows to narrow from
    longer.patch([], ["zab"])  # a page came: the shorter query's rows are out of date
    assert longer.typed("a") is None and longer.keys == ["abc", "ab", "zab", "a-b-c"]


def test_pages_in_order_are_merged_at_the_end_not_resorted():
    order = NaturalOrder()
    assert order.add(["v2", "v1"]) == (0, [])
    assert order.names == ["v1", "v2"]
    assert order.add(["v3", "v10"]) == (2, [])  # after the end: appended, nothing moved
    assert order.add(["v9"]) == (3, ["v10"])  # just before the end: only the tail is merged
    assert order.names == ["v1", "v2", "v3", "v9", "v10"]
    assert order.add(["v1", "v9"]) == (5, [])  # seen before: dropped
    assert order.finish() == (5, [])


def test_a_page_far_back_is_appended_until_the_list_doubles():
    order = NaturalOrder()
    order.add([f"t{i:03d}" for i in range(100, 200)])
    assert order.add(["t000"]) == (0, [f"t{i:03d}" for i in range(100, 200)])  # doubled since the last sort (0)
    assert order.names[0] == "t000"
    start, removed = order.add(["t001"])  # far back again: appended, sorted later
    assert (start, removed) == (101, []) and order.names[-1] == "t001"
    start, removed = order.finish()
    assert start == 0 and order.names == sorted(order.names, key=natural_key)


class SmallPages(RegistryClient):
    def tag_pages(self, repository: str, page_size: int = 100):
        return super().tag_pages(repository, 100)


@pytest.mark.ui
async def test_tags_paged_by_the_registry_keep_order_filter_and_cursor(testbed, make_app, fault_proxy):
    proxy = fault_proxy("anon")
    proxy.paginate_tags()
    proxy.delay("GET", r"/v2/manytags/tags/list$", seconds=0.02)
    app = make_app(f"{proxy.host}/manytags", display_names={proxy.host: "registry.test:5000"},
                   client_factory=lambda ref, cred: SmallPages(ref, credential=cred, timeout=10.0))
    expected = sorted(testbed.content.manytags, key=natural_key)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tags = screen.tags
        await wait_for(pilot, lambda: len(tags.table.keys) > 300, what="a few pages")
        assert not tags.complete
        tags.table.cursor = 5
        held = tags.table.cursor_key
        await wait_for(pilot, lambda: tags.complete, timeout=30, what="every page")
        assert tags.table.keys == expected
        assert tags.table.cursor_key == held  # the rows moved under it; the cursor stayed on its tag

        # with a filter on while the pages arrive, the rows are what filtering all of them gives
        tags.query_one("#tag-filter", Input).value = "1.3"
        await pilot.pause()
        tags.reload()
        assert not tags.complete and tags.filter_text == "1.3"
        await wait_for(pilot, lambda: tags.complete, timeout=30, what="every page")
        assert tags.table.keys == filter_names(expected, "1.3")
        assert tags.border_title.startswith(f"Tags · manytags · {len(tags.table.keys)} of 2100")
    pages = [e for e in proxy.log if "/tags/list" in e.path]
    assert len(pages) == 2 * 21  # 2,100 tags in pages of 100, twice
