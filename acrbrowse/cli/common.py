"""What every command shares: exit codes, one-line messages, hints worded as flags, the Session set
up from the flags and the credential the flags name."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, assert_never

from acrbrowse.oci.errors import Hint
from acrbrowse.present.safe import terminal_safe

if TYPE_CHECKING:
    from acrbrowse.oci.credential import Credential
    from acrbrowse.session import Session

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage found after parsing (exit 2)."""


def say(text: object, kind: str = "") -> None:
    """One line on stderr: `acrbrowse: [kind: ]text`, with `text` made terminal-safe (it may
    hold what a registry, a helper or a local file said)."""
    print(f"acrbrowse: {kind + ': ' if kind else ''}{terminal_safe(text)}", file=sys.stderr)


def cli_hint(hint: Hint | None, registry: str = "") -> str:
    """A hint worded as command-line advice (flags, commands); '' for none."""
    registry = registry or "REGISTRY"
    match hint:
        case None:
            return ""
        case Hint.RAISE_TIMEOUT:
            return "try again, or raise --timeout"
        case Hint.TRY_LATER:
            return "try again later"
        case Hint.CHECK_NETWORK:
            return "check the name and your network"
        case Hint.PLAIN_HTTP:
            return "if it is a plain-HTTP registry, add --plain-http"
        case Hint.CA_CERT:
            return "if it uses a private CA, pass --ca-cert FILE"
        case Hint.SIGN_IN:
            return f"sign in with: acrbrowse login {registry}"
        case Hint.SIGN_IN_AGAIN:
            return f"sign in again with: acrbrowse login {registry}"
        case Hint.SIGN_IN_OR_NAME_REPOSITORY:
            return f"sign in with: acrbrowse login {registry}, or name one: acrbrowse {registry}/REPO"
        case Hint.NAME_A_REPOSITORY:
            return f"name one: acrbrowse {registry}/REPO"
        case Hint.NAME_A_REGISTRY:
            return "try: acrbrowse myregistry.azurecr.io"
        case Hint.GIVE_USERNAME:
            return "pass --username too"
        case Hint.KEYRING:
            return ("start or unlock a Secret Service (e.g. gnome-keyring), install a keyring backend, "
                    "or pass the secret per run with --password-stdin or ACRBROWSE_USERNAME/ACRBROWSE_PASSWORD")
        case Hint.CHOOSE_PLATFORM:
            return "choose one with --platform OS/ARCH[/VARIANT], or name the image by its digest"
    assert_never(hint)


def advice(error: BaseException) -> str:
    """An error's one line for the command line: what happened, then its hint worded as flags."""
    hint = cli_hint(getattr(error, "hint", None), getattr(error, "registry", ""))
    return f"{error}; {hint}" if hint else str(error)


def read_password_stdin(stream=None) -> str:
    stream = stream or sys.stdin
    data = stream.read()
    password = data.rstrip("\r\n")
    if not password:
        raise UsageError("--password-stdin: standard input was empty")
    return password


def session_from(args: argparse.Namespace) -> Session:
    """The run's Session, set up from the flags."""
    from acrbrowse.session import Session, SessionOptions

    options = SessionOptions(plain_http=True if args.plain_http else None, ca_cert=args.ca_cert,
                             timeout=args.timeout, use_cache=not args.no_cache)
    return Session(options, on_notice=say)


def resolve_credential(args: argparse.Namespace, session: Session, registry: str, *, stdin=None) -> Credential | None:
    """The credential for `registry` from the flags, the environment, the keyring or Docker's config."""
    from acrbrowse.keychain.resolver import ENV_USERNAME
    from acrbrowse.oci.credential import Secret

    password = None
    if args.password_stdin:
        if not args.username and not os.environ.get(ENV_USERNAME):
            raise UsageError("--password-stdin needs --username (or ACRBROWSE_USERNAME)")
        password = Secret(read_password_stdin(stdin))
    elif args.username:
        if not sys.stdin.isatty():
            raise UsageError("--username needs --password-stdin when standard input is not a terminal")
        import getpass

        password = Secret(getpass.getpass(f"Password for {args.username}@{registry}: "))
    username = args.username or (os.environ.get(ENV_USERNAME) if password else None)
    notes: list[str] = []
    warnings: list[str] = []
    credential = session.resolve(registry, username=username, password=password, notes=notes, warnings=warnings)
    for warning in warnings:  # a broken local file: said always, once
        say(warning, "warning")
    if args.verbose:
        for note in notes:
            say(note)
        if credential is not None:
            say(f"using {credential.username!r} for {registry} from {credential.source}")
    return credential
