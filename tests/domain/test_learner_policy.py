"""The next-step policy and the pack catalogue, with hand-built learners on the demo pack."""

from __future__ import annotations

import math
import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from learnloop.demo import DEMO_PACK
from learnloop.domain.content.model import Context, ItemFamily, ItemType, Lesson, Pack
from learnloop.domain.learner import answer_model, mastery
from learnloop.domain.learner.answer_model import LearnerTrace, SkillTrace
from learnloop.domain.learner.catalogue import catalogue_of
from learnloop.domain.learner.irt import TARGET_SUCCESS, ItemParameters, probability
from learnloop.domain.learner.memory import FamilyMemory
from learnloop.domain.learner.policy import (
    CHECK_ITEMS,
    MAX_RECHECKS,
    PRACTICE_ITEMS,
    WORDS_PER_MINUTE,
    LearnerView,
    Step,
    StepKind,
    check_families,
    label_of,
    next_step,
    percent,
    remedy_for,
    section_minutes,
    skill_probability,
)
from learnloop.domain.learner.projection import LessonProgress, MisconceptionSeen, SkillState
from learnloop.packs import read_pack

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
BOUNCES = "soft-hard-bounce-confused"
ALIGNMENT = "auth-without-alignment"


@pytest.fixture(scope="module")
def pack() -> Pack:
    reading = read_pack(DEMO_PACK)
    assert reading.pack is not None
    return reading.pack


# -- helpers -----------------------------------------------------------------------------------


def view(skills: dict[str, SkillState] | None = None,
         memories: dict[str, FamilyMemory] | None = None,
         lessons: dict[str, LessonProgress] | None = None) -> LearnerView:
    return LearnerView(skills or {}, memories or {}, lessons or {},
                       trace=across(skills or {}))


def across(skills: dict[str, SkillState]) -> LearnerTrace:
    """A person trace that agrees with these skills' traces (each built on its own): the
    counts summed, the recent averages of the skill answered most."""
    traces = [s.trace for s in skills.values()]
    if not traces:
        return LearnerTrace()
    most = max(traces, key=lambda t: t.attempts)
    return LearnerTrace(sum(t.attempts for t in traces), sum(t.right for t in traces),
                        sum(t.residual for t in traces), most.recent, most.weight)


def due_memory(due: datetime, last_review: datetime | None = None) -> FamilyMemory:
    return FamilyMemory(stability=3.0, difficulty=5.0, due=due,
                        last_review=last_review or due - timedelta(days=3), reviews=2,
                        lapses=0)


def skill(successes: float = 0.0, failures: float = 0.0, answers: int | None = None,
          confidence: int | None = None,
          misconceptions: tuple[tuple[str, MisconceptionSeen], ...] = ()) -> SkillState:
    """A skill answered `failures` times wrong, then `successes` times right."""
    count = answers if answers is not None else max(1, round(successes + failures))
    traces: tuple[SkillTrace, ...] = (SkillTrace(),)
    learner = LearnerTrace()
    for right in [False] * round(failures) + [True] * round(successes):
        traces, learner = answer_model.observe(traces, learner, "s", float(right), right, 0.7)
    return SkillState(trace=traces[0], answers=count, correct=round(successes),
                      confidence=confidence,
                      pulse_at=NOW - timedelta(hours=1) if confidence else None,
                      misconceptions=misconceptions)


def done(*lesson_ids: str) -> dict[str, LessonProgress]:
    at = NOW - timedelta(days=5)
    return {lid: LessonProgress(launches=1, first_launched_at=at, completed_at=at,
                                completions=1) for lid in lesson_ids}


def all_done(pack: Pack) -> dict[str, LessonProgress]:
    return done(*(lesson.id for lesson in pack.lessons))


def active(mid: str, hours_ago: float = 1.0) -> tuple[str, MisconceptionSeen]:
    return mid, MisconceptionSeen(1, NOW - timedelta(hours=hours_ago))


def family(pack: Pack, family_id: str) -> ItemFamily:
    found = pack.family(family_id)
    assert found is not None
    return found


def lesson_of(pack: Pack, lesson_id: str) -> Lesson:
    found = pack.lesson(lesson_id)
    assert found is not None
    return found


def skill_name(pack: Pack, skill_id: str) -> str:
    found = pack.skill(skill_id)
    assert found is not None
    return found.name


