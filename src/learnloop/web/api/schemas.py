"""Request and response bodies of the JSON API. Requests are strict: no silent coercion."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from learnloop.domain.people import Person, Team
from learnloop.domain.problems import has_nul
from learnloop.services.retention import (
    PersonRetention,
    RetentionFigure,
    TeamRetention,
)

STRICT = ConfigDict(strict=True, extra="forbid")


def _nul_free(value: object) -> object:
    texts = [value] if isinstance(value, str) else (
        list(value) if isinstance(value, list) else
        [*value.keys(), *value.values()] if isinstance(value, dict) else [])
    if any(isinstance(t, str) and has_nul(t) for t in texts):
        raise ValueError("must not contain a NUL character")
    return value


class RequestBody(BaseModel):
    """Every request body: strict types, no unknown fields, no NUL characters in text."""

    model_config = STRICT

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return _nul_free(value)


class ProblemOut(BaseModel):
    where: str
    message: str
    severity: str
    field: str | None = None
    line: int | None = None


class ErrorOut(BaseModel):
    error: str
    message: str
    problems: list[ProblemOut] | None = None


class PersonOut(BaseModel):
    id: int
    email: str
    name: str
    external_id: str | None
    timezone: str
    working_hours: str
    manager_id: int | None
    roles: list[str]
    active: bool

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        return cls(id=p.id, email=p.email, name=p.name, external_id=p.external_id,
                   timezone=p.timezone, working_hours=p.working_hours, manager_id=p.manager_id,
                   roles=sorted(r.value for r in p.roles), active=p.active)


class MeOut(PersonOut):
    organisation: str
    reports: list[int]


class PersonIn(RequestBody):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    external_id: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    parent_team: str | None = Field(default=None, max_length=200)
    manager_email: str | None = Field(default=None, max_length=254)
    manages: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=lambda: ["learner"])
    timezone: str | None = Field(default=None, max_length=64)
    working_hours: str | None = Field(default=None, max_length=11)


class PersonPatch(RequestBody):
    """Only the fields sent are changed; `manager_email: null` removes the manager."""

    name: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    working_hours: str | None = Field(default=None, max_length=11)
    manager_email: str | None = Field(default=None, max_length=254)
    roles: list[str] | None = None
    active: bool | None = None
    team: str | None = Field(default=None, max_length=200)


class TeamOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    manager_id: int | None

    @classmethod
    def of(cls, t: Team) -> TeamOut:
        return cls(id=t.id, name=t.name, parent_id=t.parent_id, manager_id=t.manager_id)


class RetentionOut(BaseModel):
    """Answers given when a re-check was due: the share right (true retention), with its 95%
    Wilson interval, beside the share the memory model expected and the target it schedules
    for."""

    due_rechecks: int
    recalled: int
    measured: float | None
    interval: tuple[float, float] | None
    expected: float | None
    target: float

    @classmethod
    def of(cls, f: RetentionFigure) -> RetentionOut:
        return cls(due_rechecks=f.checks, recalled=f.recalled, measured=f.measured,
                   interval=f.interval, expected=f.expected, target=f.target)


class PersonRetentionOut(BaseModel):
    person_id: int
    retention: RetentionOut
    personal_parameters: bool = Field(
        description="true when the person's own fitted memory parameters schedule them")
    reason: str = Field(description="why those parameters: the last fit's verdict")
    fitted_at: datetime | None

    @classmethod
    def of(cls, r: PersonRetention) -> PersonRetentionOut:
        return cls(person_id=r.person_id, retention=RetentionOut.of(r.figure),
                   personal_parameters=r.personal, reason=r.reason, fitted_at=r.fitted_at)


class TeamRetentionOut(BaseModel):
    team_id: int
    members: int
    counted: int = Field(description="members with at least one due re-check")
    retention: RetentionOut | None = Field(
        description="null while fewer members than the organisation's minimum group size "
                    "have due re-checks")
    personal_parameters: int = Field(description="members scheduled from their own fit")

    @classmethod
    def of(cls, r: TeamRetention) -> TeamRetentionOut:
        return cls(team_id=r.team_id, members=r.members, counted=r.counted,
                   retention=RetentionOut.of(r.figure) if r.figure else None,
                   personal_parameters=r.personal)


class TeamIn(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    parent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    manager_email: str | None = Field(default=None, max_length=254)


class TeamPatch(RequestBody):
    """Only the fields sent are changed; null clears the parent or the manager."""

    name: str | None = Field(default=None, max_length=200)
    parent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    manager_email: str | None = Field(default=None, max_length=254)


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    teams_created: int


class TokenIn(RequestBody):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; only a hash is stored.")


class VersionOut(BaseModel):
    pack: str
    number: int
    title: str
    digest: str
    published_at: datetime
    summary: dict[str, Any]


class PackIn(RequestBody):
    files: dict[str, str] = Field(description="Pack files by relative path, e.g. "
                                              "'pack.yaml', 'lessons/intro.md'.")


class PublishOut(BaseModel):
    version: VersionOut
    unchanged: bool
    warnings: list[ProblemOut]


class SkillOut(BaseModel):
    id: str
    name: str
    behaviour: str
    in_work: str
    lessons: list[str]


class SectionOut(BaseModel):
    slug: str
    title: str
    markdown: str


class LessonOut(BaseModel):
    id: str
    skill: str
    title: str
    objective: str
    minutes: int
    prerequisites: list[str]
    intro: str
    sections: list[SectionOut]


class OptionOut(BaseModel):
    id: str
    text: str
    correct: bool | None = None
    misconception: str | None = None
    feedback: str | None = None


class ItemOut(BaseModel):
    family: str
    variant: int
    skill: str
    type: str
    context: str
    stem: str
    options: list[OptionOut]
    unit: str | None = None
    answer: float | None = None
    tolerance: float | None = None
    feedback: str | None = None
