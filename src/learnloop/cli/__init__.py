"""The `learnloop` command. Each command builds what it needs and owns its transaction."""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import Progress

from learnloop import __version__
from learnloop.cli.output import (
    EXIT_ENVIRONMENT,
    EXIT_INVALID,
    console,
    errors,
    fail,
    handled,
    progress,
    show_problems,
)
from learnloop.cli.runtime import (
    DB_OPTION,
    ORG_OPTION,
    Runtime,
    new_token,
    pick_organisation,
    utc_now,
)
from learnloop.domain.content.validation import is_slug
from learnloop.domain.errors import InvalidInput, LearnloopError, NotFound
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.people import Organisation, Person, timezone_problem
from learnloop.domain.problems import Problem, errors_in
from learnloop.packs import read_pack
from learnloop.packs.cache import PackCache
from learnloop.services import auth, content, people
from learnloop.settings import load_settings
from learnloop.store import migrate
from learnloop.store.unit import Repos, transaction


def _runtime(database_url: str | None, *, migrate_now: bool | None = None) -> Runtime:
    try:
        return Runtime.start(database_url, migrate_now=migrate_now)
    except InvalidInput as exc:
        show_problems(exc.problems)
        fail("invalid settings", EXIT_ENVIRONMENT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="learnloop")
def main() -> None:
    """learnloop: team training as a measured loop."""


# -- db ------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@DB_OPTION
def db_upgrade(database_url: str | None) -> None:
    """Migrate the database to the latest schema."""
    with handled():
        rt = _runtime(database_url, migrate_now=False)
        before = migrate.current_revision(rt.engine)
        migrate.upgrade(rt.engine)
        after = migrate.current_revision(rt.engine)
        console.print(f"database at revision {after}"
                      + ("" if before == after else f" (was {before or 'empty'})"))
        rt.close()


@db.command("current")
@DB_OPTION
def db_current(database_url: str | None) -> None:
    """Show the schema revision; exit 3 when the database is behind."""
    with handled():
        rt = _runtime(database_url, migrate_now=False)
        current, head = migrate.current_revision(rt.engine), migrate.head_revision()
        console.print(f"current {current or 'empty'}, latest {head}")
        rt.close()
        if current != head:
            fail("the database is behind; run `learnloop db upgrade`", EXIT_ENVIRONMENT)


# -- org -----------------------------------------------------------------------------------
@main.group()
def org() -> None:
    """Organisations."""


@org.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--timezone", default=None,
              help="Default time zone for new people (default: LEARNLOOP_DEFAULT_TIMEZONE).")
@DB_OPTION
def org_create(slug: str, name: str, timezone: str | None, database_url: str | None) -> None:
    """Create an organisation."""
    problems = []
    if timezone is None:
        try:
            timezone = load_settings().default_timezone
        except InvalidInput as exc:
            show_problems(exc.problems)
            fail("invalid settings", EXIT_ENVIRONMENT)
    if not name.strip() or len(name) > 200:
        problems.append(Problem("arguments", "must be 1 to 200 characters", field="name"))
    if not is_slug(slug):
        problems.append(Problem("arguments", "must be lower-case letters, digits and '-'",
                                field="slug"))
    if (msg := timezone_problem(timezone)) is not None:
        problems.append(Problem("arguments", msg, field="timezone"))
    with handled():
        if problems:
            raise InvalidInput(problems)
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos:
            if repos.people.organisation_by_slug(slug) is not None:
                fail(f"organisation {slug!r} already exists", EXIT_INVALID)
            repos.people.add_organisation(slug, name, timezone, rt.settings.min_group_size,
                                          False, utc_now())
        console.print(f"created organisation {slug}")
        rt.close()


# -- content -------------------------------------------------------------------------------
@main.group("content")
def content_group() -> None:
    """Content packs: validate and import."""


