"""`acrbrowse diff` (what changed between two images: layers, config, history, and with --files the
files) and `acrbrowse usage` (what each tag of a repository holds alone), read from manifests and
configs; only `diff --files` reads layers, each distinct one once."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any

from acrbrowse.cli.commands import _manifest_reference, _require_repository
from acrbrowse.cli.common import EXIT_OK, resolve_credential, say, session_from
from acrbrowse.present.safe import terminal_safe

if TYPE_CHECKING:
    from acrbrowse.oci.name import Reference
    from acrbrowse.session import Session


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    diff = sub.add_parser("diff", parents=[common],
                          help="compare two images: layers shared and not, config and history differences, and "
                               "with --files the files added, removed and modified")
    diff.add_argument("first", metavar="REF1",
                      help="REGISTRY/REPO[:TAG|@DIGEST] (--username and --password-stdin are for its registry)")
    diff.add_argument("second", metavar="REF2",
                      help="REGISTRY/REPO[:TAG|@DIGEST], or a bare TAG or @DIGEST of REF1's repository")
    diff.add_argument("--platform", metavar="OS/ARCH[/VARIANT]", help="the platform to compare when a tag is an index")
    diff.add_argument("--files", action="store_true",
                      help="also compare the merged filesystems (reads each distinct layer once: the shared ones "
                           "from the listing cache when `ls` read them before)")
    diff.add_argument("--json", action="store_true", help="print JSON with exact values")

    usage = sub.add_parser("usage", parents=[common],
                           help="what each tag of a repository holds alone (what deleting it frees) and shares, from "
                                "manifests only")
    usage.add_argument("reference", metavar="REGISTRY/REPO")
    usage.add_argument("--json", action="store_true", help="print JSON with exact byte counts")


def second_reference(first: Reference, text: str) -> Reference:
    """REF2: a whole reference, or a bare TAG or @DIGEST meaning REF1's repository."""
    from dataclasses import replace

    from acrbrowse.oci.name import validate_digest

    if text.startswith("@"):
        return replace(first, tag=None, digest=validate_digest(text[1:]))
    if "/" not in text and ":" not in text and "@" not in text:
        return first.with_tag(text)
    return _manifest_reference(text)


@contextlib.asynccontextmanager
async def _clients(args: argparse.Namespace, session: Session, a: Reference, b: Reference):
    """A client for each registry (one when both images are in the same). --username and
    --password-stdin name REF1's credential (standard input is read once); REF2's own registry
    finds its credential in the environment, the keyring or Docker's config."""
    async with contextlib.AsyncExitStack() as stack:
        client_a = await stack.enter_async_context(
            session.opened(a, resolve_credential(args, session, a.registry)))
        if b.registry == a.registry:
            client_b = client_a
        else:
            others = argparse.Namespace(**{**vars(args), "username": None, "password_stdin": False})
            client_b = await stack.enter_async_context(
                session.opened(b, resolve_credential(others, session, b.registry)))
        yield client_a, client_b


def _about(reference: Reference, image: Any, config: Any) -> dict[str, Any]:
    return {"registry": reference.registry, "repository": reference.repository, "reference": reference.manifest_ref,
            "manifest": image.digest, "config": config.digest,
            "platform": f"{config.os or '?'}/{config.architecture or '?'}"}


async def cmd_diff(args: argparse.Namespace) -> int:
    from acrbrowse.cli.files import ProgressLine
    from acrbrowse.compare.config import compare_configs
    from acrbrowse.compare.fetch import ImageSide, distinct_layers, read_merged_pair
    from acrbrowse.compare.files import compare_files
    from acrbrowse.compare.layers import compare_layers
    from acrbrowse.oci.errors import RegistryError
    from acrbrowse.oci.platforms import image_for, parse_platform

    first = _manifest_reference(args.first)
    second = second_reference(first, args.second)
    spec = parse_platform(args.platform) if args.platform else None
    session = session_from(args)
    pair = None
    async with _clients(args, session, first, second) as (client_a, client_b):
        sides = []
        for reference, client in ((first, client_a), (second, client_b)):
            assert reference.repository is not None and reference.manifest_ref is not None
            image = await image_for(client, reference.repository, reference.manifest_ref, spec,
                                    terminal_safe(str(reference), 200))
            if image.config is None:
                raise RegistryError(f"{terminal_safe(str(reference), 200)} has no image config to compare")
            config = await client.get_config(reference.repository, image.config)
            sides.append((ImageSide(client, reference.repository, image), config))
        (side_a, config_a), (side_b, config_b) = sides
        layers = compare_layers(side_a.image, side_b.image)
        changes, history = compare_configs(config_a, config_b)
        if args.files:
            order = {layer.digest: i for i, (layer, _, _) in enumerate(distinct_layers(side_a.image, side_b.image))}
            progress = ProgressLine(sys.stderr, len(order))
            try:
                pair = await read_merged_pair(side_a, side_b, cache=session.listing_cache,
                                              on_progress=lambda layer, p: progress.update(order[layer.digest], p))
            finally:
                progress.clear()
    files = compare_files(pair.a, pair.b) if pair is not None else None
    about_a, about_b = _about(first, side_a.image, config_a), _about(second, side_b.image, config_b)
    if args.json:
        _print_diff_json(about_a, about_b, layers, changes, history, files, pair)
    else:
        _print_diff_text(about_a, about_b, layers, changes, history, files, pair)
    return EXIT_OK


