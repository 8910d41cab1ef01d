"""Mastery per learner and skill: the probability that the next answer on the skill is right.

The model is performance factors analysis with forgetting. For one learner and skill it keeps
two evidence counts, successes S and failures F; each answer adds its score to S and the rest
to F, and both counts fade with a half-life, so old evidence weighs less than new. Then

    P(next answer right) = sigmoid(W0 + WS * ln(1 + S) - WF * ln(1 + F) + WD * (3 - d))

where d is the item's difficulty (1 to 5, 3 when unknown). The weights were fitted by logistic
regression on the ASSISTments 2009 training learners (`benchmarks/mastery_fit.py` refits them
and prints the calibration on the held-out learners), so the probability is calibrated on real
learners, not invented. The half-life cannot be fitted there (that data has no times); 30 days
is a conservative choice documented in `docs/learner-model.md`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

W0 = 0.641
WS = 0.841
WF = 0.913
WD = 0.4
HALF_LIFE_DAYS = 30.0
MASTERED = 0.85
STRUGGLING = 0.6


@dataclass(frozen=True, slots=True)
class Evidence:
    """The faded evidence counts at `at` (the time of the last answer)."""

    successes: float = 0.0
    failures: float = 0.0
    at: datetime | None = None

    def faded_to(self, moment: datetime) -> Evidence:
        if self.at is None or moment <= self.at:
            return self
        factor = fade(moment - self.at)
        return Evidence(self.successes * factor, self.failures * factor, moment)


def fade(elapsed: timedelta) -> float:
    return float(0.5 ** ((elapsed / timedelta(days=1)) / HALF_LIFE_DAYS))


def logit(evidence: Evidence, difficulty: float = 3.0) -> float:
    return (W0 + WS * math.log1p(evidence.successes) - WF * math.log1p(evidence.failures)
            + WD * (3.0 - difficulty))


def probability(evidence: Evidence, at: datetime, difficulty: float = 3.0) -> float:
    """P(the next answer on the skill is right) at `at`, for an item of this difficulty."""
    z = logit(evidence.faded_to(at), difficulty)
    return 1.0 / (1.0 + math.exp(min(-z, 700.0)))  # capped: exp overflows past about 709


def observe(evidence: Evidence, score: float, at: datetime) -> Evidence:
    """The evidence after one answer scored 0..1 at `at` (late answers are not faded back)."""
    score = min(1.0, max(0.0, score))
    faded = evidence.faded_to(at)
    return Evidence(faded.successes + score, faded.failures + (1.0 - score),
                    max(at, evidence.at) if evidence.at else at)
