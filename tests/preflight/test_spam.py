"""D8 without SpamAssassin: reading spamd's reports, judging them, and building the MIME draft.

The two reports are spamd 4.0.1's REPORT answers, captured from a spamd started with `-L` and
without the project's `score MISSING_DATE 0` lines (as an operator's spamd may run).
"""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.preflight.artifact import Email
from learnloop.domain.preflight.config import PreflightConfig, Thresholds
from learnloop.domain.preflight.findings import Outcome, Severity
from learnloop.domain.preflight.mime import DRAFT_TO, clean_header, draft
from learnloop.domain.preflight.spam import (
    ReportError,
    SpamHit,
    SpamReport,
    counted_score,
    judge,
    parse_report,
    parse_symbols,
)

CONFIG = PreflightConfig()

LEGIT_REPORT = "\n".join([
    'Spam detection software, running on the system "vm",',
    'has NOT identified this incoming email as spam.  The original',
    'message has been attached to this so you can view it or label',
    'similar future email.  If you have any questions, see',
    '@@CONTACT_ADDRESS@@ for details.',
    '',
    'Content preview:  Hi Bob, here are the notes from our meeting yesterday. See',
    '   you next week. ',
    '',
    'Content analysis details:   (4.4 points, 5.0 required)',
    '',
    ' pts rule name              description',
    '---- ---------------------- --------------------------------------------------',
    '-0.0 NO_RECEIVED            Informational: message has no Received headers',
    ' 2.7 MISSING_DATE           Missing Date: header',
    ' 0.6 MISSING_MID            Missing Message-Id: header',
    '-0.0 NO_RELAYS              Informational: message was not relayed via SMTP',
    ' 0.0 HTML_MESSAGE           BODY: HTML included in message',
    ' 0.1 MIME_HTML_ONLY         BODY: Message only has text/html MIME parts',
    ' 1.0 TO_NO_BRKTS_HTML_ONLY  To: lacks brackets and HTML only',
    '',
]) + "\n"

SPAM_REPORT = "\n".join([
    'Spam detection software, running on the system "vm",',
    'has identified this incoming email as possible spam.  The original',
    'message has been attached to this so you can view it or label',
    'similar future email.  If you have any questions, see',
    '@@CONTACT_ADDRESS@@ for details.',
    '',
    'Content preview:  cheap viagra Dear Friend, you have been selected to receive',
    '   $1,000,000 USD!!! CLICK HERE to claim your prize NOW. 100% FREE, no risk,',
    '   guaranteed. Limited time offer, act now! Buy cheap viagra online, lowest',
    '  price. [...] ',
    '',
    'Content analysis details:   (1009.0 points, 5.0 required)',
    '',
    ' pts rule name              description',
    '---- ---------------------- --------------------------------------------------',
    '-0.0 NO_RECEIVED            Informational: message has no Received headers',
    ' 0.7 DRUG_ED_ONLINE         BODY: Fast Viagra Delivery',
    '1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email',
    '-0.0 NO_RELAYS              Informational: message was not relayed via SMTP',
    ' 1.0 US_DOLLARS_3           BODY: Mentions millions of $ ($NN,NNN,NNN.NN)',
    " 2.7 DEAR_FRIEND            BODY: Dear Friend? That's not very dear!",
    ' 0.1 MIME_HTML_ONLY         BODY: Message only has text/html MIME parts',
    ' 0.7 HTML_FONT_LOW_CONTRAST BODY: HTML font color similar or identical to',
    '                            background',
    ' 0.0 HTML_MESSAGE           BODY: HTML included in message',
    ' 0.0 LOTS_OF_MONEY          Huge... sums of money',
    ' 1.8 DRUGS_ERECTILE         Refers to an erectile drug',
    ' 1.0 ADVANCE_FEE_2_NEW_MONEY Advance Fee fraud and lots of money',
    ' 1.0 TO_NO_BRKTS_PCNT       To: lacks brackets + percentage',
    '',
]) + "\n"


def report(score: float, *hits: tuple[str, float]) -> SpamReport:
    return SpamReport(score, 5.0, tuple(SpamHit(name, points, f"about {name}")
                                        for name, points in hits))


# Reading the report


def test_the_report_table_is_read_rule_by_rule() -> None:
    parsed = parse_report(LEGIT_REPORT)
    assert (parsed.score, parsed.required) == (4.4, 5.0)
    assert [h.name for h in parsed.hits] == [
        "NO_RECEIVED", "MISSING_DATE", "MISSING_MID", "NO_RELAYS", "HTML_MESSAGE",
        "MIME_HTML_ONLY", "TO_NO_BRKTS_HTML_ONLY"]
    assert parsed.hits[5] == SpamHit("MIME_HTML_ONLY", 0.1,
                                     "BODY: Message only has text/html MIME parts")
    assert parsed.hits[0].score == 0.0
    assert not parsed.truncated


