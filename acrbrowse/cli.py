"""Command line: the only place that parses argv. Subcommands never import Textual."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from acrbrowse import __version__
from acrbrowse.present.safe import terminal_safe

SUBCOMMANDS = ("repos", "tags", "tree", "login", "logout", "logins")
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage found after parsing (exit 2)."""


def say(text: object, kind: str = "") -> None:
    """One line on stderr: `acrbrowse: [kind: ]text`, with `text` made terminal-safe (it may
    hold what a registry, a helper or a local file said)."""
    print(f"acrbrowse: {kind + ': ' if kind else ''}{terminal_safe(text)}", file=sys.stderr)


VALUE_OPTIONS = frozenset({"-u", "--username", "--ca-cert", "--timeout"})  # shared options that take a value


def _connection_options(*, suppress: bool = False) -> argparse.ArgumentParser:
    """The options every command takes. They are accepted before the subcommand and after it; the
    subcommand's copy has no defaults (`suppress`), so a value given before it is the one used."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS if suppress else None)
    group = common.add_argument_group("connection")
    flag: dict[str, Any] = {"action": "store_true"} if not suppress else {"action": "store_true", "default": argparse.SUPPRESS}
    group.add_argument("-u", "--username", help="user name (ACR: a token or service principal name)")
    group.add_argument("--password-stdin", **flag,
                       help="read the password or token from standard input (there is no --password: secrets stay off the command line)")
    group.add_argument("--plain-http", **flag,
                       help="speak plain HTTP (automatic for localhost and 127.0.0.0/8)")
    group.add_argument("--ca-cert", type=Path, metavar="FILE", help="also trust this CA certificate (PEM)")
    group.add_argument("--timeout", type=float, default=argparse.SUPPRESS if suppress else 30.0, metavar="SECONDS",
                       help="per-request timeout (default 30)")
    group.add_argument("--no-cache", **flag,
                       help="neither read nor write the cache of digest-addressed manifests and configs")
    group.add_argument("-v", "--verbose", **flag, help="say where the credential came from")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _connection_options(suppress=True)
    parser = argparse.ArgumentParser(
        prog="acrbrowse",
        parents=[_connection_options()],
        description="Browse container registries: Azure Container Registry first, any OCI registry.",
        epilog="Without a subcommand, `acrbrowse [REGISTRY[/REPO[:TAG]]]` opens the interactive browser.",
    )
    parser.add_argument("--version", action="version", version=f"acrbrowse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    repos = sub.add_parser("repos", parents=[common], help="list the repositories of a registry, one per line")
    repos.add_argument("registry", metavar="REGISTRY")
    repos.add_argument("--json", action="store_true", help="print JSON")

    tags = sub.add_parser("tags", parents=[common], help="list the tags of a repository, one per line")
    tags.add_argument("reference", metavar="REGISTRY/REPO")
    tags.add_argument("--json", action="store_true", help="print JSON")

    tree = sub.add_parser("tree", parents=[common],
                          help="show a tag's manifest tree: platforms, configs, layers and sizes")
    tree.add_argument("reference", metavar="REGISTRY/REPO[:TAG|@DIGEST]")
    tree.add_argument("--json", action="store_true", help="print the tree as JSON with exact byte sizes")

    login = sub.add_parser("login", parents=[common],
                           help="check a credential against the registry and keep it in the OS keyring")
    login.add_argument("registry", nargs="?", metavar="REGISTRY[/REPO]",
                       help="with /REPO, verify against that repository (for repository-scoped tokens)")

    logout = sub.add_parser("logout", parents=[common], help="remove a registry's credential from the keyring")
    logout.add_argument("registry", metavar="REGISTRY")

    sub.add_parser("logins", parents=[common], help="list the registries with stored credentials (never the secrets)")
    return parser


def build_ui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acrbrowse",
        parents=[_connection_options()],
        description="Browse container registries: Azure Container Registry first, any OCI registry.",
        epilog=f"Commands for scripts: {', '.join(SUBCOMMANDS)} (see `acrbrowse COMMAND --help`).",
    )
    parser.add_argument("--version", action="version", version=f"acrbrowse {__version__}")
    parser.add_argument("target", nargs="?", metavar="REGISTRY[/REPO[:TAG|@DIGEST]]",
                        help="where to open; without it, a start screen lists known registries")
    return parser


def _wants_subcommand(argv: Sequence[str]) -> bool:
    """True when the first word that is neither an option nor an option's value is a subcommand."""
    words = iter(argv)
    for arg in words:
        if arg in ("-h", "--help", "--version"):
            return True
        if arg in VALUE_OPTIONS:
            next(words, None)
        elif not arg.startswith("-"):
            return arg in SUBCOMMANDS
    return False


def read_password_stdin(stream=None) -> str:
    stream = stream or sys.stdin
    data = stream.read()
    password = data.rstrip("\r\n")
    if not password:
        raise UsageError("--password-stdin: standard input was empty")
    return password


def resolve_credential(args: argparse.Namespace, registry: str, *, stdin=None):
    """The credential for `registry` from the flags, the environment, the keyring or Docker's config."""
    from acrbrowse.credentials.resolver import ENV_USERNAME, resolve
    from acrbrowse.registry.credential import Secret

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
    credential = resolve(registry, username=username, password=password, notes=notes, warnings=warnings)
    for warning in warnings:  # a broken local file: said always, once
        say(warning, "warning")
    if args.verbose:
        for note in notes:
            say(note)
        if credential is not None:
            say(f"using {credential.username!r} for {registry} from {credential.source}")
    return credential


