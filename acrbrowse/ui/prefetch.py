"""The start reference's first requests, sent before the browser is built.

Importing Textual and building the first screen take a few hundred milliseconds; the first catalog
page needs three round trips, the start manifest and its platforms' manifests four. cli/browse.py
starts them before Textual is imported, so they are under way meanwhile. They go through the
session's own client, in the app's event loop: the tokens they earn and the manifests they read
(its memory of manifests by digest) are the ones the panes use afterwards, and the realm memo rule
stays the session's.

The first catalog page is handed to the repositories pane once (`repository_pages`); a reload asks
the registry again. An error reaches the pane as the request's own error, exactly as if the pane
had asked. At REPO:TAG the start manifest is read and its platforms' manifests wait in the
client's memory for the tree; at REPO alone the repository's pull token is earned. Those are a
warm-up: the tree asks for the manifest again, and shows any error itself.

No Textual here: this module is imported before it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from acrbrowse.oci import mediatypes as mt
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.manifest import ImageIndex
from acrbrowse.oci.name import Reference
from acrbrowse.oci.source import Source
from acrbrowse.oci.walk import ImageNode, fill_nodes
from acrbrowse.session import Session

Page = list[str]


async def _first_page(pages: AsyncIterator[Page]) -> Page | None:
    """The first page; None when the catalog has none."""
    return await anext(pages, None)


async def _pages_from(first: asyncio.Task[Page | None], rest: AsyncIterator[Page]) -> AsyncIterator[Page]:
    """The catalog as `repository_pages()` gives it, starting with the page already asked for."""
    try:
        page = await first  # raises what the registry's first answer raised
        if page is None:
            return
        yield page
        async for page in rest:
            yield page
    finally:
        if not first.done():  # the reader left before the first page came
            first.cancel()
            await asyncio.wait([first])  # the catalog is closed only once that request stopped
        close = getattr(rest, "aclose", None)
        if close is not None:
            await close()


async def warm_manifests(client: Source, repository: str, reference: str) -> None:
    """The start manifest and, for an index, its images' manifests by digest (into the client's
    memory, where the tree and the tags table find them)."""
    try:
        if ":" in reference:
            manifest = await client.manifest_by_digest(repository, reference)
        else:
            manifest = await client.get_manifest(repository, reference)
        if isinstance(manifest, ImageIndex):
            nodes = [ImageNode(entry) for entry in manifest.platforms if not mt.is_index(entry.media_type)]
            await fill_nodes(client, repository, nodes, with_configs=False)
    except RegistryError:
        return  # the tree asks again and says what went wrong


async def warm_token(client: Source, repository: str) -> None:
    """The repository's pull token, earned by the cheapest request that needs it (a HEAD for the
    manifest tagged latest, which may well be missing): the tags pane's listing then starts with
    it. Nothing is kept of the answer (a tag's digest is never kept)."""
    with contextlib.suppress(RegistryError):
        await client.head_manifest(repository, "latest")


class Prefetch:
    """The first requests for `start`, under way in the running event loop."""

    def __init__(self, session: Session, start: Reference) -> None:
        """Call in the running event loop, with the start registry's credential in use (`begin`)."""
        self.registry = start.registry
        client = session.client(start.registry)
        self._rest: AsyncIterator[Page] | None = client.repository_pages()
        self._first: asyncio.Task[Page | None] | None = asyncio.create_task(_first_page(self._rest))
        self._warm: asyncio.Task[None] | None = None
        if start.repository and start.manifest_ref:
            self._warm = asyncio.create_task(warm_manifests(client, start.repository, start.manifest_ref))
        elif start.repository:
            self._warm = asyncio.create_task(warm_token(client, start.repository))

    @classmethod
    async def begin(cls, session: Session, start: Reference, credential: Credential | None) -> Prefetch:
        """Put the start registry's credential in use, then send the first requests."""
        await session.use_credential(start.registry, credential)
        return cls(session, start)

    def repository_pages(self, registry: str) -> AsyncIterator[Page] | None:
        """The catalog with its first page already asked for, once; None after that (a reload asks
        the registry again) and for any other registry."""
        if registry != self.registry or self._first is None or self._rest is None:
            return None
        first, rest = self._first, self._rest
        self._first = self._rest = None
        return _pages_from(first, rest)

    async def aclose(self) -> None:
        """Stop what nobody took (the app is closing)."""
        tasks = [task for task in (self._first, self._warm) if task is not None]
        rest, self._first, self._rest, self._warm = self._rest, None, None, None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # their outcome has no reader any more
        close = getattr(rest, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()
