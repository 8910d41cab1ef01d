"""True retention from stored answers: due re-checks counted, their share right against the
model's expectation, per person (with the access rules) and per team (with the group minimum)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.errors import Forbidden, NotFound
from learnloop.domain.people import Role
from learnloop.services import retention
from learnloop.services.people import actor_for
from learnloop.services.retention import wilson
from learnloop.store.unit import transaction
from tests.conftest import NOW
from tests.loop.conftest import World, add_person
from tests.loop.test_calibration import PACK, _answer, _families, _import


def _due_checks(sessions: sessionmaker[Session], world: World, email: str, person_id: int,
                results: list[bool], families: list[str]) -> None:
    """One first answer per family, then one answer when it is due (right or wrong)."""
    start = NOW - timedelta(days=30)
    _import(sessions, world, [_answer(email, f, start, True) for f in families[:len(results)]])
    with transaction(sessions) as repos:
        dues = {f: m.due for f, m in repos.learner.memories(person_id, PACK).items()}
    _import(sessions, world, [_answer(email, f, dues[f] + timedelta(hours=3), ok)
                              for f, ok in zip(families, results, strict=False)])


def test_a_persons_due_rechecks_give_their_true_retention(sessions: sessionmaker[Session],
                                                          world: World) -> None:
    families = _families(sessions, world)
    results = [True] * 7 + [False] * 3
    _due_checks(sessions, world, world.learner.email, world.learner.id, results, families)
    # an answer before its family is due is not a due re-check
    _import(sessions, world, [_answer(world.learner.email, families[20], NOW - timedelta(days=9),
                                      True),
                              _answer(world.learner.email, families[20], NOW - timedelta(days=8),
                                      False)])
    with transaction(sessions) as repos:
        mine = retention.person_retention(repos, actor_for(repos.people, world.learner),
                                          world.learner.id)
        by_manager = retention.person_retention(repos, actor_for(repos.people, world.manager),
                                                world.learner.id)
        rows = retention.reports_retention(repos, actor_for(repos.people, world.manager))
    assert mine == by_manager
    assert [r.person_id for r in rows] == [world.learner.id]
    figure = mine.figure
    assert (figure.checks, figure.recalled) == (10, 7)
    assert figure.measured == pytest.approx(0.7)
    assert figure.target == 0.9
    assert figure.expected is not None
    assert 0.85 < figure.expected < 0.95  # answered three hours after due: about the target
    assert figure.interval == wilson(7, 10)
    assert not mine.personal
    assert "no fit tried yet" in mine.reason


def test_nobody_else_sees_a_persons_retention(sessions: sessionmaker[Session],
                                              world: World) -> None:
    with transaction(sessions) as repos:
        other = actor_for(repos.people, world.other)
        with pytest.raises(Forbidden, match="only your own records"):
            retention.person_retention(repos, other, world.learner.id)
        admin = add_person(repos, world.org, "adm@acme.test", {Role.ADMIN})
        with pytest.raises(NotFound):
            retention.person_retention(repos, actor_for(repos.people, admin), 999_999)
        empty = retention.person_retention(repos, other, world.other.id)
    assert (empty.figure.checks, empty.figure.measured, empty.figure.interval) == (0, None, None)


def test_a_team_figure_needs_the_minimum_group(sessions: sessionmaker[Session],
                                               world: World) -> None:
    families = _families(sessions, world)
    with transaction(sessions) as repos:
        team = repos.people.add_team(world.org.id, "Lifecycle", NOW)
        members = [add_person(repos, world.org, f"m{n}@acme.test", {Role.LEARNER})
                   for n in range(5)]
        for person in members:
            repos.people.set_memberships(person.id, {team.id})
    for n, person in enumerate(members[:4]):
        _due_checks(sessions, world, person.email, person.id, [True, n % 2 == 0], families)
    with transaction(sessions) as repos:
        manager = actor_for(repos.people, world.manager)
        four = retention.team_retention(repos, manager, team.id)
        with pytest.raises(Forbidden, match="Aggregates are for managers and analysts"):
            retention.team_retention(repos, actor_for(repos.people, world.other), team.id)
        with pytest.raises(NotFound):
            retention.team_retention(repos, manager, 999_999)
    assert (four.members, four.counted, four.figure) == (5, 4, None)
    _due_checks(sessions, world, members[4].email, members[4].id, [False], families)
    with transaction(sessions) as repos:
        five = retention.team_retention(repos, actor_for(repos.people, world.manager), team.id)
    assert five.figure is not None
    assert (five.counted, five.figure.checks, five.figure.recalled) == (5, 9, 6)


def test_the_wilson_interval_is_sound_at_the_edges() -> None:
    assert wilson(0, 0) is None
    low, high = wilson(10, 10) or (0.0, 0.0)
    assert high == pytest.approx(1.0)
    assert 0.69 < low < 0.73  # not the degenerate [1, 1] of the plain interval
    low, high = wilson(450, 500) or (0.0, 0.0)
    assert low < 0.9 < high
    assert high - low < 0.06
