"""Build engines and sessions. SQLite gets WAL, a busy timeout and foreign keys on connect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from learnloop.store import tables as t

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(
            hide_password=False))
    return create_engine(url, echo=echo, pool_pre_ping=True)


# Rows the online path reads more than once in a transaction (the person, their step, the item
# served, the memory and mastery an answer changes). SQLAlchemy's identity map holds rows weakly,
# and repositories hand back plain domain objects, so a row would be dropped at once and read
# again by the next `get`; a session keeps these few kinds alive until it ends. Statements and
# other bulk reads are not kept.
KEPT_ROWS: tuple[type[Any], ...] = (
    t.Organisation, t.PersonRow, t.StepRow, t.AttemptRow, t.MemoryRow, t.SkillRow, t.LessonRow,
    t.WeekRow)


def _keep(session: Session, instance: object) -> None:
    if isinstance(instance, KEPT_ROWS):
        session.info.setdefault("kept_rows", []).append(instance)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "loaded_as_persistent", _keep)
    event.listen(factory, "pending_to_persistent", _keep)
    return factory
