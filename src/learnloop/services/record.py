"""Write statements to the learning record and project them into learner state, together.

Both happen in the caller's transaction: the statement and the state it changes commit as one,
or neither does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from learnloop.domain.errors import InvalidInput
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.people import Organisation, Person
from learnloop.domain.problems import Problem
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi.reading import ActorRef, actor_of, parse_time, read_event
from learnloop.services.ports import (
    IdMaker,
    LearnerRepo,
    NewStatement,
    PeopleRepo,
    StatementsRepo,
)
from learnloop.services.projection import project

Json = dict[str, Any]


def _registration(document: Json) -> str | None:
    context = document.get("context")
    value = context.get("registration") if isinstance(context, dict) else None
    return value if isinstance(value, str) else None


def _activity(document: Json) -> str | None:
    obj = document.get("object")
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def new_statement(org_id: int, person_id: int | None, document: Json) -> NewStatement:
    at = parse_time(document.get("timestamp"))
    assert at is not None, "statements are written with a timestamp"
    return NewStatement(document["id"], org_id, person_id, document["verb"]["id"],
                        _activity(document), _registration(document), at, document)


def record(statements: StatementsRepo, learner: LearnerRepo, org: Organisation,
           person: Person, documents: list[Json], catalogues: dict[str, Catalogue],
           now: datetime) -> None:
    """Store our own statements about `person` and update their state from them."""
    statements.add([new_statement(org.id, person.id, d) for d in documents], now)
    for document in documents:
        project_statement(learner, org, person, document, catalogues)


def project_statement(learner: LearnerRepo, org: Organisation, person: Person,
                      document: Json, catalogues: dict[str, Catalogue]) -> bool:
    """Update `person`'s state from one statement; False when it changes nothing."""
    read = read_event(document)
    if read is None or read[0] != org.slug:
        return False
    return project(learner, person.id, person.timezone, read[1], catalogues)


def resolve_actor(people: PeopleRepo, org: Organisation, ref: ActorRef | None) -> Person | None:
    """The person a statement's actor names: our account on this organisation, or an email."""
    if ref is None:
        return None
    if ref.account_home == xs.account_home(org.slug) and ref.account_name \
            and ref.account_name.isdigit() and len(ref.account_name) < 10:
        return people.person(org.id, int(ref.account_name))
    if ref.mbox:
        return people.person_by_email(org.id, ref.mbox)
    return None


def check_outside(document: object, index: int) -> list[Problem]:
    """The few fields an outside statement needs before learnloop can store it."""
    where = f"statements[{index}]"
    if not isinstance(document, dict):
        return [Problem(where, "a statement is a JSON object")]
    problems = []
    if not isinstance(document.get("actor"), dict):
        problems.append(Problem(where, "needs an actor object", field="actor"))
    verb = document.get("verb")
    if not isinstance(verb, dict) or not isinstance(verb.get("id"), str) or not verb["id"]:
        problems.append(Problem(where, "needs a verb with an id", field="verb.id"))
    obj = document.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        problems.append(Problem(where, "needs an object with an id", field="object.id"))
    sid = document.get("id")
    if sid is not None and (not isinstance(sid, str) or len(sid) != 36):
        problems.append(Problem(where, "an id must be a UUID string", field="id"))
    stamp = document.get("timestamp")
    if stamp is not None and parse_time(stamp) is None:
        problems.append(Problem(where, "timestamp must be ISO 8601", field="timestamp"))
    return problems


def record_outside(statements: StatementsRepo, learner: LearnerRepo, people: PeopleRepo,
                   org: Organisation, documents: list[Any], catalogues: dict[str, Catalogue],
                   now: datetime, new_id: IdMaker) -> tuple[int, int]:
    """Store statements from another tool; those about known people and activities update
    learner state through the same projectors. Returns (stored, projected)."""
    problems = [p for i, d in enumerate(documents) for p in check_outside(d, i)]
    seen: set[str] = set()
    for i, d in enumerate(documents):
        sid = d.get("id") if isinstance(d, dict) else None
        if isinstance(sid, str) and (sid in seen or statements.exists(sid)):
            problems.append(Problem(f"statements[{i}]", f"statement {sid} already exists",
                                    field="id"))
        if isinstance(sid, str):
            seen.add(sid)
    if problems:
        raise InvalidInput(problems, "no statement was stored")
    projected = 0
    rows = []
    resolved = []
    for document in documents:
        document = dict(document)
        document.setdefault("id", new_id())
        document.setdefault("timestamp", xs.iso(now))
        document["stored"] = xs.iso(now)
        person = resolve_actor(people, org, actor_of(document))
        rows.append(new_statement(org.id, person.id if person else None, document))
        resolved.append((person, document))
    statements.add(rows, now)
    for person, document in resolved:
        if person is not None and project_statement(learner, org, person, document, catalogues):
            projected += 1
    return len(rows), projected
