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


@dataclass(frozen=True, slots=True)
class PreflightChecked:
    """One pre-flight rule's result on a person's campaign: evidence from their work.

    `skill` is the skill the statement names (None when it names only the pack: the pack's
    rule-to-lesson mapping decides then). `attempt` is which pre-flight of the campaign this
    was, 1 for the first; None when an outside tool did not say."""

    pack: str
    rule: str
    skill: str | None
    success: bool
    at: datetime
    attempt: int | None = 1

    @property
    def first_attempt(self) -> bool:
        """Whether it shows the work as the person first handed it in (what counts)."""
        return self.attempt is None or self.attempt == 1


Event = (LessonLaunched | SectionViewed | LessonCompleted | Answered | PulseGiven | Assigned
         | PreflightChecked)
# What counts a week as active in learning. A pre-flight is work, not learning: it does not.
LEARNER_ACTIONS = (LessonLaunched, SectionViewed, LessonCompleted, Answered, PulseGiven)
