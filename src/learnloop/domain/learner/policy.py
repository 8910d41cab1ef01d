"""The next step: what a learner should do now, and one sentence that says why.

In order of priority:

1. a pre-flight rule the learner's work failed twice (first pre-flights of two campaigns, with
   no pass of it and no completion of its lesson since): the rule's lesson, then two questions
   on it. It comes before due re-checks: it is a mistake made in real work, it is rare, and a
   re-check a step late loses little (memory is scheduled from when it is answered);
2. due re-checks (memory says recall is about to drop below the target);
3. remediation of a misconception seen in a recent answer and not cleared since: the lesson
   section that corrects it, then two practice items that can reveal it again;
4. when the learner said they are unsure (confidence 1 or 2) or mastery is low after a check:
   practice on that skill, or its next lesson when one is left;
5. the next lesson whose prerequisites are done, from the skill with the fewest lessons done
   (breadth first: every skill matters at work), in the pack's order;
6. when mastery is high and the learner is confident: transfer items, the same skill in a new
   situation;
7. otherwise practice on the weakest skill.

Practice (4 and 7) is chosen at the learner's level once the pack's families are calibrated
(`irt`, by `learnloop calibrate`): the families whose chance of a right answer at the learner's
ability is nearest 70%. Until then, and for families not calibrated yet, it is drawn at random.

The randomness (which families to draw among equals) is passed in.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from learnloop.domain.content.model import Context, ItemFamily, Lesson, Misconception, Pack
from learnloop.domain.learner import answer_model, irt, mastery
from learnloop.domain.learner.answer_model import AnswerModel, LearnerTrace
from learnloop.domain.learner.irt import ItemParameters
from learnloop.domain.learner.memory import FamilyMemory
from learnloop.domain.learner.projection import LessonProgress, RuleFailures, SkillState
from learnloop.domain.preflight.catalogue import BY_ID as RULES

CHECK_ITEMS = 3
PRACTICE_ITEMS = 2
MAX_RECHECKS = 3
WORDS_PER_MINUTE = 200


class StepKind(StrEnum):
    RECHECK = "recheck"
    REMEDIATION = "remediation"
    LESSON = "lesson"
    PRACTICE = "practice"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    skill: str
    reason: str
    lesson: str | None = None
    section: str | None = None
    families: tuple[str, ...] = ()
    misconception: str | None = None
    rule: str | None = None  # the pre-flight rule a remediation answers


@dataclass(frozen=True, slots=True)
class LearnerView:
    """What the policy reads about one learner in one pack; `items` are the pack's calibrated
    families (2PL, from everyone's first answers), empty until `learnloop calibrate` has run;
    `trace` is the answer model's history of the learner across the pack and `model` the
    answer model in force (the shipped one unless the organisation's own fit replaced it)."""

    skills: dict[str, SkillState]
    memories: dict[str, FamilyMemory]
    lessons: dict[str, LessonProgress]
    items: dict[str, ItemParameters] = field(default_factory=dict)
    trace: LearnerTrace = field(default_factory=LearnerTrace)
    model: AnswerModel = field(default_factory=answer_model.shipped)

    def mastery(self, skill: str, at: datetime) -> float | None:
        return skill_probability(self.skills.get(skill), at, skill, self.trace, self.model)

    def ability(self) -> float:
        """The learner's ability on the calibrated scale, from their first answers to
        calibrated families (0, the average, before any)."""
        first = {fid: m.first_correct for fid, m in self.memories.items()
                 if m.first_correct is not None and fid in self.items}
        return irt.ability(first, self.items).theta


def skill_probability(state: SkillState | None, at: datetime, skill: str = "",
                      trace: LearnerTrace | None = None,
                      model: AnswerModel | None = None) -> float | None:
    """The mastery shown to people: the chance that the next answer on the skill, on an item of
    average difficulty for it, is right (the answer model on the learner's history, plus the
    work evidence). None until the first answer or pre-flight check. While a pre-flight rule
    of the skill has failed twice at work and not passed since, no higher than just under the
    mastered line: work evidence of a gap has the last word on "mastered", whatever the
    quizzes say."""
    if state is None or state.evidence_count == 0:
        return None
    model = model or answer_model.shipped()
    z = model.logit("", (skill,), (state.trace,), trace or LearnerTrace(), skill)
    p = mastery.combine(z, state.evidence, at)
    return min(p, mastery.WORK_GAP_CEILING) if state.work_gap else p


def percent(p: float) -> str:
    return f"{round(p * 100)}%"


def section_minutes(lesson: Lesson, slug: str | None) -> int:
    section = next((s for s in lesson.sections if s.slug == slug), None)
    words = len((section.body if section else lesson.intro).split())
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3}


def remedy_for(pack: Pack, misconception: Misconception,
               revealed_by: ItemFamily | None) -> tuple[Lesson, str | None] | None:
    """The lesson and section that correct a misconception: the pack's `remedy`, or else the
    section of the revealing family's lesson that shares most words with its description."""
    if misconception.remedy_lesson:
        lesson = pack.lesson(misconception.remedy_lesson)
        if lesson is not None:
            return lesson, misconception.remedy_section
    lesson = pack.lesson(revealed_by.lesson) if revealed_by and revealed_by.lesson else None
    if lesson is None:
        lesson = next((x for x in pack.lessons if x.skill == misconception.skill), None)
    if lesson is None:
        return None
    wanted = _words(misconception.description)
    best = max(lesson.sections, key=lambda s: len(wanted & _words(s.title + " " + s.body)),
               default=None)
    return lesson, best.slug if best else None


def label_of(misconception: Misconception) -> str:
    if misconception.label:
        return misconception.label
    first = re.split(r"(?<=[.;:])\s", misconception.description.strip(), maxsplit=1)[0]
    return "showed a common mix-up: " + first.rstrip(".;:").lower()


def _pick(families: list[ItemFamily], count: int, rng: random.Random,
          avoid: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    fresh = [f for f in families if f.id not in avoid]
    pool = fresh if len(fresh) >= count else families
    chosen = rng.sample(pool, min(count, len(pool)))
    return tuple(f.id for f in chosen)


def _pick_at_level(families: list[ItemFamily], count: int, rng: random.Random,
                   view: LearnerView, avoid: frozenset[str] | set[str] = frozenset()
                   ) -> tuple[str, ...]:
    """Practice at the learner's level: the calibrated families whose chance of a right
    answer, at the learner's ability, is nearest `irt.TARGET_SUCCESS` (challenging but mostly
    won), in that order; families not calibrated yet, or that do not discriminate, are drawn
    at random after them. Without calibrations this is `_pick`."""
    fresh = [f for f in families if f.id not in avoid]
    pool = fresh if len(fresh) >= count else families
    usable = [view.items[f.id] for f in pool
              if f.id in view.items and view.items[f.id].discrimination > 0]
    if not usable:
        return _pick(families, count, rng, avoid)
    theta = view.ability()
    chosen: list[str] = []
    while usable and len(chosen) < count:
        best = irt.nearest_to_level(theta, usable)
        assert best is not None
        chosen.append(best.item)
        usable = [item for item in usable if item.item != best.item]
    rest = [f for f in pool if f.id not in chosen]
    extra = rng.sample(rest, min(count - len(chosen), len(rest)))
    return tuple(chosen) + tuple(f.id for f in extra)


def _lesson_order(pack: Pack, view: LearnerView) -> list[Lesson]:
    done = {lid for lid, p in view.lessons.items() if p.completed_at is not None}
    return [lesson for lesson in pack.lessons if lesson.id not in done
            and all(p in done for p in lesson.prerequisites)]


def questions(count: int) -> str:
    """'1 question', '3 questions'."""
    return "1 question" if count == 1 else f"{count} questions"


def _ago(elapsed: timedelta) -> str:
    """'5 hours ago', 'a day ago', '9 days ago'."""
    hours = elapsed.total_seconds() / 3600
    if hours < 21.5:
        count = max(1, round(hours))
        return f"{count} hour{'s' if count != 1 else ''} ago"
    days = max(1, round(hours / 24))
    return "a day ago" if days == 1 else f"{days} days ago"


def next_step(pack: Pack, view: LearnerView, at: datetime, rng: random.Random,
              last_family: str | None = None) -> Step | None:
    """The step to take now, or None when the pack has nothing to offer (no items)."""
    skills = {s.id: s for s in pack.skills}
    families = {f.id: f for f in pack.families}
    name = {sid: s.name for sid, s in skills.items()}

    step = _work_remediation(pack, view, rng, last_family)
    if step is not None:
        return step

    due = sorted(((m.due, fid) for fid, m in view.memories.items()
                  if m.due <= at and fid in families))
    if due:
        chosen = tuple(fid for _, fid in due[:MAX_RECHECKS])
        first = families[chosen[0]]
        when = _ago(at - view.memories[chosen[0]].last_review)
        topic = ", ".join(sorted({name.get(families[f].skill, families[f].skill)
                                  for f in chosen}))
        if len(chosen) == 1:
            reason = (f"A re-check is due on {topic}: you last answered it {when}, and "
                      "recalling it now is what makes it stick.")
        else:
            reason = (f"{len(chosen)} re-checks are due on {topic}: you last answered the "
                      f"oldest {when}, and recalling them now is what makes them stick.")
        return Step(StepKind.RECHECK, first.skill, reason, families=chosen)

    step = _remediation(pack, view, at, rng, families, last_family)
    if step is not None:
        return step

    order = _lesson_order(pack, view)
    for sid, state in sorted(view.skills.items(), key=lambda kv: kv[0]):
        p = view.mastery(sid, at)
        unsure = state.confidence is not None and state.confidence <= 2
        if p is None or sid not in skills or not (unsure or p < mastery.STRUGGLING):
            continue
        lesson = next((x for x in order if x.skill == sid), None)
        why = (f"You rated your confidence {state.confidence} of 5 on {name[sid]}"
               if unsure else f"Your mastery of {name[sid]} is {percent(p)}")
        if lesson is not None:
            chosen = check_families(pack, lesson, rng)
            return Step(StepKind.LESSON, sid,
                        f"{why}: the next lesson, \u201c{lesson.title}\u201d "
                        f"({lesson.minutes} minutes), builds it up, then "
                        f"{questions(len(chosen))}.", lesson=lesson.id, families=chosen)
        pool = [f for f in pack.families if f.skill == sid and f.context is Context.STANDARD]
        if pool:
            return Step(StepKind.PRACTICE, sid,
                        f"{why}: {PRACTICE_ITEMS + 1} practice questions will show where "
                        f"it is solid and where it is not.",
                        families=_pick_at_level(pool, PRACTICE_ITEMS + 1, rng, view,
                                                {last_family or ""}))

    if order:
        # Breadth first: the skill with the fewest lessons done, then the pack's order.
        done = {lid for lid, prog in view.lessons.items() if prog.completed_at is not None}
        per_skill = {sid: sum(1 for x in pack.lessons if x.skill == sid and x.id in done)
                     for sid in skills}
        lesson = min(order, key=lambda x: per_skill.get(x.skill, 0))
        chosen = check_families(pack, lesson, rng)
        return Step(StepKind.LESSON, lesson.skill,
                    f"Next in {name.get(lesson.skill, lesson.skill)}: \u201c{lesson.title}\u201d "
                    f"({lesson.minutes} minutes), then {questions(len(chosen))} to prove it.",
                    lesson=lesson.id, families=chosen)

    ranked = sorted(((view.mastery(sid, at) or 0.0, sid)
                     for sid in skills), reverse=True)
    for p, sid in ranked:
        known = view.skills.get(sid)
        confident = known is not None and (known.confidence or 0) >= 4
        transfer = [f for f in pack.families if f.skill == sid and f.context is Context.TRANSFER]
        if p >= mastery.MASTERED and confident and transfer:
            return Step(StepKind.TRANSFER, sid,
                        f"You have {name[sid]} at {percent(p)} and feel sure of it: "
                        f"{PRACTICE_ITEMS} transfer questions put it to work in a new "
                        f"situation.", families=_pick(transfer, PRACTICE_ITEMS, rng))
    for p, sid in reversed(ranked):
        pool = [f for f in pack.families if f.skill == sid]
        if pool:
            return Step(StepKind.PRACTICE, sid,
                        f"Practice on {name[sid]}, your weakest skill at {percent(p)}: "
                        f"{PRACTICE_ITEMS + 1} questions.",
                        families=_pick_at_level(pool, PRACTICE_ITEMS + 1, rng, view,
                                                {last_family or ""}))
    return None


def check_families(pack: Pack, lesson: Lesson, rng: random.Random) -> tuple[str, ...]:
    own = [f for f in pack.families if f.lesson == lesson.id and f.context is Context.STANDARD]
    if len(own) < CHECK_ITEMS:
        own += [f for f in pack.families if f.skill == lesson.skill and f not in own
                and f.context is Context.STANDARD]
    return _pick(own, CHECK_ITEMS, rng) if len(own) > CHECK_ITEMS else tuple(f.id for f in own)


def _remediation(pack: Pack, view: LearnerView, at: datetime, rng: random.Random,
                 families: dict[str, ItemFamily], last_family: str | None) -> Step | None:
    known = pack.misconceptions()
    active = [(seen.last_seen, mid, sid) for sid, state in view.skills.items()
              for mid, seen in state.misconceptions if seen.active and mid in known]
    if not active:
        return None
    _, mid, _sid = max(active)
    misconception = known[mid]
    probing = [f for f in pack.families if _probes(f, mid)]
    revealed = families.get(last_family or "") if last_family in families else None
    if revealed is None or not _probes(revealed, mid):
        revealed = probing[0] if probing else None
    found = remedy_for(pack, misconception, revealed)
    practice = _pick(probing or [f for f in pack.families if f.skill == misconception.skill],
                     PRACTICE_ITEMS, rng, {last_family or ""})
    if found is None:
        return Step(StepKind.REMEDIATION, misconception.skill,
                    f"You {label_of(misconception)}: {len(practice)} practice items on it.",
                    families=practice, misconception=mid)
    lesson, slug = found
    minutes = section_minutes(lesson, slug)
    section = next((s for s in lesson.sections if s.slug == slug), None)
    where = f"the {minutes}-minute section \u201c{section.title}\u201d" if section \
        else f"the lesson \u201c{lesson.title}\u201d"
    return Step(StepKind.REMEDIATION, misconception.skill,
                f"You {label_of(misconception)}: here is {where}, then "
                f"{len(practice)} practice item{'s' if len(practice) != 1 else ''}.",
                lesson=lesson.id, section=slug, families=practice, misconception=mid)


def times(count: int) -> str:
    """'once', 'twice', '3 times'."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def rule_lesson(pack: Pack, rule: str) -> Lesson | None:
    """The lesson the pack's `preflight.yaml` gives a rule (as `preflight.coaching_for`)."""
    lesson = next((m.lesson for m in pack.preflight.rules if m.rule == rule), None)
    return pack.lesson(lesson) if lesson else None


def targeted_families(pack: Pack, lesson: Lesson, rng: random.Random,
                      avoid: str | None = None) -> tuple[str, ...]:
    """Two questions on a lesson: families linked to it first, then others of its skill."""
    standard = [f for f in pack.families if f.context is Context.STANDARD]
    own = [f for f in standard if f.lesson == lesson.id]
    if len(own) >= PRACTICE_ITEMS:
        return _pick(own, PRACTICE_ITEMS, rng, {avoid or ""})
    rest = [f for f in standard if f.skill == lesson.skill and f not in own]
    extra = _pick(rest, PRACTICE_ITEMS - len(own), rng, {avoid or ""}) if rest else ()
    return tuple(f.id for f in own) + extra


def _work_remediation(pack: Pack, view: LearnerView, rng: random.Random,
                      last_family: str | None) -> Step | None:
    """The rule failing again and again at work (the latest failure first): its lesson and a
    targeted check. A rule the pack gives no lesson gets none; the report's fix coaches it."""
    failing: list[tuple[datetime, str, RuleFailures]] = sorted(
        ((found.last_failed_at, rid, found) for state in view.skills.values()
         for rid, found in state.repeated_failures), key=lambda x: (x[0], x[1]), reverse=True)
    for _, rid, found in failing:
        lesson = rule_lesson(pack, rid)
        if lesson is None:
            continue
        progress = view.lessons.get(lesson.id)
        if progress is not None and progress.completed_at is not None and \
                progress.completed_at >= found.last_failed_at:
            continue  # put right already (the projector clears it too)
        families = targeted_families(pack, lesson, rng, last_family)
        title = RULES[rid].title if rid in RULES else rid
        then = f", then {questions(len(families))} on it" if families else ""
        return Step(StepKind.REMEDIATION, lesson.skill,
                    f"You failed \u201c{title}\u201d in pre-flight {times(found.failures)}: "
                    f"here is the {lesson.minutes}-minute lesson \u201c{lesson.title}\u201d"
                    f"{then}.", lesson=lesson.id, families=families, rule=rid)
    return None


def _probes(family: ItemFamily, mid: str) -> bool:
    if any(o.misconception == mid for o in family.options):
        return True
    if any(m.misconception == mid for m in family.numeric_misconceptions):
        return True
    return family.rubric is not None and any(f.misconception == mid
                                             for f in family.rubric.forbidden)
