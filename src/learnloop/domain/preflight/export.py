"""A report as plain data: the JSON the CLI prints and the API returns."""

from __future__ import annotations

from typing import Any

from learnloop.domain.content.model import Pack
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.coaching import coaching_for
from learnloop.domain.preflight.findings import Finding, RuleResult
from learnloop.domain.preflight.report import Report

FORMAT = "learnloop.preflight/1"


def finding_data(finding: Finding) -> dict[str, Any]:
    return {"severity": finding.severity.value, "message": finding.message,
            "where": finding.where, "evidence": finding.evidence, "width": finding.width}


def result_data(result: RuleResult, pack: Pack | None) -> dict[str, Any]:
    rule = BY_ID[result.rule]
    coaching = coaching_for(result.rule, pack)
    lesson = None
    if coaching.lesson:
        lesson = {"id": coaching.lesson, "title": coaching.lesson_title,
                  "minutes": coaching.minutes, "pack": coaching.pack}
    return {
        "rule": rule.id, "title": rule.title, "outcome": result.outcome.value,
        "severity": result.severity.value if result.severity else None,
        "reason": result.reason, "skill": coaching.skill, "kind": rule.kind,
        "why": rule.why, "fix": rule.fix, "source": rule.source, "lesson": lesson,
        "findings": [finding_data(f) for f in result.findings],
    }


def report_data(report: Report, pack: Pack | None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "source": report.source,
        "verdict": "blocked" if report.blocked else "ready",
        "counts": report.counts(),
        "findings": report.findings_by_severity(),
        "merge_tag_dialects": list(report.dialects),
        "notes": list(report.notes),
        "blocked_requests": report.blocked_requests,
        "screenshots": [{"width": s.width, "height": s.height} for s in report.screenshots],
        "results": [result_data(r, pack) for r in report.results],
    }
