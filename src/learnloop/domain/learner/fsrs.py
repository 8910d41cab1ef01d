"""FSRS-6, the memory model: how stable a memory is, and the chance of recalling it after a gap.

One card (for learnloop, one item family of one person) has a *stability* S, the gap in days
after which recall has fallen to 90%, and a *difficulty* D from 1 to 10. Each review, rated
1 (again: forgotten), 2 (hard), 3 (good) or 4 (easy), moves both:

- the first review sets S to the rating's initial stability and D to its initial difficulty;
- a review on a later day (a gap of at least one whole day) first predicts recall
  R = (1 + F t / S) ^ -decay, then grows S after a recall (the more, the lower R was: a hard
  recall teaches more) or cuts it after a lapse;
- a review the same day changes S by the short-term rule (a same-day repeat says little about
  long-term memory).

These are the formulas of FSRS-6 as published by the open-spaced-repetition project and as
py-fsrs 6 implements them (same 21 parameters, bounds, clamps and whole-day gaps; the tests
check it review by review). They are written once, with numpy operations that work on a single
number and on arrays alike: the product schedules one family at a time with them, and the
fitting (`memory_fit`) runs them over thousands of cards and many parameter sets at once. The
two paths are the same code, so what the benchmark measures is what schedules.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

# The published default (population) parameters of FSRS-6, as shipped by py-fsrs 6.
DEFAULT_PARAMETERS: tuple[float, ...] = (
    0.212,
    1.2931,
    2.3065,
    8.2956,
    6.4133,
    0.8334,
    3.0194,
    0.001,
    1.8722,
    0.1666,
    0.796,
    1.4835,
    0.0614,
    0.2629,
    1.6483,
    0.6014,
    1.8729,
    0.5425,
    0.0912,
    0.0658,
    0.1542,
)
LOWER_BOUNDS: tuple[float, ...] = (
    0.001,
    0.001,
    0.001,
    0.001,
    1.0,
    0.001,
    0.001,
    0.001,
    0.0,
    0.0,
    0.001,
    0.001,
    0.001,
    0.001,
    0.0,
    0.0,
    1.0,
    0.0,
    0.0,
    0.0,
    0.1,
)
UPPER_BOUNDS: tuple[float, ...] = (
    100.0,
    100.0,
    100.0,
    100.0,
    10.0,
    4.0,
    4.0,
    0.75,
    4.5,
    0.8,
    3.5,
    5.0,
    0.25,
    0.9,
    4.0,
    1.0,
    6.0,
    2.0,
    2.0,
    0.8,
    0.8,
)
PARAMETER_COUNT = len(DEFAULT_PARAMETERS)
STABILITY_MIN = 0.001
DIFFICULTY_MIN = 1.0
DIFFICULTY_MAX = 10.0

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4


class Rating(IntEnum):
    """How a review went: forgotten (again), or recalled with effort (hard), well (good) or
    without effort (easy)."""

    AGAIN = AGAIN
    HARD = HARD
    GOOD = GOOD
    EASY = EASY


def check_parameters(parameters: Sequence[float]) -> tuple[float, ...]:
    """The parameters as a tuple, or ValueError naming each one out of its bounds."""
    if len(parameters) != PARAMETER_COUNT:
        raise ValueError(f"FSRS-6 takes {PARAMETER_COUNT} parameters, got {len(parameters)}")
    wrong = [
        f"parameters[{i}] = {w} is outside [{lo}, {hi}]"
        for i, (w, lo, hi) in enumerate(zip(parameters, LOWER_BOUNDS, UPPER_BOUNDS, strict=True))
        if not (lo <= w <= hi) or w != w
    ]  # w != w: NaN
    if wrong:
        raise ValueError("; ".join(wrong))
    return tuple(float(w) for w in parameters)


def _w(w: Any, i: int) -> Any:
    """Parameter i: a float for one parameter set, a column (P, 1) for a (P, 21) array."""
    return w[..., i : i + 1] if isinstance(w, np.ndarray) and w.ndim == 2 else w[i]


def decay_and_factor(w: Any) -> tuple[Any, Any]:
    decay = _w(w, 20)
    return decay, 0.9 ** (-1.0 / decay) - 1.0


def retrievability(w: Any, elapsed_days: Any, stability: Any) -> Any:
    """R = (1 + F t / S) ^ -decay: the chance of recall after `elapsed_days` whole days."""
    decay, factor = decay_and_factor(w)
    return (1.0 + factor * elapsed_days / stability) ** -decay


def initial_stability(w: Any, rating: Any) -> Any:
    stability = np.choose(
        np.asarray(rating, dtype=np.int64) - 1, [_w(w, 0), _w(w, 1), _w(w, 2), _w(w, 3)]
    )
    return np.maximum(stability, STABILITY_MIN)


def _initial_difficulty_raw(w: Any, rating: Any) -> Any:
    return _w(w, 4) - np.exp(_w(w, 5) * (rating - 1.0)) + 1.0


def initial_difficulty(w: Any, rating: Any) -> Any:
    return np.clip(_initial_difficulty_raw(w, rating), DIFFICULTY_MIN, DIFFICULTY_MAX)


def next_difficulty(w: Any, difficulty: Any, rating: Any) -> Any:
    """Linear damping towards 10, then mean reversion towards the initial difficulty of easy."""
    delta = -_w(w, 6) * (rating - 3.0)
    damped = difficulty + (10.0 - difficulty) * delta / 9.0
    reverted = _w(w, 7) * _initial_difficulty_raw(w, 4.0) + (1.0 - _w(w, 7)) * damped
    return np.clip(reverted, DIFFICULTY_MIN, DIFFICULTY_MAX)


def recall_stability(w: Any, difficulty: Any, stability: Any, r: Any, rating: Any) -> Any:
    hard = np.where(rating == HARD, _w(w, 15), 1.0)
    easy = np.where(rating == EASY, _w(w, 16), 1.0)
    growth = (
        np.exp(_w(w, 8))
        * (11.0 - difficulty)
        * stability ** -_w(w, 9)
        * (np.exp((1.0 - r) * _w(w, 10)) - 1.0)
        * hard
        * easy
    )
    return stability * (1.0 + growth)


def forget_stability(w: Any, difficulty: Any, stability: Any, r: Any) -> Any:
    long_term = (
        _w(w, 11)
        * difficulty ** -_w(w, 12)
        * ((stability + 1.0) ** _w(w, 13) - 1.0)
        * np.exp((1.0 - r) * _w(w, 14))
    )
    return np.minimum(long_term, stability / np.exp(_w(w, 17) * _w(w, 18)))


def short_term_stability(w: Any, stability: Any, rating: Any) -> Any:
    increase = np.exp(_w(w, 17) * (rating - 3.0 + _w(w, 18))) * stability ** -_w(w, 19)
    increase = np.where(rating >= HARD, np.maximum(increase, 1.0), increase)
    return stability * increase


def step(
    w: Any, stability: Any, difficulty: Any, elapsed_days: Any, rating: Any
) -> tuple[Any, Any, Any]:
    """One review of a card that has been reviewed before: (R before it, new S, new D).

    `elapsed_days` is the whole days since the previous review; under one day, R is 1 and the
    short-term rule applies."""
    r = retrievability(w, np.maximum(elapsed_days, 0.0), stability)
    long_term = np.where(
        rating == AGAIN,
        forget_stability(w, difficulty, stability, r),
        recall_stability(w, difficulty, stability, r, rating),
    )
    new_stability = np.where(
        elapsed_days >= 1, long_term, short_term_stability(w, stability, rating)
    )
    return (r, np.maximum(new_stability, STABILITY_MIN), next_difficulty(w, difficulty, rating))


def interval_days(w: Any, stability: float, target_retention: float, maximum_days: int) -> int:
    """Whole days until recall is expected to fall to the target: at least 1, at most the
    maximum."""
    decay, factor = decay_and_factor(w)
    days = stability / factor * (target_retention ** (-1.0 / decay) - 1.0)
    return int(min(max(round(float(days)), 1), maximum_days))
