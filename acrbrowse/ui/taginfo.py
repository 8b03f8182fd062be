"""What the tags table shows beside a tag: digest, kind, platform count and size, resolved lazily;
and what the listing itself said of it (times, locks, a size) where the registry keeps that."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from acrbrowse.oci import kinds
from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.manifest import Descriptor, ImageIndex, ImageManifest, Manifest
from acrbrowse.oci.source import TagMetadata


def image_size(manifest: ImageManifest) -> int:
    """An image's size as the tree, the details and the tags table all give it: its layers,
    compressed (the config, a few kB, is shown apart)."""
    return manifest.compressed_size


@dataclass(frozen=True)
class TagInfo:
    tag: str
    manifest: Manifest
    platforms_size: int | None = None  # an index's: the sum of its platforms' image sizes, once fetched
    platforms_size_failed: bool = False  # a platform manifest could not be read: the sum stays unknown

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def kind(self) -> str:
        """index · image · artifact (legacy, unknown for the rare others)."""
        return self.manifest.kind

    @property
    def glance(self) -> kinds.Kind:
        """What it is at a glance: image, index (3 platforms), Helm chart, signature (cosign)…"""
        return kinds.kind_of(self.manifest, tag=self.tag)

    @property
    def platform_count(self) -> int | None:
        """Runnable platforms of an index (attestations not counted); 1 for an image; None for an artifact."""
        if isinstance(self.manifest, ImageIndex):
            return len(self.manifest.platforms)
        if isinstance(self.manifest, ImageManifest) and not self.manifest.is_artifact:
            return 1
        return None

    @property
    def size(self) -> int | None:
        """Compressed bytes: an image's (or artifact's) layers; for an index the sum over
        its platforms (attestations not counted), None until they are fetched or when unknown."""
        if isinstance(self.manifest, ImageManifest):
            return image_size(self.manifest)
        if isinstance(self.manifest, ImageIndex):
            return self.platforms_size
        return None

    @property
    def size_pending(self) -> bool:
        """An index whose platform manifests are still to be fetched."""
        return isinstance(self.manifest, ImageIndex) and self.platforms_size is None and not self.platforms_size_failed


@dataclass(frozen=True)
class TagHead:
    """A tag resolved by a HEAD alone: its digest and media type, the manifest not fetched (on Docker
    Hub every manifest GET is a pull of a quota: only the tag a person opens is fetched)."""

    tag: str
    head: Descriptor

    @property
    def digest(self) -> str:
        return self.head.digest

    @property
    def media_type(self) -> str:
        return self.head.media_type

    @property
    def kind(self) -> str:
        """index or image from the media type; an image manifest may be an artifact: only its
        config tells, so it reads "manifest"."""
        if mt.is_index(self.media_type):
            return "index"
        if mt.is_image(self.media_type):
            return "manifest"
        if mt.is_schema1(self.media_type):
            return "legacy"
        return "unknown"


def kind_cell(row: TagInfo | TagHead) -> str:
    """The tags table's kind column: the kind's name alone (its detail is in the details pane). A
    HEAD alone knows only the media type, and the tag's name for cosign's tags."""
    if isinstance(row, TagInfo):
        return row.glance.name
    by_name = kinds.cosign_tag(row.tag)
    return by_name[1] if by_name is not None and mt.is_image(row.media_type) else row.kind


TagRow = TagInfo | TagHead | Exception  # what the cache holds for a resolved tag (or why it failed)


# The marks a subject's row gets for what is attached to it, in the order they show.
MARKS = {kinds.SIGNATURE: "signed", kinds.SBOM: "SBOM", kinds.ATTESTATION: "attested"}
REFERRERS = "referrers"  # a referrers tag's index not read yet: only its name is known


@dataclass(frozen=True)
class AttachedTag:
    """A tag that is about another manifest, known from its name: cosign's `sha256-<hex>.sig|.att|.sbom`
    (kind: signature, attestation, SBOM) or a referrers tag `sha256-<hex>` (kind: None; what it lists
    is in its index)."""

    tag: str
    subject: str  # the digest of the manifest it is about
    kind: str | None

    @property
    def cosign(self) -> bool:
        return self.kind is not None


def attached_tag(tag: str) -> AttachedTag | None:
    """The tag as an attached tag, from its name alone; None for any other tag."""
    by_cosign = kinds.cosign_tag(tag)
    if by_cosign is not None:
        return AttachedTag(tag, by_cosign[0], by_cosign[1])
    subject = kinds.referrers_tag(tag)
    return AttachedTag(tag, subject, None) if subject is not None else None


def referrer_kind(artifact_type: str | None) -> str | None:
    """signature, SBOM or attestation from a referrers index entry's artifactType; None for others."""
    if not artifact_type:
        return None
    bare = mt.bare(artifact_type)
    if bare in (mt.NOTATION_SIGNATURE, mt.NOTATION_SIGNATURE_V2, mt.COSIGN_SIGNATURE_ARTIFACT):
        return kinds.SIGNATURE
    if bare in mt.SPDX_TYPES or bare in mt.CYCLONEDX_TYPES or bare in (mt.SYFT_JSON, mt.COSIGN_SBOM_ARTIFACT):
        return kinds.SBOM
    if bare in (mt.IN_TOTO, mt.DSSE_ENVELOPE) or bare.startswith(mt.SIGSTORE_BUNDLE_PREFIX):
        return kinds.ATTESTATION
    return None


