"""Learner state projected from statements: memory, skills, lessons and active weeks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from learnloop.domain.learner import answer_model
from learnloop.domain.learner.answer_model import AnswerModel, LearnerTrace, SkillTrace
from learnloop.domain.learner.mastery import Evidence
from learnloop.domain.learner.memory import DEFAULT_PARAMETERS, FamilyMemory
from learnloop.domain.learner.projection import (
    LessonProgress,
    MisconceptionSeen,
    RuleFailures,
    SkillState,
)
from learnloop.store import tables as t


def _misconceptions_json(state: SkillState) -> list[Any]:
    return [[mid, seen.count, seen.last_seen.isoformat(),
             seen.cleared_at.isoformat() if seen.cleared_at else None]
            for mid, seen in state.misconceptions]


def _misconceptions(doc: list[Any]) -> tuple[tuple[str, MisconceptionSeen], ...]:
    return tuple((mid, MisconceptionSeen(count, datetime.fromisoformat(last),
                                         datetime.fromisoformat(cleared) if cleared else None))
                 for mid, count, last, cleared in doc)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _rules_json(state: SkillState) -> list[Any]:
    return [[rid, found.failures, found.since_pass, found.last_failed_at.isoformat(),
             _iso(found.cleared_at), _iso(found.passed_at)]
            for rid, found in state.rules]


def _rules(doc: list[Any]) -> tuple[tuple[str, RuleFailures], ...]:
    return tuple((rid, RuleFailures(failures, since_pass, datetime.fromisoformat(last),
                                    _time(cleared), _time(passed)))
                 for rid, failures, since_pass, last, cleared, passed in doc)


def _skill(row: t.SkillRow) -> SkillState:
    return SkillState(Evidence(row.successes, row.failures, row.evidence_at), row.answers,
                      row.correct, row.confidence, row.relevance, row.pulse_at,
                      _misconceptions(row.misconceptions), row.work_passed, row.work_failed,
                      _rules(row.rules),
                      SkillTrace.from_json(row.trace) if row.trace else SkillTrace())


def _model(doc: Mapping[str, Any] | None) -> AnswerModel:
    """A stored model, or the shipped one when none is stored or it no longer fits the code
    (fitted on other features): scoring goes on with the shipped model until
    `learnloop calibrate --everyone` fits the organisation's model again."""
    if doc is None:
        return answer_model.shipped()
    try:
        return AnswerModel.from_json(doc)
    except (ValueError, KeyError, TypeError):
        return answer_model.shipped()


def _memory(row: t.MemoryRow) -> FamilyMemory:
    return FamilyMemory(row.stability, row.difficulty, row.due, row.last_review, row.reviews,
                        row.lapses, row.first_correct, row.due_checks, row.due_recalled,
                        row.due_expected)


def _lesson(row: t.LessonRow) -> LessonProgress:
    return LessonProgress(row.launches, row.first_launched_at, row.completed_at, row.completions,
                          frozenset(row.sections))


def memory_values(person_id: int, pack: str, family: str, m: FamilyMemory) -> dict[str, Any]:
    return {"person_id": person_id, "pack": pack, "family": family, "stability": m.stability,
            "difficulty": m.difficulty, "due": m.due, "last_review": m.last_review,
            "reviews": m.reviews, "lapses": m.lapses, "first_correct": m.first_correct,
            "due_checks": m.due_checks, "due_recalled": m.due_recalled,
            "due_expected": m.due_expected}


def skill_values(person_id: int, pack: str, skill: str, s: SkillState) -> dict[str, Any]:
    return {"person_id": person_id, "pack": pack, "skill": skill,
            "successes": s.evidence.successes, "failures": s.evidence.failures,
            "evidence_at": s.evidence.at, "answers": s.answers, "correct": s.correct,
            "confidence": s.confidence, "relevance": s.relevance, "pulse_at": s.pulse_at,
            "misconceptions": _misconceptions_json(s), "work_passed": s.work_passed,
            "work_failed": s.work_failed, "rules": _rules_json(s),
            "trace": s.trace.to_json()}


def lesson_values(person_id: int, pack: str, lesson: str, p: LessonProgress) -> dict[str, Any]:
    return {"person_id": person_id, "pack": pack, "lesson": lesson, "launches": p.launches,
            "first_launched_at": p.first_launched_at, "completed_at": p.completed_at,
            "completions": p.completions, "sections": sorted(p.sections)}


