"""Go to any reference (`:`): what the box means by what is typed, what it completes, and opening
REG/aspnetapp:8.0 from every pane, on a registry whose catalog is denied, and on another registry."""

from __future__ import annotations

import base64

import pytest
from textual.widgets import Input, OptionList

from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.name import Reference
from acrbrowse.ui.screens.browser import BrowserScreen, Pane
from acrbrowse.ui.screens.goto import Completions, GotoScreen, parse_goto
from tests.ui.conftest import SIZE, user, wait_for, write_docker_config

pytestmark = pytest.mark.ui

HERE = "registry.example:5000"
DIGEST = "sha256:" + "a" * 64


# ---- what the box means ---------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "meant"), [
    ("aspnetapp:8.0", Reference(HERE, "aspnetapp", "8.0")),
    ("aspnetapp", Reference(HERE, "aspnetapp")),
    ("public/hello", Reference(HERE, "public/hello")),  # "public" has no dot: a repository's first part
    (f"aspnetapp@{DIGEST}", Reference(HERE, "aspnetapp", digest=DIGEST)),
    ("my.repo:1.0", Reference(HERE, "my.repo", "1.0")),  # not a registry: "1.0" is no port
    ("other.io/team/app:v1", Reference("other.io", "team/app", "v1")),
    ("localhost:5000/app", Reference("localhost:5000", "app")),
    ("localhost/app", Reference("localhost", "app")),
    ("docker.io/nginx", Reference("docker.io", "library/nginx")),
    ("index.docker.io/nginx:1", Reference("docker.io", "library/nginx", "1")),
    (f"{HERE}/aspnetapp:8.0", Reference(HERE, "aspnetapp", "8.0")),
    ("myregistry.azurecr.io", Reference("myregistry.azurecr.io")),
    ("  aspnetapp:8.0  ", Reference(HERE, "aspnetapp", "8.0")),
])
def test_the_box_reads_a_registry_only_where_name_rules_see_one(typed, meant):
    assert parse_goto(typed, HERE) == meant


def test_on_docker_hub_a_bare_name_is_an_official_image():
    assert parse_goto("nginx:1", "docker.io") == Reference("docker.io", "library/nginx", "1")


@pytest.mark.parametrize(("typed", "says"), [
    ("", "type a reference"),
    ("Aspnetapp:8.0", "lowercase"),
    ("aspnetapp:", "nothing after ':'"),
    ("aspnetapp@sha256:12", "digest"),
    ("http://other.io/app", "without http://"),
])
def test_a_bad_reference_says_why(typed, says):
    with pytest.raises(InvalidReference, match=says):
        parse_goto(typed, HERE)


def test_completions_rank_visited_first_ignore_case_and_leave_out_unsafe_names():
    completions = Completions()
    completions.add("catalog", ["alpine", "aspnetapp", "team/asp", "evil\x1b]52;c;x\x07", "bidi\u202eapp", "a b"])
    completions.add("tags", ["aspnetapp:8.0", "aspnetapp:latest"])
    completions.add("visited", ["team/asp"])  # listed already: it moves up
    completions.add("registries", ["Other.io"])
    assert completions.first("ASP") == "aspnetapp"
    assert completions.first("t") == "team/asp"
    assert completions.first("aspnetapp:") == "aspnetapp:8.0"
    assert completions.first("aspnetapp") == "aspnetapp:8.0"  # never the value itself
    assert completions.first("zzz") is None and completions.first("") is None
    assert completions.matches("asp") == ["aspnetapp", "aspnetapp:8.0", "aspnetapp:latest", "team/asp"]
    assert completions.matches("")[:2] == ["team/asp", "alpine"]
    assert completions.matches("oth") == ["Other.io"]
    assert completions.matches("app", limit=2) == ["aspnetapp", "aspnetapp:8.0"]
    everything = completions.matches("", limit=100)
    assert all(name.isprintable() and " " not in name for name in everything)
    assert len(everything) == 6


# ---- in the browser -------------------------------------------------------------------------

async def browser(pilot) -> BrowserScreen:
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, BrowserScreen) and pilot.app.screen,
                          what="the browser screen")


async def go_to(pilot, text: str) -> None:
    """`:` and the text in one burst (no wait between the keys), then Enter."""
    await pilot.press("colon", *text)
    box = pilot.app.screen
    assert isinstance(box, GotoScreen)
    assert box.query_one("#goto-input", Input).value == text
    await pilot.press("enter")


async def shows_aspnetapp_8(pilot, screen: BrowserScreen, testbed) -> None:
    """aspnetapp's tags with the cursor on 8.0, and 8.0's manifest tree with the focus in it."""
    await wait_for(pilot, lambda: pilot.app.screen is screen, what="the box to close")
    await wait_for(pilot, lambda: screen.tags.repository == "aspnetapp" and screen.tags.complete
                   and screen.tags.highlighted() == "8.0", what="aspnetapp's tags, the cursor on 8.0")
    tree = screen.manifest_tree
    assert (tree.repository, tree.reference) == ("aspnetapp", "8.0")
    await wait_for(pilot, lambda: tree.root.data.manifest is not None, what="8.0's manifest")
    assert tree.root.data.manifest.digest == testbed.content.aspnetapp.digest
    assert screen.focused_pane is Pane.TREE


