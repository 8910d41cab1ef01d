"""The micro loop: next step, lesson, check, pulse, and the home page's figures.

A *step* is one pass through the loop that the policy chose (or the learner picked from the
lesson list): an optional lesson or lesson section, a few items, and a pulse. Its id is the
xAPI registration of every statement written during it. Every event is a statement, written
together with the state it changes in the caller's transaction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.content import variants
from learnloop.domain.content.model import ItemType, Lesson, Section
from learnloop.domain.content.variants import Item
from learnloop.domain.errors import Conflict, InvalidInput, NotFound
from learnloop.domain.grading import Grade, Response, grade
from learnloop.domain.learner import policy
from learnloop.domain.learner.answer_model import LearnerTrace
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.learner.policy import LearnerView, StepKind
from learnloop.domain.learner.projection import weeks_in_a_row
from learnloop.domain.learner.selection import choose_variant
from learnloop.domain.people import Organisation, Person
from learnloop.domain.problems import Problem
from learnloop.domain.xapi import statements as xs
from learnloop.services import content
from learnloop.services.ports import (
    IdMaker,
    LearningStore,
    LoadedPack,
    PackLoader,
    Sentiment,
    StoredAttempt,
    StoredStep,
)
from learnloop.services.record import record

ATTEMPT_TTL = timedelta(minutes=30)


def _preview_random() -> random.Random:
    """The preview on the home page shows only the reason, so its draw need not vary."""
    return random.Random(0)  # noqa: S311 - not for security
MAX_COMMENT = 1000


class Stage(StrEnum):
    LESSON = "lesson"            # read the lesson (or the one section of a remediation)
    LESSON_PULSE = "lesson_pulse"
    ITEMS = "items"
    PULSE = "pulse"
    DONE = "done"


def stage_of(step: StoredStep) -> Stage:
    if step.finished_at is not None:
        return Stage.DONE
    if step.lesson is not None and step.lesson_completed_at is None:
        return Stage.LESSON
    if step.kind == StepKind.LESSON and step.lesson_pulse_at is None:
        return Stage.LESSON_PULSE
    if step.items_answered < len(step.families):
        return Stage.ITEMS
    return Stage.PULSE if step.pulse_at is None else Stage.DONE


@dataclass(frozen=True, slots=True)
class Learner:
    """Who is acting and on whose learning: `person` is the learner, `actor` the caller."""

    org: Organisation
    person: Person
    actor: Actor


def _memo(store: LearningStore) -> dict[object, Any]:
    """Facts that do not change within one transaction (people, organisation, published
    packs), remembered on the transaction's repositories so one request looks them up once."""
    memo: dict[object, Any] = vars(store).setdefault("_loop_memo", {})
    return memo


def learner_of(store: LearningStore, actor: Actor, person_id: int | None = None,
               action: Action = Action.TAKE_STEP) -> Learner:
    person_id = person_id if person_id is not None else actor.person_id
    require(actor, action, Target(actor.org_id, person_id))
    memo = _memo(store)
    key = ("learner", actor.org_id, person_id)
    if key not in memo:
        person = store.people.person(actor.org_id, person_id)
        org = store.people.organisation(actor.org_id)
        if person is None or org is None:
            raise NotFound(f"No person {person_id}.")
        memo[key] = (org, person)
    org, person = memo[key]
    return Learner(org, person, actor)


def catalogues(store: LearningStore, packs: PackLoader, org_id: int) -> dict[str, Catalogue]:
    """The latest published version of each pack: what statements are projected against."""
    memo = _memo(store)
    key = ("catalogues", org_id)
    if key not in memo:
        latest: dict[str, Catalogue] = {}
        for version in store.content.versions(org_id):  # newest first within a pack
            if version.pack_slug not in latest:
                latest[version.pack_slug] = packs(version).catalogue
        memo[key] = latest
    found: dict[str, Catalogue] = memo[key]
    return found


