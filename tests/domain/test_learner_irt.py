"""Item calibration by the 2PL model: LSAT against R's ltm, incomplete and simulated data,
refusals, abilities (EAP), diagnostics and the choice of the next item."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from learnloop.domain.learner.irt import (
    EXTREME_DIFFICULTY,
    LOW_DISCRIMINATION,
    MIN_ITEMS,
    MIN_PEOPLE,
    QUADRATURE_POINTS,
    WEAK_PRIOR,
    Calibration,
    InsufficientData,
    ItemParameters,
    Response,
    ability,
    fit_2pl,
    information,
    item_flag,
    item_flags,
    nearest_to_level,
    probability,
    quadrature,
)
from tests.shared_data import shared_dir

LSAT = shared_dir() / "data" / "learner-model" / "irt" / "LSAT.csv"
# R: ltm(LSAT ~ z1, IRT.param = TRUE), 21 Gauss-Hermite points.
LTM_DIFFICULTY = (-3.360, -1.370, -0.280, -1.866, -3.124)
LTM_DISCRIMINATION = (0.825, 0.723, 0.890, 0.689, 0.657)
LTM_LOG_LIKELIHOOD = -2466.65


@pytest.fixture(scope="module")
def lsat() -> list[Response]:
    if not LSAT.is_file():
        pytest.skip(f"the LSAT data is not in {LSAT.parent}")
    with LSAT.open(newline="") as f:
        rows = list(csv.reader(f))
    header, answers = rows[0], rows[1:]
    return [(f"person {p}", item, int(value))
            for p, row in enumerate(answers) for item, value in zip(header, row, strict=True)]


@pytest.fixture(scope="module")
def lsat_fit(lsat: list[Response]) -> Calibration:
    return fit_2pl(lsat, prior=None)


def simulate(a: list[float], b: list[float], people: int, rng: np.random.Generator,
             answered: float = 1.0) -> list[Response]:
    """Responses of `people` drawn from N(0, 1) to items i0, i1, ...; each response is kept
    with probability `answered`."""
    theta = rng.standard_normal(people)
    chance = 1.0 / (1.0 + np.exp(-np.array(a) * (theta[:, None] - np.array(b))))
    right = rng.random(chance.shape) < chance
    asked = rng.random(chance.shape) < answered
    return [(f"p{i}", f"i{j}", bool(right[i, j]))
            for i in range(people) for j in range(len(a)) if asked[i, j]]


def brute_force_log_likelihood(responses: list[Response], items: dict[str, ItemParameters]
                               ) -> float:
    """Person by person: log of sum_q w_q * product of P over the responses they gave."""
    nodes, weights = quadrature()
    people: dict[str, list[tuple[str, bool]]] = {}
    for person, item, correct in responses:
        people.setdefault(person, []).append((item, bool(correct)))
    total = 0.0
    for answers in people.values():
        likelihood = 0.0
        for x, w in zip(nodes, weights, strict=True):
            term = float(w)
            for item, correct in answers:
                p = probability(float(x), items[item])
                term *= p if correct else 1.0 - p
            likelihood += term
        total += math.log(likelihood)
    return total


# -- LSAT against ltm --------------------------------------------------------------------------


def test_lsat_matches_ltm(lsat_fit: Calibration) -> None:
    assert lsat_fit.converged
    assert lsat_fit.people == 1000
    assert [p.item for p in lsat_fit.items] == [f"Item {i}" for i in range(1, 6)]
    for item, b, a in zip(lsat_fit.items, LTM_DIFFICULTY, LTM_DISCRIMINATION, strict=True):
        assert item.difficulty == pytest.approx(b, abs=0.01)
        assert item.discrimination == pytest.approx(a, abs=0.01)
        assert item.responses == 1000
    assert lsat_fit.log_likelihood == pytest.approx(LTM_LOG_LIKELIHOOD, abs=0.05)


def test_lsat_counts_and_standard_errors(lsat_fit: Calibration) -> None:
    proportions = [p.proportion_correct for p in lsat_fit.items]
    assert proportions == pytest.approx([0.924, 0.709, 0.553, 0.763, 0.870])
    for item in lsat_fit.items:
        assert item.difficulty_se is not None
        assert item.discrimination_se is not None
        assert 0.0 < item.discrimination_se < 0.5
        assert 0.0 < item.difficulty_se < 1.5
    by_item = lsat_fit.by_item()
    # The middling item is located best, the easiest worst (few wrong answers to learn from).
    se = {name: p.difficulty_se for name, p in by_item.items()}
    assert min(se, key=lambda k: se[k] or 0.0) == "Item 3"
    assert max(se, key=lambda k: se[k] or 0.0) in {"Item 1", "Item 5"}


def test_the_log_likelihood_is_the_per_person_marginal(lsat: list[Response],
                                                       lsat_fit: Calibration) -> None:
    sample = [r for r in lsat if int(r[0].split()[1]) % 10 == 0]  # 100 people, 500 responses
    fit = fit_2pl(sample, prior=None)
    assert fit.log_likelihood == pytest.approx(
        brute_force_log_likelihood(sample, fit.by_item()), abs=1e-8)


def test_the_prior_shrinks_lsat_a_little(lsat: list[Response], lsat_fit: Calibration) -> None:
    fit = fit_2pl(lsat)  # the weak prior, the default
    assert fit.prior == WEAK_PRIOR
    assert fit.converged
    for with_prior, without in zip(fit.items, lsat_fit.items, strict=True):
        assert with_prior.difficulty == pytest.approx(without.difficulty, abs=0.4)
        # Less than one standard error of the maximum-likelihood estimate: the data dominate.
        assert without.discrimination_se is not None
        assert abs(with_prior.discrimination - without.discrimination) < without.discrimination_se
        # Toward b = 0: the extreme difficulties move in, none moves out.
        assert abs(with_prior.difficulty) <= abs(without.difficulty) + 0.02
    assert fit.log_likelihood < lsat_fit.log_likelihood  # the MML estimate maximises it
    assert fit.log_likelihood == pytest.approx(lsat_fit.log_likelihood, abs=0.5)


def test_the_fit_is_deterministic_and_ignores_order(lsat: list[Response],
                                                    lsat_fit: Calibration) -> None:
    assert fit_2pl(lsat, prior=None) == lsat_fit
    shuffled = [lsat[i] for i in np.random.default_rng(3).permutation(len(lsat))]
    again = fit_2pl(shuffled, prior=None)
    for x, y in zip(again.items, lsat_fit.items, strict=True):
        assert x.difficulty == pytest.approx(y.difficulty, abs=1e-4)
        assert x.discrimination == pytest.approx(y.discrimination, abs=1e-4)


# -- incomplete data ---------------------------------------------------------------------------


def test_lsat_with_30_percent_missing(lsat: list[Response]) -> None:
    """A random 30% of the responses dropped: every ltm value lies within two standard errors
    of the new fit. (A fixed 0.25 would not be fair: the easiest items' difficulties have
    standard errors near 0.9, so a 70% subsample moves them by about half a unit.)"""
    keep = np.random.default_rng(0).random(len(lsat)) >= 0.3
    kept = [r for r, k in zip(lsat, keep, strict=True) if k]
    fit = fit_2pl(kept, prior=None)
    assert fit.converged
    assert sum(p.responses for p in fit.items) == len(kept)
    for item, b, a in zip(fit.items, LTM_DIFFICULTY, LTM_DISCRIMINATION, strict=True):
        assert 600 < item.responses < 800
        assert item.difficulty_se is not None
        assert item.discrimination_se is not None
        assert abs(item.difficulty - b) < 2 * item.difficulty_se
        assert abs(item.discrimination - a) < 2 * item.discrimination_se
    # The well-determined parameters stay close in absolute terms too.
    item_3 = fit.by_item()["Item 3"]
    assert item_3.difficulty == pytest.approx(LTM_DIFFICULTY[2], abs=0.25)
    for item, a in zip(fit.items, LTM_DISCRIMINATION, strict=True):
        assert item.discrimination == pytest.approx(a, abs=0.25)
    assert fit.log_likelihood == pytest.approx(
        brute_force_log_likelihood(kept[:700], fit.by_item())
        + brute_force_log_likelihood(kept[700:], fit.by_item()), rel=0.2)


def test_missing_responses_are_left_out_of_each_persons_likelihood(lsat: list[Response]) -> None:
    rng = np.random.default_rng(5)
    sample = [r for r in lsat if int(r[0].split()[1]) < 300]
    kept = [r for r in sample if rng.random() >= 0.3]
    fit = fit_2pl(kept, prior=None)
    assert fit.log_likelihood == pytest.approx(
        brute_force_log_likelihood(kept, fit.by_item()), abs=1e-8)


def test_known_parameters_are_recovered_from_sparse_simulated_data() -> None:
    a = [0.7, 0.9, 1.0, 1.2, 1.5, 1.8, 0.8, 1.1]
    b = [-1.5, -1.0, -0.5, 0.0, 0.4, 0.9, 1.5, -0.2]
    responses = simulate(a, b, 2000, np.random.default_rng(0), answered=0.6)
    fit = fit_2pl(responses, prior=None)
    assert fit.converged
    items = fit.by_item()
    estimated_b = [items[f"i{j}"].difficulty for j in range(len(a))]
    estimated_a = [items[f"i{j}"].discrimination for j in range(len(a))]
    for j, (true_a, true_b) in enumerate(zip(a, b, strict=True)):
        item = items[f"i{j}"]
        assert item.difficulty_se is not None
        assert item.discrimination_se is not None
        assert abs(item.difficulty - true_b) < 3 * item.difficulty_se
        assert abs(item.discrimination - true_a) < 3 * item.discrimination_se
    assert np.mean(np.abs(np.array(estimated_b) - b)) < 0.15
    assert np.mean(np.abs(np.array(estimated_a) - a)) < 0.2
    assert list(np.argsort(estimated_b)) == list(np.argsort(b))


def test_the_standard_errors_shrink_with_more_people() -> None:
    a = [0.6 + 0.13 * j for j in range(10)]
    b = [-1.5 + 0.33 * j for j in range(10)]
    rng = np.random.default_rng(1)
    few = fit_2pl(simulate(a, b, MIN_PEOPLE, rng))
    many = fit_2pl(simulate(a, b, 8 * MIN_PEOPLE, rng))
    # Item by item a prior-dominated estimate can have a smaller error than a free one (its
    # value is pulled in, and the error of a grows with a), so compare the typical item.
    def median_se(fit: Calibration, field: str) -> float:
        values = [getattr(p, field) for p in fit.items]
        assert all(v is not None for v in values)
        return float(np.median(values))

    for field in ("difficulty_se", "discrimination_se"):
        assert median_se(many, field) < 0.6 * median_se(few, field)
    median = median_se(few, "discrimination_se")
    assert 0.2 < median < 0.5  # the figure quoted for MIN_PEOPLE


# -- the prior and the refusals ----------------------------------------------------------------


def test_an_item_everyone_got_right_is_bounded_with_the_prior(lsat: list[Response]) -> None:
    responses = [*lsat, *((f"person {p}", "Always", True) for p in range(300))]
    fit = fit_2pl(responses)
    assert fit.converged
    always = fit.by_item()["Always"]
    assert always.proportion_correct == 1.0
    assert always.responses == 300
    assert -10.0 < always.difficulty < -1.0  # easy, but finite
    assert 0.05 < always.discrimination < 5.0
    assert always.difficulty_se is not None
    assert math.isfinite(always.difficulty_se)


def test_an_item_everyone_got_right_is_refused_without_the_prior(lsat: list[Response]) -> None:
    responses = [*lsat, *((f"person {p}", "Always", 1) for p in range(300))]
    with pytest.raises(InsufficientData, match=r"every response to 'Always' is right.*prior"):
        fit_2pl(responses, prior=None)


def test_an_item_with_few_responses_needs_the_prior(lsat: list[Response]) -> None:
    responses = [*lsat, ("person 0", "Rare", 1), ("person 1", "Rare", 0), ("person 2", "Rare", 1)]
    with pytest.raises(InsufficientData, match=rf"'Rare' has 3 responses.*{MIN_PEOPLE}"):
        fit_2pl(responses, prior=None)
    rare = fit_2pl(responses).by_item()["Rare"]
    assert rare.responses == 3
    assert abs(rare.difficulty) < 5.0
    assert 0.1 < rare.discrimination < 3.0


def test_fewer_than_the_minimum_people_is_refused(lsat: list[Response]) -> None:
    few = [r for r in lsat if int(r[0].split()[1]) < MIN_PEOPLE - 1]
    with pytest.raises(InsufficientData, match=rf"{MIN_PEOPLE - 1} people .* {MIN_PEOPLE}"):
        fit_2pl(few)
    enough = [r for r in lsat if int(r[0].split()[1]) < MIN_PEOPLE]
    assert fit_2pl(enough).people == MIN_PEOPLE


def test_people_with_one_response_do_not_count_towards_the_minimum(lsat: list[Response]) -> None:
    singles = [r for r in lsat if r[1] == "Item 3"]  # 1000 people, one answer each
    pairs = [r for r in lsat if int(r[0].split()[1]) < 10]
    with pytest.raises(InsufficientData, match="10 people answered two or more items"):
        fit_2pl([*singles, *(r for r in pairs if r[1] != "Item 3")])


def test_fewer_than_three_items_is_refused(lsat: list[Response]) -> None:
    two = [r for r in lsat if r[1] in {"Item 2", "Item 3"}]
    with pytest.raises(InsufficientData, match=rf"2 answered item\(s\).*at least {MIN_ITEMS}"):
        fit_2pl(two)


def test_one_person_with_one_response() -> None:
    with pytest.raises(InsufficientData, match="1 answered item"):
        fit_2pl([("ada", "q1", True)])
    with pytest.raises(InsufficientData, match="0 answered item"):
        fit_2pl([])


def test_items_never_answered_are_listed_not_calibrated(lsat: list[Response]) -> None:
    fit = fit_2pl(lsat, prior=None, bank=["Item 1", "Never", "Item 5", "Also never"])
    assert fit.uncalibrated == ("Also never", "Never")
    assert "Never" not in fit.by_item()
    assert len(fit.items) == 5


@pytest.mark.parametrize("correct", [2, -1, 0.5, 1.0, "1", None])
def test_correct_must_be_zero_one_or_bool(correct: object) -> None:
    with pytest.raises(ValueError, match="correct must be 0/1 or a bool"):
        fit_2pl([("ada", "q1", correct)])  # type: ignore[list-item]


def test_a_repeated_response_is_refused() -> None:
    with pytest.raises(ValueError, match="'ada' answered 'q1' more than once"):
        fit_2pl([("ada", "q1", True), ("ada", "q2", False), ("ada", "q1", False)])


def test_bools_and_integers_give_the_same_fit(lsat: list[Response]) -> None:
    as_bools = [(p, i, bool(c)) for p, i, c in lsat]
    assert fit_2pl(as_bools, prior=None, standard_errors=False) == fit_2pl(
        lsat, prior=None, standard_errors=False)


# -- abilities ---------------------------------------------------------------------------------


def test_no_responses_give_the_prior(lsat_fit: Calibration) -> None:
    for result in (ability({}, lsat_fit.by_item()), ability({"Unknown": True}, {})):
        assert result.theta == pytest.approx(0.0, abs=1e-12)
        assert result.sd == pytest.approx(1.0, abs=1e-12)
        assert result.responses == 0


def test_more_right_answers_mean_a_higher_ability(lsat_fit: Calibration) -> None:
    items = lsat_fit.by_item()
    names = [f"Item {i}" for i in (3, 2, 4, 5, 1)]
    results = [ability({name: k < right for k, name in enumerate(names)}, items)
               for right in range(6)]
    thetas = [r.theta for r in results]
    assert all(low < high for low, high in pairwise(thetas))
    assert thetas[0] < 0.0 < thetas[-1]
    for r in results:
        assert r.responses == 5
        assert 0.0 < r.sd < 1.0


def test_a_right_answer_to_a_hard_item_counts_for_more(lsat_fit: Calibration) -> None:
    items = lsat_fit.by_item()
    hard = ability({"Item 3": True, "Item 1": False}, items)
    easy = ability({"Item 3": False, "Item 1": True}, items)
    assert hard.theta > easy.theta


def test_one_response_moves_the_ability(lsat_fit: Calibration) -> None:
    items = lsat_fit.by_item()
    right, wrong = ability({"Item 3": 1}, items), ability({"Item 3": 0}, items)
    assert wrong.theta < 0.0 < right.theta
    assert right.sd < 1.0
    assert wrong.sd < 1.0
    # Responses to items outside the calibration are ignored.
    assert ability({"Item 3": 1, "Never": 0}, items) == right


def test_the_ability_agrees_with_a_fine_grid(lsat_fit: Calibration) -> None:
    items = lsat_fit.by_item()
    answers = {"Item 1": True, "Item 2": False, "Item 3": True}
    grid = np.linspace(-8.0, 8.0, 4001)
    density = np.exp(-grid**2 / 2)
    for name, correct in answers.items():
        p = np.array([probability(float(t), items[name]) for t in grid])
        density *= p if correct else 1.0 - p
    mean = float(np.sum(grid * density) / np.sum(density))
    estimate = ability(answers, items)
    assert estimate.theta == pytest.approx(mean, abs=1e-3)
    assert ability(answers, items, points=61).theta == pytest.approx(mean, abs=1e-6)
    assert QUADRATURE_POINTS == 21


# -- probability and information ---------------------------------------------------------------


ITEM = ItemParameters(item="q", difficulty=0.5, discrimination=1.6)


def test_probability_is_one_half_at_the_difficulty_and_rises() -> None:
    assert probability(0.5, ITEM) == pytest.approx(0.5)
    assert probability(1.5, ITEM) == pytest.approx(1.0 / (1.0 + math.exp(-1.6)))
    thetas = np.linspace(-4.0, 4.0, 33)
    assert all(probability(float(x), ITEM) < probability(float(y), ITEM)
               for x, y in pairwise(thetas))
    assert probability(-1e6, ITEM) == 0.0
    assert probability(1e6, ITEM) == 1.0


def test_information_peaks_at_the_difficulty() -> None:
    assert information(0.5, ITEM) == pytest.approx(1.6**2 / 4)
    p = probability(-1.0, ITEM)
    assert information(-1.0, ITEM) == pytest.approx(1.6**2 * p * (1 - p))
    assert information(0.5, ITEM) > information(0.0, ITEM) > information(-2.0, ITEM)
    assert information(-1e6, ITEM) == 0.0


# -- diagnostics -------------------------------------------------------------------------------


def test_well_behaved_items_are_not_flagged(lsat_fit: Calibration) -> None:
    assert item_flags(lsat_fit.items) == {}
    assert item_flag(ITEM) is None


def test_weak_negative_and_extreme_items_are_flagged() -> None:
    items = [
        ItemParameters("weak", 0.0, LOW_DISCRIMINATION - 0.05),
        ItemParameters("reversed", 0.0, -0.8),
        ItemParameters("trivial", -EXTREME_DIFFICULTY - 0.5, 1.0),
        ItemParameters("impossible", EXTREME_DIFFICULTY + 0.5, 1.0),
        ItemParameters("weak and trivial", -6.0, 0.1),
        ItemParameters("fine", 3.9, LOW_DISCRIMINATION),
    ]
    flags = item_flags(items)
    assert set(flags) == {"weak", "reversed", "trivial", "impossible", "weak and trivial"}
    assert flags["weak"].startswith("low discrimination (0.25 < 0.3)")
    assert "check the key" in flags["reversed"]
    assert "too easy" in flags["trivial"]
    assert "too hard" in flags["impossible"]
    assert "low discrimination" in flags["weak and trivial"]
    assert "too easy" in flags["weak and trivial"]


# -- choosing the next item --------------------------------------------------------------------


BANK = [ItemParameters(f"b{b:+.1f}", b, 1.0) for b in (-2.0, -1.0, -0.5, 0.0, 1.0, 2.0)]


def test_the_item_nearest_to_the_target_level_is_chosen() -> None:
    # At theta 0 an item with a = 1 is right 70% of the time when b = -ln(0.7 / 0.3) = -0.85.
    chosen = nearest_to_level(0.0, BANK)
    assert chosen is not None
    assert chosen.item == "b-1.0"
    assert probability(0.0, chosen) == pytest.approx(0.731, abs=1e-3)
    assert nearest_to_level(1.0, BANK) == BANK[3]  # the level moves with the learner


def test_a_target_of_one_half_chooses_the_most_informative_item() -> None:
    for theta in (-1.7, -0.4, 0.2, 1.6):
        chosen = nearest_to_level(theta, BANK, target=0.5)
        best = max(BANK, key=lambda item: information(theta, item))
        assert chosen == best


def test_ties_go_to_the_more_discriminating_item() -> None:
    flat = ItemParameters("flat", -0.5, 0.5)
    steep = ItemParameters("steep", -0.25, 1.0)  # the same P at theta 0, more information
    assert probability(0.0, flat) == pytest.approx(probability(0.0, steep))
    assert nearest_to_level(0.0, [flat, steep], target=0.6) == steep
    assert nearest_to_level(0.0, [steep, flat], target=0.6) == steep


def test_items_that_do_not_discriminate_are_never_chosen() -> None:
    reversed_item = ItemParameters("reversed", 0.0, -1.0)
    dead = replace(reversed_item, item="dead", discrimination=0.0)
    assert nearest_to_level(0.0, [reversed_item, dead]) is None
    assert nearest_to_level(0.0, []) is None
    assert nearest_to_level(0.0, [reversed_item, BANK[0]]) == BANK[0]


@pytest.mark.parametrize("target", [0.0, 1.0, -0.2, 1.5])
def test_the_target_must_be_a_probability(target: float) -> None:
    with pytest.raises(ValueError, match="target must be strictly between 0 and 1"):
        nearest_to_level(0.0, BANK, target=target)
