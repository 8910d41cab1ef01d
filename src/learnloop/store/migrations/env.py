"""Alembic environment: the engine comes from `learnloop.store.migrate`, never from a file."""

from __future__ import annotations

from alembic import context

from learnloop.store.tables import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when alembic is run by hand
    raise SystemExit("run migrations with `learnloop db upgrade`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