def content_cache(args: argparse.Namespace):
    """The on-disk cache of immutable (digest-addressed) content, unless --no-cache."""
    if args.no_cache:
        return None
    from acrbrowse.locations import cache_dir
    from acrbrowse.registry.cache import ContentCache

    return ContentCache(cache_dir() / "content")


def challenge_memo(args: argparse.Namespace):
    """Each registry's auth realm, remembered between runs, unless --no-cache."""
    if args.no_cache:
        return None
    from acrbrowse.locations import cache_dir
    from acrbrowse.registry.cache import ChallengeMemo

    return ChallengeMemo(cache_dir() / "challenges.json")


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace, reference, credential):
    """A RegistryClient set up from the flags, with the registry's auth challenge remembered between runs."""
    from acrbrowse.registry.client import RegistryClient

    memo = challenge_memo(args)
    client = RegistryClient(reference, credential=credential, plain_http=True if args.plain_http else None,
                            ca_cert=args.ca_cert, timeout=args.timeout, cache=content_cache(args),
                            known_challenge=memo.get(reference.registry) if memo else None,
                            on_notice=say)
    try:
        yield client
    except BaseException:
        if memo:
            memo.forget(reference.registry)  # in case a remembered realm is what went wrong
        raise
    else:
        if memo:
            memo.put(reference.registry, client.auth.challenge)
    finally:
        await client.aclose()


def _require_repository(text: str):
    from acrbrowse.registry.errors import InvalidReference
    from acrbrowse.registry.reference import parse_reference

    reference = parse_reference(text)
    if reference.repository is None:
        raise InvalidReference(f"{text!r} names no repository; expected REGISTRY/REPO")
    return reference


async def _print_names(args: argparse.Namespace, pages, key: str, about: dict) -> int:
    """One name per line as each page arrives, or all of them as one JSON document."""
    names: list[str] = []
    async for page in pages:
        if args.json:
            names.extend(page)
        else:
            sys.stdout.write("".join(f"{terminal_safe(name)}\n" for name in page))
            sys.stdout.flush()
    if args.json:
        print(json.dumps({**about, key: names}, indent=2))
    return EXIT_OK


async def cmd_repos(args: argparse.Namespace) -> int:
    from acrbrowse.registry.reference import parse_registry

    reference = parse_registry(args.registry)
    credential = resolve_credential(args, reference.registry)
    async with open_client(args, reference, credential) as client:
        return await _print_names(args, client.repository_pages(), "repositories",
                                  {"registry": reference.registry})


async def cmd_tags(args: argparse.Namespace) -> int:
    reference = _require_repository(args.reference)
    credential = resolve_credential(args, reference.registry)
    async with open_client(args, reference, credential) as client:
        return await _print_names(args, client.tag_pages(reference.repository), "tags",
                                  {"registry": reference.registry, "repository": reference.repository})


async def cmd_tree(args: argparse.Namespace) -> int:
    from acrbrowse.registry.walk import walk
    from acrbrowse.render import render_json, render_text

    reference = _require_repository(args.reference)
    if reference.manifest_ref is None:
        reference = reference.with_tag("latest")
    credential = resolve_credential(args, reference.registry)
    async with open_client(args, reference, credential) as client:
        tree = await walk(client, reference)
    print(json.dumps(render_json(tree), indent=2) if args.json else render_text(tree))
    for error in tree.errors:
        say(error, "error")
    return EXIT_ERROR if tree.errors else EXIT_OK


def _login_commands() -> dict[str, Callable]:
    from acrbrowse import login_commands

    return {"login": login_commands.cmd_login, "logout": login_commands.cmd_logout, "logins": login_commands.cmd_logins}


def run_ui(args: argparse.Namespace) -> int:
    from acrbrowse.ui.launch import launch

    return launch(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from acrbrowse.credentials.errors import CredentialError
    from acrbrowse.registry.errors import InvalidReference, RegistryError

    try:
        if _wants_subcommand(argv):
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command is None:
                parser.print_help()
                return EXIT_USAGE
            handlers: dict[str, Callable] = {"repos": cmd_repos, "tags": cmd_tags, "tree": cmd_tree}
            if args.command in handlers:
                return asyncio.run(handlers[args.command](args))
            return _login_commands()[args.command](args)
        args = build_ui_parser().parse_args(argv)
        return run_ui(args)
    except (UsageError, InvalidReference) as exc:
        say(exc, "usage error")
        return EXIT_USAGE
    except (RegistryError, CredentialError) as exc:
        say(exc, "error")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `acrbrowse tags … | head`: the reader left; that is not an error
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        say(exc.strerror or exc, "error")
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line here, the traceback (no locals, no secrets) in a file
        from acrbrowse import crashlog

        say(crashlog.one_line(exc, crashlog.record(exc)))
        return EXIT_ERROR


def entry() -> None:
    """The console script. After a script subcommand, exit at once: finalizing the interpreter
    costs ~40 ms and every file acrbrowse writes is already complete (atomic renames)."""
    argv = sys.argv[1:]
    code = main(argv)
    if not _wants_subcommand(argv):
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)
