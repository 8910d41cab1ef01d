"""The segmentation rules S1-S4 and the consent rule C7, judged from an audience."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import MappingProxyType

import pytest

from learnloop.domain.preflight.artifact import MessageType
from learnloop.domain.preflight.audience import Audience, parse_audience
from learnloop.domain.preflight.config import PreflightConfig, SeverityOverride, Thresholds
from learnloop.domain.preflight.findings import Finding, Outcome, RuleResult, Severity
from learnloop.domain.preflight.segments import NO_AUDIENCE, RULES, judge_audience

TODAY = date(2025, 6, 15)
CONFIG = PreflightConfig()

GOOD = """\
include: lists contains "newsletter" and email_consent in (granted, soft_opt_in)
exclude: unsubscribed = true or hard_bounced = true or complained = true
exclude: suppression_lists is set
exclude: last_engaged older than 12 months
exclude: last_engaged is not set and created older than 12 months
"""


def audience(text: str) -> Audience:
    return parse_audience(text, "audience.txt")


def judged(text: str | None, message_type: MessageType | None = MessageType.MARKETING,
           config: PreflightConfig = CONFIG) -> dict[str, RuleResult]:
    parsed = audience(text) if text is not None else None
    return {r.rule: r for r in judge_audience(parsed, message_type, config, TODAY)}


def messages(result: RuleResult) -> list[str]:
    return [f.message for f in result.findings]


def with_overrides(**overrides: SeverityOverride) -> PreflightConfig:
    return replace(CONFIG, overrides=MappingProxyType(overrides))


def test_a_good_newsletter_audience_passes_with_a_soft_opt_in_tip() -> None:
    results = judged(GOOD)
    assert list(results) == list(RULES)
    assert {rule: r.outcome for rule, r in results.items()} == {
        "S1": Outcome.PASSED, "S2": Outcome.PASSED, "S3": Outcome.PASSED,
        "S4": Outcome.PASSED, "C7": Outcome.PASSED}
    assert results["C7"].findings == (Finding(
        "C7", Severity.COACH, "Soft opt-in contacts are in this audience. The soft opt-in "
        "covers only your own similar products or services, and every message must offer a "
        "simple way to opt out.", where="audience"),)


def test_granted_consent_only_needs_no_reminder() -> None:
    text = GOOD.replace("email_consent in (granted, soft_opt_in)", "email_consent = granted")
    assert judged(text)["C7"].findings == ()


def test_without_consent_s1_and_c7_fail_with_the_line_to_add() -> None:
    results = judged(GOOD.replace(" and email_consent in (granted, soft_opt_in)", ""))
    assert results["S1"].findings == (Finding(
        "S1", Severity.FAIL, "Contacts whose email consent is denied, unknown, not recorded or "
        "something other than granted or soft_opt_in can be in this audience. Send marketing "
        "email only to people who agreed to it: add `exclude: email_consent not in (granted, "
        "soft_opt_in)`.", where="audience",
        evidence="email_consent can be denied, unknown, not set, another value"),)
    assert results["C7"].outcome is Outcome.FAILED
    assert messages(results["C7"])[0] == (
        "In the EU and UK (GDPR, PECR) marketing email needs the person's consent or a soft "
        "opt-in, and an objection is final. Contacts whose consent is denied, unknown, not "
        "recorded or something other than granted or soft_opt_in can be in this audience: add "
        "`exclude: email_consent not in (granted, soft_opt_in)`.")


def test_the_suggested_consent_line_fixes_s1() -> None:
    text = GOOD.replace(" and email_consent in (granted, soft_opt_in)", "") \
        + "exclude: email_consent not in (granted, soft_opt_in)\n"
    assert judged(text)["S1"].outcome is Outcome.PASSED


def test_one_consent_gap_is_named_alone() -> None:
    text = GOOD.replace("email_consent in (granted, soft_opt_in)", "email_consent != denied")
    assert messages(judged(text)["S1"]) == [
        "Contacts whose email consent is unknown, not recorded or something other than granted "
        "or soft_opt_in can be in this audience. Send marketing email only to people who agreed "
        "to it: add `exclude: email_consent not in (granted, soft_opt_in)`."]


@pytest.mark.parametrize(("missing", "message"), [
    ("unsubscribed = true or ", "Unsubscribed contacts can be in this audience. Add `exclude: "
     "unsubscribed = true`."),
    ("hard_bounced = true or ", "Hard-bounced addresses can be in this audience: they bounce "
     "again and hurt your sender reputation. Add `exclude: hard_bounced = true`."),
    (" or complained = true", "Contacts who reported your email as spam can be in this "
     "audience. Add `exclude: complained = true`."),
])
def test_s2_fails_once_for_each_missing_exclusion(missing: str, message: str) -> None:
    result = judged(GOOD.replace(missing, ""))["S2"]
    assert result.findings == (Finding("S2", Severity.FAIL, message, where="audience"),)


def test_s2_wants_every_suppression_list_excluded() -> None:
    text = GOOD.replace("suppression_lists is set", 'suppression_lists contains "global"')
    assert messages(judged(text)["S2"]) == [
        "Contacts on a suppression list can be in this audience. Add `exclude: "
        "suppression_lists is set`."]


def test_an_audience_with_no_hygiene_gets_four_s2_findings() -> None:
    result = judged('include: lists contains "newsletter"')["S2"]
    assert result.outcome is Outcome.FAILED
    assert [f.message.split(" Add ")[1] for f in result.findings] == [
        "`exclude: unsubscribed = true`.", "`exclude: hard_bounced = true`.",
        "`exclude: complained = true`.", "`exclude: suppression_lists is set`."]


def test_s2_accepts_an_include_that_only_takes_clean_contacts() -> None:
    text = ('include: lists contains "newsletter" and unsubscribed = false and '
            "hard_bounced != true and not complained = true and suppression_lists is not set")
    assert judged(text)["S2"].outcome is Outcome.PASSED


def test_s3_warns_when_there_is_no_sunset() -> None:
    text = GOOD.replace("exclude: last_engaged older than 12 months\n", "")
    result = judged(text)["S3"]
    assert result.findings == (Finding(
        "S3", Severity.WARN, "This audience keeps contacts however long ago they last opened "
        "or clicked; your sunset is 365 days. Add `exclude: last_engaged older than 365 days` "
        "(and win them back with a re-permission campaign instead).", where="audience",
        evidence="oldest last engagement: no limit"),)


def test_s3_warns_when_the_sunset_is_longer_than_the_threshold() -> None:
    text = GOOD.replace("older than 12 months\n", "older than 18 months\n", 1)
    assert judged(text)["S3"].findings == (Finding(
        "S3", Severity.WARN, "This audience keeps contacts who last opened or clicked up to "
        "548 days ago; your sunset is 365 days. Add `exclude: last_engaged older than 365 "
        "days` (and win them back with a re-permission campaign instead).", where="audience",
        evidence="oldest last engagement: 548 days"),)


def test_s3_uses_the_organisation_threshold() -> None:
    text = GOOD.replace("older than 12 months\n", "older than 18 months\n", 1)
    config = replace(CONFIG, thresholds=Thresholds(sunset_days=600))
    assert judged(text, config=config)["S3"].outcome is Outcome.PASSED


def test_s3_warns_about_never_engaged_contacts_kept_for_ever() -> None:
    text = GOOD.replace("exclude: last_engaged is not set and created older than 12 months\n",
                        "")
    assert judged(text)["S3"].findings == (Finding(
        "S3", Severity.WARN, "Contacts who never opened or clicked stay in this audience "
        "however long ago they joined; your sunset is 365 days. Add `exclude: last_engaged is "
        "not set and created older than 365 days`.", where="audience",
        evidence="oldest sign-up without engagement: no limit"),)


def test_s4_warns_when_the_audience_is_everyone() -> None:
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith("include"))
    assert judged(text)["S4"].findings == (Finding(
        "S4", Severity.WARN, "This audience is every contact: no include line narrows it. Say "
        "who this send is for, e.g. `include: lists contains \"newsletter\"`.",
        where="audience"),)


def test_s4_warns_when_only_consent_and_hygiene_narrow_it() -> None:
    text = GOOD.replace('lists contains "newsletter" and ', "")
    assert messages(judged(text)["S4"]) == [
        "Apart from consent, hygiene and engagement, this audience picks every contact. Say "
        "who this send is for: add a list, tag or other field to the include line, e.g. `and "
        "lists contains \"newsletter\"`."]


def test_s4_warns_about_seed_addresses_in_an_include() -> None:
    text = GOOD + 'include: email contains "seed" and email_consent = granted\n'
    assert judged(text)["S4"].findings == (Finding(
        "S4", Severity.WARN, "include[2] picks test or seed addresses (`email contains "
        "\"seed\"`): keep them out of a production send, and use a test send for them.",
        where="audience", evidence='include[2]: email contains "seed"'),)


def test_s4_warns_when_nobody_can_match() -> None:
    text = GOOD + "exclude: lists contains newsletter\n"
    assert messages(judged(text)["S4"]) == [
        "No contact can be in this audience: its conditions contradict each other. Check each "
        "include line against the exclude lines."]


def test_no_audience_means_the_rules_did_not_run() -> None:
    results = judged(None)
    assert [(r.rule, r.outcome, r.reason) for r in results.values()] == [
        (rule, Outcome.NOT_RUN, NO_AUDIENCE) for rule in RULES]
    assert NO_AUDIENCE == "the campaign has no audience definition"


def test_transactional_mail_checks_only_hard_bounces() -> None:
    results = judged('include: tags contains "customer"', MessageType.TRANSACTIONAL)
    assert {rule: r.outcome for rule, r in results.items()} == {
        "S1": Outcome.NOT_APPLICABLE, "S2": Outcome.FAILED, "S3": Outcome.NOT_APPLICABLE,
        "S4": Outcome.NOT_APPLICABLE, "C7": Outcome.NOT_APPLICABLE}
    assert messages(results["S2"]) == [
        "Hard-bounced addresses can be in this audience: they bounce again and hurt your sender "
        "reputation. Add `exclude: hard_bounced = true`."]
    assert results["S1"].reason == ("transactional mail goes to the person it concerns: "
                                    "marketing consent does not apply")
    clean = 'include: tags contains "customer"\nexclude: hard_bounced = true'
    assert judged(clean, MessageType.TRANSACTIONAL)["S2"].outcome is Outcome.PASSED


def test_transactional_mail_without_an_audience() -> None:
    results = judged(None, MessageType.TRANSACTIONAL)
    assert results["S2"].outcome is Outcome.NOT_RUN
    assert results["S1"].outcome is Outcome.NOT_APPLICABLE


def test_an_unknown_message_type_is_judged_as_marketing() -> None:
    assert judged('include: tags contains "x"', None) == judged('include: tags contains "x"')


def test_rules_turned_off_are_left_out_and_severities_follow_the_config() -> None:
    config = with_overrides(S3="off", S4="fail", S2="warn")
    results = judged('include: email_consent = granted', config=config)
    assert list(results) == ["S1", "S2", "S4", "C7"]
    assert results["S4"].outcome is Outcome.FAILED
    assert {f.severity for f in results["S2"].findings} == {Severity.WARN}
    assert results["S2"].outcome is Outcome.WARNED


def test_a_coaching_note_keeps_its_severity_whatever_c7_is_set_to() -> None:
    results = judged(GOOD, config=with_overrides(C7="warn"))
    assert [f.severity for f in results["C7"].findings] == [Severity.COACH]


def test_an_unfinished_search_says_the_finding_may_be_a_false_alarm() -> None:
    # nine `contains` values on one field: the search tries only some of their combinations,
    # and misses the one contact this audience takes (tags t1 and t2, none of t3-t9)
    others = " or ".join(f"tags contains t{i}" for i in range(3, 10))
    results = judged(f"include: tags contains t1 and tags contains t2\nexclude: {others}")
    note = "the audience is too complex to check exactly, so this may be a false alarm"
    assert [f.evidence for f in results["S2"].findings] == [note] * 4
    assert results["S1"].findings[0].evidence == (
        f"email_consent can be denied, unknown, not set, another value; {note}")
    assert results["S4"].outcome is Outcome.PASSED  # "nobody can match" is never a guess
