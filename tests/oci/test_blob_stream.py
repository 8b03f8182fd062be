"""blob_stream: a blob read as it arrives, whole (verified) or a byte range, against a real registry
(the tests' own, to push into; and a fault proxy in front of it), small asyncio servers for stalls
and gates, and httpx mocks for answers no real server gives on demand."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from acrbrowse.limits import BLOB_CHUNK_BYTES, MiB
from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import Hint, IntegrityError, InvalidReference, MalformedResponse, NotFound, RangeIgnored, Timeout
from acrbrowse.oci.remote.client import RegistryClient

from . import content as c
from .conftest import REGISTRY
from .pushing import PASSWORD, USER, push_blob, scratch_repository, sha256

SIZE = 5 * MiB + 123  # several chunks, not a round number


@pytest.fixture(scope="module")
def big_blob(scratch_registry) -> tuple[str, bytes, str]:
    """(repository, data, digest) of a multi-MiB blob pushed to the real registry."""
    data = random.Random(9).randbytes(SIZE)
    repository = scratch_repository("big-blob")
    return repository, data, push_blob(scratch_registry, repository, data)


async def read(client: RegistryClient, repository: str, digest: str, **bounds) -> list[bytes]:
    return [chunk async for chunk in client.blob_stream(repository, digest, **bounds)]


# ---- the real registry ---------------------------------------------------------------------------

async def test_a_big_blob_arrives_in_chunks_and_whole(scratch_registry, big_blob):
    repository, data, digest = big_blob
    async with RegistryClient(scratch_registry.anon.host) as client:
        chunks = await read(client, repository, digest)
    assert b"".join(chunks) == data
    assert len(chunks) > 5 and max(map(len, chunks)) <= BLOB_CHUNK_BYTES


@pytest.mark.parametrize(("start", "end"), [
    (0, 0),  # the first byte
    (SIZE - 1, None),  # the last byte, open-ended
    (SIZE - 1, SIZE - 1),  # the last byte, closed
    (0, SIZE - 1),  # all of it, as a range
    (1000, 2 * MiB),  # across chunks
    (SIZE - 10, SIZE + 100),  # past the end: the registry answers what there is
])
async def test_a_range_is_asked_for_and_answered_206(scratch_registry, fault_proxy, big_blob, start, end):
    repository, data, digest = big_blob
    proxy = fault_proxy(scratch_registry.anon.host)
    async with RegistryClient(proxy.host) as client:
        chunks = await read(client, repository, digest, start=start, end=end)
    assert b"".join(chunks) == data[start:None if end is None else end + 1]
    [request] = proxy.log
    assert request.headers["Range"] == f"bytes={start}-{'' if end is None else end}"
    assert request.status == 206


async def test_a_range_past_the_end_of_the_blob(scratch_registry, big_blob):
    repository, _, digest = big_blob
    async with RegistryClient(scratch_registry.anon.host) as client:
        with pytest.raises(MalformedResponse, match="answered 416"):
            await read(client, repository, digest, start=SIZE + 10)


async def test_a_blob_that_is_not_there(scratch_registry, big_blob):
    repository, _, _ = big_blob
    async with RegistryClient(scratch_registry.anon.host) as client:
        with pytest.raises(NotFound):
            await read(client, repository, c.fake_digest(77))


async def test_an_altered_blob_is_caught_at_its_end(scratch_registry, fault_proxy):
    repository = scratch_repository("altered")
    data = random.Random(3).randbytes(300_000)
    digest = push_blob(scratch_registry, repository, data)
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.replace_body("GET", r"/blobs/", lambda body: body[:-1] + bytes([body[-1] ^ 1]))
    got: list[bytes] = []
    async with RegistryClient(proxy.host) as client:
        with pytest.raises(IntegrityError) as caught:
            async for chunk in client.blob_stream(repository, digest):
                got.append(chunk)
    assert len(b"".join(got)) == len(data)  # every byte came through; the check is at the end
    assert str(caught.value).startswith(f"blob {digest[:19]} of {repository} does not match its digest")


async def test_a_registry_that_ignores_range_is_skipped_through(scratch_registry, fault_proxy, big_blob):
    repository, data, digest = big_blob
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.replace_body("GET", r"/blobs/", lambda _: data, status=200)  # the whole blob, 200, whatever was asked
    async with RegistryClient(proxy.host) as client:
        assert b"".join(await read(client, repository, digest, start=100, end=299)) == data[100:300]
        assert b"".join(await read(client, repository, digest, start=3 * MiB + 1, end=3 * MiB + 1)) == \
            data[3 * MiB + 1:3 * MiB + 2]
        assert b"".join(await read(client, repository, digest, start=SIZE - 5)) == data[-5:]
        with pytest.raises(RangeIgnored, match="ignores byte ranges"):  # a caller that would rather not read it all
            await read(client, repository, digest, start=SIZE - 5, ranged_only=True)
        # a whole read asked as such is no range: ranged_only changes nothing
        assert b"".join(await read(client, repository, digest, ranged_only=True)) == data
    assert [entry.status for entry in proxy.log] == [200, 200, 200, 200, 200]


async def test_a_whole_200_to_a_range_is_still_verified(scratch_registry, fault_proxy, big_blob):
    repository, data, digest = big_blob
    proxy = fault_proxy(scratch_registry.anon.host)
    proxy.replace_body("GET", r"/blobs/", lambda _: b"x" + data[1:], status=200)  # altered before `start`
    async with RegistryClient(proxy.host) as client:
        with pytest.raises(IntegrityError):
            await read(client, repository, digest, start=SIZE - 5)


async def test_blob_storage_elsewhere_gets_no_credentials(scratch_registry, fault_proxy, big_blob):
    repository, data, digest = big_blob
    proxy = fault_proxy(scratch_registry.basic.host)
    proxy.redirect_blobs()
    proxy.blob_server.reject_authorization = True  # as S3 and Azure Blob do
    pusher = Credential(USER, Secret(PASSWORD), source="test")
    async with RegistryClient(proxy.host, credential=pusher) as client:
        assert b"".join(await read(client, repository, digest)) == data
    [fetched] = proxy.blob_server.requests
    assert fetched.status == 200 and "Authorization" not in fetched.headers
    assert any("Authorization" in entry.headers for entry in proxy.log)  # the registry itself got them


# ---- deadlines: headers within the request deadline, then an idle deadline per chunk -------------

class BlobServer:
    """Plain HTTP on loopback: answers any GET with 200, Content-Length, and then the body in
    `pieces`, each sent by `send_piece` (which may wait: a gap, a gate, forever)."""

    def __init__(self, data: bytes, pieces: int) -> None:
        self.data, self.pieces = data, pieces
        self.digest = sha256(data)
        self.gate = asyncio.Event()
        self.sent = 0
        self.server: asyncio.Server | None = None

    async def start(self, send_piece) -> BlobServer:
        self.send_piece = send_piece
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.host = f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Length: {len(self.data)}\r\n\r\n".encode())
            await writer.drain()
            size = -(-len(self.data) // self.pieces)
            for n, at in enumerate(range(0, len(self.data), size)):
                if n:
                    await self.send_piece(self, reader, n)
                writer.write(self.data[at:at + size])
                await writer.drain()
                self.sent = at + size
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def blob_server():
    servers: list[BlobServer] = []

    async def make(data: bytes, pieces: int, send_piece) -> BlobServer:
        server = await BlobServer(data, pieces).start(send_piece)
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


async def test_nothing_is_buffered_whole(blob_server):
    """The second half is sent only after the first chunk reached the caller: a client that held
    the blob back until it had all of it would wait for ever (here: its idle deadline)."""
    async def after_the_gate(server, reader, n):
        await server.gate.wait()

    server = await blob_server(random.Random(5).randbytes(3 * MiB), 2, after_the_gate)
    got: list[bytes] = []
    async with RegistryClient(server.host, timeout=10) as client:
        async for chunk in client.blob_stream("app", server.digest):
            got.append(chunk)
            server.gate.set()
    assert b"".join(got) == server.data


async def test_a_download_longer_than_the_deadline_goes_on_while_bytes_arrive(blob_server):
    async def after_a_gap(server, reader, n):
        await asyncio.sleep(0.2)

    # 12 gaps of 0.2 s: longer than the 1 s deadline as a whole, never idle for it
    server = await blob_server(random.Random(6).randbytes(200_000), 13, after_a_gap)
    async with RegistryClient(server.host, timeout=1.0) as client:
        assert b"".join(await read(client, "app", server.digest)) == server.data


async def test_a_download_that_stalls_ends_at_the_idle_deadline(blob_server):
    async def until_the_client_leaves(server, reader, n):
        await reader.read()  # EOF: the client gave up

    server = await blob_server(random.Random(7).randbytes(100_000), 2, until_the_client_leaves)
    got: list[bytes] = []
    async with RegistryClient(server.host, timeout=1.0) as client:
        with pytest.raises(Timeout) as caught:
            async for chunk in client.blob_stream("app", server.digest):
                got.append(chunk)
    assert 0 < len(b"".join(got)) < len(server.data)  # the stall came mid-download, after the headers
    assert str(caught.value) == f"{server.host} sent nothing for 1 s in the middle of a download"
    assert caught.value.hint is Hint.RAISE_TIMEOUT


async def test_headers_that_never_come_end_at_the_request_deadline():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    host = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with RegistryClient(host, timeout=0.5) as client:
            with pytest.raises(Timeout, match="did not answer within 0.5 s"):
                await read(client, "app", c.fake_digest(1))
    finally:
        server.close()
        await server.wait_closed()


# ---- answers a real registry does not give on demand -------------------------------------------------

DATA = bytes(range(256)) * 40
DIGEST = sha256(DATA)
BLOB = f"/v2/app/blobs/{DIGEST}"


async def test_a_part_when_all_was_asked_for(mock, make_client):
    mock.get(BLOB).respond(206, content=DATA[:10], headers={"Content-Range": f"bytes 0-9/{len(DATA)}"})
    with pytest.raises(MalformedResponse, match="answered part of blob .* though all of it was asked for"):
        await read(make_client(), "app", DIGEST)


@pytest.mark.parametrize(("content_range", "body", "message"), [
    ("bytes 5-14/10240", DATA[5:15], "answered bytes 5-14 of blob .* when bytes 10-19 were asked for"),
    ("bytes 10-29/10240", DATA[10:30], "answered bytes 10-29 .* when bytes 10-19"),
    (None, DATA[10:20], "without a usable Content-Range"),
    ("bytes 10-19/10240", DATA[10:25], "sent more of blob .* than its Content-Range says"),
    ("bytes 10-19/10240", DATA[10:15], "sent 5 bytes less of blob"),
])
async def test_a_part_that_is_not_the_part_asked_for(mock, make_client, content_range, body, message):
    headers = {"Content-Range": content_range} if content_range else {}
    # (no Content-Length: a body that ends early is then no protocol error, only a short part)
    mock.get(BLOB).mock(return_value=httpx.Response(206, stream=Chunks([body]), headers=headers))
    with pytest.raises(MalformedResponse, match=message):
        await read(make_client(), "app", DIGEST, start=10, end=19)


async def test_a_range_follows_a_redirect_without_credentials(mock, make_client, password):
    mock.get(BLOB).mock(side_effect=lambda request: httpx.Response(
        307, headers={"Location": "https://blobs.example.net/b?sig=x"}) if request.headers.get("authorization")
        else httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}))
    storage = mock.get("https://blobs.example.net/b").mock(side_effect=lambda request: httpx.Response(
        206, content=DATA[100:200], headers={"Content-Range": f"bytes 100-199/{len(DATA)}"}))
    assert b"".join(await read(make_client(password), "app", DIGEST, start=100, end=199)) == DATA[100:200]
    sent = storage.calls.last.request
    assert sent.headers["range"] == "bytes=100-199" and "authorization" not in sent.headers


class Chunks(httpx.AsyncByteStream):
    """A response body in given chunks that records whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.closed = chunks, False

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