def assert_one_sentence(reason: str) -> None:
    unquoted = re.sub(r"\u201c[^\u201d]*\u201d", "\u201cT\u201d", reason)  # titles may hold "?"
    assert unquoted.endswith(".")
    assert "\n" not in reason
    assert not re.search(r"[.!?]\s", unquoted[:-1]), reason
    assert unquoted[0].isupper() or unquoted[0].isdigit()


def step_of(pack: Pack, learner: LearnerView, seed: int = 7,
            last_family: str | None = None, at: datetime = NOW) -> Step:
    step = next_step(pack, learner, at, random.Random(seed), last_family)
    assert step is not None
    assert_one_sentence(step.reason)
    ids = {f.id for f in pack.families}
    assert set(step.families) <= ids
    assert len(set(step.families)) == len(step.families)
    assert step.skill in {s.id for s in pack.skills}
    if step.lesson is not None:
        assert pack.lesson(step.lesson) is not None
    return step


# -- 1. due re-checks --------------------------------------------------------------------------


def test_due_rechecks_come_first_most_overdue_first(pack: Pack) -> None:
    memories = {
        "bounce-hard-or-soft": due_memory(NOW - timedelta(days=1)),
        "ctor-calc": due_memory(NOW - timedelta(days=5), NOW - timedelta(days=9)),
        "bought-list": due_memory(NOW - timedelta(days=3)),
        "preheader-choice": due_memory(NOW - timedelta(days=2)),
        "message-type": due_memory(NOW + timedelta(hours=1)),  # not due yet
        "retired-family": due_memory(NOW - timedelta(days=30)),  # no longer in the pack
    }
    learner = view(skills={"deliverability": skill(0, 3, misconceptions=(active(BOUNCES),))},
                   memories=memories)
    step = step_of(pack, learner)
    assert step.kind is StepKind.RECHECK
    assert len(step.families) == MAX_RECHECKS
    assert step.families == ("ctor-calc", "bought-list", "preheader-choice")
    assert step.skill == "reporting-accuracy"
    topics = ", ".join(sorted(["Reporting accuracy", "Segmentation", "Template QA"]))
    assert step.reason == (f"3 re-checks are due on {topics}: you last answered the oldest 9 "
                           f"days ago, and recalling them now is what makes them stick.")
    assert step.lesson is None
    assert step.misconception is None


def test_a_single_recheck_says_it_and_counts_days(pack: Pack) -> None:
    learner = view(memories={"bounce-hard-or-soft": due_memory(NOW - timedelta(hours=2),
                                                              NOW - timedelta(days=3))})
    step = step_of(pack, learner)
    assert step.kind is StepKind.RECHECK
    assert step.families == ("bounce-hard-or-soft",)
    assert step.skill == "deliverability"
    assert step.reason == ("A re-check is due on Deliverability: you last answered it 3 days "
                           "ago, and recalling it now is what makes it stick.")


@pytest.mark.parametrize(("elapsed", "said"), [
    (timedelta(minutes=20), "1 hour ago"), (timedelta(hours=5), "5 hours ago"),
    (timedelta(hours=22), "a day ago"), (timedelta(hours=35), "a day ago"),
    (timedelta(hours=37), "2 days ago")])
def test_a_recheck_says_how_long_ago_in_words(pack: Pack, elapsed: timedelta,
                                              said: str) -> None:
    learner = view(memories={"bought-list": due_memory(NOW, NOW - elapsed)})
    step = step_of(pack, learner)
    assert step.kind is StepKind.RECHECK
    assert f"you last answered it {said}," in step.reason


def test_rechecks_on_one_skill_name_it_once(pack: Pack) -> None:
    learner = view(memories={f: due_memory(NOW - timedelta(days=i + 1)) for i, f in
                             enumerate(["bounce-hard-or-soft", "spam-rate-calc"])})
    step = step_of(pack, learner)
    assert step.reason.startswith("2 re-checks are due on Deliverability: ")
    assert step.families == ("spam-rate-calc", "bounce-hard-or-soft")


def test_nothing_due_means_no_recheck(pack: Pack) -> None:
    learner = view(memories={"bounce-hard-or-soft": due_memory(NOW + timedelta(seconds=1)),
                             "gone": due_memory(NOW - timedelta(days=9))})
    assert step_of(pack, learner).kind is not StepKind.RECHECK


# -- 2. remediation ----------------------------------------------------------------------------


