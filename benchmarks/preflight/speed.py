"""Pre-flight speed: the static checks per email and the visual checks per template and width,
each beside an anchor measured in the same run.

    .venv/bin/python benchmarks/preflight/speed.py [--templates DIR] [--repeat 20]
        [--visual-repeat 3] [--synthetic-kb 100] [--synthetic-from PATH] [--no-visual]

1. Static checks: `run_preflight` with no browser and no spamd (reading the HTML, merge tags,
   the merged preview, every static rule and the audience rules) on each of the 42 templates
   of tests/data/preflight/corpus.yaml, `--repeat` times after one warm-up pass, and on a
   synthetic email of about `--synthetic-kb` KB. The synthetic email is `--synthetic-from` (a
   real template) with the content of its <body> repeated, head and styles kept once, until
   the HTML is at least that size: the same links, merge tags, images and text, many times.
   Anchor: a bare parse of the same HTML string with selectolax's LexborHTMLParser (the
   parser the static checks use), timed the same way; the ratio says how many parses one
   pre-flight costs. Target (issue 5): p95 under 100 ms for a 100 KB email.
2. Visual checks, with a warm browser: `Renderer.measure(preview, [width])` on each
   template's merged preview at each width, `--visual-repeat` times after a warm-up, with the
   product's screenshot; also the product's own call (both widths in one `measure`), and the
   browser's launch time. Anchor: in a separate plain Playwright session of the same Chromium
   with the same flags (JavaScript off, every request refused), `page.set_content` of the
   same preview and a PNG screenshot of the same size, with nothing measured: what rendering
   and capturing alone cost. Target: under 400 ms per template and width.

It prints each figure with its ratio to the anchor and to the target; no target is asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from corpus import TEMPLATES, Template, load_corpus, pct, say, table
from selectolax.lexbor import LexborHTMLParser

from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.checkers import CheckFailed
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.services.preflight import Checkers, run_preflight

STATIC_TARGET_MS = 100.0
VISUAL_TARGET_MS = 400.0
SYNTHETIC_FROM = "mailchimp__email-blueprints/templates/fancy-1-2-3.html"
_BODY = re.compile(r"(<body[^>]*>)(.*)(</body>)", re.IGNORECASE | re.DOTALL)


def timed_ms(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def stats(values: Sequence[float]) -> tuple[str, str, str]:
    return f"{pct(values, 50):.1f}", f"{pct(values, 95):.1f}", f"{max(values):.1f}"


def synthetic(template: Template, kb: int) -> Template:
    """`template` with its <body> content repeated the number of times that brings the HTML
    closest to `kb` KB."""
    html = template.artifact.email.html or ""
    match = _BODY.search(html)
    if match is None:
        raise SystemExit(f"{template.path} has no <body> to repeat")
    head, inner, tail = html[:match.start(2)], match.group(2), html[match.end(2):]

    def size(copies: int) -> int:
        return len((head + inner * copies + tail).encode("utf-8"))

    copies = 1
    while size(copies) < kb * 1024:
        copies += 1
    if copies > 1 and kb * 1024 - size(copies - 1) < size(copies) - kb * 1024:
        copies -= 1
    big = head + inner * copies + tail
    email = replace(template.artifact.email, html=big)
    artifact = replace(template.artifact, email=email, source=f"{template.path} x{copies}")
    return Template(artifact.source, artifact, len(big.encode("utf-8")))


# Static -----------------------------------------------------------------------------------


def static_samples(artifact: Artifact, config: PreflightConfig, repeat: int,
                   ) -> tuple[list[float], list[float]]:
    """Milliseconds of `repeat` static pre-flights and of `repeat` bare parses, interleaved."""
    html = artifact.email.html or ""
    today = datetime.now(UTC).date()
    checks, parses = [], []
    for _ in range(repeat):
        checks.append(timed_ms(lambda: run_preflight(artifact, config, Checkers(), today)))
        parses.append(timed_ms(lambda: LexborHTMLParser(html)))
    return checks, parses


def static_part(templates: Sequence[Template], config: PreflightConfig, repeat: int,
                synthetic_email: Template) -> None:
    for t in templates:  # warm-up: imports, regex caches
        run_preflight(t.artifact, config, Checkers(), datetime.now(UTC).date())
    all_checks: list[float] = []
    all_parses: list[float] = []
    per_template: list[tuple[float, Template]] = []
    for t in templates:
        checks, parses = static_samples(t.artifact, config, repeat)
        all_checks += checks
        all_parses += parses
        per_template.append((pct(checks, 95), t))
    big_checks, big_parses = static_samples(synthetic_email.artifact, config, repeat)
    biggest = max(templates, key=lambda t: t.size)
    big_real_checks, big_real_parses = static_samples(biggest.artifact, config, repeat)
    say(f"\nStatic checks per email (ms; {repeat} runs each after a warm-up; anchor: "
        "LexborHTMLParser on the same HTML)")
    rows = []
    for name, checks, parses in (
            (f"42 templates ({len(all_checks)} runs)", all_checks, all_parses),
            (f"largest real: {biggest.size / 1024:.0f} KB", big_real_checks, big_real_parses),
            (f"synthetic: {synthetic_email.size / 1024:.0f} KB", big_checks, big_parses)):
        rows.append((name, *stats(checks), *stats(parses)[:2],
                     f"{pct(checks, 95) / pct(parses, 95):.1f}",
                     f"{pct(checks, 95) / STATIC_TARGET_MS:.2f}"))
    table(("emails", "p50", "p95", "max", "parse p50", "parse p95", "p95 / parse",
           "p95 / target"), rows)
    say(f"largest real template: {biggest.path}")
    say(f"synthetic email: {synthetic_email.path} (the <body> content repeated)")
    say("slowest templates by p95:")
    for p95, t in sorted(per_template, key=lambda x: x[0], reverse=True)[:3]:
        say(f"  {p95:5.1f} ms  {t.size / 1024:3.0f} KB  {t.path}")
    total_checks = sum(all_checks)
    say(f"all runs: static checks {total_checks / 1000:.2f} s, bare parses "
        f"{sum(all_parses) / 1000:.2f} s (ratio {total_checks / sum(all_parses):.1f})")


# Visual -----------------------------------------------------------------------------------


class BareChromium:
    """The anchor: the same Chromium and flags in a plain Playwright session, rendering with
    `set_content` and taking the screenshot, measuring nothing."""

    def __init__(self, executable: str, flags: Sequence[str], max_height: int) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        playwright = self._manager.start()
        self._browser = playwright.chromium.launch(executable_path=executable,
                                                   args=list(flags))
        context = self._browser.new_context(java_script_enabled=False,
                                            viewport={"width": 375, "height": 800},
                                            device_scale_factor=1)
        context.route("**/*", lambda route: route.abort("blockedbyclient"))
        self._page = context.new_page()
        self._max_height = max_height

    def render(self, html: str, width: int) -> None:
        page = self._page
        page.set_viewport_size({"width": width, "height": 800})
        page.set_content(html, wait_until="load")
        height = int(page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(type="png", full_page=True, animations="disabled", caret="hide",
                        clip={"x": 0, "y": 0, "width": width,
                              "height": max(1, min(height, self._max_height))})

    def close(self) -> None:
        self._browser.close()
        self._manager.__exit__(None, None, None)


def visual_part(templates: Sequence[Template], config: PreflightConfig, repeat: int) -> None:
    from learnloop.checks.browser import FLAGS, Renderer, find_chromium

    today = datetime.now(UTC).date()
    previews = [(t, run_preflight(t.artifact, config, Checkers(), today).preview or "")
                for t in templates]
    renderer = Renderer()
    began = time.perf_counter()
    try:
        renderer.start()
    except CheckFailed as exc:
        say(f"\nVisual checks: NOT RUN: {exc.reason}")
        return
    launch_s = time.perf_counter() - began
    widths = tuple(config.widths)
    per_width: dict[int, list[float]] = {w: [] for w in widths}
    product: list[float] = []
    try:
        renderer.measure(previews[0][1], widths, 20.0)  # warm-up
        for _, html in previews:
            for _ in range(repeat):
                for width in widths:
                    per_width[width].append(
                        timed_ms(partial(renderer.measure, html, (width,), 20.0)))
                product.append(timed_ms(partial(renderer.measure, html, widths, 20.0)))
    finally:
        renderer.close()
    executable = find_chromium()
    assert executable is not None
    bare = BareChromium(executable, FLAGS, renderer.max_screenshot_height)
    anchor: dict[int, list[float]] = {w: [] for w in widths}
    try:
        bare.render(previews[0][1], widths[0])  # warm-up
        for _, html in previews:
            for _ in range(repeat):
                for width in widths:
                    anchor[width].append(timed_ms(partial(bare.render, html, width)))
    finally:
        bare.close()
    say(f"\nVisual checks with a warm browser (ms per template and width; {len(templates)} "
        f"templates x {repeat} runs after a warm-up; anchor: set_content + screenshot, "
        "nothing measured)")
    say(f"browser launch: {launch_s * 1000:.0f} ms wall "
        f"({(renderer.launch_s or 0) * 1000:.0f} ms of it launching Chromium and its first tab)")
    rows = []
    for shown in (*widths, None):
        ours = [v for w in widths for v in per_width[w]] if shown is None else per_width[shown]
        base = [v for w in widths for v in anchor[w]] if shown is None else anchor[shown]
        rows.append(("all" if shown is None else shown, *stats(ours), *stats(base)[:2],
                     f"{statistics.median(ours) / statistics.median(base):.2f}",
                     f"{pct(ours, 95) / pct(base, 95):.2f}",
                     f"{pct(ours, 95) / VISUAL_TARGET_MS:.2f}"))
    table(("width", "p50", "p95", "max", "anchor p50", "anchor p95", "p50 / anchor",
           "p95 / anchor", "p95 / target"), rows)
    say(f"one pre-flight's visual call (both widths, one page load): p50 {pct(product, 50):.0f}"
        f" ms, p95 {pct(product, 95):.0f} ms, max {max(product):.0f} ms per template")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, default=TEMPLATES)
    parser.add_argument("--repeat", type=int, default=20, help="static runs per email")
    parser.add_argument("--visual-repeat", type=int, default=3,
                        help="visual runs per template and width")
    parser.add_argument("--synthetic-kb", type=int, default=100)
    parser.add_argument("--synthetic-from", default=SYNTHETIC_FROM,
                        help="the template whose body is repeated (path as in corpus.yaml)")
    parser.add_argument("--no-visual", action="store_true")
    args = parser.parse_args()
    config = PreflightConfig()
    templates = load_corpus(args.templates)
    source = next((t for t in templates if t.path == args.synthetic_from), None)
    if source is None:
        raise SystemExit(f"--synthetic-from {args.synthetic_from!r} is not in corpus.yaml")
    say(f"{len(templates)} templates from {args.templates}; widths {list(config.widths)}")
    static_part(templates, config, args.repeat, synthetic(source, args.synthetic_kb))
    if not args.no_visual:
        visual_part(templates, config, args.visual_repeat)


if __name__ == "__main__":
    main()
