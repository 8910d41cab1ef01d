"""Memory: recall prediction on a real review log, by the FSRS benchmark's protocol.

    .venv/bin/python benchmarks/learner_model/memory.py [--data FILE] [--curve]

The data is one person's Anki history (py-fsrs's test fixture, 12,580 reviews of 1,205 cards;
`../shared/data/learner-model/README.md`). The protocol is srs-benchmark's: reviews in time
order, the reviews that can be scored (a later day than the card's previous review) split into
six blocks by `TimeSeriesSplit(n_splits=5)`, and each of the last five blocks predicted from
everything before it. Every figure comes from the product's own code: the FSRS-6 formulas in
`learnloop.domain.learner.fsrs`, the replay and fit in `learnloop.domain.learner.memory_fit`.

It prints, for each way of choosing parameters, log loss (first: the FSRS project's headline
metric), RMSE over 20 bins of predicted recall, AUC, and the time taken:

- constant: the recall rate of the reviews before each block (the floor);
- defaults: FSRS-6 with the population parameters (published anchor 0.4400 on this file);
- fitted before each block: `fit_parameters` on everything before the block, starting from
  the previous block's fit (published anchor for FSRS-6 re-fitted: 0.4360);
- the product's policy: `personal_parameters` before each block, which fits only with enough
  history and keeps the defaults when the fit predicts the most recent reviews worse.

`--curve` also measures what a fit gains as history grows, for the threshold in
`memory_fit.MIN_SCORED_REVIEWS`: fit on the first N scored reviews, score the next 500.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from metrics import auc, log_loss, rmse_bins
from shared import learner_data

from learnloop.domain.learner import fsrs
from learnloop.domain.learner.memory_fit import (
    MIN_SCORED_REVIEWS,
    Review,
    fit_parameters,
    history,
    personal_parameters,
    predict,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = learner_data() / "recall/pyfsrs_josh_review_logs.csv"
ANCHOR_DEFAULTS = 0.4400
ANCHOR_FITTED = 0.4360
ANCHOR_CONSTANT = 0.4948
TARGET_SECONDS = 60.0
FOLDS = 5


def load(path: Path) -> list[Review]:
    with path.open(newline="") as handle:
        return [Review(row["card_id"], datetime.fromisoformat(row["review_time"]),
                       int(row["review_rating"])) for row in csv.DictReader(handle)]


def folds(reviews: list[Review]) -> tuple[Any, list[tuple[int, Any]]]:
    """The laid-out history and, per test block, (time position of its first review, mask of
    its scored reviews)."""
    h = history(reviews)
    positions = h.scored_positions()  # scored reviews in time order
    size = len(positions) // (FOLDS + 1)
    first = len(positions) - FOLDS * size
    out = []
    for i in range(FOLDS):
        block = positions[first + i * size: first + (i + 1) * size]
        out.append((int(block[0]), np.isin(h.order, block) & h.scored))
    return h, out


def score(h: Any, blocks: list[tuple[int, Any]], choose: Any) -> dict[str, float]:
    """Predict each block with the parameters `choose(reviews before it, block index)` gives."""
    started = time.perf_counter()
    p_all: list[Any] = []
    y_all: list[Any] = []
    for i, (start, mask) in enumerate(blocks):
        chosen = choose(h.reviews[:start], i)
        if isinstance(chosen, float):  # a constant
            p = np.full(int(mask.sum()), chosen)
        else:
            p = predict(h, chosen)[mask]
        p_all.append(p)
        y_all.append(h.recalled[mask])
    seconds = time.perf_counter() - started
    p, y = np.concatenate(p_all), np.concatenate(y_all)
    return {"log_loss": log_loss(p, y), "rmse_bins": rmse_bins(p, y), "auc": auc(p, y),
            "seconds": seconds, "scored": float(len(y))}


def run(path: Path = DATA) -> dict[str, dict[str, float]]:
    h, blocks = folds(load(path))
    results: dict[str, dict[str, float]] = {}

    def constant(before: tuple[Review, ...], _i: int) -> float:
        past = history(before)
        return float(past.recalled[past.scored].mean())

    results["constant"] = score(h, blocks, constant)
    results["defaults"] = score(h, blocks, lambda _b, _i: fsrs.DEFAULT_PARAMETERS)
    warm: list[tuple[float, ...]] = [fsrs.DEFAULT_PARAMETERS]

    def fitted(before: tuple[Review, ...], _i: int) -> tuple[float, ...]:
        fit = fit_parameters(history(before), start=warm[-1])
        warm.append(fit.parameters)
        return fit.parameters

    results["fitted"] = score(h, blocks, fitted)
    decisions: list[str] = []

    def policy(before: tuple[Review, ...], _i: int) -> tuple[float, ...]:
        decision = personal_parameters(before)
        decisions.append(("personal: " if decision.personal else "defaults: ")
                         + decision.reason)
        return decision.parameters

    results["policy"] = score(h, blocks, policy)
    results["policy"]["personal_blocks"] = float(sum(d.startswith("personal")
                                                     for d in decisions))
    for i, d in enumerate(decisions, 1):
        print(f"  block {i}: {d}")
    return results


def curve(path: Path = DATA, sizes: tuple[int, ...] = (50, 100, 200, 400, 800, 1600, 3200),
          window: int = 500) -> list[tuple[int, float, float, bool]]:
    """(N, log loss of a fit on the first N scored reviews, of the defaults, whether the
    product's check would have used it), both on the next `window` scored reviews."""
    h = history(load(path))
    positions = h.scored_positions()
    out = []
    for n in sizes:
        if n + window > len(positions):
            break
        cut, end = int(positions[n]), int(positions[n + window - 1])
        mask = h.scored & (h.order >= cut) & (h.order <= end)
        before = h.reviews[:cut]
        fit = fit_parameters(history(before))
        y = h.recalled[mask]
        loss_fit = log_loss(predict(h, fit.parameters)[mask], y)
        loss_default = log_loss(predict(h, fsrs.DEFAULT_PARAMETERS)[mask], y)
        decision = personal_parameters(before, minimum=0)
        out.append((n, loss_fit, loss_default, decision.personal))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--curve", action="store_true", help="also the learning curve")
    args = parser.parse_args()
    if not args.data.is_file():
        parser.error(f"no review log at {args.data}")
    results = run(args.data)
    scored = int(results["defaults"]["scored"])
    print(f"\nMemory, srs-benchmark protocol, {scored:,} scored reviews in {FOLDS} blocks")
    print(f"{'parameters':<28}{'log loss':>10}{'RMSE(bins)':>12}{'AUC':>8}{'seconds':>9}"
          f"  anchor")
    anchors = {"constant": f"{ANCHOR_CONSTANT} published; ratio "
                           f"{results['constant']['log_loss'] / ANCHOR_CONSTANT:.3f}",
               "defaults": f"<= {ANCHOR_DEFAULTS} target; ratio "
                           f"{results['defaults']['log_loss'] / ANCHOR_DEFAULTS:.4f}",
               "fitted": f"<= {ANCHOR_FITTED} in <= {TARGET_SECONDS:.0f} s target; ratio "
                         f"{results['fitted']['log_loss'] / ANCHOR_FITTED:.4f}, time ratio "
                         f"{results['fitted']['seconds'] / TARGET_SECONDS:.2f}",
               "policy": f"<= {ANCHOR_FITTED} target; ratio "
                         f"{results['policy']['log_loss'] / ANCHOR_FITTED:.4f}, personal in "
                         f"{results['policy']['personal_blocks']:.0f} of {FOLDS} blocks"}
    names = {"constant": "constant", "defaults": "FSRS-6 defaults",
             "fitted": "FSRS-6 fitted each block", "policy": "product policy"}
    for key, label in names.items():
        r = results[key]
        print(f"{label:<28}{r['log_loss']:>10.4f}{r['rmse_bins']:>12.4f}{r['auc']:>8.4f}"
              f"{r['seconds']:>9.1f}  {anchors[key]}")
    if args.curve:
        print(f"\nWhat a fit gains with history (next 500 scored reviews; the product fits "
              f"from {MIN_SCORED_REVIEWS})")
        print(f"{'scored reviews':>15}{'fit':>9}{'defaults':>10}{'gain':>9}  check")
        for n, loss_fit, loss_default, used in curve(args.data):
            print(f"{n:>15,}{loss_fit:>9.4f}{loss_default:>10.4f}{loss_default - loss_fit:>9.4f}"
                  f"  {'used' if used else 'refused'}")
    met = (results["defaults"]["log_loss"] <= ANCHOR_DEFAULTS + 5e-5
           and results["fitted"]["log_loss"] <= ANCHOR_FITTED
           and results["fitted"]["seconds"] <= TARGET_SECONDS
           and results["policy"]["log_loss"] <= ANCHOR_FITTED)
    print(f"\ntargets (defaults <= {ANCHOR_DEFAULTS} to four places, fitted and policy <= "
          f"{ANCHOR_FITTED} in <= {TARGET_SECONDS:.0f} s): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
