"""A comparison of two images and a repository's usage as people and scripts read them: text lines
(every outside string made terminal-safe here) and JSON (exact values)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.units import human_size, short_digest

if TYPE_CHECKING:
    from acrbrowse.compare.config import ConfigChange, HistoryLine
    from acrbrowse.compare.fetch import LayerRead, MergedPair
    from acrbrowse.compare.files import FileChange
    from acrbrowse.compare.layers import LayerComparison
    from acrbrowse.compare.usage import RepositoryUsage
    from acrbrowse.layerfiles.entries import FileEntry
    from acrbrowse.oci.manifest import Descriptor

HISTORY_MARKS = {"same": " ", "removed": "-", "added": "+"}
FILE_MARKS = {"added": "+", "removed": "-", "modified": "~"}
NOT_SET = "(not set)"
VALUE_LIMIT = 200  # characters of a config value shown on a line


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def layers_summary(layers: LayerComparison) -> str:
    """"5 layers shared (12.3 MB) · 2 only in A (1.2 MB) · 2 only in B (1.3 MB)"."""
    from acrbrowse.compare.layers import LayerState

    return (f"{plural(layers.count(LayerState.SHARED), 'layer')} shared ({human_size(layers.shared_bytes)}) · "
            f"{layers.count(LayerState.ONLY_A)} only in A ({human_size(layers.only_a_bytes)}) · "
            f"{layers.count(LayerState.ONLY_B)} only in B ({human_size(layers.only_b_bytes)})")


def layer_lines(layers: LayerComparison) -> Iterator[str]:
    """The aligned table: A's layer number, B's, the state, the size, the digest."""
    width = max((len(f"{row.layer.size:,}") for row in layers.rows), default=1)
    yield f"{'A':>3} {'B':>3}  {'':<9}  {'size':>{width}}  digest"
    for row in layers.rows:
        layer = row.layer
        a = str(row.a_position + 1) if row.a_position is not None else "-"
        b = str(row.b_position + 1) if row.b_position is not None else "-"
        yield f"{a:>3} {b:>3}  {row.state.value:<9}  {layer.size:>{width},}  {layer.digest}"


def _value(value: str | None) -> str:
    return NOT_SET if value is None else terminal_safe(value, VALUE_LIMIT)


def config_lines(changes: Sequence[ConfigChange]) -> Iterator[str]:
    """`env PATH: /usr/bin -> /usr/local/bin`, one change a line."""
    for change in changes:
        name = change.field if change.key is None else f"{change.field} {terminal_safe(change.key, 80)}"
        yield f"{name}: {_value(change.a)} -> {_value(change.b)}"


def history_lines(history: Sequence[HistoryLine]) -> Iterator[str]:
    """Like a unified diff's body: ' ' same, '-' only in A, '+' only in B."""
    for line in history:
        text = line.a if line.a is not None else line.b
        yield f"{HISTORY_MARKS[line.change]} {terminal_safe(text or '', VALUE_LIMIT)}"


def _entry_brief(entry: FileEntry) -> str:
    from acrbrowse.present.files import mode_text, owner_text

    text = f"{mode_text(entry)} {owner_text(entry)} {entry.size:,}"
    if entry.link:
        text += f" -> {terminal_safe(entry.link, 120)}"
    return text