def _loaded(store: LearningStore, packs: PackLoader, actor: Actor,
            pack_slug: str | None) -> LoadedPack:
    if pack_slug is not None:
        return packs(content.find_version(store.content, actor, pack_slug))
    versions = content.latest_versions(store.content, actor)
    if not versions:
        raise NotFound("No content pack has been published yet.")
    return packs(versions[0])


def _view(store: LearningStore, person: Person, pack: str) -> LearnerView:
    return LearnerView(store.learner.skills(person.id, pack),
                       store.learner.memories(person.id, pack),
                       store.learner.lessons(person.id, pack),
                       {f: found.parameters
                        for f, found in store.calibration.items(person.org_id, pack).items()},
                       store.learner.trace(person.id, pack) or LearnerTrace(),
                       store.learner.answer_model(person.id, pack))


def _scope(learner: Learner, loaded: LoadedPack) -> xs.Scope:
    return xs.Scope(learner.org.slug, loaded.version.pack_slug, loaded.version.number)


def _record(store: LearningStore, packs: PackLoader, learner: Learner,
            documents: list[dict[str, Any]], now: datetime) -> None:
    record(store.statements, store.learner, learner.org, learner.person, documents,
           catalogues(store, packs, learner.org.id), now)


# --- home ---


@dataclass(frozen=True, slots=True)
class SkillLine:
    id: str
    name: str
    probability: float | None
    answers: int
    correct: int
    confidence: int | None


@dataclass(frozen=True, slots=True)
class DueLine:
    family: str
    skill: str
    skill_name: str
    due: datetime


@dataclass(frozen=True, slots=True)
class Home:
    learner: Learner
    pack: LoadedPack
    skills: list[SkillLine]
    due_today: list[DueLine]
    due_later: list[DueLine]
    weeks_in_a_row: int
    next_step: policy.Step | None
    open_step: StoredStep | None
    lessons_done: int
    recent: list[StoredStep]


def end_of_day(at: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0), zone) \
        - timedelta(microseconds=1)


def home(store: LearningStore, packs: PackLoader, actor: Actor, now: datetime,
         person_id: int | None = None, pack_slug: str | None = None) -> Home:
    """What is due today, mastery per skill, weeks active in a row and the next step."""
    learner = learner_of(store, actor, person_id, Action.VIEW_PERSON)
    loaded = _loaded(store, packs, actor, pack_slug)
    pack = loaded.pack
    view = _view(store, learner.person, pack.id)
    skills = [SkillLine(s.id, s.name, view.mastery(s.id, now),
                        st.answers if (st := view.skills.get(s.id)) else 0,
                        st.correct if st else 0, st.confidence if st else None)
              for s in pack.skills]
    horizon = end_of_day(now, learner.person.timezone)
    names = {s.id: s.name for s in pack.skills}
    due = sorted((DueLine(fid, f.skill, names.get(f.skill, f.skill), m.due)
                  for fid, m in view.memories.items()
                  if (f := pack.family(fid)) is not None), key=lambda d: d.due)
    local_today = now.astimezone(ZoneInfo(learner.person.timezone)).date()
    open_steps = [s for s in store.steps.open_steps(learner.person.id) if s.pack == pack.id]
    return Home(
        learner=learner, pack=loaded, skills=skills,
        due_today=[d for d in due if d.due <= horizon],
        due_later=[d for d in due if d.due > horizon],
        weeks_in_a_row=weeks_in_a_row(store.learner.weeks(learner.person.id), local_today),
        next_step=policy.next_step(pack, view, now, _preview_random()),
        open_step=open_steps[0] if open_steps else None,
        lessons_done=sum(1 for p in view.lessons.values() if p.completed_at is not None),
        recent=store.steps.recent_steps(learner.person.id, 5),
    )


# --- starting a step ---


