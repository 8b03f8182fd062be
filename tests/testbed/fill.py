"""Push :class:`~tests.testbed.content.Content` into a registry through the distribution push API.

Plain httpx, no acrbrowse code. Meant for the anonymous (no auth) registry;
``auth`` may be given for a basic-auth registry.
"""

from __future__ import annotations

import asyncio
import urllib.parse

import httpx

from .content import Blob, Content, Manifest, RepoPlan


class PushError(RuntimeError):
    pass


def _check(r: httpx.Response, *ok: int) -> httpx.Response:
    if r.status_code not in ok:
        raise PushError(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text[:500]}")
    return r


class Pusher:
    def __init__(self, base_url: str, *, concurrency: int = 16, auth: httpx.Auth | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.sem = asyncio.Semaphore(concurrency)
        self.client = httpx.AsyncClient(
            base_url=self.base_url, auth=auth, timeout=60.0,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.requests = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _req(self, method: str, url: str, **kw) -> httpx.Response:
        async with self.sem:
            self.requests += 1
            return await self.client.request(method, url, **kw)

    def _abs(self, location: str) -> str:
        return urllib.parse.urljoin(self.base_url + "/", location)

    async def upload_blob(self, repo: str, blob: Blob) -> None:
        r = _check(await self._req("POST", f"/v2/{repo}/blobs/uploads/"), 202)
        await self._finish_upload(r, blob)

    async def _finish_upload(self, r: httpx.Response, blob: Blob) -> None:
        loc = self._abs(r.headers["Location"])
        sep = "&" if "?" in loc else "?"
        _check(await self._req("PUT", f"{loc}{sep}digest={blob.digest}", content=blob.data,
                               headers={"Content-Type": "application/octet-stream"}), 201)

    async def mount_blob(self, repo: str, blob: Blob, from_repo: str) -> None:
        r = _check(await self._req("POST", f"/v2/{repo}/blobs/uploads/",
                                   params={"mount": blob.digest, "from": from_repo}), 201, 202)
        if r.status_code == 202:  # mount refused: the registry opened a normal upload instead
            await self._finish_upload(r, blob)

    async def put_manifest(self, repo: str, ref: str, m: Manifest) -> None:
        r = _check(await self._req("PUT", f"/v2/{repo}/manifests/{ref}", content=m.raw,
                                   headers={"Content-Type": m.media_type}), 201)
        got = r.headers.get("Docker-Content-Digest")
        if got and got != m.digest:
            raise PushError(f"{repo}:{ref}: registry digest {got} != {m.digest}")

    async def push_repo(self, rp: RepoPlan, mountable: set[str]) -> None:
        seen: set[str] = set()
        jobs = []
        for b in rp.blobs:
            if b.digest in seen:
                continue
            seen.add(b.digest)
            if rp.mount_from and b.digest in mountable:
                jobs.append(self.mount_blob(rp.name, b, rp.mount_from))
            else:
                jobs.append(self.upload_blob(rp.name, b))
        await asyncio.gather(*jobs)
        # Manifests by digest first (children), concurrently; then tags of images; then tags of
        # indexes. Phases matter: every manifest PUT rewrites the repo's revision link file of that
        # manifest (truncate + write), and an index PUT reads its children's links, so a concurrent
        # PUT of a child (even by another tag) can make the index PUT fail with MANIFEST_BLOB_UNKNOWN.
        by_digest = [(m, ref) for m, ref in rp.manifests if ref.startswith("sha256:")]
        image_tags = [(m, ref) for m, ref in rp.manifests if not ref.startswith("sha256:") and not m.is_index]
        index_tags = [(m, ref) for m, ref in rp.manifests if not ref.startswith("sha256:") and m.is_index]
        for phase in (by_digest, image_tags, index_tags):
            await asyncio.gather(*(self.put_manifest(rp.name, ref, m) for m, ref in phase))

    async def push_all(self, content: Content) -> None:
        plans = content.plan
        first = [p for p in plans if p.mount_from is None]
        rest = [p for p in plans if p.mount_from is not None]
        await asyncio.gather(*(self.push_repo(p, set()) for p in first))
        mountable = set()
        for p in first:
            mountable.update(b.digest for b in p.blobs)
        await asyncio.gather(*(self.push_repo(p, mountable) for p in rest))


async def fill_async(base_url: str, content: Content, *, concurrency: int = 16,
                     auth: httpx.Auth | None = None) -> int:
    pusher = Pusher(base_url, concurrency=concurrency, auth=auth)
    try:
        await pusher.push_all(content)
    finally:
        await pusher.aclose()
    return pusher.requests


def fill(base_url: str, content: Content, **kw) -> int:
    """Push everything; returns the number of HTTP requests made."""
    return asyncio.run(fill_async(base_url, content, **kw))
