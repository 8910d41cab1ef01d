"""Pre-flight results as learning evidence: one xAPI statement per rule that ran (pure).

A rule's result on a person's campaign is evidence of a skill at work, so it goes into the
learning record like an answer does (`docs/xapi-profile.md#pre-flight-statements`): ADL's
`passed` or `failed` about the rule, with the skill and the pack in the grouping (as answers
have them), the campaign beside them, the run as the registration, and which pre-flight of
the campaign this was. The learner model reads them back through `xapi.reading.read_event`
like every other statement, so rebuilt state equals live state.

A rule *passes* only when it found nothing to fix: passed, or only coaching tips. A warning is
a fail here, though it does not block the launch: rules of warning severity never fail
outright, and a person who keeps shipping without a preheader should be coached too. The
statement keeps the outcome (`passed`, `warned`, `failed`) for anyone who counts otherwise.
Rules that did not run or do not apply say nothing about the person and get no statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learnloop.domain.content.model import Pack
from learnloop.domain.learner.events import PreflightChecked
from learnloop.domain.preflight.artifact import Campaign
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.coaching import coaching_for
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import Outcome, RuleResult
from learnloop.domain.preflight.report import Report
from learnloop.domain.xapi import profile
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi.profile import ActivityType, Extension

Json = dict[str, Any]

# The outcomes that say something about the person's work.
EVIDENCE = (Outcome.PASSED, Outcome.WARNED, Outcome.FAILED)

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def passes(result: RuleResult) -> bool:
    """A rule passes when it found nothing to fix (coaching tips alone are not a fix)."""
    return result.outcome is Outcome.PASSED


def statements_for(report: Report, *, org: str, person_id: int, pack: Pack | None,
                   version: int | None, run_id: str, attempt: int, campaign: Campaign,
                   at: datetime, ids: Callable[[], str],
                   config: PreflightConfig | None = None,
                   campaign_key: str | None = None) -> list[Json]:
    """One statement per rule that ran on `person_id`'s campaign, in the report's order.

    `pack` (and its published `version`) maps each rule to its lesson and skill through its
    `preflight.yaml`; without a pack the statements name no skill and change no learner
    state. `run_id` (a UUID) is the registration of all of them; `attempt` is which
    pre-flight of this campaign the run was, 1 for the first. `config` gives the rules'
    severities as the organisation set them (the catalogue's otherwise). The campaign's
    activity id is made from `campaign_key` (what makes runs attempts at the same campaign)
    when given, else from its name; with neither, the statements name no campaign."""
    if not _UUID.match(run_id):
        raise ValueError(f"the run id must be a lower-case UUID (the registration): {run_id!r}")
    if attempt < 1:
        raise ValueError(f"attempt counts from 1: {attempt}")
    out = []
    for result in report.results:
        if result.outcome not in EVIDENCE or result.rule not in BY_ID:
            continue
        out.append(_statement(ids(), result, org=org, person_id=person_id, pack=pack,
                              version=version, run_id=run_id, attempt=attempt,
                              campaign=campaign, key=campaign_key or campaign.name, at=at,
                              config=config))
    return out


def _statement(sid: str, result: RuleResult, *, org: str, person_id: int, pack: Pack | None,
               version: int | None, run_id: str, attempt: int, campaign: Campaign,
               key: str | None, at: datetime, config: PreflightConfig | None) -> Json:
    rule = BY_ID[result.rule]
    success = passes(result)
    grouping: list[Json] = []
    if pack is not None:
        coaching = coaching_for(rule.id, pack)
        grouping.append(xs.activity(profile.pack_id(org, pack.id), ActivityType.PACK))
        grouping.append(xs.activity(profile.skill_id(org, pack.id, coaching.skill),
                                    ActivityType.SKILL))
    if key:
        grouping.append(xs.activity(profile.campaign_id(org, key), ActivityType.CAMPAIGN,
                                    campaign.name or key))
    severity = (config.severity(rule.id, rule.severity) if config else None) or rule.severity
    extensions: Json = {}
    if pack is not None and version is not None:
        extensions[Extension.PACK_VERSION.value] = version
    extensions[Extension.SEVERITY.value] = severity.value
    extensions[Extension.CAMPAIGN_ATTEMPT.value] = attempt
    if campaign.campaign_type:
        extensions[Extension.CAMPAIGN_TYPE.value] = campaign.campaign_type
    context: Json = {
        "contextActivities": {
            **({"grouping": grouping} if grouping else {}),
            "category": [xs.activity(profile.PREFLIGHT_PROFILE, ActivityType.PROFILE)],
        },
        "extensions": extensions,
        "registration": run_id,
    }
    outcome = {"success": success, "completion": True, "extensions": {
        Extension.OUTCOME.value: result.outcome.value,
        Extension.FINDINGS.value: len(result.findings)}}
    return xs.build(sid, xs.agent(org, person_id), profile.PASSED if success else profile.FAILED,
                    xs.activity(profile.rule_id(org, rule.id), ActivityType.PREFLIGHT_RULE,
                                rule.title), at, context, outcome)


# --- first-pass rate ---


@dataclass(frozen=True, slots=True)
class FirstPassRate:
    """How often a person's work passed a skill's rules on the first pre-flight of a campaign:
    among the rule results of first pre-flights, the share that passed."""

    person_id: int
    pack: str
    skill: str
    checks: int
    passed: int

    @property
    def rate(self) -> float:
        return self.passed / self.checks


def first_pass_rates(checks: Iterable[tuple[int, PreflightChecked]]) -> list[FirstPassRate]:
    """Per person, pack and skill, from (person id, rule result) pairs read from statements.
    Later pre-flights of a campaign and results that name no skill are left out."""
    counts: dict[tuple[int, str, str], list[int]] = {}
    for person_id, event in checks:
        if not event.first_attempt or event.skill is None:
            continue
        found = counts.setdefault((person_id, event.pack, event.skill), [0, 0])
        found[0] += 1
        found[1] += 1 if event.success else 0
    return [FirstPassRate(pid, pack, skill, n, ok)
            for (pid, pack, skill), (n, ok) in sorted(counts.items())]
