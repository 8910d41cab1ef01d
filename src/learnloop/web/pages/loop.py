"""The learner's pages for the micro loop: the next step, the lesson, the pulse, the items with
their feedback, and the end of a step with the step after it.

Every page is a plain form post followed by a redirect (303) to the step page, which shows
whatever the step needs next; only an answer is rendered at once, because its feedback is the
point of answering. Nothing here needs JavaScript.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from learnloop.domain.content.model import ItemType, Pack
from learnloop.domain.content.variants import Item
from learnloop.domain.errors import Conflict, InvalidInput
from learnloop.domain.grading import MAX_TEXT
from learnloop.domain.grading import Response as Given
from learnloop.domain.problems import Problem
from learnloop.services import loop, retention
from learnloop.services.auth import Authenticated
from learnloop.services.loop import Stage
from learnloop.services.ports import StoredStep
from learnloop.web import csrf
from learnloop.web.deps import (
    SLUG_PATTERN,
    UUID_PATTERN,
    AttemptId,
    CurrentUser,
    LessonId,
    LoopContext,
    LoopDep,
    NowDep,
    SectionSlug,
    Slug,
    StepId,
)
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(max_length=200)]

KIND_NAMES = {"lesson": "Lesson", "recheck": "Re-check", "remediation": "Catch-up",
              "practice": "Practice", "transfer": "Transfer"}
CONFIDENCE_SCALE = ((1, "Not at all"), (2, "Unsure"), (3, "Fairly"), (4, "Sure"),
                    (5, "Very sure"))
RELEVANCE_SCALE = ((1, "Not at all"), (2, "Hardly"), (3, "In part"), (4, "Mostly"),
                   (5, "Fully"))


# --- dates as a person reads them ---


def when(at: datetime, now: datetime, timezone: str) -> str:
    """'today at 14:05', 'tomorrow at 09:00', 'on Thursday', 'on 12 Nov', in the person's zone."""
    zone = ZoneInfo(timezone)
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    clock = local.strftime("%H:%M")
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days == -1:
        return f"yesterday at {clock}"
    if 1 < days < 7:
        return f"on {local.strftime('%A')}"
    date = f"{local.day} {local.strftime('%b')}"
    return f"on {date}" if local.year == today.year else f"on {date} {local.year}"


# --- home ---


@dataclass(frozen=True, slots=True)
class SkillRow:
    name: str
    percent: int | None  # None: not started
    answers: int
    correct: int
    confidence: int | None


@dataclass(frozen=True, slots=True)
class RecentRow:
    id: str
    title: str
    kind: str
    done: bool
    when: str


@dataclass(frozen=True, slots=True)
class LearnerHome:
    """What the home page shows a person about their own learning in one pack."""

    home: loop.Home
    pack_slug: str
    pack_title: str
    action: str  # "Start" or "Continue"
    kind: str | None
    reason: str | None
    due_skills: list[tuple[str, int]]  # (skill name, how many re-checks) due today
    due_count: int
    next_recheck: str | None  # "Deliverability tomorrow at 09:00"
    skills: list[SkillRow]
    lessons_done: int
    lessons_total: int
    recent: list[RecentRow]
    retention: retention.PersonRetention


def _title_of(step: StoredStep, pack: Pack) -> str:
    lesson = pack.lesson(step.lesson) if step.lesson and step.pack == pack.id else None
    if lesson is not None:
        return lesson.title
    skill = pack.skill(step.skill) if step.pack == pack.id else None
    return f"{KIND_NAMES.get(step.kind, step.kind)}: {skill.name if skill else step.skill}"


def learner_home(ctx: LoopContext, user: Authenticated, now: datetime,
                 pack_slug: str | None = None) -> LearnerHome:
    found = loop.home(ctx.store, ctx.packs, user.actor, now, pack_slug=pack_slug)
    pack = found.pack.pack
    tz = user.person.timezone
    open_step, preview = found.open_step, found.next_step
    kind = open_step.kind if open_step else preview.kind.value if preview else ""
    due = Counter(d.skill_name for d in found.due_today)
    later = found.due_later[0] if found.due_later else None
    return LearnerHome(
        home=found, pack_slug=found.pack.version.pack_slug, pack_title=pack.title,
        action="Continue" if open_step else "Start",
        kind=KIND_NAMES.get(kind),
        reason=open_step.reason if open_step else preview.reason if preview else None,
        due_skills=sorted(due.items()), due_count=len(found.due_today),
        next_recheck=f"{later.skill_name} {when(later.due, now, tz)}" if later else None,
        skills=[SkillRow(s.name, None if s.probability is None else round(s.probability * 100),
                         s.answers, s.correct, s.confidence) for s in found.skills],
        lessons_done=found.lessons_done, lessons_total=len(pack.lessons),
        recent=[RecentRow(s.id, _title_of(s, pack), KIND_NAMES.get(s.kind, s.kind),
                          s.finished_at is not None, when(s.created_at, now, tz))
                for s in found.recent],
        retention=retention.person_retention(ctx.store, user.actor, user.person.id),
    )