def test_an_active_misconception_brings_its_remedy_section_then_practice(pack: Pack) -> None:
    learner = view(skills={"deliverability": skill(1, 2, misconceptions=(active(BOUNCES),))})
    step = step_of(pack, learner)
    lesson = lesson_of(pack, "bounces-and-complaints")
    minutes = section_minutes(lesson, "hard-and-soft-bounces")
    assert minutes >= 1
    assert step.kind is StepKind.REMEDIATION
    assert step.reason == (f"You mixed up soft and hard bounces: here is the {minutes}-minute "
                           f"section \u201cHard and soft bounces\u201d, then 2 practice items.")
    assert step.skill == "deliverability"
    assert step.lesson == "bounces-and-complaints"
    assert step.section == "hard-and-soft-bounces"
    assert step.misconception == BOUNCES
    assert len(step.families) == PRACTICE_ITEMS
    assert set(step.families) == {"bounce-hard-or-soft", "suppress-now-count"}  # its probes


def test_remediation_practice_can_reveal_the_misconception_again(pack: Pack) -> None:
    probing = {f.id for f in pack.families if ALIGNMENT in catalogue_of(pack).families[f.id]
               .probes}
    assert len(probing) > PRACTICE_ITEMS
    for seed in range(10):
        learner = view(skills={"deliverability": skill(1, 1, misconceptions=(
            active(ALIGNMENT),))})
        step = step_of(pack, learner, seed=seed, last_family="alignment-verdict")
        assert step.misconception == ALIGNMENT
        assert step.section == "what-each-check-actually-verifies"
        assert set(step.families) <= probing
        assert "alignment-verdict" not in step.families  # not the item just answered
        assert step.reason.startswith("You misjudged SPF and DKIM alignment: here is the ")


def test_the_most_recent_active_misconception_is_remedied_first(pack: Pack) -> None:
    learner = view(skills={
        "deliverability": skill(1, 2, misconceptions=(active(BOUNCES, hours_ago=30),)),
        "segmentation": skill(1, 2, misconceptions=(active("purchased-list-ok", 2),)),
    })
    step = step_of(pack, learner)
    assert step.misconception == "purchased-list-ok"
    assert step.skill == "segmentation"
    assert step.lesson == "consent-and-suppression"
    assert step.section == "start-from-permission-for-this-channel"
    assert step.reason.startswith("You treated a bought list as safe to mail: here is the ")


def test_a_cleared_misconception_does_not_trigger_remediation(pack: Pack) -> None:
    cleared = (BOUNCES, MisconceptionSeen(2, NOW - timedelta(days=2),
                                          cleared_at=NOW - timedelta(days=1)))
    learner = view(skills={"deliverability": skill(3, 0, misconceptions=(cleared,))})
    step = step_of(pack, learner)
    assert step.kind is not StepKind.REMEDIATION
    assert step.misconception is None


def test_an_unknown_misconception_is_ignored(pack: Pack) -> None:
    learner = view(skills={"deliverability": skill(3, 0, misconceptions=(
        active("renamed-in-a-later-version"),))})
    assert step_of(pack, learner).kind is not StepKind.REMEDIATION


def test_remediation_comes_before_lessons_and_low_mastery(pack: Pack) -> None:
    learner = view(skills={
        "compliance": skill(0, 8, confidence=1),
        "deliverability": skill(2, 1, misconceptions=(active(BOUNCES, 48),)),
    })
    assert step_of(pack, learner).kind is StepKind.REMEDIATION


def without_remedy(pack: Pack, mid: str, keep_lesson: bool = False) -> Pack:
    skills = tuple(
        replace(s, misconceptions=tuple(
            replace(m, remedy_lesson=m.remedy_lesson if keep_lesson else None,
                    remedy_section=None) if m.id == mid else m for m in s.misconceptions))
        for s in pack.skills)
    return replace(pack, skills=skills)


def test_without_a_remedy_the_revealing_familys_lesson_is_searched(pack: Pack) -> None:
    bare = without_remedy(pack, BOUNCES)
    learner = view(skills={"deliverability": skill(0, 1, misconceptions=(active(BOUNCES),))})
    step = step_of(bare, learner, last_family="bounce-hard-or-soft")
    assert step.kind is StepKind.REMEDIATION
    assert step.lesson == "bounces-and-complaints"
    assert step.section == "hard-and-soft-bounces"  # shares the most words


