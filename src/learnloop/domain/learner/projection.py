"""Projectors: pure functions from one event and the current state to the next state.

The online path (an answer being recorded) and `learnloop rebuild` (every statement replayed in
order) call these same functions on the same inputs, read back from the stored statement, so
rebuilt state equals live state exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from learnloop.domain.learner import mastery, memory
from learnloop.domain.learner.catalogue import FamilyFacts
from learnloop.domain.learner.events import (
    Answered,
    LessonCompleted,
    LessonLaunched,
    PulseGiven,
    SectionViewed,
)
from learnloop.domain.learner.memory import FamilyMemory


@dataclass(frozen=True, slots=True)
class MisconceptionSeen:
    count: int
    last_seen: datetime
    cleared_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.cleared_at is None or self.cleared_at < self.last_seen


@dataclass(frozen=True, slots=True)
class SkillState:
    evidence: mastery.Evidence = field(default_factory=mastery.Evidence)
    answers: int = 0
    correct: int = 0
    confidence: int | None = None
    relevance: int | None = None
    pulse_at: datetime | None = None
    misconceptions: tuple[tuple[str, MisconceptionSeen], ...] = ()

    def misconception(self, mid: str) -> MisconceptionSeen | None:
        return next((seen for key, seen in self.misconceptions if key == mid), None)


@dataclass(frozen=True, slots=True)
class LessonProgress:
    launches: int = 0
    first_launched_at: datetime | None = None
    completed_at: datetime | None = None
    completions: int = 0
    sections: frozenset[str] = frozenset()


def answered_memory(current: FamilyMemory | None, event: Answered) -> FamilyMemory:
    return memory.review(current, event.score, event.success, event.at)


def answered_skill(current: SkillState, event: Answered, facts: FamilyFacts) -> SkillState:
    seen = dict(current.misconceptions)
    for mid in event.misconceptions:
        before = seen.get(mid)
        seen[mid] = MisconceptionSeen(
            (before.count if before else 0) + 1,
            max(event.at, before.last_seen) if before else event.at,
            before.cleared_at if before else None)
    if event.success:
        # A right answer on a family that can reveal a misconception clears it.
        for mid in facts.probes:
            before = seen.get(mid)
            if before is not None and mid not in event.misconceptions and \
                    event.at >= before.last_seen:
                seen[mid] = replace(before, cleared_at=event.at)
    return replace(
        current,
        evidence=mastery.observe(current.evidence, event.score, event.at),
        answers=current.answers + 1,
        correct=current.correct + (1 if event.success else 0),
        misconceptions=tuple(sorted(seen.items())),
    )


def pulsed_skill(current: SkillState, event: PulseGiven) -> SkillState:
    if current.pulse_at is not None and event.at < current.pulse_at:
        return current  # an older pulse arriving late does not replace a newer one
    return replace(current, confidence=event.confidence, relevance=event.relevance,
                   pulse_at=event.at)


def lesson_progress(current: LessonProgress,
                    event: LessonLaunched | SectionViewed | LessonCompleted) -> LessonProgress:
    match event:
        case LessonLaunched():
            first = current.first_launched_at
            return replace(current, launches=current.launches + 1,
                           first_launched_at=min(first, event.at) if first else event.at)
        case SectionViewed():
            return replace(current, sections=current.sections | {event.section})
        case LessonCompleted():
            done = current.completed_at
            return replace(current, completions=current.completions + 1,
                           completed_at=min(done, event.at) if done else event.at)


def week_of(at: datetime, timezone: str) -> date:
    """The Monday of the learner's local week that `at` falls in."""
    local = at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


def weeks_in_a_row(weeks: set[date], today: date) -> int:
    """Active weeks in a row ending this week (or last week, if this week has no activity yet)."""
    monday = today - timedelta(days=today.weekday())
    if monday not in weeks:
        monday -= timedelta(days=7)
    count = 0
    while monday in weeks:
        count += 1
        monday -= timedelta(days=7)
    return count
