"""Memory per item family (FSRS-6): ratings, due dates, counts, late answers, recall."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.learner.fsrs import Rating
from learnloop.domain.learner.memory import (
    MAXIMUM_INTERVAL_DAYS,
    TARGET_RETENTION,
    FamilyMemory,
    is_due,
    overdue_days,
    rating_for,
    recall_probability,
    review,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def history(answers: list[tuple[float, bool]], start: datetime = T0,
            gap: timedelta | None = None) -> list[FamilyMemory]:
    """Every memory after each answer; answered on the due date unless a gap is given."""
    out: list[FamilyMemory] = []
    current: FamilyMemory | None = None
    at = start
    for score, success in answers:
        current = review(current, score, success, at)
        out.append(current)
        at = current.due if gap is None else at + gap
    return out


# -- rating ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "success", "rating"), [
    (0.0, False, Rating.AGAIN),
    (0.5, False, Rating.AGAIN),
    (1.0, False, Rating.AGAIN),  # wrong is wrong, whatever the partial score
    (0.0, True, Rating.HARD),
    (0.5, True, Rating.HARD),
    (0.79, True, Rating.HARD),
    (0.8, True, Rating.GOOD),
    (0.95, True, Rating.GOOD),
    (1.0, True, Rating.GOOD),
])
def test_rating_maps_wrong_partial_and_right(score: float, success: bool, rating: Rating) -> None:
    assert rating_for(score, success) is rating


@given(st.floats(min_value=0.0, max_value=1.0), st.booleans())
def test_easy_is_never_inferred(score: float, success: bool) -> None:
    assert rating_for(score, success) is not Rating.EASY


# -- first answers -----------------------------------------------------------------------------


def test_a_wrong_first_answer_is_due_the_next_day() -> None:
    after = review(None, 0.0, False, T0)
    assert after.due == T0 + DAY
    assert after.last_review == T0
    assert after.reviews == 1
    assert after.lapses == 1


def test_a_right_first_answer_is_due_in_about_two_days() -> None:
    after = review(None, 1.0, True, T0)
    interval = after.due - T0
    assert timedelta(days=2) <= interval <= timedelta(days=3)
    assert interval % DAY == timedelta(0)  # whole days, no same-day learning steps
    assert after.reviews == 1
    assert after.lapses == 0


def test_a_partial_first_answer_sits_between_wrong_and_right() -> None:
    wrong = review(None, 0.0, False, T0)
    partial = review(None, 0.5, True, T0)
    right = review(None, 1.0, True, T0)
    assert wrong.due <= partial.due <= right.due
    assert wrong.stability < partial.stability < right.stability
    assert partial.lapses == 0  # a right answer with partial credit is not a lapse


def test_a_harder_first_answer_means_a_higher_difficulty() -> None:
    assert review(None, 0.0, False, T0).difficulty > review(None, 0.5, True, T0).difficulty \
        > review(None, 1.0, True, T0).difficulty


# -- repeated answers --------------------------------------------------------------------------


def test_intervals_grow_with_repeated_success_up_to_the_maximum() -> None:
    memories = history([(1.0, True)] * 10)
    intervals = [m.due - m.last_review for m in memories]
    capped = timedelta(days=MAXIMUM_INTERVAL_DAYS)
    growing = [i for i in intervals if i < capped]
    assert len(growing) >= 3
    assert growing == sorted(growing)
    assert len(set(growing)) == len(growing)  # strictly growing until the cap
    assert all(i <= capped for i in intervals)
    assert intervals[-1] == capped
    stabilities = [m.stability for m in memories]
    assert stabilities == sorted(stabilities)


def test_a_lapse_after_successes_brings_the_family_back_soon() -> None:
    learned = history([(1.0, True)] * 4)[-1]
    lapsed = review(learned, 0.0, False, learned.due)
    assert lapsed.due - lapsed.last_review < learned.due - learned.last_review
    assert lapsed.due - lapsed.last_review <= timedelta(days=7)
    assert lapsed.stability < learned.stability
    assert lapsed.difficulty > learned.difficulty


def test_reviews_count_every_answer_and_lapses_count_the_wrong_ones() -> None:
    memories = history([(1.0, True), (0.0, False), (0.6, True), (0.0, False), (1.0, True)])
    assert [m.reviews for m in memories] == [1, 2, 3, 4, 5]
    assert [m.lapses for m in memories] == [0, 1, 1, 2, 2]


def test_right_answers_are_due_when_recall_drops_to_the_target() -> None:
    for m in history([(1.0, True)] * 4):
        assert recall_probability(m, m.due) == pytest.approx(TARGET_RETENTION, abs=0.02)


def test_review_never_mutates_its_input() -> None:
    before = review(None, 1.0, True, T0)
    snapshot = replace(before)
    after = review(before, 0.0, False, before.due)
    assert after is not before
    assert before == snapshot
    with pytest.raises(AttributeError):
        before.reviews = 99  # type: ignore[misc]


def test_scheduling_is_deterministic() -> None:
    answers = [(1.0, True), (0.0, False), (0.7, True), (1.0, True), (1.0, True)]
    gaps = timedelta(days=3, hours=5)
    assert history(answers) == history(answers)
    assert history(answers, gap=gaps) == history(answers, gap=gaps)


def test_the_same_answer_later_is_scheduled_from_its_own_time() -> None:
    early = review(None, 1.0, True, T0)
    later = review(None, 1.0, True, T0 + timedelta(days=10))
    assert later.due - later.last_review == early.due - early.last_review
    assert later.stability == early.stability


# -- late (out of order) answers ---------------------------------------------------------------


def test_a_late_answer_is_scheduled_as_if_it_came_right_after_the_last_one() -> None:
    first = review(None, 1.0, True, T0)
    late = review(first, 1.0, True, T0 - timedelta(days=5))
    assert late == review(first, 1.0, True, T0)
    assert late.last_review == T0  # time does not go backwards
    assert late.due >= first.last_review
    assert late.reviews == 2


def test_a_late_wrong_answer_still_counts_as_a_lapse() -> None:
    first = review(None, 1.0, True, T0 + timedelta(days=3))
    late = review(first, 0.0, False, T0)
    assert late.lapses == 1
    assert late.reviews == 2
    assert late.last_review == first.last_review


def test_an_answer_in_another_time_zone_counts_as_the_same_moment() -> None:
    berlin = T0.astimezone(ZoneInfo("Europe/Berlin"))
    assert review(None, 1.0, True, berlin) == review(None, 1.0, True, T0)
    assert review(None, 1.0, True, T0.astimezone(ZoneInfo("UTC"))) == review(None, 1.0, True, T0)


def test_a_late_answer_on_a_memory_stored_in_another_zone_is_scheduled() -> None:
    stored = review(None, 1.0, True, T0)
    berlin = ZoneInfo("Europe/Berlin")
    loaded = replace(stored, due=stored.due.astimezone(berlin),
                     last_review=stored.last_review.astimezone(berlin))
    assert review(loaded, 1.0, True, T0 - DAY) == review(stored, 1.0, True, T0)


# -- recall, due -------------------------------------------------------------------------------


def test_recall_is_certain_right_after_an_answer_and_fades_day_by_day() -> None:
    m = review(None, 1.0, True, T0)
    assert recall_probability(m, T0) == pytest.approx(1.0)
    daily = [recall_probability(m, T0 + k * DAY) for k in range(1, 60)]
    assert all(0.0 < p < 1.0 for p in daily)
    assert all(a > b for a, b in pairwise(daily))


def test_recall_never_rises_as_time_passes() -> None:
    m = history([(1.0, True), (0.0, False)])[-1]
    hourly = [recall_probability(m, m.last_review + timedelta(hours=h)) for h in range(24 * 30)]
    assert all(a >= b for a, b in pairwise(hourly))


def test_recall_before_the_last_answer_is_certain() -> None:
    m = review(None, 0.0, False, T0)
    assert recall_probability(m, T0 - timedelta(days=30)) == pytest.approx(1.0)


def test_a_stronger_memory_is_recalled_better_at_the_same_distance() -> None:
    weak = review(None, 0.0, False, T0)
    strong = review(None, 1.0, True, T0)
    at = T0 + timedelta(days=5)
    assert recall_probability(weak, at) < recall_probability(strong, at)


@given(st.integers(min_value=-100_000, max_value=1_000_000),
       st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=6))
def test_recall_stays_a_probability(minutes: int, answers: list[tuple[float, bool]]) -> None:
    m = history(answers)[-1]
    p = recall_probability(m, m.last_review + timedelta(minutes=minutes))
    assert 0.0 <= p <= 1.0


def test_is_due_and_overdue_days() -> None:
    m = review(None, 0.0, False, T0)
    assert not is_due(m, m.due - timedelta(seconds=1))
    assert is_due(m, m.due)
    assert is_due(m, m.due + timedelta(days=3))
    assert overdue_days(m, m.due) == 0.0
    assert overdue_days(m, m.due + timedelta(hours=36)) == pytest.approx(1.5)
    assert overdue_days(m, m.due - timedelta(hours=12)) == pytest.approx(-0.5)


def test_as_json_writes_every_field_with_iso_times() -> None:
    m = review(None, 1.0, True, T0)
    assert m.as_json() == {"stability": m.stability, "difficulty": m.difficulty,
                           "due": m.due.isoformat(), "last_review": T0.isoformat(),
                           "reviews": 1, "lapses": 0, "first_correct": True,
                           "due_checks": 0, "due_recalled": 0, "due_expected": 0.0}
    assert datetime.fromisoformat(m.as_json()["due"]) == m.due


# -- the same schedule as py-fsrs, the reference implementation -----------------------------------


def _oracle(ratings: list[tuple[Rating, timedelta]]) -> list[tuple[float, float, datetime]]:
    """py-fsrs 6 with the product's settings: no fuzz, no same-day steps."""
    from fsrs import Card, Scheduler, State
    from fsrs import Rating as PyRating

    scheduler = Scheduler(desired_retention=TARGET_RETENTION, learning_steps=(),
                          relearning_steps=(), maximum_interval=MAXIMUM_INTERVAL_DAYS,
                          enable_fuzzing=False)
    card = Card(card_id=1, state=State.Learning, step=0)
    out = []
    at = T0
    for rating, gap in ratings:
        at += gap
        card, _ = scheduler.review_card(card, PyRating(int(rating)), at)
        out.append((card.stability, card.difficulty, card.due))
    return out


