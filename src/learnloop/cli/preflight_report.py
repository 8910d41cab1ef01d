"""The pre-flight report as a person reads it in a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from learnloop.domain.content.model import Pack
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.coaching import coaching_for
from learnloop.domain.preflight.findings import Outcome, RuleResult
from learnloop.domain.preflight.report import Report

LABEL = {"fail": "[bold white on red] FAIL [/]", "warn": "[bold black on yellow] WARN [/]",
         "coach": "[bold white on blue] TIP  [/]"}
MAX_FINDINGS = 8


def _header(console: Console, report: Report, meta: str) -> None:
    verdict = "[bold red]BLOCKED[/]" if report.blocked else "[bold green]READY[/]"
    counts = report.findings_by_severity()
    console.print(f"\n[bold]{escape(report.source)}[/]  {verdict}  "
                  f"{counts['fail']} fail, {counts['warn']} warn, {counts['coach']} tips"
                  + (f"  [dim]{escape(meta)}[/]" if meta else ""), soft_wrap=True)


def _result(console: Console, result: RuleResult, pack: Pack | None, verbose: bool) -> None:
    rule = BY_ID[result.rule]
    severity = result.severity.value if result.severity else "coach"
    coaching = coaching_for(result.rule, pack)
    console.print(f"{LABEL[severity]} [bold]{rule.id}[/] {escape(rule.title)} "
                  f"[dim]({escape(coaching.skill)})[/]", soft_wrap=True)
    for finding in result.findings[:MAX_FINDINGS]:
        where = f"[cyan]{escape(finding.where)}[/]: " if finding.where else ""
        width = f" [dim]at {finding.width} px[/]" if finding.width else ""
        mark = "" if finding.severity.value == severity else f"[dim]{finding.severity.value}[/] "
        console.print(f"       {mark}{where}{escape(finding.message)}{width}", soft_wrap=True)
    if len(result.findings) > MAX_FINDINGS:
        console.print(f"       [dim]... and {len(result.findings) - MAX_FINDINGS} more[/]")
    if verbose or severity != "coach":
        console.print(f"       [dim]Why:[/] {escape(rule.why)}", soft_wrap=True)
        console.print(f"       [dim]Fix:[/] {escape(rule.fix)}", soft_wrap=True)
    if coaching.lesson:
        console.print(f"       [dim]Lesson:[/] {escape(coaching.lesson_title or '')} "
                      f"[dim]({coaching.minutes} min, {escape(coaching.lesson)})[/]",
                      soft_wrap=True)


def print_report(console: Console, report: Report, pack: Pack | None, *, meta: str = "",
                 verbose: bool = False) -> None:
    _header(console, report, meta)
    ranked = sorted((r for r in report.results if r.findings),
                    key=lambda r: (r.severity.rank if r.severity else 3))
    for result in ranked:
        _result(console, result, pack, verbose)
    not_run = [r for r in report.results if r.outcome is Outcome.NOT_RUN]
    checkers = [r for r in not_run if BY_ID[r.rule].kind != "outside"]
    outside = [r for r in not_run if BY_ID[r.rule].kind == "outside"]
    if checkers:
        console.print("[bold]Not run[/] (nothing passed by default):")
        for result in checkers:
            console.print(f"       {result.rule} {escape(BY_ID[result.rule].title)}: "
                          f"[dim]{escape(result.reason or '')}[/]", soft_wrap=True)
    if outside:
        console.print("[bold]Check yourself[/] (pre-flight cannot see these):")
        for result in outside:
            console.print(f"       {result.rule} {escape(BY_ID[result.rule].title)}: "
                          f"[dim]{escape(result.reason or '')}[/]", soft_wrap=True)
    for note in report.notes:
        console.print(f"[yellow]Note:[/] {escape(note)}", soft_wrap=True)
    passed = [r.rule for r in report.results if r.outcome is Outcome.PASSED]
    skipped = [r.rule for r in report.results if r.outcome is Outcome.NOT_APPLICABLE]
    console.print(f"[green]Passed[/] {len(passed)}: {' '.join(passed)}" if passed else
                  "[dim]Nothing passed.[/]", soft_wrap=True)
    if skipped:
        console.print(f"[dim]Not applicable {len(skipped)}: {' '.join(skipped)}[/]",
                      soft_wrap=True)
