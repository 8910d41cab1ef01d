"""The feedback library's examples in SQL. Never commits."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from learnloop.services.ports import ExampleDraft, StoredExample
from learnloop.store import tables as t


def _stored(row: t.FeedbackExampleRow) -> StoredExample:
    return StoredExample(row.id, row.org_id, row.run_id, row.rule, row.skill, row.title,
                         row.excerpt, list(row.replaced), row.note, row.created_by,
                         row.created_at, row.item_yaml)


class SqlFeedback:
    def __init__(self, session: Session) -> None:
        self.db = session

    def add(self, draft: ExampleDraft) -> StoredExample:
        row = t.FeedbackExampleRow(**asdict(draft))
        self.db.add(row)
        self.db.flush()
        return _stored(row)

    def set_item(self, example_id: int, item_yaml: str | None) -> None:
        self.db.execute(update(t.FeedbackExampleRow)
                        .where(t.FeedbackExampleRow.id == example_id)
                        .values(item_yaml=item_yaml))

    def example(self, org_id: int, example_id: int) -> StoredExample | None:
        row = self.db.get(t.FeedbackExampleRow, example_id)
        if row is None or row.org_id != org_id:
            return None
        return _stored(row)

    def examples(self, org_id: int, *, rule: str | None = None,
                 limit: int = 200) -> list[StoredExample]:
        query = select(t.FeedbackExampleRow).where(t.FeedbackExampleRow.org_id == org_id)
        if rule is not None:
            query = query.where(t.FeedbackExampleRow.rule == rule)
        rows = self.db.scalars(query.order_by(t.FeedbackExampleRow.created_at.desc(),
                                              t.FeedbackExampleRow.id.desc()).limit(limit))
        return [_stored(row) for row in rows]
