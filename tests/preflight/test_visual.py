"""The visual rules (T1 overflow, T3 text size, T4 tap targets) on measurements built by hand."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from learnloop.domain.preflight.config import PreflightConfig, SeverityOverride, Thresholds
from learnloop.domain.preflight.findings import Outcome, RuleResult, Severity
from learnloop.domain.preflight.visual import (
    Blocked,
    Box,
    LinkBox,
    Measurement,
    Rect,
    Region,
    TextRun,
    blocked_summary,
    judge_visual,
    primary_cta,
    visual_not_run,
)

DEFAULT = PreflightConfig()


def config(*, thresholds: Thresholds | None = None,
           **overrides: SeverityOverride) -> PreflightConfig:
    return PreflightConfig(thresholds=thresholds or Thresholds(),
                           overrides=MappingProxyType(dict(overrides)))


def measured(width: int = 375, *, scroll_width: float | None = None,
             overflowing: tuple[Box, ...] = (), texts: tuple[TextRun, ...] = (),
             links: tuple[LinkBox, ...] = ()) -> Measurement:
    return Measurement(width, scroll_width if scroll_width is not None else width, 1200,
                       overflowing, texts, links)


def box(path: str, width: int, over: float, declared: str | None = None) -> Box:
    return Box(path, Rect(0, 100, width + over, 300), over, declared)


def text(chars: int, font_px: float, region: Region = Region.BODY,
         path: str = "td > p") -> TextRun:
    return TextRun(path, font_px, chars, region, "Some words")


def link(x: float, y: float, w: float, h: float, *, text: str = "Read more",
         region: Region = Region.BODY, inline: bool = False, button: bool = False,
         image: tuple[int | None, int | None] | None = None) -> LinkBox:
    return LinkBox(f"a.{text.replace(' ', '-')}", "https://shop.example/", text,
                   Rect(x, y, w, h), region, inline, image is not None,
                   image[0] if image else None, image[1] if image else None, button)


def rule(results: list[RuleResult], rule_id: str) -> RuleResult:
    return next(r for r in results if r.rule == rule_id)


def judged(measurements: list[Measurement], rule_id: str,
           cfg: PreflightConfig = DEFAULT) -> RuleResult:
    return rule(judge_visual(measurements, cfg), rule_id)


# T1 overflow ----------------------------------------------------------------------------------


def test_an_element_wider_than_a_phone_fails_and_is_named() -> None:
    wide = box("table.promo", 375, 333, 'width="700"')
    result = judged([measured(375, scroll_width=708, overflowing=(wide,))], "T1")
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.severity is Severity.FAIL
    assert finding.where == "table.promo"
    assert finding.width == 375
    assert "333 px" in finding.message
    assert "375 px" in finding.message
    assert finding.evidence == 'width="700"'


def test_overflow_at_600_is_a_warning() -> None:
    wide = box("table#bodyTable", 600, 40)
    result = judged([measured(600, scroll_width=640, overflowing=(wide,))], "T1")
    assert result.outcome is Outcome.WARNED
    assert result.findings[0].severity is Severity.WARN


def test_overflow_up_to_the_threshold_passes() -> None:
    slight = box("table.body", 375, 16)
    assert judged([measured(375, scroll_width=391, overflowing=(slight,))],
                  "T1").outcome is Outcome.PASSED


def test_the_threshold_is_the_organisations() -> None:
    wide = box("table.promo", 375, 40)
    loose = config(thresholds=Thresholds(overflow_px=50))
    assert judged([measured(375, scroll_width=415, overflowing=(wide,))], "T1",
                  loose).outcome is Outcome.PASSED


def test_a_page_that_scrolls_with_no_element_to_blame_is_still_reported() -> None:
    result = judged([measured(375, scroll_width=460)], "T1")
    (finding,) = result.findings
    assert finding.where == "the page"
    assert "85 px" in finding.message


def test_many_offenders_are_capped() -> None:
    boxes = tuple(box(f"td:nth-of-type({i})", 375, 100) for i in range(1, 9))
    result = judged([measured(375, scroll_width=475, overflowing=boxes)], "T1")
    assert len(result.findings) == 6
    assert result.findings[-1].message == "and 3 more elements stick out"


@pytest.mark.parametrize(("override", "narrow", "wide"), [
    (Severity.WARN, Severity.WARN, Severity.WARN),
    (Severity.COACH, Severity.COACH, Severity.COACH),
    (Severity.FAIL, Severity.FAIL, Severity.WARN),
])
def test_a_severity_override_never_makes_the_600_px_warning_worse(
        override: SeverityOverride, narrow: Severity, wide: Severity) -> None:
    at_375 = measured(375, scroll_width=600, overflowing=(box("table", 375, 225),))
    at_600 = measured(600, scroll_width=640, overflowing=(box("table", 600, 40),))
    result = judged([at_375, at_600], "T1", config(T1=override))
    assert [f.severity for f in result.findings] == [narrow, wide]


def test_a_rule_turned_off_is_left_out() -> None:
    results = judge_visual([measured(375, scroll_width=600)], config(T1="off"))
    assert [r.rule for r in results] == ["T3", "T4"]


# T3 text size ---------------------------------------------------------------------------------


def test_a_fifth_of_the_body_text_under_13_px_fails() -> None:
    result = judged([measured(texts=(text(800, 16), text(200, 12)))], "T3")
    assert result.outcome is Outcome.FAILED
    assert result.findings[0].message.startswith("20% of the body text is under 13 px")


def test_a_few_lines_of_body_text_are_too_little_to_fail_on_a_share() -> None:
    result = judged([measured(texts=(text(80, 16), text(120, 12)))], "T3")
    assert result.outcome is Outcome.PASSED
    assert result.findings[0].severity is Severity.COACH
    assert "only 200 characters of body text" in result.findings[0].message


def test_a_little_small_body_text_passes() -> None:
    assert judged([measured(texts=(text(90, 16), text(10, 12)))],
                  "T3").outcome is Outcome.PASSED


def test_any_body_text_under_11_px_fails() -> None:
    result = judged([measured(texts=(text(500, 16), text(5, 10, path="span.legal")))], "T3")
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.where == "span.legal"
    assert "10 px" in finding.message


def test_small_footer_text_is_coaching_once() -> None:
    texts = (text(300, 16), text(200, 11, Region.FOOTER, "td.footer"))
    result = judged([measured(375, texts=texts), measured(600, texts=texts)], "T3")
    (finding,) = result.findings
    assert finding.severity is Severity.COACH
    assert finding.where == "td.footer"
    assert finding.width == 375


def test_the_header_strip_is_not_body_text() -> None:
    texts = (text(300, 16), text(150, 10, Region.HEADER, "td.preheader"))
    assert judged([measured(texts=texts)], "T3").outcome is Outcome.PASSED


def test_text_thresholds_are_the_organisations() -> None:
    texts = (text(700, 16), text(300, 12))
    assert judged([measured(texts=texts)], "T3").outcome is Outcome.FAILED
    loose = config(thresholds=Thresholds(small_text_share=0.5))
    assert judged([measured(texts=texts)], "T3", loose).outcome is Outcome.PASSED
    strict = config(thresholds=Thresholds(body_text_px=17, small_text_share=0.9))
    assert judged([measured(texts=(text(1000, 16),))], "T3", strict).outcome is Outcome.FAILED


def test_text_size_can_be_made_a_warning() -> None:
    result = judged([measured(texts=(text(10, 9),))], "T3", config(T3=Severity.WARN))
    assert result.outcome is Outcome.WARNED


# T4 tap targets -------------------------------------------------------------------------------


def test_stacked_small_links_warn() -> None:
    links = tuple(link(20, 500 + 17 * i, 60, 15, text=f"Link {i}") for i in range(3))
    result = judged([measured(links=links)], "T4")
    assert result.outcome is Outcome.WARNED
    assert [f.where for f in result.findings] == ["a.Link-0", "a.Link-1", "a.Link-2"]
    assert "60 x 15 px" in result.findings[0].message


def test_a_small_link_with_room_around_it_passes() -> None:
    """WCAG 2.5.8's spacing exception: a 24 px circle on it touches no other target."""
    links = (link(20, 500, 60, 15, text="Unsubscribe"), link(20, 600, 60, 15, text="Terms"))
    assert judged([measured(links=links)], "T4").outcome is Outcome.PASSED


