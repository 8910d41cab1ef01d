"""The visual checks: what a browser measured at each width, and the rules that judge it.

An adapter (`learnloop.checks.browser`) renders the merged preview in headless Chromium with
JavaScript off and every request blocked, at each configured width, and brings back a
`Measurement`. The rules here only read those measurements:

- T1: nothing sticks out past the right edge of the screen (fail at phone widths, warn at 600);
- T3: body text is large enough (footer and header strip are judged apart);
- T4: standalone links and the main call to action are large enough to tap.

T2 (alt text) is decided by the static check on the HTML; a rendering adds nothing to it.

**Regions.** The adapter marks every text run, link and image as part of the *header strip*, the
*body* or the *footer*, by its place on the page:

- the header strip is the preheader line at the top: the block around a "View this email in
  your browser" line (or a link to the web version, or an element whose class or id names a
  preheader), when that block ends within the top fifth of the page (at least 150 px, at most
  300 px, from the top);
- the footer starts at the top of the block around the first footer words ("unsubscribe",
  "preferences", "all rights reserved", "©", "you are receiving this", a mailing address), an
  unsubscribe or preferences link, or an element named footer, found in the lower 60% of the
  page; the block is its largest ancestor that still lies in the lower 60% and is no taller
  than a third of the page (300 to 800 px);
- everything else is body. A page without footer words has no footer region, so nothing is
  exempt; hidden text (a collapsed preheader) is never measured at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import (
    Finding,
    RuleResult,
    Screenshot,
    Severity,
    not_run,
    result_of,
)

VISUAL_RULES = ("T1", "T3", "T4")
PHONE_MAX = 480  # widths up to this are phones: overflow there is a fail, above it a warning
MAX_FINDINGS = 5  # per rule and width; the rest are counted in one more finding


class Region(StrEnum):
    HEADER = "header"  # the preheader / view-in-browser strip at the top
    BODY = "body"
    FOOTER = "footer"  # unsubscribe, address, legal


@dataclass(frozen=True, slots=True)
class Rect:
    """A box in CSS pixels, relative to the top left of the page."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True, slots=True)
class Box:
    """An element that sticks out past the right edge of the screen.

    `path` names it the way an author finds it (`table.footer > tr > td:nth-of-type(2)`: the
    last levels only, implicit `tbody` left out); `overflow_px` is how far its right edge lies
    beyond the viewport; `declared` quotes what fixes its width, when the adapter found it
    (`width="600"`, `width: 600px`).
    """

    path: str
    rect: Rect
    overflow_px: float
    declared: str | None = None


@dataclass(frozen=True, slots=True)
class TextRun:
    """Visible text of one element at one font size (hidden text is never measured)."""

    path: str
    font_px: float
    chars: int  # visible characters other than white space
    region: Region = Region.BODY
    sample: str = ""  # the first words, for the finding


@dataclass(frozen=True, slots=True)
class LinkBox:
    """A link as rendered. `inline` is a link inside a sentence (text around it in its block),
    which WCAG exempts from the target size. `image` is a link whose content is an image:
    images are blocked while measuring, so its size comes from the image's width and height
    attributes. `button_like` is a link drawn as a button (a background, a border, padding or a
    button class on the link or the cell it fills)."""

    path: str
    href: str
    text: str
    rect: Rect
    region: Region = Region.BODY
    inline: bool = False
    image: bool = False
    image_width: int | None = None
    image_height: int | None = None
    button_like: bool = False

    @property
    def size(self) -> tuple[float, float] | None:
        """Width and height a reader can tap; None for an image link without both attributes."""
        if not self.image:
            return (self.rect.width, self.rect.height)
        if self.image_width is None or self.image_height is None:
            return None
        return (float(self.image_width), float(self.image_height))

    @property
    def label(self) -> str:
        return self.text or self.href


