"""The migrations create exactly the schema the code declares, and run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from learnloop.store import migrate
from learnloop.store.tables import Base


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    assert migrate.is_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_empty_and_back(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    assert migrate.current_revision(engine) == migrate.head_revision()
