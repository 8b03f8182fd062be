"""Every key binding of acrbrowse, once: each screen's and widget's BINDINGS, the help screen and
the command palette read these tables. Each binding has an id, so a user's keymap can rebind it
(App.set_keymap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.keys import Keys, format_key


@dataclass(frozen=True)
class Key:
    id: str  # "acrbrowse.<action>", the name a keymap uses
    keys: str  # Textual key names, comma-separated
    action: str
    description: str  # footer text
    help: str  # help screen and command palette
    display: str  # how the help screen shows the keys
    show: bool = True  # in the footer
    palette: bool = True  # offered in the command palette
    footer_display: bool = True  # the footer shows `display`; else Textual's own name for the key
    priority: bool = False  # handled before the focused widget sees the key (and before the keys after it)


APP_KEYS = (
    Key("acrbrowse.help", "question_mark", "help", "Help", "Show the keys and what they do", "?"),
    Key("acrbrowse.quit", "q", "quit", "Quit", "Quit acrbrowse", "q"),
    Key("acrbrowse.focus_next", "tab", "focus_next", "Next pane", "Move to the next pane", "Tab", show=False),
    Key("acrbrowse.focus_previous", "shift+tab", "focus_previous", "Previous pane", "Move to the previous pane",
        "Shift+Tab", show=False),
    Key("acrbrowse.messages", "M,shift+m", "messages", "Messages",
        "Show this run's messages and errors again (toasts fade)", "M", show=False),
)

BROWSER_KEYS = (
    Key("acrbrowse.back", "escape", "back", "Back",
        "Go back one level: the filter, then the previous pane; twice in the repositories leaves the registry",
        "Esc"),
    Key("acrbrowse.step_back", "backspace", "step_back", "Back a pane",
        "Go back one level like Esc, but never leave the registry", "Backspace", show=False),
    # A priority key (off while an input has focus, where "/" is typed): what is typed right after
    # it goes to the filter, however fast.
    Key("acrbrowse.filter", "slash", "filter", "Filter", "Filter the repositories or tags as you type", "/",
        priority=True),
    # Priority for the same reason: "REG/REPO:TAG" typed right after ":" lands in the box.
    Key("acrbrowse.goto", "colon", "goto", "Go to", "Go to a reference: REG/REPO, REG/REPO:TAG, REG/REPO@sha256:… "
        "or REPO:TAG here", ":", priority=True),
    Key("acrbrowse.copy_menu", "y", "copy_menu", "Copy…",
        "Copy menu: digest, REG/REPO:TAG, REG/REPO@sha256:…, a docker pull line, the raw JSON", "y"),
    Key("acrbrowse.copy_digest", "c", "copy_digest", "Copy digest",
        "Copy the digest of the highlighted tag or tree node", "c"),
    Key("acrbrowse.copy_reference", "C,shift+c", "copy_reference", "Copy ref",
        "Copy the pullable reference REGISTRY/REPO@sha256:…", "C"),
    Key("acrbrowse.raw", "v", "raw", "Raw JSON", "View the raw JSON of the highlighted manifest or config", "v"),
    Key("acrbrowse.files", "f", "files", "Files",
        "Files inside the image, without pulling it: a layer's (on a layer; Enter too), or the merged "
        "filesystem with wasted bytes (on an image, its config or total)", "f"),
    Key("acrbrowse.mark", "m", "mark", "Mark",
        "Mark the highlighted tag (or the platform in the tree) to compare another with it", "m", show=False),
    Key("acrbrowse.diff", "d", "diff", "Compare",
        "Compare the highlighted tag or platform with the marked one: layers, config, files", "d", show=False),
    Key("acrbrowse.usage", "U,shift+u", "usage", "Usage",
        "What each tag in view holds alone and shares: the bytes deleting it would free", "U", show=False),
    Key("acrbrowse.reload", "r", "reload", "Reload", "Reload the focused pane (and forget its cached answers)", "r"),
    Key("acrbrowse.sort_order", "o", "sort_order", "Order", "Order the tags by name or newest first (where times are known)",
        "o", show=False),
    Key("acrbrowse.sign_in", "u", "sign_in", "Sign in",
        "Sign in, sign in as another user, or sign out of this registry", "u"),
    Key("acrbrowse.zoom", "z", "zoom", "Zoom", "Zoom the focused pane to the whole width (again: back)", "z"),
)

# The lists and the tree (their own keys; Textual's Tree adds its arrows, Enter and Space).
TABLE_KEYS = (
    Key("acrbrowse.cursor_up", "up,k", "cursor_up", "Up", "Move the cursor up", "↑ / k", show=False),
    Key("acrbrowse.cursor_down", "down,j", "cursor_down", "Down", "Move the cursor down", "↓ / j", show=False),
    Key("acrbrowse.page_up", "pageup", "page_up", "Page up", "Move up a page", "PgUp", show=False),
    Key("acrbrowse.page_down", "pagedown", "page_down", "Page down", "Move down a page", "PgDn", show=False),
    Key("acrbrowse.half_page_up", "ctrl+u", "half_page_up", "Half page up", "Move up half a page", "Ctrl+U",
        show=False),
    Key("acrbrowse.half_page_down", "ctrl+d", "half_page_down", "Half page down", "Move down half a page",
        "Ctrl+D", show=False),
    Key("acrbrowse.first", "home,g", "first", "First", "Move to the first row", "Home / g", show=False),
    Key("acrbrowse.last", "end,G,shift+g", "last", "Last", "Move to the last row", "End / G", show=False),
    Key("acrbrowse.open", "enter", "select", "Open", "Open the repository or tag", "Enter", footer_display=False),
)
def _lists_keys_but_enter(key_id: str, help: str) -> tuple[Key, ...]:
    """The lists' keys, Enter doing what `help` says (off the footer)."""
    return tuple(Key(key_id, "enter", "select", "Open", help, "Enter", show=False) if key.action == "select" else key
                 for key in TABLE_KEYS)


