"""Scores shared by the learner-model benchmarks: log loss, AUC, binned RMSE and calibration."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

P_MIN = 1e-6


def log_loss(p: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    q = np.clip(p, P_MIN, 1 - P_MIN)
    return float(-np.mean(np.where(y, np.log(q), np.log(1 - q))))


def auc(p: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    """The chance that a random positive is ranked above a random negative (ties count half),
    by the Mann-Whitney rank sum."""
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sorted_p = p[order]
    # average ranks over ties
    _, start, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    for s, c in zip(start, counts, strict=True):
        ranks[order[s:s + c]] = s + (c + 1) / 2.0
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def calibration(p: NDArray[np.float64], y: NDArray[np.bool_], bins: int = 10
                ) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per equal-width bin of the prediction."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            out.append((float(p[chosen].mean()), float(y[chosen].mean()), int(chosen.sum())))
    return out


def rmse_bins(p: NDArray[np.float64], y: NDArray[np.bool_], bins: int = 20) -> float:
    """Root mean squared gap between predicted and observed rate over equal-width bins of the
    prediction, weighted by the bin's count."""
    rows = calibration(p, y, bins)
    total = sum(n for _, _, n in rows)
    return float(np.sqrt(sum(n * (m - o) ** 2 for m, o, n in rows) / total))


def expected_calibration_error(p: NDArray[np.float64], y: NDArray[np.bool_],
                               bins: int = 10) -> float:
    rows = calibration(p, y, bins)
    total = sum(n for _, _, n in rows)
    return float(sum(n * abs(m - o) for m, o, n in rows) / total)
