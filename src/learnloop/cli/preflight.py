"""`learnloop preflight PATH...`: check campaigns before they launch.

Exit codes for pipelines: 0 every campaign is ready (warnings allowed unless `--strict`);
6 at least one is blocked by a failed check; 1 a file could not be read (the others are still
checked and reported); 2 a usage error.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import yaml
from rich.markup import escape

from learnloop.artifacts.reader import KINDS, read_artifact, sidecar_for
from learnloop.cli.output import (
    EXIT_BLOCKED,
    EXIT_INVALID,
    EXIT_OK,
    console,
    errors,
    handled,
    progress,
    show_problems,
)
from learnloop.cli.preflight_report import print_report
from learnloop.cli.runtime import DB_OPTION, ORG_OPTION
from learnloop.domain.content.model import Pack
from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.checkers import CheckFailed, SpamChecker
from learnloop.domain.preflight.config import PreflightConfig, config_from_data
from learnloop.domain.preflight.export import FORMAT, report_data
from learnloop.domain.preflight.report import Report
from learnloop.domain.problems import Problem
from learnloop.services.preflight import Checkers, run_preflight


def _files(paths: tuple[Path, ...]) -> Iterator[Path]:
    """The artifacts named, and those inside named folders (sidecars left out)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in KINDS)
        names = {p for p in found if p.suffix.lower() in (".html", ".htm", ".eml")}
        sidecars = {sidecar_for(p) for p in names}
        yield from (p for p in found if p not in sidecars)


def _config(path: Path | None) -> PreflightConfig:
    if path is None:
        return PreflightConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput([Problem(str(path), f"cannot read the settings: {exc}")]) from None
    return config_from_data(data, str(path))


def _pack(path: Path | None) -> Pack | None:
    from learnloop.demo import DEMO_PACK
    from learnloop.packs import read_pack

    reading = read_pack(path or DEMO_PACK)
    if reading.pack is None or any(p.is_error for p in reading.problems):
        show_problems([p for p in reading.problems if p.is_error][:20])
        raise click.UsageError(f"the content pack at {path or DEMO_PACK} has problems")
    return reading.pack


def _checkers(stack: ExitStack, visual: bool, spam: bool) -> Checkers:
    from learnloop.checks.browser import Renderer
    from learnloop.checks.spamd import open_spamd

    renderer = None
    renderer_missing = "turned off with --no-visual"
    if visual:
        candidate = Renderer()
        try:
            candidate.start()
        except CheckFailed as exc:
            renderer_missing = exc.reason
        else:
            renderer = stack.enter_context(candidate)
    spam_checker: SpamChecker | None = None
    spam_missing = "turned off with --no-spam"
    if spam:
        try:
            spamd = open_spamd()
        except CheckFailed as exc:
            spam_missing = exc.reason
        else:
            stack.callback(spamd.close)
            spam_checker = spamd
    return Checkers(renderer, renderer_missing, spam_checker, spam_missing)


def _meta(campaign: Any) -> str:
    parts = [campaign.message_type.value if campaign.message_type else "type not set",
             campaign.campaign_type, campaign.name]
    return " · ".join(p for p in parts if p)


class _Recorder:
    """Runs kept in the database: each in its own transaction, as the operator."""

    def __init__(self, database_url: str | None, org_slug: str | None) -> None:
        from learnloop.cli.runtime import Runtime, pick_organisation
        from learnloop.packs.cache import PackCache
        from learnloop.services.preflight_runs import coaching_pack
        from learnloop.store.unit import transaction

        self.runtime = Runtime.start(database_url)
        self.cache = PackCache()
        with handled(), transaction(self.runtime.sessions) as repos:
            self.org = pick_organisation(repos, org_slug)
            loaded = coaching_pack(repos, self.cache.loader(repos.content), self.org.id)
        self.pack = loaded.pack if loaded else None

    def submit(self, artifact: Artifact, checkers: Checkers) -> Report:
        from learnloop.services.preflight_runs import submit
        from learnloop.store.unit import transaction

        with handled(), transaction(self.runtime.sessions) as repos:
            done = submit(repos, self.cache.loader(repos.content), self.org, None, None,
                          artifact, checkers, datetime.now(UTC), lambda: str(uuid.uuid4()))
        if done.author is None:
            errors.print(f"[yellow]warning[/yellow] {escape(artifact.source)}: kept, but as "
                         "nobody's evidence: set campaign.owner to a member's email",
                         soft_wrap=True)
        else:
            errors.print(f"recorded {escape(artifact.source)} for {escape(done.author.email)} "
                         f"(attempt {done.run.attempt}, run {done.run.id})", soft_wrap=True)
        return done.report

    def close(self) -> None:
        self.runtime.close()


