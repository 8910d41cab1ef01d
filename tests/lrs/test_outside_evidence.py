"""One path: statements other tools post to the LRS reach the learner model through the same
projectors as learnloop's own; voiding one takes its evidence back out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.xapi import profile
from learnloop.store.unit import transaction
from tests.lrs.conftest import statement

ANN = {"objectType": "Agent", "mbox": "mailto:ann@acme.example"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _ann_state(sessions: sessionmaker[Session]) -> tuple[dict[str, Any], dict[str, Any]]:
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        ann = repos.people.person_by_email(org.id, "ann@acme.example")
        assert ann is not None
        return (dict(repos.learner.memories(ann.id, "starter")),
                dict(repos.learner.skills(ann.id, "starter")))


def _answer(success: bool) -> dict[str, Any]:
    return statement(
        actor=ANN, verb={"id": "http://adlnet.gov/expapi/verbs/answered"},
        object={"id": profile.family_id("acme", "starter", "bounce-code")},
        result={"success": success, "score": {"scaled": 1.0 if success else 0.0}})


def test_an_outside_answer_updates_memory_and_mastery(xapi: TestClient, auth: dict[str, str],
                                                      sessions: sessionmaker[Session]) -> None:
    assert _ann_state(sessions) == ({}, {})
    response = xapi.post("/xapi/statements", json=_answer(True), headers=auth)
    assert response.status_code == 200, response.text
    memories, skills = _ann_state(sessions)
    assert set(memories) == {"bounce-code"}
    assert memories["bounce-code"].reviews == 1
    assert skills["deliverability"].answers == 1
    assert skills["deliverability"].correct == 1


def test_unknown_people_and_activities_are_kept_as_outside_evidence(
        xapi: TestClient, auth: dict[str, str], sessions: sessionmaker[Session]) -> None:
    stranger = statement()  # an agent and an activity learnloop does not know
    unknown_family = _answer(True)
    unknown_family["object"]["id"] = profile.family_id("acme", "starter", "no-such-family")
    response = xapi.post("/xapi/statements", json=[stranger, unknown_family], headers=auth)
    assert response.status_code == 200
    assert _ann_state(sessions) == ({}, {})
    stored = xapi.get("/xapi/statements", headers=auth).json()["statements"]
    assert len(stored) == 2


def test_voiding_an_outside_answer_replays_the_learner(xapi: TestClient, auth: dict[str, str],
                                                       sessions: sessionmaker[Session]) -> None:
    [first] = xapi.post("/xapi/statements", json=_answer(False), headers=auth).json()
    xapi.post("/xapi/statements", json=_answer(True), headers=auth)
    assert _ann_state(sessions)[1]["deliverability"].answers == 2
    void = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": first})
    assert xapi.post("/xapi/statements", json=void, headers=auth).status_code == 200
    memories, skills = _ann_state(sessions)
    assert skills["deliverability"].answers == 1
    assert skills["deliverability"].correct == 1
    assert memories["bounce-code"].reviews == 1