@dataclass(frozen=True, slots=True)
class ImageBox:
    path: str
    src: str
    rect: Rect
    region: Region = Region.BODY
    has_alt: bool = False
    width_attr: int | None = None
    height_attr: int | None = None

    @property
    def pixel(self) -> bool:
        """A 1x1 tracking pixel or spacer."""
        w, h = self.width_attr, self.height_attr
        if w is not None and h is not None:
            return w <= 1 and h <= 1
        return self.rect.width <= 1 and self.rect.height <= 1


@dataclass(frozen=True, slots=True)
class Blocked:
    """A request the rendering refused (every request but the document itself)."""

    url: str
    kind: str  # image, stylesheet, font, document, media, other, ...


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the browser measured at one viewport width.

    `scroll_width` is how wide the page scrolls; `overflowing` lists the elements that stick
    out (the outermost ones, or the fixed-width element inside them that makes them wide).
    `blocked` lists the requests refused while rendering, up to this width (capped; the count
    is `blocked_total`). `truncated` says the page was too large to measure whole.
    """

    width: int
    scroll_width: float
    page_height: float
    overflowing: tuple[Box, ...] = ()
    texts: tuple[TextRun, ...] = ()
    links: tuple[LinkBox, ...] = ()
    images: tuple[ImageBox, ...] = ()
    screenshot: Screenshot | None = None
    blocked: tuple[Blocked, ...] = ()
    blocked_total: int = 0
    truncated: bool = False

    @property
    def overflow_px(self) -> float:
        return max(0.0, self.scroll_width - self.width)


def _milder(a: Severity, b: Severity) -> Severity:
    return a if a.rank >= b.rank else b


def _px(value: float) -> str:
    return f"{value:.0f} px" if value == round(value) else f"{value:.1f} px"


def _capped(findings: list[Finding], what: str) -> list[Finding]:
    if len(findings) <= MAX_FINDINGS:
        return findings
    rest = len(findings) - MAX_FINDINGS
    last = findings[MAX_FINDINGS - 1]
    more = Finding(last.rule, last.severity, f"and {rest} more {what}", width=last.width)
    return [*findings[:MAX_FINDINGS], more]


# T1 -------------------------------------------------------------------------------------------


def _overflow(m: Measurement, severity: Severity, limit: float) -> list[Finding]:
    screen = f"a {m.width} px screen"
    findings = [
        Finding("T1", severity,
                f"{box.path} makes the page {_px(box.overflow_px)} wider than {screen}",
                where=box.path,
                evidence=box.declared or f"right edge at {_px(box.rect.right)}",
                width=m.width)
        for box in m.overflowing if box.overflow_px > limit]
    if not findings and m.overflow_px > limit:
        findings.append(Finding(
            "T1", severity,
            f"The page is {_px(m.overflow_px)} wider than {screen}; no single element sticks "
            "out, so look for long words or URLs that cannot wrap",
            where="the page", evidence=f"scrolls to {_px(m.scroll_width)}", width=m.width))
    return _capped(findings, "elements stick out")


def _judge_overflow(measurements: Sequence[Measurement], config: PreflightConfig) -> RuleResult:
    """T1: fail when something sticks out more than `overflow_px` at a phone width (up to
    480 px), warn at wider ones (600 px); one finding per offending element."""
    severity = config.severity("T1", Severity.FAIL)
    assert severity is not None
    wide = _milder(severity, Severity.WARN)
    limit = config.thresholds.overflow_px
    findings: list[Finding] = []
    for m in measurements:
        findings += _overflow(m, severity if m.width <= PHONE_MAX else wide, limit)
    return result_of("T1", findings)


# T3 -------------------------------------------------------------------------------------------


def _example(runs: list[TextRun]) -> TextRun:
    """The run to show: the smallest text, the longest run of it."""
    return min(runs, key=lambda r: (r.font_px, -r.chars))


def _sample(run: TextRun) -> str:
    return f"{_px(run.font_px)}: {run.sample!r}" if run.sample else _px(run.font_px)


MIN_BODY_CHARS = 300  # below this, the share of small text is a tip, not a failure


def _small_text(m: Measurement, severity: Severity, config: PreflightConfig) -> list[Finding]:
    t = config.thresholds
    body = [r for r in m.texts if r.region is Region.BODY and r.chars > 0]
    total = sum(r.chars for r in body)
    if not total:
        return []
    small = [r for r in body if r.font_px < t.body_text_px]
    tiny = [r for r in body if r.font_px < t.body_text_min_px]
    share = sum(r.chars for r in small) / total
    findings: list[Finding] = []
    if share >= t.small_text_share:
        worst = _example(small)
        # With a few lines of body text one small line decides the share: say so as a tip.
        enough = total >= MIN_BODY_CHARS
        findings.append(Finding(
            "T3", severity if enough else Severity.COACH,
            f"{share:.0%} of the body text is under {_px(t.body_text_px)} at {m.width} px "
            f"(at most {t.small_text_share:.0%} may be)"
            + ("" if enough else f"; with only {total} characters of body text in the "
               "preview that share says little, so check the real content"),
            where=worst.path, evidence=_sample(worst), width=m.width))
    for run in tiny:
        findings.append(Finding(
            "T3", severity,
            f"Body text of {_px(run.font_px)} is under {_px(t.body_text_min_px)} at {m.width} px",
            where=run.path, evidence=_sample(run), width=m.width))
    return _capped(findings, "runs of tiny text")


def _small_footer(m: Measurement, config: PreflightConfig) -> Finding | None:
    limit = config.thresholds.body_text_px
    small = [r for r in m.texts if r.region is Region.FOOTER and r.font_px < limit]
    if not small:
        return None
    worst = _example(small)
    return Finding("T3", Severity.COACH,
                   f"Footer text is as small as {_px(worst.font_px)} at {m.width} px; that is "
                   f"usual for legal text, but {_px(limit)} or more reads better on phones",
                   where=worst.path, evidence=_sample(worst), width=m.width)


def _judge_text_size(measurements: Sequence[Measurement], config: PreflightConfig) -> RuleResult:
    """T3: fail when at least `small_text_share` of the visible body text (header strip and
    footer excluded) is under `body_text_px`, or any of it is under `body_text_min_px`. Small
    footer text is coaching, reported once (at the first width where it occurs)."""
    return _per_width("T3", Severity.FAIL, measurements, config, _small_text, _small_footer)


Each = Callable[[Measurement, Severity, PreflightConfig], list[Finding]]
Once = Callable[[Measurement, PreflightConfig], Finding | None]


def _per_width(rule: str, default: Severity, measurements: Sequence[Measurement],
               config: PreflightConfig, each: Each, once: Once) -> RuleResult:
    """`each` width's findings, and the first width's `once` note (a tip said once)."""
    severity = config.severity(rule, default)
    assert severity is not None
    findings: list[Finding] = []
    noted = False
    for m in measurements:
        findings += each(m, severity, config)
        if not noted:
            note = once(m, config)
            if note is not None:
                findings.append(note)
                noted = True
    return result_of(rule, findings)


# T4 -------------------------------------------------------------------------------------------


def primary_cta(links: Sequence[LinkBox]) -> LinkBox | None:
    """The main call to action: the largest button-like link in the body (the first one of
    the largest size); None when the body has no button-like link."""
    best: LinkBox | None = None
    best_area = -1.0
    for link in links:
        size = link.size
        if not link.button_like or link.region is not Region.BODY or size is None:
            continue
        area = size[0] * size[1]
        if area > best_area:
            best, best_area = link, area
    return best


def _target(link: LinkBox) -> Rect | None:
    size = link.size
    if size is None:
        return None
    return Rect(link.rect.x, link.rect.y, size[0], size[1])


def _distance(point: tuple[float, float], rect: Rect) -> float:
    dx = max(rect.x - point[0], 0.0, point[0] - rect.right)
    dy = max(rect.y - point[1], 0.0, point[1] - rect.bottom)
    return math.hypot(dx, dy)


def _spaced(i: int, targets: list[Rect], undersized: set[int], diameter: float) -> bool:
    """WCAG 2.5.8's spacing exception: a circle of the minimum size centred on the target
    touches no other target and no other undersized target's circle."""
    centre = targets[i].centre
    radius = diameter / 2
    for j, other in enumerate(targets):
        if j == i:
            continue
        if _distance(centre, other) < radius:
            return False
        if j in undersized and math.dist(centre, other.centre) < diameter:
            return False
    return True


