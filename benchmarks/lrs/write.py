"""LRS write speed: POST 10,000 statements in batches of 100 over HTTP, against a raw bulk
insert of the same rows into the same database; single-statement POST and PUT latency.

    .venv/bin/python benchmarks/lrs/write.py --backend sqlite|postgresql
        [--statements 10000] [--batch 100] [--singles 500]

1. A fresh database (SQLite file in a temporary folder, or a throwaway PostgreSQL database),
   migrated, with one organisation and an all-scopes LRS client.
2. `learnloop serve` in a subprocess; one keep-alive client POSTs the batches (each a full
   xAPI request: validation, ids, filter keys, activity definitions, one transaction).
3. The anchor: the same statements, prepared as the LRS stores them (the statement row and
   its filter-key rows), inserted as plain tuples by the store's fastest bulk path (COPY on
   PostgreSQL, executemany on SQLite: store/bulk.py, which the LRS uses too) in transactions
   of one batch each, with nothing else: the physical limit of that store for those rows.
4. Single-statement POST and PUT, one at a time: p50 and p95.

Targets (issue 4): at least 5,000 statements/s and at least 40 % of the raw insert rate;
single POST and PUT p95 under 10 ms. Exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime

import httpx2 as httpx
from common import Shapes, database, pct, say, server, set_up
from sqlalchemy import func, select

from learnloop.domain.xapi import keys as xkeys
from learnloop.domain.xapi import storing
from learnloop.store import bulk
from learnloop.store import tables as t
from learnloop.store.engine import make_engine

RATE_TARGET = 5000.0
RATIO_TARGET = 0.40
LATENCY_TARGET_MS = 10.0


def raw_insert(url: str, org_id: int, statements: list[dict[str, object]], batch: int) -> float:
    """Statements per second of a bare bulk insert (store/bulk.py) of the rows the LRS writes
    for them (the statement row and its filter-key rows), one transaction a batch."""
    engine = make_engine(url)
    authority = {"objectType": "Agent", "account": {"homePage": "http://bench.example",
                                                     "name": "raw"}}
    dialect = engine.dialect
    columns = ["seq", "id", "org_id", "verb", "activity_id", "registration", "timestamp",
               "stored", "voided", "document", "voiding"]
    processors = [t.StatementRow.__table__.c[c].type._cached_bind_processor(dialect)
                  for c in columns]
    with engine.connect() as conn:
        seq = int(conn.scalar(select(func.coalesce(func.max(t.StatementRow.seq), 0))) or 0)
    now = datetime.now(UTC)
    batches = []
    for start in range(0, len(statements), batch):
        rows, key_rows = [], []
        for document in statements[start:start + batch]:
            seq += 1
            sid = str(uuid.uuid4())
            prepared = storing.prepare(document, sid, now, authority)
            values = (seq, sid, org_id, prepared["verb"]["id"],  # type: ignore[index]
                      prepared["object"]["id"],  # type: ignore[index]
                      prepared["context"]["registration"],  # type: ignore[index]
                      now, now, False, json.dumps(prepared, separators=(",", ":")), False)
            rows.append(tuple(p(v) if p else v for p, v in zip(processors, values, strict=True)))
            key_rows += [(k, xkeys.micros(now), seq)
                         for k in xkeys.statement_keys(org_id, prepared, 1)]
        batches.append((rows, key_rows))
    started = time.perf_counter()
    for rows, key_rows in batches:
        with engine.begin() as conn:
            bulk.insert_rows(conn, "statements", columns, rows)
            bulk.insert_rows(conn, "statement_keys", ("key", "stored_us", "seq"), key_rows)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(statements) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--singles", type=int, default=500)
    args = parser.parse_args()
    shapes = Shapes(seed=4)
    with database(args.backend, None) as (url, _), \
            tempfile.TemporaryDirectory(prefix="learnloop-lrs-") as data_dir:
        org_id, headers = set_up(url)
        say(f"backend {args.backend}; {args.statements:,} statements in batches of "
            f"{args.batch}")
        with server(url, data_dir) as base, httpx.Client(base_url=base, headers=headers,
                                                         timeout=60) as http:
            for _ in range(5):  # warm up: imports, caches, connections
                http.post("/xapi/statements",
                          content=json.dumps([shapes.statement() for _ in range(args.batch)]))
            bodies = [json.dumps([shapes.statement() for _ in range(args.batch)])
                      for _ in range(args.statements // args.batch)]
            started = time.perf_counter()
            for body in bodies:
                response = http.post("/xapi/statements", content=body)
                if response.status_code != 200:
                    raise SystemExit(f"POST failed: {response.status_code} {response.text}")
            http_rate = args.statements / (time.perf_counter() - started)
            posts, puts = [], []
            for _ in range(args.singles):
                body = json.dumps(shapes.statement())
                began = time.perf_counter()
                response = http.post("/xapi/statements", content=body)
                posts.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.text
                document = shapes.statement()
                sid = document.pop("id")
                began = time.perf_counter()
                response = http.put("/xapi/statements", params={"statementId": sid},
                                    content=json.dumps(document))
                puts.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 204, response.text
        raw_rate = raw_insert(url, org_id, [shapes.statement() for _ in range(args.statements)],
                              args.batch)
    ratio = http_rate / raw_rate
    say(f"POST batches: {http_rate:,.0f} statements/s (target {RATE_TARGET:,.0f}/s, "
        f"ratio {http_rate / RATE_TARGET:.2f})")
    say(f"raw bulk insert of the same rows: {raw_rate:,.0f} statements/s; LRS/raw = "
        f"{ratio:.2f} (target {RATIO_TARGET:.2f})")
    for name, values in (("single POST", posts), ("single PUT", puts)):
        say(f"{name}: p50 {pct(values, 50):.1f} ms, p95 {pct(values, 95):.1f} ms "
            f"(target p95 {LATENCY_TARGET_MS:.0f} ms, ratio "
            f"{pct(values, 95) / LATENCY_TARGET_MS:.2f}) over {len(values)}")


if __name__ == "__main__":
    main()