def test_wrapped_descriptions_and_long_rule_names_are_read() -> None:
    parsed = parse_report(SPAM_REPORT)
    by_name = {h.name: h for h in parsed.hits}
    assert parsed.score == 1009.0
    assert len(parsed.hits) == 13
    assert by_name["GTUBE"].score == 1000.0
    assert by_name["HTML_FONT_LOW_CONTRAST"].description == (
        "BODY: HTML font color similar or identical to background")
    assert by_name["ADVANCE_FEE_2_NEW_MONEY"] == SpamHit(
        "ADVANCE_FEE_2_NEW_MONEY", 1.0, "Advance Fee fraud and lots of money")


def test_a_wrapped_line_that_starts_with_a_number_is_not_a_rule() -> None:
    text = "\n".join([
        "Content analysis details:   (1.2 points, 5.0 required)", "",
        " pts rule name              description",
        "---- ---------------------- ----------------------------------------",
        " 1.2 HTML_IMAGE_ONLY_24     BODY: HTML: images with 2000-2400 bytes of",
        "                            2400 words", ""])
    parsed = parse_report(text)
    assert parsed.hits == (SpamHit("HTML_IMAGE_ONLY_24", 1.2,
                                   "BODY: HTML: images with 2000-2400 bytes of 2400 words"),)


def test_the_score_from_spamds_header_wins() -> None:
    parsed = parse_report(LEGIT_REPORT, score=4.5, required=6.0)
    assert (parsed.score, parsed.required) == (4.5, 6.0)


def test_text_that_is_no_report_is_refused() -> None:
    with pytest.raises(ReportError):
        parse_report("SPAMD/1.1 0 EX_OK\r\n\r\nnothing here")


def test_symbols_give_the_rule_names() -> None:
    parsed = parse_symbols("HTML_MESSAGE,MIME_HTML_ONLY,NO_RELAYS", 0.1, 5.0)
    assert [h.name for h in parsed.hits] == ["HTML_MESSAGE", "MIME_HTML_ONLY", "NO_RELAYS"]


# Judging it


def test_a_low_score_passes_with_each_hit_as_a_tip() -> None:
    result = judge(parse_report(LEGIT_REPORT), CONFIG, "unused")
    assert result is not None
    assert result.outcome is Outcome.PASSED
    assert [f.evidence for f in result.findings] == ["TO_NO_BRKTS_HTML_ONLY +1.0",
                                                     "MIME_HTML_ONLY +0.1"]
    assert all(f.severity is Severity.COACH for f in result.findings)
    assert result.findings[1].message == "BODY: Message only has text/html MIME parts"


def test_missing_date_and_message_id_are_left_to_the_sending_platform() -> None:
    parsed = parse_report(LEGIT_REPORT)
    assert counted_score(parsed) == 1.1
    result = judge(parsed, CONFIG, "unused")
    assert result is not None
    assert not {"MISSING_DATE", "MISSING_MID"} & {f.where for f in result.findings}


def test_a_spammy_draft_fails_with_the_worst_rules_first() -> None:
    result = judge(parse_report(SPAM_REPORT), CONFIG, "unused")
    assert result is not None
    assert result.outcome is Outcome.FAILED
    summary, *tips = result.findings
    assert summary.severity is Severity.FAIL
    assert summary.evidence == "1009.0 points"
    assert tips[0].evidence == "GTUBE +1000.0"
    assert tips[1].where == "DEAR_FRIEND"
    assert {f.severity for f in tips} == {Severity.COACH}
    assert "HTML_MESSAGE" not in {f.where for f in tips}  # no points, no tip


@pytest.mark.parametrize(("score", "outcome", "summary"), [
    (2.9, Outcome.PASSED, None),
    (3.0, Outcome.WARNED, Severity.WARN),
    (4.9, Outcome.WARNED, Severity.WARN),
    (5.0, Outcome.FAILED, Severity.FAIL),
])
def test_warn_at_three_and_fail_at_five(score: float, outcome: Outcome,
                                        summary: Severity | None) -> None:
    result = judge(report(score, ("SOME_RULE", score)), CONFIG, "unused")
    assert result is not None
    assert result.outcome is outcome
    severities = [f.severity for f in result.findings if f.where == "draft"]
    assert severities == ([summary] if summary else [])


def test_the_organisations_thresholds_are_used() -> None:
    config = PreflightConfig(thresholds=Thresholds(spam_warn=1.0, spam_fail=2.0))
    result = judge(report(2.0, ("SOME_RULE", 2.0)), config, "unused")
    assert result is not None
    assert result.outcome is Outcome.FAILED


@pytest.mark.parametrize(("override", "outcome", "severity"), [
    ("warn", Outcome.WARNED, Severity.WARN),
    ("coach", Outcome.PASSED, Severity.COACH),  # coaching only: tips, never a warning
    ("fail", Outcome.FAILED, Severity.FAIL),
])
def test_the_organisations_severity_replaces_warn_and_fail(override: str, outcome: Outcome,
                                                           severity: Severity) -> None:
    config = PreflightConfig(overrides={"D8": Severity(override)})
    for score in (3.5, 9.0):
        result = judge(report(score, ("SOME_RULE", score)), config, "unused")
        assert result is not None
        assert result.outcome is outcome
        assert result.findings[0].severity is severity


