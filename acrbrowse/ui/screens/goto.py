"""Go to any reference (`:`): one input for REG/REPO[:TAG|@DIGEST], or REPO[:TAG|@DIGEST] on the
registry being browsed, with completion from the repositories visited here, the catalog, the tags
of the repository shown and the recent registries. Dismisses with the Reference to open."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.name import Reference, normalize_registry, parse_reference
from acrbrowse.ui.keys import GOTO_KEYS, bindings
from acrbrowse.ui.typed_app import app_of

LISTED = 8  # suggestions under the input
NAME_LIMIT = 300  # longer than any valid REG/REPO:TAG: not offered

EMPTY_MESSAGE = "type a reference: REPO[:TAG], REGISTRY/REPO[:TAG] or REGISTRY/REPO@sha256:…"


def parse_goto(text: str, registry: str) -> Reference:
    """What the box means: a reference naming its registry (a first component with a dot, a port or
    localhost, as name.py decides), else one on `registry`. Raises InvalidReference."""
    raw = text.strip()
    if not raw:
        raise InvalidReference(EMPTY_MESSAGE)
    if "://" in raw:
        return parse_reference(raw)
    try:
        typed: Reference | None = parse_reference(raw)
    except InvalidReference:
        typed = None  # "my.repo:1.0" is no registry, but may well be a repository here
    if typed is not None and _names_its_registry(raw, typed):
        return typed
    return parse_reference(f"{registry}/{raw}")


def _names_its_registry(raw: str, reference: Reference) -> bool:
    """parse_reference reads a name without a registry as Docker Hub's: was the registry typed?"""
    if reference.repository is None:
        return True  # a bare registry
    first, slash, _ = raw.partition("/")
    if not slash:
        return False
    try:
        return normalize_registry(first) == reference.registry
    except InvalidReference:
        return False


def offerable(name: str) -> bool:
    """A name fit to put in the input: no control, invisible or bidi character, no space (a
    registry's catalog or the settings file may hold anything)."""
    return 0 < len(name) <= NAME_LIMIT and name.isprintable() and " " not in name


class Completions:
    """Names to complete from, in groups by rank (visited, catalog, tags, registries); matched
    case-insensitively, by prefix first, then anywhere."""

    RANKS = ("visited", "catalog", "tags", "registries")

    def __init__(self) -> None:
        self._groups: dict[str, list[tuple[str, str]]] = {rank: [] for rank in self.RANKS}
        self._rank_of: dict[str, int] = {}

    def add(self, rank: str, names: Iterable[str]) -> None:
        """A name already listed moves up to `rank` if that ranks higher (visited ones come last, from a thread)."""
        level = self.RANKS.index(rank)
        group = self._groups[rank]
        for name in names:
            known = self._rank_of.get(name)
            if (known is not None and known <= level) or not offerable(name):
                continue
            if known is not None:
                self._groups[self.RANKS[known]].remove((name, name.casefold()))
            self._rank_of[name] = level
            group.append((name, name.casefold()))

    def _all(self) -> Iterable[tuple[str, str]]:
        for rank in self.RANKS:
            yield from self._groups[rank]

    def first(self, value: str) -> str | None:
        """The best name that starts with `value` and is longer; None when there is none."""
        folded = value.casefold()
        if not folded:
            return None
        return next((name for name, key in self._all() if key.startswith(folded) and len(key) > len(folded)), None)

    def matches(self, value: str, limit: int = LISTED) -> list[str]:
        folded = value.casefold()
        found = [name for name, key in self._all() if key.startswith(folded) and key != folded][:limit]
        if len(found) < limit and folded:
            starts = set(found)
            for name, key in self._all():
                if folded in key and name not in starts and key != folded:
                    found.append(name)
                    if len(found) == limit:
                        break
        return found


class CompletionSuggester(Suggester):
    """Textual's inline suggestion (Tab or → takes it), from the box's Completions."""

    def __init__(self, completions: Completions) -> None:
        super().__init__(use_cache=False, case_sensitive=False)  # the names grow while the box is open
        self.completions = completions

    async def get_suggestion(self, value: str) -> str | None:
        return self.completions.first(value)


class GotoScreen(ModalScreen[Reference | None]):
    """`completions` are filled by the browser (catalog, tags); the visited repositories and the
    recent registries are read here, in a thread (the settings file)."""

    BINDINGS = bindings(GOTO_KEYS)

    def __init__(self, registry: str, completions: Completions, initial: str = "") -> None:
        super().__init__()
        self.registry = registry
        self.completions = completions
        self.initial = initial

    def compose(self) -> ComposeResult:
        shown = app_of(self).shown
        with Vertical(id="goto-dialog"):
            yield Label(Text.assemble(("Go to", "bold"), ("  on ", "dim"), (shown(self.registry), "bold"),
                                      ("  or another registry", "dim")), id="goto-title")
            self.input = Input(self.initial, placeholder="REPO[:TAG]  or  REGISTRY/REPO[:TAG|@sha256:…]",
                               suggester=CompletionSuggester(self.completions), id="goto-input")
            yield self.input
            yield Static("", id="goto-error")
            self.suggestions = OptionList(id="goto-suggestions")
            yield self.suggestions
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#goto-error").display = False
        self.set_focus(self.input)
        self._show_suggestions(self.input.value)
        self._read_settings()

    @work(group="goto-settings")
    async def _read_settings(self) -> None:
        session = app_of(self).session
        try:
            visited = await asyncio.to_thread(session.visited_repositories, self.registry)
            recent = await asyncio.to_thread(session.settings.recent_registries)
        except Exception:  # a convenience: the catalog and tags still complete
            return
        self.completions.add("visited", visited)
        self.completions.add("registries", (name for name in recent if name != self.registry))
        self._show_suggestions(self.input.value)

    # ---- suggestions -------------------------------------------------------------------------

    def _show_suggestions(self, value: str) -> None:
        names = self.completions.matches(value)
        shown = app_of(self).shown
        self.suggestions.set_options(Option(Text(shown(name)), id=name) for name in names)
        self.suggestions.display = bool(names)

    @on(Input.Changed, "#goto-input")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#goto-error").display = False
        self._show_suggestions(event.value)

    def action_complete(self) -> None:
        """Tab: take the inline suggestion (what → at the end takes too)."""
        if self.focused is not self.input:
            self.set_focus(self.input)
            return
        suggestion = self.completions.first(self.input.value)
        if suggestion is not None:
            self.input.value = suggestion
            self.input.cursor_position = len(suggestion)

    def action_suggestions(self) -> None:
        if self.focused is self.input and self.suggestions.display:
            self.set_focus(self.suggestions)
            self.suggestions.highlighted = 0

    def action_cancel(self) -> None:
        self.dismiss(None)

    # ---- opening -----------------------------------------------------------------------------

    @on(Input.Submitted, "#goto-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._open(event.value)

    @on(OptionList.OptionSelected, "#goto-suggestions")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._open(event.option.id)

    def _open(self, text: str) -> None:
        try:
            reference = parse_goto(text, self.registry)
        except InvalidReference as exc:
            self.show_error(exc)
            return
        self.dismiss(reference)

    def show_error(self, error: InvalidReference) -> None:
        message = self.query_one("#goto-error", Static)
        message.update(Text(app_of(self).failure_line(error), style="red", end=""))
        message.display = True
        if self.focused is not self.input:
            self.set_focus(self.input)