# The files view's list: Enter expands a directory (the arrows do it too).
FILE_TABLE_KEYS = _lists_keys_but_enter("acrbrowse.files_open", "Files view: expand or collapse the directory")
# The comparison's lines: Enter on a layer only one side holds lists the files that differ.
DIFF_TABLE_KEYS = _lists_keys_but_enter("acrbrowse.diff_open",
                                        "Comparison: on a layer only one side holds, the files that differ")
# The tags pane's own (while the focus is in it).
TAGS_KEYS = (
    Key("acrbrowse.toggle_attached", "a", "toggle_attached", "Attached",
        "Show or hide the tags of signatures, SBOMs and attestations", "a",
        show=False),
)
TREE_KEYS = (
    Key("acrbrowse.tree_up", "k", "cursor_up", "Up", "Move the cursor up", "k", show=False),
    Key("acrbrowse.tree_down", "j", "cursor_down", "Down", "Move the cursor down", "j", show=False),
    Key("acrbrowse.tree_collapse", "left,h", "collapse_or_parent", "Collapse",
        "Tree: collapse the node, or move to its parent", "←/h"),
    Key("acrbrowse.tree_expand", "right,l", "expand_or_child", "Expand",
        "Tree: expand the node, or move to its first child", "→/l"),
    Key("acrbrowse.tree_top", "g", "scroll_home", "Top", "Tree: move to the first node", "g", show=False),
    Key("acrbrowse.tree_bottom", "G,shift+g", "scroll_end", "Bottom", "Tree: move to the last node", "G", show=False),
    Key("acrbrowse.tree_half_page_up", "ctrl+u", "half_page_up", "Half page up", "Tree: move up half a page",
        "Ctrl+U", show=False),
    Key("acrbrowse.tree_half_page_down", "ctrl+d", "half_page_down", "Half page down",
        "Tree: move down half a page", "Ctrl+D", show=False),
    Key("acrbrowse.tree_expand_all", "e", "expand_platforms", "Expand all",
        "Tree: expand every platform of the index (again: collapse them)", "e"),
)

