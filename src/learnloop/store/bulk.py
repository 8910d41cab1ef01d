"""Many rows at once: bulk inserts, upserts and "one of these values" conditions, each in the
fastest form the store takes.

PostgreSQL takes rows fastest through COPY (about 2.5 times an executemany, which psycopg
sends as one prepared execution a row) and a list of values as one array parameter (`= ANY`,
planned once, instead of an IN list of a hundred parameters); SQLite's executemany already
runs in C and its IN lists are cheap. Inserted values must be what the driver would be handed
for those columns (after the columns' bind processing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from learnloop.store.tables import Base


def insert_rows(conn: Connection, table: str, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` into `table` (names from code, never from input) in the connection's
    current transaction."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        sql = f"COPY {table} ({names}) FROM STDIN"
        try:
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except conn.dialect.loaded_dbapi.IntegrityError as exc:
            # Past SQLAlchemy's execution, so wrapped here as it would wrap it (a 409).
            raise IntegrityError(sql, None, exc) from exc
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) "  # noqa: S608 - names from code
                         f"VALUES ({', '.join([mark] * len(columns))})", list(rows))


def among(db: Session, column: InstrumentedAttribute[Any], values: Sequence[Any]
          ) -> ColumnElement[bool]:
    """`column IN values`, as one array parameter on PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values),
                                        type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def upsert(db: Session, table: type[Base], rows: Sequence[Mapping[str, Any]], key: str,
           update: Sequence[str]) -> None:
    """Insert `rows`; where a row with the same `key` exists, set its `update` columns."""
    if not rows:
        return
    dialect = db.get_bind().dialect.name
    statement = (postgresql.insert(table) if dialect == "postgresql"
                 else sqlite.insert(table))
    db.execute(statement.on_conflict_do_update(
        index_elements=[key], set_={c: statement.excluded[c] for c in update}), list(rows))
