"""Forwarding to another LRS through the outbox, against a real HTTP server standing in for it:
delivery by PUT with the statement's id, retries with backoff, failures kept and replayed."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from learnloop import forwarder
from learnloop.domain.errors import InvalidInput
from learnloop.services import lrs_forwarding
from learnloop.services.lrs_forwarding import Round
from learnloop.store.unit import transaction
from tests.conftest import NOW
from tests.lrs.conftest import statement


class OtherLrs:
    """An LRS stand-in on 127.0.0.1: records every request, answers with queued statuses."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                query = parse_qs(urlsplit(self.path).query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.received.append({"path": urlsplit(self.path).path, "query": query,
                                       "headers": headers, "body": body})
                status = outer.statuses.pop(0) if outer.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"


@pytest.fixture
def other_lrs() -> Iterator[OtherLrs]:
    stand_in = OtherLrs()
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()
    stand_in.thread.join(timeout=5)


def _configure(sessions: sessionmaker[Session], endpoint: str) -> None:
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        lrs_forwarding.configure(repos.lrs, None, org.id, endpoint, "their-key", "their-secret",
                                 True, NOW)


def _now() -> datetime:
    return NOW


def _deliver(sessions: sessionmaker[Session], at: datetime) -> Round:
    with transaction(sessions) as repos:
        return lrs_forwarding.deliver(repos.lrs, repos.statements, forwarder.send, at)


def _outbox(sessions: sessionmaker[Session]) -> list[Any]:
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        return repos.lrs.outbox(org.id, None, 100)


def test_statements_are_forwarded_by_put_with_their_ids(
        xapi: TestClient, auth: dict[str, str], sessions: sessionmaker[Session],
        other_lrs: OtherLrs) -> None:
    _configure(sessions, other_lrs.endpoint)
    ids = xapi.post("/xapi/statements", json=[statement(), statement()], headers=auth).json()
    assert _deliver(sessions, _now() + timedelta(seconds=1)) == Round(delivered=2)
    assert sorted(r["query"]["statementId"][0] for r in other_lrs.received) == sorted(ids)
    first = other_lrs.received[0]
    assert first["path"] == "/xapi/statements"
    assert first["headers"]["x-experience-api-version"] == "1.0.3"
    assert first["headers"]["authorization"] == "Basic " + base64.b64encode(
        b"their-key:their-secret").decode()
    assert "stored" not in first["body"]
    assert "authority" not in first["body"]
    assert first["body"]["id"] in ids
    assert {i.state for i in _outbox(sessions)} == {"delivered"}
    assert _deliver(sessions, _now() + timedelta(hours=1)) == Round()


def test_retries_back_off_then_deliver_the_same_statement(
        xapi: TestClient, auth: dict[str, str], sessions: sessionmaker[Session],
        other_lrs: OtherLrs) -> None:
    _configure(sessions, other_lrs.endpoint)
    other_lrs.statuses = [503, 503]
    [sid] = xapi.post("/xapi/statements", json=statement(), headers=auth).json()
    start = _now() + timedelta(seconds=1)
    assert _deliver(sessions, start) == Round(retrying=1)
    [item] = _outbox(sessions)
    assert item.next_attempt_at == start + timedelta(seconds=30)
    assert item.last_error.startswith("HTTP 503")
    assert _deliver(sessions, start + timedelta(seconds=10)) == Round()  # not due yet
    assert _deliver(sessions, start + timedelta(seconds=31)) == Round(retrying=1)
    [item] = _outbox(sessions)
    assert item.next_attempt_at == start + timedelta(seconds=31 + 60)
    assert _deliver(sessions, start + timedelta(seconds=100)) == Round(delivered=1)
    assert [r["query"]["statementId"][0] for r in other_lrs.received] == [sid] * 3


def test_a_refusal_fails_at_once_and_can_be_replayed(
        xapi: TestClient, auth: dict[str, str], sessions: sessionmaker[Session],
        other_lrs: OtherLrs) -> None:
    _configure(sessions, other_lrs.endpoint)
    other_lrs.statuses = [400]
    xapi.post("/xapi/statements", json=statement(), headers=auth)
    later = _now() + timedelta(seconds=1)
    assert _deliver(sessions, later) == Round(failed=1)
    [item] = _outbox(sessions)
    assert item.state == "failed"
    assert item.last_error.startswith("HTTP 400")
    with transaction(sessions) as repos:
        assert lrs_forwarding.replay(repos.lrs, None, item.org_id, None, later) == 1
    assert _deliver(sessions, later) == Round(delivered=1)


def test_no_answer_is_tried_again(xapi: TestClient, auth: dict[str, str],
                                  sessions: sessionmaker[Session]) -> None:
    _configure(sessions, "http://127.0.0.1:9/xapi/")  # nothing listens on the discard port
    xapi.post("/xapi/statements", json=statement(), headers=auth)
    assert _deliver(sessions, _now() + timedelta(seconds=1)) == Round(retrying=1)
    assert _outbox(sessions)[0].last_error.startswith("no answer")


def test_learnloop_own_statements_are_queued_too(sessions: sessionmaker[Session],
                                                 other_lrs: OtherLrs,
                                                 lrs_org: dict[str, int]) -> None:
    from learnloop.domain.xapi import storing
    from learnloop.services.record import new_statement, own_authority

    _configure(sessions, other_lrs.endpoint)
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        document = storing.prepare(statement(), "6f9619ff-8b86-d011-b42d-00c04fc964ff", _now(),
                                   own_authority(org))
        repos.statements.add([new_statement(org.id, None, document)], _now())
    assert [i.statement_id for i in _outbox(sessions)] == [
        "6f9619ff-8b86-d011-b42d-00c04fc964ff"]


@pytest.mark.parametrize(("endpoint", "username", "secret", "field"), [
    ("ftp://lrs.example.com/", "k", "s", "endpoint"),
    ("not a url", "k", "s", "endpoint"),
    ("https://lrs.example.com/xapi/", "", "s", "username"),
    ("https://lrs.example.com/xapi/", "k", "", "secret"),
])
def test_bad_forwarding_settings_change_nothing(sessions: sessionmaker[Session], endpoint: str,
                                                username: str, secret: str, field: str,
                                                lrs_org: dict[str, int]) -> None:
    org_id = lrs_org["acme"]
    with transaction(sessions) as repos, pytest.raises(InvalidInput) as caught:
        lrs_forwarding.configure(repos.lrs, None, org_id, endpoint, username, secret, True,
                                 _now())
    assert [p.field for p in caught.value.problems] == [field]
    with transaction(sessions) as repos:
        assert repos.lrs.forwarding(org_id) is None