def _new_step(store: LearningStore, learner: Learner, loaded: LoadedPack, chosen: policy.Step,
              now: datetime, new_id: IdMaker) -> StoredStep:
    step = StoredStep(new_id(), learner.person.id, loaded.version.id, loaded.pack.id,
                      chosen.kind.value, chosen.skill, chosen.lesson, chosen.section,
                      chosen.misconception, chosen.families, chosen.reason, now)
    store.steps.add_step(step)
    return step


def start_next(store: LearningStore, packs: PackLoader, actor: Actor, now: datetime,
               new_id: IdMaker, rng: random.Random, pack_slug: str | None = None,
               last_family: str | None = None) -> StoredStep:
    """Resume the open step, or let the policy choose one and record why."""
    learner = learner_of(store, actor)
    loaded = _loaded(store, packs, actor, pack_slug)
    for open_step in store.steps.open_steps(learner.person.id):
        if open_step.pack == loaded.pack.id:
            return open_step
    chosen = policy.next_step(loaded.pack, _view(store, learner.person, loaded.pack.id), now,
                              rng, last_family)
    if chosen is None:
        raise Conflict("This pack has no items to practise yet.")
    step = _new_step(store, learner, loaded, chosen, now, new_id)
    scope = _scope(learner, loaded)
    documents = []
    if chosen.kind is StepKind.RECHECK:
        memories = store.learner.memories(learner.person.id, loaded.pack.id)
        documents += [xs.became_due(new_id(), scope, learner.person.id, fid, memories[fid].due,
                                    step.id, now) for fid in chosen.families]
    if chosen.lesson and chosen.section:
        target = xs.section_activity(scope, chosen.lesson, chosen.section)
    elif chosen.lesson:
        target = xs.lesson_activity(scope, chosen.lesson)
    else:
        target = xs.skill_activity(scope, chosen.skill)
    documents.append(xs.assigned(new_id(), scope, learner.person.id, target, chosen.kind.value,
                                 chosen.reason, step.id, now))
    _record(store, packs, learner, documents, now)
    return step


def start_lesson(store: LearningStore, packs: PackLoader, actor: Actor, pack_slug: str,
                 lesson_id: str, now: datetime, new_id: IdMaker,
                 rng: random.Random) -> StoredStep:
    """A lesson the learner picked themselves, with its check."""
    learner = learner_of(store, actor)
    loaded = _loaded(store, packs, actor, pack_slug)
    lesson = loaded.pack.lesson(lesson_id)
    if lesson is None:
        raise NotFound(f"No lesson {lesson_id!r} in {pack_slug}.")
    for open_step in store.steps.open_steps(learner.person.id):
        if open_step.pack == loaded.pack.id and open_step.lesson == lesson_id:
            return open_step
    families = policy.check_families(loaded.pack, lesson, rng)
    chosen = policy.Step(StepKind.LESSON, lesson.skill,
                         f"You chose \u201c{lesson.title}\u201d ({lesson.minutes} minutes), "
                         f"then {policy.questions(len(families))} to prove it.",
                         lesson=lesson.id, families=families)
    return _new_step(store, learner, loaded, chosen, now, new_id)


# --- the step itself ---


@dataclass(frozen=True, slots=True)
class StepView:
    step: StoredStep
    stage: Stage
    pack: LoadedPack
    lesson: Lesson | None
    sections: tuple[Section, ...]  # what to read: the lesson, or the one remedial section
    attempts: list[StoredAttempt]


def _own_step(store: LearningStore, actor: Actor, step_id: str,
              lock: bool = False) -> tuple[Learner, StoredStep]:
    step = store.steps.step(step_id, lock=lock)
    if step is None or store.people.person(actor.org_id, step.person_id) is None:
        raise NotFound(f"No step {step_id}.")  # another organisation's step is not found
    learner = learner_of(store, actor, step.person_id)
    return learner, step


def _step_pack(store: LearningStore, packs: PackLoader, actor: Actor,
               step: StoredStep) -> LoadedPack:
    memo = _memo(store)
    key = ("version", step.version_id)
    if key not in memo:
        memo[key] = store.content.version_by_id(actor.org_id, step.version_id)
    if memo[key] is None:
        raise NotFound("The content of this step is no longer published.")
    return packs(memo[key])


