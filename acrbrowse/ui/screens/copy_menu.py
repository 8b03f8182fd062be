"""The copy menu (`y`): what can be copied for the highlighted tag or tree node, each option showing
the exact text it copies. Dismisses with the chosen Copyable; the browser copies it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from acrbrowse.oci.errors import InvalidReference
from acrbrowse.ui.clipboard import (
    copyable_digest,
    copyable_pull_command,
    copyable_reference,
    copyable_tag_reference,
)
from acrbrowse.ui.keys import COPY_MENU_KEYS, bindings
from acrbrowse.ui.layout import cut
from acrbrowse.ui.typed_app import app_of

SHOWN_WIDTH = 88  # an option's text, shortened in the middle beyond this (or the terminal's width)
OPTION_MARGIN = 26  # the letter, what it is, the dialog's border and padding


@dataclass(frozen=True)
class Copyable:
    """One option: its letter, what it is ("digest"), and the exact text it copies; `fetch` gets
    the text when it is not at hand (a manifest's JSON), `note` says what it is meanwhile."""

    letter: str
    what: str
    text: str | None = None
    fetch: Callable[[], Awaitable[str | None]] | None = None
    note: str = ""
    multiline: bool = False


def copy_choices(registry: str, repository: str, *, digest: str | None, manifest_digest: str | None,
                 tag: str | None, raw: bytes | str | None = None,
                 fetch_raw: Callable[[], Awaitable[str | None]] | None = None,
                 raw_note: str = "the manifest's JSON") -> list[Copyable]:
    """The forms that can be copied: `digest` is the node's own (a layer's, a manifest's),
    `manifest_digest` the manifest it is or belongs to (what a reference pins), `tag` the tag that
    names that manifest, if one does. A form that does not pass its check is left out."""
    choices: list[Copyable] = []

    def add(letter: str, what: str, make: Callable[[], str]) -> None:
        with suppress(InvalidReference):  # a registry's odd value: no form offered, rather than a wrong one
            choices.append(Copyable(letter, what, make()))

    if digest is not None:
        add("d", "digest", lambda: copyable_digest(digest))
    if tag is not None:
        add("t", "tag reference", lambda: copyable_tag_reference(registry, repository, tag))
    if manifest_digest is not None:
        add("r", "reference", lambda: copyable_reference(registry, repository, manifest_digest))
        add("p", "pull command", lambda: pull_line(registry, repository, manifest_digest, tag))
    text = as_text(raw)
    if text is not None:
        choices.append(Copyable("j", "raw JSON", text, note=raw_note, multiline=True))
    elif fetch_raw is not None:
        choices.append(Copyable("j", "raw JSON", fetch=fetch_raw, note=raw_note, multiline=True))
    return choices


def pull_line(registry: str, repository: str, digest: str, tag: str | None) -> str:
    """With the tag when it passes its check; else pinned by the digest alone."""
    if tag is not None:
        with suppress(InvalidReference):
            return copyable_pull_command(registry, repository, digest, tag)
    return copyable_pull_command(registry, repository, digest)


def as_text(raw: bytes | str | None) -> str | None:
    """A document as the registry sent it, byte for byte (its digest still matches); None when it is
    not UTF-8 text."""
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return raw


def option_text(choice: Copyable, display: Callable[[str], str], width: int = SHOWN_WIDTH) -> Text:
    """`d  digest  sha256:…`: the letter, what, and the text (shortened in the middle, made showable)."""
    text = Text.assemble((f" {choice.letter} ", "bold reverse"), " ", (f"{choice.what:<14}", "bold"))
    if choice.multiline:
        size = f", {len(choice.text.encode()):,} bytes" if choice.text is not None else ""
        text.append(f"{choice.note}{size}", style="dim")
    else:
        assert choice.text is not None
        text.append_text(cut(display(choice.text), width, "middle"))
    return text


class CopyMenuScreen(ModalScreen[Copyable | None]):
    BINDINGS = bindings(COPY_MENU_KEYS)

    def __init__(self, title: str, choices: list[Copyable]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        app = app_of(self)
        width = max(24, min(SHOWN_WIDTH, app.size.width - OPTION_MARGIN))
        with Vertical(id="copy-dialog"):
            title = cut(app.shown(self.title_text), width, "start")
            yield Label(Text.assemble(("Copy ", "bold"), title, ("  a letter, or Enter", "dim")), id="copy-title")
            yield OptionList(*(Option(option_text(choice, app.shown, width), id=choice.letter) for choice in self.choices),
                             id="copy-options")
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one("#copy-options", OptionList)
        self.set_focus(options)
        options.highlighted = 0

    def on_key(self, event: events.Key) -> None:
        choice = next((c for c in self.choices if c.letter == event.character), None)
        if choice is not None:
            event.stop()
            self.dismiss(choice)

    @on(OptionList.OptionSelected, "#copy-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(next(c for c in self.choices if c.letter == event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)

