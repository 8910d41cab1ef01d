"""An app with the xAPI endpoint on a real database (SQLite and PostgreSQL), LRS clients with
chosen scopes, and a clock that moves one millisecond per reading so stored times differ."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.services import content, lrs_clients, people
from learnloop.settings import load_settings
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.web.conftest import PEOPLE_CSV, write_pack

VERSION = {"X-Experience-API-Version": "1.0.3"}
ACTIVITY = "http://example.com/activities/simulation"
AGENT = {"objectType": "Agent", "mbox": "mailto:sam@example.com", "name": "Sam"}


class TickingClock:
    """Each reading is one millisecond after the last."""

    def __init__(self, start: datetime) -> None:
        self.ticks = itertools.count()
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        self.now = self.start + timedelta(milliseconds=next(self.ticks))
        return self.now


def statement(**changes: Any) -> dict[str, Any]:
    """A small valid statement; keyword arguments replace or add top-level properties."""
    base: dict[str, Any] = {
        "actor": dict(AGENT),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted",
                 "display": {"en-US": "attempted"}},
        "object": {"objectType": "Activity", "id": ACTIVITY,
                   "definition": {"name": {"en-US": "Simulation"}}},
    }
    base.update(changes)
    return base


@pytest.fixture
def lrs_org(sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    with transaction(sessions) as repos:
        org = repos.people.add_organisation("acme", "Acme", "UTC", 5, False, NOW)
        other = repos.people.add_organisation("other", "Other", "UTC", 5, False, NOW)
        inputs, problems = people.parse_csv(PEOPLE_CSV)
        assert problems == []
        people.import_people(repos.people, org, None, inputs, NOW)
        content.publish(repos.content, org.id, None, read_pack(write_pack(tmp_path / "pack")),
                        NOW)
        return {"acme": org.id, "other": other.id}


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(NOW)


@pytest.fixture
def xapi(engine: Engine, lrs_org: dict[str, int], clock: TickingClock) -> Iterator[TestClient]:
    settings = load_settings(environment="test", database_url=str(engine.url))
    app = create_app(settings, engine=engine, clock=clock, passwords=Argon2Passwords(fast=True))
    with TestClient(app) as client:
        yield client


Credentials = Callable[..., dict[str, str]]


@pytest.fixture
def credentials(sessions: sessionmaker[Session], lrs_org: dict[str, int]) -> Credentials:
    """Headers (Basic auth and the version) of a new client with the given scopes."""
    counter = itertools.count(1)

    def make(scopes: str = "all", org: str = "acme", name: str = "Test tool") -> dict[str, str]:
        n = next(counter)
        with transaction(sessions) as repos:
            client, secret = lrs_clients.create(repos.lrs, None, lrs_org[org], name, scopes, NOW,
                                                lambda: f"secret{n:04d}" + "x" * 30)
        token = base64.b64encode(f"{client.key}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {token}", **VERSION}

    return make


@pytest.fixture
def auth(credentials: Credentials) -> dict[str, str]:
    """An all-scopes client (the conformance credential)."""
    return credentials("all")
