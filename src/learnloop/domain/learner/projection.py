"""Projectors: pure functions from one event and the current state to the next state.

The online path (an answer being recorded) and `learnloop rebuild` (every statement replayed in
order) call these same functions on the same inputs, read back from the stored statement, so
rebuilt state equals live state exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from learnloop.domain.learner import answer_model, mastery, memory
from learnloop.domain.learner.answer_model import LearnerTrace, SkillTrace
from learnloop.domain.learner.catalogue import FamilyFacts
from learnloop.domain.learner.events import (
    Answered,
    LessonCompleted,
    LessonLaunched,
    PreflightChecked,
    PulseGiven,
    SectionViewed,
)
from learnloop.domain.learner.memory import FamilyMemory

# The same rule failed this many times on first pre-flights of campaigns is a gap: with no
# pass of it and no completion of its lesson since, the micro loop remediates it; with no pass
# of it since, the skill is not shown as mastered (`policy.skill_probability`).
REPEATED_FAILURES = 2


@dataclass(frozen=True, slots=True)
class MisconceptionSeen:
    count: int
    last_seen: datetime
    cleared_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.cleared_at is None or self.cleared_at < self.last_seen


@dataclass(frozen=True, slots=True)
class RuleFailures:
    """A pre-flight rule that failed on this person's work (first pre-flights of campaigns).

    `failures` counts since the rule was last put right: passed, or its lesson completed
    (`cleared_at`). `since_pass` counts since it last passed (`passed_at`): a lesson teaches,
    but only passing at work shows the gap is closed."""

    failures: int
    since_pass: int
    last_failed_at: datetime
    cleared_at: datetime | None = None
    passed_at: datetime | None = None

    @property
    def repeated(self) -> bool:
        """Failed again and again since it was last put right: time for its lesson."""
        return self.failures >= REPEATED_FAILURES

    @property
    def open_gap(self) -> bool:
        """Failed again and again since it last passed: the skill is not mastered."""
        return self.since_pass >= REPEATED_FAILURES


@dataclass(frozen=True, slots=True)
class SkillState:
    """One person's state on one skill. `trace` is the answer model's history of their
    answers on it; `evidence` holds only evidence from work (pre-flight results)."""

    evidence: mastery.Evidence = field(default_factory=mastery.Evidence)
    answers: int = 0
    correct: int = 0
    confidence: int | None = None
    relevance: int | None = None
    pulse_at: datetime | None = None
    misconceptions: tuple[tuple[str, MisconceptionSeen], ...] = ()
    # pre-flight rule results on first pre-flights of campaigns: evidence from work
    work_passed: int = 0
    work_failed: int = 0
    rules: tuple[tuple[str, RuleFailures], ...] = ()
    trace: SkillTrace = field(default_factory=SkillTrace)

    def misconception(self, mid: str) -> MisconceptionSeen | None:
        return next((seen for key, seen in self.misconceptions if key == mid), None)

    def rule(self, rule_id: str) -> RuleFailures | None:
        return next((found for key, found in self.rules if key == rule_id), None)

    @property
    def evidence_count(self) -> int:
        """Answers and work checks: nothing to estimate from while it is 0."""
        return self.answers + self.work_passed + self.work_failed

    @property
    def repeated_failures(self) -> tuple[tuple[str, RuleFailures], ...]:
        """The rules failing again and again on this skill, not put right since."""
        return tuple((rid, found) for rid, found in self.rules if found.repeated)

    @property
    def work_gap(self) -> bool:
        """Whether a rule of this skill failed again and again at work and has not passed
        since."""
        return any(found.open_gap for _, found in self.rules)


@dataclass(frozen=True, slots=True)
class LessonProgress:
    launches: int = 0
    first_launched_at: datetime | None = None
    completed_at: datetime | None = None
    completions: int = 0
    sections: frozenset[str] = frozenset()


def answered_memory(current: FamilyMemory | None, event: Answered,
                    parameters: Sequence[float] = memory.DEFAULT_PARAMETERS) -> FamilyMemory:
    return memory.review(current, event.score, event.success, event.at, parameters)


def answered_skill(current: SkillState, event: Answered, facts: FamilyFacts,
                   learner: LearnerTrace, rate: float) -> tuple[SkillState, LearnerTrace]:
    """The skill and the person's answer-model trace after an answer on a family whose rate of
    right answers is `rate` (`AnswerModel.rate`); a run is answers in a row on one skill."""
    seen = dict(current.misconceptions)
    for mid in event.misconceptions:
        before = seen.get(mid)
        seen[mid] = MisconceptionSeen(
            (before.count if before else 0) + 1,
            max(event.at, before.last_seen) if before else event.at,
            before.cleared_at if before else None)
    if event.success:
        # A right answer on a family that can reveal a misconception clears it.
        for mid in facts.probes:
            before = seen.get(mid)
            if before is not None and mid not in event.misconceptions and \
                    event.at >= before.last_seen:
                seen[mid] = replace(before, cleared_at=event.at)
    (trace,), after = answer_model.observe((current.trace,), learner, facts.skill, event.score,
                                           event.success, rate)
    return replace(
        current,
        answers=current.answers + 1,
        correct=current.correct + (1 if event.success else 0),
        misconceptions=tuple(sorted(seen.items())),
        trace=trace,
    ), after


def checked_skill(current: SkillState, event: PreflightChecked) -> SkillState:
    """A rule's result on a campaign's first pre-flight: mastery evidence with the work
    weights, the work counts, and the rule's run of failures. A later pre-flight of the same
    campaign changes nothing: the author had the report and its fixes by then."""
    if not event.first_attempt:
        return current
    rules = dict(current.rules)
    before = rules.get(event.rule)
    if event.success:
        if before is not None and event.at >= before.last_failed_at:
            rules[event.rule] = replace(
                before, failures=0, since_pass=0, passed_at=event.at,
                cleared_at=max(event.at, before.cleared_at or event.at))
    elif before is None:
        rules[event.rule] = RuleFailures(1, 1, event.at)
    elif before.passed_at is not None and event.at < before.passed_at:
        pass  # a failure from before the rule last passed, arriving late
    else:
        late = before.cleared_at is not None and event.at < before.cleared_at
        rules[event.rule] = replace(
            before, failures=before.failures + (0 if late else 1),
            since_pass=before.since_pass + 1,
            last_failed_at=max(event.at, before.last_failed_at))
    weight = mastery.WORK_PASS_WEIGHT if event.success else mastery.WORK_FAIL_WEIGHT
    return replace(
        current,
        evidence=mastery.observe(current.evidence, 1.0 if event.success else 0.0, event.at,
                                 weight),
        work_passed=current.work_passed + (1 if event.success else 0),
        work_failed=current.work_failed + (0 if event.success else 1),
        rules=tuple(sorted(rules.items())),
    )


def lesson_cleared_skill(current: SkillState, rules: frozenset[str],
                         at: datetime) -> SkillState:
    """The lesson behind these rules completed at `at`: their runs of failures start again
    (not their failures since the last pass). A failure after `at` (the completion arrived
    late) keeps its run."""
    changed = dict(current.rules)
    for rid, found in current.rules:
        if rid in rules and found.failures and found.last_failed_at <= at:
            changed[rid] = replace(found, failures=0,
                                   cleared_at=max(at, found.cleared_at or at))
    if changed == dict(current.rules):
        return current
    return replace(current, rules=tuple(sorted(changed.items())))


def pulsed_skill(current: SkillState, event: PulseGiven) -> SkillState:
    if current.pulse_at is not None and event.at < current.pulse_at:
        return current  # an older pulse arriving late does not replace a newer one
    return replace(current, confidence=event.confidence, relevance=event.relevance,
                   pulse_at=event.at)


def lesson_progress(current: LessonProgress,
                    event: LessonLaunched | SectionViewed | LessonCompleted) -> LessonProgress:
    match event:
        case LessonLaunched():
            first = current.first_launched_at
            return replace(current, launches=current.launches + 1,
                           first_launched_at=min(first, event.at) if first else event.at)
        case SectionViewed():
            return replace(current, sections=current.sections | {event.section})
        case LessonCompleted():
            done = current.completed_at
            return replace(current, completions=current.completions + 1,
                           completed_at=min(done, event.at) if done else event.at)


def week_of(at: datetime, timezone: str) -> date:
    """The Monday of the learner's local week that `at` falls in."""
    local = at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


def weeks_in_a_row(weeks: set[date], today: date) -> int:
    """Active weeks in a row ending this week (or last week, if this week has no activity yet)."""
    monday = today - timedelta(days=today.weekday())
    if monday not in weeks:
        monday -= timedelta(days=7)
    count = 0
    while monday in weeks:
        count += 1
        monday -= timedelta(days=7)
    return count
