"""One pre-flight run's report: every rule's result, the screenshots, and the verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.findings import Outcome, RuleResult, Screenshot, Severity

ORDER = {rule_id: index for index, rule_id in enumerate(BY_ID)}


@dataclass(frozen=True, slots=True)
class Report:
    source: str
    results: tuple[RuleResult, ...]
    dialects: tuple[str, ...] = ()
    screenshots: tuple[Screenshot, ...] = ()
    preview: str | None = field(default=None, repr=False)  # the merged HTML
    notes: tuple[str, ...] = ()  # what the run could not do, in plain words
    blocked_requests: str | None = None  # what the preview refused to load ("3 images")

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED)

    @property
    def warned(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.WARNED)

    @property
    def blocked(self) -> bool:
        """A fail blocks the launch until it is fixed or overridden with a reason."""
        return bool(self.failed)

    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome.value for r in self.results)
        return {o.value: found.get(o.value, 0) for o in Outcome}

    def findings_by_severity(self) -> dict[str, int]:
        found = Counter(f.severity.value for r in self.results for f in r.findings)
        return {s.value: found.get(s.value, 0) for s in Severity}

    def result(self, rule_id: str) -> RuleResult | None:
        return next((r for r in self.results if r.rule == rule_id), None)


def ordered(results: list[RuleResult]) -> tuple[RuleResult, ...]:
    return tuple(sorted(results, key=lambda r: ORDER.get(r.rule, len(ORDER))))

