"""Pre-flight on the 42 real templates: findings per rule, the visual rules against hand labels,
and the time of a run with every check.

    .venv/bin/python benchmarks/preflight/corpus.py [--templates DIR] [--no-visual] [--no-spam]
        [--screenshots DIR] [--today YYYY-MM-DD] [--disagreements]

What it does, in one run:

1. Reads each template listed in tests/data/preflight/corpus.yaml from `--templates` (default
   ../shared/data/email-templates beside the repository) as an artifact with that file's
   campaign metadata (message type and campaign type, written by reading each template), so
   the marketing-only rules are not judged on receipts. The templates carry no subject, From
   or headers, so the rules that read those report what is missing on every template. Every
   artifact gets the audience of tests/data/preflight/good.yaml, so the audience rules run.
2. Starts one warm Chromium (`learnloop.checks.browser.Renderer`) and one spamd (`open_spamd`)
   and runs `run_preflight` on every template with both, as `learnloop preflight` does. A
   checker that is missing is reported and its rules are not run; the rest still run.
3. Prints, per rule, how many templates fail, warn, only get a tip, pass, are not applicable
   or not run; then precision and recall of T1, T3 and T4 per width and overall against the
   hand labels in tests/data/preflight/visual-labels.yaml (the tool "flags" a rule at a width
   when it has a fail or warning finding at that width; tips do not count), with the
   disagreements listed; then the wall time of the whole run and per template (p50, p95,
   max), split into the visual checks, the spam check, and everything else (reading the
   HTML, merge tags, static and audience rules).

No target is asserted: it exits non-zero only when the templates or the labels cannot be read.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from learnloop.artifacts.reader import decode
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.catalogue import RULES
from learnloop.domain.preflight.checkers import CheckFailed, Renderer, SpamChecker
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import Outcome, Severity
from learnloop.domain.preflight.reading import artifact_from_data
from learnloop.domain.preflight.report import Report
from learnloop.domain.preflight.spam import SpamReport
from learnloop.domain.preflight.visual import Measurement
from learnloop.services.preflight import Checkers, run_preflight

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "preflight"
CORPUS = DATA / "corpus.yaml"
LABELS = DATA / "visual-labels.yaml"
AUDIENCE_FROM = DATA / "good.yaml"
TEMPLATES = REPO.parent / "shared" / "data" / "email-templates"
VISUAL = ("T1", "T3", "T4")
FLAGGING = (Severity.FAIL, Severity.WARN)


def say(text: str = "") -> None:
    print(text, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q from 0 to 100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def table(header: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> None:
    """A plain text table: the first `left` columns left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        say("  ".join(c.ljust(w) if i < left else c.rjust(w)
                      for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            say("  ".join("-" * w for w in widths))


# The corpus --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    path: str  # relative to the templates folder, as in MANIFEST.md
    artifact: Artifact
    size: int  # bytes of HTML


def load_corpus(templates: Path, *, audience: bool = True) -> list[Template]:
    """Every template of corpus.yaml as an artifact with its campaign metadata (and the
    audience of good.yaml when `audience`)."""
    if not templates.is_dir():
        raise SystemExit(f"no templates at {templates}: pass --templates DIR "
                         "(the folder with MANIFEST.md)")
    entries: dict[str, dict[str, Any]] = yaml.safe_load(CORPUS.read_text("utf-8"))["templates"]
    shared_audience = (yaml.safe_load(AUDIENCE_FROM.read_text("utf-8"))["audience"]
                       if audience else None)
    out = []
    for rel, meta in entries.items():
        raw = (templates / rel).read_bytes()
        campaign = {k: v for k, v in meta.items() if k in ("message_type", "campaign_type")}
        data: dict[str, Any] = {"campaign": campaign}
        if shared_audience is not None:
            data["audience"] = shared_audience
        out.append(Template(rel, artifact_from_data(data, rel, html=decode(raw, rel)),
                            len(raw)))
    return out


def slug(path: str) -> str:
    return path.removesuffix(".html").replace("/", "__")


# Timed checkers ----------------------------------------------------------------------------


class TimedRenderer:
    """A renderer that adds up the time of its calls."""

    def __init__(self, inner: Renderer) -> None:
        self.inner = inner
        self.spent = 0.0

    def measure(self, html: str, widths: Sequence[int],
                budget_s: float) -> tuple[Measurement, ...]:
        began = time.perf_counter()
        try:
            return self.inner.measure(html, widths, budget_s)
        finally:
            self.spent += time.perf_counter() - began


class TimedSpam:
    """A spam checker that adds up the time of its calls."""

    def __init__(self, inner: SpamChecker) -> None:
        self.inner = inner
        self.spent = 0.0

    def check(self, message: bytes, budget_s: float) -> SpamReport:
        began = time.perf_counter()
        try:
            return self.inner.check(message, budget_s)
        finally:
            self.spent += time.perf_counter() - began


@contextmanager
def checkers(visual: bool, spam: bool) -> Iterator[tuple[Checkers, dict[str, float]]]:
    """The outside checkers, started once, and how long each took to start."""
    from learnloop.checks.browser import Renderer as Chromium
    from learnloop.checks.spamd import open_spamd

    started: dict[str, float] = {}
    with ExitStack() as stack:
        renderer = None
        renderer_missing = "turned off with --no-visual"
        if visual:
            candidate = Chromium()
            began = time.perf_counter()
            try:
                candidate.start()
            except CheckFailed as exc:
                renderer_missing = exc.reason
                say(f"visual checks: NOT RUN: {exc.reason}")
            else:
                started["browser launch"] = time.perf_counter() - began
                renderer = stack.enter_context(candidate)
        spam_checker = None
        spam_missing = "turned off with --no-spam"
        if spam:
            began = time.perf_counter()
            try:
                spamd = open_spamd()
            except CheckFailed as exc:
                spam_missing = exc.reason
                say(f"spam check: NOT RUN: {exc.reason}")
            else:
                started["spamd start"] = time.perf_counter() - began
                stack.callback(spamd.close)
                spam_checker = spamd
        yield (Checkers(TimedRenderer(renderer) if renderer else None, renderer_missing,
                        TimedSpam(spam_checker) if spam_checker else None, spam_missing),
               started)


# Findings per rule ------------------------------------------------------------------------


def findings_table(reports: Sequence[Report]) -> None:
    """Per rule: templates that fail, warn, pass with only tips, pass clean, are not applicable,
    or were not run."""
    rows = []
    for rule in RULES:
        counts: Counter[str] = Counter()
        for report in reports:
            result = report.result(rule.id)
            if result is None:
                counts["absent"] += 1
            elif result.outcome is Outcome.PASSED:
                counts["tip" if result.findings else "passed"] += 1
            else:
                counts[result.outcome.value] += 1
        rows.append((rule.id, rule.title[:44], rule.kind, counts["failed"], counts["warned"],
                     counts["tip"], counts["passed"], counts["not_applicable"],
                     counts["not_run"]))
    table(("rule", "title", "kind", "fail", "warn", "tip", "pass", "n/a", "not run"), rows,
          left=3)


# Visual rules against the labels ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    width: int
    rule: str
    label: bool
    flagged: bool
    note: str
    evidence: str  # the tool's first flagging finding at that width, or ""


def load_labels() -> dict[str, dict[int, dict[str, Any]]]:
    labels: dict[str, dict[int, dict[str, Any]]] = yaml.safe_load(
        LABELS.read_text("utf-8"))["labels"]
    return labels


def calls(templates: Sequence[Template], reports: Sequence[Report],
          labels: dict[str, dict[int, dict[str, Any]]], widths: Sequence[int]) -> list[Call]:
    out = []
    for template, report in zip(templates, reports, strict=True):
        for rule in VISUAL:
            result = report.result(rule)
            if result is None or result.outcome in (Outcome.NOT_RUN, Outcome.NOT_APPLICABLE):
                continue
            for width in widths:
                label = labels.get(template.path, {}).get(width)
                if label is None:
                    continue
                hits = [f for f in result.findings
                        if f.width == width and f.severity in FLAGGING]
                evidence = ""
                if hits:
                    first = hits[0]
                    evidence = first.message + (f" [{first.evidence}]" if first.evidence else "")
                out.append(Call(template.path, width, rule, bool(label[rule]), bool(hits),
                                str(label.get("note", "")), evidence))
    return out


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def score_table(scored: Sequence[Call], widths: Sequence[int]) -> None:
    rows = []
    for rule in VISUAL:
        for width in (*widths, None):
            group = [c for c in scored if c.rule == rule and (width is None or c.width == width)]
            if not group:
                continue
            tp = sum(c.label and c.flagged for c in group)
            fp = sum(c.flagged and not c.label for c in group)
            fn = sum(c.label and not c.flagged for c in group)
            tn = len(group) - tp - fp - fn
            rows.append((rule, "all" if width is None else width, tp + fn, tp + fp, tp, fp, fn,
                         tn, _ratio(tp, tp + fp), _ratio(tp, tp + fn)))
    table(("rule", "width", "labelled yes", "tool flags", "TP", "FP", "FN", "TN",
           "precision", "recall"), rows, left=2)


def disagreements(scored: Sequence[Call]) -> None:
    wrong = [c for c in scored if c.label != c.flagged]
    if not wrong:
        say("none")
    for c in sorted(wrong, key=lambda c: (c.rule, c.flagged, c.path, c.width)):
        kind = "FP" if c.flagged else "FN"
        say(f"{c.rule} {kind} {c.width}  {c.path}")
        if c.evidence:
            say(f"    tool:  {c.evidence[:220]}")
        say(f"    label: {c.note[:220]}")


# Main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, default=TEMPLATES,
                        help="the folder with MANIFEST.md and the templates")
    parser.add_argument("--no-visual", action="store_true", help="skip the Chromium checks")
    parser.add_argument("--no-spam", action="store_true", help="skip the SpamAssassin check")
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="save each template's screenshots here (e.g. var/preflight-shots)")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day to check as of (default: today)")
    parser.add_argument("--disagreements", action=argparse.BooleanOptionalAction, default=True,
                        help="list every template and width where the tool and a label differ")
    args = parser.parse_args()
    today: date = args.today or datetime.now(UTC).date()
    config = PreflightConfig()
    templates = load_corpus(args.templates)
    labels = load_labels()
    total_kb = sum(t.size for t in templates) / 1024
    say(f"{len(templates)} templates ({total_kb:,.0f} KB of HTML) from {args.templates}")
    say(f"metadata: {CORPUS.relative_to(REPO)}; audience of every artifact: the one in "
        f"{AUDIENCE_FROM.relative_to(REPO)}; widths {list(config.widths)}; as of {today}")
    reports: list[Report] = []
    times: list[float] = []
    visual_s: list[float] = []
    spam_s: list[float] = []
    began_all = time.perf_counter()
    with checkers(not args.no_visual, not args.no_spam) as (chk, started):
        ready = time.perf_counter()
        for template in templates:
            before_v = chk.renderer.spent if isinstance(chk.renderer, TimedRenderer) else 0.0
            before_s = chk.spam.spent if isinstance(chk.spam, TimedSpam) else 0.0
            began = time.perf_counter()
            report = run_preflight(template.artifact, config, chk, today)
            times.append(time.perf_counter() - began)
            visual_s.append((chk.renderer.spent if isinstance(chk.renderer, TimedRenderer)
                             else 0.0) - before_v)
            spam_s.append((chk.spam.spent if isinstance(chk.spam, TimedSpam) else 0.0)
                          - before_s)
            reports.append(report)
            if args.screenshots is not None:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                for shot in report.screenshots:
                    (args.screenshots / f"{slug(template.path)}-{shot.width}.png").write_bytes(
                        shot.png)
        run_s = time.perf_counter() - ready
    wall_s = time.perf_counter() - began_all
    for note in sorted({n for r in reports for n in r.notes if "not run" in n.lower()}):
        say(f"note: {note}")

    say("\nFindings per rule (templates; 'tip': passed with coaching only)")
    findings_table(reports)

    say("\nVisual rules against the hand labels (tests/data/preflight/visual-labels.yaml)")
    scored = calls(templates, reports, labels, config.widths)
    if not scored:
        say("not scored: the visual checks did not run")
    else:
        score_table(scored, config.widths)
        if args.disagreements:
            say("\nWhere the tool and the labels disagree (FP: the tool flags, the label says "
                "no; FN: the other way)")
            disagreements(scored)

    say("\nTime (wall clock)")
    for name, seconds in started.items():
        say(f"{name}: {seconds:.2f} s")
    other = [t - v - s for t, v, s in zip(times, visual_s, spam_s, strict=True)]
    rows = []
    for name, values in (("every check", times), ("visual (Chromium)", visual_s),
                         ("spam (spamd)", spam_s), ("static + audience", other)):
        if not any(values):
            continue
        ms = [v * 1000 for v in values]
        rows.append((name, f"{sum(values):.2f}", f"{pct(ms, 50):.0f}", f"{pct(ms, 95):.0f}",
                     f"{max(ms):.0f}"))
    table(("per template", "total s", "p50 ms", "p95 ms", "max ms"), rows)
    say(f"all {len(templates)} templates, every check: {run_s:.2f} s "
        f"({wall_s:.2f} s with starting the checkers)")


if __name__ == "__main__":
    main()
