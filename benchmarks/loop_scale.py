"""The micro loop at scale: answer-to-next-item latency over HTTP, and `learnloop rebuild`,
with 1,000,000 stored statements and 5,000 learners.

    .venv/bin/python benchmarks/loop_scale.py --backend sqlite|postgresql
        [--statements 1000000] [--learners 5000] [--samples 600] [--keep PATH]

What it does, in one run:

1. A fresh database (SQLite: a file in a temporary directory; PostgreSQL: a throwaway database
   created and dropped here, admin URL from LEARNLOOP_TEST_POSTGRES_URL or the local server),
   migrated, with the demo organisation and pack (`build_demo`) and `--learners` more learners
   imported through the people service.
2. A few months of history for those learners, made with the xAPI statement builders and the
   real grader on the demo pack's item families and variants (right and wrong answers, wrong
   ones revealing misconceptions), in time order, bulk-inserted through `SqlStatements.add` in
   batches of 5,000 with the steps and served items the loop keeps beside them. Nothing is
   projected while inserting.
3. `learnloop rebuild` on that database, timed as a subprocess (target 120 s).
4. `learnloop serve` in a subprocess; learners with API tokens drive the loop over HTTP with a
   keep-alive client (next step, lesson stages, then item, answer, item, ...). The figure is the
   time of "answer + next item": POST the answer, then POST for the next item of the step
   (target p95 <= 30 ms). The answer alone is reported as well. The first `--warmup` samples
   are left out.

It prints each figure with its ratio to the target measured in this run, and exits non-zero
only on errors, never on a missed target. `--keep PATH` keeps the database (SQLite: the file at
PATH; PostgreSQL: a database named PATH) and, when it already holds the statements, reuses it
instead of generating them again.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2 as httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from learnloop.demo import DEMO_ORG_NAME, DEMO_ORG_SLUG, DEMO_PACK, DEMO_PASSWORD, DEMO_PEOPLE
from learnloop.domain.content import variants
from learnloop.domain.content.model import ItemFamily, ItemType, Pack
from learnloop.domain.content.variants import Item
from learnloop.domain.grading import Response, grade
from learnloop.domain.learner import policy
from learnloop.domain.learner.catalogue import catalogue_of
from learnloop.domain.xapi import statements as xs
from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.sentiment import compound
from learnloop.services import auth, loop, people
from learnloop.services.demo import build_demo
from learnloop.services.ports import NewStatement
from learnloop.services.record import new_statement
from learnloop.store import migrate
from learnloop.store import tables as t
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.unit import transaction

LATENCY_TARGET_MS = 30.0
REBUILD_TARGET_S = 120.0
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 5000
HISTORY_DAYS = 120  # each learner's history spans about four months, ending yesterday
TIMEZONES = ("Europe/London", "Europe/Berlin", "Europe/Madrid", "America/New_York",
             "America/Chicago", "Asia/Kolkata", "Australia/Sydney")
COMMENTS = ("Clear and short, thanks.", "Useful: I will check our bounce handling tomorrow.",
            "The worked example helped a lot.", "A bit too basic for me.",
            "Confusing question about the denominator.", "Too long for a Monday morning.")
WRONG_TEXT = "I am not sure; I would ask the team lead."


def say(message: str) -> None:
    print(message, flush=True)


# --- the database ---------------------------------------------------------------------------


@contextmanager
def database(backend: str, keep: str | None) -> Iterator[tuple[str, bool]]:
    """(SQLAlchemy URL, whether it already existed) of the database to measure on."""
    if backend == "sqlite":
        if keep:
            path = Path(keep).resolve()
            existed = path.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            yield f"sqlite:///{path.as_posix()}", existed
            return
        with tempfile.TemporaryDirectory(prefix="learnloop-scale-") as tmp:
            yield f"sqlite:///{(Path(tmp) / 'scale.db').as_posix()}", False
        return
    admin_url = os.environ.get("LEARNLOOP_TEST_POSTGRES_URL", DEFAULT_PG)
    name = keep or f"learnloop_scale_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        existed = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}) is not None
        if not existed:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, existed
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the demo organisation and the learners --------------------------------------------------


def learners_csv(count: int) -> str:
    lines = ["email,name,external_id,team,parent_team,timezone,working_hours"]
    for i in range(count):
        lines.append(f"learner{i:05d}@northwind.example,Learner {i:05d},SC-{i:05d},"
                     f"Field team {i % 50:02d},Marketing,{TIMEZONES[i % len(TIMEZONES)]},"
                     "09:00-17:30")
    return "\n".join(lines) + "\n"


def set_up(url: str, learners: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with transaction(sessions) as repos:
        outcome = build_demo(repos.people, repos.auth, repos.content, Argon2Passwords(fast=True),
                             DEMO_PEOPLE.read_text(encoding="utf-8"), read_pack(DEMO_PACK),
                             DEMO_PASSWORD, DEMO_ORG_SLUG, DEMO_ORG_NAME, "Europe/London", 5,
                             now)
    with transaction(sessions) as repos:
        inputs, problems = people.parse_csv(learners_csv(learners), "learners.csv")
        assert not problems, problems
        result = people.import_people(repos.people, outcome.organisation, None, inputs, now,
                                      where="learners.csv")
    say(f"  demo organisation and pack, {result.created:,} learners imported")
    engine.dispose()


# --- the pack, read once: every variant's item and graded answers ---------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """One way to answer one variant, graded once: what the statement and the attempt say."""

    response: Response
    record: xs.AnswerRecord
    grade_json: dict[str, Any]
    success: bool
    misconceptions: tuple[str, ...]


@dataclass
class Variant:
    item: Item
    right: Answered
    wrong: list[Answered]


@dataclass
class PackFacts:
    pack: Pack
    families: dict[str, ItemFamily]
    variants: dict[str, dict[int, Variant]]
    by_surface: dict[tuple[str, ...], Variant]
    probing: dict[str, list[str]]  # misconception -> families that can reveal it
    sentiments: dict[str, float]


def _answered(family: ItemFamily, item: Item, response: Response, pack: Pack) -> Answered:
    graded = grade(family, item, response)
    known = pack.misconceptions()
    labels = tuple((m, policy.label_of(known[m])) for m in graded.misconceptions if m in known)
    return Answered(response, loop.answer_record(item, response, graded, 0.0),
                    loop.grade_json(graded, labels), graded.success, graded.misconceptions)


def _responses(family: ItemFamily, item: Item) -> tuple[Response, list[Response]]:
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        return (Response(choices=item.key),
                [Response(choices=(o.id,)) for o in item.options if not o.correct])
    if item.type is ItemType.NUMERIC:
        assert item.answer is not None
        wrong = [Response(number=trap.value) for trap in item.traps
                 if abs(trap.value - item.answer) > item.tolerance]
        return Response(number=item.answer), wrong or [Response(number=item.answer * 2 + 1)]
    assert family.rubric is not None
    return Response(text=family.rubric.reference_answers[0]), [Response(text=WRONG_TEXT)]


def read_facts() -> PackFacts:
    reading = read_pack(DEMO_PACK)
    assert reading.pack is not None
    pack = reading.pack
    catalogue = catalogue_of(pack)
    facts = PackFacts(pack, {f.id: f for f in pack.families}, {}, {}, {},
                      {c: compound(c) for c in COMMENTS})
    for family in pack.families:
        facts.variants[family.id] = {}
        for number in catalogue.distinct[family.id]:
            item = variants.make_item(family, number)
            right, wrong = _responses(family, item)
            variant = Variant(item, _answered(family, item, right, pack),
                              [_answered(family, item, r, pack) for r in wrong])
            facts.variants[family.id][number] = variant
            facts.by_surface[item.surface()] = variant
    for mid in pack.misconceptions():
        facts.probing[mid] = [f.id for f in pack.families if policy._probes(f, mid)]
    return facts


# --- a learner's history ---------------------------------------------------------------------


@dataclass
class Unit:
    """One step of one learner: its statements, its step row and its served items."""

    documents: list[dict[str, Any]]
    step: dict[str, Any]
    attempts: list[dict[str, Any]]


@dataclass
class LearnerModel:
    """Just enough of a learner to make a plausible history: what they know and what is due."""

    person_id: int
    timezone: str
    ability: float
    lessons_done: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)  # skill -> answers so far
    due: dict[str, datetime] = field(default_factory=dict)  # family -> next re-check
    interval: dict[str, float] = field(default_factory=dict)  # family -> days
    last_variant: dict[str, int] = field(default_factory=dict)
    misconceptions: dict[str, str] = field(default_factory=dict)  # active -> family revealing


class History:
    def __init__(self, facts: PackFacts, org: str, version_id: int, version: int,
                 ids: random.Random) -> None:
        self.facts = facts
        self.scope = xs.Scope(org, facts.pack.id, version)
        self.version_id = version_id
        self.ids = ids

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.ids.getrandbits(128), version=4))

    def learner(self, model: LearnerModel, quota: int, start: datetime, end: datetime,
                rng: random.Random) -> Iterator[tuple[datetime, int, Unit]]:
        """The learner's steps in time order, until the quota of statements or the end."""
        made = 0
        per_session = 7.0 * 1.35  # statements per step, steps per session
        gap_days = (end - start).total_seconds() / 86400 * per_session / max(quota, 1)
        zone = ZoneInfo(model.timezone)
        day = start
        while made < quota:
            day += timedelta(days=rng.expovariate(1 / gap_days))
            local = day.astimezone(zone)
            while local.weekday() >= 5:
                local += timedelta(days=1)
            hour = rng.uniform(9.0, 16.5)
            at = datetime.combine(local.date(), datetime.min.time(), zone) \
                + timedelta(hours=hour)
            at = at.astimezone(UTC)
            if at >= end:
                return
            for _ in range(1 + (rng.random() < 0.35)):
                unit, finished = self.step(model, at, rng)
                made += len(unit.documents)
                yield at, model.person_id, unit
                at = finished + timedelta(minutes=rng.randint(2, 30))

    def step(self, m: LearnerModel, at: datetime, rng: random.Random) -> tuple[Unit, datetime]:
        pack, facts = self.facts.pack, self.facts
        due = sorted((when, fid) for fid, when in m.due.items() if when <= at)
        lesson = section = misconception = None
        chosen_by_learner = False
        if due:
            kind, families = "recheck", tuple(f for _, f in due[:policy.MAX_RECHECKS])
            skill = facts.families[families[0]].skill
            reason = (f"{len(families)} re-checks are due: recalling it now is what makes it "
                      "stick.")
        elif m.misconceptions and rng.random() < 0.7:
            misconception, revealed = next(iter(m.misconceptions.items()))
            known = pack.misconceptions()[misconception]
            found = policy.remedy_for(pack, known, facts.families.get(revealed))
            probing = facts.probing.get(misconception) or [revealed]
            families = tuple(rng.sample(probing, min(policy.PRACTICE_ITEMS, len(probing))))
            kind, skill = "remediation", known.skill
            if found is not None:
                lesson, section = found[0].id, found[1]
            reason = f"You {policy.label_of(known)}: here is a section, then practice items."
        else:
            left = [x for x in pack.lessons if x.id not in m.lessons_done
                    and all(p in m.lessons_done for p in x.prerequisites)]
            if left and rng.random() < 0.8:
                chosen = left[0] if rng.random() < 0.6 else rng.choice(left)
                chosen_by_learner = rng.random() < 0.15
                kind, skill, lesson = "lesson", chosen.skill, chosen.id
                families = policy.check_families(pack, chosen, rng)
                reason = f"Next: \u201c{chosen.title}\u201d, then {len(families)} questions."
            else:
                skill = rng.choice(pack.skills).id
                pool = [f for f in pack.families if f.skill == skill]
                families = tuple(f.id for f in rng.sample(pool, min(3, len(pool))))
                kind, reason = "practice", "Practice on your weakest skill: 3 questions."
        step_id = self.new_id()
        sid, scope, pid = self.new_id, self.scope, m.person_id
        docs: list[dict[str, Any]] = []
        row: dict[str, Any] = {
            "id": step_id, "person_id": pid, "version_id": self.version_id, "pack": pack.id,
            "kind": kind, "skill": skill, "lesson": lesson, "section": section,
            "misconception": misconception, "families": list(families), "reason": reason,
            "created_at": at, "lesson_started_at": None, "lesson_completed_at": None,
            "items_answered": 0, "lesson_pulse_at": None, "pulse_at": None,
            "finished_at": None}
        if kind == "recheck":
            docs += [xs.became_due(sid(), scope, pid, f, m.due[f], step_id, at) for f in families]
        if not chosen_by_learner:
            target = (xs.section_activity(scope, lesson, section) if lesson and section else
                      xs.lesson_activity(scope, lesson) if lesson else
                      xs.skill_activity(scope, skill))
            docs.append(xs.assigned(sid(), scope, pid, target, kind, reason, step_id, at))
        if lesson is not None:
            found_lesson = pack.lesson(lesson)
            assert found_lesson is not None
            at += timedelta(seconds=rng.randint(2, 8))
            row["lesson_started_at"] = at
            if section is None:
                docs.append(xs.lesson_launched(sid(), scope, pid, lesson, found_lesson.title,
                                               step_id, at))
                started = at
                for part in found_lesson.sections:
                    at += timedelta(seconds=rng.randint(40, 90))
                    docs.append(xs.section_viewed(sid(), scope, pid, lesson, part.slug,
                                                  part.title, step_id, at))
                at += timedelta(seconds=rng.randint(3, 10))
                docs.append(xs.lesson_completed(sid(), scope, pid, lesson, found_lesson.title,
                                                step_id, at, (at - started).total_seconds()))
                m.lessons_done.add(lesson)
            else:
                part = next((s for s in found_lesson.sections if s.slug == section),
                            found_lesson.sections[0])
                at += timedelta(seconds=rng.randint(60, 120))
                docs.append(xs.section_viewed(sid(), scope, pid, lesson, part.slug, part.title,
                                              step_id, at))
            row["lesson_completed_at"] = at
            if kind == "lesson":
                at += timedelta(seconds=rng.randint(5, 15))
                docs.append(xs.pulse_given(sid(), scope, pid, "lesson",
                                           xs.lesson_activity(scope, lesson),
                                           rng.choice((3, 3, 4, 4, 5)),
                                           rng.choice((3, 4, 4, 5, 5)), None, None, step_id,
                                           at))
                row["lesson_pulse_at"] = at
        attempts = []
        right = 0
        for position, family_id in enumerate(families):
            served = at
            options = facts.variants[family_id]
            numbers = [v for v in options if v != m.last_variant.get(family_id)] or list(options)
            number = rng.choice(numbers)
            m.last_variant[family_id] = number
            variant = options[number]
            family = facts.families[family_id]
            practice = m.answers.get(family.skill, 0)
            chance = min(0.95, max(0.1, m.ability + 0.02 * min(practice, 12)
                                   - 0.05 * (family.difficulty - 3)))
            answer = variant.right if rng.random() < chance else rng.choice(variant.wrong)
            at += timedelta(seconds=rng.randint(20, 75))
            record = answer.record
            seconds = (at - served).total_seconds()
            document = xs.item_answered(
                sid(), scope, pid, replace(record, seconds=seconds),
                step_id, attempt_id := sid(), kind, at)
            docs.append(document)
            attempts.append({
                "id": attempt_id, "step_id": step_id, "person_id": pid, "family": family_id,
                "variant": number, "position": position, "served_at": served,
                "expires_at": served + loop.ATTEMPT_TTL, "answered_at": at,
                "statement_id": document["id"], "grade": answer.grade_json})
            m.answers[family.skill] = practice + 1
            right += answer.success
            self._remember(m, family_id, answer, at)
        share = right / max(1, len(families))
        at += timedelta(seconds=rng.randint(5, 20))
        comment = rng.choice(COMMENTS) if rng.random() < 0.2 else None
        docs.append(xs.pulse_given(
            sid(), scope, pid, "check", xs.skill_activity(scope, skill),
            max(1, min(5, round(1 + 4 * share + rng.uniform(-0.8, 0.8)))),
            rng.choice((2, 3, 4, 4, 5)), comment,
            facts.sentiments[comment] if comment else None, step_id, at))
        row.update(items_answered=len(families), pulse_at=at, finished_at=at)
        return Unit(docs, row, attempts), at

    @staticmethod
    def _remember(m: LearnerModel, family_id: str, answer: Answered, at: datetime) -> None:
        """A rough schedule (the real one is FSRS, recomputed by the rebuild)."""
        if answer.success:
            days = m.interval.get(family_id, 1.2) * 2.5
            for mid in [k for k, f in m.misconceptions.items() if f == family_id]:
                del m.misconceptions[mid]
        else:
            days = 1.0
            for mid in answer.misconceptions:
                m.misconceptions[mid] = family_id
        m.interval[family_id] = days
        m.due[family_id] = at + timedelta(days=days)