class SqlLearner:
    def __init__(self, session: Session) -> None:
        self.db = session

    # --- reads ---
    def memory(self, person_id: int, pack: str, family: str) -> FamilyMemory | None:
        row = self.db.get(t.MemoryRow, (person_id, pack, family))
        return _memory(row) if row else None

    def memories(self, person_id: int, pack: str) -> dict[str, FamilyMemory]:
        rows = self.db.scalars(select(t.MemoryRow).where(t.MemoryRow.person_id == person_id,
                                                         t.MemoryRow.pack == pack))
        return {r.family: _memory(r) for r in rows}

    def skill(self, person_id: int, pack: str, skill: str) -> SkillState | None:
        row = self.db.get(t.SkillRow, (person_id, pack, skill))
        return _skill(row) if row else None

    def skills(self, person_id: int, pack: str) -> dict[str, SkillState]:
        rows = self.db.scalars(select(t.SkillRow).where(t.SkillRow.person_id == person_id,
                                                        t.SkillRow.pack == pack))
        return {r.skill: _skill(r) for r in rows}

    def lesson(self, person_id: int, pack: str, lesson: str) -> LessonProgress | None:
        row = self.db.get(t.LessonRow, (person_id, pack, lesson))
        return _lesson(row) if row else None

    def lessons(self, person_id: int, pack: str) -> dict[str, LessonProgress]:
        rows = self.db.scalars(select(t.LessonRow).where(t.LessonRow.person_id == person_id,
                                                         t.LessonRow.pack == pack))
        return {r.lesson: _lesson(r) for r in rows}

    def weeks(self, person_id: int) -> set[date]:
        return set(self.db.scalars(select(t.WeekRow.week).where(
            t.WeekRow.person_id == person_id)))

    def memory_parameters(self, person_id: int) -> tuple[float, ...]:
        """The FSRS-6 parameters that schedule this person: their own once a fit has earned
        its place (`learnloop calibrate`), else the population defaults."""
        row = self.db.get(t.MemoryParametersRow, person_id)
        return tuple(row.parameters) if row is not None else DEFAULT_PARAMETERS

    def parameter_map(self, person_ids: Iterable[int]) -> dict[int, tuple[float, ...]]:
        """The stored parameters of those of these people who have them."""
        ids = list(person_ids)
        out: dict[int, tuple[float, ...]] = {}
        for start in range(0, len(ids), 500):
            rows = self.db.execute(select(t.MemoryParametersRow.person_id,
                                          t.MemoryParametersRow.parameters).where(
                t.MemoryParametersRow.person_id.in_(ids[start:start + 500])))
            out.update({pid: tuple(values) for pid, values in rows})
        return out

    def trace(self, person_id: int, pack: str) -> LearnerTrace | None:
        row = self.db.get(t.LearnerTraceRow, (person_id, pack))
        return LearnerTrace.from_json(row.trace) if row else None

    def answer_model(self, person_id: int, pack: str) -> AnswerModel:
        """The model this person's answers in this pack are scored with: their organisation's
        fit once it has earned its place (`learnloop calibrate`), else the shipped one."""
        row = self.db.execute(
            select(t.AnswerModelRow.model).join(
                t.PersonRow, t.PersonRow.org_id == t.AnswerModelRow.org_id).where(
                t.PersonRow.id == person_id, t.AnswerModelRow.pack == pack,
                t.AnswerModelRow.used.is_(True))).scalar_one_or_none()
        return _model(row)

    def answer_models(self, org_id: int) -> dict[str, AnswerModel]:
        """The organisation's fitted models in use, by pack."""
        rows = self.db.execute(select(t.AnswerModelRow.pack, t.AnswerModelRow.model).where(
            t.AnswerModelRow.org_id == org_id, t.AnswerModelRow.used.is_(True)))
        return {pack: _model(doc) for pack, doc in rows}

    # --- writes (one row at a time: the online path) ---
    def save_trace(self, person_id: int, pack: str, trace: LearnerTrace) -> None:
        self.db.merge(t.LearnerTraceRow(person_id=person_id, pack=pack, trace=trace.to_json()))

    def save_memory(self, person_id: int, pack: str, family: str, m: FamilyMemory) -> None:
        self.db.merge(t.MemoryRow(**memory_values(person_id, pack, family, m)))

    def save_skill(self, person_id: int, pack: str, skill: str, s: SkillState) -> None:
        self.db.merge(t.SkillRow(**skill_values(person_id, pack, skill, s)))

    def save_lesson(self, person_id: int, pack: str, lesson: str, p: LessonProgress) -> None:
        self.db.merge(t.LessonRow(**lesson_values(person_id, pack, lesson, p)))

    def count_week(self, person_id: int, week: date) -> None:
        row = self.db.get(t.WeekRow, (person_id, week))
        if row is None:
            self.db.add(t.WeekRow(person_id=person_id, week=week, events=1))
        else:
            row.events += 1

    # --- rebuild: replace everything for a set of people at once ---
    def clear(self, person_ids: Iterable[int]) -> None:
        ids = list(person_ids)
        for table in (t.MemoryRow, t.SkillRow, t.LessonRow, t.WeekRow, t.LearnerTraceRow):
            for start in range(0, len(ids), 500):
                self.db.execute(delete(table).where(table.person_id.in_(ids[start:start + 500])))

    def bulk(self, memories: Mapping[tuple[int, str, str], FamilyMemory],
             skills: Mapping[tuple[int, str, str], SkillState],
             lessons: Mapping[tuple[int, str, str], LessonProgress],
             weeks: Mapping[tuple[int, date], int],
             traces: Mapping[tuple[int, str], LearnerTrace]) -> None:
        tables: list[tuple[Any, list[dict[str, Any]]]] = [
            (t.MemoryRow, [memory_values(*k, v) for k, v in memories.items()]),
            (t.SkillRow, [skill_values(*k, v) for k, v in skills.items()]),
            (t.LessonRow, [lesson_values(*k, v) for k, v in lessons.items()]),
            (t.WeekRow, [{"person_id": pid, "week": week, "events": n}
                         for (pid, week), n in weeks.items()]),
            (t.LearnerTraceRow, [{"person_id": pid, "pack": pack, "trace": v.to_json()}
                                 for (pid, pack), v in traces.items()]),
        ]
        for table, values in tables:
            for start in range(0, len(values), 5000):
                self.db.execute(insert(table), values[start:start + 5000])

    def dump(self, person_ids: Iterable[int]) -> dict[str, list[tuple[Any, ...]]]:
        """Every projected row of these people, sorted: for comparing state after a rebuild."""
        ids = list(person_ids)
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in (t.MemoryRow, t.SkillRow, t.LessonRow, t.WeekRow, t.LearnerTraceRow):
            columns = list(table.__table__.columns)
            rows: list[tuple[Any, ...]] = []
            for start in range(0, len(ids), 500):
                rows += [tuple(r) for r in self.db.execute(
                    select(*columns).where(table.person_id.in_(ids[start:start + 500])))]
            out[table.__tablename__] = sorted(rows, key=repr)
        return out