def _tap_targets(m: Measurement, severity: Severity, config: PreflightConfig) -> list[Finding]:
    limit = config.thresholds.tap_min_px
    candidates = [(link, _target(link)) for link in m.links]
    sized = [(link, rect) for link, rect in candidates if rect is not None]
    targets = [rect for _, rect in sized]
    undersized = {i for i, (link, rect) in enumerate(sized)
                  if not link.inline and (rect.width < limit or rect.height < limit)}
    findings = []
    for i in sorted(undersized):
        link, rect = sized[i]
        if _spaced(i, targets, undersized, limit):
            continue
        kind = "Image link" if link.image else "Link"
        findings.append(Finding(
            "T4", severity,
            f"{kind} {link.label[:60]!r} is {rect.width:.0f} x {rect.height:.0f} px at "
            f"{m.width} px, under {_px(limit)}, and close to other links",
            where=link.path, evidence=link.href[:200] or None, width=m.width))
    return _capped(findings, "small links")


def _small_cta(m: Measurement, config: PreflightConfig) -> Finding | None:
    limit = config.thresholds.cta_min_px
    cta = primary_cta(m.links)
    size = cta.size if cta is not None else None
    if cta is None or size is None or size[1] >= limit:
        return None
    return Finding("T4", Severity.COACH,
                   f"The main call to action {cta.label[:60]!r} is {size[1]:.0f} px tall at "
                   f"{m.width} px; {_px(limit)} is easier to tap",
                   where=cta.path, evidence=cta.href[:200] or None, width=m.width)