async def test_goes_to_a_tag_from_the_repositories_the_tags_and_the_tree(testbed, make_app):
    host = testbed.anon.host
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog")
        assert screen.focused_pane is Pane.REPOSITORIES
        await go_to(pilot, f"{host}/aspnetapp:8.0")
        await shows_aspnetapp_8(pilot, screen, testbed)

        # from the tags of another repository (REPO alone: its tags, the focus in them)
        await go_to(pilot, "public/hello")
        await wait_for(pilot, lambda: screen.tags.repository == "public/hello" and screen.tags.complete)
        assert screen.focused_pane is Pane.TAGS
        assert screen.manifest_tree.repository is None  # the other repository's tree went
        await go_to(pilot, f"{host}/aspnetapp:8.0")
        await shows_aspnetapp_8(pilot, screen, testbed)

        # from the tree of another tag
        await go_to(pilot, "public/hello:latest")
        await wait_for(pilot, lambda: screen.manifest_tree.reference == "latest"
                       and screen.manifest_tree.root.data.manifest is not None, what="hello's tree")
        assert screen.focused_pane is Pane.TREE
        await go_to(pilot, f"{host}/aspnetapp:8.0")
        await shows_aspnetapp_8(pilot, screen, testbed)
        assert [s for s in app.screen_stack if isinstance(s, BrowserScreen)] == [screen]


async def test_goes_to_a_digest(testbed, make_app):
    digest = testbed.content.aspnetapp.digest
    app = make_app(f"{testbed.anon.host}/public/hello:latest")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await go_to(pilot, f"aspnetapp@{digest}")
        tree = screen.manifest_tree
        await wait_for(pilot, lambda: tree.reference == digest and tree.root.data.manifest is not None,
                       what="the index by digest")
        assert tree.root.data.manifest.digest == digest
        assert screen.tags.repository == "aspnetapp" and screen.focused_pane is Pane.TREE


async def test_goes_to_a_tag_where_the_catalog_is_denied(testbed, make_app):
    app = make_app(testbed.token.host, user(testbed, "readonlypull"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.denied is not None, what="the catalog denial")
        screen.repos.table.focus()  # the name input has the focus; `:` is off while an input has it
        await go_to(pilot, f"{testbed.token.host}/aspnetapp:8.0")
        await shows_aspnetapp_8(pilot, screen, testbed)
        assert screen.repos.table.keys == ["aspnetapp"]  # listed as a repository opened by name


async def test_colon_types_in_an_input(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await pilot.press("slash", "a", "colon")
        assert not isinstance(app.screen, GotoScreen)
        assert screen.repos.filter_text == "a:"


async def test_a_bad_reference_keeps_the_box_open_with_one_line(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await pilot.press("colon", *"Aspnetapp:8.0", "enter")
        box = app.screen
        assert isinstance(box, GotoScreen)
        error = box.query_one("#goto-error")
        assert error.display and "lowercase" in str(error.render())
        assert "\n" not in str(error.render()).strip()
        # fixed, it opens
        field = box.query_one("#goto-input", Input)
        field.value = ""
        await pilot.press(*"aspnetapp:8.0", "enter")
        await shows_aspnetapp_8(pilot, screen, testbed)
        # Esc closes the box and changes nothing
        await pilot.press("colon")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press("escape")
        assert app.screen is screen and screen.tags.repository == "aspnetapp"


async def test_completes_from_the_catalog_visited_and_the_tags(testbed, make_app, session):
    host = testbed.anon.host
    session.record_visit(host, "public/hello")
    app = make_app(f"{host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await browser(pilot)
        await wait_for(pilot, lambda: screen.repos.complete and screen.tags.complete, what="catalog and tags")
        visited = ["aspnetapp", "public/hello"]  # the most recent first
        await wait_for(pilot, lambda: session.visited_repositories(host) == visited, what="aspnetapp's visit kept")
        await pilot.press("colon")
        box = app.screen
        assert isinstance(box, GotoScreen)
        listed = box.query_one("#goto-suggestions", OptionList)

        def first_listed() -> list[str | None]:
            return [listed.get_option_at_index(i).id for i in range(min(2, listed.option_count))]

        await wait_for(pilot, lambda: first_listed() == visited, what="the visited repositories first")
        # Tab takes the inline suggestion, case-insensitively
        await pilot.press(*"ASPNETAPP:8.0-", "tab")
        field = box.query_one("#goto-input", Input)
        assert field.value == "aspnetapp:8.0-amd64"
        # ↓ moves into the list, Enter opens what is highlighted there
        field.value = "aspnetapp:8"
        await wait_for(pilot, lambda: listed.option_count == 2, what="the two 8.0 tags")
        await pilot.press("down")
        assert listed.has_focus and listed.highlighted == 0
        await pilot.press("enter")
        await shows_aspnetapp_8(pilot, screen, testbed)


async def test_another_registry_opens_in_its_own_browser_and_going_back_does_not_pile_up(testbed, make_app, session):
    readonly = user(testbed, "readonlypull")
    token = base64.b64encode(f"{readonly.username}:{readonly.secret.reveal()}".encode()).decode()
    write_docker_config(session, {testbed.token.host: {"auth": token}})
    app = make_app(f"{testbed.anon.host}/public/hello")
    async with app.run_test(size=SIZE) as pilot:
        first = await browser(pilot)
        await wait_for(pilot, lambda: first.tags.complete, what="hello's tags")
        await go_to(pilot, f"{testbed.token.host}/aspnetapp:8.0")
        second = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen is not first
                                and app.screen, what="a browser of the token registry")
        assert second.registry == testbed.token.host
        await shows_aspnetapp_8(pilot, second, testbed)
        assert app.session.credential(testbed.token.host).username == "readonlypull"  # resolved as on the start screen

        # back to the first registry: its browser, not a third one
        await go_to(pilot, f"{testbed.anon.host}/aspnetapp:8.0")
        await shows_aspnetapp_8(pilot, first, testbed)
        assert [s for s in app.screen_stack if isinstance(s, BrowserScreen)] == [first]