def test_links_in_a_sentence_are_exempt() -> None:
    links = tuple(link(20, 500 + 17 * i, 60, 15, text=f"Link {i}", inline=True)
                  for i in range(3))
    assert judged([measured(links=links)], "T4").outcome is Outcome.PASSED


def test_links_of_24_px_pass() -> None:
    links = tuple(link(20, 500 + 25 * i, 60, 24, text=f"Link {i}") for i in range(3))
    assert judged([measured(links=links)], "T4").outcome is Outcome.PASSED


def test_image_links_are_sized_by_their_attributes() -> None:
    icons = (link(20, 500, 0, 0, text="Facebook", image=(20, 20)),
             link(42, 500, 0, 0, text="Twitter", image=(20, 20)))
    result = judged([measured(links=icons)], "T4")
    assert [f.where for f in result.findings] == ["a.Facebook", "a.Twitter"]
    assert result.findings[0].message.startswith("Image link 'Facebook' is 20 x 20 px")
    unsized = (link(20, 500, 0, 0, text="Facebook", image=(None, None)),
               link(44, 500, 0, 0, text="Twitter", image=(20, None)))
    assert judged([measured(links=unsized)], "T4").outcome is Outcome.PASSED


def test_a_short_primary_call_to_action_is_coaching() -> None:
    cta = link(100, 400, 180, 36, text="Shop now", button=True)
    result = judged([measured(375, links=(cta,)), measured(600, links=(cta,))], "T4")
    (finding,) = result.findings
    assert finding.severity is Severity.COACH
    assert "36 px tall" in finding.message
    assert judged([measured(links=(link(100, 400, 180, 48, button=True),))],
                  "T4").outcome is Outcome.PASSED