def test_a_remedy_without_a_section_points_at_the_lesson(pack: Pack) -> None:
    bare = without_remedy(pack, BOUNCES, keep_lesson=True)
    learner = view(skills={"deliverability": skill(0, 1, misconceptions=(active(BOUNCES),))})
    step = step_of(bare, learner)
    assert step.lesson == "bounces-and-complaints"
    assert step.section is None
    assert step.reason == ("You mixed up soft and hard bounces: here is the lesson "
                           "\u201cBounces, blocks and spam complaints\u201d, then 2 practice "
                           "items.")


def test_with_no_lesson_at_all_remediation_is_practice_only(pack: Pack) -> None:
    bare = without_remedy(pack, BOUNCES)
    bare = replace(bare, lessons=tuple(x for x in bare.lessons if x.skill != "deliverability"))
    learner = view(skills={"deliverability": skill(0, 1, misconceptions=(active(BOUNCES),))})
    step = step_of(bare, learner)
    assert step.kind is StepKind.REMEDIATION
    assert step.lesson is None
    assert step.section is None
    assert step.reason == "You mixed up soft and hard bounces: 2 practice items on it."
    assert len(step.families) == 2


def test_a_misconception_no_family_probes_practises_its_skill(pack: Pack) -> None:
    bare = replace(pack, families=tuple(
        f for f in pack.families if f.id not in ("bounce-hard-or-soft", "suppress-now-count")))
    learner = view(skills={"deliverability": skill(0, 1, misconceptions=(active(BOUNCES),))})
    step = step_of(bare, learner)
    assert step.kind is StepKind.REMEDIATION
    assert step.section == "hard-and-soft-bounces"
    assert len(step.families) == PRACTICE_ITEMS
    assert all(family(bare, f).skill == "deliverability" for f in step.families)


# -- remedy_for, label_of, section_minutes -----------------------------------------------------


def test_remedy_for_uses_the_packs_remedy(pack: Pack) -> None:
    m = pack.misconceptions()["footer-link-enough"]
    found = remedy_for(pack, m, family(pack, "bulk-sender-requirements"))
    assert found is not None
    assert (found[0].id, found[1]) == ("one-click-unsubscribe", "the-two-headers")


def test_remedy_for_falls_back_to_word_overlap(pack: Pack) -> None:
    m = replace(pack.misconceptions()["complaint-threshold-misread"], remedy_lesson=None,
                remedy_section=None)
    found = remedy_for(pack, m, family(pack, "spam-rate-zone"))
    assert found is not None
    assert found[0].id == "bounces-and-complaints"
    assert found[1] == "spam-complaints-the-0-1-and-0-3-lines"


def test_remedy_for_a_missing_remedy_lesson_falls_back(pack: Pack) -> None:
    m = replace(pack.misconceptions()[BOUNCES], remedy_lesson="deleted-lesson")
    found = remedy_for(pack, m, family(pack, "bounce-hard-or-soft"))
    assert found is not None
    assert found == (lesson_of(pack, "bounces-and-complaints"), "hard-and-soft-bounces")


def test_remedy_for_without_a_revealing_family_uses_the_skills_first_lesson(pack: Pack) -> None:
    m = replace(pack.misconceptions()["purchased-list-ok"], remedy_lesson=None)
    found = remedy_for(pack, m, None)
    assert found is not None
    assert found[0].id == "consent-and-suppression"  # segmentation's first lesson
    assert found[1] in {s.slug for s in found[0].sections}


def test_remedy_for_a_skill_without_lessons_is_none(pack: Pack) -> None:
    m = replace(pack.misconceptions()[BOUNCES], remedy_lesson=None)
    bare = replace(pack, lessons=tuple(x for x in pack.lessons if x.skill != "deliverability"))
    assert remedy_for(bare, m, family(pack, "bounce-hard-or-soft")) is None
    assert remedy_for(bare, m, None) is None


def test_remedy_for_a_lesson_without_sections_names_no_section(pack: Pack) -> None:
    m = replace(pack.misconceptions()[BOUNCES], remedy_lesson=None)
    bare = replace(pack, lessons=tuple(replace(x, sections=()) for x in pack.lessons))
    found = remedy_for(bare, m, family(pack, "bounce-hard-or-soft"))
    assert found is not None
    assert found[0].id == "bounces-and-complaints"
    assert found[1] is None