@dataclass(frozen=True)
class Attached:
    """One thing attached to a tag, for its details: "signature (cosign)" and the hidden tag that says so."""

    label: str
    tag: str
    kind: str | None = None  # signature, SBOM, attestation; None for other artifacts or an unread index


@dataclass
class Attachments:
    """A repository's attached tags, by the digest of their subject (from the tag names alone)."""

    tags: dict[str, AttachedTag] = field(default_factory=dict)
    by_subject: dict[str, list[AttachedTag]] = field(default_factory=dict)

    def add(self, tag: str) -> bool:
        """Record `tag` if it is an attached tag; True when it is."""
        if tag in self.tags:
            return True
        found = attached_tag(tag)
        if found is None:
            return False
        self.tags[tag] = found
        self.by_subject.setdefault(found.subject, []).append(found)
        return True

    def about(self, digests: Iterable[str]) -> list[AttachedTag]:
        """The attached tags about any of `digests`, each once."""
        seen: dict[str, AttachedTag] = {}
        for digest in digests:
            for found in self.by_subject.get(digest, ()):
                seen.setdefault(found.tag, found)
        return list(seen.values())

    def attached(self, row: TagRow | None, rows: dict[str, TagRow]) -> list[Attached]:
        """What is attached to the row's manifest (and, for an index, to its entries): cosign's kinds
        from the names, a referrers tag's from its index where it was read (`rows`)."""
        found: list[Attached] = []
        for attached in self.about(subject_digests(row)):
            if attached.kind is not None:
                found.append(Attached(f"{attached.kind} (cosign)", attached.tag, attached.kind))
                continue
            listed = rows.get(attached.tag)
            if isinstance(listed, TagInfo) and isinstance(listed.manifest, ImageIndex):
                found_kinds = [referrer_kind(d.artifact_type) for d in listed.manifest.manifests]
                found.extend(Attached(kind or "artifact", attached.tag, kind) for kind in dict.fromkeys(found_kinds))
            else:
                found.append(Attached(REFERRERS, attached.tag))
        return found

    def marks(self, row: TagRow | None, rows: dict[str, TagRow]) -> list[str]:
        """"signed", "SBOM", "attested" (in that order, once each) for what is attached to the row."""
        found = {a.kind for a in self.attached(row, rows)}
        return [mark for kind, mark in MARKS.items() if kind in found]


def subject_digests(row: TagRow | None) -> list[str]:
    """The digests attached tags may be about for this row: its own, and an index's entries'."""
    if isinstance(row, TagInfo):
        entries = row.manifest.manifests if isinstance(row.manifest, ImageIndex) else []
        return [row.digest, *(d.digest for d in entries)]
    if isinstance(row, TagHead):
        return [row.digest]
    return []


class TagCache:
    """tag -> TagInfo or TagHead (or the error that came instead), per (registry, repository), for the
    session; and what the listing said of each tag (TagMetadata: times, locks), where it said more than
    the name."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], dict[str, TagRow]] = {}
        self._listed: dict[tuple[str, str], dict[str, TagMetadata]] = {}
        self._attachments: dict[tuple[str, str], Attachments] = {}

    def of(self, registry: str, repository: str) -> dict[str, TagRow]:
        return self._entries.setdefault((registry, repository), {})

    def listed(self, registry: str, repository: str) -> dict[str, TagMetadata]:
        return self._listed.setdefault((registry, repository), {})

    def attachments(self, registry: str, repository: str) -> Attachments:
        return self._attachments.setdefault((registry, repository), Attachments())

    def clear(self, registry: str, repository: str) -> None:
        self._entries.pop((registry, repository), None)
        self._listed.pop((registry, repository), None)
        self._attachments.pop((registry, repository), None)
