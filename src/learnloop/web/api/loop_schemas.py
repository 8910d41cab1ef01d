"""Bodies of the learning-loop API: steps, items, answers, pulses and the learner's home."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from learnloop.domain.content.variants import Item
from learnloop.domain.learner import policy
from learnloop.services import loop
from learnloop.web.api.schemas import RequestBody


class NextStepOut(BaseModel):
    kind: str = Field(description="recheck, remediation, lesson, practice or transfer")
    skill: str
    reason: str = Field(description="One sentence for the learner: why this step, now")
    lesson: str | None = None
    section: str | None = None
    items: int = Field(description="How many items the step asks")

    @classmethod
    def of(cls, step: policy.Step) -> NextStepOut:
        return cls(kind=step.kind.value, skill=step.skill, reason=step.reason,
                   lesson=step.lesson, section=step.section, items=len(step.families))


class SectionOut(BaseModel):
    slug: str
    title: str
    markdown: str


class StepOut(BaseModel):
    id: str = Field(description="The step id, also the xAPI registration of its statements")
    pack: str
    kind: str
    skill: str
    reason: str
    stage: str = Field(description="lesson, lesson_pulse, items, pulse or done")
    lesson: str | None = None
    lesson_title: str | None = None
    sections: list[SectionOut] = []
    items_total: int
    items_answered: int
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def of(cls, view: loop.StepView) -> StepOut:
        s = view.step
        return cls(id=s.id, pack=s.pack, kind=s.kind, skill=s.skill, reason=s.reason,
                   stage=view.stage.value, lesson=s.lesson,
                   lesson_title=view.lesson.title if view.lesson else None,
                   sections=[SectionOut(slug=x.slug, title=x.title, markdown=x.body)
                             for x in view.sections],
                   items_total=len(s.families), items_answered=s.items_answered,
                   created_at=s.created_at, finished_at=s.finished_at)


class OptionOut(BaseModel):
    id: str
    text: str


class ItemOut(BaseModel):
    attempt: str = Field(description="Answer with POST /api/v1/items/{attempt}/answer")
    step: str
    type: str = Field(description="single_choice, multiple_choice, numeric or free_text")
    stem: str
    options: list[OptionOut] = []
    unit: str | None = None
    position: int
    total: int
    expires_at: datetime

    @classmethod
    def of(cls, served: loop.Served) -> ItemOut:
        item: Item = served.item
        return cls(attempt=served.attempt.id, step=served.step.id, type=item.type.value,
                   stem=item.stem, options=[OptionOut(id=o.id, text=o.text)
                                            for o in item.options],
                   unit=item.unit, position=served.position, total=served.total,
                   expires_at=served.attempt.expires_at)


class AnswerIn(RequestBody):
    """Exactly one of the three, matching the item's type."""

    choices: Annotated[list[Annotated[str, Field(max_length=64)]] | None,
                       Field(max_length=20)] = None
    number: float | int | None = None
    text: Annotated[str | None, Field(max_length=2000)] = None


class MisconceptionOut(BaseModel):
    id: str
    label: str = Field(description="Completes 'You ...'")


class AnswerOut(BaseModel):
    attempt: str
    score: float
    success: bool
    correct_answer: str
    feedback: list[str]
    misconceptions: list[MisconceptionOut]
    criteria_met: list[str]
    criteria_missed: list[str]
    next: str = Field(description="What the step needs next: items, pulse or done")

    @classmethod
    def of(cls, answered: loop.Answer) -> AnswerOut:
        g = answered.grade
        return cls(attempt=answered.attempt.id, score=g.score, success=g.success,
                   correct_answer=g.correct_answer, feedback=list(g.feedback),
                   misconceptions=[MisconceptionOut(id=m, label=label)
                                   for m, label in answered.labels],
                   criteria_met=list(g.criteria_met), criteria_missed=list(g.criteria_missed),
                   next=answered.next_stage.value)


class PulseIn(RequestBody):
    on: Literal["lesson", "check"]
    confidence: Annotated[int, Field(ge=1, le=5, description="How sure are you? 1 to 5")]
    relevance: Annotated[int, Field(ge=1, le=5,
                                    description="Can you apply this today? 1 to 5")]
    comment: Annotated[str | None, Field(max_length=1000)] = None


class SkillOut(BaseModel):
    id: str
    name: str
    mastery: float | None = Field(description="P(next answer right); null before any answer")
    answers: int
    correct: int
    confidence: int | None


class DueOut(BaseModel):
    family: str
    skill: str
    skill_name: str
    due: datetime


class HomeOut(BaseModel):
    person: int
    pack: str
    pack_version: int
    skills: list[SkillOut]
    due_today: list[DueOut]
    due_later: list[DueOut]
    weeks_in_a_row: int
    lessons_done: int
    lessons_total: int
    next_step: NextStepOut | None
    open_step: str | None

    @classmethod
    def of(cls, home: loop.Home) -> HomeOut:
        return cls(
            person=home.learner.person.id, pack=home.pack.pack.id,
            pack_version=home.pack.version.number,
            skills=[SkillOut(id=s.id, name=s.name, mastery=s.probability, answers=s.answers,
                             correct=s.correct, confidence=s.confidence) for s in home.skills],
            due_today=[_due(d) for d in home.due_today],
            due_later=[_due(d) for d in home.due_later],
            weeks_in_a_row=home.weeks_in_a_row, lessons_done=home.lessons_done,
            lessons_total=len(home.pack.pack.lessons),
            next_step=NextStepOut.of(home.next_step) if home.next_step else None,
            open_step=home.open_step.id if home.open_step else None)


def _due(d: loop.DueLine) -> DueOut:
    return DueOut(family=d.family, skill=d.skill, skill_name=d.skill_name, due=d.due)