def _judge_tap_targets(measurements: Sequence[Measurement],
                      config: PreflightConfig) -> RuleResult:
    """T4: warn on standalone links under `tap_min_px` wide or tall (WCAG 2.2 SC 2.5.8: links
    inside a sentence, and small links with room around them, are exempt); coach when the
    main call to action is under `cta_min_px` tall (once, at the first width)."""
    return _per_width("T4", Severity.WARN, measurements, config, _tap_targets, _small_cta)


# All ------------------------------------------------------------------------------------------

_JUDGES = {"T1": _judge_overflow, "T3": _judge_text_size, "T4": _judge_tap_targets}


def judge_visual(measurements: Sequence[Measurement],
                 config: PreflightConfig) -> list[RuleResult]:
    """T1, T3 and T4 over the measurements of one email (one per width); a rule the
    organisation turned off is left out."""
    results = []
    for rule, judge in _JUDGES.items():
        if config.severity(rule, Severity.FAIL) is None:
            continue
        if not measurements:
            results.append(not_run(rule, "the email was not rendered at any width"))
        else:
            results.append(judge(measurements, config))
    return results


def visual_not_run(reason: str, config: PreflightConfig) -> list[RuleResult]:
    """The visual rules as not run (no browser, a timeout, a rendering error)."""
    return [not_run(rule, reason) for rule in VISUAL_RULES
            if config.severity(rule, Severity.FAIL) is not None]


def blocked_summary(measurements: Sequence[Measurement]) -> str | None:
    """What the rendering refused to load, e.g. "12 images, 1 stylesheet blocked"."""
    if not measurements:
        return None
    last = max(measurements, key=lambda m: m.blocked_total)
    if not last.blocked_total:
        return None
    counts: dict[str, int] = {}
    for item in last.blocked:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    parts = [f"{n} {kind if n == 1 else _plural(kind)}"
             for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    unlisted = last.blocked_total - len(last.blocked)
    if unlisted <= 0:
        return f"{', '.join(parts)} blocked"
    return f"{', '.join(parts)} and {unlisted} more blocked ({last.blocked_total} in all)"


def _plural(kind: str) -> str:
    return kind if kind.endswith("s") or kind == "other" else kind + "s"
