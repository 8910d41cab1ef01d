"""Fitting the memory model to one person: FSRS-6 parameters from their own review history.

The population defaults (`fsrs.DEFAULT_PARAMETERS`) were fitted by the FSRS project on millions
of reviews by thousands of people. One person forgets at their own pace, so once they have
enough history, parameters fitted to them predict their recall better. This module:

- lays a history out for replay (`ReviewHistory`): every card's reviews in time order, as
  arrays, so the FSRS formulas run over all cards, and over many parameter sets, at once;
- predicts recall for every review (`predict`) and scores it (`log_loss`);
- fits the 21 parameters by maximum likelihood with a pull towards the defaults
  (`fit_parameters`): L-BFGS-B within the FSRS bounds, with the gradient from forward
  differences, all parameter sets of one gradient replayed together;
- decides whether a person's fit is used (`personal_parameters`): only with enough history,
  and only when the fit predicts the person's most recent reviews, held out of the fit, at
  least as well as the defaults do. Otherwise the defaults schedule, and the reason is kept.

Only reviews on a later day than the card's previous review are scored (a same-day repeat is
not a test of memory); first reviews have nothing to predict from. This is the protocol of the
FSRS project's benchmark (srs-benchmark), which `benchmarks/learner_model/memory.py` runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.optimize import minimize

from learnloop.domain.learner import fsrs
from learnloop.domain.learner.fsrs import Array

# A fit is tried only with at least this many scored reviews (a later-day review of a card
# already seen): below it, the held-out check has too few reviews to tell a better fit from
# luck. `benchmarks/learner_model/memory.py --curve` measures where fitting starts to pay.
MIN_SCORED_REVIEWS = 400
# The most recent share of scored reviews held out to check a fit against the defaults.
HELD_OUT_SHARE = 0.2
# The pull towards the defaults: a penalty of PRIOR_STRENGTH * sum(((w - w0) / range)^2),
# added to the summed log loss. It is worth about that many reviews of evidence per parameter,
# so a short history stays near the defaults and a long one speaks for itself.
PRIOR_STRENGTH = 20.0
MAX_ITERATIONS = 100
_EPS = 1e-6  # step of the finite differences, in units of each parameter's range
_P_MIN = 1e-6


@dataclass(frozen=True, slots=True)
class Review:
    card: str
    at: datetime
    rating: int  # 1 again, 2 hard, 3 good, 4 easy


@dataclass(frozen=True, slots=True)
class ReviewHistory:
    """Reviews laid out by card and step: column c is card c, row k its k-th review.

    Cards are sorted by number of reviews, longest first, so the cards with a k-th review are
    the first `active[k]` columns. `order[k, c]` is the review's position in time among all
    reviews (-1 where the card has fewer reviews)."""

    cards: tuple[str, ...]
    rating: Array  # (K, C), 0 where absent
    elapsed: Array  # (K, C) whole days since the card's previous review
    order: NDArray_Int
    active: tuple[int, ...]
    scored: NDArray_Bool  # a later-day review of a card already seen
    recalled: NDArray_Bool
    reviews: tuple[Review, ...]  # in time order: `order` indexes it

    @property
    def scored_count(self) -> int:
        return int(self.scored.sum())

    def scored_positions(self) -> NDArray_Int:
        """The time positions of the scored reviews, in time order."""
        return np.sort(self.order[self.scored])


NDArray_Int = np.ndarray[tuple[int, ...], np.dtype[np.int64]]
NDArray_Bool = np.ndarray[tuple[int, ...], np.dtype[np.bool_]]


def history(reviews: Iterable[Review]) -> ReviewHistory:
    """Lay out reviews for replay. Reviews are put in time order first (a late-arriving review
    takes its place by its time; equal times keep their given order); ratings must be 1 to 4.
    """
    items = list(reviews)
    for review in items:
        if review.rating not in (1, 2, 3, 4):
            raise ValueError(f"rating must be 1, 2, 3 or 4, got {review.rating!r}")
    ranked = sorted(range(len(items)), key=lambda i: items[i].at)
    by_card: dict[str, list[int]] = {}
    for position, i in enumerate(ranked):
        by_card.setdefault(items[i].card, []).append(position)
    timeline = [items[i] for i in ranked]
    cards = sorted(by_card, key=lambda c: -len(by_card[c]))
    depth = max((len(v) for v in by_card.values()), default=0)
    rating = np.zeros((depth, len(cards)))
    elapsed = np.zeros((depth, len(cards)))
    order = np.full((depth, len(cards)), -1, dtype=np.int64)
    for c, card in enumerate(cards):
        positions = by_card[card]
        for k, position in enumerate(positions):
            rating[k, c] = timeline[position].rating
            order[k, c] = position
            if k:
                gap = timeline[position].at - timeline[positions[k - 1]].at
                elapsed[k, c] = max(0, gap // timedelta(days=1))
    present = order >= 0
    scored = present & (elapsed >= 1)
    if depth:
        scored[0, :] = False
    active = tuple(int(n) for n in present.sum(axis=1))
    return ReviewHistory(tuple(cards), rating, elapsed, order, active, scored,
                         rating > 1, tuple(timeline))


def predict(h: ReviewHistory, w: Sequence[float] | Array) -> Array:
    """Predicted recall before every review, shape (K, C) for one parameter set or (P, K, C)
    for a (P, 21) array of them; NaN for first reviews and absent cells."""
    weights = np.asarray(w, dtype=np.float64)
    many = weights.ndim == 2
    shape = (weights.shape[0], *h.rating.shape) if many else h.rating.shape
    out = np.full(shape, np.nan)
    if not h.active:
        return out
    n = h.active[0]
    rating0 = h.rating[0, :n]
    stability = fsrs.initial_stability(weights, rating0) * np.ones((*shape[:-2], n))
    difficulty = fsrs.initial_difficulty(weights, rating0) * np.ones((*shape[:-2], n))
    for k in range(1, len(h.active)):
        n = h.active[k]
        stability, difficulty = stability[..., :n], difficulty[..., :n]
        r, stability, difficulty = fsrs.step(weights, stability, difficulty,
                                             h.elapsed[k, :n], h.rating[k, :n])
        out[..., k, :n] = r
    return out


def log_loss(h: ReviewHistory, w: Sequence[float] | Array,
             mask: NDArray_Bool | None = None) -> float:
    """Mean log loss over the scored reviews (or those in `mask`)."""
    chosen = h.scored if mask is None else (h.scored & mask)
    if not chosen.any():
        raise ValueError("no scored reviews to measure")
    p = np.clip(predict(h, w)[chosen], _P_MIN, 1 - _P_MIN)
    y = h.recalled[chosen]
    return float(-np.mean(np.where(y, np.log(p), np.log(1 - p))))


@dataclass(frozen=True, slots=True)
class Fit:
    parameters: tuple[float, ...]
    loss: float  # mean log loss on the reviews fitted, with the pull towards the defaults
    iterations: int
    converged: bool


_LOWER = np.array(fsrs.LOWER_BOUNDS)
_UPPER = np.array(fsrs.UPPER_BOUNDS)
_RANGE = _UPPER - _LOWER


def fit_parameters(h: ReviewHistory, start: Sequence[float] = fsrs.DEFAULT_PARAMETERS,
                   prior: Sequence[float] = fsrs.DEFAULT_PARAMETERS,
                   prior_strength: float = PRIOR_STRENGTH,
                   max_iterations: int = MAX_ITERATIONS) -> Fit:
    """Maximum-likelihood FSRS-6 parameters for the scored reviews of `h`, pulled towards
    `prior`, starting from `start`. Deterministic."""
    count = h.scored_count
    if count == 0:
        raise ValueError("no scored reviews to fit")
    y = h.recalled[h.scored]
    centre = np.asarray(prior, dtype=np.float64)
    # Work in units of each parameter's range, so that one step size suits them all.
    x0 = (np.clip(np.asarray(start, dtype=np.float64), _LOWER, _UPPER) - _LOWER) / _RANGE
    n = fsrs.PARAMETER_COUNT
    probes = np.vstack([np.zeros(n), np.eye(n) * _EPS])

    def objective(x: Array) -> tuple[float, Array]:
        # x and its forward probes x + eps along each axis (backward at the upper bound),
        # replayed together
        shifted = np.where(x + _EPS <= 1.0, x + probes, x - probes)
        weights = _LOWER + shifted * _RANGE
        p = np.clip(predict(h, weights)[:, h.scored], _P_MIN, 1 - _P_MIN)
        losses = -np.where(y, np.log(p), np.log(1 - p)).sum(axis=1)
        losses += prior_strength * (((weights - centre) / _RANGE) ** 2).sum(axis=1)
        widths = shifted[1:].diagonal() - x
        return float(losses[0]) / count, (losses[1:] - losses[0]) / widths / count

    result = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * n,
                      options={"maxiter": max_iterations})
    best = _LOWER + np.clip(result.x, 0.0, 1.0) * _RANGE
    return Fit(tuple(float(v) for v in best), float(result.fun), int(result.nit),
               bool(result.success))


@dataclass(frozen=True, slots=True)
class Decision:
    """Which parameters schedule one person's memory, and why."""

    parameters: tuple[float, ...]
    personal: bool
    reason: str
    scored_reviews: int
    held_out: int = 0
    held_out_loss_fitted: float | None = None
    held_out_loss_default: float | None = None


