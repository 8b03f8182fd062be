"""The Entra ID exchange keeps one deadline for a whole request: a registry that sends a byte just
before each read would time out keeps it waiting no longer than the timeout."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from acrbrowse.keychain.acr_exchange import Connection, exchange_entra_token
from acrbrowse.keychain.entra import EntraToken
from acrbrowse.oci.credential import Secret
from acrbrowse.oci.errors import Timeout

TRICKLE = 60  # bytes, one every GAP: 12 s in all, each gap well inside the 1 s read timeout
GAP = 0.2


class Trickle:
    def __init__(self) -> None:
        self.sent = 0  # body bytes sent before the client hung up
        self.hung_up = threading.Event()


@pytest.fixture
def trickling_registry() -> Iterator[tuple[str, Trickle]]:
    """Answers GET /v2/ with 200 and a body that comes a byte at a time; stops when the test ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    trickle = Trickle()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {TRICKLE}\r\n\r\n".encode())
                for _ in range(TRICKLE):
                    if stop.wait(GAP):
                        return
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        trickle.hung_up.set()
                        break
                    trickle.sent += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", trickle
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_trickling_answer_ends_at_the_deadline(trickling_registry):
    registry, trickle = trickling_registry
    asked = []

    def entra_token() -> EntraToken:
        asked.append(True)
        return EntraToken(Secret("entra-token"), "test")

    with pytest.raises(Timeout, match="did not answer within 1 s"):
        exchange_entra_token(registry, entra_token, connection=Connection(timeout=1.0))
    assert trickle.hung_up.wait(10), "the client never hung up"
    assert trickle.sent < TRICKLE  # it gave up at its deadline, not when the body ended
    assert asked == []  # the Entra token is never asked for before the registry answered
