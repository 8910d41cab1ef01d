"""True retention: how often people recall what the memory model said was due, against the
target it schedules for.

The scheduler asks again when it expects recall to have fallen to the target (90%). Each answer
given when a re-check was due is a test of that promise: right or not, and with what chance the
model gave it. Measured retention is the share right; the model's expected share beside it says
whether a gap is the model's (it expected 90% and saw 80%: it is too optimistic for this person)
or the calendar's (re-checks answered late, when the model itself expected less). Each figure
carries a 95% interval, since 20 re-checks say much less than 2,000.

A person's own figure is for them and their managers; a team's is for managers and analysts,
and only once at least `min_group_size` of its members have due re-checks, like every other
aggregate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.errors import NotFound
from learnloop.domain.learner.memory import TARGET_RETENTION, Retention
from learnloop.services.ports import LearningStore

Z95 = 1.959964


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion: sound at small counts and near 0 or 1,
    where the plain p +- z sqrt(p (1 - p) / n) is not."""
    if trials <= 0:
        return None
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) \
        / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class RetentionFigure:
    checks: int
    recalled: int
    measured: float | None
    expected: float | None
    interval: tuple[float, float] | None
    target: float = TARGET_RETENTION

    @classmethod
    def of(cls, retention: Retention) -> RetentionFigure:
        return cls(retention.checks, retention.recalled, retention.measured,
                   retention.predicted, wilson(retention.recalled, retention.checks))


@dataclass(frozen=True, slots=True)
class PersonRetention:
    person_id: int
    figure: RetentionFigure
    personal: bool  # scheduled from their own fitted parameters
    reason: str  # why those parameters (the last fit's verdict), or that none was tried
    fitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class TeamRetention:
    team_id: int
    members: int
    counted: int  # members with at least one due re-check
    figure: RetentionFigure | None  # None below the organisation's minimum group size
    personal: int  # members on their own parameters


def person_retention(store: LearningStore, actor: Actor,
                     person_id: int) -> PersonRetention:
    require(actor, Action.VIEW_PERSON, Target(actor.org_id, person_id))
    if store.people.person(actor.org_id, person_id) is None:
        raise NotFound(f"No person {person_id}.")
    return _person(store, person_id, store.calibration.retention([person_id]).get(person_id))


def _person(store: LearningStore, person_id: int,
            retention: Retention | None) -> PersonRetention:
    fit = store.calibration.memory_fit(person_id)
    if fit is None:
        personal, reason, at = False, "no fit tried yet: the population defaults schedule", None
    else:
        personal, reason, at = fit.decision.personal, fit.decision.reason, fit.fitted_at
    return PersonRetention(person_id, RetentionFigure.of(retention or Retention()), personal,
                           reason, at)


def reports_retention(store: LearningStore, actor: Actor) -> list[PersonRetention]:
    """Each of the actor's reports (one row each: managers see their reports' records)."""
    ids = sorted(actor.reports)
    for pid in ids:
        require(actor, Action.VIEW_PERSON, Target(actor.org_id, pid))
    found = store.calibration.retention(ids)
    return [_person(store, pid, found.get(pid)) for pid in ids]


def team_retention(store: LearningStore, actor: Actor, team_id: int) -> TeamRetention:
    require(actor, Action.VIEW_AGGREGATES, Target(actor.org_id))
    team = next((t for t in store.people.teams(actor.org_id) if t.id == team_id), None)
    org = store.people.organisation(actor.org_id)
    if team is None or org is None:
        raise NotFound(f"No team {team_id}.")
    members = sorted(pid for pid, teams in store.people.memberships(actor.org_id).items()
                     if team_id in teams)
    found = store.calibration.retention(members)
    counted = [found[pid] for pid in members if pid in found and found[pid].checks]
    personal = sum(1 for pid in members
                   if (fit := store.calibration.memory_fit(pid)) is not None
                   and fit.decision.personal)
    figure = None
    if len(counted) >= org.min_group_size:
        figure = RetentionFigure.of(sum(counted, Retention()))
    return TeamRetention(team_id, len(members), len(counted), figure, personal)
