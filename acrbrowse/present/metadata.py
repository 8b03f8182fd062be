"""Tag and manifest metadata (times, sizes, locks) as lines and as JSON, for the command line.
Every outside string goes through terminal_safe here; JSON carries values as they are (json.dumps
escapes control characters itself)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from acrbrowse.oci.source import ChangeableAttributes, ManifestMetadata, TagMetadata
from acrbrowse.present.safe import terminal_safe
from acrbrowse.present.times import iso_time, relative_time
from acrbrowse.present.units import human_size

UNKNOWN = "-"


def _size(size: int | None) -> str:
    return UNKNOWN if size is None else human_size(size)


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart; the last column is not padded."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
            for row in rows]


def _marks(signed: bool | None, changeable: ChangeableAttributes | None) -> str:
    marks = []
    if changeable is not None and changeable.locked:
        marks.append("locked")
    if signed:
        marks.append("signed (DCT)")
    return ", ".join(marks)


def tag_lines(tags: Sequence[TagMetadata], now: datetime | None = None) -> list[str]:
    """`--long`: tag, digest, pushed, size, then locked / signed (DCT) when so."""
    rows = [(terminal_safe(t.name), t.digest or UNKNOWN, relative_time(t.updated, now), _size(t.size),
             _marks(t.signed, t.changeable)) for t in tags]
    return _columns(rows)


def _changeable_json(changeable: ChangeableAttributes | None) -> dict[str, bool | None] | None:
    if changeable is None:
        return None
    return {"deleteEnabled": changeable.delete_enabled, "writeEnabled": changeable.write_enabled,
            "readEnabled": changeable.read_enabled, "listEnabled": changeable.list_enabled}


def tag_json(tag: TagMetadata) -> dict[str, Any]:
    return {"name": tag.name, "digest": tag.digest, "pushed": iso_time(tag.updated), "created": iso_time(tag.created),
            "size": tag.size, "signed": tag.signed, "locked": tag.locked,
            "changeableAttributes": _changeable_json(tag.changeable)}


def manifest_lines(manifests: Sequence[ManifestMetadata], now: datetime | None = None,
                   sizes: dict[str, int] | None = None) -> list[str]:
    """digest, pushed, size (or with `sizes`: the bytes only it holds), platform, tags or (untagged)."""
    rows = []
    for m in manifests:
        platform = "/".join(terminal_safe(p, 40) for p in (m.os, m.architecture) if p)
        if m.references:
            platform = f"index of {len(m.references)}"
        size = sizes.get(m.digest) if sizes is not None else m.size
        tags = ", ".join(terminal_safe(t) for t in m.tags) if m.tags else "(untagged)"
        rows.append((m.digest, relative_time(m.updated, now), _size(size), platform or UNKNOWN, tags))
    return _columns(rows)


def manifest_json(m: ManifestMetadata) -> dict[str, Any]:
    return {"digest": m.digest, "size": m.size, "pushed": iso_time(m.updated), "created": iso_time(m.created),
            "mediaType": m.media_type, "os": m.os, "architecture": m.architecture, "tags": list(m.tags),
            "references": [{"digest": r.digest, "os": r.os, "architecture": r.architecture} for r in m.references],
            "quarantineState": m.quarantine_state, "changeableAttributes": _changeable_json(m.changeable)}