@given(st.lists(st.tuples(st.sampled_from([(0.0, False), (0.5, True), (1.0, True)]),
                          st.integers(min_value=0, max_value=400 * 24)),
                min_size=1, max_size=25))
def test_every_review_matches_py_fsrs(answers: list[tuple[tuple[float, bool], int]]) -> None:
    ratings = [(rating_for(score, ok), timedelta(hours=hours if k else 0))
               for k, ((score, ok), hours) in enumerate(answers)]
    expected = _oracle(ratings)
    current: FamilyMemory | None = None
    at = T0
    for ((score, ok), _), (_, gap), (stability, difficulty, due) in zip(
            answers, ratings, expected, strict=True):
        at += gap
        current = review(current, score, ok, at)
        assert current.stability == pytest.approx(stability, rel=1e-9)
        assert current.difficulty == pytest.approx(difficulty, rel=1e-9)
        assert current.due == due


def test_recall_matches_py_fsrs() -> None:
    from fsrs import Card, Scheduler, State

    scheduler = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    m = history([(1.0, True), (1.0, True), (0.0, False)])[-1]
    card = Card(card_id=1, state=State.Review, stability=m.stability, difficulty=m.difficulty,
                due=m.due, last_review=m.last_review)
    for days in (0, 1, 3, 10, 30, 100):
        at = m.last_review + timedelta(days=days, hours=5)
        assert recall_probability(m, at) == pytest.approx(
            scheduler.get_card_retrievability(card, at), rel=1e-12)


# -- personal parameters and true retention --------------------------------------------------------


def test_personal_parameters_schedule_differently() -> None:
    from learnloop.domain.learner import fsrs

    slow = list(fsrs.DEFAULT_PARAMETERS)
    slow[2] = 10.0  # the initial stability of good: a person who remembers longer
    default = review(None, 1.0, True, T0)
    personal = review(None, 1.0, True, T0, slow)
    assert personal.due > default.due
    later = T0 + 5 * DAY
    assert recall_probability(personal, later, slow) > recall_probability(default, later)


def test_due_checks_count_answers_given_when_due() -> None:
    first = review(None, 1.0, True, T0)
    early = review(first, 1.0, True, first.due - timedelta(hours=1))
    assert (early.due_checks, early.due_recalled, early.due_expected) == (0, 0, 0.0)
    on_time = review(early, 0.0, False, early.due)
    assert (on_time.due_checks, on_time.due_recalled) == (1, 0)
    assert on_time.due_expected == pytest.approx(recall_probability(early, early.due))
    again = review(on_time, 1.0, True, on_time.due + 2 * DAY)
    assert (again.due_checks, again.due_recalled) == (2, 1)
    assert again.first_correct is True
    assert review(None, 0.0, False, T0).first_correct is False