def test_turned_off_gives_no_result() -> None:
    config = PreflightConfig(overrides={"D8": "off"})
    assert judge(parse_report(SPAM_REPORT), config, "unused") is None
    assert judge(None, config, "spamd is missing") is None


def test_no_report_is_not_run_with_the_reason() -> None:
    result = judge(None, CONFIG, "spamd is not installed")
    assert result is not None
    assert result.outcome is Outcome.NOT_RUN
    assert result.reason == "spamd is not installed"
    assert result.findings == ()


def test_a_truncated_draft_says_so() -> None:
    cut = SpamReport(0.0, 5.0, (), truncated=True)
    result = judge(cut, CONFIG, "unused")
    assert result is not None
    assert result.outcome is Outcome.PASSED
    assert "only its beginning was scored" in result.findings[0].message


def test_a_clean_report_passes_without_findings() -> None:
    result = judge(report(-0.0, ("NO_RELAYS", -0.0)), CONFIG, "unused")
    assert result is not None
    assert (result.outcome, result.findings) == (Outcome.PASSED, ())


# The MIME draft


def parsed(message: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(message, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_text_and_html_make_multipart_alternative() -> None:
    message = parsed(draft(Email(subject="May news", from_="Brand <news@brand.com>",
                                 reply_to="help@brand.com", text="Hello\n",
                                 html="<p>Hello</p>")))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == "Brand <news@brand.com>"
    assert message["Reply-To"] == "help@brand.com"
    assert message["Subject"] == "May news"
    assert message["To"] == DRAFT_TO


@pytest.mark.parametrize(("mail", "content_type", "body"), [
    (Email(html="<p>Hi</p>"), "text/html", "<p>Hi</p>\n"),
    (Email(text="Hi"), "text/plain", "Hi\n"),
    (Email(), "text/plain", "\n"),
])
def test_one_part_or_an_empty_text_part(mail: Email, content_type: str, body: str) -> None:
    message = parsed(draft(mail))
    assert message.get_content_type() == content_type
    assert message.get_content().replace("\r\n", "\n") == body


def test_odd_headers_are_cleaned_not_fatal() -> None:
    raw = draft(Email(
        subject="Sommer-Angebote für Sie ☀\r\nBcc: everyone@example.com",
        reply_to="<<not an address>>@@",
        headers=(("X-Campaign", "spring\n2026"), ("Bad Name", "dropped"),
                 ("Content-Type", "text/evil"), ("List-Unsubscribe", "<https://b.com/u>")),
        html="<p>Grüße</p>"))
    message = parsed(raw)
    assert message["Subject"] == "Sommer-Angebote für Sie ☀ Bcc: everyone@example.com"
    assert message["Bcc"] is None
    assert message["From"] is None
    assert raw.startswith(b"Reply-To: <<not an address>>@@\r\n")  # as given, not parsed
    assert message["X-Campaign"] == "spring 2026"
    assert message["Bad Name"] is None
    assert message.get_content_type() == "text/html"
    assert message["List-Unsubscribe"] == "<https://b.com/u>"
    assert message.get_content().strip() == "<p>Grüße</p>"


def test_date_message_id_and_to_come_only_from_the_email() -> None:
    bare = parsed(draft(Email(text="x")))
    assert bare["Date"] is None
    assert bare["Message-ID"] is None
    given = parsed(draft(Email(text="x", headers=(
        ("Date", "Mon, 02 Nov 2026 09:30:00 +0000"), ("Message-ID", "<a@brand.com>"),
        ("To", "Ann <ann@example.org>")))))
    assert given["Date"] == "Mon, 02 Nov 2026 09:30:00 +0000"
    assert given["Message-ID"] == "<a@brand.com>"
    assert given["To"] == "Ann <ann@example.org>"
    assert parsed(draft(Email(text="x"), to="bo@example.org"))["To"] == "bo@example.org"


def test_the_same_email_gives_the_same_bytes() -> None:
    mail = Email(subject="s", text="t", html="<p>t</p>")
    assert draft(mail) == draft(mail)
    assert b"\r\n" in draft(mail)


def test_header_values_lose_control_characters() -> None:
    assert clean_header("a\r\n\tb\x00c  d") == "a b c d"


@given(st.builds(
    Email, subject=st.none() | st.text(), from_=st.none() | st.text(),
    reply_to=st.none() | st.text(), html=st.none() | st.text(), text=st.none() | st.text(),
    headers=st.lists(st.tuples(st.text(max_size=20), st.text()), max_size=4).map(tuple)))
def test_any_email_gives_a_message(mail: Email) -> None:
    message = parsed(draft(mail))
    assert message.get_content_type() in ("text/plain", "text/html", "multipart/alternative")