def step_view(store: LearningStore, packs: PackLoader, actor: Actor,
              step_id: str) -> StepView:
    _learner, step = _own_step(store, actor, step_id)
    loaded = _step_pack(store, packs, actor, step)
    lesson = loaded.pack.lesson(step.lesson) if step.lesson else None
    sections: tuple[Section, ...] = ()
    if lesson is not None:
        sections = lesson.sections if step.section is None else \
            tuple(s for s in lesson.sections if s.slug == step.section) or lesson.sections
    return StepView(step, stage_of(step), loaded, lesson, sections,
                    store.steps.attempts(step.id))


def _require_stage(step: StoredStep, *allowed: Stage) -> None:
    stage = stage_of(step)
    if stage not in allowed:
        wanted = " or ".join(a.value for a in allowed)
        raise Conflict(f"This step is at the {stage.value!r} stage, not {wanted}.")


def open_lesson(store: LearningStore, packs: PackLoader, actor: Actor, step_id: str,
                now: datetime, new_id: IdMaker) -> StepView:
    """Record that the lesson was launched (once per step) and return what to read."""
    learner, step = _own_step(store, actor, step_id, lock=True)
    view = step_view(store, packs, actor, step_id)
    if view.lesson is not None and step.lesson_started_at is None and \
            stage_of(step) is Stage.LESSON:
        scope = _scope(learner, view.pack)
        if step.section is None:
            _record(store, packs, learner, [xs.lesson_launched(
                new_id(), scope, learner.person.id, view.lesson.id, view.lesson.title, step.id,
                now)], now)
        store.steps.update_step(step.id, lesson_started_at=now)
        return step_view(store, packs, actor, step_id)
    return view


def view_section(store: LearningStore, packs: PackLoader, actor: Actor, step_id: str,
                 section: str, now: datetime, new_id: IdMaker) -> None:
    learner, step = _own_step(store, actor, step_id, lock=True)
    _require_stage(step, Stage.LESSON)
    view = step_view(store, packs, actor, step_id)
    found = next((s for s in view.sections if s.slug == section), None)
    if view.lesson is None or found is None:
        raise NotFound(f"No section {section!r} in this step.")
    _record(store, packs, learner, [xs.section_viewed(
        new_id(), _scope(learner, view.pack), learner.person.id, view.lesson.id, found.slug,
        found.title, step.id, now)], now)


def complete_lesson(store: LearningStore, packs: PackLoader, actor: Actor, step_id: str,
                    now: datetime, new_id: IdMaker) -> StoredStep:
    learner, step = _own_step(store, actor, step_id, lock=True)
    _require_stage(step, Stage.LESSON)
    view = step_view(store, packs, actor, step_id)
    assert view.lesson is not None
    scope = _scope(learner, view.pack)
    started = step.lesson_started_at or step.created_at
    if step.section is None:
        document = xs.lesson_completed(new_id(), scope, learner.person.id, view.lesson.id,
                                       view.lesson.title, step.id, now,
                                       (now - started).total_seconds())
    else:  # a remedial section: reading it is the event
        section = view.sections[0]
        document = xs.section_viewed(new_id(), scope, learner.person.id, view.lesson.id,
                                     section.slug, section.title, step.id, now)
    _record(store, packs, learner, [document], now)
    store.steps.update_step(step.id, lesson_completed_at=now,
                            lesson_started_at=step.lesson_started_at or now)
    found = store.steps.step(step.id)
    assert found is not None
    return found


# --- items ---


@dataclass(frozen=True, slots=True)
class Served:
    attempt: StoredAttempt
    item: Item
    position: int  # 1-based
    total: int
    step: StoredStep


