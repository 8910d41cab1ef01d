"""Shared fixtures: a migrated database on SQLite always, and on PostgreSQL when one is there.

PostgreSQL: set LEARNLOOP_TEST_POSTGRES_URL (an admin URL, e.g.
postgresql://postgres@127.0.0.1:5432/postgres); otherwise the local server on 127.0.0.1:5432 is
tried. Each run creates a database of its own and drops it at the end. With
LEARNLOOP_REQUIRE_POSTGRES=1 (set by .ci/run) a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from learnloop.security.passwords import Argon2Passwords
from learnloop.store import migrate
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.tables import Base

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _pg_admin_url() -> str | None:
    url = os.environ.get("LEARNLOOP_TEST_POSTGRES_URL", DEFAULT_PG)
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        if os.environ.get("LEARNLOOP_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable at {url}: {exc}")
        return None
    return url


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    admin_url = _pg_admin_url()
    if admin_url is None:
        yield None
        return
    name = f"learnloop_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
                 pg_database: str | None) -> Iterator[str]:
    """A migrated, empty database; the test runs once on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "learnloop.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_database is None:
        pytest.skip("no PostgreSQL server (set LEARNLOOP_TEST_POSTGRES_URL)")
    engine = make_engine(pg_database)
    _truncate(engine)
    engine.dispose()
    yield pg_database


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture(scope="session")
def passwords() -> Argon2Passwords:
    """A cheap Argon2 hasher: the same code path as production, at a test-friendly cost."""
    return Argon2Passwords(fast=True)