def _aspect(entry: FileEntry, what: str) -> str:
    """One aspect of a version, as `what` names it ("size", "mode", …)."""
    from acrbrowse.present.files import KIND_NAMES, mode_text, owner_text

    if what == "type":
        return KIND_NAMES[entry.kind]
    if what == "size":
        return f"{entry.size:,}"
    if what == "mode":
        return mode_text(entry)
    if what == "owner":
        return f"{owner_text(entry)} ({entry.uid}:{entry.gid})"
    if what == "link":
        return terminal_safe(entry.link or "", 120) or '""'
    if what == "time":
        try:
            return datetime.fromtimestamp(entry.mtime, UTC).strftime("%Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):  # a layer may claim any time
            return str(entry.mtime)
    raise ValueError(what)


def file_lines(changes: Sequence[FileChange]) -> Iterator[str]:
    """`+ path  mode owner size`, `- path  …`, `~ path: size 50,000 -> 60,000, mode … -> …`."""
    for change in changes:
        path = terminal_safe(change.path or "/")
        mark = FILE_MARKS[change.kind.value]
        if change.a is not None and change.b is not None:
            a, b = change.a, change.b
            yield f"{mark} {path}: " + ", ".join(f"{what} {_aspect(a, what)} -> {_aspect(b, what)}"
                                                 for what in change.what)
        else:
            entry = change.b if change.b is not None else change.a
            assert entry is not None
            yield f"{mark} {path}  {_entry_brief(entry)}"


def files_summary(changes: Sequence[FileChange]) -> str:
    counts = {kind: sum(1 for c in changes if c.kind.value == kind) for kind in ("added", "removed", "modified")}
    return f"{counts['added']} added · {counts['removed']} removed · {counts['modified']} modified"


def read_lines(reads: Sequence[LayerRead]) -> Iterator[str]:
    """Which layer listing came from where: `sha256:0123456789ab  shared     12.3 MB  stream`."""
    for read in reads:
        where = "shared" if read.shared else ("only in A" if read.in_a else "only in B")
        yield f"{short_digest(read.layer.digest)}  {where:<9}  {human_size(read.layer.size):>9}  " \
              f"{terminal_safe(read.method, 60)}"


def reads_summary(pair: MergedPair) -> str:
    reads, fetched = pair.reads, pair.fetched
    return (f"{plural(len(reads), 'distinct layer')}: {len(reads) - len(fetched)} from the listing cache, "
            f"{len(fetched)} read from the registry ({human_size(sum(r.layer.size for r in fetched))})")


# ---- JSON ----------------------------------------------------------------------------------------

def _layer_json(layer: Descriptor | None, position: int | None) -> dict[str, Any] | None:
    if layer is None or position is None:
        return None
    return {"number": position + 1, "digest": layer.digest, "size": layer.size, "mediaType": layer.media_type}


def layers_json(layers: LayerComparison) -> dict[str, Any]:
    return {"sharedBytes": layers.shared_bytes, "onlyABytes": layers.only_a_bytes, "onlyBBytes": layers.only_b_bytes,
            "rows": [{"state": row.state.name.lower(), "a": _layer_json(row.a, row.a_position),
                      "b": _layer_json(row.b, row.b_position)} for row in layers.rows]}


def config_json(changes: Sequence[ConfigChange]) -> list[dict[str, Any]]:
    return [{"field": c.field, "key": c.key, "a": c.a, "b": c.b} for c in changes]


def history_json(history: Sequence[HistoryLine]) -> list[dict[str, Any]]:
    return [{"change": line.change, "a": line.a, "b": line.b} for line in history]


def file_json(change: FileChange) -> dict[str, Any]:
    from acrbrowse.present.files import entry_json

    return {"path": change.path, "change": change.kind.value, "what": list(change.what),
            "a": entry_json(change.a) if change.a is not None else None,
            "b": entry_json(change.b) if change.b is not None else None}


def reads_json(reads: Sequence[LayerRead]) -> list[dict[str, Any]]:
    return [{"digest": r.layer.digest, "size": r.layer.size, "inA": r.in_a, "inB": r.in_b, "readFrom": r.method}
            for r in reads]


# ---- usage ---------------------------------------------------------------------------------------

def usage_lines(usage: RepositoryUsage) -> Iterator[str]:
    """A table (tag, total, shared, alone: exact bytes), then the repository's unique bytes and the
    check that they add up."""
    tags = [terminal_safe(tag.tag, 128) for tag in usage.tags]
    name_width = max((len(t) for t in tags), default=3)
    number_width = max((len(f"{n:,}") for t in usage.tags for n in (t.total, t.shared, t.alone)), default=5)
    number_width = max(number_width, len("shared"))
    yield f"{'tag':<{name_width}}  {'total':>{number_width}}  {'shared':>{number_width}}  {'alone':>{number_width}}"
    for shown, tag in zip(tags, usage.tags, strict=True):
        yield (f"{shown:<{name_width}}  {tag.total:>{number_width},}  {tag.shared:>{number_width},}  "
               f"{tag.alone:>{number_width},}")
    alone = sum(tag.alone for tag in usage.tags)
    yield ""
    yield f"unique bytes: {usage.unique_bytes:,} ({human_size(usage.unique_bytes)})"
    yield (f"check: {alone:,} held alone + {usage.shared_bytes:,} shared = {alone + usage.shared_bytes:,} "
           f"{'=' if alone + usage.shared_bytes == usage.unique_bytes else '!='} {usage.unique_bytes:,}")


def usage_json(usage: RepositoryUsage) -> dict[str, Any]:
    return {"tags": [{"tag": t.tag, "totalBytes": t.total, "sharedBytes": t.shared, "aloneBytes": t.alone}
                     for t in usage.tags],
            "uniqueBytes": usage.unique_bytes, "sharedBytes": usage.shared_bytes}