@click.command("preflight")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="The organisation's pre-flight settings (YAML or JSON).")
@click.option("--pack", "pack_path", type=click.Path(exists=True, file_okay=False,
              path_type=Path), help="The content pack whose lessons coach each rule "
              "(default: the demo pack).")
@click.option("--no-visual", is_flag=True, help="Skip the checks that need Chromium.")
@click.option("--no-spam", is_flag=True, help="Skip the SpamAssassin check.")
@click.option("--screenshots", "shots", type=click.Path(file_okay=False, path_type=Path),
              help="Save each width's screenshot of the merged preview in this folder.")
@click.option("--strict", is_flag=True, help="Exit 6 on warnings too.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day to check as of (default: today).")
@click.option("--verbose", "-v", is_flag=True, help="Explain tips too.")
@click.option("--record", is_flag=True, help="Keep each run in the database as evidence about "
              "the campaign's owner, with the organisation's settings and pack.")
@ORG_OPTION
@DB_OPTION
def preflight_command(paths: tuple[Path, ...], as_json: bool, config_path: Path | None,
                      pack_path: Path | None, no_visual: bool, no_spam: bool, shots: Path | None,
                      strict: bool, today: datetime | None, verbose: bool, record: bool,
                      org_slug: str | None, database_url: str | None) -> None:
    """Check campaign emails before they launch: .html (with a .yaml sidecar), .eml or .json.

    Without --record nothing is stored and no database is needed."""
    if record and (config_path or pack_path or today):
        raise click.UsageError("--record uses the organisation's own settings, pack and "
                               "clock; leave out --config, --pack and --today")
    try:
        config = _config(config_path)
    except InvalidInput as exc:
        show_problems(exc.problems)
        sys.exit(EXIT_INVALID)
    recorder = _Recorder(database_url, org_slug) if record else None
    pack = recorder.pack if recorder else _pack(pack_path)
    day: date = today.date() if today else datetime.now(UTC).date()
    files = list(_files(paths))
    unreadable = 0
    blocked = 0
    warned = 0
    out: list[dict[str, Any]] = []
    with ExitStack() as stack:
        checkers = _checkers(stack, not no_visual, not no_spam)
        bar = stack.enter_context(progress())
        task = bar.add_task("Checking", total=len(files))
        for path in files:
            bar.update(task, description=f"Checking {path.name}")
            try:
                artifact = read_artifact(path)
            except InvalidInput as exc:
                unreadable += 1
                show_problems(exc.problems)
                out.append({"source": str(path), "verdict": "unreadable",
                            "problems": [{"field": p.field, "message": p.message,
                                          "line": p.line} for p in exc.problems]})
                bar.advance(task)
                continue
            if recorder is not None:
                report = recorder.submit(artifact, checkers)
            else:
                report = run_preflight(artifact, config, checkers, day)
            blocked += report.blocked
            warned += bool(report.warned)
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                for shot in report.screenshots:
                    (shots / f"{path.stem}-{shot.width}.png").write_bytes(shot.png)
            if as_json:
                out.append(report_data(report, pack))
            else:
                print_report(console, report, pack, meta=_meta(artifact.campaign),
                             verbose=verbose)
            bar.advance(task)
    if recorder is not None:
        recorder.close()
    if as_json:
        click.echo(json.dumps({"format": FORMAT, "reports": out}, indent=2))
    elif len(files) > 1:
        errors.print(f"\n{len(files)} checked: {blocked} blocked, "
                     f"{len(files) - blocked - unreadable} ready, {unreadable} unreadable")
    if unreadable:
        sys.exit(EXIT_INVALID)
    if blocked or (strict and warned):
        sys.exit(EXIT_BLOCKED)
    sys.exit(EXIT_OK)
