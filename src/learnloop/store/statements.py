"""The statement store: xAPI statements in SQL, appended and read in the order they were stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from learnloop.services.ports import NewStatement, StoredStatement
from learnloop.store import tables as t


class SqlStatements:
    def __init__(self, session: Session) -> None:
        self.db = session

    def add(self, statements: list[NewStatement], stored: datetime) -> None:
        if not statements:
            return
        self.db.execute(insert(t.StatementRow), [{
            "id": s.id, "org_id": s.org_id, "person_id": s.person_id, "verb": s.verb,
            "activity_id": s.activity_id, "registration": s.registration,
            "timestamp": s.timestamp, "stored": stored, "voided": False,
            "document": json.dumps(s.document, separators=(",", ":"), ensure_ascii=False),
        } for s in statements])

    def exists(self, statement_id: str) -> bool:
        return self.db.scalar(select(t.StatementRow.seq).where(
            t.StatementRow.id == statement_id)) is not None

    def get(self, statement_id: str) -> StoredStatement | None:
        row = self.db.scalar(select(t.StatementRow).where(t.StatementRow.id == statement_id))
        return _stored(row) if row else None

    def count(self, org_id: int | None = None) -> int:
        query = select(func.count()).select_from(t.StatementRow)
        if org_id is not None:
            query = query.where(t.StatementRow.org_id == org_id)
        return int(self.db.scalar(query) or 0)

    def for_person(self, person_id: int, limit: int = 50) -> list[StoredStatement]:
        rows = self.db.scalars(select(t.StatementRow).where(t.StatementRow.person_id == person_id)
                               .order_by(t.StatementRow.seq.desc()).limit(limit))
        return [_stored(r) for r in rows]

    def stream(self, org_id: int, batch: int = 5000) -> Iterator[tuple[int | None, Any]]:
        """(person id, statement JSON) of every statement not voided, in stored order."""
        last = 0
        while True:
            rows = self.db.execute(
                select(t.StatementRow.seq, t.StatementRow.person_id, t.StatementRow.document)
                .where(t.StatementRow.org_id == org_id, t.StatementRow.seq > last,
                       t.StatementRow.voided.is_(False))
                .order_by(t.StatementRow.seq).limit(batch)).all()
            if not rows:
                return
            for _seq, person_id, document in rows:
                yield person_id, json.loads(document)
            last = rows[-1][0]


def _stored(row: t.StatementRow) -> StoredStatement:
    return StoredStatement(row.seq, row.id, row.person_id, row.verb, row.activity_id,
                           row.registration, row.timestamp, row.stored,
                           json.loads(row.document))