def test_label_of_prefers_the_label(pack: Pack) -> None:
    assert label_of(pack.misconceptions()[BOUNCES]) == "mixed up soft and hard bounces"


def test_label_of_falls_back_to_the_first_sentence_of_the_description(pack: Pack) -> None:
    m = replace(pack.misconceptions()[BOUNCES], label=None,
                description="Believes DKIM: covers everything. Also other things.")
    assert label_of(m) == "showed a common mix-up: believes dkim"
    m = replace(m, description="  Treats 5.1.1 as temporary; retries forever.  ")
    assert label_of(m) == "showed a common mix-up: treats 5.1.1 as temporary"
    m = replace(m, description="Mixes up sent and delivered.")
    assert label_of(m) == "showed a common mix-up: mixes up sent and delivered"


def test_a_remediation_without_a_label_still_reads_as_one_sentence(pack: Pack) -> None:
    skills = tuple(replace(s, misconceptions=tuple(replace(m, label="") for m in
                                                   s.misconceptions)) for s in pack.skills)
    bare = replace(pack, skills=skills)
    learner = view(skills={"deliverability": skill(0, 1, misconceptions=(active(BOUNCES),))})
    step = step_of(bare, learner)
    assert step.reason.startswith("You showed a common mix-up: treats a permanent (5.x.x) ")


def test_section_minutes_round_up_words_at_reading_speed(pack: Pack) -> None:
    lesson = lesson_of(pack, "bounces-and-complaints")
    for section in lesson.sections:
        words = len(section.body.split())
        assert section_minutes(lesson, section.slug) == max(1, math.ceil(words /
                                                                         WORDS_PER_MINUTE))
    long = replace(lesson, sections=(replace(lesson.sections[0], body="word " * 401),))
    assert section_minutes(long, lesson.sections[0].slug) == 3
    short = replace(lesson, sections=(replace(lesson.sections[0], body=""),), intro="")
    assert section_minutes(short, lesson.sections[0].slug) == 1
    intro = replace(lesson, intro="word " * 250)
    assert section_minutes(intro, None) == 2
    assert section_minutes(intro, "no-such-section") == 2


# -- 3. unsure or struggling -------------------------------------------------------------------


def test_low_confidence_brings_the_next_lesson_on_that_skill(pack: Pack) -> None:
    learner = view(skills={"segmentation": skill(4, 0, confidence=2)})
    step = step_of(pack, learner)
    lesson = lesson_of(pack, "consent-and-suppression")
    assert step.kind is StepKind.LESSON
    assert step.skill == "segmentation"
    assert step.lesson == lesson.id
    assert step.reason == (f"You rated your confidence 2 of 5 on Segmentation: the next "
                           f"lesson, \u201c{lesson.title}\u201d ({lesson.minutes} minutes), "
                           f"builds it up, then {CHECK_ITEMS} questions.")
    assert 0 < len(step.families) <= CHECK_ITEMS
    assert all(family(pack, f).skill == "segmentation" for f in step.families)
    assert all(family(pack, f).context is Context.STANDARD for f in step.families)


def test_low_mastery_brings_the_next_lesson_with_the_percentage(pack: Pack) -> None:
    state = skill(1, 6, confidence=4)
    learner = view(skills={"template-qa": state}, lessons=done("final-build-checks"))
    p = learner.mastery("template-qa", NOW)
    assert p is not None
    assert p < mastery.STRUGGLING
    step = step_of(pack, learner)
    assert step.kind is StepKind.LESSON
    assert step.skill == "template-qa"
    assert step.lesson == "images-and-alt-text"  # the next one not done
    assert step.reason.startswith(f"Your mastery of Template QA is {percent(p)}: the next "
                                  f"lesson, \u201cImages, alt text and images-off reading\u201d")


def test_unsure_with_every_lesson_done_means_practice_on_that_skill(pack: Pack) -> None:
    learner = view(skills={"compliance": skill(5, 0, confidence=1)}, lessons=all_done(pack))
    for seed in range(10):
        step = step_of(pack, learner, seed=seed, last_family="message-type")
        assert step.kind is StepKind.PRACTICE
        assert step.skill == "compliance"
        assert step.reason == ("You rated your confidence 1 of 5 on Compliance: 3 practice "
                               "questions will show where it is solid and where it is not.")
        assert len(step.families) == PRACTICE_ITEMS + 1
        assert "message-type" not in step.families
        for f in step.families:
            assert family(pack, f).skill == "compliance"
            assert family(pack, f).context is Context.STANDARD


