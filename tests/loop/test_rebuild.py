"""`rebuild` reproduces learner state exactly from statements; outside statements take the
same path into the learner model."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.errors import InvalidInput
from learnloop.domain.xapi import profile
from learnloop.domain.xapi.statements import account_home
from learnloop.packs.cache import PackCache
from learnloop.services import loop, lrs
from learnloop.services.rebuild import rebuild
from learnloop.store.unit import Repos, transaction
from tests.conftest import NOW
from tests.loop.conftest import Driver, World, right, wrong
from tests.loop.test_journey import do_lesson_step


def _catalogues(sessions: sessionmaker[Session], world: World) -> dict[str, object]:
    cache = PackCache()
    with transaction(sessions) as repos:
        return dict(loop.catalogues(repos, cache.loader(repos.content), world.org.id))


def _dump(sessions: sessionmaker[Session], world: World) -> dict[str, list[tuple[object, ...]]]:
    with transaction(sessions) as repos:
        return repos.learner.dump([world.learner.id, world.other.id, world.manager.id])


def test_rebuild_reproduces_state_exactly(driver: Driver, sessions: sessionmaker[Session],
                                          world: World) -> None:
    do_lesson_step(driver, answer_right=False)
    for days in (1, 3, 9):
        driver.later(days=days)
        step = driver.start_next()
        if step.lesson:
            driver.open_lesson(step.id)
            driver.complete_lesson(step.id)
            if step.kind == "lesson":
                driver.pulse(step.id, "lesson", confidence=2)
        for i, _ in enumerate(step.families):
            served = driver.serve(step.id)
            family = driver.family(served.item.family_id)
            response = (wrong(served.item) if i % 2 else None) or right(served.item, family)
            driver.later(seconds=41.237)
            driver.answer(served.attempt.id, response)
        driver.pulse(step.id, "check", confidence=3, relevance=2, comment="so-so")
    before = _dump(sessions, world)
    assert before["learner_memory"]
    assert before["learner_skills"]
    assert before["learner_weeks"]
    with transaction(sessions) as repos:
        outcome = rebuild(repos.statements, repos.learner, repos.people, world.org,
                          _catalogues(sessions, world))  # type: ignore[arg-type]
    assert outcome.people == 1
    assert outcome.statements > 20
    assert _dump(sessions, world) == before


def _store(repos: Repos) -> lrs.LrsStore:
    return lrs.LrsStore(repos.people, repos.statements, repos.learner, repos.lrs)


def _outside(world: World, verb: str, activity: str, **result: object) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{world.learner.email}"},
        "verb": {"id": verb},
        "object": {"id": activity},
        "result": result,
        "timestamp": "2026-11-02T08:00:00Z",
    }


def test_an_outside_statement_about_a_known_item_updates_mastery_and_memory(
        sessions: sessionmaker[Session], world: World) -> None:
    family = profile.family_id("acme", "marketing-essentials", "bounce-hard-or-soft")
    unknown = "https://simulations.example/activities/42"
    docs = [_outside(world, "http://adlnet.gov/expapi/verbs/passed", family, success=True),
            _outside(world, "http://adlnet.gov/expapi/verbs/answered", unknown, success=True)]
    with transaction(sessions) as repos:
        ids, projected = lrs.import_statements(
            _store(repos), world.org, docs, lambda: _catalogues(sessions, world),  # type: ignore[arg-type]
            NOW, lambda: str(uuid.uuid4()))
    assert (len(ids), projected) == (2, 1)
    with transaction(sessions) as repos:
        skill = repos.learner.skill(world.learner.id, "marketing-essentials", "deliverability")
        assert skill is not None
        assert skill.answers == 1
        assert skill.correct == 1
        assert repos.learner.memory(world.learner.id, "marketing-essentials",
                                    "bounce-hard-or-soft") is not None
        assert repos.statements.count(world.org.id) == 2
    # and rebuild gives the same state from those statements
    before = _dump(sessions, world)
    with transaction(sessions) as repos:
        rebuild(repos.statements, repos.learner, repos.people, world.org,
                _catalogues(sessions, world))  # type: ignore[arg-type]
    assert _dump(sessions, world) == before


def test_outside_statements_by_our_account_are_resolved(sessions: sessionmaker[Session],
                                                        world: World) -> None:
    doc = _outside(world, profile.COMPLETED.id,
                   profile.lesson_id("acme", "marketing-essentials", "utm-tagging"))
    doc["actor"] = {"account": {"homePage": account_home("acme"),
                                "name": str(world.learner.id)}}
    with transaction(sessions) as repos:
        lrs.import_statements(_store(repos), world.org, [doc],
                              lambda: _catalogues(sessions, world), NOW,  # type: ignore[arg-type]
                              lambda: str(uuid.uuid4()))
        progress = repos.learner.lesson(world.learner.id, "marketing-essentials",
                                        "utm-tagging")
    assert progress is not None
    assert progress.completed_at is not None


def test_bad_outside_statements_store_nothing(sessions: sessionmaker[Session],
                                              world: World) -> None:
    good = _outside(world, profile.COMPLETED.id, "https://example.test/a")
    bad = {"actor": "nobody", "verb": {}, "object": {"id": ""}, "timestamp": "yesterday"}
    with transaction(sessions) as repos, pytest.raises(InvalidInput) as caught:
        lrs.import_statements(_store(repos), world.org, [good, bad], dict, NOW,
                              lambda: str(uuid.uuid4()))
    problems = {(p.where, p.field) for p in caught.value.problems}
    assert {("statements[1]", "$.actor"), ("statements[1]", "$.verb.id"),
            ("statements[1]", "$.object.id"), ("statements[1]", "$.timestamp")} <= problems
    with transaction(sessions) as repos, pytest.raises(InvalidInput) as twice:
        lrs.import_statements(_store(repos), world.org, [good, good], dict, NOW,
                              lambda: str(uuid.uuid4()))
    assert "same id" in twice.value.problems[0].message
    with transaction(sessions) as repos:
        assert repos.statements.count(world.org.id) == 0