def _print_diff_json(about_a, about_b, layers, changes, history, files, pair) -> None:
    from acrbrowse.present.compare import config_json, file_json, history_json, layers_json, reads_json

    document: dict[str, Any] = {"a": about_a, "b": about_b, "layers": layers_json(layers),
                                "config": config_json(changes), "history": history_json(history)}
    if pair is None:
        print(json.dumps(document, indent=2))
        return
    from acrbrowse.cli.files import _write_json_rows

    document["layersRead"] = reads_json(pair.reads)
    _write_json_rows(sys.stdout, document, "files", (file_json(change) for change in files))


def _print_diff_text(about_a, about_b, layers, changes, history, files, pair) -> None:
    from acrbrowse.present.compare import (
        config_lines,
        file_lines,
        files_summary,
        history_lines,
        layer_lines,
        layers_summary,
        read_lines,
        reads_summary,
    )

    def shown(about: dict[str, Any]) -> str:
        ref = about["reference"]  # a digest holds ":", a tag never does
        name = f"{about['registry']}/{about['repository']}{'@' if ':' in ref else ':'}{ref}"
        return f"{terminal_safe(name, 200)} ({about['manifest'][:19]}…, {terminal_safe(about['platform'], 60)})"

    out: list[str] = [f"A: {shown(about_a)}", f"B: {shown(about_b)}", layers_summary(layers)]
    out += ["", "layers:", *(f"  {line}" for line in layer_lines(layers))]
    out += ["", "config:" if changes else "config: the same",
            *(f"  {line}" for line in config_lines(changes))]
    same = all(line.change == "same" for line in history)
    out += ["", "history: the same" if same else "history (- only in A, + only in B):"]
    if not same:
        out += [f"  {line}" for line in history_lines(history)]
    if pair is not None and files is not None:
        out += ["", f"files: {files_summary(files)}", *(f"  {line}" for line in file_lines(files))]
        out += ["", f"layers read: {reads_summary(pair)}", *(f"  {line}" for line in read_lines(pair.reads))]
    sys.stdout.write("".join(f"{line}\n" for line in out))


async def cmd_usage(args: argparse.Namespace) -> int:
    from acrbrowse.compare.usage import read_tag_blobs, usage_of
    from acrbrowse.present.compare import usage_json, usage_lines
    from acrbrowse.present.order import natural_key

    reference = _require_repository(args.reference)
    repository = reference.repository
    assert repository is not None
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    async with session.opened(reference, credential) as client:
        tags: list[str] = []
        async for page in client.tag_pages(repository):
            tags.extend(page)
        tags.sort(key=natural_key)
        if client.counts_pulls:
            say(f"reading the manifests of {len(tags)} tags (and of their platforms): on this registry each read counts "
                "against the pull quota",
                "note")
        progress = sys.stderr.isatty()

        def counted(_tag: str, done: int) -> None:
            if progress:
                sys.stderr.write(f"\r\x1b[Kreading manifests: {done} of {len(tags)} tags")
                sys.stderr.flush()

        try:
            blobs = await read_tag_blobs(client, repository, tags, on_tag=counted)
        finally:
            if progress and tags:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
    if len(blobs) < len(tags):
        left_out = len(tags) - len(blobs)
        say(f"{left_out} of the {len(tags)} tags listed left out: not valid tag names, or gone when read", "warning")
    usage = usage_of(blobs)
    if args.json:
        print(json.dumps({"registry": reference.registry, "repository": repository, **usage_json(usage)}, indent=2))
    else:
        sys.stdout.write("".join(f"{line}\n" for line in usage_lines(usage)))
    return EXIT_OK