Batch = tuple[list[NewStatement], list[dict[str, Any]], list[dict[str, Any]]]


def batches(facts: PackFacts, org_id: int, org_slug: str, version: tuple[int, int],
            learners: list[tuple[int, str]], statements: int, seed: int) -> Iterator[Batch]:
    """Every learner's history merged in time order (as it would have been stored), cut at
    `statements`, in batches of about BATCH statements with their steps and served items."""
    rng = random.Random(seed)
    history = History(facts, org_slug, version[0], version[1], random.Random(seed + 1))
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    weights = [rng.lognormvariate(0, 0.5) for _ in learners]
    scale = 1.1 * statements / sum(weights)  # a little extra: the history is cut at the total
    streams = []
    for i, (person_id, timezone) in enumerate(learners):
        model = LearnerModel(person_id, timezone, rng.uniform(0.45, 0.85))
        start = end - timedelta(days=HISTORY_DAYS - rng.uniform(0, 20))
        streams.append(history.learner(model, round(weights[i] * scale), start, end,
                                       random.Random(seed * 7919 + i)))
    written = 0
    batch: Batch = ([], [], [])
    for _at, person_id, unit in heapq.merge(*streams, key=lambda u: (u[0], u[1])):
        if written >= statements:
            break
        batch[0].extend(new_statement(org_id, person_id, d) for d in unit.documents)
        batch[1].append(unit.step)
        batch[2].extend(unit.attempts)
        written += len(unit.documents)
        if len(batch[0]) >= BATCH:
            yield batch
            batch = ([], [], [])
    if batch[0]:
        yield batch


