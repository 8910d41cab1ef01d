"""What the LRS benchmarks share: a database, an organisation with an LRS client, a server,
and statements shaped like real ones (many agents, a few verbs, activities in courses)."""

from __future__ import annotations

import base64
import random
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learnloop.services import lrs_clients
from learnloop.store import migrate
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.unit import transaction
from loop_scale import database, free_port, pct, say, server

__all__ = ["Shapes", "database", "free_port", "pct", "say", "server", "set_up"]

VERBS = [f"http://adlnet.gov/expapi/verbs/{v}" for v in (
    "attempted", "answered", "completed", "passed", "failed", "experienced", "launched",
    "initialized", "terminated", "progressed")]


def set_up(url: str) -> tuple[int, dict[str, str]]:
    """Migrate, add the organisation and an all-scopes client: (org id, request headers)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("bench")
        if org is None:
            org = repos.people.add_organisation("bench", "Benchmark", "UTC", 5, False, now)
        client, secret = lrs_clients.create(repos.lrs, None, org.id, "benchmark", "all", now,
                                            lambda: uuid.uuid4().hex + uuid.uuid4().hex)
        org_id = org.id
    engine.dispose()
    token = base64.b64encode(f"{client.key}:{secret}".encode()).decode()
    return org_id, {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json"}


class Shapes:
    """Statements of `agents` learners in `courses` courses of 20 activities each."""

    def __init__(self, seed: int, agents: int = 5000, courses: int = 100) -> None:
        self.rng = random.Random(seed)
        self.agents = [f"mailto:learner{i}@bench.example" for i in range(agents)]
        self.courses = courses
        self.registrations: dict[tuple[int, int], str] = {}

    def activity(self, course: int, n: int) -> str:
        return f"http://bench.example/courses/{course}/activities/{n}"

    def statement(self) -> dict[str, Any]:
        rng = self.rng
        learner = rng.randrange(len(self.agents))
        course = rng.randrange(self.courses)
        registration = self.registrations.setdefault(
            (learner, course), str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        statement: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"objectType": "Agent", "name": f"Learner {learner}",
                      "mbox": self.agents[learner]},
            "verb": {"id": rng.choice(VERBS), "display": {"en-US": "did"}},
            "object": {"objectType": "Activity", "id": self.activity(course, rng.randrange(20)),
                       "definition": {"name": {"en-US": f"Activity of course {course}"},
                                      "type": "http://adlnet.gov/expapi/activities/lesson"}},
            "context": {"registration": registration, "platform": "benchmark",
                        "contextActivities": {"parent": [{
                            "id": f"http://bench.example/courses/{course}"}]}},
            "timestamp": datetime.now(UTC).isoformat(),
        }
        if rng.random() < 0.5:
            statement["result"] = {"success": rng.random() < 0.7, "completion": True,
                                   "score": {"scaled": round(rng.random(), 2)},
                                   "duration": "PT1M30S"}
        return statement
