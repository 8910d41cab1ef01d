"""What a pre-flight check finds, and how the findings of one run add up to a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters: a fail blocks a launch unless someone overrides it with a
    reason; a warning should be fixed; coaching explains a better practice."""

    FAIL = "fail"
    WARN = "warn"
    COACH = "coach"

    @property
    def rank(self) -> int:
        return {"fail": 0, "warn": 1, "coach": 2}[self.value]


class Outcome(StrEnum):
    """What one rule concluded for one artifact."""

    PASSED = "passed"
    FAILED = "failed"  # at least one finding at fail severity
    WARNED = "warned"  # findings, none at fail severity
    NOT_RUN = "not_run"  # the checker could not run here; `reason` says why
    NOT_APPLICABLE = "not_applicable"  # the rule does not apply (a transactional email, say)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong, pointing at where it is.

    `where` names the place in terms the author knows: an element (`table.footer > td`), a link
    (`link 3: https://...`), a header, a field of the campaign. `width` is the viewport of a
    visual finding; `evidence` quotes what was seen (a size, a URL, a tag).
    """

    rule: str
    severity: Severity
    message: str
    where: str | None = None
    evidence: str | None = None
    width: int | None = None


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    outcome: Outcome
    findings: tuple[Finding, ...] = ()
    reason: str | None = None  # why a rule did not run or does not apply

    @property
    def severity(self) -> Severity | None:
        """The worst severity among the findings."""
        if not self.findings:
            return None
        return min((f.severity for f in self.findings), key=lambda s: s.rank)


def result_of(rule: str, findings: list[Finding]) -> RuleResult:
    """Failed when any finding is a fail, warned when any is a warning, passed otherwise: a
    rule whose only findings are coaching tips has passed, and keeps the tips."""
    severities = {f.severity for f in findings}
    if Severity.FAIL in severities:
        outcome = Outcome.FAILED
    elif Severity.WARN in severities:
        outcome = Outcome.WARNED
    else:
        outcome = Outcome.PASSED
    return RuleResult(rule, outcome, tuple(findings))


def not_run(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, Outcome.NOT_RUN, reason=reason)


def not_applicable(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, Outcome.NOT_APPLICABLE, reason=reason)


@dataclass(frozen=True, slots=True)
class Screenshot:
    """A rendering of the merged preview at one width (PNG bytes)."""

    width: int
    png: bytes = field(repr=False)
    height: int = 0
