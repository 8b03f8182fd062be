"""Every key binding of the browser, once: the BINDINGS, the help screen and the command palette
all read this table. Each binding has an id, so a user's keymap can rebind it (App.set_keymap).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


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


APP_KEYS = (
    Key("acrbrowse.help", "question_mark", "help", "Help", "Show the keys and what they do", "?"),
    Key("acrbrowse.quit", "q", "quit", "Quit", "Quit acrbrowse", "q"),
    Key("acrbrowse.focus_next", "tab", "focus_next", "Next pane", "Move to the next pane", "Tab", show=False),
    Key("acrbrowse.focus_previous", "shift+tab", "focus_previous", "Previous pane", "Move to the previous pane",
        "Shift+Tab", show=False),
)

BROWSER_KEYS = (
    Key("acrbrowse.back", "escape,backspace", "back", "Back",
        "Go back: close the filter, or move to the previous pane", "Esc / Backspace"),
    Key("acrbrowse.filter", "slash", "filter", "Filter", "Filter the repositories or tags as you type", "/"),
    Key("acrbrowse.copy_digest", "c", "copy_digest", "Copy digest",
        "Copy the digest of the highlighted tag or tree node", "c"),
    Key("acrbrowse.copy_reference", "C,shift+c", "copy_reference", "Copy ref",
        "Copy the pullable reference REGISTRY/REPO@sha256:…", "C"),
    Key("acrbrowse.raw", "v", "raw", "Raw JSON", "View the raw JSON of the highlighted manifest or config", "v"),
    Key("acrbrowse.reload", "r", "reload", "Reload", "Reload the focused pane (and forget its cached answers)", "r"),
)

# Keys handled by the widgets themselves, listed for the help screen and README.
WIDGET_KEYS = (
    ("↑ / ↓, j / k", "Move the cursor"),
    ("PgUp / PgDn, Home / End", "Move by a page, to the first or last row"),
    ("Enter", "Open the repository or tag; expand or collapse a tree node"),
    ("Space", "Expand or collapse a tree node"),
    ("Ctrl+P", "Command palette: every action by name"),
)

def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    return [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id, key_display=k.display if k.show else None)
        for k in keys
    ]


def help_rows() -> list[tuple[str, str]]:
    """(keys, what they do), in the order the help screen and README show them."""
    rows = [(k.display, k.help) for k in (APP_KEYS[2], APP_KEYS[3])]
    rows += list(WIDGET_KEYS)
    rows += [(k.display, k.help) for k in BROWSER_KEYS]
    rows += [(k.display, k.help) for k in APP_KEYS[:2]]
    return rows
