"""`acrbrowse login`, `logout`, `logins`: verify a credential, keep its secret in the OS keyring."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from dataclasses import replace

from acrbrowse.cli.common import EXIT_OK, UsageError, read_password_stdin, say, session_from
from acrbrowse.keychain import ENV_PASSWORD, ENV_USERNAME
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.name import Reference, normalize_registry, parse_reference
from acrbrowse.present.safe import terminal_safe
from acrbrowse.session import Session


def _ask(prompt: str, *, secret: bool) -> str:
    if not sys.stdin.isatty():
        raise UsageError("standard input is not a terminal: give --username and --password-stdin")
    value = getpass.getpass(prompt) if secret else input(prompt)
    if not value:
        raise UsageError("nothing entered")
    return value


def read_login_credential(args: argparse.Namespace, registry: str) -> Credential:
    """The credential `login` is asked to store: flags, then the environment, then prompts."""
    username = args.username or os.environ.get(ENV_USERNAME) or _ask(f"Username for {registry}: ", secret=False)
    if args.password_stdin:
        password = Secret(read_password_stdin())
    elif os.environ.get(ENV_PASSWORD) and not args.username:
        password = Secret(os.environ[ENV_PASSWORD])
    else:
        password = Secret(_ask(f"Password or token for {username}@{registry}: ", secret=True))
    return Credential(username, password, "password", source="login")


async def verify(session: Session, reference: Reference, credential: Credential) -> bool:
    """True when the registry checked the credential; False when it asks for none at all."""
    async with session.opened(reference, credential) as client:
        await client.verify_credentials(reference.repository)
        return client.challenge is not None


def cmd_login(args: argparse.Namespace) -> int:
    if not args.registry:
        raise UsageError("login needs a registry: acrbrowse login REGISTRY [-u USER] [--password-stdin]")
    if args.azure:
        return login_with_azure(args)
    if args.tenant:
        raise UsageError("--tenant goes with --azure")
    reference = parse_reference(args.registry)
    registry = reference.registry
    credential = read_login_credential(args, registry)
    session = session_from(args)
    checked = asyncio.run(verify(session, reference, credential))
    session.save_login(registry, credential)
    session.record_recent(registry)
    where = f" (checked against {reference.repository})" if reference.repository else ""
    if not checked:
        say(f"{registry} asks for no credentials; stored them anyway", "note")
    print(terminal_safe(f"Login succeeded: {credential.username} on {registry}{where}; the secret is in the OS keyring."))
    return EXIT_OK


def login_with_azure(args: argparse.Namespace) -> int:
    """`login REGISTRY --azure`: an Entra ID token exchanged for the registry's refresh token, which
    is checked, then kept with the choice (later runs exchange again when it expires)."""
    if args.username or args.password_stdin:
        raise UsageError("--azure signs in with Entra ID: leave out --username and --password-stdin")
    reference = parse_reference(args.registry)
    registry = reference.registry
    session = session_from(args)
    credential = session.azure_credential(registry, tenant=args.tenant)
    if args.verbose:
        say(f"exchanged a token from {credential.source} for {registry}'s refresh token")
    # checked as it will be stored: a renewal during the check would leave the keyring a stale token
    asyncio.run(verify(session, reference, replace(credential, renew=None)))
    session.save_login(registry, credential)
    session.record_recent(registry)
    where = f" (checked against {reference.repository})" if reference.repository else ""
    print(terminal_safe(f"Login succeeded: Entra ID (user or app) on {registry}{where}; the registry's refresh "
                        "token is in the OS keyring, and a new one is asked for when it expires."))
    return EXIT_OK


def cmd_logout(args: argparse.Namespace) -> int:
    registry = normalize_registry(args.registry)
    if session_from(args).remove_login(registry):
        print(terminal_safe(f"Removed the stored credential for {registry}."))
    else:
        print(terminal_safe(f"No credential stored for {registry}."))
    return EXIT_OK


def cmd_logins(args: argparse.Namespace) -> int:
    notes: list[str] = []
    warnings: list[str] = []
    rows = [k for k in session_from(args).known_registries(notes=notes, warnings=warnings) if set(k.sources) - {"recent"}]
    for warning in warnings:
        say(warning, "warning")
    if not rows:
        print("No stored credentials. Sign in with: acrbrowse login REGISTRY")
    for known in rows:
        sources = ", ".join(s for s in known.sources if s != "recent")
        print("\t".join(terminal_safe(field) for field in (known.registry, known.username or "-", sources)))
    if args.verbose:
        for note in notes:
            say(note)
    return EXIT_OK