def test_a_confident_good_learner_is_not_sent_back(pack: Pack) -> None:
    learner = view(skills={"segmentation": skill(6, 0, confidence=5)})
    step = step_of(pack, learner)
    assert not step.reason.startswith(("You rated", "Your mastery"))


# -- 4. next lesson, breadth first -------------------------------------------------------------


def test_a_new_learner_starts_with_the_first_lesson(pack: Pack) -> None:
    step = step_of(pack, view())
    first = pack.lessons[0]
    assert step.kind is StepKind.LESSON
    assert step.lesson == first.id
    assert step.skill == first.skill
    assert step.reason == (f"Next in Deliverability: \u201c{first.title}\u201d "
                           f"({first.minutes} minutes), then {CHECK_ITEMS} questions to prove it.")
    assert step.families == check_families(pack, first, random.Random(7))  # step_of's seed
    assert len(step.families) == CHECK_ITEMS
    assert all(family(pack, f).skill == first.skill for f in step.families)


def test_lessons_go_breadth_first_across_skills(pack: Pack) -> None:
    step = step_of(pack, view(lessons=done("authentication-alignment")))
    assert step.kind is StepKind.LESSON
    assert step.skill != "deliverability"
    assert step.lesson == "can-spam-essentials"  # the first lesson of a skill with none done


def test_walking_the_pack_offers_every_lesson_once_after_its_prerequisites(pack: Pack) -> None:
    completed: list[str] = []
    while True:
        step = step_of(pack, view(lessons=done(*completed)))
        if step.kind is not StepKind.LESSON:
            break
        assert step.lesson is not None
        assert step.lesson not in completed
        assert set(lesson_of(pack, step.lesson).prerequisites) <= set(completed)
        per_skill = {s.id: sum(1 for lid in completed if lesson_of(pack, lid).skill == s.id)
                     for s in pack.skills}
        assert per_skill[step.skill] <= min(per_skill.values()) + 1
        completed.append(step.lesson)
    assert sorted(completed) == sorted(x.id for x in pack.lessons)


def test_check_families_are_the_lessons_own_standard_items(pack: Pack) -> None:
    for lesson in pack.lessons:
        chosen = check_families(pack, lesson, random.Random(3))
        assert 0 < len(chosen) <= CHECK_ITEMS
        for f in chosen:
            assert family(pack, f).skill == lesson.skill
            assert family(pack, f).context is Context.STANDARD
        own = [f.id for f in pack.families if f.lesson == lesson.id and
               f.context is Context.STANDARD]
        if len(own) >= CHECK_ITEMS:
            assert set(chosen) <= set(own)


# -- 5. transfer, 6. weakest skill -------------------------------------------------------------


def every_skill(pack: Pack, **states: SkillState) -> dict[str, SkillState]:
    base = {s.id: skill(12, 0, confidence=3) for s in pack.skills}
    base.update({k.replace("_", "-"): v for k, v in states.items()})
    return base


def test_mastered_and_confident_after_every_lesson_means_transfer(pack: Pack) -> None:
    learner = view(skills=every_skill(pack, compliance=skill(20, 0, confidence=5)),
                   lessons=all_done(pack))
    step = step_of(pack, learner)
    p = learner.mastery("compliance", NOW)
    assert p is not None
    assert p >= mastery.MASTERED
    assert step.kind is StepKind.TRANSFER
    assert step.skill == "compliance"
    assert step.reason == (f"You have Compliance at {percent(p)} and feel sure of it: 2 "
                           f"transfer questions put it to work in a new situation.")
    assert len(step.families) == PRACTICE_ITEMS
    for f in step.families:
        assert family(pack, f).skill == "compliance"
        assert family(pack, f).context is Context.TRANSFER


def test_the_best_mastered_confident_skill_gets_the_transfer(pack: Pack) -> None:
    learner = view(skills=every_skill(pack, compliance=skill(15, 0, confidence=4),
                                      segmentation=skill(30, 0, confidence=5)),
                   lessons=all_done(pack))
    assert step_of(pack, learner).skill == "segmentation"


def test_no_transfer_while_lessons_are_left(pack: Pack) -> None:
    learner = view(skills=every_skill(pack, compliance=skill(20, 0, confidence=5)))
    assert step_of(pack, learner).kind is StepKind.LESSON


