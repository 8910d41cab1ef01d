"""The segmentation rules S1-S4 and the consent rule C7, judged from a campaign's audience.

Each rule asks the audience analysis (`audience.analyse`) a question and turns a "yes, such
contacts can be included" into a finding written for the person who built the segment: what
is wrong and the line to add. Every fix is an `exclude:` line, because an exclude line narrows
the audience whatever its include lines say (a new `include:` line would widen it).

For marketing mail (and mail whose type is not known, the stricter case):

- S1 (consent for email, fail): a contact without granted or soft_opt_in consent can be
  included;
- S2 (hygiene, fail): one finding per missing exclusion of unsubscribed, hard-bounced and
  complained contacts and of contacts on any suppression list;
- S3 (engagement sunset, warn): contacts last engaged more than `sunset_days` ago, or never
  engaged and signed up more than `sunset_days` ago, can be included;
- S4 (sanity, warn): nobody can match; the audience is everyone, or picks no one in
  particular beyond consent and hygiene; an include condition picks seed or test addresses;
- C7 (GDPR and PECR, fail): as S1, in the law's terms, with a coaching note when soft opt-in
  contacts are included.

For transactional mail S1, S3, S4 and C7 do not apply and S2 checks hard bounces only.

Transactional mail (a receipt, a password reset) is owed to the person because of something
they did, so marketing consent, the sunset and targeting do not apply, and an unsubscribe from
marketing does not stop it. A hard-bounced address does not exist, and mailing it again
hurts the sender's reputation for every kind of mail, so S2 keeps that one check. Complaints
and suppression lists are left out for transactional mail: the person still needs their
receipt, and suppression lists in most platforms hold marketing opt-outs; an organisation
that keeps a "never contact" list for all mail should exclude it in the audience itself.

The rule S5 (sending frequency) needs the schedule, not the audience, and is not judged here.
C7 here covers the audience half of the rule (consent or soft opt-in); the opt-out in the
message is checked with the HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from learnloop.domain.preflight.artifact import MessageType
from learnloop.domain.preflight.audience import Audience, AudienceAnalysis, analyse
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import (
    Finding,
    RuleResult,
    Severity,
    not_applicable,
    not_run,
    result_of,
)

RULES = ("S1", "S2", "S3", "S4", "C7")
DEFAULTS = {"S1": Severity.FAIL, "S2": Severity.FAIL, "S3": Severity.WARN,
            "S4": Severity.WARN, "C7": Severity.FAIL}
NO_AUDIENCE = "the campaign has no audience definition"
WHERE = "audience"
CONSENT_FIX = "exclude: email_consent not in (granted, soft_opt_in)"

_NOT_FOR_TRANSACTIONAL = {
    "S1": "transactional mail goes to the person it concerns: marketing consent does not "
          "apply",
    "S3": "transactional mail is sent because of what the person did, not to keep them "
          "engaged",
    "S4": "a transactional send goes to the people it concerns, not to a chosen segment",
    "C7": "the marketing consent rules of GDPR and PECR do not cover transactional mail",
}

_GAP_WORDS = {"denied": "denied", "unknown": "unknown", "not set": "not recorded",
              "another value": "something other than granted or soft_opt_in"}

Judge = Callable[[AudienceAnalysis, Severity, PreflightConfig], list[Finding]]


def judge_audience(audience: Audience | None, message_type: MessageType | None,
                   config: PreflightConfig, today: date) -> list[RuleResult]:
    """The results of S1, S2, S3, S4 and C7, in that order, leaving out rules the
    organisation turned off. `today` is the day relative dates count back from (the send
    date when it is known)."""
    transactional = message_type is MessageType.TRANSACTIONAL
    analysis: AudienceAnalysis | None = None
    results: list[RuleResult] = []
    for rule in RULES:
        severity = config.severity(rule, DEFAULTS[rule])
        if severity is None:
            continue
        if transactional and rule in _NOT_FOR_TRANSACTIONAL:
            results.append(not_applicable(rule, _NOT_FOR_TRANSACTIONAL[rule]))
            continue
        if audience is None:
            results.append(not_run(rule, NO_AUDIENCE))
            continue
        if analysis is None:
            analysis = analyse(audience, today, config.thresholds.sunset_days,
                               config.seed_patterns)
        judge = _s2_transactional if transactional and rule == "S2" else _JUDGES[rule]
        results.append(result_of(rule, judge(analysis, severity, config)))
    return results


def _finding(rule: str, severity: Severity, message: str, evidence: str | None = None,
             *, analysis: AudienceAnalysis | None = None, answer: str = "") -> Finding:
    """A finding on the audience; when the analysis could not finish the `answer` it rests
    on, the evidence says it may be a false alarm."""
    if analysis is not None and answer in analysis.uncertain:
        note = "the audience is too complex to check exactly, so this may be a false alarm"
        evidence = f"{evidence}; {note}" if evidence else note
    return Finding(rule, severity, message, where=WHERE, evidence=evidence)


def _gaps(analysis: AudienceAnalysis) -> str:
    words = [_GAP_WORDS[gap] for gap in analysis.consent_gaps]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _consent_evidence(analysis: AudienceAnalysis) -> str:
    return "email_consent can be " + ", ".join(analysis.consent_gaps)


def _s1(analysis: AudienceAnalysis, severity: Severity, _: PreflightConfig) -> list[Finding]:
    """S1: only contacts with consent (or a valid soft opt-in) for email."""
    if not analysis.includes_without_consent:
        return []
    return [_finding("S1", severity,
                     f"Contacts whose email consent is {_gaps(analysis)} can be in this "
                     "audience. Send marketing email only to people who agreed to it: add "
                     f"`{CONSENT_FIX}`.", _consent_evidence(analysis),
                     analysis=analysis, answer="includes_without_consent")]


_HYGIENE = (
    ("unsubscribed_excluded", "Unsubscribed contacts can be in this audience.",
     "exclude: unsubscribed = true"),
    ("hard_bounced_excluded", "Hard-bounced addresses can be in this audience: they bounce "
     "again and hurt your sender reputation.", "exclude: hard_bounced = true"),
    ("complained_excluded", "Contacts who reported your email as spam can be in this "
     "audience.", "exclude: complained = true"),
    ("suppression_honoured", "Contacts on a suppression list can be in this audience.",
     "exclude: suppression_lists is set"),
)


def _s2(analysis: AudienceAnalysis, severity: Severity, _: PreflightConfig) -> list[Finding]:
    """S2: unsubscribed, hard-bounced and complained contacts and suppression lists are
    excluded; one finding per missing exclusion."""
    return [_finding("S2", severity, f"{problem} Add `{line}`.", analysis=analysis,
                     answer=name)
            for name, problem, line in _HYGIENE if not getattr(analysis, name)]


def _s2_transactional(analysis: AudienceAnalysis, severity: Severity,
                      _: PreflightConfig) -> list[Finding]:
    """S2 for transactional mail: only hard-bounced addresses (see the module docstring)."""
    return [_finding("S2", severity, f"{problem} Add `{line}`.", analysis=analysis,
                     answer=name)
            for name, problem, line in _HYGIENE[1:2] if not getattr(analysis, name)]


def _s3(analysis: AudienceAnalysis, severity: Severity,
        config: PreflightConfig) -> list[Finding]:
    """S3: the engagement sunset is no longer than the organisation's `sunset_days`."""
    days = config.thresholds.sunset_days
    findings: list[Finding] = []
    if analysis.stale_included:
        how_long = "however long ago they last opened or clicked" if analysis.sunset is None \
            else f"who last opened or clicked up to {analysis.sunset} days ago"
        findings.append(_finding(
            "S3", severity,
            f"This audience keeps contacts {how_long}; your sunset is {days} days. Add "
            f"`exclude: last_engaged older than {days} days` (and win them back with a "
            "re-permission campaign instead).",
            _days_evidence("oldest last engagement", analysis.sunset),
            analysis=analysis, answer="stale_included"))
    if analysis.stale_never_engaged_included:
        how_long = "however long ago they joined" if analysis.never_engaged_sunset is None \
            else f"up to {analysis.never_engaged_sunset} days after they joined"
        findings.append(_finding(
            "S3", severity,
            f"Contacts who never opened or clicked stay in this audience {how_long}; your "
            f"sunset is {days} days. Add `exclude: last_engaged is not set and created older "
            f"than {days} days`.",
            _days_evidence("oldest sign-up without engagement", analysis.never_engaged_sunset),
            analysis=analysis, answer="stale_never_engaged_included"))
    return findings


