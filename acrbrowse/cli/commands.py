"""The script commands: repos, tags, manifests, tree. They never import Textual."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from acrbrowse.cli.common import EXIT_ERROR, EXIT_OK, advice, resolve_credential, say, session_from
from acrbrowse.present.safe import terminal_safe

if TYPE_CHECKING:
    from acrbrowse.oci.name import Reference


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
    about = {"registry": reference.registry, "repository": reference.repository}
    wants_metadata = args.long or args.sort == "time" or (args.json and _is_acr_by_name(reference.registry))
    async with session.opened(reference, credential) as client:
        if not wants_metadata:  # names as the registry pages them, printed as they arrive
            return await _print_names(args, client.tag_pages(reference.repository), "tags", about)
        metadata = session.metadata(client)
        if args.long or args.json:
            tags = await metadata.tags_with_sizes(reference.repository)
        else:
            tags = [tag async for page in metadata.tag_metadata_pages(reference.repository) for tag in page]
    _print_tags(args, tags, about, metadata.take_note(), metadata.reason)
    return EXIT_OK


def _is_acr_by_name(registry: str) -> bool:
    """An Azure Container Registry by its host name: there /acr/v1 costs the round trips /v2/ would,
    so `--json` carries times and sizes unasked. Elsewhere finding out costs round trips (a probe,
    a token): only `--long` and `--sort time` spend them."""
    from acrbrowse.keychain.entra import is_acr_host

    return is_acr_host(registry)


def _print_tags(args: argparse.Namespace, tags: list, about: dict, note: str | None, reason: str | None) -> None:
    from acrbrowse.present.metadata import tag_json, tag_lines
    from acrbrowse.present.order import natural_key

    by_time = args.sort == "time" and any(tag.updated is not None for tag in tags)
    tags.sort(key=lambda tag: natural_key(tag.name))
    if by_time:  # newest first; a tag without a time after those with one (a stable sort keeps names in order)
        tags.sort(key=lambda tag: tag.updated.timestamp() if tag.updated else float("-inf"), reverse=True)
    if args.sort == "time" and not by_time:
        say(f"no tag times to sort by ({reason or 'the registry sent none'}); keeping name order", "note")
    elif note:
        say(note, "note")
    if args.json:
        print(json.dumps({**about, "times": any(tag.updated is not None for tag in tags),
                          "tags": [tag.name for tag in tags], "details": [tag_json(tag) for tag in tags]}, indent=2))
    elif args.long:
        sys.stdout.write("".join(f"{line}\n" for line in tag_lines(tags)))
    else:
        sys.stdout.write("".join(f"{terminal_safe(tag.name)}\n" for tag in tags))


async def cmd_manifests(args: argparse.Namespace) -> int:
    from acrbrowse.oci.remote.acr import MetadataUnavailable
    from acrbrowse.oci.untagged import untagged_manifests

    reference = _require_repository(args.reference)
    repository = reference.repository
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    report = None
    async with session.opened(reference, credential) as client:
        metadata = session.metadata(client)
        try:
            listed = [m async for page in metadata.manifest_metadata_pages(repository) for m in page]
        except MetadataUnavailable as exc:
            if args.untagged:
                raise MetadataUnavailable(f"untagged manifests cannot be known: {exc}") from None
            say(f"{exc}; listing the tagged manifests only (untagged ones cannot be known there)", "note")
            listed = await _tagged_manifests(client, repository)
        else:
            if args.untagged:
                report = await untagged_manifests(client, repository, listed)
    _print_manifests(args, listed, report, {"registry": reference.registry, "repository": repository})
    return EXIT_OK


async def _tagged_manifests(client, repository: str) -> list:
    """What the tags point at, one row per digest with its tags (where no registry API lists every
    manifest). On a registry that counts manifest GETs as pulls (Docker Hub) only HEADs: no sizes."""
    import asyncio

    from acrbrowse.oci.manifest import ImageIndex, ImageManifest
    from acrbrowse.oci.source import ManifestMetadata, PlatformRef

    gate = asyncio.Semaphore(8)
    tags = [tag async for tag in client.tags(repository)]

    async def digest_of(tag: str) -> str:
        async with gate:
            return (await client.head_manifest(repository, tag)).digest

    digests = await asyncio.gather(*(digest_of(tag) for tag in tags))
    tags_of: dict[str, list[str]] = {}
    for tag, digest in zip(tags, digests, strict=True):
        tags_of.setdefault(digest, []).append(tag)

    async def row(digest: str) -> ManifestMetadata:
        names = tuple(tags_of[digest])
        if client.counts_pulls:
            return ManifestMetadata(digest, tags=names)
        async with gate:
            manifest = await client.manifest_by_digest(repository, digest)
        if isinstance(manifest, ImageIndex):
            refs = tuple(PlatformRef(d.digest, d.platform.architecture if d.platform else None,
                                     d.platform.os if d.platform else None) for d in manifest.manifests)
            return ManifestMetadata(digest, media_type=manifest.media_type, tags=names, references=refs)
        size = (manifest.config.size if manifest.config else 0) + manifest.compressed_size \
            if isinstance(manifest, ImageManifest) else None
        return ManifestMetadata(digest, size=size, media_type=manifest.media_type, tags=names)

    return list(await asyncio.gather(*(row(digest) for digest in tags_of)))


def _print_manifests(args: argparse.Namespace, listed: list, report, about: dict) -> None:
    from acrbrowse.present.metadata import manifest_json, manifest_lines
    from acrbrowse.present.units import human_size

    if report is None:
        if args.json:
            print(json.dumps({**about, "manifests": [manifest_json(m) for m in listed]}, indent=2))
        else:
            sys.stdout.write("".join(f"{line}\n" for line in manifest_lines(listed)))
        return
    rows = [u.metadata for u in report.untagged]
    if args.json:
        print(json.dumps({**about, "untagged": [{**manifest_json(u.metadata), "exclusiveBytes": u.exclusive_bytes,
                                                 "children": list(u.children)} for u in report.untagged],
                          "exclusiveBytes": report.exclusive_bytes, "referrersLeftOut": report.referrers,
                          "platformsLeftOut": report.platforms}, indent=2))
        return
    sys.stdout.write("".join(f"{line}\n" for line in manifest_lines(
        rows, sizes={u.metadata.digest: u.exclusive_bytes for u in report.untagged})))
    count = len(report.untagged)
    say(f"{count} untagged manifest{'' if count == 1 else 's'} holding {human_size(report.exclusive_bytes)} that no "
        f"tag shares; left out: {report.referrers} referrers (signatures, SBOMs), {report.platforms} platform "
        "manifests of tagged indexes", "note")


def _manifest_reference(text: str) -> Reference:
    """REGISTRY/REPO[:TAG|@DIGEST], the tag `latest` when neither is given."""
    reference = _require_repository(text)
    return reference if reference.manifest_ref is not None else reference.with_tag("latest")


def _printed(output: str, errors: Sequence[BaseException]) -> int:
    """Print what was found, then each error on stderr (one line each): the exit status says which."""
    print(output)
    for error in errors:
        say(advice(error), "error")
    return EXIT_ERROR if errors else EXIT_OK


async def cmd_tree(args: argparse.Namespace) -> int:
    from acrbrowse.oci.walk import walk
    from acrbrowse.present.render import render_json, render_text

    reference = _manifest_reference(args.reference)
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    async with session.opened(reference, credential) as client:
        tree = await walk(client, reference, referrers=args.referrers, inside=args.referrers)
    return _printed(json.dumps(render_json(tree), indent=2) if args.json else render_text(tree), tree.errors)


async def cmd_referrers(args: argparse.Namespace) -> int:
    from acrbrowse.oci.walk import referrers_of
    from acrbrowse.present.render import render_referrers_json, render_referrers_text

    reference = _manifest_reference(args.reference)
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    async with session.opened(reference, credential) as client:
        tree = await referrers_of(client, reference, artifact_type=args.artifact_type, recursive=args.recursive,
                                  inside=True)
    return _printed(json.dumps(render_referrers_json(tree), indent=2) if args.json else render_referrers_text(tree),
                    tree.errors)

