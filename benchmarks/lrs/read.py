"""LRS read speed with 1,000,000 statements stored: GET by id, agent, verb, activity,
registration and since (p95 each), and paging through 10,000 results with `more`.

    .venv/bin/python benchmarks/lrs/read.py --backend sqlite|postgresql
        [--statements 1000000] [--samples 200] [--keep PATH]

1. A fresh database, migrated, with one organisation and an all-scopes LRS client.
2. `--statements` statements of 5,000 agents in 100 courses (10 verbs, 2,000 activities, one
   registration per learner and course), prepared as the LRS stores them and written through
   the statement store (`SqlStatements.add`, filter keys included) in batches of 5,000.
   `--keep PATH` keeps the database and reuses it when it already holds them. On PostgreSQL
   the run then does `VACUUM ANALYZE`, as autovacuum would soon after such a load.
3. `learnloop serve` in a subprocess; one keep-alive client sends each query `--samples`
   times with values drawn from what is stored, default page size (500, the server's most).
4. Paging: a verb filter matching about a tenth of the store, 500 a page, followed through
   `more` until 10,000 statements are read; total time and p95 per page.

Target (issue 4): p95 under 30 ms for every query. Exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
from common import VERBS, Shapes, database, pct, say, server, set_up
from sqlalchemy import func, select
from sqlalchemy import text as sql

from learnloop.domain.xapi import storing
from learnloop.services.ports import NewStatement
from learnloop.services.record import new_statement
from learnloop.store import tables as t
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.unit import transaction

TARGET_MS = 30.0
BATCH = 5000


def fill(url: str, org_id: int, count: int, shapes: Shapes) -> None:
    engine = make_engine(url)
    sessions = session_factory(engine)
    authority = {"objectType": "Agent", "name": "benchmark",
                 "account": {"homePage": "http://bench.example/lrs-clients", "name": "fill"}}
    start = datetime.now(UTC) - timedelta(days=200)
    started = time.perf_counter()
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        stored = start + timedelta(seconds=done // 50)  # 50 statements a second, 200 days
        rows: list[NewStatement] = []
        for _ in range(size):
            document = shapes.statement()
            prepared = storing.prepare(document, document["id"], stored, authority)
            rows.append(new_statement(org_id, None, prepared))
        with transaction(sessions) as repos:
            repos.statements.add(rows, stored)
        done += size
        if done % 100_000 == 0 or done == count:
            rate = done / (time.perf_counter() - started)
            say(f"  stored {done:,} statements ({rate:,.0f}/s)")
    engine.dispose()


def vacuum_analyze(url: str) -> None:
    """What autovacuum does soon after a million inserts: statistics and the visibility map
    (without them the planner guesses and index-only scans visit the heap)."""
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sql("VACUUM ANALYZE"))
    engine.dispose()


def stored_count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = int(conn.scalar(select(func.count()).select_from(t.StatementRow)) or 0)
    engine.dispose()
    return found


def samples_from(url: str, rng: random.Random, n: int) -> dict[str, list[dict[str, str]]]:
    """Query parameters drawn from stored statements."""
    engine = make_engine(url)
    with engine.connect() as conn:
        top = int(conn.scalar(select(func.max(t.StatementRow.seq))) or 0)
        picks = [rng.randint(1, top) for _ in range(n)]
        rows = conn.execute(select(t.StatementRow.id, t.StatementRow.document,
                                   t.StatementRow.stored)
                            .where(t.StatementRow.seq.in_(picks))).all()
    engine.dispose()
    out: dict[str, list[dict[str, str]]] = {k: [] for k in (
        "id", "agent", "verb", "activity", "registration", "since")}
    for sid, text, stored in rows:
        document = json.loads(text)
        out["id"].append({"statementId": sid})
        out["agent"].append({"agent": json.dumps({"mbox": document["actor"]["mbox"]})})
        out["verb"].append({"verb": rng.choice(VERBS)})
        out["activity"].append({"activity": document["object"]["id"]})
        out["registration"].append({"registration": document["context"]["registration"]})
        moment = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
        out["since"].append({"since": moment.isoformat()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", default=None)
    args = parser.parse_args()
    rng = random.Random(7)
    with database(args.backend, args.keep) as (url, existed), \
            tempfile.TemporaryDirectory(prefix="learnloop-lrs-") as data_dir:
        org_id, headers = set_up(url)
        have = stored_count(url) if existed else 0
        if have < args.statements:
            say(f"storing {args.statements - have:,} statements ({args.backend})")
            fill(url, org_id, args.statements - have, Shapes(seed=uuid.uuid4().int % 1000))
        if args.backend == "postgresql":
            vacuum_analyze(url)
        total = stored_count(url)
        say(f"{total:,} statements stored; {args.samples} samples a query")
        queries = samples_from(url, rng, args.samples)
        results: dict[str, list[float]] = {}
        with server(url, data_dir) as base, httpx.Client(base_url=base, headers=headers,
                                                         timeout=60) as http:
            for params in queries["agent"][:20]:  # warm up
                http.get("/xapi/statements", params=params)
            for name, param_list in queries.items():
                times = []
                for params in param_list:
                    began = time.perf_counter()
                    response = http.get("/xapi/statements", params=params)
                    times.append((time.perf_counter() - began) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: {response.status_code} {response.text}")
                results[name] = times
            pages = []
            read = 0
            began = time.perf_counter()
            response = http.get("/xapi/statements", params={"verb": VERBS[0]})
            while True:
                pages.append(response.elapsed.total_seconds() * 1000)
                body = response.json()
                read += len(body["statements"])
                if read >= 10_000 or not body["more"]:
                    break
                response = http.get(body["more"])
            paging_s = time.perf_counter() - began
    for name, times in results.items():
        p95 = pct(times, 95)
        say(f"GET by {name:12s} p50 {pct(times, 50):6.1f} ms  p95 {p95:6.1f} ms  "
            f"(target {TARGET_MS:.0f} ms, ratio {p95 / TARGET_MS:.2f})")
    say(f"paging: {read:,} statements in {len(pages)} pages with more, {paging_s:.2f} s; "
        f"p95 a page {pct(pages, 95):.1f} ms (ratio {pct(pages, 95) / TARGET_MS:.2f})")


if __name__ == "__main__":
    main()
