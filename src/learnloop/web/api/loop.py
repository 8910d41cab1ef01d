"""JSON API for the micro loop: home and due list, next step, lesson, items, answers, pulse.

Changes take a bearer token (`Authorization: Bearer ll_...`), like the rest of the API.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from learnloop.domain.grading import Response
from learnloop.services import loop
from learnloop.web.api.loop_schemas import (
    AnswerIn,
    AnswerOut,
    DueOut,
    HomeOut,
    ItemOut,
    NextStepOut,
    PulseIn,
    StepOut,
)
from learnloop.web.api.people import ERRORS
from learnloop.web.api.schemas import ErrorOut
from learnloop.web.deps import (
    AttemptId,
    CurrentUser,
    LessonId,
    LoopDep,
    NowDep,
    PackQuery,
    RowId,
    SectionSlug,
    Slug,
    StepId,
)

LOOP_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    409: {"model": ErrorOut, "description": "The request clashes with the step's state: "
          "an item already answered, expired or not served to you, or the wrong stage"},
}
router = APIRouter(prefix="/api/v1", tags=["learning"], responses=LOOP_ERRORS)


@router.get("/me/home", response_model=HomeOut)
def my_home(ctx: LoopDep, user: CurrentUser, now: NowDep, pack: PackQuery = None) -> HomeOut:
    """Due re-checks, mastery per skill, weeks active in a row and the next step."""
    return HomeOut.of(loop.home(ctx.store, ctx.packs, user.actor, now, pack_slug=pack))


@router.get("/people/{person_id}/home", response_model=HomeOut)
def person_home(person_id: RowId, ctx: LoopDep, user: CurrentUser, now: NowDep,
                pack: PackQuery = None) -> HomeOut:
    """The same for one of your reports (managers) or anyone (admins)."""
    return HomeOut.of(loop.home(ctx.store, ctx.packs, user.actor, now, person_id, pack))


@router.get("/me/due", response_model=list[DueOut])
def my_due(ctx: LoopDep, user: CurrentUser, now: NowDep, pack: PackQuery = None
           ) -> list[DueOut]:
    """Every item family with a scheduled re-check, soonest first."""
    return [DueOut(family=d.family, skill=d.skill, skill_name=d.skill_name, due=d.due)
            for d in loop.due_list(ctx.store, ctx.packs, user.actor, now, pack_slug=pack)]


@router.get("/me/next-step", response_model=NextStepOut | None)
def preview_next_step(ctx: LoopDep, user: CurrentUser, now: NowDep,
                      pack: PackQuery = None) -> NextStepOut | None:
    """What the policy would choose now, and why (nothing is recorded)."""
    found = loop.home(ctx.store, ctx.packs, user.actor, now, pack_slug=pack).next_step
    return NextStepOut.of(found) if found else None


@router.post("/me/next-step", response_model=StepOut, status_code=status.HTTP_201_CREATED)
def take_next_step(ctx: LoopDep, user: CurrentUser, now: NowDep,
                   pack: PackQuery = None) -> StepOut:
    """Start the step the policy chooses (or resume the open one)."""
    step = loop.start_next(ctx.store, ctx.packs, user.actor, now, ctx.new_id, ctx.rng, pack)
    return StepOut.of(loop.step_view(ctx.store, ctx.packs, user.actor, step.id))


@router.post("/packs/{pack_slug}/lessons/{lesson_id}/start", response_model=StepOut,
             status_code=status.HTTP_201_CREATED)
def start_lesson(pack_slug: Slug, lesson_id: LessonId, ctx: LoopDep, user: CurrentUser,
                 now: NowDep) -> StepOut:
    """Start a lesson you chose, with its check; records that it was launched."""
    step = loop.start_lesson(ctx.store, ctx.packs, user.actor, pack_slug, lesson_id, now,
                             ctx.new_id, ctx.rng)
    return StepOut.of(loop.open_lesson(ctx.store, ctx.packs, user.actor, step.id, now,
                                       ctx.new_id))


@router.get("/steps/{step_id}", response_model=StepOut)
def get_step(step_id: StepId, ctx: LoopDep, user: CurrentUser) -> StepOut:
    return StepOut.of(loop.step_view(ctx.store, ctx.packs, user.actor, step_id))


@router.post("/steps/{step_id}/lesson/open", response_model=StepOut)
def open_lesson(step_id: StepId, ctx: LoopDep, user: CurrentUser, now: NowDep) -> StepOut:
    """Records that the step's lesson was launched (once) and returns what to read."""
    return StepOut.of(loop.open_lesson(ctx.store, ctx.packs, user.actor, step_id, now,
                                       ctx.new_id))


@router.post("/steps/{step_id}/sections/{section}/viewed",
             status_code=status.HTTP_204_NO_CONTENT)
def section_viewed(step_id: StepId, section: SectionSlug, ctx: LoopDep, user: CurrentUser,
                   now: NowDep) -> None:
    loop.view_section(ctx.store, ctx.packs, user.actor, step_id, section, now, ctx.new_id)


@router.post("/steps/{step_id}/lesson/complete", response_model=StepOut)
def complete_lesson(step_id: StepId, ctx: LoopDep, user: CurrentUser, now: NowDep) -> StepOut:
    loop.complete_lesson(ctx.store, ctx.packs, user.actor, step_id, now, ctx.new_id)
    return StepOut.of(loop.step_view(ctx.store, ctx.packs, user.actor, step_id))


@router.post("/steps/{step_id}/items", response_model=ItemOut)
def next_item(step_id: StepId, ctx: LoopDep, user: CurrentUser, now: NowDep) -> ItemOut:
    """The step's current item: the open one again, or a fresh variant."""
    return ItemOut.of(loop.serve_item(ctx.store, ctx.packs, user.actor, step_id, now,
                                      ctx.new_id, ctx.rng))


@router.post("/items/{attempt_id}/answer", response_model=AnswerOut)
def answer_item(attempt_id: AttemptId, body: AnswerIn, ctx: LoopDep, user: CurrentUser,
                now: NowDep) -> AnswerOut:
    """Grade at once, with feedback per misconception; the answer is recorded as an xAPI
    statement together with the memory and mastery it changes."""
    response = Response(choices=tuple(body.choices or ()),
                        number=float(body.number) if body.number is not None else None,
                        text=body.text)
    return AnswerOut.of(loop.answer(ctx.store, ctx.packs, user.actor, attempt_id, response,
                                    now, ctx.new_id))


@router.post("/steps/{step_id}/pulse", response_model=StepOut)
def give_pulse(step_id: StepId, body: PulseIn, ctx: LoopDep, user: CurrentUser,
               now: NowDep) -> StepOut:
    """How sure are you, can you apply it today, and an optional comment."""
    loop.give_pulse(ctx.store, ctx.packs, user.actor, step_id, body.on, body.confidence,
                    body.relevance, body.comment, now, ctx.new_id, ctx.sentiment)
    return StepOut.of(loop.step_view(ctx.store, ctx.packs, user.actor, step_id))



