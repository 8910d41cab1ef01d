"""An organisation in a fresh database (SQLite and PostgreSQL) for the service tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.people import Organisation
from learnloop.store.unit import transaction
from tests.conftest import NOW


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> Organisation:
    with transaction(sessions) as repos:
        return repos.people.add_organisation("acme", "Acme", "Europe/Berlin", 5, False, NOW)


@pytest.fixture
def other_org(sessions: sessionmaker[Session]) -> Organisation:
    with transaction(sessions) as repos:
        return repos.people.add_organisation("globex", "Globex", "UTC", 5, False, NOW)