def _summary_lines(summary: dict[str, object]) -> None:
    per_skill = summary.get("per_skill")
    console.print(f"{summary['skills']} skills, {summary['lessons']} lessons, "
                  f"{summary['families']} item families, {summary['items']} distinct items "
                  f"({summary['transfer_items']} transfer)")
    if isinstance(per_skill, dict):
        for skill, counts in per_skill.items():
            console.print(f"  {skill}: {counts['lessons']} lessons, {counts['items']} items "
                          f"({counts['transfer_items']} transfer)")


@content_group.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def content_validate(path: Path) -> None:
    """Check a pack folder and report every problem with file and line (exit 1 on errors)."""
    reading = read_pack(path)
    problems = content.check(reading)
    show_problems(problems)
    errs = errors_in(problems)
    if errs or reading.pack is None:
        fail(f"{len(errs)} error(s), {len(problems) - len(errs)} warning(s) in {path}",
             EXIT_INVALID)
    _summary_lines(content.summarise(reading.pack))
    console.print(f"[green]valid[/green]: {escape(str(path))} ({len(problems)} warning(s))")


@content_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@ORG_OPTION
@DB_OPTION
def content_import(path: Path, org_slug: str | None, database_url: str | None) -> None:
    """Publish a pack folder as a new immutable version (nothing changes if it has errors)."""
    with handled():
        rt = _runtime(database_url)
        with progress() as bar:
            task = bar.add_task("reading pack", total=3)
            reading = read_pack(path)
            bar.update(task, advance=1, description="validating")
            with transaction(rt.sessions) as repos:
                organisation = pick_organisation(repos, org_slug)
                outcome = content.publish(repos.content, organisation.id, None, reading,
                                          utc_now())
                bar.update(task, advance=1, description="publishing")
            bar.update(task, advance=1, description="done")
        show_problems(outcome.warnings)
        v = outcome.version
        if outcome.unchanged:
            console.print(f"unchanged: {v.pack_slug} version {v.number} already has these "
                          "files")
        else:
            console.print(f"published {v.pack_slug} version {v.number}")
            _summary_lines(v.summary)
        rt.close()


# -- users ---------------------------------------------------------------------------------
@main.group()
def users() -> None:
    """People, teams, passwords and API tokens."""


@users.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@ORG_OPTION
@DB_OPTION
def users_import(csv_file: Path, org_slug: str | None, database_url: str | None) -> None:
    """Create or update people, teams and managers from a CSV file.

    Columns: email, name (required); external_id, team, parent_team, manager_email,
    manages (team names separated by ';'), roles (';'), timezone, working_hours.
    Every bad row is reported with its line; nothing is written unless all rows are good.
    """
    with handled():
        try:
            text = csv_file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput([Problem(csv_file.name, f"not UTF-8 text ({exc.reason})")]
                               ) from None
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos, progress() as bar:
            organisation = pick_organisation(repos, org_slug)
            task = bar.add_task("importing people", total=1)
            result = people.import_csv(repos.people, organisation, None, text, utc_now(),
                                       where=csv_file.name)
            bar.update(task, advance=1)
        rows = f"{result.rows} row{'' if result.rows == 1 else 's'}"
        console.print(f"{rows}: {result.created} created, {result.updated} updated, "
                      f"{result.teams_created} new teams")
        rt.close()


def _person(repos: Repos, org_slug: str | None, email: str) -> Person:
    organisation = pick_organisation(repos, org_slug)
    person = repos.people.person_by_email(organisation.id, email.strip().lower())
    if person is None:
        raise NotFound(f"No person with email {email} in {organisation.slug}.")
    return person


@users.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@ORG_OPTION
@DB_OPTION
def users_set_password(email: str, password: str, org_slug: str | None,
                       database_url: str | None) -> None:
    """Set a person's local sign-in password."""
    with handled():
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos:
            person = _person(repos, org_slug, email)
            auth.set_password(repos.auth, rt.passwords, person, password, utc_now())
        console.print(f"password set for {escape(email)}")
        rt.close()