# The files view (a layer's files, an image's merged filesystem); its list moves as the lists do.
FILES_KEYS = (
    Key("acrbrowse.files_back", "escape,backspace", "back", "Back",
        "Files view: stop reading the layer at once; when nothing is read, close the view", "Esc",
        footer_display=False),
    Key("acrbrowse.files_filter", "slash", "filter", "Filter", "Files view: filter the paths as you type", "/",
        priority=True),
    Key("acrbrowse.files_sort", "s", "sort", "Sort",
        "Files view: sort by name, by size, or (merged view) by wasted bytes", "s"),
    Key("acrbrowse.files_collapse", "left,h", "collapse", "Collapse",
        "Files view: collapse the directory, or move to its parent", "←/h", show=False),
    Key("acrbrowse.files_expand", "right,l", "expand", "Expand", "Files view: expand the directory", "→/l",
        show=False),
    Key("acrbrowse.files_toggle", "space", "toggle_dir", "Open", "Files view: expand or collapse the directory",
        "Space", show=False),
    Key("acrbrowse.files_expand_all", "e", "expand_all", "Expand all",
        "Files view: expand every directory (again: collapse them)", "e"),
    Key("acrbrowse.files_copy", "c", "copy_path", "Copy", "Files view: copy the highlighted path", "c"),
    Key("acrbrowse.files_reload", "r", "reload", "Read again", "Files view: read the layers again", "r",
        show=False),
)

# The comparison of two images, and the repository's usage.
DIFF_KEYS = (
    Key("acrbrowse.diff_close", "escape,q,backspace", "close", "Close", "Close the comparison", "Esc / q",
        footer_display=False),
    Key("acrbrowse.diff_files", "f", "files", "Files",
        "Comparison: the files that differ (reads only the layers the two do not share)", "f"),
    Key("acrbrowse.diff_swap", "x", "swap", "Swap", "Comparison: swap A and B", "x"),
)
USAGE_KEYS = (
    Key("acrbrowse.usage_close", "escape,q,backspace", "close", "Close", "Close the usage view", "Esc / q",
        footer_display=False),
    Key("acrbrowse.usage_sort", "s", "sort", "Sort", "Usage: sort by bytes alone, by total, or by name", "s"),
)

# The start screen and the dialogs.
START_KEYS = (
    Key("acrbrowse.start_input", "slash", "focus_input", "Type a registry", "Type a registry to open", "/",
        footer_display=False),
    Key("acrbrowse.start_list", "escape", "focus_list", "Registries", "Back to the list of registries", "Esc",
        show=False),
)
HELP_KEYS = (
    Key("acrbrowse.help_close", "escape,q,question_mark", "close", "Close", "Close the help", "Esc / q / ?",
        footer_display=False),
)
MESSAGES_KEYS = (
    Key("acrbrowse.messages_close", "escape,q,M,shift+m", "close", "Close", "Close the messages", "Esc / q / M",
        footer_display=False),
)
RAW_KEYS = (
    Key("acrbrowse.raw_close", "escape,q,v,backspace", "close", "Close", "Close the raw view", "Esc / q / v",
        footer_display=False),
    # The view is a read-only TextArea: arrows, PgUp/PgDn, Home/End and the mouse are its own.
    Key("acrbrowse.raw_down", "j", "cursor_down", "Down", "Move down a line", "j", show=False),
    Key("acrbrowse.raw_up", "k", "cursor_up", "Up", "Move up a line", "k", show=False),
    Key("acrbrowse.raw_top", "g", "top", "Top", "Go to the top", "g", show=False),
    Key("acrbrowse.raw_bottom", "G,shift+g", "bottom", "Bottom", "Go to the bottom", "G", show=False),
    Key("acrbrowse.raw_search", "slash", "search", "Search", "Search the JSON", "/", priority=True),
    Key("acrbrowse.raw_next", "n", "next_match", "Next", "Go to the next match", "n"),
    Key("acrbrowse.raw_previous", "N,shift+n", "previous_match", "Previous", "Go to the previous match", "N"),
    Key("acrbrowse.raw_copy", "y,c", "copy", "Copy", "Copy the whole JSON", "y / c"),
)
GOTO_KEYS = (
    Key("acrbrowse.goto_cancel", "escape", "cancel", "Cancel", "Close the go-to box", "Esc", footer_display=False),
    # Priority: the input would otherwise take Tab as "next field".
    Key("acrbrowse.goto_complete", "tab", "complete", "Complete", "Take the suggestion", "Tab / →", priority=True),
    Key("acrbrowse.goto_down", "down", "suggestions", "Suggestions", "Move into the suggestions", "↓", show=False),
)
COPY_MENU_KEYS = (
    Key("acrbrowse.copy_menu_close", "escape", "close", "Close", "Close the copy menu", "Esc", footer_display=False),
)
LOGIN_KEYS = (
    Key("acrbrowse.login_cancel", "escape", "cancel", "Cancel", "Close the sign-in dialog", "Esc",
        footer_display=False),
    # Priority: a burst (a paste, a password manager's auto-type) must not type past a Tab or Enter
    # into the field it leaves, so the dialog moves focus before the next keystroke is delivered.
    Key("acrbrowse.login_next", "tab", "next_field", "Next field", "Move to the next field", "Tab",
        footer_display=False, priority=True),
    Key("acrbrowse.login_previous", "shift+tab", "previous_field", "Previous field",
        "Move to the previous field", "Shift+Tab", show=False, priority=True),
    Key("acrbrowse.login_username_done", "enter", "username_done", "Next field",
        "From the username, move to the password", "Enter", show=False, priority=True),
)

