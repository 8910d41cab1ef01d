"""Pre-flight results as evidence: the statements, reading them back, the projector, the
first-pass rate, the mastery cap and the policy's remediation (pure: no database)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.demo import DEMO_PACK
from learnloop.domain.content.model import Context, Pack, Preflight, RuleLesson
from learnloop.domain.learner import answer_model, mastery
from learnloop.domain.learner.answer_model import LearnerTrace
from learnloop.domain.learner.catalogue import FamilyFacts, catalogue_of
from learnloop.domain.learner.events import LEARNER_ACTIONS, Answered, PreflightChecked
from learnloop.domain.learner.memory import FamilyMemory
from learnloop.domain.learner.policy import (
    PRACTICE_ITEMS,
    LearnerView,
    StepKind,
    next_step,
    skill_probability,
    targeted_families,
)
from learnloop.domain.learner.projection import (
    LessonProgress,
    RuleFailures,
    SkillState,
    answered_skill,
    checked_skill,
    lesson_cleared_skill,
)
from learnloop.domain.preflight.artifact import Campaign
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.evidence import (
    FirstPassRate,
    first_pass_rates,
    statements_for,
)
from learnloop.domain.preflight.findings import (
    Finding,
    Severity,
    not_applicable,
    not_run,
    result_of,
)
from learnloop.domain.preflight.report import Report
from learnloop.domain.xapi import profile
from learnloop.domain.xapi.profile import ActivityRef, ActivityType, Extension, parse_activity
from learnloop.domain.xapi.reading import read_event
from learnloop.domain.xapi.validation import check_statement
from learnloop.packs import read_pack

AT = datetime(2026, 11, 2, 9, 30, 15, 123000, tzinfo=UTC)
ORG, PACK = "northwind", "marketing-essentials"
RUN = "3d9c1b7e-2a4f-4c8d-9e6b-7f1a0c5d2e94"
CAMPAIGN = Campaign(name="2026-11_email_all_winter-sale", campaign_type="promotional")
PLACEHOLDER = "T9"  # No placeholder links -> final-build-checks (template-qa) in the demo pack


@pytest.fixture(scope="module")
def pack() -> Pack:
    reading = read_pack(DEMO_PACK)
    assert reading.pack is not None
    return reading.pack


def counter() -> Callable[[], str]:
    numbers = iter(range(1, 1000))
    return lambda: f"e3b1c2d4-7a6f-4b8e-9c0d-{next(numbers):012d}"


def fail(rule: str, message: str = "wrong") -> Finding:
    return Finding(rule, Severity.FAIL, message)


def a_report() -> Report:
    return Report("winter-sale.json", (
        result_of("C1", []),  # passed
        result_of("T9", [fail("T9"), fail("T9", "example.com")]),  # failed
        result_of("T5", [Finding("T5", Severity.WARN, "no preheader")]),  # warned
        result_of("T7", [Finding("T7", Severity.COACH, "dark mode tip")]),  # coaching only
        not_run("T1", "no browser"),
        not_applicable("S3", "transactional"),
    ))


def statements(pack: Pack | None, report: Report | None = None, attempt: int = 1,
               **kwargs: Any) -> list[dict[str, Any]]:
    return statements_for(report or a_report(), org=ORG, person_id=17, pack=pack,
                          version=3 if pack else None, run_id=RUN, attempt=attempt,
                          campaign=kwargs.pop("campaign", CAMPAIGN), at=AT, ids=counter(),
                          **kwargs)


def by_rule(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for statement in found:
        ref = parse_activity(statement["object"]["id"])
        assert ref is not None
        assert ref.rule is not None
        out[ref.rule] = statement
    return out


# -- the statements ----------------------------------------------------------------------------


def test_one_statement_per_rule_that_ran_in_report_order(pack: Pack) -> None:
    found = statements(pack)
    assert list(by_rule(found)) == ["C1", "T9", "T5", "T7"]  # not run, not applicable: none
    assert [s["id"] for s in found] == [f"e3b1c2d4-7a6f-4b8e-9c0d-{n:012d}" for n in (1, 2, 3, 4)]


def test_passed_coached_warned_and_failed(pack: Pack) -> None:
    found = by_rule(statements(pack))
    verdicts = {rule: (s["verb"]["id"], s["result"]["success"],
                       s["result"]["extensions"][Extension.OUTCOME.value],
                       s["result"]["extensions"][Extension.FINDINGS.value])
                for rule, s in found.items()}
    assert verdicts == {
        "C1": (profile.PASSED.id, True, "passed", 0),
        "T7": (profile.PASSED.id, True, "passed", 1),  # a coaching tip is not a fix
        "T5": (profile.FAILED.id, False, "warned", 1),  # a warning is something to fix
        "T9": (profile.FAILED.id, False, "failed", 2),
    }
    assert {s["verb"]["display"]["en-US"] for s in found.values()} == {"passed", "failed"}


def test_the_statement_names_person_rule_skill_campaign_and_run(pack: Pack) -> None:
    statement = by_rule(statements(pack))["T9"]
    assert statement["actor"] == {"objectType": "Agent", "account": {
        "homePage": "https://learnloop.dev/xapi/organisations/northwind", "name": "17"}}
    assert statement["object"] == {
        "objectType": "Activity",
        "id": "https://learnloop.dev/xapi/activities/northwind/preflight/rules/T9",
        "definition": {"type": ActivityType.PREFLIGHT_RULE.value,
                       "name": {"en-US": "No placeholder links"}}}
    context = statement["context"]
    assert context["registration"] == RUN
    grouping = [(g["id"], g["definition"]["type"])
                for g in context["contextActivities"]["grouping"]]
    assert grouping == [
        (profile.pack_id(ORG, PACK), ActivityType.PACK.value),
        (profile.skill_id(ORG, PACK, "template-qa"), ActivityType.SKILL.value),
        (profile.campaign_id(ORG, CAMPAIGN.name or ""), ActivityType.CAMPAIGN.value)]
    assert context["contextActivities"]["category"] == [{
        "objectType": "Activity", "id": profile.PREFLIGHT_PROFILE,
        "definition": {"type": ActivityType.PROFILE.value}}]
    assert context["extensions"] == {
        Extension.PACK_VERSION.value: 3, Extension.SEVERITY.value: "fail",
        Extension.CAMPAIGN_ATTEMPT.value: 1, Extension.CAMPAIGN_TYPE.value: "promotional"}
    assert statement["timestamp"] == "2026-11-02T09:30:15.123Z"
    assert "version" not in statement


def test_every_statement_is_valid_xapi(pack: Pack) -> None:
    for statement in statements(pack) + statements(None, campaign=Campaign()):
        assert check_statement(statement) == []


def test_the_skill_is_the_lesson_skill_of_the_packs_mapping(pack: Pack) -> None:
    skills = {rule: s["context"]["contextActivities"]["grouping"][1]["id"].rsplit("/", 1)[1]
              for rule, s in by_rule(statements(pack)).items()}
    # C1 -> can-spam-essentials (compliance); T5, T7 -> preheader-and-dark-mode (template-qa)
    assert skills == {"C1": "compliance", "T9": "template-qa", "T5": "template-qa",
                      "T7": "template-qa"}


def test_an_unmapped_rule_keeps_its_familys_skill(pack: Pack) -> None:
    bare = replace(pack, preflight=Preflight())
    grouping = by_rule(statements(bare))["C1"]["context"]["contextActivities"]["grouping"]
    assert grouping[1]["id"] == profile.skill_id(ORG, PACK, "compliance")


def test_the_organisations_severity_is_recorded(pack: Pack) -> None:
    config = PreflightConfig(overrides={"T9": Severity.WARN})
    found = by_rule(statements(pack, config=config))
    assert found["T9"]["context"]["extensions"][Extension.SEVERITY.value] == "warn"
    assert found["C1"]["context"]["extensions"][Extension.SEVERITY.value] == "fail"


def test_without_a_pack_or_a_campaign_name(pack: Pack) -> None:
    found = statements(None, campaign=Campaign())
    context = found[0]["context"]
    assert "grouping" not in context["contextActivities"]
    assert Extension.PACK_VERSION.value not in context["extensions"]
    assert Extension.CAMPAIGN_TYPE.value not in context["extensions"]
    assert all(read_event(s) is None for s in found)  # stored, but no learner state


def test_the_campaign_key_names_the_campaign_across_runs(pack: Pack) -> None:
    found = statements(pack, campaign=Campaign(name="Winter Sale"), campaign_key="winter sale")
    campaign = found[0]["context"]["contextActivities"]["grouping"][2]
    assert campaign["id"] == profile.campaign_id(ORG, "winter sale")
    assert campaign["definition"]["name"] == {"en-US": "Winter Sale"}
    keyed = statements(pack, campaign=Campaign(), campaign_key="winter-sale.html")
    assert keyed[0]["context"]["contextActivities"]["grouping"][2]["definition"]["name"] == \
        {"en-US": "winter-sale.html"}


def test_a_later_attempt_says_so(pack: Pack) -> None:
    found = statements(pack, attempt=3)
    assert {s["context"]["extensions"][Extension.CAMPAIGN_ATTEMPT.value] for s in found} == {3}


@pytest.mark.parametrize(("run_id", "attempt", "says"), [
    ("run-1", 1, "UUID"), (RUN.upper(), 1, "UUID"), (RUN, 0, "attempt")])
def test_a_bad_run_id_or_attempt_is_a_programming_error(pack: Pack, run_id: str,
                                                        attempt: int, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        statements_for(a_report(), org=ORG, person_id=1, pack=pack, version=1,
                       run_id=run_id, attempt=attempt, campaign=CAMPAIGN, at=AT,
                       ids=counter())


def test_an_empty_report_gives_no_statements(pack: Pack) -> None:
    assert statements(pack, Report("x", (not_run("T1", "no browser"),))) == []


# -- activity ids ------------------------------------------------------------------------------


def test_rule_and_campaign_ids_round_trip() -> None:
    assert parse_activity(profile.rule_id(ORG, "T9")) == ActivityRef(ORG, "", "rule", rule="T9")
    name = "2026-11 email/all?winter#sale 100%"
    iri = profile.campaign_id(ORG, name)
    assert iri.endswith("/campaigns/2026-11%20email%2Fall%3Fwinter%23sale%20100%25")
    assert parse_activity(iri) == ActivityRef(ORG, "", "campaign", campaign=name)


@given(st.text(min_size=1))
def test_any_campaign_name_round_trips(name: str) -> None:
    try:
        iri = profile.campaign_id(ORG, name)
    except UnicodeEncodeError:  # a lone surrogate is not text that can be sent
        return
    ref = parse_activity(iri)
    assert ref is not None
    assert ref.campaign == name


def test_a_pack_called_preflight_keeps_its_ids() -> None:
    assert parse_activity(profile.pack_id(ORG, "preflight")) == \
        ActivityRef(ORG, "preflight", "pack")
    assert parse_activity(profile.lesson_id(ORG, "preflight", "rules")) == \
        ActivityRef(ORG, "preflight", "lesson", lesson="rules")
    assert parse_activity(profile.skill_id(ORG, "preflight", "x")) == \
        ActivityRef(ORG, "preflight", "skill", skill="x")
    assert parse_activity(f"{profile.ACTIVITIES}/{ORG}/other/rules/T9") is None
    assert parse_activity(f"{profile.ACTIVITIES}/{ORG}/preflight/rules/T9/more") is None
    assert parse_activity(f"{profile.ACTIVITIES}/{ORG}/preflight/rules/") is None


# -- reading back ------------------------------------------------------------------------------


def test_read_event_round_trip(pack: Pack) -> None:
    events = {rule: read_event(s) for rule, s in by_rule(statements(pack, attempt=2)).items()}
    at = AT  # the statement keeps milliseconds, and AT has no finer part
    assert events == {
        "C1": (ORG, PreflightChecked(PACK, "C1", "compliance", True, at, 2)),
        "T9": (ORG, PreflightChecked(PACK, "T9", "template-qa", False, at, 2)),
        "T5": (ORG, PreflightChecked(PACK, "T5", "template-qa", False, at, 2)),
        "T7": (ORG, PreflightChecked(PACK, "T7", "template-qa", True, at, 2)),
    }


def outside(verb: str = profile.FAILED.id, **parts: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "actor": {"mbox": "mailto:dana@example.com"}, "verb": {"id": verb},
        "object": {"id": profile.rule_id(ORG, "T9")},
        "context": {"contextActivities": {"grouping": [
            {"id": profile.skill_id(ORG, PACK, "template-qa")}]}},
        "timestamp": "2026-11-02T08:00:00Z"}
    statement.update(parts)
    return statement


def test_an_outside_tools_rule_result_is_read_generously() -> None:
    at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert read_event(outside()) == (ORG, PreflightChecked(PACK, "T9", "template-qa", False,
                                                           at, None))
    assert read_event(outside(profile.PASSED.id))[1].success is True  # type: ignore[index,union-attr]
    assert read_event(outside(result={"success": True}))[1].success is True  # type: ignore[index,union-attr]
    pack_only = outside(context={"contextActivities": {"grouping": {
        "id": profile.pack_id(ORG, PACK)}}, "extensions": {
        Extension.CAMPAIGN_ATTEMPT.value: 1}})
    assert read_event(pack_only) == (ORG, PreflightChecked(PACK, "T9", None, False, at, 1))


@pytest.mark.parametrize("attempt", [0, -1, True, "1", 1.0, None])
def test_an_attempt_that_is_not_a_whole_number_from_1_is_unknown(attempt: object) -> None:
    statement = outside(context={"contextActivities": {"grouping": [
        {"id": profile.skill_id(ORG, PACK, "template-qa")}]},
        "extensions": {Extension.CAMPAIGN_ATTEMPT.value: attempt}})
    read = read_event(statement)
    assert read is not None
    assert isinstance(read[1], PreflightChecked)
    assert read[1].attempt is None
    assert read[1].first_attempt


@pytest.mark.parametrize("context", [
    {},  # no pack at all
    {"contextActivities": {"grouping": [{"id": profile.skill_id("other-org", PACK, "x")}]}},
    {"contextActivities": {"grouping": [{"id": "https://example.com/course"}]}},
    {"contextActivities": "nonsense"},
])
def test_a_rule_result_about_no_pack_of_the_organisation_changes_nothing(
        context: dict[str, Any]) -> None:
    assert read_event(outside(context=context)) is None


@pytest.mark.parametrize("verb", [profile.ANSWERED.id, profile.COMPLETED.id,
                                  "http://adlnet.gov/expapi/verbs/attempted"])
def test_other_verbs_about_a_rule_change_nothing(verb: str) -> None:
    assert read_event(outside(verb)) is None


def test_a_preflight_is_not_learning_activity() -> None:
    assert not issubclass(PreflightChecked, LEARNER_ACTIONS)


# -- the projector -----------------------------------------------------------------------------


def checked(at: datetime, success: bool, rule: str = PLACEHOLDER,
            attempt: int | None = 1) -> PreflightChecked:
    return PreflightChecked(PACK, rule, "template-qa", success, at, attempt)


def fold(events: list[PreflightChecked], state: SkillState | None = None) -> SkillState:
    state = state or SkillState()
    for event in events:
        state = checked_skill(state, event)
    return state


def test_a_failed_rule_counts_with_the_work_weight() -> None:
    state = fold([checked(AT, False)])
    assert state.evidence == mastery.Evidence(0.0, mastery.WORK_FAIL_WEIGHT, AT)
    assert (state.work_passed, state.work_failed, state.answers) == (0, 1, 0)
    assert state.rule(PLACEHOLDER) == RuleFailures(1, 1, AT)
    assert mastery.WORK_FAIL_WEIGHT > 1.0  # more than a wrong quiz answer


def test_a_passed_rule_counts_with_the_pass_weight() -> None:
    state = fold([checked(AT, True)])
    assert state.evidence == mastery.Evidence(mastery.WORK_PASS_WEIGHT, 0.0, AT)
    assert (state.work_passed, state.work_failed) == (1, 0)
    assert state.rules == ()  # a rule that never failed needs no record


def test_a_later_attempt_of_a_campaign_changes_nothing() -> None:
    before = fold([checked(AT, False)])
    assert checked_skill(before, checked(AT + timedelta(hours=1), False, attempt=2)) is before
    assert checked_skill(before, checked(AT + timedelta(hours=1), True, attempt=2)) is before


def test_an_unknown_attempt_counts_as_a_first() -> None:
    assert fold([checked(AT, False, attempt=None)]).work_failed == 1


FACTS = FamilyFacts("template-qa", 3, frozenset())


def quiz(state: SkillState, trace: LearnerTrace, right: bool,
         at: datetime) -> tuple[SkillState, LearnerTrace]:
    """One knowledge-check answer on the skill, through the projector."""
    event = Answered(PACK, "placeholder-link", 0, at, 1.0 if right else 0.0, right)
    return answered_skill(state, event, FACTS, trace,
                          answer_model.shipped().rate("placeholder-link"))


def shown(state: SkillState, trace: LearnerTrace, at: datetime) -> float | None:
    return skill_probability(state, at, "template-qa", trace)


def test_repeated_work_failures_lower_mastery_more_than_quiz_failures() -> None:
    """A failed rule says more than a wrong answer: after ten right answers, one and two weekly
    failures at work leave the figure lower than as many wrong answers would; and it keeps
    falling while the rule keeps failing."""
    state, trace = SkillState(), LearnerTrace()
    for i in range(10):
        state, trace = quiz(state, trace, True, AT + timedelta(minutes=i))
    seen = [shown(state, trace, AT + timedelta(hours=1))]
    quiz_only, quiz_trace = state, trace
    for week in range(1, 4):
        at = AT + timedelta(days=7 * week)
        state = checked_skill(state, checked(at, False))
        quiz_only, quiz_trace = quiz(quiz_only, quiz_trace, False, at)
        seen.append(shown(state, trace, at))
        if week <= 2:
            assert seen[-1] < shown(quiz_only, quiz_trace, at)  # type: ignore[operator]
    assert seen == sorted(seen, reverse=True)  # type: ignore[type-var]
    assert len(set(seen)) == 4
    assert seen[2] <= mastery.WORK_GAP_CEILING  # type: ignore[operator]
    assert state.rule(PLACEHOLDER) == RuleFailures(3, 3, AT + timedelta(days=21))


def test_a_pass_puts_the_rule_right() -> None:
    later = AT + timedelta(days=7)
    state = fold([checked(AT, False), checked(AT + timedelta(days=1), False),
                  checked(later, True)])
    assert state.rule(PLACEHOLDER) == RuleFailures(0, 0, AT + timedelta(days=1), later, later)
    assert state.repeated_failures == ()
    assert not state.work_gap
    again = fold([checked(later + timedelta(days=1), False)], state)
    assert again.rule(PLACEHOLDER) == RuleFailures(1, 1, later + timedelta(days=1), later,
                                                   later)


def test_another_rule_passing_does_not_put_this_one_right() -> None:
    state = fold([checked(AT, False), checked(AT, True, rule="T8"),
                  checked(AT + timedelta(days=1), False)])
    assert state.rule(PLACEHOLDER) == RuleFailures(2, 2, AT + timedelta(days=1))
    assert [r for r, _ in state.repeated_failures] == [PLACEHOLDER]
    assert state.work_gap


def test_the_lesson_restarts_the_run_but_not_the_gap() -> None:
    state = fold([checked(AT, False), checked(AT + timedelta(days=1), False)])
    lesson = AT + timedelta(days=2)
    cleared = lesson_cleared_skill(state, frozenset({PLACEHOLDER}), lesson)
    assert cleared.rule(PLACEHOLDER) == RuleFailures(0, 2, AT + timedelta(days=1), lesson)
    assert cleared.repeated_failures == ()  # no remediation again at once
    assert cleared.work_gap  # but not mastered until the rule passes at work
    after = fold([checked(lesson + timedelta(days=1), False)], cleared)
    assert after.rule(PLACEHOLDER) == RuleFailures(1, 3, lesson + timedelta(days=1), lesson)


def test_a_lesson_for_other_rules_or_before_the_failure_changes_nothing() -> None:
    state = fold([checked(AT, False), checked(AT + timedelta(days=1), False)])
    assert lesson_cleared_skill(state, frozenset({"T8"}), AT + timedelta(days=2)) is state
    assert lesson_cleared_skill(state, frozenset({PLACEHOLDER}), AT) is state
    assert lesson_cleared_skill(SkillState(), frozenset({PLACEHOLDER}), AT) == SkillState()


def test_late_results_do_not_undo_newer_ones() -> None:
    day = timedelta(days=1)
    passed = fold([checked(AT + 3 * day, False), checked(AT + 5 * day, True)])
    late_failure = checked_skill(passed, checked(AT + 2 * day, False))
    assert late_failure.rule(PLACEHOLDER) == passed.rule(PLACEHOLDER)
    assert late_failure.work_failed == 2  # it is still evidence
    failing = fold([checked(AT + 3 * day, False)])
    late_pass = checked_skill(failing, checked(AT + 1 * day, True))
    assert late_pass.rule(PLACEHOLDER) == failing.rule(PLACEHOLDER)
    cleared = lesson_cleared_skill(fold([checked(AT, False)]), frozenset({PLACEHOLDER}),
                                   AT + 3 * day)
    before_lesson = checked_skill(cleared, checked(AT + 2 * day, False))
    assert before_lesson.rule(PLACEHOLDER) == RuleFailures(0, 2, AT + 2 * day, AT + 3 * day)


@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0, max_value=50),
       st.floats(min_value=0, max_value=50))
def test_weight_one_is_the_answer_path_exactly(score: float, s: float, f: float) -> None:
    evidence = mastery.Evidence(s, f, AT)
    later = AT + timedelta(days=3)
    assert mastery.observe(evidence, score, later, 1.0) == mastery.observe(evidence, score,
                                                                           later)


def test_a_weight_scales_the_observation() -> None:
    assert mastery.observe(mastery.Evidence(), 0.25, AT, 2.0) == mastery.Evidence(0.5, 1.5, AT)


# -- first-pass rate ---------------------------------------------------------------------------


def test_first_pass_rate_counts_first_attempts_per_person_and_skill() -> None:
    rows = [(1, checked(AT, False)), (1, checked(AT, True, rule="T8")),
            (1, checked(AT, True, rule="T2")), (1, checked(AT, True, attempt=2)),
            (1, PreflightChecked(PACK, "C1", "compliance", True, AT, None)),
            (2, checked(AT, True)), (2, PreflightChecked(PACK, "C1", None, False, AT, 1))]
    rates = first_pass_rates(rows)
    assert rates == [FirstPassRate(1, PACK, "compliance", 1, 1),
                     FirstPassRate(1, PACK, "template-qa", 3, 2),
                     FirstPassRate(2, PACK, "template-qa", 1, 1)]
    assert rates[1].rate == pytest.approx(2 / 3)


def test_first_pass_rate_of_nothing_is_nothing() -> None:
    assert first_pass_rates([]) == []


# -- the mastery shown -------------------------------------------------------------------------


def quiz_master() -> tuple[SkillState, LearnerTrace]:
    state, trace = SkillState(), LearnerTrace()
    for i in range(30):
        state, trace = quiz(state, trace, True, AT - timedelta(hours=30 - i))
    return state, trace


def uncapped(state: SkillState, trace: LearnerTrace, at: datetime) -> float:
    """What the evidence says before the cap: the answer model plus the work."""
    z = answer_model.shipped().logit("", ("template-qa",), (state.trace,), trace, "template-qa")
    return mastery.combine(z, state.evidence, at)


def test_work_evidence_alone_gives_a_mastery_figure() -> None:
    assert skill_probability(SkillState(), AT) is None
    state = fold([checked(AT, True)])
    assert shown(state, LearnerTrace(), AT) == uncapped(state, LearnerTrace(), AT)


def test_a_rule_failing_twice_keeps_the_skill_under_mastered() -> None:
    state, trace = quiz_master()
    assert shown(state, trace, AT) >= mastery.MASTERED  # type: ignore[operator]
    once = fold([checked(AT, False)], state)
    assert shown(once, trace, AT) == uncapped(once, trace, AT)
    twice = fold([checked(AT + timedelta(minutes=1), False)], once)
    assert shown(twice, trace, AT) <= mastery.WORK_GAP_CEILING < mastery.MASTERED
    lesson = lesson_cleared_skill(twice, frozenset({PLACEHOLDER}), AT + timedelta(hours=1))
    assert shown(lesson, trace, AT) == shown(twice, trace, AT)
    passed = fold([checked(AT + timedelta(days=1), True)], lesson)
    assert shown(passed, trace, AT + timedelta(days=1)) == \
        uncapped(passed, trace, AT + timedelta(days=1))


def test_passing_every_other_rule_does_not_hide_a_repeated_failure() -> None:
    """The cap matters: without it, thirty right answers and forty rules passed at work would
    outweigh one rule failed twice."""
    state, trace = quiz_master()
    others = [checked(AT - timedelta(minutes=50 - i), True, rule="T8") for i in range(40)]
    twice = fold([*others, checked(AT, False), checked(AT + timedelta(minutes=1), False)],
                 state)
    assert uncapped(twice, trace, AT) >= mastery.MASTERED
    assert shown(twice, trace, AT) == mastery.WORK_GAP_CEILING


def test_the_cap_never_raises_a_figure() -> None:
    state = fold([checked(AT, False), checked(AT, False)])
    assert shown(state, LearnerTrace(), AT) == uncapped(state, LearnerTrace(), AT)


# -- the catalogue and the policy --------------------------------------------------------------


def test_the_catalogue_maps_rules_to_lessons(pack: Pack) -> None:
    catalogue = catalogue_of(pack)
    assert catalogue.rules[PLACEHOLDER] == "final-build-checks"
    assert catalogue.rule_skill(PLACEHOLDER) == "template-qa"
    assert catalogue.rule_skill("C1") == "compliance"
    assert catalogue.rule_skill("X1") is None
    odd = replace(pack, preflight=Preflight(rules=(
        RuleLesson("T9", "no-such-lesson"), RuleLesson("T9", "mobile-rendering"),
        RuleLesson("T1", "mobile-rendering"))))
    assert catalogue_of(odd).rules == {"T1": "mobile-rendering"}  # as coaching_for reads it


NOW = AT + timedelta(days=14)


def failing_view(*, failures: int = 2, lessons: dict[str, LessonProgress] | None = None,
                 memories: dict[str, FamilyMemory] | None = None) -> LearnerView:
    state = fold([checked(NOW - timedelta(days=7 * (i + 1)), False) for i in range(failures)])
    return LearnerView({"template-qa": state}, memories or {}, lessons or {})


def test_two_failures_put_the_lesson_and_a_targeted_check_first(pack: Pack) -> None:
    step = next_step(pack, failing_view(), NOW, random.Random(0))
    assert step is not None
    assert step.kind is StepKind.REMEDIATION
    assert (step.skill, step.lesson, step.section, step.rule) == (
        "template-qa", "final-build-checks", None, PLACEHOLDER)
    assert len(step.families) == PRACTICE_ITEMS
    linked = {f.id for f in pack.families if f.lesson == "final-build-checks"
              and f.context is Context.STANDARD}
    assert set(step.families) <= linked
    assert step.reason == ("You failed \u201cNo placeholder links\u201d in pre-flight twice: "
                           "here is the 4-minute lesson \u201cQA the send, not the design\u201d, "
                           "then 2 questions on it.")


def test_it_comes_before_a_due_recheck(pack: Pack) -> None:
    due = FamilyMemory(stability=3.0, difficulty=5.0, due=NOW - timedelta(days=1),
                       last_review=NOW - timedelta(days=4), reviews=2, lapses=0)
    step = next_step(pack, failing_view(memories={"spam-rate-calc": due}), NOW,
                     random.Random(0))
    assert step is not None
    assert step.rule == PLACEHOLDER
    alone = next_step(pack, failing_view(failures=1, memories={"spam-rate-calc": due}), NOW,
                      random.Random(0))
    assert alone is not None
    assert alone.kind is StepKind.RECHECK


def test_three_failures_say_so(pack: Pack) -> None:
    step = next_step(pack, failing_view(failures=3), NOW, random.Random(0))
    assert step is not None
    assert "in pre-flight 3 times:" in step.reason


def test_one_failure_is_not_yet_a_pattern(pack: Pack) -> None:
    step = next_step(pack, failing_view(failures=1), NOW, random.Random(0))
    assert step is None or step.rule is None


def test_the_lesson_completed_after_the_failures_is_enough(pack: Pack) -> None:
    done = {"final-build-checks": LessonProgress(1, NOW - timedelta(days=1),
                                                 NOW - timedelta(days=1), 1)}
    step = next_step(pack, failing_view(lessons=done), NOW, random.Random(0))
    assert step is None or step.rule is None


def test_a_rule_without_a_lesson_gets_no_step(pack: Pack) -> None:
    bare = replace(pack, preflight=Preflight())
    step = next_step(bare, failing_view(), NOW, random.Random(0))
    assert step is None or step.rule is None


def test_the_latest_failing_rule_comes_first(pack: Pack) -> None:
    t9 = fold([checked(NOW - timedelta(days=9), False), checked(NOW - timedelta(days=8), False)])
    r1 = fold([PreflightChecked(PACK, "R1", "reporting-accuracy", False,
                                NOW - timedelta(days=3 - i), 1) for i in range(2)])
    step = next_step(pack, LearnerView({"template-qa": t9, "reporting-accuracy": r1}, {}, {}),
                     NOW, random.Random(0))
    assert step is not None
    assert (step.rule, step.lesson, step.skill) == ("R1", "utm-tagging", "reporting-accuracy")


def test_targeted_families_fall_back_to_the_skill(pack: Pack) -> None:
    lesson = pack.lesson("final-build-checks")
    assert lesson is not None
    few = replace(pack, families=tuple(
        f for f in pack.families
        if f.lesson != "final-build-checks" or f.id == "placeholder-link"))
    chosen = targeted_families(few, lesson, random.Random(1))
    assert chosen[0] == "placeholder-link"
    assert len(chosen) == PRACTICE_ITEMS
    other = few.family(chosen[1])
    assert other is not None
    assert other.skill == "template-qa"
    assert other.context is Context.STANDARD