# --- starting a step ---


def _to_step(step: StoredStep) -> RedirectResponse:
    return RedirectResponse(f"/steps/{step.id}", status_code=303)


@router.post("/steps/next")
def start_next(ctx: LoopDep, user: CurrentUser, now: NowDep, csrf_token: CsrfField = "",
               pack: Annotated[str, Form(pattern=r"^$|" + SLUG_PATTERN)] = "") -> Response:
    """Continue the open step, or start the one the policy chooses."""
    csrf.check_session(user, csrf_token)
    return _to_step(loop.start_next(ctx.store, ctx.packs, user.actor, now, ctx.new_id, ctx.rng,
                                    pack or None))


@router.post("/learn/{pack_slug}/lessons/{lesson_id}/start")
def start_lesson(pack_slug: Slug, lesson_id: LessonId, ctx: LoopDep, user: CurrentUser,
                 now: NowDep, csrf_token: CsrfField = "") -> Response:
    """A lesson the learner picked, with its check (or the open step of that lesson)."""
    csrf.check_session(user, csrf_token)
    return _to_step(loop.start_lesson(ctx.store, ctx.packs, user.actor, pack_slug, lesson_id,
                                      now, ctx.new_id, ctx.rng))


# --- the step page ---


def _stages(step: StoredStep) -> list[tuple[str, str]]:
    """The stages this step goes through, as (stage, label) for the progress line."""
    stages = []
    if step.lesson:
        stages.append((Stage.LESSON.value, "Read"))
        if step.kind == "lesson":
            stages.append((Stage.LESSON_PULSE.value, "Rate it"))
    stages += [(Stage.ITEMS.value, "Questions"), (Stage.PULSE.value, "Check-in"),
               (Stage.DONE.value, "Next step")]
    return stages


def _step_title(view: loop.StepView) -> str:
    if view.lesson is not None and view.step.section is None:
        return view.lesson.title
    skill = view.pack.pack.skill(view.step.skill)
    name = skill.name if skill else view.step.skill
    return f"{KIND_NAMES.get(view.step.kind, view.step.kind)}: {name}"


def _page(request: Request, template: str, user: Authenticated, view: loop.StepView,
          stage: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, template, user, status_code=status_code, view=view,
                  step=view.step, stage=stage, stages=_stages(view.step),
                  current=[s for s, _ in _stages(view.step)].index(stage),
                  title=_step_title(view), kind=KIND_NAMES.get(view.step.kind, view.step.kind),
                  **context)


def _conflict(request: Request, user: Authenticated, exc: Conflict,
              step_id: str | None) -> HTMLResponse:
    return render(request, "step_conflict.html", user, status_code=409, message=exc.message,
                  step_id=step_id)


