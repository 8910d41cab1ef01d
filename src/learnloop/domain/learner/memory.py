"""Memory per learner and item family: when each family is due again (FSRS-6, py-fsrs).

A family is one card: any of its variants counts as a review of the same knowledge. Scheduling
is deterministic (no fuzz) so that rebuilding state from statements gives the same due dates.
There are no same-day learning steps: a micro-learning re-check is worth asking on a later day,
so the first answer already schedules in days (FSRS rounds intervals to whole days, at least 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fsrs import Card, Rating, Scheduler, State

TARGET_RETENTION = 0.9
MAXIMUM_INTERVAL_DAYS = 365

_SCHEDULER = Scheduler(desired_retention=TARGET_RETENTION, learning_steps=(),
                       relearning_steps=(), maximum_interval=MAXIMUM_INTERVAL_DAYS,
                       enable_fuzzing=False)


@dataclass(frozen=True, slots=True)
class FamilyMemory:
    stability: float
    difficulty: float
    due: datetime
    last_review: datetime
    reviews: int
    lapses: int

    def as_json(self) -> dict[str, Any]:
        return {"stability": self.stability, "difficulty": self.difficulty,
                "due": self.due.isoformat(), "last_review": self.last_review.isoformat(),
                "reviews": self.reviews, "lapses": self.lapses}


def rating_for(score: float, success: bool) -> Rating:
    """Wrong is Again; right with partial credit is Hard; right is Good.

    Easy is never inferred: a correct answer says nothing about how easy recall felt.
    """
    if not success:
        return Rating.Again
    return Rating.Hard if score < 0.8 else Rating.Good


def _card(memory: FamilyMemory | None) -> Card:
    if memory is None:
        return Card(card_id=0, state=State.Learning, step=0)
    return Card(card_id=0, state=State.Review, stability=memory.stability,
                difficulty=memory.difficulty, due=memory.due, last_review=memory.last_review)


def review(memory: FamilyMemory | None, score: float, success: bool,
           at: datetime) -> FamilyMemory:
    """The family's memory after one answer at `at` (a new object; the input is unchanged).

    An answer that arrives before the previous one (an outside tool's late statement) is
    scheduled as if it came right after it: FSRS needs time to move forward.
    """
    if memory is not None and at < memory.last_review:
        at = memory.last_review
    if at.tzinfo is not None:
        at = at.astimezone(UTC)  # FSRS accepts only datetime.UTC itself, not another zone
    card, _ = _SCHEDULER.review_card(_card(memory), rating_for(score, success), at)
    assert card.stability is not None
    assert card.difficulty is not None
    assert card.last_review is not None
    return FamilyMemory(
        stability=card.stability, difficulty=card.difficulty, due=card.due,
        last_review=card.last_review, reviews=(memory.reviews if memory else 0) + 1,
        lapses=(memory.lapses if memory else 0) + (0 if success else 1))


def recall_probability(memory: FamilyMemory, at: datetime) -> float:
    """The chance of recalling the family at `at` (FSRS retrievability)."""
    return float(_SCHEDULER.get_card_retrievability(_card(memory), at))


def is_due(memory: FamilyMemory, at: datetime) -> bool:
    return memory.due <= at


def overdue_days(memory: FamilyMemory, at: datetime) -> float:
    return (at - memory.due) / timedelta(days=1)