def _days_evidence(what: str, days: int | None) -> str:
    return f"{what}: {'no limit' if days is None else f'{days} days'}"


def _s4(analysis: AudienceAnalysis, severity: Severity, _: PreflightConfig) -> list[Finding]:
    """S4: the audience can match someone, is not everyone, and does not pick test
    addresses for a production send."""
    if analysis.matches_nobody:
        return [_finding("S4", severity,
                         "No contact can be in this audience: its conditions contradict each "
                         "other. Check each include line against the exclude lines.")]
    findings: list[Finding] = []
    if analysis.is_everyone:
        findings.append(_finding(
            "S4", severity,
            "This audience is every contact: no include line narrows it. Say who this send "
            "is for, e.g. `include: lists contains \"newsletter\"`."))
    elif not analysis.targeting_fields:
        findings.append(_finding(
            "S4", severity,
            "Apart from consent, hygiene and engagement, this audience picks every contact. "
            "Say who this send is for: add a list, tag or other field to the include line, "
            "e.g. `and lists contains \"newsletter\"`."))
    for condition in analysis.seed_conditions:
        label, _sep, rendered = condition.partition(": ")
        findings.append(_finding(
            "S4", severity,
            f"{label} picks test or seed addresses (`{rendered}`): keep them out of a "
            "production send, and use a test send for them.", condition))
    return findings


def _c7(analysis: AudienceAnalysis, severity: Severity, _: PreflightConfig) -> list[Finding]:
    """C7: under GDPR and PECR, marketing email needs consent or a soft opt-in."""
    findings: list[Finding] = []
    if analysis.includes_without_consent:
        findings.append(_finding(
            "C7", severity,
            "In the EU and UK (GDPR, PECR) marketing email needs the person's consent or a "
            f"soft opt-in, and an objection is final. Contacts whose consent is "
            f"{_gaps(analysis)} can be in this audience: add `{CONSENT_FIX}`.",
            _consent_evidence(analysis), analysis=analysis, answer="includes_without_consent"))
    if analysis.soft_opt_in_included:
        findings.append(_finding(
            "C7", Severity.COACH,
            "Soft opt-in contacts are in this audience. The soft opt-in covers only your own "
            "similar products or services, and every message must offer a simple way to opt "
            "out."))
    return findings


_JUDGES: dict[str, Judge] = {"S1": _s1, "S2": _s2, "S3": _s3, "S4": _s4, "C7": _c7}