def personal_parameters(reviews: Iterable[Review],
                        defaults: Sequence[float] = fsrs.DEFAULT_PARAMETERS,
                        minimum: int = MIN_SCORED_REVIEWS) -> Decision:
    """The parameters to schedule this person's reviews with: fitted to them when they have at
    least `minimum` scored reviews and the fit, made without their most recent scored reviews,
    predicts those at least as well as the defaults; otherwise the defaults, with the reason."""
    h = history(reviews)
    base = tuple(float(v) for v in defaults)
    count = h.scored_count
    if count < minimum:
        return Decision(base, False, f"{count} scored reviews; a fit needs at least {minimum}",
                        count)
    positions = h.scored_positions()
    held = max(1, math.ceil(count * HELD_OUT_SHARE))
    cutoff = int(positions[count - held])
    after = h.order >= cutoff
    fitted = fit_parameters(history(h.reviews[:cutoff]), prior=base)
    loss_fit = log_loss(h, fitted.parameters, after)
    loss_default = log_loss(h, base, after)
    if loss_fit > loss_default:
        return Decision(base, False,
                        f"the fit predicted the {held} most recent reviews worse than the "
                        f"defaults (log loss {loss_fit:.4f} against {loss_default:.4f})",
                        count, held, loss_fit, loss_default)
    # The fit earned its place on reviews it had not seen; the person's whole history, the
    # most recent reviews included, then makes the parameters that schedule. The refit starts
    # from the checked fit and is kept only if it too predicts the held-out reviews at least
    # as well as the defaults.
    final = fit_parameters(h, start=fitted.parameters, prior=base)
    if log_loss(h, final.parameters, after) > loss_default:
        final = fitted
    return Decision(final.parameters, True,
                    f"a fit on the first {count - held} scored reviews predicted the {held} "
                    f"most recent with log loss {loss_fit:.4f} against {loss_default:.4f} "
                    f"for the defaults; refitted on all {count}",
                    count, held, loss_fit, loss_default)
