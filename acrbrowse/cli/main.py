"""The command line's entry: one parser (shared options before or after the command), dispatch,
and the one place an error becomes an exit status. Script commands never import Textual."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from acrbrowse import __version__
from acrbrowse.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError, advice, say

SUBCOMMANDS = ("repos", "tags", "manifests", "tree", "referrers", "ls", "diff", "usage", "login", "logout", "logins")

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
    tags.add_argument("--json", action="store_true",
                      help="print JSON: the names, and each tag's digest, times and size where known (on *.azurecr.io "
                           "always; elsewhere with --long or --sort time)")
    tags.add_argument("--sort", choices=("name", "time"), default="name",
                      help="name (natural order, the default) or time (newest push first, where the registry "
                           "keeps times: Azure Container Registry)")
    tags.add_argument("-l", "--long", action="store_true", help="print tag, digest, pushed, size")

    manifests = sub.add_parser("manifests", parents=[common],
                               help="list a repository's manifests with sizes, times and tags (every manifest on "
                                    "Azure Container Registry; elsewhere those tags point at)")
    manifests.add_argument("reference", metavar="REGISTRY/REPO")
    manifests.add_argument("--untagged", action="store_true",
                           help="only manifests no tag leads to (not platforms of a tagged index, not signatures "
                                "or SBOMs), with the bytes no tag shares (Azure Container Registry)")
    manifests.add_argument("--json", action="store_true", help="print JSON")

    tree = sub.add_parser("tree", parents=[common],
                          help="show a tag's manifest tree: platforms, configs, layers and sizes")
    tree.add_argument("reference", metavar="REGISTRY/REPO[:TAG|@DIGEST]")
    tree.add_argument("--json", action="store_true", help="print the tree as JSON with exact byte sizes")
    tree.add_argument("--referrers", action="store_true",
                      help="also show what refers to each manifest: signatures, SBOMs, attestations (the "
                           "referrers API, or its tag schema, and cosign's .sig/.att/.sbom tags)")

    referrers = sub.add_parser("referrers", parents=[common],
                               help="list what refers to a manifest: signatures, SBOMs, attestations")
    referrers.add_argument("reference", metavar="REGISTRY/REPO[:TAG|@DIGEST]")
    referrers.add_argument("--artifact-type", metavar="TYPE", help="only referrers of this artifact type")
    referrers.add_argument("--recursive", action="store_true",
                           help="also the referrers' own (a signature on an SBOM) and, for an index, its "
                                "platform manifests' referrers")
    referrers.add_argument("--json", action="store_true", help="print JSON")

    from acrbrowse.cli.files import add_parser as add_ls

    add_ls(sub, common)

    from acrbrowse.cli.compare import add_parsers as add_compare

    add_compare(sub, common)

    login = sub.add_parser("login", parents=[common],
                           help="check a credential against the registry and keep it in the OS keyring")
    login.add_argument("registry", nargs="?", metavar="REGISTRY[/REPO]",
                       help="with /REPO, verify against that repository (for repository-scoped tokens)")
    login.add_argument("--azure", action="store_true",
                       help="sign in with Entra ID (`az login`, or any Azure identity when acrbrowse[azure] is "
                            "installed); keeps the choice and the registry's refresh token, never the Entra token")
    login.add_argument("--tenant", metavar="ID", help="with --azure: the Entra ID tenant to sign in to")

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


def _login_commands() -> dict[str, Callable]:
    from acrbrowse.cli import login as login_commands

    return {"login": login_commands.cmd_login, "logout": login_commands.cmd_logout, "logins": login_commands.cmd_logins}


def run_ui(args: argparse.Namespace) -> int:
    from acrbrowse.cli.browse import launch

    return launch(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from acrbrowse.config import ConfigError
    from acrbrowse.keychain.errors import CredentialError
    from acrbrowse.oci.errors import InvalidReference, RegistryError

    try:
        if _wants_subcommand(argv):
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command is None:
                parser.print_help()
                return EXIT_USAGE
            from acrbrowse.cli.commands import cmd_manifests, cmd_referrers, cmd_repos, cmd_tags, cmd_tree

            handlers: dict[str, Callable] = {"repos": cmd_repos, "tags": cmd_tags, "manifests": cmd_manifests,
                                             "tree": cmd_tree, "referrers": cmd_referrers}
            if args.command == "ls":
                from acrbrowse.cli.files import cmd_ls

                return asyncio.run(cmd_ls(args))
            if args.command in ("diff", "usage"):
                from acrbrowse.cli.compare import cmd_diff, cmd_usage

                return asyncio.run(cmd_diff(args) if args.command == "diff" else cmd_usage(args))
            if args.command in handlers:
                return asyncio.run(handlers[args.command](args))
            return _login_commands()[args.command](args)
        args = build_ui_parser().parse_args(argv)
        return run_ui(args)
    except (UsageError, InvalidReference) as exc:
        say(advice(exc), "usage error")
        return EXIT_USAGE
    except (RegistryError, CredentialError, ConfigError) as exc:
        say(advice(exc), "error")
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
