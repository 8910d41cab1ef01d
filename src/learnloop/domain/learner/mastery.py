"""Mastery per learner and skill: the chance that the next answer on the skill is right.

Two kinds of evidence enter it:

- **answers** to knowledge checks, through the answer model (`answer_model`): a logistic model
  of the person's history on the skill and overall, fitted on real learners (ASSISTments 2009,
  where it beats the best published model) and refitted on the organisation's own answers by
  `learnloop calibrate` once there are enough;
- **work**: pre-flight results on real campaigns. They add to the answer model's logit as
  faded evidence counts, S for rules passed and F for rules failed:

      logit(P) = answer model + WS * ln(1 + S) - WF * ln(1 + F)

  WS and WF are the weights performance factors analysis gives a right and a wrong answer on
  ASSISTments 2009 (fitted there by logistic regression); a rule's result enters S or F with a
  weight of its own (`WORK_PASS_WEIGHT`, `WORK_FAIL_WEIGHT`), so that a failure at work moves
  mastery further than a wrong answer does. Work evidence fades with a half-life (30 days):
  a mistake made last quarter says less about today than one made last week. The weights are
  judgements: no public data set joins quiz answers to on-the-job results
  (`docs/learner-model.md`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from learnloop.domain.learner.answer_model import LOGIT_LIMIT

WS = 0.841
WF = 0.913
HALF_LIFE_DAYS = 30.0
MASTERED = 0.85
STRUGGLING = 0.6
# On-the-job evidence: one pre-flight rule's result on the first pre-flight of a campaign.
# A failure is the rare, specific event (the person shipped the mistake in real work) and
# counts three times in F; a pass is the common case (most rules pass on most campaigns,
# whoever builds them) and counts a fifth. With these, after ten right answers one failed rule
# lowers the figure more than one wrong answer does (94% to 83%, against 85%).
WORK_FAIL_WEIGHT = 3.0
WORK_PASS_WEIGHT = 0.2
# While a rule of the skill has failed twice at work and not passed since, the skill is shown
# no higher than this, just under the mastered line, whatever the quizzes say.
WORK_GAP_CEILING = 0.84


@dataclass(frozen=True, slots=True)
class Evidence:
    """Faded counts of work evidence at `at` (the time of the last result)."""

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


def work_logit(evidence: Evidence, at: datetime) -> float:
    """What the work evidence adds to the answer model's logit at `at`."""
    faded = evidence.faded_to(at)
    return WS * math.log1p(faded.successes) - WF * math.log1p(faded.failures)


def combine(answer_logit: float, evidence: Evidence, at: datetime) -> float:
    """P(the next answer on the skill is right): the answer model's logit plus the work's."""
    z = answer_logit + work_logit(evidence, at)
    z = min(LOGIT_LIMIT, max(-LOGIT_LIMIT, z))
    return 1.0 / (1.0 + math.exp(-z))


def observe(evidence: Evidence, score: float, at: datetime, weight: float = 1.0) -> Evidence:
    """The evidence after one result scored 0..1 at `at` (late ones are not faded back): adds
    `weight` times the score to the successes and `weight` times the shortfall to the
    failures."""
    score = min(1.0, max(0.0, score))
    faded = evidence.faded_to(at)
    return Evidence(faded.successes + weight * score, faded.failures + weight * (1.0 - score),
                    max(at, evidence.at) if evidence.at else at)
