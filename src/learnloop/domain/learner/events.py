"""What happened to a learner, read from xAPI statements: the projectors' input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LessonLaunched:
    pack: str
    lesson: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SectionViewed:
    pack: str
    lesson: str
    section: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LessonCompleted:
    pack: str
    lesson: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Answered:
    """A scored answer on an item family (variant None: an outside tool named the family)."""

    pack: str
    family: str
    variant: int | None
    at: datetime
    score: float
    success: bool
    misconceptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PulseGiven:
    pack: str
    on: str  # "lesson" or "check"
    lesson: str | None
    skill: str | None
    at: datetime
    confidence: int
    relevance: int
    sentiment: float | None = None


@dataclass(frozen=True, slots=True)
class Assigned:
    pack: str
    at: datetime


Event = LessonLaunched | SectionViewed | LessonCompleted | Answered | PulseGiven | Assigned
LEARNER_ACTIONS = (LessonLaunched, SectionViewed, LessonCompleted, Answered, PulseGiven)