def _item(loaded: LoadedPack, family_id: str, variant: int) -> Item:
    family = loaded.pack.family(family_id)
    if family is None:
        raise NotFound(f"No item family {family_id!r} in this pack version.")
    return variants.make_item(family, variant)


def serve_item(store: LearningStore, packs: PackLoader, actor: Actor, step_id: str,
               now: datetime, new_id: IdMaker, rng: random.Random) -> Served:
    """The step's current item: the one already served and still open, or a new one."""
    learner, step = _own_step(store, actor, step_id, lock=True)
    _require_stage(step, Stage.ITEMS)
    loaded = _step_pack(store, packs, actor, step)
    attempts = store.steps.attempts(step.id)
    position = step.items_answered
    current = next((a for a in attempts if a.answered_at is None and a.expires_at > now), None)
    if current is None:
        family = step.families[position]
        seen = store.steps.seen_variants(learner.person.id, family)
        variant = choose_variant(loaded.catalogue.distinct.get(family, (0,)), seen, rng)
        current = StoredAttempt(new_id(), step.id, learner.person.id, family, variant,
                                len(attempts), now, now + ATTEMPT_TTL)
        store.steps.add_attempt(current)
    return Served(current, _item(loaded, current.family, current.variant), position + 1,
                  len(step.families), step)


@dataclass(frozen=True, slots=True)
class Answer:
    attempt: StoredAttempt
    item: Item
    grade: Grade
    labels: tuple[tuple[str, str], ...]  # (misconception id, "You ..." label)
    step: StoredStep
    next_stage: Stage


def _interaction(item: Item) -> str:
    return {ItemType.SINGLE_CHOICE: "choice", ItemType.MULTIPLE_CHOICE: "choice",
            ItemType.NUMERIC: "numeric", ItemType.FREE_TEXT: "long-fill-in"}[item.type]


def _response_text(item: Item, response: Response) -> str:
    if item.type is ItemType.NUMERIC:
        return _number(response.number) if response.number is not None else ""
    if item.type is ItemType.FREE_TEXT:
        return response.text or ""
    return "[,]".join(response.choices)


def _number(value: float) -> str:
    """A number as a response pattern shows it: no floating-point noise (0.1 + 0.2 -> 0.3)."""
    return format(value, ".12g")


def _correct_pattern(item: Item) -> str | None:
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        return "[,]".join(item.key)
    if item.type is ItemType.NUMERIC and item.answer is not None:
        low, high = item.answer - item.tolerance, item.answer + item.tolerance
        return f"{_number(low)}[:]{_number(high)}" if item.tolerance else _number(item.answer)
    return None


def answer_record(item: Item, response: Response, graded: Grade,
                  seconds: float) -> xs.AnswerRecord:
    """What the answered statement says about one graded response."""
    return xs.AnswerRecord(
        family=item.family_id, variant=item.variant, skill=item.skill,
        interaction_type=_interaction(item), stem=item.stem,
        response=_response_text(item, response), score=graded.score, success=graded.success,
        seconds=seconds, misconceptions=graded.misconceptions,
        criteria_met=graded.criteria_met, criteria_missed=graded.criteria_missed,
        choices=tuple((o.id, o.text) for o in item.options),
        correct_pattern=_correct_pattern(item))