def test_the_primary_call_to_action_is_the_largest_button_in_the_body() -> None:
    small = link(100, 300, 100, 30, text="Small", button=True)
    big = link(100, 400, 200, 40, text="Big", button=True)
    footer = link(100, 900, 300, 60, text="Footer", button=True, region=Region.FOOTER)
    plain = link(100, 500, 300, 60, text="Plain")
    assert primary_cta([small, big, footer, plain]) == big
    assert primary_cta([plain, footer]) is None


def test_tap_targets_can_be_turned_off() -> None:
    links = tuple(link(20, 500 + 17 * i, 60, 15, text=f"Link {i}") for i in range(3))
    results = judge_visual([measured(links=links)], config(T4="off"))
    assert "T4" not in [r.rule for r in results]


# the rules together ---------------------------------------------------------------------------


def test_a_clean_email_passes_every_visual_rule() -> None:
    clean = measured(texts=(text(400, 16), text(100, 12, Region.FOOTER)),
                     links=(link(100, 400, 200, 48, button=True),))
    results = judge_visual([clean], config())
    assert [(r.rule, r.outcome) for r in results] == [
        ("T1", Outcome.PASSED), ("T3", Outcome.PASSED), ("T4", Outcome.PASSED)]
    assert [f.severity for f in results[1].findings] == [Severity.COACH]  # the footer tip


def test_no_measurements_means_not_run() -> None:
    results = judge_visual([], DEFAULT)
    assert {r.outcome for r in results} == {Outcome.NOT_RUN}


def test_visual_not_run_skips_rules_turned_off() -> None:
    results = visual_not_run("Chromium is not installed", config(T3="off"))
    assert [(r.rule, r.outcome, r.reason) for r in results] == [
        ("T1", Outcome.NOT_RUN, "Chromium is not installed"),
        ("T4", Outcome.NOT_RUN, "Chromium is not installed")]


def test_blocked_summary_counts_by_kind() -> None:
    blocked = (Blocked("https://cdn.example/a.png", "image"),
               Blocked("https://cdn.example/b.png", "image"),
               Blocked("https://fonts.example/x.css", "stylesheet"))
    m = Measurement(375, 375, 800, blocked=blocked, blocked_total=5)
    assert blocked_summary([m]) == "2 images, 1 stylesheet and 2 more blocked (5 in all)"
    every = Measurement(375, 375, 800, blocked=blocked, blocked_total=3)
    assert blocked_summary([every]) == "2 images, 1 stylesheet blocked"
    assert blocked_summary([Measurement(375, 375, 800)]) is None
