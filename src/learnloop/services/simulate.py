"""Plausible learner activity for the demo, made through the loop's own services.

Nothing here writes a row directly: every simulated learner signs up for steps, reads, answers
and rates through `learnloop.services.loop`, so the demo's statements and state are exactly what
real use produces. Time and randomness are passed in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from learnloop.domain.content.model import ItemFamily, ItemType, Pack
from learnloop.domain.content.variants import Item
from learnloop.domain.errors import Conflict
from learnloop.domain.grading import Response
from learnloop.domain.people import Person, Role
from learnloop.services import loop
from learnloop.services.people import actor_for
from learnloop.services.ports import IdMaker, LearningStore, PackLoader, Sentiment

COMMENTS = (
    "Clear and short, thanks.",
    "Useful: I will check our bounce handling tomorrow.",
    "The worked example helped a lot.",
    "A bit too basic for me.",
    "Confusing question about the denominator.",
    "Great, I did not know about one-click unsubscribe.",
    "Too long for a Monday morning.",
)


@dataclass(frozen=True, slots=True)
class Profile:
    """How a simulated learner behaves."""

    ability: float  # chance of a right answer on an average item, before learning
    activity: float  # chance of being active on a working day


def _response(item: Item, family: ItemFamily, correct: bool, rng: random.Random) -> Response:
    if not correct:
        wrong = [o for o in item.options if not o.correct]
        if wrong:
            return Response(choices=(rng.choice(wrong).id,))
        if item.traps:
            return Response(number=rng.choice(item.traps).value)
        if item.answer is not None:
            return Response(number=item.answer * 2 + 1)
        if family.rubric is not None:
            return Response(text="I am not sure; I would ask the team lead.")
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        return Response(choices=item.key)
    if item.type is ItemType.NUMERIC:
        return Response(number=item.answer)
    assert family.rubric is not None
    return Response(text=rng.choice(family.rubric.reference_answers))


def _session(store: LearningStore, packs: PackLoader, pack: Pack, person: Person,
             profile: Profile,
             at: datetime, new_id: IdMaker, rng: random.Random,
             sentiment: Sentiment) -> datetime:
    """One step of the loop, start to finish; returns the time it ended."""
    actor = actor_for(store.people, person)
    try:
        if rng.random() < 0.15:  # now and then a learner picks a lesson from the list
            lesson = rng.choice(pack.lessons)
            step = loop.start_lesson(store, packs, actor, pack.id, lesson.id, at, new_id, rng)
        else:
            step = loop.start_next(store, packs, actor, at, new_id, rng)
    except Conflict:
        return at
    if step.lesson is not None:
        view = loop.open_lesson(store, packs, actor, step.id, at, new_id)
        for section in view.sections:
            at += timedelta(seconds=rng.randint(40, 90))
            loop.view_section(store, packs, actor, step.id, section.slug, at, new_id)
        loop.complete_lesson(store, packs, actor, step.id, at, new_id)
        if step.kind == "lesson":
            at += timedelta(seconds=rng.randint(5, 15))
            loop.give_pulse(store, packs, actor, step.id, "lesson",
                            rng.choice((3, 3, 4, 4, 5)), rng.choice((3, 4, 4, 5, 5)), None, at,
                            new_id, sentiment)
    right = 0
    for _ in step.families:
        served = loop.serve_item(store, packs, actor, step.id, at, new_id, rng)
        family = pack.family(served.item.family_id)
        assert family is not None
        practice = served.position + 2 * (step.kind != "lesson")
        chance = min(0.97, profile.ability + 0.04 * practice - 0.05 * (family.difficulty - 3))
        correct = rng.random() < chance
        at += timedelta(seconds=rng.randint(20, 75))
        answered = loop.answer(store, packs, actor, served.attempt.id,
                               _response(served.item, family, correct, rng), at, new_id)
        right += answered.grade.success
    share = right / max(1, len(step.families))
    confidence = max(1, min(5, round(1 + 4 * share + rng.uniform(-0.8, 0.8))))
    comment = rng.choice(COMMENTS) if rng.random() < 0.25 else None
    at += timedelta(seconds=rng.randint(5, 20))
    loop.give_pulse(store, packs, actor, step.id, "check", confidence,
                    rng.choice((2, 3, 4, 4, 5)), comment, at, new_id, sentiment)
    return at


def simulate(store: LearningStore, packs: PackLoader, people: list[Person], start: datetime,
             days: int, new_id: IdMaker, rng: random.Random, sentiment: Sentiment,
             tick: Callable[[int], None] = lambda _: None) -> int:
    """Simulate `days` days of activity from `start` for every learner; returns the number of
    steps taken."""
    learners = [p for p in people if Role.LEARNER in p.roles and p.active]
    versions = store.content.versions(learners[0].org_id) if learners else []
    if not versions:
        return 0
    pack = packs(versions[0]).pack
    profiles = {p.id: Profile(ability=rng.uniform(0.5, 0.85), activity=rng.uniform(0.35, 0.8))
                for p in learners}
    steps = 0
    for day in range(days):
        for person in learners:
            zone = ZoneInfo(person.timezone)
            local = (start + timedelta(days=day)).astimezone(zone)
            if local.weekday() >= 5 or rng.random() > profiles[person.id].activity:
                continue
            hour = rng.uniform(9.0, 16.5)
            at = datetime.combine(local.date(), time(int(hour), int(hour % 1 * 60)), zone)
            for _ in range(1 + (rng.random() < 0.35)):
                at = _session(store, packs, pack, person, profiles[person.id], at, new_id,
                              rng, sentiment) + timedelta(minutes=rng.randint(2, 30))
                steps += 1
        tick(1)
    return steps


def history_start(now: datetime, weeks: int) -> datetime:
    """Midnight UTC `weeks` weeks before today, so the history ends yesterday."""
    today = now.date()
    return datetime.combine(today - timedelta(days=7 * weeks), time(0), now.tzinfo)



