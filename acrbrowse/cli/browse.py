"""`acrbrowse [REGISTRY[/REPO[:TAG|@DIGEST]]]`: resolve the credential, then run the app.

The only module of cli/ that imports the UI; Textual is imported here and below, never earlier,
so the script subcommands stay fast and Textual-free. Opened at a registry, the first requests go
out before Textual is imported (ui/prefetch.py), and the import runs in a thread meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING

from acrbrowse.config import Config, ConfigError

if TYPE_CHECKING:
    from acrbrowse.oci.credential import Credential
    from acrbrowse.oci.name import Reference
    from acrbrowse.session import Session
    from acrbrowse.ui.app import AcrBrowseApp
    from acrbrowse.ui.prefetch import Prefetch

EXIT_USAGE = 2


def keymap_and_theme(config: Config) -> tuple[dict[str, str], str | None]:
    """The user's keymap and theme from config.json. A broken file means neither: the browser
    starts anyway, and its start screen says what is wrong with the file."""
    try:
        return config.keymap(), config.theme()
    except ConfigError:
        return {}, None


def make_app(start: Reference | None, credential: Credential | None, session: Session,
             prefetch: Prefetch | None = None, *, system_clipboard: bool = True) -> AcrBrowseApp:
    """The browser, with the user's keymap and theme (a theme Textual doesn't know is ignored)."""
    from acrbrowse.ui.app import AcrBrowseApp

    keymap, theme = keymap_and_theme(session.settings)
    app = AcrBrowseApp(start, credential, session=session, keymap=keymap, prefetch=prefetch,
                       system_clipboard=system_clipboard)
    if theme is not None and theme in app.available_themes:
        app.theme = theme
    return app


def _import_ui() -> None:
    import acrbrowse.ui.app  # noqa: F401 - imported for its side effect: the module is loaded


async def start_app(start: Reference | None, credential: Credential | None, session: Session, *,
                    system_clipboard: bool = True) -> AcrBrowseApp:
    """The app, built once Textual is imported. Opened at a registry, its first requests (the
    catalog's first page; at REPO:TAG or @DIGEST the manifest and its platforms') are sent first,
    in this event loop, and the import runs in a thread while they are under way: Textual's import
    and the network's round trips overlap instead of adding up."""
    importing = asyncio.create_task(asyncio.to_thread(_import_ui))
    prefetch = None
    if start is not None:
        from acrbrowse.ui.prefetch import Prefetch

        prefetch = await Prefetch.begin(session, start, credential)
    try:
        await importing
    except BaseException:
        if prefetch is not None:
            await prefetch.aclose()
        raise
    return make_app(start, credential, session, prefetch, system_clipboard=system_clipboard)


async def _browse(start: Reference | None, credential: Credential | None, session: Session) -> int:
    app = await start_app(start, credential, session)
    result = await app.run_async()
    if app.return_code:  # ended by an unexpected error, whose one line is printed
        return app.return_code
    return result if isinstance(result, int) else 0


def _reattach_terminal() -> bool:
    """After --password-stdin consumed a pipe, give the app the terminal as standard input."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return False
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - fd 0 lives as long as the process
    return True


def launch(args: argparse.Namespace) -> int:
    from acrbrowse.cli.common import advice, resolve_credential, session_from
    from acrbrowse.oci.errors import InvalidReference
    from acrbrowse.oci.name import parse_reference

    start = None
    credential = None
    session = session_from(args)
    if args.target:
        try:
            start = parse_reference(args.target)
        except InvalidReference as exc:
            print(f"acrbrowse: error: {advice(exc)}", file=sys.stderr)
            return EXIT_USAGE
        # --password-stdin is read here, before the app takes the terminal.
        credential = resolve_credential(args, session, start.registry)
    elif args.username or args.password_stdin:
        print("acrbrowse: usage error: --username/--password-stdin need a registry: acrbrowse REGISTRY",
              file=sys.stderr)
        return EXIT_USAGE
    if not sys.stdin.isatty() and not _reattach_terminal():
        print("acrbrowse: error: the browser needs a terminal; for scripts use: acrbrowse repos|tags|tree",
              file=sys.stderr)
        return EXIT_USAGE

    return asyncio.run(_browse(start, credential, session))
