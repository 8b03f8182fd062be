"""The script commands: repos, tags, tree. They never import Textual."""

from __future__ import annotations

import argparse
import json
import sys

from acrbrowse.cli.common import EXIT_ERROR, EXIT_OK, advice, resolve_credential, say, session_from
from acrbrowse.present.safe import terminal_safe


def _require_repository(text: str):
    from acrbrowse.oci.errors import InvalidReference
    from acrbrowse.oci.name import parse_reference

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
    from acrbrowse.oci.name import parse_registry

    reference = parse_registry(args.registry)
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    async with session.opened(reference, credential) as client:
        return await _print_names(args, client.repository_pages(), "repositories",
                                  {"registry": reference.registry})


async def cmd_tags(args: argparse.Namespace) -> int:
    reference = _require_repository(args.reference)
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    async with session.opened(reference, credential) as client:
        return await _print_names(args, client.tag_pages(reference.repository), "tags",
                                  {"registry": reference.registry, "repository": reference.repository})


async def cmd_tree(args: argparse.Namespace) -> int:
    from acrbrowse.oci.walk import walk
    from acrbrowse.present.render import render_json, render_text

    reference = _require_repository(args.reference)
    if reference.manifest_ref is None:
        reference = reference.with_tag("latest")
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    async with session.opened(reference, credential) as client:
        tree = await walk(client, reference)
    print(json.dumps(render_json(tree), indent=2) if args.json else render_text(tree))
    for error in tree.errors:
        say(advice(error), "error")
    return EXIT_ERROR if tree.errors else EXIT_OK

