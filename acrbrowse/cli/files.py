"""`acrbrowse ls`: the files of one layer, or the merged filesystem of a platform image, read from
the registry without pulling the image. Progress goes to stderr when it is a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from acrbrowse.cli.commands import _manifest_reference
from acrbrowse.cli.common import EXIT_OK, UsageError, resolve_credential, say, session_from
from acrbrowse.present.safe import terminal_safe

if TYPE_CHECKING:
    from acrbrowse.layerfiles.entries import Listing
    from acrbrowse.layerfiles.fetch import Progress
    from acrbrowse.oci.manifest import Descriptor, ImageManifest



def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    ls = sub.add_parser("ls", parents=[common],
                        help="list an image's files without pulling it: the merged filesystem (the layer of each "
                             "path, wasted bytes), or one layer's files")
    ls.add_argument("reference", metavar="REGISTRY/REPO[:TAG|@DIGEST]")
    ls.add_argument("--platform", metavar="OS/ARCH[/VARIANT]", help="the platform of an index (e.g. linux/arm64/v8)")
    ls.add_argument("--layer", metavar="N|DIGEST",
                    help="only this layer: its number from 1 (as the tree shows 'layer 1') or its digest")
    ls.add_argument("--json", action="store_true", help="print JSON with exact sizes")


def pick_layer(image: ImageManifest, choice: str) -> tuple[int, Descriptor]:
    """(0-based index, descriptor) for --layer N (from 1) or --layer DIGEST (or a unique prefix of it)."""
    layers = image.layers
    if choice.isdigit():
        number = int(choice)
        if not 1 <= number <= len(layers):
            raise UsageError(f"--layer {number}: the image has {len(layers)} layer{'' if len(layers) == 1 else 's'} "
                             f"(1 to {len(layers)})")
        return number - 1, layers[number - 1]
    wanted = choice.split(":", 1)[-1].lower()
    found = [(i, layer) for i, layer in enumerate(layers)
             if len(wanted) >= 7 and layer.digest.split(":", 1)[-1].startswith(wanted)
             and (":" not in choice or layer.digest.startswith(choice.split(":", 1)[0] + ":"))]
    if len(found) == 1:
        return found[0]
    shown = terminal_safe(choice, 80)
    if not found:
        raise UsageError(f"--layer {shown}: no layer of the image has that number or digest")
    raise UsageError(f"--layer {shown}: {len(found)} layers start with it; give more of the digest")


class ProgressLine:
    """One line on stderr, rewritten in place (only on a terminal)."""

    def __init__(self, stream: TextIO, layers: int) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.layers = layers
        self.received: dict[int, Progress] = {}

    def update(self, position: int, progress: Progress) -> None:
        if not self.enabled:
            return
        from acrbrowse.layerfiles.fetch import overall
        from acrbrowse.present.files import progress_text

        self.received[position] = progress
        received, total, rate, eta = overall(self.received.values(), sum(p.total for p in self.received.values()))
        what = f"layer {position + 1}" if self.layers == 1 else f"{len(self.received)} of {self.layers} layers"
        self.stream.write(f"\r\x1b[Kreading {what}: {progress_text(received, total, rate, eta)}")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled and self.received:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


async def cmd_ls(args: argparse.Namespace) -> int:
    from acrbrowse.layerfiles.fetch import read_listings
    from acrbrowse.oci.platforms import image_for, parse_platform

    reference = _manifest_reference(args.reference)
    spec = parse_platform(args.platform) if args.platform else None
    session = session_from(args)
    credential = resolve_credential(args, session, reference.registry)
    repository = reference.repository
    assert repository is not None and reference.manifest_ref is not None
    what = terminal_safe(str(reference), 200)
    async with session.opened(reference, credential) as client:
        image = await image_for(client, repository, reference.manifest_ref, spec, what)
        chosen = [pick_layer(image, args.layer)] if args.layer else list(enumerate(image.layers))
        progress = ProgressLine(sys.stderr, len(chosen))
        try:
            listings = await read_listings([(client, repository, layer) for _, layer in chosen],
                                           cache=session.listing_cache,
                                           on_progress=lambda i, p: progress.update(chosen[i][0], p))
        finally:
            progress.clear()
    about = {"registry": reference.registry, "repository": repository, "reference": reference.manifest_ref,
             "manifest": image.digest}
    if args.layer:
        (position, layer), = chosen
        print_layer(args.json, about, position, layer, listings[0])
    else:
        print_merged(args.json, about, image, listings)
    return EXIT_OK


def _layer_json(position: int, layer: Descriptor, listing: Listing) -> dict[str, Any]:
    return {"number": position + 1, "digest": layer.digest, "mediaType": layer.media_type, "size": layer.size,
            "entries": len(listing), "readFrom": listing.method}


def _write_json_rows(out: TextIO, head: dict[str, Any], key: str, rows: Any) -> None:
    """A JSON object whose last member is a long array, written row by row (a million entries
    never become one string)."""
    text = json.dumps(head, indent=2)
    out.write(text[:-2] + f',\n  "{key}": [')
    for i, row in enumerate(rows):
        out.write(("\n    " if i == 0 else ",\n    ") + json.dumps(row))
    out.write("\n  ]\n}\n")


def print_layer(as_json: bool, about: dict[str, Any], position: int, layer: Descriptor, listing: Listing) -> None:
    from acrbrowse.present.files import entry_json, entry_line

    out = sys.stdout
    if as_json:
        _write_json_rows(out, {**about, "layer": _layer_json(position, layer, listing)}, "files",
                         (entry_json(entry) for entry in listing))
        return
    width = len(f"{max((listing.size(i) for i in range(len(listing))), default=0):,}")  # no entry made for it
    for entry in listing:
        out.write(entry_line(entry, width) + "\n")


def print_merged(as_json: bool, about: dict[str, Any], image: ImageManifest, listings: Sequence[Listing]) -> None:
    from acrbrowse.layerfiles.merge import merge
    from acrbrowse.present.files import efficiency_text, entry_json, entry_line

    merged = merge(listings)
    out = sys.stdout
    if as_json:
        head = {**about, "layers": [_layer_json(i, layer, listing)
                                    for i, (layer, listing) in enumerate(zip(image.layers, listings, strict=True))],
                "storedBytes": merged.stored_bytes, "visibleBytes": merged.visible_bytes,
                "wastedBytes": merged.wasted_bytes, "efficiency": round(merged.efficiency, 6)}
        _write_json_rows(out, head, "files", ({**entry_json(row.entry), "path": row.path, "layer": row.layer + 1,
                                               "change": row.change.value, "wasted": row.wasted}
                                              for row in merged.paths))
        return
    width = len(f"{max((merged.paths.size(i) for i in range(len(merged.paths))), default=0):,}")
    digits = len(str(len(listings)))
    for row in merged.paths:
        wasted = f"  (wasted {row.wasted:,})" if row.wasted else ""
        out.write(f"{row.layer + 1:>{digits}} {row.change.value:<8} {entry_line(row.entry, width)}{wasted}\n")
    say(f"{len(listings)} layers, {efficiency_text(merged.efficiency, merged.wasted_bytes)} (bytes stored in a layer "
        "that a later layer overwrites or removes)", "note")
