"""Steps in progress and the items served in them (operational state, not projections)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.services.ports import StoredAttempt, StoredStep
from learnloop.store import tables as t


def _step(row: t.StepRow) -> StoredStep:
    return StoredStep(row.id, row.person_id, row.version_id, row.pack, row.kind, row.skill,
                      row.lesson, row.section, row.misconception, tuple(row.families),
                      row.reason, row.created_at, row.lesson_started_at,
                      row.lesson_completed_at, row.items_answered, row.lesson_pulse_at,
                      row.pulse_at, row.finished_at)


def _attempt(row: t.AttemptRow) -> StoredAttempt:
    return StoredAttempt(row.id, row.step_id, row.person_id, row.family, row.variant,
                         row.position, row.served_at, row.expires_at, row.answered_at,
                         row.statement_id, dict(row.grade) if row.grade else None)


class SqlSteps:
    def __init__(self, session: Session) -> None:
        self.db = session

    def add_step(self, step: StoredStep) -> None:
        self.db.add(t.StepRow(
            id=step.id, person_id=step.person_id, version_id=step.version_id, pack=step.pack,
            kind=step.kind, skill=step.skill, lesson=step.lesson, section=step.section,
            misconception=step.misconception, families=list(step.families),
            reason=step.reason, created_at=step.created_at, items_answered=0))
        self.db.flush()

    def step(self, step_id: str, lock: bool = False) -> StoredStep | None:
        query = select(t.StepRow).where(t.StepRow.id == step_id)
        if lock:
            query = query.with_for_update()
        row = self.db.scalar(query)
        return _step(row) if row else None

    def open_steps(self, person_id: int) -> list[StoredStep]:
        rows = self.db.scalars(select(t.StepRow).where(
            t.StepRow.person_id == person_id, t.StepRow.finished_at.is_(None))
            .order_by(t.StepRow.created_at.desc()))
        return [_step(r) for r in rows]

    def recent_steps(self, person_id: int, limit: int = 10) -> list[StoredStep]:
        rows = self.db.scalars(select(t.StepRow).where(t.StepRow.person_id == person_id)
                               .order_by(t.StepRow.created_at.desc()).limit(limit))
        return [_step(r) for r in rows]

    def update_step(self, step_id: str, **changes: Any) -> None:
        row = self.db.get(t.StepRow, step_id)
        assert row is not None
        for name, value in changes.items():
            setattr(row, name, value)
        self.db.flush()

    def add_attempt(self, attempt: StoredAttempt) -> None:
        self.db.add(t.AttemptRow(
            id=attempt.id, step_id=attempt.step_id, person_id=attempt.person_id,
            family=attempt.family, variant=attempt.variant, position=attempt.position,
            served_at=attempt.served_at, expires_at=attempt.expires_at))
        self.db.flush()

    def attempt(self, attempt_id: str, lock: bool = False) -> StoredAttempt | None:
        query = select(t.AttemptRow).where(t.AttemptRow.id == attempt_id)
        if lock:
            query = query.with_for_update()
        row = self.db.scalar(query)
        return _attempt(row) if row else None

    def attempts(self, step_id: str) -> list[StoredAttempt]:
        rows = self.db.scalars(select(t.AttemptRow).where(t.AttemptRow.step_id == step_id)
                               .order_by(t.AttemptRow.position))
        return [_attempt(r) for r in rows]

    def seen_variants(self, person_id: int, family: str) -> list[tuple[int, datetime]]:
        rows = self.db.execute(select(t.AttemptRow.variant, t.AttemptRow.served_at).where(
            t.AttemptRow.person_id == person_id, t.AttemptRow.family == family))
        return [(v, at) for v, at in rows]

    def finish_attempt(self, attempt_id: str, answered_at: datetime, statement_id: str,
                       grade: dict[str, Any]) -> None:
        row = self.db.get(t.AttemptRow, attempt_id)
        assert row is not None
        row.answered_at = answered_at
        row.statement_id = statement_id
        row.grade = grade
        self.db.flush()
