"""The tar walk: a layer's uncompressed bytes in, FileEntry out, as the bytes arrive.

Its own walker rather than `tarfile.open(mode="r|")`, which reads a pax header or a GNU long name
of any size into memory: here each 512-byte header is decoded by `tarfile.TarInfo.frombuf` (checksum,
ustar prefix, base-256 numbers; `plain_header` does the same faster for the headers most layers are
made of), pax records ('x' for one entry, 'g' for all that follow) and GNU
long names ('L', 'K') are read up to TAR_META_BYTES, and file data is skipped without a copy.
Like Go's archive/tar (what containerd unpacks with), two zero blocks end the archive, or the end of
the stream where a header would start, and whatever follows the end is not read."""

from __future__ import annotations

import struct
import tarfile

from acrbrowse.layerfiles.entries import FileEntry, Kind, normalize_path, split_whiteout
from acrbrowse.limits import LAYER_ENTRIES, TAR_ENTRY_BYTES, TAR_META_BYTES, describe_bytes
from acrbrowse.oci.errors import UnreadableLayer
from acrbrowse.present.safe import terminal_safe

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)

_KINDS = {
    tarfile.REGTYPE: Kind.FILE, tarfile.AREGTYPE: Kind.FILE, tarfile.CONTTYPE: Kind.FILE,
    tarfile.GNUTYPE_SPARSE: Kind.FILE, tarfile.LNKTYPE: Kind.HARDLINK, tarfile.SYMTYPE: Kind.SYMLINK,
    tarfile.CHRTYPE: Kind.CHAR, tarfile.BLKTYPE: Kind.BLOCK, tarfile.DIRTYPE: Kind.DIR, tarfile.FIFOTYPE: Kind.FIFO,
}
# Types whose header is the whole entry: a size they claim is not followed by data (as tarfile reads them).
_HEADER_ONLY = frozenset({tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.DIRTYPE,
                          tarfile.FIFOTYPE})
_PAX_TYPES = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE})
_LONG_TYPES = frozenset({tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK})
_SIZED_KINDS = frozenset({Kind.FILE, Kind.OTHER})

# What is being read (for the message when the stream stops in the middle of it).
_HEADER, _META, _SPARSE = "header", "meta", "sparse"


