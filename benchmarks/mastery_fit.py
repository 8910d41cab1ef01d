"""Fit and check the mastery model's weights on the ASSISTments 2009 split (Gervet et al.).

    .venv/bin/python benchmarks/mastery_fit.py [path to gervet_assistments09]

Fits W0, WS and WF of `learnloop.domain.learner.mastery` by logistic regression (Newton's
method, standard library only) on the training learners, then scores the held-out learners with
the product's own `probability`/`observe` code and prints AUC, log loss and calibration (expected
calibration error over ten bins) for the fitted weights and for the weights the product ships.
The data has no timestamps, so forgetting plays no part here and difficulty is left at 3.
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from learnloop.domain.learner import mastery

DATA = Path(__file__).resolve().parents[2] / "shared/data/learner-model/kt/gervet_assistments09"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rows(path: Path) -> list[tuple[str, str, int]]:
    with path.open() as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [(r["user_id"], r["skill_id"], int(r["correct"])) for r in reader]


def features(data: list[tuple[str, str, int]]) -> list[tuple[float, float, int]]:
    counts: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    out = []
    for user, skill, correct in data:
        s, f = counts[(user, skill)]
        out.append((math.log1p(s), math.log1p(f), correct))
        counts[(user, skill)][0 if correct else 1] += 1
    return out


def fit(x: list[tuple[float, float, int]]) -> tuple[float, float, float]:
    w = [0.0, 0.0, 0.0]
    for _ in range(25):
        grad = [0.0, 0.0, 0.0]
        hess = [[0.0] * 3 for _ in range(3)]
        for ls, lf, y in x:
            v = (1.0, ls, -lf)
            p = 1 / (1 + math.exp(-(w[0] + w[1] * ls - w[2] * lf)))
            for i in range(3):
                grad[i] += (y - p) * v[i]
                for j in range(3):
                    hess[i][j] += p * (1 - p) * v[i] * v[j]
        step = solve(hess, grad)
        w = [w[i] + step[i] for i in range(3)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return w[0], w[1], w[2]


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [[*row[:], b[i]] for i, row in enumerate(a)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[pivot] = m[pivot], m[c]
        for r in range(n):
            if r != c:
                k = m[r][c] / m[c][c]
                m[r] = [m[r][i] - k * m[c][i] for i in range(n + 1)]
    return [m[i][n] / m[i][i] for i in range(n)]


def auc(scores: list[float], labels: list[int]) -> float:
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    return (sum(r for r, y in zip(ranks, labels, strict=True) if y) - pos * (pos + 1) / 2) \
        / (pos * neg)


def evaluate(data: list[tuple[str, str, int]]) -> tuple[float, float, float]:
    """Score every test interaction once with the product's own online update."""
    state: dict[tuple[str, str], mastery.Evidence] = defaultdict(mastery.Evidence)
    preds, labels = [], []
    for user, skill, correct in data:
        evidence = state[(user, skill)]
        preds.append(mastery.probability(evidence, T0))
        labels.append(correct)
        state[(user, skill)] = mastery.observe(evidence, float(correct), T0)
    loss = -sum(math.log(p if y else 1 - p) for p, y in zip(preds, labels, strict=True)) \
        / len(preds)
    bins: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for p, y in zip(preds, labels, strict=True):
        bins[min(9, int(p * 10))].append((p, y))
    ece = sum(abs(sum(p for p, _ in b) - sum(y for _, y in b)) for b in bins.values()) \
        / len(preds)
    return auc(preds, labels), loss, ece


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    train = rows(folder / "preprocessed_data_train.csv")
    test = rows(folder / "preprocessed_data_test.csv")
    w0, ws, wf = fit(features(train))
    print(f"fitted on {len(train):,} training answers: W0={w0:.3f} WS={ws:.3f} WF={wf:.3f}")
    shipped = (mastery.W0, mastery.WS, mastery.WF)
    print(f"shipped weights:                         W0={shipped[0]:.3f} "
          f"WS={shipped[1]:.3f} WF={shipped[2]:.3f}")
    a, loss, ece = evaluate(test)
    print(f"held-out learners ({len(test):,} answers), shipped weights: "
          f"AUC {a:.4f}  log loss {loss:.4f}  calibration error {ece:.4f}")
    print("published on this split: PFA 0.72, Best-LR 0.77 (AUC)")


if __name__ == "__main__":
    main()
