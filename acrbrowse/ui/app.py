"""The acrbrowse Textual app: a start screen, a browser per registry, login, help, raw JSON."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

import platformdirs
from rich.segment import Segment, Segments
from rich.text import Text
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerFailed

from acrbrowse import crashlog
from acrbrowse.config import ConfigError
from acrbrowse.keychain import CredentialError
from acrbrowse.locations import cache_dir
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.errors import Hint, InvalidReference, RegistryError
from acrbrowse.oci.name import Reference
from acrbrowse.oci.source import Source
from acrbrowse.present.safe import safe_text, terminal_safe, terminal_safe_block
from acrbrowse.session import Session
from acrbrowse.ui.clipboard import copy_to_system_clipboard, system_clipboard_command
from acrbrowse.ui.keys import APP_KEYS, BROWSER_KEYS, bindings, check_keymap
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.messages import MessageLog
from acrbrowse.ui.screens.start import StartScreen
from acrbrowse.ui.taginfo import TagCache

if TYPE_CHECKING:
    from acrbrowse.ui.prefetch import Prefetch

ERROR_TIMEOUT = 8.0
def screenshot_folder() -> Path:
    """Where a screenshot goes: the Downloads folder (made if missing), else acrbrowse's cache
    folder, else the current one. Textual's own choice fails when ~/Downloads is missing."""
    for folder in (platformdirs.user_downloads_path(), cache_dir()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return Path.cwd()


RELOAD_KEY = next(k.display for k in BROWSER_KEYS if k.action == "reload")


def ui_hint(hint: Hint | None) -> str:
    """A hint worded for the UI: keys and dialogs, never a command-line flag; '' for none."""
    match hint:
        case None:
            return ""
        case Hint.RAISE_TIMEOUT:
            return f"press {RELOAD_KEY} to try again"
        case Hint.TRY_LATER:
            return f"try again later ({RELOAD_KEY} reloads)"
        case Hint.CHECK_NETWORK:
            return "check the name and your network"
        case Hint.PLAIN_HTTP:
            return "if it is a plain-HTTP registry, start acrbrowse for plain HTTP (see README)"
        case Hint.CA_CERT:
            return "if it uses a private CA, add that CA to the system's trust store"
        case Hint.SIGN_IN:
            return f"press {RELOAD_KEY} to reload and sign in"
        case Hint.SIGN_IN_AGAIN:
            return f"press {RELOAD_KEY} to reload and sign in again"
        case Hint.SIGN_IN_OR_NAME_REPOSITORY:
            return f"press {RELOAD_KEY} to reload and sign in, or type a repository name"
        case Hint.NAME_A_REPOSITORY:
            return "type a repository name"
        case Hint.NAME_A_REGISTRY:
            return "type one, e.g. myregistry.azurecr.io"
        case Hint.GIVE_USERNAME:
            return "give a username too"
        case Hint.KEYRING:
            return "start or unlock a Secret Service (e.g. gnome-keyring), or install a keyring backend"
        case Hint.CHOOSE_PLATFORM:
            return "open one of its platforms in the tree"
    assert_never(hint)


class AcrBrowseApp(App[int]):
    CSS_PATH = "acrbrowse.tcss"
    TITLE = "acrbrowse"
    BINDINGS = bindings(APP_KEYS)

    def __init__(
        self,
        start: Reference | None = None,
        credential: Credential | None = None,
        *,
        session: Session | None = None,
        display_names: Mapping[str, str] | None = None,
        system_clipboard: bool = True,
        keymap: Mapping[str, str] | None = None,
        prefetch: Prefetch | None = None,
    ) -> None:
        """`credential` is the start registry's, already resolved (the command line read it before
        the app took the terminal). `display_names` maps a registry to the name shown for it (tests
        and screenshots pin the test registry's random port this way); copied text always carries
        the real name. `prefetch` holds the start reference's first requests, already sent with
        `credential` in use (cli/browse.py sends them before Textual is imported)."""
        super().__init__()
        self.start = start
        self.prefetch = prefetch
        self.session = session or Session()
        self.session.on_notice = self.show_notice
        self._start_credential = credential
        self.display_names = dict(display_names or {})
        self.system_clipboard = system_clipboard
        self.tag_cache = TagCache()
        self.messages = MessageLog()
        # Entries naming no binding or no real key are left out, and said once (on_mount).
        keymap, self.keymap_problems = check_keymap(keymap or {})
        if keymap:
            self.set_keymap(keymap)

    async def on_mount(self) -> None:
        self.push_screen(StartScreen())
        if self.keymap_problems:
            self.notify(self.shown(f"{self.session.settings.path}: keymap entries ignored: "
                                   f"{'; '.join(self.keymap_problems)}"),
                        title="Settings", severity="warning", timeout=ERROR_TIMEOUT, markup=False)
        if self.start is not None:
            if self.prefetch is None:  # else the credential is in use already, and its client busy
                await self.session.use_credential(self.start.registry, self._start_credential)
            self.push_screen(BrowserScreen(self.start.registry, self.start))
            self.run_worker(self._record_recent(self.start.registry), group="settings")
        # Only a freeze now: a full collection here (~40 ms) would hold up the first requests.
        self.call_after_refresh(self._freeze_memory)

    def _freeze_memory(self) -> None:
        """gc.freeze, from a Python function: Textual reads a callback's signature, and for a
        built-in such as gc.freeze that first compiles the tokenizer's regular expressions (~35 ms
        on the way to the first paint)."""
        gc.freeze()

    async def _record_recent(self, registry: str) -> None:
        """A registry opened from the command line is recent too, as one opened on the start screen."""
        import asyncio

        try:
            await asyncio.to_thread(self.session.record_recent, registry)
        except Exception as exc:  # remembering is a convenience: say it failed, browse on
            self.report(exc)

    def settle_memory(self) -> None:
        """Once a list is painted, move what exists (widgets, styles, loaded lists) out of the garbage
        collector's sight: with 20,000 tags a full collection scans ~100k objects and stalls a
        keystroke by 50-70 ms."""
        gc.collect()
        gc.freeze()

    async def on_unmount(self) -> None:
        if self.prefetch is not None:
            await self.prefetch.aclose()
        await self.session.aclose()

    # ---- shared helpers --------------------------------------------------------------------

    def source(self, registry: str) -> Source:
        """Where widgets read a registry's content: one client per registry for the app's life."""
        return self.session.client(registry)

    def counts_pulls(self, registry: str) -> bool:
        """Whether every manifest GET on `registry` spends pull quota (Docker Hub): rows then resolve
        with HEAD only, and reading every tag's manifest is asked first."""
        return self.session.client(registry).counts_pulls

    def repository_pages(self, registry: str) -> AsyncIterator[list[str]]:
        """The registry's catalog, page by page (the repositories pane reads it here). The first
        time for the start registry, its first page was asked for before the app was built."""
        prefetched = self.prefetch.repository_pages(registry) if self.prefetch is not None else None
        return prefetched if prefetched is not None else self.source(registry).repository_pages()

    def display_text(self, text: str) -> str:
        for real, shown in self.display_names.items():
            text = text.replace(real, shown)
        return text

    def shown(self, text: object, limit: int | None = None) -> str:
        """Outside text (registry, helper, settings file) as it may reach the screen: display names
        applied, on one line, every control or bidi character escaped. Wrap it in a Text, never markup."""
        return terminal_safe(self.display_text(str(text)), limit)

    def shown_text(self, text: object, style: str = "") -> Text:
        return safe_text(self.display_text(str(text)), style)

    def failure_line(self, error: BaseException) -> str:
        """The one line a pane shows for a failure: a registry's or the credential layer's error in
        its own words, then its hint in the UI's words (ui_hint); anything else is a bug, logged without locals or secrets (crashlog), and the
        line says where."""
        if isinstance(error, (RegistryError, CredentialError, ConfigError)):
            hint = ui_hint(error.hint)
            return self.shown(f"{error}; {hint}" if hint else error)
        return self.shown(crashlog.one_line(error, crashlog.record(error)))

    def as_registry_error(self, error: BaseException) -> RegistryError:
        """A registry error as it is; a bug as a RegistryError holding its one line (logged once)."""
        return error if isinstance(error, RegistryError) else RegistryError(self.failure_line(error))

    def report(self, error: BaseException) -> None:
        """One line, the error's own words; the app goes on."""
        self.notify(self.failure_line(error), severity="error", timeout=ERROR_TIMEOUT, markup=False)

    def show_notice(self, message: str) -> None:
        """The registry client waits (Retry-After) and says so; may be called from any thread."""
        self.notify(self.shown(message), severity="warning", markup=False)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A toast, kept in the run's messages too (M shows them): toasts fade, errors should not.
        Callers pass text made showable already; escaping again here changes nothing for them and
        keeps a careless caller from putting a registry's control characters on the screen."""
        message, title = terminal_safe_block(str(message)), terminal_safe(str(title))
        self.messages.add(severity, title, message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_key_display(self, binding: Binding) -> str:
        return terminal_safe(super().get_key_display(binding))  # keys may come from the settings file

    def _handle_exception(self, error: Exception) -> None:
        """Whatever still escapes a handler ends the app with one line and a log entry: never
        Textual's traceback, which prints locals (a password among them) and the registry's data."""
        cause = error.error if isinstance(error, WorkerFailed) else error
        line = crashlog.one_line(cause, crashlog.record(cause))
        self._return_code = 1
        if self._exception is None:  # run_test re-raises it, so a test sees the bug
            self._exception = error
            self._exception_event.set()
        # Segments, not Text: printed as they are, one line however narrow the terminal.
        self._exit_renderables.append(Segments([Segment(f"acrbrowse: {line}"), Segment.line()]))
        self._close_messages_no_wait()

    async def copy_text(self, text: str, what: str, *, multiline: bool = False, words: bool = False) -> None:
        """OSC 52 always; the system clipboard too when there is a local one. Callers validate what
        they copy; this refuses anything that could still carry a control character or a newline.
        `multiline` (a whole JSON document) lets newlines, tabs and spaces through, still no other
        control, bidi or invisible character; `words` (a command line) lets single spaces through."""
        if multiline:
            refused = not text.strip() or terminal_safe_block(text) != text
        elif words:
            refused = (not text.strip() or terminal_safe(text) != text or text != text.strip()
                       or any(c.isspace() and c != " " for c in text) or "  " in text)
        else:
            refused = not text or terminal_safe(text) != text or any(c.isspace() for c in text)
        if refused and multiline:
            self.report(InvalidReference(f"not copied: the {what} holds control or invisible characters"))
            return
        if refused:
            self.report(InvalidReference(f"not copied: '{terminal_safe(text, limit=100)}' is not a {what}"))
            return
        self.copy_to_clipboard(text)  # OSC 52; Textual keeps the text in the public `clipboard`
        if self.system_clipboard:
            command = system_clipboard_command()
            if command is not None:
                await copy_to_system_clipboard(text, command)
        lines = text.count("\n") + 1
        shown = f"{lines:,} lines, {len(text.encode()):,} bytes" if multiline else self.shown(text)
        self.notify(shown, title=f"Copied {what}", markup=False)

    def open_reference(self, reference: Reference) -> None:
        """From the start screen: resolve the registry's credential (in a thread), then browse."""
        self.run_worker(self._open_reference(reference), group="open", exclusive=True)

    async def _open_reference(self, reference: Reference) -> None:
        import asyncio

        registry = reference.registry
        if not self.session.has_credential_for(registry):
            notes: list[str] = []
            try:
                credential = await asyncio.to_thread(partial(self.session.resolve, registry, notes=notes))
            except Exception as exc:  # a broken keyring or helper: browse anonymously, say why
                self.notify(self.failure_line(exc), severity="warning", markup=False)
                credential = None
            await self.session.use_credential(registry, credential)
        try:
            await asyncio.to_thread(self.session.record_recent, registry)
            await self.push_screen(BrowserScreen(registry, reference))
        except Exception as exc:  # a bug: one line, and the start screen stays
            self.report(exc)

    def watch_theme(self, theme: str) -> None:
        """A theme picked in the command palette is kept for the next run (cli/browse.py applies it)."""
        if self.screen_stack:  # not the saved one the command line sets before the run
            self.run_worker(partial(self._save_theme, theme), thread=True, group="theme", exclusive=True)

    def _save_theme(self, theme: str) -> None:
        try:
            self.session.settings.record_theme(theme)
        except Exception as exc:  # a convenience: say it was not kept, go on
            self.call_from_thread(self.report, exc)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """The palette's Screenshot, saved where it can be (screenshot_folder); the toast says where."""
        return super().deliver_screenshot(filename, path or str(screenshot_folder()), time_format)

    # ---- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """?, q and m type text in an input: the footer doesn't offer them while one has focus."""
        if action not in ("help", "quit", "messages"):
            return True
        try:
            return not isinstance(self.focused, Input)
        except ScreenStackError:  # asked before the first screen is up
            return True

    def action_help(self) -> None:
        from acrbrowse.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_messages(self) -> None:
        from acrbrowse.ui.screens.messages import MessagesScreen

        if not isinstance(self.screen, MessagesScreen):
            self.push_screen(MessagesScreen(list(self.messages.notices)))

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: keys", "Show the keys and what they do", self.action_help)
        yield SystemCommand("Messages", "Show this run's messages and errors again", self.action_messages)
        if isinstance(screen, BrowserScreen):
            for key in BROWSER_KEYS:
                if key.palette:
                    yield SystemCommand(key.description, f"{key.help} ({key.display})",
                                        partial(screen.run_action, key.action))
            if self.session.credential(screen.registry) is not None:
                yield SystemCommand("Sign in as another user", "Replace this registry's sign-in, once the new one "
                                    "is accepted (u)", partial(screen.run_action, "sign_in"))
                yield SystemCommand("Sign out", "Forget this registry's stored sign-in and browse anonymously",
                                    partial(screen.run_action, "sign_out"))
            yield SystemCommand("Next pane", "Move to the next pane (Tab)", self.action_focus_next)
            yield SystemCommand("Previous pane", "Move to the previous pane (Shift+Tab)", self.action_focus_previous)
