"""Item calibration by item response theory: the two-parameter logistic model (2PL).

Every person has an ability theta, and every item a difficulty b and a discrimination a. The
chance that a person answers the item right is

    P(right | theta) = 1 / (1 + exp(-a (theta - b)))

so b is the ability at which the chance is one half, and a is how sharply the chance rises
around b: an item with a high a separates people just below b from people just above it, an
item with a near 0 tells them apart hardly at all, and an item with a negative a is answered
right more often by weaker people (usually a wrong key or a misleading question).

The items are calibrated by marginal maximum likelihood: abilities are not estimated one by one
but integrated out, assuming they are spread as a standard normal N(0, 1) across the people;
that assumption fixes the scale, so b and a are in units of the spread of ability. The integral
is Gauss-Hermite quadrature on 21 points, the same parametrisation and quadrature as R's
`ltm(data ~ z1, IRT.param = TRUE)`. The data may be incomplete: each person's likelihood is the
product over the responses they gave, so a missing response is simply left out (it is assumed
missing at random: who answered which item must not depend on how they would have answered).
The marginal log-likelihood is maximised directly with L-BFGS-B and its analytic gradient,
which is deterministic.

Small or lopsided data (an item with three responses, an item everyone got right) have no
finite maximum-likelihood estimate. By default a weak prior is added (Bayesian modal
estimation, as in BILOG): log a ~ N(0, 0.5^2) and b ~ N(0, 2^2). Its pull is worth a handful
of responses, so it is negligible for a well-answered item and keeps the others finite and
bounded. With `prior=None` the fit is pure marginal maximum likelihood, comparable with ltm,
and data it cannot estimate is refused with `InsufficientData`.

A calibrated bank then serves three uses: the ability of one person (`ability`, the posterior
mean under the same N(0, 1) prior), item diagnostics for a content owner (`item_flags`), and
choosing the next item at a useful level of challenge (`nearest_to_level`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

FloatArray = npt.NDArray[np.float64]
Response = tuple[str, str, bool | int]  # (person, item, correct)

QUADRATURE_POINTS = 21
# Only people who answered at least two items inform the discriminations (one answer says only
# how often that item is answered right), so this many of them are needed. In simulations with
# 10 items and 50 such people the standard error of a typical discrimination is about 0.35 with
# the weak prior and 0.7 without (0.25 and 0.3 with 200 people): with fewer, even the prior
# cannot tell a good item from a poor one. Pure maximum likelihood wants a few hundred.
MIN_PEOPLE = 50
# A 2PL item has two parameters. Two items give a 2x2 table of answers with three free cells
# for four parameters, so at least three items are needed for the fit to be identified.
MIN_ITEMS = 3
# Bounds on the search. A discrimination beyond 20 is a step function in practice; a fit that
# ends on a bound is reported as not converged.
MAX_DISCRIMINATION = 20.0
MAX_INTERCEPT = 100.0
MIN_DISCRIMINATION_WITH_PRIOR = 1e-3  # the lognormal prior needs a > 0
# Diagnostics for content owners.
LOW_DISCRIMINATION = 0.3
EXTREME_DIFFICULTY = 4.0
TARGET_SUCCESS = 0.7


class InsufficientData(ValueError):
    """The responses cannot support a calibration; the message names the rule that failed."""


@dataclass(frozen=True, slots=True)
class Prior:
    """A weak prior on each item: log a ~ N(log_a_mean, log_a_sd^2), b ~ N(b_mean, b_sd^2)."""

    log_a_mean: float = 0.0
    log_a_sd: float = 0.5
    b_mean: float = 0.0
    b_sd: float = 2.0


WEAK_PRIOR = Prior()


@dataclass(frozen=True, slots=True)
class ItemParameters:
    """One calibrated item. Standard errors are None when they could not be computed."""

    item: str
    difficulty: float
    discrimination: float
    responses: int = 0
    proportion_correct: float = math.nan
    difficulty_se: float | None = None
    discrimination_se: float | None = None


@dataclass(frozen=True, slots=True)
class Calibration:
    """The result of `fit_2pl`. `log_likelihood` is the marginal log-likelihood of the data at
    the estimate (without the prior); `uncalibrated` lists bank items nobody answered."""

    items: tuple[ItemParameters, ...]
    log_likelihood: float
    iterations: int
    converged: bool
    people: int
    prior: Prior | None
    uncalibrated: tuple[str, ...] = ()

    def by_item(self) -> dict[str, ItemParameters]:
        return {p.item: p for p in self.items}


@dataclass(frozen=True, slots=True)
class Ability:
    """A person's ability: the posterior mean (EAP) and standard deviation of theta."""

    theta: float
    sd: float
    responses: int