@router.get("/steps/{step_id}", response_class=HTMLResponse)
def step_page(request: Request, step_id: StepId, ctx: LoopDep, user: CurrentUser, now: NowDep,
              section: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    """Whatever the step needs next: the lesson, a pulse, the current item, or its end."""
    view = loop.step_view(ctx.store, ctx.packs, user.actor, step_id)
    if view.stage is Stage.LESSON:
        return _lesson_page(request, user, loop.open_lesson(
            ctx.store, ctx.packs, user.actor, step_id, now, ctx.new_id), section)
    if view.stage in (Stage.LESSON_PULSE, Stage.PULSE):
        return _pulse_page(request, user, view)
    if view.stage is Stage.ITEMS:
        served = loop.serve_item(ctx.store, ctx.packs, user.actor, step_id, now, ctx.new_id,
                                 ctx.rng)
        return _item_page(request, user, view, served)
    return _done_page(request, ctx, user, now, view)


# lesson


def _lesson_page(request: Request, user: Authenticated, view: loop.StepView,
                 number: int) -> HTMLResponse:
    sections = view.sections
    index = min(number, max(len(sections), 1)) - 1
    return _page(request, "step_lesson.html", user, view, Stage.LESSON.value,
                 sections=sections, index=index,
                 section=sections[index] if sections else None,
                 last=index >= len(sections) - 1,
                 remedial=view.step.section is not None)


@router.post("/steps/{step_id}/sections/{section}/viewed")
def section_viewed(request: Request, step_id: StepId, section: SectionSlug, ctx: LoopDep,
                   user: CurrentUser, now: NowDep, csrf_token: CsrfField = "") -> Response:
    """'Got it' on one section: recorded, then on to the next section."""
    csrf.check_session(user, csrf_token)
    loop.view_section(ctx.store, ctx.packs, user.actor, step_id, section, now, ctx.new_id)
    slugs = [s.slug for s in loop.step_view(ctx.store, ctx.packs, user.actor, step_id).sections]
    return RedirectResponse(f"/steps/{step_id}?section={slugs.index(section) + 2}#lesson",
                            status_code=303)


@router.post("/steps/{step_id}/lesson/complete")
def lesson_complete(request: Request, step_id: StepId, ctx: LoopDep, user: CurrentUser,
                    now: NowDep, csrf_token: CsrfField = "",
                    section: Annotated[str, Form(pattern=r"^$|^[a-z0-9][a-z0-9-]{0,199}$")] = ""
                    ) -> Response:
    """'I've read it': the last section read, the lesson done, on to the pulse or the items."""
    csrf.check_session(user, csrf_token)
    try:
        view = loop.step_view(ctx.store, ctx.packs, user.actor, step_id)
        if section and view.step.section is None and view.stage is Stage.LESSON:
            loop.view_section(ctx.store, ctx.packs, user.actor, step_id, section, now,
                              ctx.new_id)
        loop.complete_lesson(ctx.store, ctx.packs, user.actor, step_id, now, ctx.new_id)
    except Conflict as exc:
        return _conflict(request, user, exc, step_id)
    return RedirectResponse(f"/steps/{step_id}", status_code=303)


# pulse


def _pulse_page(request: Request, user: Authenticated, view: loop.StepView,
                errors: dict[str, str] | None = None, given: dict[str, Any] | None = None,
                status_code: int = 200) -> HTMLResponse:
    on_lesson = view.stage is Stage.LESSON_PULSE
    answered = [a for a in view.attempts if a.answered_at is not None]
    return _page(request, "step_pulse.html", user, view, view.stage.value,
                 status_code=status_code, on_lesson=on_lesson, answered=len(answered),
                 right=sum(1 for a in answered if a.grade and a.grade.get("success")),
                 confidence_scale=CONFIDENCE_SCALE, relevance_scale=RELEVANCE_SCALE,
                 errors=errors or {}, given=given or {}, max_comment=loop.MAX_COMMENT)


def _whole(value: str | None) -> int | str | None:
    return int(value) if value and value.isdigit() and len(value) < 3 else value


@router.post("/steps/{step_id}/pulse", response_class=HTMLResponse)
def pulse(request: Request, step_id: StepId, ctx: LoopDep, user: CurrentUser, now: NowDep,
          csrf_token: CsrfField = "",
          confidence: Annotated[str | None, Form(max_length=10)] = None,
          relevance: Annotated[str | None, Form(max_length=10)] = None,
          comment: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """How sure are you, can you apply it today, and an optional comment."""
    csrf.check_session(user, csrf_token)
    view = loop.step_view(ctx.store, ctx.packs, user.actor, step_id)
    if view.stage not in (Stage.LESSON_PULSE, Stage.PULSE):
        return _conflict(request, user, Conflict(
            "This check-in was already sent; each one is asked once."), step_id)
    on = "lesson" if view.stage is Stage.LESSON_PULSE else "check"
    sure, useful = _whole(confidence), _whole(relevance)
    text = comment.replace("\r\n", "\n") or None
    problems = loop.check_pulse(on, sure, useful, text)
    if problems:
        bad = {p.field for p in problems}
        errors = {}
        if "confidence" in bad:
            errors["confidence"] = "Choose how sure you are, from 1 to 5."
        if "relevance" in bad:
            errors["relevance"] = "Choose how much you can apply it today, from 1 to 5."
        if "comment" in bad:
            errors["comment"] = (f"Keep the comment to {loop.MAX_COMMENT} characters or fewer "
                                 f"(it has {len(text or '')}).")
        return _pulse_page(request, user, view, errors, {
            "confidence": sure, "relevance": useful, "comment": comment}, status_code=400)
    assert isinstance(sure, int)
    assert isinstance(useful, int)
    try:
        loop.give_pulse(ctx.store, ctx.packs, user.actor, step_id, on, sure, useful, text, now,
                        ctx.new_id, ctx.sentiment)
    except Conflict as exc:
        return _conflict(request, user, exc, step_id)
    return RedirectResponse(f"/steps/{step_id}", status_code=303)


# items


def _item_page(request: Request, user: Authenticated, view: loop.StepView, served: loop.Served,
               errors: list[Problem] | None = None, given: Given | None = None,
               raw_number: str = "", status_code: int = 200) -> HTMLResponse:
    item = served.item
    return _page(request, "step_item.html", user, view, Stage.ITEMS.value,
                 status_code=status_code, served=served, item=item,
                 multiple=item.type is ItemType.MULTIPLE_CHOICE,
                 errors=[p.message for p in errors or []], given=given or Given(),
                 raw_number=raw_number, max_text=MAX_TEXT)


def _number(raw: str | None) -> tuple[float | None, str | None]:
    """The number typed, or why it is not one (the grader names a missing number itself)."""
    if raw is None or not raw.strip():
        return None, None
    text = raw.strip().replace("\u2212", "-")
    for unit in ("%",):
        text = text.removesuffix(unit).strip()
    try:
        value = float(text)
    except ValueError:
        return None, (f"\u201c{raw.strip()[:40]}\u201d is not a number: write digits with an "
                      "optional minus sign and one decimal point, like 2.5 or 1250.")
    if not math.isfinite(value):
        return None, "The number must be finite."
    return value, None


def with_unit(value: float, unit: str | None) -> str:
    number = format(value, ",.12g")
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def _shown(item: Item, given: Given) -> str:
    """The learner's answer in words."""
    if item.type is ItemType.NUMERIC:
        return "" if given.number is None else with_unit(given.number, item.unit)
    if item.type is ItemType.FREE_TEXT:
        return given.text or ""
    texts = {o.id: o.text for o in item.options}
    return "; ".join(texts.get(c, c) for c in given.choices)


@router.post("/items/{attempt_id}/answer", response_class=HTMLResponse)
def answer(request: Request, attempt_id: AttemptId, ctx: LoopDep, user: CurrentUser,
           now: NowDep, csrf_token: CsrfField = "",
           step: Annotated[str, Form(pattern=UUID_PATTERN)] = "",
           choice: Annotated[list[str] | None, Form(max_length=20)] = None,
           number: Annotated[str | None, Form(max_length=100)] = None,
           text: Annotated[str | None, Form(max_length=20_000)] = None) -> Response:
    """Grade at once and show the feedback; a malformed answer shows the item again."""
    csrf.check_session(user, csrf_token)
    value, not_a_number = _number(number)
    given = Given(choices=tuple(c[:64] for c in choice or ()), number=value,
                  text=text.replace("\r\n", "\n") if text is not None else None)
    try:
        answered = loop.answer(ctx.store, ctx.packs, user.actor, attempt_id, given, now,
                               ctx.new_id)
    except InvalidInput as exc:
        if not step:
            raise
        problems = [Problem(p.where, not_a_number, field=p.field)
                    if not_a_number and p.field == "answer.number" else p
                    for p in exc.problems]
        view = loop.step_view(ctx.store, ctx.packs, user.actor, step)
        served = loop.serve_item(ctx.store, ctx.packs, user.actor, step, now, ctx.new_id,
                                 ctx.rng)
        return _item_page(request, user, view, served, problems, given, number or "",
                          status_code=400)
    except Conflict as exc:
        return _conflict(request, user, exc, step or None)
    view = loop.step_view(ctx.store, ctx.packs, user.actor, answered.step.id)
    family = view.pack.pack.family(answered.item.family_id)
    criteria = {c.id: c.description for c in family.rubric.criteria} \
        if family is not None and family.rubric is not None else {}
    g = answered.grade
    return _page(request, "step_feedback.html", user, view, Stage.ITEMS.value,
                 answered=answered, item=answered.item, grade=g,
                 position=answered.step.items_answered, total=len(answered.step.families),
                 yours=_shown(answered.item, given),
                 partial=0 < g.score < 1,
                 met=[criteria.get(c, c) for c in g.criteria_met],
                 missed=[criteria.get(c, c) for c in g.criteria_missed],
                 more=answered.next_stage is Stage.ITEMS)


# the end of a step


def _done_page(request: Request, ctx: LoopContext, user: Authenticated, now: datetime,
               view: loop.StepView) -> HTMLResponse:
    answered = [a for a in view.attempts if a.answered_at is not None and a.grade]
    scores = [float(a.grade["score"]) for a in answered if a.grade]
    labels = list(dict.fromkeys(m["label"] for a in answered if a.grade
                                for m in a.grade.get("misconceptions", [])))
    slug = view.pack.version.pack_slug
    after = loop.home(ctx.store, ctx.packs, user.actor, now, pack_slug=slug)
    skill = next((s for s in after.skills if s.id == view.step.skill), None)
    took = (view.step.finished_at or now) - view.step.created_at
    return _page(request, "step_done.html", user, view, Stage.DONE.value,
                 answered=len(answered),
                 right=sum(1 for a in answered if a.grade and a.grade.get("success")),
                 score=round(100 * sum(scores) / len(scores)) if scores else None,
                 labels=labels, skill=skill,
                 mastery=None if skill is None or skill.probability is None
                 else round(skill.probability * 100),
                 minutes=max(1, round(took / timedelta(minutes=1))),
                 next_step=after.next_step, open_step=after.open_step,
                 next_kind=KIND_NAMES.get(after.next_step.kind.value, "")
                 if after.next_step else None,
                 pack_slug=slug)