@users.command("token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@ORG_OPTION
@DB_OPTION
def users_token(email: str, name: str, org_slug: str | None, database_url: str | None) -> None:
    """Create an API token for a person; it is shown once."""
    with handled():
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos:
            person = _person(repos, org_slug, email)
            plain, _ = auth.create_token(repos.people, repos.auth, None, person, name,
                                         utc_now(), new_token)
        click.echo(plain)
        rt.close()


# -- the learning record -------------------------------------------------------------------
def _catalogues(repos: Repos, org_id: int) -> dict[str, Catalogue]:
    cache = PackCache()
    latest: dict[str, Catalogue] = {}
    for version in repos.content.versions(org_id):  # newest first within a pack
        latest.setdefault(version.pack_slug, cache.load(repos.content, version).catalogue)
    return latest


@main.command()
@ORG_OPTION
@DB_OPTION
def rebuild(org_slug: str | None, database_url: str | None) -> None:
    """Recompute all learner state (memory, mastery, lessons, active weeks) from the stored
    xAPI statements alone, in one transaction."""
    from learnloop.services.rebuild import rebuild as run_rebuild

    started = time.perf_counter()
    with handled():
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos:
            organisation = pick_organisation(repos, org_slug)
            total = repos.statements.count(organisation.id)
            with progress() as bar:
                task = bar.add_task("replaying statements", total=total or 1)
                outcome = run_rebuild(
                    repos.statements, repos.learner, repos.people, organisation,
                    _catalogues(repos, organisation.id),
                    lambda n: bar.update(task, advance=n))
                bar.update(task, description="writing learner state")
        elapsed = time.perf_counter() - started
        console.print(f"rebuilt {organisation.slug}: {outcome.statements:,} statements, "
                      f"{outcome.projected:,} changed learner state of {outcome.people:,} "
                      f"people, in {elapsed:.1f} s")
        rt.close()


SHOWN_PEOPLE = 20


@main.command()
@click.option("--everyone", is_flag=True,
              help="Fit everyone with an answer and the answer models, not only what is due.")
@ORG_OPTION
@DB_OPTION
def calibrate(everyone: bool, org_slug: str | None, database_url: str | None) -> None:
    """Fit the learner model to the organisation's record: each person's memory parameters
    (used only when they beat the defaults on held-out reviews), each item family's
    difficulty and discrimination, and each pack's answer model for mastery (used only when
    it beats the shipped one on held-out people). `learnloop serve` does this by itself every
    hour."""
    from learnloop.domain.learner.answer_model import MIN_ANSWERS as ANSWERS_NEEDED
    from learnloop.services.calibration import calibrate_organisation

    started = time.perf_counter()
    with handled():
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos:
            organisation = pick_organisation(repos, org_slug)
        cache = PackCache()
        with progress() as bar:
            task = bar.add_task("fitting memory", total=None)
            outcome = calibrate_organisation(
                lambda: transaction(rt.sessions),
                lambda store: cache.loader(store.content),
                organisation.id, utc_now(), everyone=everyone,
                started=lambda n: bar.update(task, total=n or 1, completed=0 if n else 1),
                tick=lambda n: bar.update(task, advance=n))
        elapsed = time.perf_counter() - started
        fitted = len(outcome.memory)
        console.print(f"memory: {fitted:,} people fitted, {outcome.personal:,} scheduled from "
                      f"their own parameters, the rest from the defaults")
        for m in outcome.memory[:SHOWN_PEOPLE]:
            verdict = "own parameters" if m.decision.personal else "defaults"
            console.print(f"  person {m.person_id}: {verdict}: {escape(m.decision.reason)}")
        if fitted > SHOWN_PEOPLE:
            console.print(f"  ... and {fitted - SHOWN_PEOPLE:,} more")
        for item in outcome.items:
            if item.refused:
                console.print(f"items of {item.pack}: not calibrated: {escape(item.refused)}")
            else:
                console.print(f"items of {item.pack}: {item.calibrated:,} calibrated from "
                              f"{item.responses:,} first answers, {item.flagged:,} flagged")
        if not outcome.answers:
            console.print("answer models: not due (they are fitted once there are "
                          f"{ANSWERS_NEEDED:,} answers, and again at a fifth more)")
        for fit in outcome.answers:
            verdict = "own model" if fit.record.used else "shipped model"
            console.print(f"answers of {fit.pack}: {verdict} ({fit.record.answers:,} answers "
                          f"from {fit.record.people:,} people): {escape(fit.record.reason)}")
        console.print(f"calibrated {outcome.organisation} in {elapsed:.1f} s")
        rt.close()


@main.group("statements")
def statements_group() -> None:
    """The xAPI statement store."""


@statements_group.command("import")
@click.argument("json_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@ORG_OPTION
@DB_OPTION
def statements_import(json_file: Path, org_slug: str | None, database_url: str | None) -> None:
    """Store xAPI statements from another tool (a JSON array or one statement), checked and
    stored exactly as the LRS does. Those about known people and activities update learner
    state; any problem means nothing is stored."""
    import uuid

    from learnloop.services import lrs

    with handled():
        try:
            documents = json.loads(json_file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            fail(f"{json_file}: not a JSON file: {exc}", EXIT_INVALID)
        if isinstance(documents, dict):
            documents = [documents]
        if not isinstance(documents, list):
            fail(f"{json_file}: expected a statement object or an array of them", EXIT_INVALID)
        rt = _runtime(database_url)
        with transaction(rt.sessions) as repos:
            organisation = pick_organisation(repos, org_slug)
            store = lrs.LrsStore(repos.people, repos.statements, repos.learner, repos.lrs)
            ids, projected = lrs.import_statements(
                store, organisation, documents, lambda: _catalogues(repos, organisation.id),
                utc_now(),
                lambda: str(uuid.uuid4()))
        console.print(f"stored {len(ids)} statement(s); {projected} changed learner state")
        rt.close()


# -- demo and serve ------------------------------------------------------------------------
DEMO_WEEKS = 3


def _demo_history(rt: Runtime, organisation: Organisation, bar: Progress) -> int:
    """Simulate a few weeks of learning through the loop's services, once per database."""
    import random
    import uuid

    from learnloop.sentiment import compound
    from learnloop.services.simulate import history_start, simulate

    with transaction(rt.sessions) as repos:
        if repos.statements.count(organisation.id):
            return 0
        task = bar.add_task("simulating learner history", total=DEMO_WEEKS * 7)
        rng = random.Random(2026)  # noqa: S311 - a simulation, not security
        ids = random.Random(11)  # noqa: S311
        return simulate(repos, PackCache().loader(repos.content),
                        repos.people.people(organisation.id),
                        history_start(utc_now(), DEMO_WEEKS), DEMO_WEEKS * 7,
                        lambda: str(uuid.UUID(int=ids.getrandbits(128), version=4)), rng,
                        compound, lambda n: bar.update(task, advance=n))


def _demo_preflight(rt: Runtime, organisation: Organisation, bar: Progress) -> int:
    """Check the demo campaigns for their owners once per database, with whichever checkers
    this machine has: two of Aisha's campaigns miss the same alt text, so her next step is the
    lesson on it."""
    import uuid
    from contextlib import ExitStack

    from learnloop.artifacts.reader import read_artifact
    from learnloop.cli.preflight import _checkers
    from learnloop.demo import DEMO_CAMPAIGNS
    from learnloop.services.preflight_runs import submit

    with transaction(rt.sessions) as repos:
        if repos.preflight.runs(organisation.id, limit=1):
            return 0
    paths = sorted(DEMO_CAMPAIGNS.glob("*.html"))
    task = bar.add_task("checking demo campaigns", total=len(paths))
    cache = PackCache()
    with ExitStack() as stack:
        checkers = _checkers(stack, visual=True, spam=True)
        for path in paths:
            artifact = read_artifact(path)
            with transaction(rt.sessions) as repos:
                submit(repos, cache.loader(repos.content), organisation, None, None, artifact,
                       checkers, utc_now(), lambda: str(uuid.uuid4()))
            bar.update(task, advance=1)
    return len(paths)


@main.command()
@DB_OPTION
def demo(database_url: str | None) -> None:
    """Create (or refresh) the demo organisation: a marketing division with 3 teams,
    25 people with managers and roles, accounts, and the demo content pack."""
    from learnloop.demo import (
        DEMO_ORG_NAME,
        DEMO_ORG_SLUG,
        DEMO_PACK,
        DEMO_PASSWORD,
        DEMO_PEOPLE,
    )
    from learnloop.services.demo import build_demo

    started = time.perf_counter()
    with handled():
        with progress() as bar:
            task = bar.add_task("migrating database", total=6)
            rt = _runtime(database_url)
            bar.update(task, advance=1, description="reading demo pack")
            reading = read_pack(DEMO_PACK)

            def tick(what: str) -> None:
                bar.update(task, advance=1, description=f"{what} ready")

            with transaction(rt.sessions) as repos:
                outcome = build_demo(
                    repos.people, repos.auth, repos.content, rt.passwords,
                    DEMO_PEOPLE.read_text(encoding="utf-8"), reading, DEMO_PASSWORD,
                    DEMO_ORG_SLUG, DEMO_ORG_NAME, "Europe/London", rt.settings.min_group_size,
                    utc_now(), tick)
            history = _demo_history(rt, outcome.organisation, bar)
            checked = _demo_preflight(rt, outcome.organisation, bar)
        elapsed = time.perf_counter() - started
        what = "created" if outcome.created else "refreshed"
        console.print(f"{what} demo organisation [bold]{escape(outcome.organisation.name)}[/bold] "
                      f"({outcome.people} people, {outcome.teams} teams, content pack version "
                      f"{outcome.pack_version}) in {elapsed:.1f} s")
        if history:
            console.print(f"simulated {DEMO_WEEKS} weeks of learning: {history} steps")
        if checked:
            console.print(f"checked {checked} demo campaigns in pre-flight")
        console.print(f"sign in with any of these (password: [bold]{DEMO_PASSWORD}[/bold]):")
        for role, name, email in outcome.accounts:
            console.print(f"  {role:<9} {escape(name):<16} {escape(email)}")
        console.print("then run [bold]learnloop serve[/bold] and open "
                      f"http://{rt.settings.host}:{rt.settings.port}/")
        rt.close()


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@DB_OPTION
def serve(host: str | None, port: int | None, database_url: str | None) -> None:
    """Run the web app."""
    import uvicorn

    from learnloop.web.app import create_app

    with handled():
        rt = _runtime(database_url)
        try:
            app = create_app(rt.settings, engine=rt.engine)
        except LearnloopError as exc:
            fail(exc.message, EXIT_ENVIRONMENT)
    bind_host, bind_port = host or rt.settings.host, port or rt.settings.port
    errors.print(f"learnloop {__version__} on http://{bind_host}:{bind_port}/ "
                 f"(database: {rt.engine.url.render_as_string(hide_password=True)})")
    # A full collection walks every object the process holds (some 400,000 after start-up)
    # and ran about once a batch of 100 statements; the youngest objects are collected as
    # before, the whole heap a tenth as often (about 5 % off a batch, write benchmark).
    gc.set_threshold(2000, 20, 100)
    uvicorn.run(app, host=bind_host, port=bind_port, log_level=rt.settings.log_level,
                proxy_headers=True)


def _register() -> None:
    from learnloop.cli.lrs import lrs_group
    from learnloop.cli.preflight import preflight_command

    main.add_command(lrs_group)
    main.add_command(preflight_command)


_register()
