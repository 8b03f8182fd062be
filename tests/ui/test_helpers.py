"""The UI's small pure helpers: ordering, filtering, clipboard choice, keymap, key table."""

from __future__ import annotations

import pytest

from acrbrowse.ui.clipboard import system_clipboard_command
from acrbrowse.ui.filtering import filter_names, natural_key
from acrbrowse.ui.keys import APP_KEYS, BROWSER_KEYS, help_rows
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.raw import pretty_json
from tests.ui.conftest import SIZE, screen_text, wait_for


def test_natural_order():
    tags = ["latest", "1.10.0", "build-10", "1.9.2", "build-2", "8.0-amd64", "8.0", "Alpha"]
    assert sorted(tags, key=natural_key) == ["1.9.2", "1.10.0", "8.0", "8.0-amd64", "Alpha", "build-2", "build-10",
                                             "latest"]


def test_filter_words_case_insensitive():
    names = ["bulk/repo-001", "bulk/repo-150", "dotnet/nightly/aspnet", "aspnetapp"]
    assert filter_names(names, "ASPNET") == ["dotnet/nightly/aspnet", "aspnetapp"]
    assert filter_names(names, "nightly asp") == ["dotnet/nightly/aspnet"]
    assert filter_names(names, "  ") == names
    assert filter_names(["bulk/repo-150", "bulk/repo-001"], "repo 15") == ["bulk/repo-150"]


@pytest.mark.parametrize("env,platform,expected", [
    ({"SSH_CONNECTION": "1 2 3 4", "DISPLAY": ":0"}, "linux", None),  # over SSH: OSC 52 only
    ({}, "linux", None),  # no display at all
])
def test_system_clipboard_choice(env, platform, expected):
    assert system_clipboard_command(env, platform) == expected


def test_system_clipboard_prefers_wayland(monkeypatch):
    monkeypatch.setattr("acrbrowse.ui.clipboard.shutil.which", lambda name: f"/usr/bin/{name}")
    assert system_clipboard_command({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux") == ["wl-copy"]
    assert system_clipboard_command({"DISPLAY": ":0"}, "linux")[0] == "xclip"
    assert system_clipboard_command({}, "darwin") == ["pbcopy"]
    assert system_clipboard_command({"WSL_DISTRO_NAME": "Ubuntu"}, "linux") == ["clip.exe"]


def test_every_binding_has_a_unique_id_and_a_help_line():
    from acrbrowse.ui import keys

    tables = [value for name, value in vars(keys).items() if name.endswith("_KEYS") and name != "WIDGET_KEYS"]
    distinct = {id(k): k for table in tables for k in table}.values()  # FILE_TABLE_KEYS reuses TABLE_KEYS' keys
    ids = [k.id for k in distinct]
    assert len(tables) >= 8 and len(ids) == len(set(ids)) and all(i.startswith("acrbrowse.") for i in ids)
    described = {does for _, does in help_rows()}
    assert all(k.help in described for k in (*APP_KEYS, *BROWSER_KEYS))


def test_bindings_are_declared_only_in_keys_py():
    from pathlib import Path

    import acrbrowse.ui

    root = Path(acrbrowse.ui.__file__).parent
    declaring = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "Binding(" in p.read_text())
    assert declaring == ["keys.py"]


def test_pretty_json():
    assert pretty_json(b'{"a":[1,2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_json(b"not json") == "not json"


async def test_a_remapped_key_works(testbed, make_app):
    app = make_app(f"{testbed.anon.host}/aspnetapp", keymap={"acrbrowse.copy_digest": "y"})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete)
        keys = screen.tags.table.keys
        other = testbed.content.aspnetapp_platforms["linux/amd64"].digest  # the tag 8.0-amd64
        screen.tags.table.cursor = keys.index("8.0-amd64")
        await pilot.press("c")  # no longer bound
        screen.tags.table.cursor = keys.index("latest")
        await pilot.press("y")
        digest = testbed.content.aspnetapp.digest
        await wait_for(pilot, lambda: app.clipboard == digest, what="a copy")
        # toasts show in order: once y's is up, c's would be too
        await wait_for(pilot, lambda: digest[:30] in screen_text(app), what="the toast")
        assert other[:30] not in screen_text(app)


def test_the_tree_lists_an_index_up_to_the_cli_s_cap_and_says_what_it_left_out(monkeypatch):
    from acrbrowse.oci import walk as walk_module
    from acrbrowse.oci.manifest import parse_manifest
    from acrbrowse.ui.tree.nodes import InfoLeaf, PlatformEntry, manifest_children
    from tests.oci import content as c

    monkeypatch.setattr(walk_module, "MAX_INDEX_CHILDREN", 3)
    image = c.image_manifest(c.image_config(), (10,))
    raw = c.index([c.platform_entry(image, "linux", f"arch{i}") for i in range(5)])
    children = manifest_children(parse_manifest(raw, c.sha256(raw)))
    assert [type(child) for child in children] == [PlatformEntry, PlatformEntry, PlatformEntry, InfoLeaf]
    assert "lists 5 manifests; acrbrowse reads only the first 3" in children[-1].label().plain