async def test_leaving_early_closes_the_answer():
    body = Chunks([DATA[:100], DATA[100:200], DATA[200:]])
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=body))
    async with RegistryClient(REGISTRY, transport=transport) as client:
        stream = client.blob_stream("app", DIGEST)
        assert await anext(stream) == DATA[:100]
        await stream.aclose()
    assert body.closed


async def test_a_mock_chunk_bigger_than_the_cap_is_split():
    data = random.Random(8).randbytes(BLOB_CHUNK_BYTES * 2 + 5)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=Chunks([data])))
    async with RegistryClient(REGISTRY, transport=transport) as client:
        chunks = await read(client, "app", sha256(data))
    assert [len(chunk) for chunk in chunks] == [BLOB_CHUNK_BYTES, BLOB_CHUNK_BYTES, 5]


@pytest.mark.parametrize("bounds", [{"start": -1}, {"start": 5, "end": 4}, {"end": -1}, {"start": True},
                                    {"start": 1.5}, {"start": 2**63}])
async def test_a_range_that_cannot_be(mock, make_client, bounds):
    route = mock.route().respond(200)
    with pytest.raises(ValueError, match="not a byte range"):
        await read(make_client(), "app", DIGEST, **bounds)
    assert not route.called


@pytest.mark.parametrize("digest", ["sha256:../../etc/passwd", "md5:" + "0" * 32, "latest"])
async def test_an_invalid_digest_is_refused_before_any_request(mock, make_client, digest):
    route = mock.route().respond(200)
    with pytest.raises(InvalidReference):
        await read(make_client(), "app", digest)
    assert not route.called
