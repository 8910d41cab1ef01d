"""Alembic environment: the engine comes from `learnloop.store.migrate`, never from a file."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from learnloop.store.tables import Base
from learnloop.store.types import UTCDateTime


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so migrations never import the app."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False

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
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