def _blocks(size: int) -> int:
    """`size` rounded up to whole blocks."""
    return -(-size // BLOCK) * BLOCK


def _quoted(path: str) -> str:
    return '"' + terminal_safe(path, 200) + '"'


class TarWalker:
    """Feed it tar bytes in any chunking with `write`; completed entries gather in `entries` (take
    them with `take`); `finish` at the end of the stream. Raises UnreadableLayer, one line."""

    def __init__(self) -> None:
        self.ended = False  # the end-of-archive blocks were read
        self.entries: list[FileEntry] = []
        self.count = 0  # entries listed so far, all of them
        self._pending = bytearray()  # a header or metadata record arriving in pieces
        self._want = BLOCK  # bytes the current record needs
        self._state = _HEADER
        self._skip = 0  # file data (and padding) still to pass over
        self._zero_blocks = 0
        self._headers = 0  # headers decoded, metadata ones included
        self._meta_type = b""  # the type of the metadata record being read
        self._meta_size = 0
        self._global: dict[str, str] = {}  # 'g' records: apply to every entry after them
        self._pax: dict[str, str] = {}  # an 'x' record: applies to the next entry
        self._long_name: str | None = None
        self._long_link: str | None = None
        self._sparse_entry: tarfile.TarInfo | None = None  # an old GNU sparse entry, reading its extension blocks
        self._last_path = ""  # for messages: the entry being read or the last one read

    @property
    def headers(self) -> int:
        """Tar headers decoded so far, metadata ones included."""
        return self._headers

    def take(self) -> list[FileEntry]:
        taken, self.entries = self.entries, []
        return taken

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        size, pos = len(view), 0
        while pos < size and not self.ended:
            if self._skip:
                step = min(self._skip, size - pos)
                pos += step
                self._skip -= step
                continue
            if not self._pending and size - pos >= self._want:
                record = bytes(view[pos:pos + self._want])
                pos += self._want
            else:
                step = min(self._want - len(self._pending), size - pos)
                self._pending += view[pos:pos + step]
                pos += step
                if len(self._pending) < self._want:
                    return
                record, self._pending = bytes(self._pending), bytearray()
            self._record(record)

    def finish(self) -> list[FileEntry]:
        """The stream ended: raise unless it ended where the archive may end (after the end blocks,
        after one of them, or where the next header would start)."""
        if not self.ended:
            if not self._headers and self._pending:
                raise UnreadableLayer("the layer is not a tar archive (nor gzip or zstd), or is cut short")
            if self._skip:
                raise UnreadableLayer(f"the layer ends inside the file {_quoted(self._last_path)} (truncated)")
            if self._state != _HEADER or self._pending or self._pax or self._long_name is not None \
                    or self._long_link is not None:
                raise UnreadableLayer(f"the layer ends inside a tar header{self._after()} (truncated)")
            self.ended = True
        return self.take()

    # ---- records ------------------------------------------------------------------------------

    def _record(self, record: bytes) -> None:
        if self._state == _HEADER:
            self._header(record)
        elif self._state == _META:
            self._meta(record[:self._meta_size])
        else:
            self._sparse_extension(record)

    def _header(self, block: bytes) -> None:
        if block == _ZERO_BLOCK:
            self._zero_blocks += 1
            if self._zero_blocks == 2:
                self.ended = True
            return
        if self._zero_blocks:
            raise UnreadableLayer(f"the layer's tar has an entry after an end-of-archive block{self._after()}")
        try:
            info = plain_header(block) or tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as error:
            if not self._headers:
                raise UnreadableLayer("the layer is not a tar archive (nor gzip or zstd)") from None
            raise UnreadableLayer(f"the layer's tar has a damaged header{self._after()} ({error})") from None
        self._headers += 1
        if info.size < 0 or info.size > TAR_ENTRY_BYTES:
            raise UnreadableLayer(f"the layer's tar claims an entry of {info.size:,} bytes{self._after()}")
        if info.type in _PAX_TYPES or info.type in _LONG_TYPES:
            if info.size > TAR_META_BYTES:
                raise UnreadableLayer(f"the layer's tar has a metadata record over {describe_bytes(TAR_META_BYTES)}"
                                      f"{self._after()}")
            self._meta_type, self._meta_size = info.type, info.size
            if info.size:
                self._state, self._want = _META, _blocks(info.size)
            else:
                self._meta(b"")
            return
        if info.type == tarfile.GNUTYPE_SPARSE and getattr(info, "_sparse_structs", ((), False, 0))[1]:
            self._sparse_entry = info
            self._state = _SPARSE
            return
        self._member(info)

    def _after(self) -> str:
        return f" after {_quoted(self._last_path)}" if self._last_path else ""

    def _meta(self, payload: bytes) -> None:
        self._state, self._want = _HEADER, BLOCK
        if self._meta_type == tarfile.GNUTYPE_LONGNAME:
            self._long_name = _nul_terminated(payload)
        elif self._meta_type == tarfile.GNUTYPE_LONGLINK:
            self._long_link = _nul_terminated(payload)
        else:
            # Records pile up (several 'x' before one entry, 'g' all along): the pile is bounded too.
            records = self._global if self._meta_type == tarfile.XGLTYPE else self._pax
            records.update(_pax_records(payload, self._after()))
            if sum(len(key) + len(value) for key, value in records.items()) > TAR_META_BYTES:
                raise UnreadableLayer(f"the layer's tar has pax records over {describe_bytes(TAR_META_BYTES)} "
                                      f"for one entry{self._after()}")

    def _sparse_extension(self, block: bytes) -> None:
        # Old GNU sparse: 21 more sparse entries per block, and a flag at 504 saying whether another follows.
        if not block[504]:
            info, self._sparse_entry = self._sparse_entry, None
            assert info is not None
            self._state = _HEADER
            self._member(info)

    # ---- entries ------------------------------------------------------------------------------

    def _member(self, info: tarfile.TarInfo) -> None:
        pax = {**self._global, **self._pax} if self._global else self._pax
        name = pax.get("GNU.sparse.name") or pax.get("path") or self._long_name or info.name
        link = pax.get("linkpath") or self._long_link or info.linkname
        stored = _pax_number(pax, "size", info.size, self._after()) if "size" in pax else info.size
        if stored < 0 or stored > TAR_ENTRY_BYTES:
            raise UnreadableLayer(f"the layer's tar claims an entry of {stored:,} bytes{self._after()}")
        self._pax, self._long_name, self._long_link = {}, None, None
        kind = _KINDS.get(info.type, Kind.OTHER)
        if info.type == tarfile.AREGTYPE and name.endswith("/"):
            kind = Kind.DIR
        path = normalize_path(name)
        self._last_path = path or name
        if info.type not in _HEADER_ONLY:
            self._skip = _blocks(stored)
        if not path:  # the archive's root ("./") is no entry
            return
        self.count += 1
        if self.count > LAYER_ENTRIES:
            raise UnreadableLayer(f"the layer lists more than {LAYER_ENTRIES:,} files; acrbrowse lists no more")
        deletion = split_whiteout(path)
        if deletion is not None:
            self.entries.append(FileEntry(deletion[0], deletion[1]))
            return
        size = stored
        if info.type == tarfile.GNUTYPE_SPARSE:
            size = info._sparse_structs[2]  # type: ignore[attr-defined]  # the file's size, holes included
        for key in ("GNU.sparse.realsize", "GNU.sparse.size"):
            if key in pax:
                size = _pax_number(pax, key, size, self._after())
                break
        if kind == Kind.HARDLINK:
            link = normalize_path(link)  # a member name, like the paths
        elif kind != Kind.SYMLINK:
            link = ""
        self.entries.append(FileEntry(
            path, kind, size if kind in _SIZED_KINDS else 0, info.mode & 0o7777,
            _pax_number(pax, "uid", info.uid), _pax_number(pax, "gid", info.gid),
            pax.get("uname", info.uname), pax.get("gname", info.gname), link,
            _pax_number(pax, "mtime", int(info.mtime))))


# The ustar header's fields, in order (512 bytes): name, mode, uid, gid, size, mtime, chksum, type,
# linkname, magic+version, uname, gname, devmajor, devminor, prefix, and the unused rest.
_USTAR = struct.Struct("100s8s8s8s12s12s8s1s100s8s32s32s8s8s155s12s")
_PLAIN_TYPES = frozenset(_KINDS) - {tarfile.GNUTYPE_SPARSE} | _PAX_TYPES | _LONG_TYPES


def _octal(field: bytes) -> int:
    """tarfile's nti for an octal field (raises ValueError where nti raises InvalidHeaderError)."""
    if field[:1] in (b"\x80", b"\xff"):
        raise ValueError("base-256")
    return int(field.split(b"\0", 1)[0].decode("ascii").strip() or "0", 8)


def plain_header(block: bytes) -> tarfile.TarInfo | None:
    """`TarInfo.frombuf(block, "utf-8", "surrogateescape")` for the headers nearly every layer is made
    of (octal numbers, an unsigned checksum, no old GNU sparse map), three times faster; None for any
    other header, which frombuf then decodes (or refuses). Same result, field for field: a property
    test holds it to frombuf."""
    (name, mode, uid, gid, size, mtime, chksum, kind, linkname, _magic, uname, gname, devmajor, devminor,
     prefix, _) = _USTAR.unpack(block)
    if kind not in _PLAIN_TYPES:
        return None
    try:
        if _octal(chksum) != sum(block) - sum(block[148:156]) + 256:
            return None
        info = tarfile.TarInfo(_text(name))
        info.mode, info.uid, info.gid = _octal(mode), _octal(uid), _octal(gid)
        info.size, info.mtime = _octal(size), _octal(mtime)
        info.devmajor, info.devminor = _octal(devmajor), _octal(devminor)
    except (ValueError, UnicodeDecodeError):
        return None
    info.chksum = _octal(chksum)
    info.type = kind
    info.linkname, info.uname, info.gname = _text(linkname), _text(uname), _text(gname)
    if kind == tarfile.AREGTYPE and info.name.endswith("/"):
        info.type = tarfile.DIRTYPE
    if info.type == tarfile.DIRTYPE:
        info.name = info.name.rstrip("/")
    head = _text(prefix)
    if head and kind not in tarfile.GNU_TYPES:
        info.name = head + "/" + info.name
    return info


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _nul_terminated(payload: bytes) -> str:
    end = payload.find(b"\0")
    return (payload if end < 0 else payload[:end]).decode("utf-8", "surrogateescape")


def _pax_records(payload: bytes, where: str) -> dict[str, str]:
    """"LENGTH KEY=VALUE\\n" records; names and values as UTF-8 (bytes that are not: escaped)."""
    records: dict[str, str] = {}
    pos, end = 0, len(payload)
    while pos < end:
        if payload[pos] == 0:  # some writers pad the record with NULs
            break
        space = payload.find(b" ", pos, pos + 24)
        try:
            length = int(payload[pos:space]) if space > pos else 0
        except ValueError:
            length = 0
        record_end = pos + length
        if length <= 0 or record_end > end or payload[record_end - 1:record_end] != b"\n":
            raise UnreadableLayer(f"the layer's tar has a damaged pax header{where}")
        key, equals, value = payload[space + 1:record_end - 1].partition(b"=")
        if not equals:
            raise UnreadableLayer(f"the layer's tar has a damaged pax header{where}")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos = record_end
    return records


def _pax_number(pax: dict[str, str], key: str, default: int, where: str | None = None) -> int:
    """A pax number (mtime may have a fraction). A bad one: the default, or UnreadableLayer if it
    matters (`where` given: the size, which places the next header)."""
    value = pax.get(key)
    if value is None:
        return default
    try:
        return int(value) if "." not in value else int(float(value))
    except (ValueError, OverflowError):
        if where is None:
            return default
        raise UnreadableLayer(f"the layer's tar has a bad {key} in a pax header{where}") from None
