"""Mastery per skill: the answer model's logit plus work evidence that fades (halves every
half-life)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.learner.mastery import (
    HALF_LIFE_DAYS,
    MASTERED,
    STRUGGLING,
    WF,
    WS,
    Evidence,
    combine,
    fade,
    observe,
    work_logit,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HALF_LIFE = timedelta(days=HALF_LIFE_DAYS)
BASE = 0.7  # an answer model's logit for some history; work evidence moves it
PRIOR = 1.0 / (1.0 + math.exp(-BASE))


def probability(evidence: Evidence, at: datetime) -> float:
    return combine(BASE, evidence, at)


def answers(scores: list[float], start: datetime = T0,
            gap: timedelta = timedelta(minutes=1)) -> Evidence:
    evidence = Evidence()
    for i, score in enumerate(scores):
        evidence = observe(evidence, score, start + i * gap)
    return evidence


# -- the formula -------------------------------------------------------------------------------


def test_no_evidence_leaves_the_answer_model() -> None:
    assert probability(Evidence(), T0) == pytest.approx(PRIOR)
    assert work_logit(Evidence(), T0) == 0.0


def test_work_adds_the_fitted_weights_to_the_logit() -> None:
    evidence = Evidence(3.0, 2.0, T0)
    expected = BASE + WS * math.log(4.0) - WF * math.log(3.0)
    assert probability(evidence, T0) == pytest.approx(1.0 / (1.0 + math.exp(-expected)))


def test_a_huge_logit_is_bounded() -> None:
    assert 0.0 < combine(-1e9, Evidence(), T0) < 1e-5
    assert 1 - 1e-5 < combine(1e9, Evidence(), T0) < 1.0


def test_the_thresholds_are_ordered() -> None:
    assert 0.0 < STRUGGLING < MASTERED < 1.0


def test_successes_raise_the_probability() -> None:
    ps = [probability(answers([1.0] * n), T0 + timedelta(hours=1)) for n in range(8)]
    assert all(a < b for a, b in pairwise(ps))
    assert ps[0] == pytest.approx(PRIOR)
    assert ps[-1] > MASTERED


def test_failures_lower_the_probability() -> None:
    ps = [probability(answers([0.0] * n), T0 + timedelta(hours=1)) for n in range(8)]
    assert all(a > b for a, b in pairwise(ps))
    assert ps[-1] < STRUGGLING


def test_a_failure_after_successes_lowers_it_and_a_success_raises_it_again() -> None:
    good = answers([1.0, 1.0, 1.0])
    worse = observe(good, 0.0, T0 + timedelta(minutes=5))
    better = observe(worse, 1.0, T0 + timedelta(minutes=6))
    at = T0 + timedelta(minutes=7)
    assert probability(worse, at) < probability(good, at)
    assert probability(better, at) > probability(worse, at)


# -- observing answers -------------------------------------------------------------------------


def test_a_partial_score_splits_between_successes_and_failures() -> None:
    evidence = observe(Evidence(), 0.25, T0)
    assert evidence.successes == pytest.approx(0.25)
    assert evidence.failures == pytest.approx(0.75)
    assert evidence.at == T0


@pytest.mark.parametrize(("score", "successes", "failures"), [
    (1.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.7, 1.0, 0.0), (-0.4, 0.0, 1.0), (0.5, 0.5, 0.5),
])
def test_scores_are_clamped_to_one_answer(score: float, successes: float,
                                          failures: float) -> None:
    evidence = observe(Evidence(), score, T0)
    assert (evidence.successes, evidence.failures) == pytest.approx((successes, failures))


def test_observe_does_not_change_its_input() -> None:
    before = Evidence(2.0, 1.0, T0)
    after = observe(before, 1.0, T0 + HALF_LIFE)
    assert before == Evidence(2.0, 1.0, T0)
    assert after is not before
    with pytest.raises(AttributeError):
        before.successes = 5.0  # type: ignore[misc]


def test_a_later_answer_fades_the_earlier_evidence_first() -> None:
    evidence = observe(Evidence(4.0, 2.0, T0), 1.0, T0 + HALF_LIFE)
    assert evidence.successes == pytest.approx(4.0 / 2 + 1.0)
    assert evidence.failures == pytest.approx(2.0 / 2)
    assert evidence.at == T0 + HALF_LIFE


def test_a_late_answer_is_added_without_fading_and_keeps_the_latest_time() -> None:
    latest = T0 + timedelta(days=10)
    evidence = Evidence(3.0, 1.0, latest)
    late = observe(evidence, 0.0, T0)
    assert late.successes == 3.0
    assert late.failures == 2.0
    assert late.at == latest


def test_answers_in_any_order_at_the_same_time_give_the_same_evidence() -> None:
    scores = [1.0, 0.0, 0.5, 1.0, 0.25]
    one = Evidence()
    two = Evidence()
    for score in scores:
        one = observe(one, score, T0)
    for score in reversed(scores):
        two = observe(two, score, T0)
    assert one.successes == pytest.approx(two.successes)
    assert one.failures == pytest.approx(two.failures)


# -- forgetting --------------------------------------------------------------------------------


def test_fade_halves_every_half_life() -> None:
    assert fade(timedelta(0)) == 1.0
    assert fade(HALF_LIFE) == pytest.approx(0.5)
    assert fade(2 * HALF_LIFE) == pytest.approx(0.25)
    assert fade(HALF_LIFE / 2) == pytest.approx(math.sqrt(0.5))
    assert 0.0 <= fade(timedelta(days=100_000)) < 1e-100


def test_after_a_half_life_the_evidence_counts_halve() -> None:
    faded = Evidence(6.0, 4.0, T0).faded_to(T0 + HALF_LIFE)
    assert faded.successes == pytest.approx(3.0)
    assert faded.failures == pytest.approx(2.0)
    assert faded.at == T0 + HALF_LIFE


def test_evidence_is_never_faded_backwards_or_without_a_time() -> None:
    evidence = Evidence(6.0, 4.0, T0)
    assert evidence.faded_to(T0 - timedelta(days=90)) is evidence
    assert evidence.faded_to(T0) is evidence
    timeless = Evidence(2.0, 1.0)
    assert timeless.faded_to(T0) is timeless


def test_good_mastery_fades_toward_the_prior() -> None:
    evidence = answers([1.0] * 6)
    at = evidence.at
    assert at is not None
    ps = [probability(evidence, at + k * HALF_LIFE) for k in range(20)]
    assert all(a > b for a, b in pairwise(ps))
    assert all(p > PRIOR for p in ps)
    assert probability(evidence, at + timedelta(days=365 * 10)) == pytest.approx(PRIOR, abs=1e-6)


def test_poor_mastery_recovers_toward_the_prior() -> None:
    evidence = answers([0.0] * 6)
    at = evidence.at
    assert at is not None
    ps = [probability(evidence, at + k * HALF_LIFE) for k in range(20)]
    assert all(a < b for a, b in pairwise(ps))
    assert all(p < PRIOR for p in ps)
    assert probability(evidence, at + timedelta(days=365 * 10)) == pytest.approx(PRIOR, abs=1e-6)


def test_probability_asked_before_the_last_answer_uses_the_unfaded_evidence() -> None:
    evidence = answers([1.0] * 3)
    assert evidence.at is not None
    assert probability(evidence, evidence.at - timedelta(days=40)) == \
        probability(evidence, evidence.at)


# -- long and extreme histories ----------------------------------------------------------------


def test_ten_thousand_right_answers_are_mastered_but_not_certain() -> None:
    evidence = answers([1.0] * 10_000, gap=timedelta(hours=1))
    assert evidence.failures == 0.0
    p = probability(evidence, T0 + timedelta(days=500))
    assert MASTERED < p < 1.0


def test_ten_thousand_wrong_answers_are_struggling_but_not_hopeless() -> None:
    evidence = answers([0.0] * 10_000, gap=timedelta(hours=1))
    p = probability(evidence, T0 + timedelta(days=500))
    assert 0.0 < p < STRUGGLING


def test_daily_answers_for_years_reach_a_steady_state() -> None:
    evidence = answers([1.0] * 10_000, gap=timedelta(days=1))
    ceiling = 1.0 / (1.0 - fade(timedelta(days=1)))  # a geometric series of faded answers
    assert evidence.successes == pytest.approx(ceiling, rel=1e-6)
    assert evidence.successes < ceiling + 1e-9


def test_ten_thousand_mixed_answers_land_in_between() -> None:
    scores = [1.0 if i % 3 else 0.0 for i in range(10_000)]
    evidence = answers(scores, gap=timedelta(minutes=30))
    at = evidence.at
    assert at is not None
    p = probability(evidence, at)
    assert probability(answers([0.0] * 100), at) < p < probability(answers([1.0] * 100), at)


@pytest.mark.parametrize("evidence", [
    Evidence(1e300, 0.0, T0),
    Evidence(0.0, 1e300, T0),
    Evidence(1e300, 1e300, T0),
    Evidence(1e-300, 1e-300, T0),
    Evidence(0.0, 0.0, datetime(1, 1, 1, tzinfo=UTC)),
])
@pytest.mark.parametrize("base", [-1e9, -50.0, 0.0, 3.0, 50.0, 1e9])
def test_extreme_inputs_do_not_crash(evidence: Evidence, base: float) -> None:
    p = combine(base, evidence, datetime(9999, 12, 31, tzinfo=UTC))
    assert 0.0 <= p <= 1.0


# -- properties --------------------------------------------------------------------------------

counts = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)
offsets = st.integers(min_value=-3650 * 24, max_value=3650 * 24).map(lambda h: timedelta(hours=h))


@given(counts, counts, offsets, offsets, st.floats(min_value=-20.0, max_value=20.0))
def test_probability_stays_strictly_between_zero_and_one(
        successes: float, failures: float, last: timedelta, asked: timedelta,
        base: float) -> None:
    evidence = Evidence(successes, failures, T0 + last)
    p = combine(base, evidence, T0 + asked)
    assert 0.0 < p < 1.0


@given(st.lists(st.tuples(st.floats(min_value=0.0, max_value=1.0), offsets), max_size=40),
       offsets)
def test_any_history_in_any_time_order_stays_a_probability(
        history: list[tuple[float, timedelta]], asked: timedelta) -> None:
    evidence = Evidence()
    total = 0.0
    for score, offset in history:
        evidence = observe(evidence, score, T0 + offset)
        total += 1.0
    assert evidence.successes >= 0.0
    assert evidence.failures >= 0.0
    assert evidence.successes + evidence.failures <= total + 1e-9  # fading never adds evidence
    if history:
        assert evidence.at == T0 + max(offset for _, offset in history)
    assert 0.0 < probability(evidence, T0 + asked) < 1.0


@given(counts, st.booleans(), st.integers(min_value=1, max_value=3650))
def test_one_sided_evidence_fades_monotonically_toward_the_prior(
        count: float, right: bool, days: int) -> None:
    evidence = Evidence(count, 0.0, T0) if right else Evidence(0.0, count, T0)
    now = probability(evidence, T0)
    later = probability(evidence, T0 + timedelta(days=days))
    assert min(now, PRIOR) <= later <= max(now, PRIOR)


@given(counts, counts)
def test_any_evidence_ends_at_the_prior_after_long_enough(successes: float,
                                                          failures: float) -> None:
    evidence = Evidence(successes, failures, T0)
    assert probability(evidence, T0 + 200 * HALF_LIFE) == pytest.approx(PRIOR, abs=1e-9)
