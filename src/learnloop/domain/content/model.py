"""The content of a pack as plain, frozen data.

A pack is read from a folder (see `learnloop.packs`) into these objects; `validation`
checks them as a whole; `variants` turns an item family into the items learners see.
Every object remembers where it came from (`Source`) so that problems name a file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

Scalar = str | int | float


class ItemType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMERIC = "numeric"
    FREE_TEXT = "free_text"


class Context(StrEnum):
    STANDARD = "standard"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object was written: a file in the pack, its line, and its fields' lines."""

    file: str
    line: int | None = None
    fields: tuple[tuple[str, int], ...] = ()

    def line_of(self, name: str) -> int | None:
        for key, line in self.fields:
            if key == name:
                return line
        return self.line


NOWHERE = Source("<memory>")


@dataclass(frozen=True, slots=True)
class Misconception:
    id: str
    skill: str
    description: str
    label: str | None = None  # completes "You ...": "mixed up soft and hard bounces"
    remedy_lesson: str | None = None  # the lesson (and section) that corrects it
    remedy_section: str | None = None
    source: Source = NOWHERE


@dataclass(frozen=True, slots=True)
class Skill:
    id: str
    name: str
    behaviour: str
    in_work: str
    misconceptions: tuple[Misconception, ...] = ()
    source: Source = NOWHERE


@dataclass(frozen=True, slots=True)
class Section:
    slug: str
    title: str
    body: str  # Markdown
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    skill: str
    title: str
    objective: str
    minutes: int
    prerequisites: tuple[str, ...]
    intro: str  # Markdown before the first section
    sections: tuple[Section, ...]
    source: Source = NOWHERE


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    text: str
    misconception: str | None = None
    feedback: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class KeyBy:
    """Choose a variant's key from the value of one parameter."""

    param: str
    values: tuple[tuple[str, tuple[str, ...]], ...]
    line: int | None = None

    def key_for(self, value: object) -> tuple[str, ...] | None:
        for raw, key in self.values:
            if raw == str(value):
                return key
        return None


@dataclass(frozen=True, slots=True)
class NumericMisconception:
    answer: str  # expression
    misconception: str
    feedback: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    description: str
    weight: float = 1.0
    concepts: tuple[tuple[str, ...], ...] = ()
    patterns: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Forbidden:
    misconception: str
    patterns: tuple[str, ...]
    feedback: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Rubric:
    criteria: tuple[Criterion, ...]
    reference_answers: tuple[str, ...]
    forbidden: tuple[Forbidden, ...] = ()
    pass_score: float = 0.6
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ItemFamily:
    id: str
    skill: str
    type: ItemType
    stem: str
    context: Context = Context.STANDARD
    lesson: str | None = None
    difficulty: int = 3
    grid: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()
    rows: tuple[tuple[tuple[str, Scalar], ...], ...] = ()
    derived: tuple[tuple[str, str], ...] = ()
    feedback: str | None = None
    # choice items
    options: tuple[Option, ...] = ()
    key: tuple[str, ...] = ()
    key_by: KeyBy | None = None
    # numeric items
    answer: str | None = None
    tolerance: float = 0.0
    unit: str | None = None
    numeric_misconceptions: tuple[NumericMisconception, ...] = ()
    # free-text items
    rubric: Rubric | None = None
    source: Source = NOWHERE

    @property
    def is_choice(self) -> bool:
        return self.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)

    def param_names(self) -> set[str]:
        names = {name for name, _ in self.grid}
        for row in self.rows:
            names.update(name for name, _ in row)
        return names


@dataclass(frozen=True, slots=True)
class FirstTimeLessons:
    campaign_type: str
    lessons: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RuleLesson:
    rule: str
    lesson: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Preflight:
    first_time: tuple[FirstTimeLessons, ...] = ()
    rules: tuple[RuleLesson, ...] = ()
    source: Source = NOWHERE


@dataclass(frozen=True, slots=True)
class Pack:
    id: str
    title: str
    description: str
    language: str = "en"
    skills: tuple[Skill, ...] = ()
    lessons: tuple[Lesson, ...] = ()
    families: tuple[ItemFamily, ...] = ()
    preflight: Preflight = field(default_factory=Preflight)
    source: Source = NOWHERE

    def skill(self, skill_id: str) -> Skill | None:
        return next((s for s in self.skills if s.id == skill_id), None)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def family(self, family_id: str) -> ItemFamily | None:
        return next((f for f in self.families if f.id == family_id), None)

    def misconceptions(self) -> dict[str, Misconception]:
        return {m.id: m for s in self.skills for m in s.misconceptions}
