"""Fitting FSRS-6 to one person: the replay equals the scheduler, fits recover a planted
memory, the policy refuses short or unhelpful fits, and bad histories stay bounded."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from learnloop.domain.learner import fsrs, memory
from learnloop.domain.learner.memory_fit import (
    MIN_SCORED_REVIEWS,
    Review,
    fit_parameters,
    history,
    log_loss,
    personal_parameters,
    predict,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def simulate(truth: tuple[float, ...], cards: int, days: int,
             rng: np.random.Generator) -> list[Review]:
    """A person whose memory follows `truth`, reviewing each card when the product schedules
    it (with the defaults), a little late or early, until `days` have passed."""
    out: list[Review] = []
    for c in range(cards):
        at = T0 + DAY * int(rng.integers(0, 30)) + timedelta(hours=float(rng.uniform(0, 10)))
        true: memory.FamilyMemory | None = None
        shown: memory.FamilyMemory | None = None
        while at < T0 + DAY * days:
            if true is None:
                recalled = bool(rng.random() < 0.75)
            else:
                recalled = bool(rng.random() < memory.recall_probability(true, at, truth))
            true = memory.review(true, 1.0, recalled, at, truth)
            shown = memory.review(shown, 1.0, recalled, at)
            out.append(Review(f"card {c}", at, 3 if recalled else 1))
            at = shown.due + timedelta(hours=float(rng.uniform(-6, 60)))
    return out


# A person who remembers longer: first memories three times as stable, each recall growing
# stability 1.8 times as much.
SLOW = tuple(v * (3.0 if i in (0, 1, 2, 3) else 1.0) + (0.6 if i == 8 else 0.0)
             for i, v in enumerate(fsrs.DEFAULT_PARAMETERS))


@pytest.fixture(scope="module")
def planted() -> list[Review]:
    return simulate(SLOW, cards=120, days=240, rng=np.random.default_rng(7))


def test_the_replay_predicts_what_the_scheduler_computes(planted: list[Review]) -> None:
    h = history(planted)
    predicted = predict(h, fsrs.DEFAULT_PARAMETERS)
    current: dict[str, memory.FamilyMemory] = {}
    expected: dict[int, float] = {}
    for position, r in enumerate(h.reviews):
        before = current.get(r.card)
        if before is not None:
            expected[position] = memory.recall_probability(before, r.at)
        current[r.card] = memory.review(before, 1.0, r.rating > 1, r.at)
    for (k, c), position in np.ndenumerate(h.order):
        if position > 0 and k > 0:
            assert predicted[k, c] == pytest.approx(expected[int(position)], rel=1e-12)


def test_a_fit_recovers_a_slower_forgetting_person(planted: list[Review]) -> None:
    h = history(planted)
    fit = fit_parameters(h)
    assert log_loss(h, fit.parameters) < log_loss(h, fsrs.DEFAULT_PARAMETERS) - 0.005
    assert log_loss(h, fit.parameters) > log_loss(h, SLOW) - 0.02  # not far beyond the truth
    assert fit.parameters[2] > fsrs.DEFAULT_PARAMETERS[2]  # good first answers last longer
    fsrs.check_parameters(fit.parameters)


def test_the_fit_is_deterministic(planted: list[Review]) -> None:
    h = history(planted)
    assert fit_parameters(h, max_iterations=5) == fit_parameters(h, max_iterations=5)


def test_enough_history_earns_a_personal_fit(planted: list[Review]) -> None:
    decision = personal_parameters(planted)
    assert decision.scored_reviews >= MIN_SCORED_REVIEWS
    assert decision.personal, decision.reason
    assert decision.held_out_loss_fitted is not None
    assert decision.held_out_loss_default is not None
    assert decision.held_out_loss_fitted <= decision.held_out_loss_default
    assert "predicted the" in decision.reason


def test_short_histories_keep_the_defaults_and_say_why(planted: list[Review]) -> None:
    decision = personal_parameters(planted[:300])
    assert not decision.personal
    assert decision.parameters == fsrs.DEFAULT_PARAMETERS
    assert f"a fit needs at least {MIN_SCORED_REVIEWS}" in decision.reason


def test_a_fit_that_loses_on_held_out_reviews_is_refused() -> None:
    # For months the person remembers far longer than the defaults say; then, on new cards,
    # just as the defaults say. The most recent reviews, held out, are all of the second kind:
    # a fit to the first part predicts them worse than the defaults and must not schedule.
    early = simulate(SLOW, cards=150, days=200, rng=np.random.default_rng(3))
    shift = max(r.at for r in early) - T0 + DAY
    late = [replace(r, card=f"late {r.card}", at=r.at + shift)
            for r in simulate(fsrs.DEFAULT_PARAMETERS, cards=60, days=60,
                              rng=np.random.default_rng(4))]
    decision = personal_parameters(early + late)
    assert decision.held_out <= history(late).scored_count  # the held-out are all late ones
    assert not decision.personal, decision.reason
    assert decision.parameters == fsrs.DEFAULT_PARAMETERS
    assert "worse than the defaults" in decision.reason
    assert decision.held_out_loss_fitted is not None
    assert decision.held_out_loss_default is not None
    assert decision.held_out_loss_fitted > decision.held_out_loss_default


# -- bad histories ---------------------------------------------------------------------------


def test_one_review_has_nothing_to_score() -> None:
    h = history([Review("a", T0, 3)])
    assert h.scored_count == 0
    assert np.isnan(predict(h, fsrs.DEFAULT_PARAMETERS)).all()
    with pytest.raises(ValueError, match="no scored reviews"):
        log_loss(h, fsrs.DEFAULT_PARAMETERS)
    with pytest.raises(ValueError, match="no scored reviews"):
        fit_parameters(h)
    assert not personal_parameters([Review("a", T0, 3)]).personal
    assert not personal_parameters([]).personal


def test_out_of_order_reviews_are_put_in_time_order() -> None:
    reviews = [Review("a", T0 + DAY * d, 3) for d in (0, 3, 10, 30)]
    shuffled = [reviews[2], reviews[0], reviews[3], reviews[1]]
    assert history(shuffled).reviews == history(reviews).reviews
    assert np.array_equal(predict(history(shuffled), fsrs.DEFAULT_PARAMETERS),
                          predict(history(reviews), fsrs.DEFAULT_PARAMETERS), equal_nan=True)


@pytest.mark.parametrize("rating", [0, 5, -1])
def test_a_rating_outside_one_to_four_is_refused(rating: int) -> None:
    with pytest.raises(ValueError, match="rating must be 1, 2, 3 or 4"):
        history([Review("a", T0, rating)])


def test_all_right_and_all_wrong_histories_fit_to_bounded_parameters() -> None:
    for rating in (1, 3):
        reviews = [Review(f"c{c}", T0 + DAY * (c % 7 + 3 * k * k), rating)
                   for c in range(60) for k in range(8)]
        h = history(reviews)
        fit = fit_parameters(h, max_iterations=30)
        fsrs.check_parameters(fit.parameters)
        p = predict(h, fit.parameters)[h.scored]
        assert np.all((p > 0) & (p <= 1))
        assert np.all(np.isfinite(p))
        assert math.isfinite(log_loss(h, fit.parameters))


def test_a_huge_history_stays_bounded() -> None:
    reviews = [Review(f"c{c}", T0 + DAY * (c % 5) + timedelta(hours=30 * k), 1 + (c + k) % 4)
               for c in range(5000) for k in range(6)]
    h = history(reviews)
    p = predict(h, fsrs.DEFAULT_PARAMETERS)[h.scored]
    assert h.scored_count > 0
    assert np.all((p > 0) & (p <= 1))


def test_parameters_out_of_bounds_are_named() -> None:
    wrong = list(fsrs.DEFAULT_PARAMETERS)
    wrong[4] = 11.0
    wrong[20] = float("nan")
    with pytest.raises(ValueError, match=r"parameters\[4\] = 11.0 is outside \[1.0, 10.0\]"):
        fsrs.check_parameters(wrong)
    with pytest.raises(ValueError, match="takes 21 parameters, got 3"):
        fsrs.check_parameters([1.0, 2.0, 3.0])
