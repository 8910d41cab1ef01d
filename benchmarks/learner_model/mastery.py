"""Mastery: next-answer correctness on ASSISTments 2009, the Gervet et al. split.

    .venv/bin/python benchmarks/learner_model/mastery.py [--data DIR] [--save]

Fits `learnloop.domain.learner.answer_model` on the 2,491 training learners (`fit`), then
predicts every answer of the 623 held-out learners one at a time with the product's online
path (`replay`: predict, then `observe` the answer), and prints AUC, log loss, accuracy and
calibration error beside the published results on this split. It saves a calibration plot
(`results/mastery-calibration.svg`). Each test answer is scored once, before it is seen.

Items are the data's `item_id`; an item's skills come from the q-matrix (`q_mat.npz`), and a
run is a row's `skill_id` (the item's set of skills: answers in a row on the same set).

It also fits and scores the general model (`fit(content=False)`: history weights and bias, no
item or skill terms), the one that carries over to other content; `--save` writes it to the
file the product ships for an organisation without enough answers of its own,
`src/learnloop/domain/learner/data/answer_model_gervet.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
from metrics import auc, calibration, expected_calibration_error, log_loss
from scipy import sparse
from shared import learner_data

from learnloop.domain.learner import answer_model
from learnloop.domain.learner.answer_model import Answer

ROOT = Path(__file__).resolve().parents[2]
DATA = learner_data() / "kt/gervet_assistments09"
SHIPPED = ROOT / "src/learnloop/domain/learner/data/answer_model_gervet.json"
PLOT = Path(__file__).resolve().parent / "results/mastery-calibration.svg"
PUBLISHED = {"Best-LR": 0.77, "DKT": 0.75, "SAKT": 0.75, "PFA": 0.72, "IRT": 0.69}
TARGET_AUC = 0.78
TARGET_SECONDS = 300.0


def load(path: Path, skills_of: list[tuple[str, ...]]) -> list[list[Answer]]:
    sequences: dict[str, list[Answer]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            right = row["correct"] == "1"
            item = int(row["item_id"])
            sequences.setdefault(row["user_id"], []).append(Answer(
                str(item), skills_of[item], 1.0 if right else 0.0, right, row["skill_id"]))
    return list(sequences.values())


def q_matrix(path: Path) -> list[tuple[str, ...]]:
    q = sparse.load_npz(path).tocsr()
    return [tuple(str(s) for s in q.indices[q.indptr[i]:q.indptr[i + 1]])
            for i in range(q.shape[0])]


def svg_plot(rows: list[tuple[float, float, int]], title: str) -> str:
    """A reliability diagram: observed rate against mean prediction per bin, dot area by
    count, the diagonal for perfect calibration."""
    size, pad = 360, 48
    inner = size - 2 * pad

    def x(v: float) -> float:
        return pad + v * inner

    def y(v: float) -> float:
        return size - pad - v * inner

    biggest = max(n for _, _, n in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size + 20}" '
        f'viewBox="0 0 {size} {size + 20}" font-family="sans-serif" font-size="11">',
        f'<rect width="{size}" height="{size + 20}" fill="white"/>',
        f'<text x="{size / 2}" y="18" text-anchor="middle" font-size="13">{title}</text>',
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" '
        'stroke="#999"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#bbb" '
        'stroke-dasharray="4 3"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text x="{x(tick)}" y="{size - pad + 16}" '
                     f'text-anchor="middle">{tick:g}</text>')
        parts.append(f'<text x="{pad - 6}" y="{y(tick) + 4}" text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{size / 2}" y="{size - 10}" text-anchor="middle">'
                 'predicted chance of a right answer</text>')
    parts.append(f'<text x="14" y="{size / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {size / 2})">observed rate</text>')
    points = " ".join(f"{x(m):.1f},{y(o):.1f}" for m, o, _ in rows)
    parts.append(f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    for m, o, n in rows:
        radius = 2 + 8 * (n / biggest) ** 0.5
        parts.append(f'<circle cx="{x(m):.1f}" cy="{y(o):.1f}" r="{radius:.1f}" '
                     f'fill="#2563eb" fill-opacity="0.5"><title>{n} answers: predicted '
                     f'{m:.3f}, observed {o:.3f}</title></circle>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--save", action="store_true",
                        help="write the general weights to the file the product ships")
    args = parser.parse_args()
    skills_of = q_matrix(args.data / "q_mat.npz")
    train = load(args.data / "preprocessed_data_train.csv", skills_of)
    test = load(args.data / "preprocessed_data_test.csv", skills_of)
    print(f"train: {sum(map(len, train)):,} answers, {len(train):,} learners; "
          f"test: {sum(map(len, test)):,} answers, {len(test):,} learners")

    started = time.perf_counter()
    model = answer_model.fit(train)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    p = np.asarray([q for seq in test for q in answer_model.replay(seq, model)])
    per_answer = (time.perf_counter() - started) / len(p)
    y = np.asarray([a.success for seq in test for a in seq])

    general = answer_model.fit(train, content=False)
    p_general = np.asarray([q for seq in test for q in answer_model.replay(seq, general)])

    area = auc(p, y)
    ok = area >= TARGET_AUC and seconds <= TARGET_SECONDS
    print(f"\nfit: {seconds:.1f} s on the training learners (target at most "
          f"{TARGET_SECONDS:.0f} s; ratio {seconds / TARGET_SECONDS:.2f})")
    print(f"predict + observe: {per_answer * 1e6:.0f} microseconds per answer")
    print(f"\n{'model':42} {'AUC':>6} {'log loss':>9} {'accuracy':>9} {'ECE':>6}")
    for name, q in (("answer model (fitted, online replay)", p),
                    ("general (shipped: no items or skills)", p_general)):
        print(f"{name:42} {auc(q, y):6.4f} {log_loss(q, y):9.4f} "
              f"{float(np.mean((q >= 0.5) == y)):9.4f} "
              f"{expected_calibration_error(q, y):6.4f}")
    print("\npublished on this split (AUC):  " + ", ".join(
        f"{k} {v:.2f} (ratio {area / v:.3f})" for k, v in PUBLISHED.items()))
    print(f"target: AUC at least {TARGET_AUC:.2f}: {'met' if ok else 'NOT met'} "
          f"({area:.4f})")

    PLOT.parent.mkdir(parents=True, exist_ok=True)
    PLOT.write_text(svg_plot(calibration(p, y, 10),
                             f"ASSISTments 2009 test learners, AUC {area:.3f}"))
    print(f"calibration plot: {PLOT.relative_to(ROOT)}")
    if args.save:
        SHIPPED.parent.mkdir(parents=True, exist_ok=True)
        SHIPPED.write_text(json.dumps(general.to_json(), indent=1, sort_keys=True) + "\n")
        print(f"saved: {SHIPPED.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
