"""Memory per learner and item family: when each family is due again (FSRS-6).

A family is one card: any of its variants counts as a review of the same knowledge. The
formulas are learnloop's own FSRS-6 (`fsrs`), the same code the fitting and the benchmark run;
the parameters are the population defaults until the person's own fit has earned its place
(`memory_fit.personal_parameters`). Scheduling is deterministic (no fuzz) so that rebuilding
state from statements gives the same due dates. There are no same-day learning steps: a
micro-learning re-check is worth asking on a later day, so the first answer already schedules
in days (intervals are whole days, at least 1).

Each family also keeps the evidence for *true retention*: how many of its answers came when a
re-check was due, how many of those were right, and how many the model expected to be right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from learnloop.domain.learner import fsrs
from learnloop.domain.learner.fsrs import Rating

TARGET_RETENTION = 0.9
MAXIMUM_INTERVAL_DAYS = 365
DEFAULT_PARAMETERS = fsrs.DEFAULT_PARAMETERS
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FamilyMemory:
    stability: float
    difficulty: float
    due: datetime
    last_review: datetime
    reviews: int
    lapses: int
    first_correct: bool | None = None  # the first answer ever (item calibration uses it)
    due_checks: int = 0  # answers given when the family was due
    due_recalled: int = 0  # ... of them right
    due_expected: float = 0.0  # the recall the model predicted for them, summed

    def as_json(self) -> dict[str, Any]:
        return {"stability": self.stability, "difficulty": self.difficulty,
                "due": self.due.isoformat(), "last_review": self.last_review.isoformat(),
                "reviews": self.reviews, "lapses": self.lapses,
                "first_correct": self.first_correct, "due_checks": self.due_checks,
                "due_recalled": self.due_recalled, "due_expected": self.due_expected}


@dataclass(frozen=True, slots=True)
class Retention:
    """Answers given when a re-check was due: how many, how many right, and how many the
    model expected to be right."""

    checks: int = 0
    recalled: int = 0
    expected: float = 0.0

    @property
    def measured(self) -> float | None:
        return self.recalled / self.checks if self.checks else None

    @property
    def predicted(self) -> float | None:
        return self.expected / self.checks if self.checks else None

    def __add__(self, other: Retention) -> Retention:
        return Retention(self.checks + other.checks, self.recalled + other.recalled,
                         self.expected + other.expected)


def rating_for(score: float, success: bool) -> Rating:
    """Wrong is Again; right with partial credit is Hard; right is Good.

    Easy is never inferred: a correct answer says nothing about how easy recall felt.
    """
    if not success:
        return Rating.AGAIN
    return Rating.HARD if score < 0.8 else Rating.GOOD


def elapsed_days(since: datetime, at: datetime) -> int:
    """Whole days from `since` to `at`, never negative: FSRS counts gaps in whole days."""
    return max(0, (at - since) // _DAY)


def review(memory: FamilyMemory | None, score: float, success: bool, at: datetime,
           parameters: Sequence[float] = DEFAULT_PARAMETERS) -> FamilyMemory:
    """The family's memory after one answer at `at` (a new object; the input is unchanged).

    An answer that arrives before the previous one (an outside tool's late statement) is
    scheduled as if it came right after it: FSRS needs time to move forward.
    """
    rating = rating_for(score, success)
    if memory is None:
        stability = float(fsrs.initial_stability(parameters, rating))
        difficulty = float(fsrs.initial_difficulty(parameters, rating))
        return FamilyMemory(stability, difficulty, at + _interval(parameters, stability), at,
                            1, 0 if success else 1, first_correct=success)
    at = max(at, memory.last_review)
    elapsed = elapsed_days(memory.last_review, at)
    r, new_stability, new_difficulty = fsrs.step(parameters, memory.stability,
                                                 memory.difficulty, elapsed, rating)
    stability = float(new_stability)
    due = at >= memory.due
    return FamilyMemory(
        stability=stability, difficulty=float(new_difficulty),
        due=at + _interval(parameters, stability), last_review=at,
        reviews=memory.reviews + 1, lapses=memory.lapses + (0 if success else 1),
        first_correct=memory.first_correct,
        due_checks=memory.due_checks + int(due),
        due_recalled=memory.due_recalled + int(due and success),
        due_expected=memory.due_expected + (float(r) if due else 0.0))


def _interval(parameters: Sequence[float], stability: float) -> timedelta:
    return _DAY * fsrs.interval_days(parameters, stability, TARGET_RETENTION,
                                     MAXIMUM_INTERVAL_DAYS)


def recall_probability(memory: FamilyMemory, at: datetime,
                       parameters: Sequence[float] = DEFAULT_PARAMETERS) -> float:
    """The chance of recalling the family at `at` (FSRS retrievability)."""
    return float(fsrs.retrievability(parameters, elapsed_days(memory.last_review, at),
                                     memory.stability))


def is_due(memory: FamilyMemory, at: datetime) -> bool:
    return memory.due <= at


def overdue_days(memory: FamilyMemory, at: datetime) -> float:
    return (at - memory.due) / _DAY
