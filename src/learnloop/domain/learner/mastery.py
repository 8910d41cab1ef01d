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

Pre-flight results are evidence from work and enter the same counts with weights of their own
(`WORK_PASS_WEIGHT`, `WORK_FAIL_WEIGHT`); an answer has weight 1, so the fitted path is
unchanged. The weights are judgements until issue 6 fits them (`docs/learner-model.md`).
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
# On-the-job evidence: one pre-flight rule's result on the first pre-flight of a campaign.
# A failure is the rare, specific event (the person shipped the mistake in real work) and
# counts as two wrong answers; a pass is the common case (most rules pass on most campaigns,
# whoever builds them) and five passed rules count as one right answer.
WORK_FAIL_WEIGHT = 2.0
WORK_PASS_WEIGHT = 0.2
# While a rule of the skill has failed twice at work and not passed since, the skill is shown
# no higher than this, just under the mastered line, whatever the quizzes say.
WORK_GAP_CEILING = 0.84


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


def observe(evidence: Evidence, score: float, at: datetime, weight: float = 1.0) -> Evidence:
    """The evidence after one observation scored 0..1 at `at` (late ones are not faded back).
    An answer has weight 1; work evidence adds `weight` times its score and its shortfall."""
    score = min(1.0, max(0.0, score))
    faded = evidence.faded_to(at)
    return Evidence(faded.successes + weight * score, faded.failures + weight * (1.0 - score),
                    max(at, evidence.at) if evidence.at else at)
