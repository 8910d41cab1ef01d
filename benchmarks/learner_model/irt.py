"""Item calibration: the product's 2PL fit on LSAT section 6 against R's `ltm`.

    .venv/bin/python benchmarks/learner_model/irt.py [--data FILE]

LSAT (Bock and Lieberman, 1970): 1,000 examinees x 5 items, the data of `ltm::LSAT`. The fit
is `learnloop.domain.learner.irt.fit_2pl` with `prior=None` (pure marginal maximum likelihood,
21-point Gauss-Hermite quadrature), which is what `ltm(LSAT ~ z1, IRT.param = TRUE)` computes.
It prints each item's difficulty and discrimination beside ltm's, the largest difference
(target: within 0.01), the log-likelihood and the time. The product calibrates with the weak
prior; its figures are printed too, to show how little the prior moves well-answered items.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from shared import learner_data

from learnloop.domain.learner.irt import WEAK_PRIOR, Response, fit_2pl

ROOT = Path(__file__).resolve().parents[2]
DATA = learner_data() / "irt/LSAT.csv"
LTM_DIFFICULTY = (-3.360, -1.370, -0.280, -1.866, -3.124)
LTM_DISCRIMINATION = (0.825, 0.723, 0.890, 0.689, 0.657)
LTM_LOG_LIKELIHOOD = -2466.65
TOLERANCE = 0.01


def load(path: Path) -> list[Response]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    return [(f"person {p}", item, int(value)) for p, row in enumerate(rows[1:])
            for item, value in zip(header, row, strict=True)]


def run(path: Path = DATA) -> dict[str, float]:
    responses = load(path)
    started = time.perf_counter()
    fit = fit_2pl(responses, prior=None)
    seconds = time.perf_counter() - started
    with_prior = fit_2pl(responses, prior=WEAK_PRIOR)
    print(f"{'item':<8}{'b':>8}{'ltm b':>8}{'a':>8}{'ltm a':>8}{'b (prior)':>11}"
          f"{'a (prior)':>11}")
    worst = 0.0
    for item, prior_item, b, a in zip(fit.items, with_prior.items, LTM_DIFFICULTY,
                                      LTM_DISCRIMINATION, strict=True):
        worst = max(worst, abs(item.difficulty - b), abs(item.discrimination - a))
        print(f"{item.item:<8}{item.difficulty:>8.3f}{b:>8.3f}{item.discrimination:>8.3f}"
              f"{a:>8.3f}{prior_item.difficulty:>11.3f}{prior_item.discrimination:>11.3f}")
    return {"max_difference": worst, "log_likelihood": fit.log_likelihood,
            "seconds": seconds, "converged": float(fit.converged)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.data.is_file():
        parser.error(f"no LSAT data at {args.data}")
    r = run(args.data)
    print(f"\nlargest difference from ltm: {r['max_difference']:.4f} (target <= {TOLERANCE}; "
          f"ratio {r['max_difference'] / TOLERANCE:.2f})")
    print(f"log-likelihood {r['log_likelihood']:.2f} (ltm {LTM_LOG_LIKELIHOOD}); fitted in "
          f"{r['seconds'] * 1000:.0f} ms; converged: {bool(r['converged'])}")
    met = r["max_difference"] <= TOLERANCE and bool(r["converged"])
    print(f"target (within {TOLERANCE} of ltm): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
