"""D8, content spam signals: SpamAssassin's report on the draft, read and judged as coaching.

SpamAssassin runs with local rules only (no network tests, no Bayes), so its score speaks about
the content and the headers of the draft, not about the sender's reputation. Each rule that
added points becomes a coaching finding with the rule's own description; the score as a whole
warns at `Thresholds.spam_warn` (3.0) and fails at `Thresholds.spam_fail` (5.0). Below the warning
threshold the rule passes, with the hits kept as tips.

The sending platform adds a Date and a Message-ID at send time, so the rules about their absence
(`SENT_HEADER_RULES`) are left out of the findings and their points out of the score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import (
    Finding,
    Outcome,
    RuleResult,
    Severity,
    not_run,
    result_of,
)

RULE = "D8"
SENT_HEADER_RULES = frozenset({"MISSING_DATE", "MISSING_MID"})


@dataclass(frozen=True, slots=True)
class SpamHit:
    """One SpamAssassin rule that matched, with its points and description."""

    name: str
    score: float
    description: str

    @property
    def evidence(self) -> str:
        """`MIME_HTML_ONLY +0.7`: the rule and its points, as the report shows them."""
        return f"{self.name} {self.score:+.1f}"


@dataclass(frozen=True, slots=True)
class SpamReport:
    """SpamAssassin's verdict on one message: the score, the score it calls spam (`required`,
    5.0 unless configured), and every rule that matched. `truncated` says the message was cut
    to the filter's size limit before it was scored."""

    score: float
    required: float
    hits: tuple[SpamHit, ...] = ()
    truncated: bool = False


class ReportError(ValueError):
    """The text is not a SpamAssassin report."""


_DETAILS = re.compile(r"Content analysis details:\s*\(\s*(-?\d+(?:\.\d+)?) points?,\s*"
                      r"(-?\d+(?:\.\d+)?) required\)")
_HIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Za-z0-9_.-]+)(?:\s+(.*?))?\s*$")
_RULER = re.compile(r"^\s*-{3,}\s+-{3,}")
_CONTINUED = 5  # points are right-aligned in 4 columns; wrapped descriptions are indented more


def parse_report(text: str, *, score: float | None = None,
                 required: float | None = None) -> SpamReport:
    """Read the body of spamd's REPORT answer (the "Content analysis details" table).

    Each hit is a line `pts rule-name description`; a description too long for its line goes
    on under it, indented to the description column, and is joined to it here. `score` and
    `required`, when given (from spamd's `Spam:` header), are used instead of the ones in the
    table's heading.
    """
    details = _DETAILS.search(text)
    if details is not None:
        score = float(details.group(1)) if score is None else score
        required = float(details.group(2)) if required is None else required
    if score is None or required is None:
        raise ReportError("no 'Content analysis details' heading in the report")
    lines = text[details.end():].splitlines() if details else text.splitlines()
    hits: list[SpamHit] = []
    in_table = False
    for line in lines:
        if not in_table:
            in_table = bool(_RULER.match(line))
            continue
        if not line.strip():
            if hits:
                break  # the table ends at the first blank line after it
            continue
        indent = len(line) - len(line.lstrip())
        match = _HIT.match(line) if indent < _CONTINUED else None
        if match is not None:
            name = match.group(2)
            hits.append(SpamHit(name, float(match.group(1)), (match.group(3) or "").strip()))
        elif hits:
            last = hits[-1]
            hits[-1] = SpamHit(last.name, last.score,
                               " ".join(f"{last.description} {line.strip()}".split()))
    return SpamReport(score, required, tuple(hits))


def parse_symbols(text: str, score: float, required: float) -> SpamReport:
    """Read the body of spamd's SYMBOLS answer: rule names separated by commas, without
    points or descriptions."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    return SpamReport(score, required, tuple(SpamHit(name, 0.0, "") for name in names))


def judge(report: SpamReport | None, config: PreflightConfig,
          reason_if_none: str) -> RuleResult | None:
    """D8 for one draft: None when the organisation turned the rule off; not run, with
    `reason_if_none`, when there is no report.

    The score warns at `spam_warn` and fails at `spam_fail`; an organisation's severity for
    D8 replaces both. Below `spam_warn` the rule passes, and the rules that added points are
    kept as tips.
    """
    if config.severity(RULE, Severity.WARN) is None:
        return None
    if report is None:
        return not_run(RULE, reason_if_none)
    score = counted_score(report)
    limits = config.thresholds
    findings: list[Finding] = []
    if score >= limits.spam_warn:
        failed = score >= limits.spam_fail
        level = Severity.FAIL if failed else Severity.WARN
        limit = limits.spam_fail if failed else limits.spam_warn
        findings.append(Finding(
            RULE, config.severity(RULE, level) or level,
            f"SpamAssassin scores the draft {score:.1f} points; the check "
            f"{'fails' if failed else 'warns'} at {limit:.1f}. The tips below say what adds "
            "the points.", "draft", f"{score:.1f} points"))
    if report.truncated:
        findings.append(Finding(
            RULE, Severity.COACH, "The draft is larger than SpamAssassin's size limit, so only "
            "its beginning was scored.", "draft"))
    hits = [h for h in report.hits if h.score > 0 and h.name not in SENT_HEADER_RULES]
    findings.extend(Finding(RULE, Severity.COACH, h.description or h.name, h.name, h.evidence)
                    for h in sorted(hits, key=lambda h: -h.score))
    if score < limits.spam_warn:
        return RuleResult(RULE, Outcome.PASSED, tuple(findings))
    return result_of(RULE, findings)


def counted_score(report: SpamReport) -> float:
    """The report's score without the points of `SENT_HEADER_RULES`, to one decimal."""
    left_out = sum(h.score for h in report.hits if h.name in SENT_HEADER_RULES)
    return round(report.score - left_out, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