def _insert(url: str, count: Any, *args: Any) -> None:
    """One worker process: make its learners' history and insert it, batch by batch."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    for rows, steps, attempts in batches(*args):
        with transaction(sessions) as repos:
            repos.statements.add(rows, rows[-1].timestamp)
            repos.session.execute(insert(t.StepRow), steps)
            if attempts:
                repos.session.execute(insert(t.AttemptRow), attempts)
        with count.get_lock():
            count.value += len(rows)
    engine.dispose()


def generate(url: str, facts: PackFacts, statements: int, learners: int, seed: int,
             workers: int) -> int:
    """Make the history and insert it, in `workers` processes that each take a share of the
    learners (so stored order is time order within a share, and nearly so overall)."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug(DEMO_ORG_SLUG)
        assert org is not None
        version = repos.content.versions(org.id)[0]
        everyone = [(p.id, p.timezone) for p in repos.people.people(org.id)
                    if p.email.startswith("learner")][:learners]
    engine.dispose()
    context = multiprocessing.get_context("fork")
    count = context.Value("q", 0)
    processes = [context.Process(target=_insert, args=(
        url, count, facts, org.id, org.slug, (version.id, version.number), everyone[w::workers],
        statements // workers + (w < statements % workers), seed + w)) for w in range(workers)]
    started = time.perf_counter()
    for process in processes:
        process.start()
    last_report = 0
    while any(p.is_alive() for p in processes):
        time.sleep(1)
        if any(p.exitcode not in (None, 0) for p in processes):
            for p in processes:
                p.kill()
            raise SystemExit("a statement generator failed")
        if count.value - last_report >= 100_000:
            last_report = count.value - count.value % 100_000
            rate = count.value / (time.perf_counter() - started)
            say(f"  {count.value:,} statements ({rate:,.0f}/s)")
    if any(p.exitcode != 0 for p in processes):
        raise SystemExit("a statement generator failed")
    written = int(count.value)
    elapsed = time.perf_counter() - started
    say(f"  generated and inserted {written:,} statements in {elapsed:.0f} s "
        f"({written / elapsed:,.0f} statements/s, with their steps and served items; "
        f"{workers} processes)")
    if make_url(url).get_backend_name() == "postgresql":
        engine = make_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does shortly after a bulk load
        engine.dispose()
    return written


# --- rebuild ---------------------------------------------------------------------------------


def learnloop_command() -> str:
    return str(Path(sys.executable).with_name("learnloop"))


def server_env(data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNLOOP_")}
    env.update(LEARNLOOP_ENVIRONMENT="development", LEARNLOOP_DATA_DIR=data_dir,
               LEARNLOOP_LOG_LEVEL="warning", COLUMNS="120")
    return env


def time_rebuild(url: str, data_dir: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([learnloop_command(), "rebuild", "--org", DEMO_ORG_SLUG,
                           "--database-url", url], env=server_env(data_dir),
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"learnloop rebuild failed ({done.returncode}):\n{done.stdout}\n"
                         f"{done.stderr}")
    last = [line for line in done.stdout.splitlines() if line.startswith("rebuilt")]
    say("  " + (last[-1] if last else done.stdout.strip().splitlines()[-1]))
    return elapsed


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = {table.__tablename__: int(conn.scalar(select(func.count()).select_from(table))
                                          or 0)
                 for table in (t.StatementRow, t.MemoryRow, t.SkillRow, t.LessonRow,
                               t.WeekRow, t.StepRow, t.AttemptRow)}
    engine.dispose()
    return found


# --- the loop over HTTP ----------------------------------------------------------------------


def make_tokens(url: str, count: int, seed: int) -> list[str]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    tokens = []
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug(DEMO_ORG_SLUG)
        assert org is not None
        chosen = random.Random(seed).sample(
            [p for p in repos.people.people(org.id) if p.email.startswith("learner")], count)
        for person in chosen:
            plain, _ = auth.create_token(repos.people, repos.auth, None, person, "loop-scale",
                                         now, lambda: uuid.uuid4().hex + uuid.uuid4().hex)
            tokens.append(plain)
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, data_dir: str) -> Iterator[str]:
    port = free_port()
    log = Path(data_dir) / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [learnloop_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--database-url", url], env=server_env(data_dir), stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"learnloop serve stopped:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"learnloop serve did not answer in 60 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Latencies:
    pairs: list[float] = field(default_factory=list)  # answer + next item, ms
    answers: list[float] = field(default_factory=list)  # answer alone, ms
    items: list[float] = field(default_factory=list)  # next item alone, ms
    requests: int = 0
    steps: int = 0


class Client:
    def __init__(self, base: str, facts: PackFacts, rng: random.Random) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.facts = facts
        self.rng = rng
        self.requests = 0

    def post(self, token: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        response = self.http.post(path, json=body or {},
                                  headers={"Authorization": f"Bearer {token}"})
        elapsed = (time.perf_counter() - started) * 1000
        self.requests += 1
        if response.status_code >= 300:
            raise SystemExit(f"POST {path}: {response.status_code} {response.text[:500]}")
        found: dict[str, Any] = response.json()
        return found, elapsed

    def answer_for(self, item: dict[str, Any]) -> dict[str, Any]:
        surface = (item["stem"], *sorted(o["text"] for o in item["options"]))
        variant = self.facts.by_surface.get(surface)
        if variant is None:  # not expected: every served variant is one of the pack's
            if item["type"] == "numeric":
                return {"number": 1}
            if item["type"] == "free_text":
                return {"text": WRONG_TEXT}
            return {"choices": [item["options"][0]["id"]]}
        chosen = variant.right if self.rng.random() < 0.7 else self.rng.choice(variant.wrong)
        r = chosen.response
        if r.number is not None:
            return {"number": r.number}
        if r.text is not None:
            return {"text": r.text}
        return {"choices": list(r.choices)}

    def one_step(self, token: str, out: Latencies, record: bool) -> None:
        step, _ = self.post(token, "/api/v1/me/next-step")
        sid = step["id"]
        if step["stage"] == "lesson":
            self.post(token, f"/api/v1/steps/{sid}/lesson/open")
            step, _ = self.post(token, f"/api/v1/steps/{sid}/lesson/complete")
        if step["stage"] == "lesson_pulse":
            step, _ = self.post(token, f"/api/v1/steps/{sid}/pulse",
                                {"on": "lesson", "confidence": 4, "relevance": 4})
        if step["stage"] == "items":
            item, _ = self.post(token, f"/api/v1/steps/{sid}/items")
            while True:
                answered, answer_ms = self.post(token, f"/api/v1/items/{item['attempt']}/answer",
                                                self.answer_for(item))
                if record:
                    out.answers.append(answer_ms)
                if answered["next"] != "items":
                    break
                item, item_ms = self.post(token, f"/api/v1/steps/{sid}/items")
                if record:
                    out.pairs.append(answer_ms + item_ms)
                    out.items.append(item_ms)
        self.post(token, f"/api/v1/steps/{sid}/pulse",
                  {"on": "check", "confidence": self.rng.randint(2, 5),
                   "relevance": self.rng.randint(2, 5)})
        out.steps += 1


def drive(base: str, tokens: list[str], facts: PackFacts, samples: int, warmup: int,
          seed: int) -> Latencies:
    client = Client(base, facts, random.Random(seed))
    out = Latencies()
    warm = Latencies()
    for token in itertools.cycle(tokens):
        recording = len(warm.pairs) >= warmup
        client.one_step(token, out if recording else warm, True)
        if len(out.pairs) >= samples:
            break
    out.requests = client.requests
    client.http.close()
    return out


# --- main ------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=600,
                        help="answer + next item samples to measure (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--http-learners", type=int, default=200,
                        help="learners who drive the loop over HTTP (each gets a token)")
    parser.add_argument("--keep", default=None, metavar="PATH",
                        help="keep the database (SQLite file, or PostgreSQL database name) "
                             "and reuse it if it already holds the statements")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes that generate and insert the history")
    parser.add_argument("--skip-rebuild", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    say(f"loop scale on {args.backend}: {args.statements:,} statements, "
        f"{args.learners:,} learners")
    facts = read_facts()
    data_dir = tempfile.mkdtemp(prefix="learnloop-scale-run-")
    try:
        with database(args.backend, args.keep) as (url, existed):
            reused = existed and counts(url)["statements"] >= args.statements
            written = 0
            if reused:
                say("  reusing the kept database")
            else:
                set_up(url, args.learners)
                written = generate(url, facts, args.statements, args.learners, args.seed,
                                   args.workers)
            before = counts(url)
            rebuild_s = None
            if not args.skip_rebuild:
                rebuild_s = time_rebuild(url, data_dir)
            after = counts(url)
            if not after["learner_memory"] or not after["learner_skills"]:
                raise SystemExit(f"the rebuild left no learner state: {after}")
            say("  rows: " + ", ".join(f"{k} {v:,}" for k, v in after.items()))
            tokens = make_tokens(url, min(args.http_learners, args.learners), args.seed)
            with server(url, data_dir) as base:
                lat = drive(base, tokens, facts, args.samples, args.warmup, args.seed)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    p50, p95, p99 = (pct(lat.pairs, q) for q in (50, 95, 99))
    a50, a95, a99 = (pct(lat.answers, q) for q in (50, 95, 99))
    i50, i95 = pct(lat.items, 50), pct(lat.items, 95)
    say("")
    say(f"backend {args.backend}; {before['statements']:,} statements stored"
        + (f" ({written:,} generated now)" if written else "")
        + f", {args.learners:,} learners; {lat.steps:,} steps and {lat.requests:,} requests "
          f"over HTTP by {len(tokens)} learners")
    say("| what | figure | target | ratio |")
    say("|---|---|---|---|")
    if rebuild_s is not None:
        say(f"| learnloop rebuild | {rebuild_s:.1f} s | {REBUILD_TARGET_S:.0f} s | "
            f"{rebuild_s / REBUILD_TARGET_S:.2f} |")
    say(f"| answer + next item ({len(lat.pairs)} samples) | p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms | p95 {LATENCY_TARGET_MS:.0f} ms | {p95 / LATENCY_TARGET_MS:.2f} |")
    say(f"| answer alone ({len(lat.answers)} samples) | p50 {a50:.1f} ms, p95 {a95:.1f} ms, "
        f"p99 {a99:.1f} ms | | |")
    say(f"| next item alone | p50 {i50:.1f} ms, p95 {i95:.1f} ms | | |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
