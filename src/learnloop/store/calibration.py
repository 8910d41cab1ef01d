"""The learner model's calibrations: each person's memory parameters and the verdict of their
last fit, each item family's 2PL parameters, and the figures built on them (true retention)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from learnloop.domain.learner.answer_model import AnswerModel
from learnloop.domain.learner.irt import Calibration, ItemParameters, item_flag
from learnloop.domain.learner.memory import Retention
from learnloop.domain.learner.memory_fit import Decision
from learnloop.services.ports import AnswerModelRecord, MemoryFitRecord, StoredItem
from learnloop.store import tables as t


def _decision(row: t.MemoryParametersRow) -> Decision:
    return Decision(tuple(row.parameters), row.personal, row.reason, row.scored_reviews,
                    row.held_out, row.held_out_loss_fitted, row.held_out_loss_default)


class SqlCalibration:
    def __init__(self, session: Session) -> None:
        self.db = session

    # --- memory parameters ---
    def memory_fit(self, person_id: int) -> MemoryFitRecord | None:
        row = self.db.get(t.MemoryParametersRow, person_id)
        if row is None:
            return None
        return MemoryFitRecord(_decision(row), row.answers_at_fit, row.fitted_at)

    def save_memory_fit(self, person_id: int, decision: Decision, answers: int,
                        at: datetime) -> None:
        self.db.merge(t.MemoryParametersRow(
            person_id=person_id, parameters=list(decision.parameters),
            personal=decision.personal, reason=decision.reason,
            scored_reviews=decision.scored_reviews, held_out=decision.held_out,
            held_out_loss_fitted=decision.held_out_loss_fitted,
            held_out_loss_default=decision.held_out_loss_default, answers_at_fit=answers,
            fitted_at=at))

    def answers(self, org_id: int) -> dict[int, tuple[int, int | None]]:
        """(answers in memory, answers at the last fit or None) per person of the organisation
        with any answer: what `calibrate` reads to find who is due a fit."""
        m, fit = t.MemoryRow, t.MemoryParametersRow
        totals = (select(m.person_id, func.sum(m.reviews).label("answers"))
                  .join(t.PersonRow, t.PersonRow.id == m.person_id)
                  .where(t.PersonRow.org_id == org_id).group_by(m.person_id).subquery())
        rows = self.db.execute(
            select(totals.c.person_id, totals.c.answers, fit.answers_at_fit)
            .outerjoin(fit, fit.person_id == totals.c.person_id))
        return {pid: (int(answers), at_fit) for pid, answers, at_fit in rows}

    # --- the answer model ---
    def answer_model_records(self, org_id: int) -> dict[str, AnswerModelRecord]:
        rows = self.db.scalars(select(t.AnswerModelRow).where(t.AnswerModelRow.org_id == org_id))
        return {r.pack: AnswerModelRecord(r.used, r.reason, r.answers, r.people,
                                          r.held_out_loss_fitted, r.held_out_loss_shipped,
                                          r.fitted_at) for r in rows}

    def save_answer_model(self, org_id: int, pack: str, model: AnswerModel | None,
                          record: AnswerModelRecord) -> None:
        self.db.merge(t.AnswerModelRow(
            org_id=org_id, pack=pack, model=model.to_json() if model else None,
            used=record.used and model is not None, reason=record.reason,
            answers=record.answers, people=record.people,
            held_out_loss_fitted=record.held_out_loss_fitted,
            held_out_loss_shipped=record.held_out_loss_shipped, fitted_at=record.fitted_at))

    # --- true retention ---
    def retention(self, person_ids: Iterable[int]) -> dict[int, Retention]:
        ids = list(person_ids)
        m = t.MemoryRow
        out: dict[int, Retention] = {}
        for start in range(0, len(ids), 500):
            rows = self.db.execute(
                select(m.person_id, func.sum(m.due_checks), func.sum(m.due_recalled),
                       func.sum(m.due_expected))
                .where(m.person_id.in_(ids[start:start + 500])).group_by(m.person_id))
            out.update({pid: Retention(int(c or 0), int(r or 0), float(e or 0.0))
                        for pid, c, r, e in rows})
        return out

    # --- items ---
    def first_answers(self, org_id: int, pack: str) -> list[tuple[int, str, bool]]:
        """(person, family, first answer right) for every family anyone in the organisation
        answered in this pack."""
        m = t.MemoryRow
        rows = self.db.execute(
            select(m.person_id, m.family, m.first_correct)
            .join(t.PersonRow, t.PersonRow.id == m.person_id)
            .where(t.PersonRow.org_id == org_id, m.pack == pack, m.first_correct.is_not(None))
            .order_by(m.person_id, m.family))
        return [(pid, family, bool(right)) for pid, family, right in rows]

    def replace_items(self, org_id: int, pack: str, calibration: Calibration,
                      at: datetime) -> None:
        c = t.ItemCalibrationRow
        self.db.execute(delete(c).where(c.org_id == org_id, c.pack == pack))
        values = [{"org_id": org_id, "pack": pack, "family": item.item,
                   "difficulty": item.difficulty, "discrimination": item.discrimination,
                   "responses": item.responses, "proportion_correct": item.proportion_correct,
                   "difficulty_se": item.difficulty_se,
                   "discrimination_se": item.discrimination_se, "flag": item_flag(item),
                   "fitted_at": at} for item in calibration.items]
        if values:
            self.db.execute(insert(c), values)

    def items(self, org_id: int, pack: str) -> dict[str, StoredItem]:
        c = t.ItemCalibrationRow
        rows = self.db.scalars(select(c).where(c.org_id == org_id, c.pack == pack))
        return {r.family: StoredItem(
            ItemParameters(r.family, r.difficulty, r.discrimination, r.responses,
                           r.proportion_correct, r.difficulty_se, r.discrimination_se),
            r.flag, r.fitted_at) for r in rows}
