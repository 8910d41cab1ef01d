"""The static rules, one at a time: a good marketing email passes all of them, and each
mutation of it fails exactly the rule it breaks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from learnloop.artifacts.reader import read_artifact
from learnloop.domain.preflight.artifact import Artifact, Email, MessageType
from learnloop.domain.preflight.catalogue import BY_ID, RULES
from learnloop.domain.preflight.config import PreflightConfig, UtmPolicy
from learnloop.domain.preflight.findings import Outcome, Severity
from learnloop.domain.preflight.report import Report
from learnloop.services.preflight import Checkers, run_preflight

DATA = Path(__file__).parents[1] / "data" / "preflight"
TODAY = date(2026, 12, 4)
GOOD = read_artifact(DATA / "good.html")
CHECKABLE = [r.id for r in RULES if r.kind in ("static", "audience")]


def check(artifact: Artifact, config: PreflightConfig | None = None) -> Report:
    return run_preflight(artifact, config or PreflightConfig(), Checkers(), TODAY)


def with_email(artifact: Artifact, **changes: object) -> Artifact:
    return dataclasses.replace(artifact, email=dataclasses.replace(artifact.email, **changes))


def with_html(change: Callable[[str], str]) -> Artifact:
    assert GOOD.email.html is not None
    return with_email(GOOD, html=change(GOOD.email.html))


def outcomes(report: Report) -> dict[str, Outcome]:
    return {r.rule: r.outcome for r in report.results}


def test_the_good_email_passes_every_rule_the_artifact_shows() -> None:
    report = check(GOOD)
    found = outcomes(report)
    assert {rule: found[rule] for rule in CHECKABLE if found[rule] is not Outcome.PASSED} == {}
    outside = [r.id for r in RULES if r.kind == "outside"]
    assert all(found[rule] is Outcome.NOT_RUN for rule in outside)
    assert all(found[rule] is Outcome.NOT_RUN for rule in ("T1", "T3", "T4", "D8"))
    assert not report.blocked


def headers_without(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in GOOD.email.headers if k not in names)


def swap(old: str, new: str) -> Callable[[str], str]:
    def change(html: str) -> str:
        assert old in html, old
        return html.replace(old, new)
    return change


UTM = "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=2026-12_email_subscribers_" \
      "winter-sale&amp;utm_content=hero"

MUTATIONS: list[tuple[str, Artifact, str]] = [
    ("D1", with_email(GOOD, headers=headers_without("List-Unsubscribe-Post")),
     "No List-Unsubscribe-Post"),
    ("D1", with_email(GOOD, headers=(*headers_without("List-Unsubscribe-Post"),
                                     ("List-Unsubscribe-Post", "yes"))), "must be exactly"),
    ("D1", with_email(GOOD, headers=(*GOOD.email.headers, ("DKIM-Signature",
                      "v=1; a=rsa-sha256; d=northwind.co.uk; h=from:to:subject; b=x"))),
     "does not cover list-unsubscribe and list-unsubscribe-post"),
    ("D2", with_email(GOOD, headers=(*headers_without("List-Unsubscribe"),
                                     ("List-Unsubscribe", "<mailto:u@northwind.co.uk>"))),
     "offers only mailto"),
    ("D7", with_email(GOOD, text=None), "no plain-text part"),
    ("D9", with_html(swap("display:none; max-height:0; overflow:hidden; mso-hide:all;",
                          "color:#f4f4f4; font-size:1px;")), "without display:none"),
    ("D10", with_html(swap("</body>", "<!--" + "x" * 110_000 + "--></body>")),
     "Gmail clips above"),
    ("D10", with_html(swap("</body>", "<!--" + "x" * 85_000 + "--></body>")),
     "close to Gmail's clipping limit"),
    ("D12", with_html(swap("https://www.northwind.co.uk/sizes", "http://192.0.2.7/sizes")),
     "bare IP address"),
    ("D12", with_html(swap("</body>", "<form action='x'></form></body>")), "contains <form>"),
    ("C1", with_html(swap("12 Harbour Street, Bristol BS1 4RN, United Kingdom", "Bristol")),
     "No postal address"),
    ("C2", with_html(swap('<a href="https://www.northwind.co.uk/unsubscribe?u=abc" style="display:'
                          'inline-block; padding:6px 0;">Unsubscribe</a> or', "")),
     "only opt-out is a preference centre"),
    ("C2", with_html(lambda h: h.replace("Unsubscribe</a>", "</a>").replace(
        "unsubscribe?u=abc", "account").replace("preferences?u=abc", "account")
        .replace("manage your preferences", "see your account")), "No unsubscribe link"),
    ("C3", with_email(GOOD, from_="news at northwind"), "not a valid email address"),
    ("C4", with_email(GOOD, subject="RE: your order"), "starts like a reply"),
    ("C6", dataclasses.replace(GOOD, campaign=dataclasses.replace(GOOD.campaign,
                                                                 message_type=None)),
     "does not say whether"),
    ("C8", with_email(GOOD, from_="news@northwind.co.uk"), "no display name"),
    ("T2", with_html(swap(' alt="Northwind Outdoor"', "")), "no alt attribute"),
    ("T5", with_html(swap("Up to 40% off coats and boots until Sunday, with free returns on "
                          "every order.", "Sale")), "The preheader is 4 characters"),
    ("T6", with_html(swap('<meta name="viewport" content="width=device-width, '
                          'initial-scale=1">', "")), "No <meta name=\"viewport\""),
    ("T7", with_html(lambda h: h.replace('<meta name="color-scheme" content="light dark">', "")
                     .replace("@media (prefers-color-scheme: dark)", "@media print")),
     "dark mode"),
    ("T8", with_html(swap('{{ first_name | default: "there" }}', "{{ first_name }}")),
     "has no fallback"),
    ("T9", with_html(swap('href="https://www.northwind.co.uk/sizes?utm_source=newsletter&amp;'
                          'utm_medium=email&amp;utm_campaign=2026-12_email_subscribers_winter-'
                          'sale&amp;utm_content=sizes"', 'href="#"')), "goes nowhere"),
    ("T9", with_html(swap("Our winter sale", "[Company Name] winter sale")), "Placeholder"),
    ("R1", with_html(swap(UTM, "utm_source=newsletter")), "Missing utm_medium, utm_campaign"),
    ("R2", with_html(swap("utm_content=hero", "utm_content=Hero Banner")), "space"),
    ("R3", with_html(swap("utm_medium=email&amp;utm_campaign=2026-12_email_subscribers_winter-"
                          "sale&amp;utm_content=hero", "utm_medium=newsletter&amp;utm_campaign"
                          "=2026-12_email_subscribers_winter-sale&amp;utm_content=hero")),
     "utm_medium is 'newsletter'"),
    ("R4", with_html(swap("unsubscribe?u=abc", "unsubscribe?u=abc&amp;utm_source=x")),
     "unsubscribe, preference or view-online link"),
    ("R5", dataclasses.replace(GOOD, campaign=dataclasses.replace(
        GOOD.campaign, name="Winter Sale 2026")), "does not follow the pattern"),
    ("R6", with_html(swap("utm_campaign=2026-12_email_subscribers_winter-sale&amp;utm_content"
                          "=hero", "utm_campaign=winter&amp;utm_content=hero")),
     "utm_campaign is 'winter'"),
]


@pytest.mark.parametrize(("rule", "artifact", "message"), MUTATIONS,
                         ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(MUTATIONS)])
def test_each_mutation_breaks_its_rule(rule: str, artifact: Artifact, message: str) -> None:
    report = check(artifact)
    result = report.result(rule)
    assert result is not None
    if BY_ID[rule].severity is Severity.COACH or "preference centre" in message:
        assert result.outcome is Outcome.PASSED  # a tip, not a failure
    else:
        assert result.outcome in (Outcome.FAILED, Outcome.WARNED), result
    assert any(message in f.message for f in result.findings), result.findings
    others = {r.rule for r in report.results
              if r.outcome in (Outcome.FAILED, Outcome.WARNED) and r.rule != rule}
    # Knock-on effects only: a mailto-only header breaks D1 as well as D2, a renamed campaign
    # no longer matches utm_campaign (R6), a former unsubscribe link is now a landing page (R1).
    assert others <= {"D1", "R6", "R1"}, others


def test_severity_follows_the_catalogue_and_the_organisation() -> None:
    artifact = with_html(swap(' alt="Northwind Outdoor"', ""))
    t2 = check(artifact).result("T2")
    assert t2 is not None
    assert t2.severity is Severity.FAIL
    relaxed = check(artifact, PreflightConfig(overrides={"T2": Severity.WARN})).result("T2")
    assert relaxed is not None
    assert relaxed.severity is Severity.WARN
    assert check(artifact, PreflightConfig(overrides={"T2": "off"})).result("T2") is None


def test_transactional_mail_is_exempt_from_marketing_rules() -> None:
    receipt = dataclasses.replace(
        with_html(swap("Unsubscribe", "Help").__call__),
        campaign=dataclasses.replace(GOOD.campaign, message_type=MessageType.TRANSACTIONAL))
    found = outcomes(check(with_email(receipt, headers=())))
    for rule in ("D1", "D2", "C1", "C2", "C4", "S1", "S3", "S4", "C7"):
        assert found[rule] is Outcome.NOT_APPLICABLE, rule
    assert all(BY_ID[rule].marketing_only for rule in ("D1", "C1", "C2", "S1"))


def test_owned_domains_come_from_the_settings_or_the_from_address() -> None:
    artifact = with_html(swap(UTM, "x=1"))
    r1 = check(artifact).result("R1")
    assert r1 is not None
    assert r1.outcome is Outcome.FAILED
    elsewhere = PreflightConfig(utm=UtmPolicy(owned_domains=("northwind.com",)))
    r1 = check(artifact, elsewhere).result("R1")
    assert r1 is not None
    assert r1.outcome is Outcome.PASSED


def test_brand_and_sender_domains_are_checked_when_configured() -> None:
    config = PreflightConfig(brand_names=("Contoso",), sender_domains=("contoso.com",))
    report = check(GOOD, config)
    c3, c8 = report.result("C3"), report.result("C8")
    assert c3 is not None
    assert c8 is not None
    assert "not one of the brand's sending domains" in c3.findings[0].message
    assert {f.where for f in c8.findings} == {"from", "footer"}


def test_a_text_only_email_is_checked_too() -> None:
    artifact = with_email(GOOD, html=None)
    report = check(artifact)
    assert report.result("T6") is not None
    t1 = report.result("T1")
    assert t1 is not None
    assert t1.reason == "the email has no HTML part to render"


def test_an_email_without_any_metadata_still_gets_a_report() -> None:
    bare = Artifact("draft.html", email=Email(html="<p>Hello <a href='#'>there</a></p>"))
    report = check(bare)
    assert report.blocked
    failed = {r.rule for r in report.failed}
    assert {"C6", "R5", "T9", "C3", "D1"} <= failed
