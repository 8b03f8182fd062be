"""The list filter on its own: which names a query matches, in what order, and which characters of a
row are highlighted; and the wait's text."""

from __future__ import annotations

from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.filtering import FilteredNames, filter_names, match_positions, shown_match_positions, split_matches
from acrbrowse.ui.waiting import SHOW_AFTER, waiting_text

TAGS = ["1.2.3", "1.20", "8.0", "8.0-amd64", "8.0-arm64v8", "18.10", "latest", "v1-2", "2024.01.02-build.7"]


def test_whole_matches_first_then_characters_in_order_each_group_in_list_order():
    together, apart = split_matches(TAGS, "1.2")
    assert together == ["1.2.3", "1.20"]
    assert apart == ["2024.01.02-build.7"]  # 1 … . … 2, in order, apart
    assert filter_names(TAGS, "1.2") == together + apart
    assert filter_names(TAGS, "8.0") == ["8.0", "8.0-amd64", "8.0-arm64v8", "18.10"]
    assert "v1-2" not in filter_names(TAGS, "1.2")  # no "." between the 1 and the 2
    assert filter_names(TAGS, "0.8") == []  # the characters of "8.0", out of order


def test_the_list_order_is_kept_within_each_group():
    names = ["b-10", "a-1", "c-1", "a-x-1"]
    assert filter_names(names, "a1") == ["a-1", "a-x-1"]  # both apart: as listed
    assert filter_names(list(reversed(names)), "-1") == ["a-x-1", "c-1", "a-1", "b-10"]


def test_case_is_ignored_both_ways():
    names = ["Alpine-AMD64", "alpine-arm64", "Debian"]
    assert filter_names(names, "amd") == ["Alpine-AMD64"]
    assert filter_names(names, "ALP") == ["Alpine-AMD64", "alpine-arm64"]
    assert filter_names(names, "dN") == ["Debian"]  # apart, either case
    assert match_positions("Alpine-AMD64", "amd") == [7, 8, 9]


def test_every_word_must_match_and_whole_means_every_word_whole():
    names = ["dotnet/nightly/aspnet", "aspnetapp", "nightly/runtime", "n-i-g-h-t-l-y/asp"]
    assert filter_names(names, "nightly asp") == ["dotnet/nightly/aspnet", "n-i-g-h-t-l-y/asp"]
    assert filter_names(names, "asp nightly") == ["dotnet/nightly/aspnet", "n-i-g-h-t-l-y/asp"]  # any order
    together, apart = split_matches(names, "nght asp")
    assert together == [] and apart == ["dotnet/nightly/aspnet", "n-i-g-h-t-l-y/asp"]


def test_an_empty_or_blank_query_matches_everything_in_order():
    assert filter_names(TAGS, "") == TAGS
    assert filter_names(TAGS, "   ") == TAGS
    assert filter_names(TAGS, "") is not TAGS  # a copy: the table's rows are its own
    assert match_positions("8.0", "  ") == []


def test_regex_metacharacters_in_the_query_are_plain_characters():
    names = ["a.b", "axb", "c++", "cpp", "x[1]", "x1", "a^b", "a|b", "a\\b", "(g)", "a$", "a*b", "a?"]
    assert filter_names(names, ".") == ["a.b"]
    assert filter_names(names, "a.b") == ["a.b"]  # "." is not "any character": axb stays out
    assert filter_names(names, "+") == ["c++"]
    assert filter_names(names, "c+") == ["c++"]
    assert filter_names(names, "[") == ["x[1]"]
    assert filter_names(names, "[1]") == ["x[1]"]
    assert filter_names(names, "x]") == ["x[1]"]  # apart: x … ]
    assert filter_names(names, "^") == ["a^b"]
    assert filter_names(names, "|") == ["a|b"]
    assert filter_names(names, "\\") == ["a\\b"]
    assert filter_names(names, "()") == ["(g)"]
    assert filter_names(names, "$") == ["a$"]
    assert filter_names(names, "*") == ["a*b"]
    assert filter_names(names, "?") == ["a?"]
    assert filter_names(names, "a^") == ["a^b"]  # "^" after "a", not "a" at a start


def test_names_with_control_characters_and_newlines_are_matched_as_text():
    names = ["ok-1", "evil\n1", "\x1b[31mred-1"]
    assert filter_names(names, "1") == names
    assert filter_names(names, "il1") == ["evil\n1"]  # across the newline: a name is one row
    assert filter_names(names, "red") == ["\x1b[31mred-1"]


def test_highlight_positions_whole_word_else_characters_at_their_first_chance():
    assert match_positions("8.0-amd64", "8.0") == [0, 1, 2]
    assert match_positions("18.10", "8.0") == [1, 2, 4]
    assert match_positions("2024.01.02-build.7", "1.2") == [6, 7, 9]
    assert match_positions("a.b+c[d", "+c[") == [3, 4, 5]
    assert match_positions("latest", "zz") == []
    # two words: the union of both, each where it is found
    assert match_positions("dotnet/nightly/aspnet", "nightly asp") == [7, 8, 9, 10, 11, 12, 13, 15, 16, 17]


def test_highlight_positions_are_found_in_the_text_shown_for_a_hostile_name():
    raw = "\x1b[2Jbuild-\u202e7"
    shown = terminal_safe(raw)
    assert shown == "\\x1b[2Jbuild-\\u202e7"
    assert filter_names([raw], "build7") == [raw]
    # matched in the name, placed where the row shows it: not the "b" of the escape "\x1b"
    positions = shown_match_positions(raw, "build7")
    assert "".join(shown[i] for i in positions) == "build7"
    assert positions[0] == shown.index("build") and positions[-1] == len(shown) - 1
    assert shown_match_positions("plain-7", "7") == match_positions("plain-7", "7") == [6]


def test_filtered_names_follow_pages_in_both_groups():
    matches = FilteredNames(["x1", "1a"], "1")
    assert matches.keys == ["x1", "1a"]
    matches = FilteredNames(["a-b", "ab"], "ab")
    assert (matches.together, matches.apart) == (["ab"], ["a-b"])
    # a page arrives at the end: a whole match goes before every apart one, the apart one last
    start, rows = matches.patch([], ["a_b", "zab"])
    assert matches.keys == ["ab", "zab", "a-b", "a_b"]
    assert (start, rows) == (1, ["zab", "a-b", "a_b"])  # the table's rows from 1 on
    # the tail was re-sorted: what it held goes, what it holds now comes
    start, rows = matches.patch(["a_b", "zab"], ["aab", "a_b"])
    assert matches.keys == ["ab", "aab", "a-b", "a_b"]
    assert start == 1 and rows == ["aab", "a-b", "a_b"]


def test_waiting_text_says_loading_then_the_spinner_time_and_how_to_cancel():
    assert waiting_text("loading", 100.0, 100.0 + SHOW_AFTER / 2).plain == "loading…"
    text = waiting_text("loading", 100.0, 101.43).plain
    assert text.endswith("loading… 1.4 s · Esc cancels")
    assert text[0] != waiting_text("loading", 100.0, 101.53).plain[0]  # the frame moves with time
    assert waiting_text("loading", 100.0, 102.0, cancellable=False).plain.endswith("loading… 2.0 s")