# -- model ---------------------------------------------------------------------------------------


def probability(theta: float, item: ItemParameters) -> float:
    """P(right | theta) for the item."""
    z = item.discrimination * (theta - item.difficulty)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)  # underflows quietly to 0 for very negative z (only overflow raises)
    return e / (1.0 + e)


def information(theta: float, item: ItemParameters) -> float:
    """Fisher information of the item at theta, a^2 P (1 - P): how much one answer narrows the
    ability estimate there. It peaks at theta = b with a^2 / 4."""
    p = probability(theta, item)
    return item.discrimination**2 * p * (1.0 - p)


def quadrature(points: int = QUADRATURE_POINTS) -> tuple[FloatArray, FloatArray]:
    """Gauss-Hermite nodes and weights for a standard normal: sum(w f(x)) ~ E f(theta)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    return nodes, weights / math.sqrt(2.0 * math.pi)


def _log_sigmoid(z: FloatArray) -> FloatArray:
    return -np.logaddexp(0.0, -z)


# -- data --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Data:
    """Responses grouped into distinct patterns: row r of `right` / `wrong` marks the items the
    `counts[r]` people with that pattern got right / wrong."""

    items: tuple[str, ...]
    right: Any  # scipy.sparse CSR (patterns x items)
    wrong: Any
    counts: FloatArray
    people: int


def _by_person(responses: Iterable[Response]) -> dict[str, dict[str, bool]]:
    people: dict[str, dict[str, bool]] = {}
    for person, item, correct in responses:
        if isinstance(correct, float | str) or correct not in (0, 1):
            raise ValueError(f"correct must be 0/1 or a bool, not {correct!r} "
                             f"({person!r} on {item!r})")
        answers = people.setdefault(person, {})
        if item in answers:
            raise ValueError(f"{person!r} answered {item!r} more than once: the model assumes "
                             f"one response per person and item (keep the first attempt)")
        answers[item] = bool(correct)
    return people


def _check(people: dict[str, dict[str, bool]], counts: dict[str, tuple[int, int]],
           prior: Prior | None, min_people: int) -> None:
    if len(counts) < MIN_ITEMS:
        raise InsufficientData(
            f"{len(counts)} answered item(s): the 2PL needs at least {MIN_ITEMS} (two items "
            f"give three free proportions for four parameters, so the fit is not identified)")
    linked = sum(1 for answers in people.values() if len(answers) >= 2)
    if linked < min_people:
        raise InsufficientData(
            f"{linked} people answered two or more items: at least {min_people} are needed, "
            f"since only they inform the discriminations")
    if prior is not None:
        return
    for item, (n, right) in sorted(counts.items()):
        if right in (0, n):
            raise InsufficientData(
                f"every response to {item!r} is {'right' if right else 'wrong'} ({n}): without "
                f"a prior its difficulty is infinite; fit with a prior or leave it out")
        if n < min_people:
            raise InsufficientData(
                f"{item!r} has {n} responses: without a prior each item needs at least "
                f"{min_people}; fit with a prior or leave it out")


def _prepare(people: dict[str, dict[str, bool]], items: tuple[str, ...]) -> _Data:
    column = {item: j for j, item in enumerate(items)}
    patterns: dict[tuple[tuple[int, bool], ...], int] = {}
    for answers in people.values():
        key = tuple(sorted((column[item], right) for item, right in answers.items()))
        patterns[key] = patterns.get(key, 0) + 1
    rows: list[int] = []
    cols: list[int] = []
    values: list[bool] = []
    for r, key in enumerate(patterns):
        for j, right in key:
            rows.append(r)
            cols.append(j)
            values.append(right)
    shape = (len(patterns), len(items))
    is_right = np.array(values, dtype=bool)
    r_idx = np.array(rows, dtype=np.int64)
    c_idx = np.array(cols, dtype=np.int64)
    right = sparse.csr_array((np.ones(int(is_right.sum())), (r_idx[is_right], c_idx[is_right])),
                             shape=shape)
    wrong = sparse.csr_array((np.ones(int((~is_right).sum())),
                              (r_idx[~is_right], c_idx[~is_right])), shape=shape)
    return _Data(items, right, wrong, np.array(list(patterns.values()), dtype=np.float64),
                 len(people))


# -- likelihood ----------------------------------------------------------------------------------


def _log_likelihood(params: FloatArray, data: _Data, nodes: FloatArray,
                    log_weights: FloatArray) -> tuple[float, FloatArray]:
    """The marginal log-likelihood and its gradient in (a_1..a_n, c_1..c_n), z = a theta + c."""
    n = len(data.items)
    a, c = params[:n], params[n:]
    z = np.outer(nodes, a) + c  # quadrature points x items
    log_p, log_q = _log_sigmoid(z), _log_sigmoid(-z)
    joint = np.asarray(data.right @ log_p.T + data.wrong @ log_q.T) + log_weights
    per_pattern = np.logaddexp.reduce(joint, axis=1)
    posterior = np.exp(joint - per_pattern[:, None]) * data.counts[:, None]
    p = np.exp(log_p).T  # items x points
    dz = np.asarray(data.right.T @ posterior) * (1.0 - p) - np.asarray(data.wrong.T @ posterior) * p
    gradient = np.concatenate([dz @ nodes, dz.sum(axis=1)])
    return float(data.counts @ per_pattern), gradient


def _log_prior(params: FloatArray, prior: Prior) -> tuple[float, FloatArray]:
    """The log prior density of (a, b = -c / a), and its gradient in (a, c)."""
    n = params.size // 2
    a, c = params[:n], params[n:]
    log_a = np.log(a)
    b = -c / a
    za = (log_a - prior.log_a_mean) / prior.log_a_sd
    zb = (b - prior.b_mean) / prior.b_sd
    value = float(np.sum(-log_a - 0.5 * za**2 - 0.5 * zb**2))
    d_b = -zb / prior.b_sd
    d_a = -1.0 / a - za / (prior.log_a_sd * a) + d_b * c / a**2
    d_c = -d_b / a
    return value, np.concatenate([d_a, d_c])


def _objective(params: FloatArray, data: _Data, nodes: FloatArray, log_weights: FloatArray,
               prior: Prior | None) -> tuple[float, FloatArray]:
    value, gradient = _log_likelihood(params, data, nodes, log_weights)
    if prior is not None:
        p_value, p_gradient = _log_prior(params, prior)
        value, gradient = value + p_value, gradient + p_gradient
    return -value, -gradient


def _hessian(params: FloatArray, data: _Data, nodes: FloatArray, log_weights: FloatArray,
             prior: Prior | None) -> FloatArray:
    """The Hessian of the objective by central differences of the analytic gradient."""
    size = params.size
    hessian = np.empty((size, size))
    for j in range(size):
        step = 1e-5 * max(1.0, abs(float(params[j])))
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        g_up = _objective(up, data, nodes, log_weights, prior)[1]
        g_down = _objective(down, data, nodes, log_weights, prior)[1]
        hessian[:, j] = (g_up - g_down) / (2.0 * step)
    return np.asarray(0.5 * (hessian + hessian.T), dtype=np.float64)


def _standard_errors(params: FloatArray, hessian: FloatArray
                     ) -> list[tuple[float | None, float | None]]:
    """(se of b, se of a) per item, by the delta method from the inverse Hessian in (a, c)."""
    n = params.size // 2
    try:
        np.linalg.cholesky(hessian)
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return [(None, None)] * n
    out: list[tuple[float | None, float | None]] = []
    for i in range(n):
        a, c = float(params[i]), float(params[n + i])
        var_a, var_c = covariance[i, i], covariance[n + i, n + i]
        cov_ac = covariance[i, n + i]
        db_da, db_dc = c / a**2, -1.0 / a
        var_b = db_da**2 * var_a + 2.0 * db_da * db_dc * cov_ac + db_dc**2 * var_c
        out.append((math.sqrt(max(var_b, 0.0)), math.sqrt(max(var_a, 0.0))))
    return out


def _start(counts: dict[str, tuple[int, int]], items: tuple[str, ...]) -> FloatArray:
    """a = 1 and the intercept that gives each item its observed proportion right on average
    over N(0, 1) (the probit approximation of the logistic-normal integral)."""
    scale = math.sqrt(1.0 + math.pi / 8.0)
    intercepts = [scale * math.log((counts[i][1] + 0.5) / (counts[i][0] - counts[i][1] + 0.5))
                  for i in items]
    return np.concatenate([np.ones(len(items)), np.array(intercepts)])


# -- fitting -----------------------------------------------------------------------------------


def fit_2pl(responses: Iterable[Response], *, prior: Prior | None = WEAK_PRIOR,
            bank: Iterable[str] = (), points: int = QUADRATURE_POINTS,
            min_people: int = MIN_PEOPLE, max_iterations: int = 2000,
            standard_errors: bool = True) -> Calibration:
    """Calibrate every answered item from (person, item, correct) triples.

    People answer any subset of the items; only observed responses enter the likelihood. Items
    in `bank` that nobody answered are returned in `uncalibrated`. Raises `InsufficientData`
    (naming the rule) when there are fewer than `MIN_ITEMS` answered items or fewer than
    `min_people` people with two or more responses, and, without a prior, when an item has
    fewer than `min_people` responses or only one kind of answer. Raises ValueError for a
    `correct` that is not 0/1 and for a repeated (person, item).

    Standard errors cost two gradient evaluations per parameter (a numerical Hessian of the
    analytic gradient); pass `standard_errors=False` for very large banks.
    """
    people = _by_person(responses)
    counts: dict[str, tuple[int, int]] = {}
    for answers in people.values():
        for item, right in answers.items():
            n, k = counts.get(item, (0, 0))
            counts[item] = (n + 1, k + int(right))
    _check(people, counts, prior, min_people)
    items = tuple(sorted(counts))
    data = _prepare(people, items)
    nodes, weights = quadrature(points)
    log_weights = np.log(weights)
    n = len(items)
    low_a = -MAX_DISCRIMINATION if prior is None else MIN_DISCRIMINATION_WITH_PRIOR
    bounds = [(low_a, MAX_DISCRIMINATION)] * n + [(-MAX_INTERCEPT, MAX_INTERCEPT)] * n
    result = optimize.minimize(
        _objective, _start(counts, items), args=(data, nodes, log_weights, prior), jac=True,
        method="L-BFGS-B", bounds=bounds,
        options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-7, "maxcor": 20})
    params = np.asarray(result.x, dtype=np.float64)
    lows = np.array([low for low, _ in bounds])
    highs = np.array([high for _, high in bounds])
    on_bound = bool(np.any(np.isclose(params, lows) | np.isclose(params, highs)))
    log_likelihood, _ = _log_likelihood(params, data, nodes, log_weights)
    errors: list[tuple[float | None, float | None]] = [(None, None)] * n
    if standard_errors:
        errors = _standard_errors(params, _hessian(params, data, nodes, log_weights, prior))
    calibrated = tuple(
        ItemParameters(item=item, difficulty=float(-params[n + i] / params[i]),
                       discrimination=float(params[i]), responses=counts[item][0],
                       proportion_correct=counts[item][1] / counts[item][0],
                       difficulty_se=errors[i][0], discrimination_se=errors[i][1])
        for i, item in enumerate(items))
    return Calibration(
        items=calibrated, log_likelihood=log_likelihood, iterations=int(result.nit),
        converged=bool(result.success) and not on_bound, people=data.people, prior=prior,
        uncalibrated=tuple(sorted(set(bank) - set(items))))


# -- using a calibration ---------------------------------------------------------------------


def ability(responses: Mapping[str, bool | int], items: Mapping[str, ItemParameters], *,
            points: int = QUADRATURE_POINTS) -> Ability:
    """The EAP ability of one person from their responses (item -> correct) under a N(0, 1)
    prior on the same quadrature. Responses to items not in `items` are ignored; with none
    left the result is the prior itself, theta 0 and sd 1.

    With 21 points the nodes are about 0.6 apart near the middle, fine for the short tests of
    micro-learning; for a person with dozens of responses (posterior sd below about 0.3) pass
    more points.
    """
    nodes, weights = quadrature(points)
    log_post = np.log(weights)
    used = 0
    for item_id, correct in responses.items():
        item = items.get(item_id)
        if item is None:
            continue
        z = item.discrimination * (nodes - item.difficulty)
        log_post = log_post + _log_sigmoid(z if correct else -z)
        used += 1
    posterior = np.exp(log_post - np.max(log_post))
    posterior /= posterior.sum()
    mean = float(posterior @ nodes)
    variance = float(posterior @ (nodes - mean) ** 2)
    return Ability(theta=mean, sd=math.sqrt(max(variance, 0.0)), responses=used)


def item_flag(item: ItemParameters) -> str | None:
    """Why a content owner should look at this item, or None when it measures well.

    A discrimination below 0.3 is flagged because such an item hardly separates people: the
    chance of a right answer moves only from 0.43 to 0.57 between abilities one spread below and
    one spread above b, and its information, at most a^2 / 4 = 0.0225, means about 44 such
    answers are needed to halve the uncertainty of the N(0, 1) prior. A negative one means
    weaker people do better, usually a wrong key. A difficulty beyond +-4 lies where only about
    3 in 100,000 people are (under N(0, 1)), so nearly everyone gets it right (or wrong).
    """
    reasons: list[str] = []
    a, b = item.discrimination, item.difficulty
    if a < 0:
        reasons.append(f"negative discrimination ({a:.2f}): weaker learners do better on it; "
                       f"check the key and the wording")
    elif a < LOW_DISCRIMINATION:
        reasons.append(f"low discrimination ({a:.2f} < {LOW_DISCRIMINATION}): it hardly tells "
                       f"stronger from weaker learners")
    if b < -EXTREME_DIFFICULTY:
        reasons.append(f"too easy (difficulty {b:.2f} < -{EXTREME_DIFFICULTY:g}): nearly "
                       f"everyone gets it right")
    elif b > EXTREME_DIFFICULTY:
        reasons.append(f"too hard (difficulty {b:.2f} > {EXTREME_DIFFICULTY:g}): nearly "
                       f"everyone gets it wrong")
    return "; ".join(reasons) or None


def item_flags(items: Iterable[ItemParameters]) -> dict[str, str]:
    """The reason for each flagged item (see `item_flag`), by item id."""
    return {item.item: reason for item in items if (reason := item_flag(item)) is not None}


def nearest_to_level(theta: float, candidates: Sequence[ItemParameters],
                     target: float = TARGET_SUCCESS) -> ItemParameters | None:
    """The candidate whose chance of a right answer at theta is closest to `target`.

    Picking the most informative item would aim at a chance of one half (a 2PL item informs
    most at theta = b): best for measuring, but a learner who fails half the time is
    discouraged. Aiming at 0.7 keeps items challenging yet mostly won, at a small cost in
    information: P (1 - P) is 0.21 instead of 0.25, 84% of the best the same item could give.
    Items with a discrimination of 0 or less are skipped, since for them a level means nothing.
    Ties go to the higher information, then to the item id; None when nothing is left.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be strictly between 0 and 1, not {target}")
    usable = [item for item in candidates if item.discrimination > 0]
    if not usable:
        return None
    return min(usable, key=lambda item: (abs(probability(theta, item) - target),
                                         -information(theta, item), item.item))