def answer(store: LearningStore, packs: PackLoader, actor: Actor, attempt_id: str,
           response: Response, now: datetime, new_id: IdMaker) -> Answer:
    """Grade an answer at once, record it, and update memory and mastery in one transaction."""
    attempt = store.steps.attempt(attempt_id, lock=True)
    if attempt is None:
        raise NotFound(f"No item {attempt_id} was served.")
    if attempt.person_id != actor.person_id:
        raise Conflict("This item was not served to you: answer only the items you are shown.")
    learner, step = _own_step(store, actor, attempt.step_id, lock=True)
    if attempt.answered_at is not None:
        raise Conflict(f"This item was already answered at {xs.iso(attempt.answered_at)}; "
                       "each item is answered once.")
    if attempt.expires_at <= now:
        raise Conflict(f"This item expired at {xs.iso(attempt.expires_at)} "
                       f"({int(ATTEMPT_TTL.total_seconds() // 60)} minutes after it was "
                       "served); ask for the next item.")
    if stage_of(step) is not Stage.ITEMS or attempt.position < step.items_answered:
        raise Conflict("This item is no longer open in its step.")
    loaded = _step_pack(store, packs, actor, step)
    family = loaded.pack.family(attempt.family)
    if family is None:
        raise NotFound(f"No item family {attempt.family!r} in this pack version.")
    item = variants.make_item(family, attempt.variant)
    graded = grade(family, item, response)
    known = loaded.pack.misconceptions()
    labels = tuple((m, policy.label_of(known[m])) for m in graded.misconceptions if m in known)
    seconds = min((now - attempt.served_at).total_seconds(), ATTEMPT_TTL.total_seconds())
    document = xs.item_answered(
        new_id(), _scope(learner, loaded), learner.person.id,
        answer_record(item, response, graded, seconds),
        step.id, attempt.id, step.kind, now)
    _record(store, packs, learner, [document], now)
    store.steps.finish_attempt(attempt.id, now, document["id"], grade_json(graded, labels))
    store.steps.update_step(step.id, items_answered=step.items_answered + 1)
    after = store.steps.step(step.id)
    finished = store.steps.attempt(attempt.id)
    assert after is not None
    assert finished is not None
    return Answer(finished, item, graded, labels, after, stage_of(after))


def grade_json(graded: Grade, labels: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {"score": graded.score, "success": graded.success,
            "misconceptions": [{"id": m, "label": label} for m, label in labels],
            "feedback": list(graded.feedback), "criteria_met": list(graded.criteria_met),
            "criteria_missed": list(graded.criteria_missed),
            "correct_answer": graded.correct_answer}


# --- pulse ---


def check_pulse(on: str, confidence: object, relevance: object,
                comment: object) -> list[Problem]:
    problems = []
    if on not in ("lesson", "check"):
        problems.append(Problem("body", "must be 'lesson' or 'check'", field="on"))
    for name, value in (("confidence", confidence), ("relevance", relevance)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            problems.append(Problem("body", "must be a whole number from 1 to 5", field=name))
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT
                                or "\x00" in comment):
        problems.append(Problem("body", f"must be text of at most {MAX_COMMENT} characters",
                                field="comment"))
    return problems


def give_pulse(store: LearningStore, packs: PackLoader, actor: Actor, step_id: str, on: str,
               confidence: int, relevance: int, comment: str | None, now: datetime,
               new_id: IdMaker, sentiment: Sentiment) -> StoredStep:
    problems = check_pulse(on, confidence, relevance, comment)
    if problems:
        raise InvalidInput(problems)
    learner, step = _own_step(store, actor, step_id, lock=True)
    _require_stage(step, Stage.LESSON_PULSE if on == "lesson" else Stage.PULSE)
    loaded = _step_pack(store, packs, actor, step)
    scope = _scope(learner, loaded)
    text = (comment or "").strip() or None
    target = (xs.lesson_activity(scope, step.lesson) if on == "lesson" and step.lesson
              else xs.skill_activity(scope, step.skill))
    _record(store, packs, learner, [xs.pulse_given(
        new_id(), scope, learner.person.id, on, target, confidence, relevance, text,
        sentiment(text) if text else None, step.id, now)], now)
    if on == "lesson":
        store.steps.update_step(step.id, lesson_pulse_at=now)
    else:
        store.steps.update_step(step.id, pulse_at=now, finished_at=now)
    found = store.steps.step(step.id)
    assert found is not None
    return found


def due_list(store: LearningStore, packs: PackLoader, actor: Actor, now: datetime,
             person_id: int | None = None, pack_slug: str | None = None) -> list[DueLine]:
    found = home(store, packs, actor, now, person_id, pack_slug)
    return found.due_today + found.due_later