# Keys handled by the widgets themselves, listed for the help screen and README.
WIDGET_KEYS = (
    ("↑ / ↓, j / k", "Move the cursor"),
    ("PgUp / PgDn", "Move by a page"),
    ("Ctrl+U / Ctrl+D", "Move up or down half a page"),
    ("Home / End, g / G", "Move to the first or last row or node"),
    ("↓ in a filter", "Move from the filter into its list"),
    ("Enter", "Open the repository or tag; expand or collapse a tree node"),
    ("Space", "Expand or collapse a tree node"),
    ("Ctrl+P", "Command palette: every action by name"),
)

KEY_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_KEY_NAMES = frozenset(k.value for k in Keys if not k.value.startswith("<"))


def all_keys() -> list[Key]:
    """Every Key of every table in this module: the ids a keymap may name."""
    tables = [v for v in globals().values() if isinstance(v, tuple) and v and all(isinstance(k, Key) for k in v)]
    return list({id(key): key for table in tables for key in table}.values())  # a table may reuse another's keys


def is_key_name(name: str) -> bool:
    """A key as Textual names it: a letter or digit, a named key (f5, pageup, escape, space) or a
    character's name (slash, question_mark), after modifiers (ctrl+, shift+, alt+, …)."""
    *modifiers, base = name.split("+")
    if not base or not set(modifiers) <= KEY_MODIFIERS:
        return False
    if (len(base) == 1 and base.isalnum()) or base in _KEY_NAMES:
        return True
    shown = format_key(base)  # a character's name shows as the character
    return base.islower() and len(shown) == 1 and shown != base and shown.isprintable()


def check_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the entries that name a binding and real keys, one line per entry left out)."""
    ids = {key.id for key in all_keys()}
    kept: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        names = [name.strip() for name in keys.split(",")]
        bad = [name for name in names if not is_key_name(name)]
        if binding_id not in ids:
            problems.append(f"{binding_id} (no such binding)")
        elif bad:
            problems.append(f"{binding_id}: {', '.join(bad)} (not a key; e.g. y, ctrl+y, f5, question_mark)")
        else:
            kept[binding_id] = ",".join(names)
    return kept, problems


def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    return [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id, priority=k.priority,
                key_display=k.display if k.show and k.footer_display else None)
        for k in keys
    ]


def help_rows() -> list[tuple[str, str]]:
    """(keys, what they do), in the order the help screen and README show them."""
    rows = [(k.display, k.help) for k in (APP_KEYS[2], APP_KEYS[3])]
    rows += list(WIDGET_KEYS)
    rows += [(k.display, k.help) for k in BROWSER_KEYS]
    rows += [(k.display, k.help) for k in TAGS_KEYS]
    rows += [(k.display, k.help) for k in TREE_KEYS if k.show]
    rows += [(k.display, k.help) for k in FILES_KEYS if k.action != "toggle_dir"]
    rows += [(k.display, k.help) for k in (*DIFF_KEYS[1:], USAGE_KEYS[1])]
    rows += [(k.display, f"Raw JSON view: {k.help[0].lower()}{k.help[1:]}") for k in RAW_KEYS
             if k.action in RAW_HELP]
    rows += [(k.display, k.help) for k in (APP_KEYS[4], *APP_KEYS[:2])]
    return rows


RAW_HELP = ("top", "bottom", "search", "next_match", "previous_match", "copy")  # the rest: as everywhere


def markdown_table() -> str:
    """help_rows as README's key table (scripts/key_table.py writes it there; a test checks it)."""
    lines = ["| keys | what they do |", "| --- | --- |"]
    lines += [f"| {_cell(keys)} | {_cell(does)} |" for keys, does in help_rows()]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
