"""Run a pre-flight: every rule on one artifact, with the outside checkers that are available.

The checks run in a fixed order: read the HTML, find and fill in the merge tags, run the static
rules on the source, the visual rules on the merged preview in a browser, the spam rules on the
MIME draft, and the audience rules on the segment. A checker that is missing or fails marks its
rules "not run" with the reason; it never lets them pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from learnloop.domain.preflight import mime
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.catalogue import RULES
from learnloop.domain.preflight.checkers import CheckFailed, Renderer, SpamChecker
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import RuleResult, Screenshot, not_run
from learnloop.domain.preflight.merge_tags import (
    DEFAULT_SAMPLE,
    PREVIEW_HOST,
    MergeTag,
    dialects,
    find_tags,
    render,
)
from learnloop.domain.preflight.page import read_page
from learnloop.domain.preflight.report import Report, ordered
from learnloop.domain.preflight.segments import judge_audience
from learnloop.domain.preflight.spam import judge
from learnloop.domain.preflight.static import static_results
from learnloop.domain.preflight.visual import blocked_summary, judge_visual

VISUAL_RULES = tuple(r for r in RULES if r.kind == "visual")


@dataclass(frozen=True, slots=True)
class Checkers:
    """The outside checkers of this run, and why each missing one is missing."""

    renderer: Renderer | None = None
    renderer_missing: str = "the visual checks were not asked for"
    spam: SpamChecker | None = None
    spam_missing: str = "the spam check was not asked for"
    visual_budget_s: float = 20.0
    spam_budget_s: float = 15.0


_CLOSERS = frozenset({"if", "else", "endif", "end", "each", "unless", "for", "endfor", "with",
                      "elif", "elseif", "endunless", "endwith"})


def sample_for(artifact: Artifact, tags: list[MergeTag]) -> Mapping[str, str]:
    """The preview's sample contact: the artifact's own sample over the default one, the
    subject and preheader for the tags that show them, a made-up value for every other field
    a tag names (loop items included), and every field a section depends on set, so that the
    preview shows the whole email and has no raw tags unless one is broken."""
    sample: dict[str, str] = {}
    for tag in tags:
        last = tag.name.rsplit(".", 1)[-1]
        if tag.kind == "variable":
            looks_like_link = last.lower().endswith(("url", "link", "href"))
            sample[last] = (f"{PREVIEW_HOST}/{last}" if looks_like_link
                            else last.replace("_", " ").strip().capitalize() or "Sample")
        elif tag.kind == "block" and last.isidentifier() and last.lower() not in _CLOSERS:
            # A section shown only when a field is set: show it, as most recipients see it.
            sample.setdefault(last, "yes")
    sample.update(DEFAULT_SAMPLE)
    email = artifact.email
    if email.subject:
        sample["subject"] = email.subject
    if email.preheader:
        sample["preheader"] = email.preheader
    sample.update(artifact.sample)
    return sample


def run_preflight(artifact: Artifact, config: PreflightConfig, checkers: Checkers,
                  today: date) -> Report:
    """Every rule's result for `artifact`, checked as of `today` (the audience's relative
    dates, the current-year merge tag)."""
    email = artifact.email
    html = email.html if email.html is not None else ""
    page = read_page(html) if html else read_page(f"<html><body><pre>{_escape(email.text)}"
                                                  "</pre></body></html>")
    tags = find_tags(html) if html else []
    for extra in (email.subject, email.preheader, email.text):
        if extra:
            tags.extend(t for t in find_tags(extra) if t.needs_fallback)
    rendered = render(html, sample_for(artifact, tags), year=today.year) if html else None
    results: list[RuleResult] = static_results(
        artifact, page, tags, rendered.unresolved if rendered else (), config)
    notes: list[str] = [f"{p.field or p.where}: {p.message}" for p in artifact.warnings]
    blocked: str | None = None
    screenshots: tuple[Screenshot, ...] = ()
    visual_rules = [r.id for r in VISUAL_RULES if config.severity(r.id, r.severity)]
    if visual_rules:
        reason = None
        if rendered is None:
            reason = "the email has no HTML part to render"
        elif checkers.renderer is None:
            reason = checkers.renderer_missing
        else:
            try:
                measured = checkers.renderer.measure(rendered.text, config.widths,
                                                     checkers.visual_budget_s)
            except CheckFailed as exc:
                reason = exc.reason
            else:
                results.extend(judge_visual(measured, config))
                blocked = blocked_summary(measured)
                screenshots = tuple(m.screenshot for m in measured if m.screenshot is not None)
        if reason is not None:
            results.extend(not_run(rule, reason) for rule in visual_rules)
            notes.append(f"Visual checks not run: {reason}.")
    report = None
    spam_reason = checkers.spam_missing
    if checkers.spam is not None:
        try:
            report = checkers.spam.check(mime.draft(email), checkers.spam_budget_s)
        except CheckFailed as exc:
            spam_reason = exc.reason
    spam_result = judge(report, config, spam_reason)
    if spam_result is not None:
        results.append(spam_result)
        if report is None:
            notes.append(f"Spam check not run: {spam_reason}.")
    results.extend(judge_audience(artifact.audience, artifact.campaign.message_type, config,
                                  artifact.campaign.send_date or today))
    return Report(artifact.source, ordered(results), tuple(d.value for d in dialects(tags)),
                  screenshots, rendered.text if rendered else None, tuple(notes), blocked)


def _escape(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
