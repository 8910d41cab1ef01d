"""Issue 4, limits and safety: a client that disconnects mid-request loses no statement and
leaves no half of one. A real server (uvicorn on loopback) and raw sockets, so the connection
really drops: a body cut short stores nothing; a body sent whole is stored even when the client
leaves before the answer."""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.lrs.conftest import statement
from tests.serving import serving


@pytest.fixture
def base(xapi: TestClient) -> Iterator[str]:
    """The app of `xapi` (same database, same clock), served on a real port."""
    yield from serving(xapi.app)


def _raw_post(base: str, auth: dict[str, str], body: bytes, send: int) -> None:
    """POST /xapi/statements declaring the whole body, send only `send` bytes of it, close."""
    where = urlsplit(base)
    head = ["POST /xapi/statements HTTP/1.1", f"Host: {where.netloc}",
            "Content-Type: application/json", f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in auth.items()), "", ""]
    with socket.create_connection((where.hostname, where.port), timeout=5) as sock:
        sock.sendall("\r\n".join(head).encode() + body[:send])
        sock.shutdown(socket.SHUT_WR)


def _stored(base: str, auth: dict[str, str], sid: str) -> int:
    return httpx.get(f"{base}/xapi/statements", params={"statementId": sid},
                     headers=auth).status_code


def test_a_body_cut_short_stores_nothing(base: str, auth: dict[str, str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="learnloop.web")
    sids = [str(uuid.uuid4()) for _ in range(50)]
    body = json.dumps([statement(id=sid) for sid in sids]).encode()
    _raw_post(base, auth, body, send=len(body) // 2)
    deadline = time.monotonic() + 20
    while not any("client disconnected" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the server did not notice the client leave"
        time.sleep(0.05)
    # The server stays up and takes the next request; nothing of the cut batch is there.
    after = str(uuid.uuid4())
    response = httpx.post(f"{base}/xapi/statements", json=statement(id=after), headers=auth)
    assert response.status_code == 200
    assert _stored(base, auth, after) == 200
    assert {_stored(base, auth, sid) for sid in sids} == {404}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_whole_body_is_stored_when_the_client_leaves(base: str,
                                                       auth: dict[str, str]) -> None:
    sids = [str(uuid.uuid4()) for _ in range(50)]
    body = json.dumps([statement(id=sid) for sid in sids]).encode()
    _raw_post(base, auth, body, send=len(body))  # closes without reading the answer
    deadline = time.monotonic() + 20
    while _stored(base, auth, sids[-1]) != 200:
        assert time.monotonic() < deadline, "the statements sent whole were not stored"
        time.sleep(0.05)
    assert {_stored(base, auth, sid) for sid in sids} == {200}