def test_no_transfer_without_confidence_practice_on_the_weakest(pack: Pack) -> None:
    learner = view(skills=every_skill(pack, template_qa=skill(3, 3, confidence=3),
                                      compliance=skill(20, 0, confidence=3)),
                   lessons=all_done(pack))
    p = learner.mastery("template-qa", NOW)
    assert p is not None
    assert p >= mastery.STRUGGLING
    step = step_of(pack, learner, last_family="dark-mode-logo")
    assert step.kind is StepKind.PRACTICE
    assert step.skill == "template-qa"
    assert step.reason == f"Practice on Template QA, your weakest skill at {percent(p)}: 3 " \
        "questions."
    assert len(step.families) == PRACTICE_ITEMS + 1
    assert "dark-mode-logo" not in step.families
    assert all(family(pack, f).skill == "template-qa" for f in step.families)


def test_a_skill_never_answered_counts_as_the_weakest(pack: Pack) -> None:
    skills = every_skill(pack)
    del skills["reporting-accuracy"]
    step = step_of(pack, view(skills=skills, lessons=all_done(pack)))
    assert step.kind is StepKind.PRACTICE
    assert step.skill == "reporting-accuracy"
    assert step.reason == "Practice on Reporting accuracy, your weakest skill at 0%: 3 questions."


def test_a_pack_without_items_or_lessons_has_no_step() -> None:
    empty = Pack(id="empty", title="Empty", description="Nothing yet.")
    assert next_step(empty, view(), NOW, random.Random(0)) is None


def test_the_same_seed_gives_the_same_step(pack: Pack) -> None:
    learners = [
        view(),
        view(skills={"deliverability": skill(0, 2, misconceptions=(active(ALIGNMENT),))}),
        view(skills={"compliance": skill(5, 0, confidence=1)}, lessons=all_done(pack)),
        view(skills=every_skill(pack), lessons=all_done(pack)),
    ]
    for learner in learners:
        for seed in range(5):
            assert next_step(pack, learner, NOW, random.Random(seed)) == \
                next_step(pack, learner, NOW, random.Random(seed))


def test_next_step_does_not_change_the_view(pack: Pack) -> None:
    learner = view(skills={"deliverability": skill(0, 2, misconceptions=(active(BOUNCES),))},
                   memories={"bought-list": due_memory(NOW + timedelta(days=1))},
                   lessons=done("authentication-alignment"))
    before = (dict(learner.skills), dict(learner.memories), dict(learner.lessons))
    step_of(pack, learner)
    assert (learner.skills, learner.memories, learner.lessons) == before


# -- small helpers -----------------------------------------------------------------------------


def test_skill_probability_is_none_until_the_first_answer() -> None:
    assert skill_probability(None, NOW) is None
    assert skill_probability(SkillState(), NOW) is None
    state = skill(2, 1)
    model = answer_model.shipped()
    z = model.logit("", ("s",), (state.trace,), LearnerTrace(), "s")
    assert skill_probability(state, NOW, "s") == mastery.combine(z, state.evidence, NOW)
    seen = view({"s": state})
    assert seen.mastery("s", NOW) == skill_probability(state, NOW, "s", seen.trace)


@pytest.mark.parametrize(("p", "text"), [(0.0, "0%"), (0.004, "0%"), (0.456, "46%"),
                                          (0.85, "85%"), (0.999, "100%"), (1.0, "100%")])
def test_percent(p: float, text: str) -> None:
    assert percent(p) == text


# -- the catalogue -----------------------------------------------------------------------------


def test_the_catalogue_knows_every_familys_skill_and_difficulty(pack: Pack) -> None:
    catalogue = catalogue_of(pack)
    assert catalogue.pack == pack.id
    assert catalogue.skills == frozenset(s.id for s in pack.skills)
    assert set(catalogue.families) == {f.id for f in pack.families}
    for f in pack.families:
        facts = catalogue.families[f.id]
        assert facts.skill == f.skill
        assert facts.skill in catalogue.skills
        assert facts.difficulty == f.difficulty
        assert 1 <= facts.difficulty <= 5
        assert facts.probes <= set(pack.misconceptions())


