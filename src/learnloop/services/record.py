"""Write statements to the learning record and project them into learner state, together.

Both happen in the caller's transaction: the statement and the state it changes commit as one,
or neither does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.people import Organisation, Person
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi import storing
from learnloop.domain.xapi.reading import ActorRef, parse_time, read_event
from learnloop.services.ports import (
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
    """Store our own statements about `person` and update their state from them. They carry
    what the LRS sets on every statement (stored, authority, version), so the LRS returns
    them like any other."""
    authority = own_authority(org)
    kept = [storing.prepare(d, d["id"], now, authority) for d in documents]
    statements.add([new_statement(org.id, person.id, d) for d in kept], now)
    for document in documents:
        project_statement(learner, org, person, document, catalogues)


def own_authority(org: Organisation) -> Json:
    """The authority of learnloop's own statements: the organisation's learnloop."""
    return {"objectType": "Agent", "name": "learnloop",
            "account": {"homePage": xs.account_home(org.slug), "name": "learnloop"}}


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
