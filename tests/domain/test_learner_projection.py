"""Projectors: answers, pulses and lesson events folded into skill, lesson and week state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.learner import answer_model, mastery, memory
from learnloop.domain.learner.answer_model import LearnerTrace
from learnloop.domain.learner.catalogue import FamilyFacts
from learnloop.domain.learner.events import (
    Answered,
    LessonCompleted,
    LessonLaunched,
    PulseGiven,
    SectionViewed,
)
from learnloop.domain.learner.projection import (
    LessonProgress,
    MisconceptionSeen,
    SkillState,
    answered_memory,
    answered_skill,
    lesson_progress,
    pulsed_skill,
    week_of,
    weeks_in_a_row,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOUNCES = "soft-hard-bounce-confused"
BLOCKS = "policy-block-as-bad-address"
PROBES_BOTH = FamilyFacts("deliverability", 3, frozenset({BOUNCES, BLOCKS}))
PROBES_BOUNCES = FamilyFacts("deliverability", 2, frozenset({BOUNCES}))
PROBES_NOTHING = FamilyFacts("deliverability", 2, frozenset())


def answer(at: datetime, success: bool, *misconceptions: str, score: float | None = None,
           family: str = "bounce-hard-or-soft") -> Answered:
    value = score if score is not None else (1.0 if success else 0.0)
    return Answered("marketing-essentials", family, 0, at, value, success,
                    tuple(misconceptions))


def answered(state: SkillState, event: Answered, facts: FamilyFacts) -> SkillState:
    return answered_skill(state, event, facts, LearnerTrace(), 0.7)[0]


def fold(events: list[Answered], facts: FamilyFacts = PROBES_BOTH) -> SkillState:
    state = SkillState()
    for event in events:
        state = answered(state, event, facts)
    return state


def seen(state: SkillState, mid: str) -> MisconceptionSeen:
    found = state.misconception(mid)
    assert found is not None
    return found


# -- answers on a skill ------------------------------------------------------------------------


def test_answers_count_and_update_the_answer_models_traces() -> None:
    events = [answer(T0, True), answer(T0 + timedelta(hours=1), False),
              answer(T0 + timedelta(hours=2), True, score=0.5)]
    state = SkillState()
    learner = LearnerTrace()
    traces: tuple[answer_model.SkillTrace, ...] = (answer_model.SkillTrace(),)
    expected = LearnerTrace()
    for event in events:
        state, learner = answered_skill(state, event, PROBES_BOTH, learner, 0.7)
        traces, expected = answer_model.observe(traces, expected, "deliverability",
                                                event.score, event.success, 0.7)
    assert state.answers == 3
    assert state.correct == 2
    assert (state.trace,) == traces
    assert learner == expected
    assert learner.run == "deliverability"
    assert state.evidence == mastery.Evidence()  # evidence is from work only


def test_a_new_skill_state_is_empty() -> None:
    state = SkillState()
    assert state.answers == 0
    assert state.correct == 0
    assert state.misconceptions == ()
    assert state.misconception(BOUNCES) is None
    assert state.evidence == mastery.Evidence()


def test_a_misconception_is_counted_with_its_last_time() -> None:
    state = fold([answer(T0, False, BOUNCES),
                  answer(T0 + timedelta(days=1), False, BOUNCES, BLOCKS)])
    bounces = seen(state, BOUNCES)
    assert bounces.count == 2
    assert bounces.last_seen == T0 + timedelta(days=1)
    assert bounces.cleared_at is None
    assert bounces.active
    assert seen(state, BLOCKS).count == 1
    assert [mid for mid, _ in state.misconceptions] == sorted([BOUNCES, BLOCKS])


def test_a_late_misconception_counts_but_does_not_move_last_seen_back() -> None:
    state = fold([answer(T0 + timedelta(days=3), False, BOUNCES),
                  answer(T0, False, BOUNCES)])
    assert seen(state, BOUNCES).count == 2
    assert seen(state, BOUNCES).last_seen == T0 + timedelta(days=3)


def test_a_later_right_answer_on_a_probing_family_clears_the_misconception() -> None:
    later = T0 + timedelta(days=2)
    state = fold([answer(T0, False, BOUNCES), answer(later, True)])
    bounces = seen(state, BOUNCES)
    assert bounces.cleared_at == later
    assert not bounces.active
    assert bounces.count == 1  # the history stays


def test_a_right_answer_at_the_same_moment_clears_it() -> None:
    state = fold([answer(T0, False, BOUNCES), answer(T0, True)])
    assert not seen(state, BOUNCES).active


def test_an_earlier_right_answer_arriving_late_does_not_clear_it() -> None:
    state = fold([answer(T0 + timedelta(days=2), False, BOUNCES), answer(T0, True)])
    bounces = seen(state, BOUNCES)
    assert bounces.cleared_at is None
    assert bounces.active


def test_a_right_answer_on_a_family_that_cannot_reveal_it_does_not_clear_it() -> None:
    state = SkillState()
    state = answered(state, answer(T0, False, BOUNCES, BLOCKS), PROBES_BOTH)
    state = answered(state, answer(T0 + timedelta(days=1), True), PROBES_BOUNCES)
    assert not seen(state, BOUNCES).active
    assert seen(state, BLOCKS).active  # PROBES_BOUNCES could not have shown BLOCKS again
    state = answered(state, answer(T0 + timedelta(days=2), True), PROBES_NOTHING)
    assert seen(state, BLOCKS).active


def test_a_wrong_answer_clears_nothing() -> None:
    state = fold([answer(T0, False, BOUNCES), answer(T0 + timedelta(days=1), False)])
    assert seen(state, BOUNCES).active


def test_a_right_answer_that_still_shows_the_misconception_does_not_clear_it() -> None:
    state = fold([answer(T0, False, BOUNCES),
                  answer(T0 + timedelta(days=1), True, BOUNCES, score=0.6)])
    bounces = seen(state, BOUNCES)
    assert bounces.active
    assert bounces.count == 2


def test_a_cleared_misconception_comes_back_when_seen_again() -> None:
    state = fold([answer(T0, False, BOUNCES), answer(T0 + timedelta(days=1), True),
                  answer(T0 + timedelta(days=2), False, BOUNCES)])
    bounces = seen(state, BOUNCES)
    assert bounces.active
    assert bounces.count == 2
    assert bounces.cleared_at == T0 + timedelta(days=1)
    assert bounces.last_seen == T0 + timedelta(days=2)


def test_misconception_seen_active_rule() -> None:
    assert MisconceptionSeen(1, T0).active
    assert MisconceptionSeen(1, T0, cleared_at=T0 - timedelta(seconds=1)).active
    assert not MisconceptionSeen(1, T0, cleared_at=T0).active
    assert not MisconceptionSeen(1, T0, cleared_at=T0 + timedelta(days=1)).active


def test_answered_skill_returns_a_new_state() -> None:
    before = fold([answer(T0, False, BOUNCES)])
    snapshot = (before.answers, before.correct, before.evidence, before.misconceptions)
    after = answered(before, answer(T0 + timedelta(days=1), True), PROBES_BOTH)
    assert after is not before
    assert (before.answers, before.correct, before.evidence, before.misconceptions) == snapshot


def test_answered_skill_keeps_the_pulse() -> None:
    pulsed = pulsed_skill(SkillState(), pulse(T0, 2, 4))
    after = answered(pulsed, answer(T0 + timedelta(hours=1), True), PROBES_BOTH)
    assert (after.confidence, after.relevance, after.pulse_at) == (2, 4, T0)


@given(st.lists(st.tuples(st.integers(0, 60), st.booleans(),
                          st.sets(st.sampled_from([BOUNCES, BLOCKS]))), max_size=25))
def test_misconception_counts_match_the_answers_in_any_order(
        history: list[tuple[int, bool, set[str]]]) -> None:
    events = [answer(T0 + timedelta(days=d), ok, *sorted(mids)) for d, ok, mids in history]
    state = fold(events)
    assert state.answers == len(events)
    assert state.correct == sum(1 for e in events if e.success)
    for mid in (BOUNCES, BLOCKS):
        showing = [e for e in events if mid in e.misconceptions]
        found = state.misconception(mid)
        if not showing:
            assert found is None
            continue
        assert found is not None
        assert found.count == len(showing)
        assert found.last_seen == max(e.at for e in showing)
        if found.cleared_at is not None:
            assert any(e.success and e.at == found.cleared_at for e in events)


# -- memory ------------------------------------------------------------------------------------


def test_answered_memory_reviews_the_family() -> None:
    first = answered_memory(None, answer(T0, True))
    assert first == memory.review(None, 1.0, True, T0)
    second = answered_memory(first, answer(first.due, False))
    assert second == memory.review(first, 0.0, False, first.due)
    assert second.reviews == 2
    assert second.lapses == 1


# -- pulses ------------------------------------------------------------------------------------


def pulse(at: datetime, confidence: int, relevance: int) -> PulseGiven:
    return PulseGiven("marketing-essentials", "check", None, "deliverability", at,
                      confidence, relevance)


def test_a_pulse_sets_confidence_and_relevance() -> None:
    state = pulsed_skill(SkillState(), pulse(T0, 2, 5))
    assert (state.confidence, state.relevance, state.pulse_at) == (2, 5, T0)


def test_a_newer_pulse_replaces_an_older_one() -> None:
    state = pulsed_skill(pulsed_skill(SkillState(), pulse(T0, 2, 5)),
                         pulse(T0 + timedelta(days=1), 4, 3))
    assert (state.confidence, state.relevance, state.pulse_at) == \
        (4, 3, T0 + timedelta(days=1))


def test_a_pulse_at_the_same_moment_replaces_it() -> None:
    state = pulsed_skill(pulsed_skill(SkillState(), pulse(T0, 2, 5)), pulse(T0, 3, 3))
    assert (state.confidence, state.relevance) == (3, 3)


def test_an_older_pulse_arriving_late_is_ignored() -> None:
    newer = pulsed_skill(SkillState(), pulse(T0 + timedelta(days=1), 4, 3))
    after = pulsed_skill(newer, pulse(T0, 1, 1))
    assert after == newer
    assert (after.confidence, after.relevance, after.pulse_at) == \
        (4, 3, T0 + timedelta(days=1))


def test_a_pulse_keeps_the_answers() -> None:
    answered = fold([answer(T0, False, BOUNCES)])
    after = pulsed_skill(answered, pulse(T0 + timedelta(hours=1), 1, 2))
    assert after.answers == answered.answers
    assert after.evidence == answered.evidence
    assert after.misconceptions == answered.misconceptions


# -- lessons -----------------------------------------------------------------------------------


PACK, LESSON = "marketing-essentials", "bounces-and-complaints"


def test_launches_count_and_keep_the_first_time() -> None:
    progress = LessonProgress()
    for at in (T0 + timedelta(days=1), T0 + timedelta(days=3), T0):  # the last one came late
        progress = lesson_progress(progress, LessonLaunched(PACK, LESSON, at))
    assert progress.launches == 3
    assert progress.first_launched_at == T0
    assert progress.completed_at is None
    assert progress.completions == 0


def test_sections_viewed_are_a_set() -> None:
    progress = LessonProgress()
    for slug in ("hard-and-soft-bounces", "blocks-are-not-bad-addresses",
                 "hard-and-soft-bounces"):
        progress = lesson_progress(progress, SectionViewed(PACK, LESSON, slug, T0))
    assert progress.sections == frozenset({"hard-and-soft-bounces",
                                           "blocks-are-not-bad-addresses"})
    assert progress.launches == 0


def test_completions_count_and_keep_the_first_completion() -> None:
    progress = LessonProgress()
    for at in (T0 + timedelta(days=2), T0 + timedelta(days=5), T0 + timedelta(days=1)):
        progress = lesson_progress(progress, LessonCompleted(PACK, LESSON, at))
    assert progress.completions == 3
    assert progress.completed_at == T0 + timedelta(days=1)


def test_lesson_progress_returns_a_new_value() -> None:
    before = LessonProgress()
    after = lesson_progress(before, LessonLaunched(PACK, LESSON, T0))
    assert before == LessonProgress()
    assert after.launches == 1


# -- weeks -------------------------------------------------------------------------------------


MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)


def test_week_of_is_the_monday_of_the_local_week() -> None:
    for day in range(7):
        at = datetime(2026, 3, 2 + day, 12, 0, tzinfo=UTC)
        assert week_of(at, "UTC") == MONDAY
    assert week_of(datetime(2026, 3, 9, 0, 0, tzinfo=UTC), "UTC") == MONDAY + timedelta(7)
    assert week_of(datetime(2026, 3, 1, 23, 59, tzinfo=UTC), "UTC") == MONDAY - timedelta(7)


def test_sunday_late_evening_in_berlin_is_still_that_week() -> None:
    berlin = datetime(2026, 3, 8, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # 22:30 UTC
    assert week_of(berlin, "Europe/Berlin") == MONDAY
    assert week_of(berlin, "UTC") == MONDAY


def test_sunday_late_evening_in_utc_is_already_next_week_in_berlin() -> None:
    utc = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert week_of(utc, "UTC") == MONDAY
    assert week_of(utc, "Europe/Berlin") == MONDAY + timedelta(7)


def test_monday_early_in_utc_is_still_last_week_in_new_york() -> None:
    utc = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Sunday 23:00 in New York
    assert week_of(utc, "UTC") == MONDAY + timedelta(7)
    assert week_of(utc, "America/New_York") == MONDAY


def test_week_of_across_a_daylight_saving_change() -> None:
    # Europe switches to summer time on Sunday 29 March 2026 at 01:00 UTC.
    before = datetime(2026, 3, 29, 21, 59, tzinfo=UTC)  # 23:59 CEST, still Sunday
    after = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # 00:00 CEST, Monday
    assert week_of(before, "Europe/Berlin") == date(2026, 3, 23)
    assert week_of(after, "Europe/Berlin") == date(2026, 3, 30)


@given(st.integers(min_value=0, max_value=100 * 366 * 24 * 60)
       .map(lambda minutes: datetime(2000, 1, 3, tzinfo=UTC) + timedelta(minutes=minutes)),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
                        "Pacific/Kiritimati", "Pacific/Pago_Pago"]))
def test_week_of_is_a_monday_within_the_week(at: datetime, zone: str) -> None:
    monday = week_of(at, zone)
    local = at.astimezone(ZoneInfo(zone)).date()
    assert monday.weekday() == 0
    assert monday <= local < monday + timedelta(days=7)


def weeks(*mondays_back: int) -> set[date]:
    return {MONDAY - timedelta(weeks=k) for k in mondays_back}


@pytest.mark.parametrize("today", [MONDAY, MONDAY + timedelta(days=3), SUNDAY])
def test_weeks_in_a_row_ending_this_week(today: date) -> None:
    assert weeks_in_a_row(set(), today) == 0
    assert weeks_in_a_row(weeks(0), today) == 1
    assert weeks_in_a_row(weeks(0, 1, 2), today) == 3


def test_a_gap_ends_the_run() -> None:
    assert weeks_in_a_row(weeks(0, 1, 3, 4, 5), SUNDAY) == 2
    assert weeks_in_a_row(weeks(0, 2, 3), SUNDAY) == 1


def test_an_empty_week_so_far_counts_from_last_week() -> None:
    assert weeks_in_a_row(weeks(1, 2, 3), MONDAY) == 3
    assert weeks_in_a_row(weeks(1, 2, 3), SUNDAY) == 3
    assert weeks_in_a_row(weeks(1), MONDAY) == 1


def test_two_empty_weeks_break_the_run() -> None:
    assert weeks_in_a_row(weeks(2, 3, 4), SUNDAY) == 0


def test_future_weeks_do_not_count() -> None:
    future = {MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=2)}
    assert weeks_in_a_row(future | weeks(0), MONDAY) == 1
    assert weeks_in_a_row(future, MONDAY) == 0


@given(st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=6))
def test_a_long_unbroken_run_counts_every_week(length: int, weekday: int) -> None:
    today = MONDAY + timedelta(days=weekday)
    assert weeks_in_a_row({MONDAY - timedelta(weeks=k) for k in range(length)}, today) == length