def test_the_catalogue_probes_come_from_options_numbers_and_forbidden_answers(
        pack: Pack) -> None:
    families = catalogue_of(pack).families
    assert families["bounce-hard-or-soft"].probes == {BOUNCES}  # single-choice options
    assert families["spam-rate-calc"].probes == {"complaint-threshold-misread"}  # numeric
    assert families["suppress-now-count"].probes == {BOUNCES, "policy-block-as-bad-address"}
    assert families["explain-one-click"].probes == {"footer-link-enough"}  # free-text forbidden
    assert families["sunset-plan"].probes == {"mpp-opens-define-engaged", "no-sunset-policy"}
    assert families["block-response"].probes == {
        "complaint-threshold-misread", ALIGNMENT, "policy-block-as-bad-address",
        "spam-words-myth"}


def test_the_catalogue_maps_lessons_and_their_sections(pack: Pack) -> None:
    catalogue = catalogue_of(pack)
    assert catalogue.lessons == {x.id: x.skill for x in pack.lessons}
    assert catalogue.sections["bounces-and-complaints"] >= {
        "hard-and-soft-bounces", "blocks-are-not-bad-addresses"}
    for lesson in pack.lessons:
        assert catalogue.sections[lesson.id] == {s.slug for s in lesson.sections}


def test_every_family_has_distinct_variants(pack: Pack) -> None:
    distinct = catalogue_of(pack).distinct
    assert set(distinct) == {f.id for f in pack.families}
    for variants in distinct.values():
        assert variants
        assert len(set(variants)) == len(variants)
        assert all(v >= 0 for v in variants)
        assert 0 in variants
    assert len(distinct["click-rate-delivered"]) > 1


def test_a_family_that_does_not_render_still_has_variant_zero() -> None:
    broken = ItemFamily(id="broken", skill="s", type=ItemType.NUMERIC,
                        stem="What is {missing} divided by two?", answer="missing / 2")
    catalogue = catalogue_of(Pack(id="p", title="P", description="", families=(broken,)))
    assert catalogue.distinct["broken"] == (0,)
    assert catalogue.families["broken"].probes == frozenset()


# -- practice at the learner's level (calibrated items) ------------------------------------------


def _calibrated(pack: Pack, skill_id: str) -> dict[str, ItemParameters]:
    """The skill's standard families, calibrated from very easy to very hard."""
    pool = sorted(f.id for f in pack.families
                  if f.skill == skill_id and f.context is Context.STANDARD)
    return {fid: ItemParameters(fid, -3.0 + 6.0 * i / (len(pool) - 1), 1.2)
            for i, fid in enumerate(pool)}


def _first_answers(items: dict[str, ItemParameters], right: bool) -> dict[str, FamilyMemory]:
    return {fid: replace(due_memory(NOW + timedelta(days=5)), first_correct=right)
            for fid in items}


@pytest.mark.parametrize("right", [True, False])
def test_practice_is_chosen_near_the_learners_level(pack: Pack, right: bool) -> None:
    items = _calibrated(pack, "compliance")
    assert len(items) > PRACTICE_ITEMS + 1
    learner = LearnerView({"compliance": skill(5, 0, confidence=1)},
                          _first_answers(items, right), all_done(pack), items)
    theta = learner.ability()
    assert (theta > 0.5) if right else (theta < -0.5)
    step = step_of(pack, learner)
    assert step.kind is StepKind.PRACTICE
    chances = {fid: probability(theta, items[fid]) for fid in items}
    nearest = sorted(items, key=lambda fid: abs(chances[fid] - TARGET_SUCCESS))
    assert list(step.families) == nearest[:PRACTICE_ITEMS + 1]
    # the same for every seed: the level decides, not chance
    assert all(step_of(pack, learner, seed=s).families == step.families for s in range(5))


def test_uncalibrated_and_flat_items_fall_back_to_chance(pack: Pack) -> None:
    items = _calibrated(pack, "compliance")
    flat = {fid: replace(p, discrimination=0.0) for fid, p in items.items()}
    learner = LearnerView({"compliance": skill(5, 0, confidence=1)}, {}, all_done(pack), flat)
    draws = {step_of(pack, learner, seed=s).families for s in range(10)}
    assert len(draws) > 1
    one = dict(list(items.items())[:1])
    partly = LearnerView({"compliance": skill(5, 0, confidence=1)}, {}, all_done(pack), one)
    step = step_of(pack, partly)
    assert step.families[0] == next(iter(one))  # the calibrated one first, the rest at random
    assert len(step.families) == PRACTICE_ITEMS + 1
    assert LearnerView({}, {}, {}).ability() == pytest.approx(0.0)
