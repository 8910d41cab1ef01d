"""A learner, a manager and the demo pack in a fresh database, and a driver for the loop."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.demo import DEMO_PACK
from learnloop.domain.access import Actor
from learnloop.domain.content.model import ItemType
from learnloop.domain.content.variants import Item
from learnloop.domain.grading import Response
from learnloop.domain.people import Organisation, Person, Role
from learnloop.packs import read_pack
from learnloop.packs.cache import PackCache
from learnloop.services import content, loop
from learnloop.services.people import actor_for
from learnloop.services.ports import PersonFields
from learnloop.store.unit import Repos, transaction
from tests.conftest import NOW

_READING = read_pack(DEMO_PACK)


def ids(seed: int = 0) -> Iterator[str]:
    rng = random.Random(seed)
    while True:
        yield str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Driver:
    """Runs loop services in their own transactions, as the web app does per request."""

    sessions: sessionmaker[Session]
    org: Organisation
    person: Person
    now: datetime = NOW
    cache: PackCache = field(default_factory=PackCache)
    id_source: Iterator[str] = field(default_factory=ids)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def new_id(self) -> str:
        return next(self.id_source)

    def actor(self, repos: Repos) -> Actor:
        return actor_for(repos.people, self.person)

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with transaction(self.sessions) as repos:
            return fn(repos, self.cache.loader(repos.content), self.actor(repos), *args,
                      **kwargs)

    def later(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)

    # journey helpers
    def start_next(self) -> Any:
        return self.run(loop.start_next, self.now, self.new_id, self.rng)

    def home(self) -> loop.Home:
        return self.run(loop.home, self.now)  # type: ignore[no-any-return]

    def open_lesson(self, step_id: str) -> Any:
        return self.run(loop.open_lesson, step_id, self.now, self.new_id)

    def complete_lesson(self, step_id: str) -> Any:
        return self.run(loop.complete_lesson, step_id, self.now, self.new_id)

    def serve(self, step_id: str) -> loop.Served:
        return self.run(loop.serve_item, step_id, self.now, self.new_id,  # type: ignore[no-any-return]
                        self.rng)

    def answer(self, attempt_id: str, response: Response) -> loop.Answer:
        return self.run(loop.answer, attempt_id, response, self.now,  # type: ignore[no-any-return]
                        self.new_id)

    def pulse(self, step_id: str, on: str, confidence: int = 4, relevance: int = 4,
              comment: str | None = None) -> Any:
        return self.run(loop.give_pulse, step_id, on, confidence, relevance, comment,
                        self.now, self.new_id, lambda text: 0.5)

    def family(self, family_id: str) -> Any:
        pack = _READING.pack
        assert pack is not None
        return pack.family(family_id)


def right(item: Item, family: Any) -> Response:
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        return Response(choices=item.key)
    if item.type is ItemType.NUMERIC:
        assert item.answer is not None
        return Response(number=item.answer)
    return Response(text=family.rubric.reference_answers[0])


def wrong(item: Item) -> Response | None:
    """A wrong answer that reveals a misconception, when the item has one."""
    for option in item.options:
        if not option.correct and option.misconception:
            return Response(choices=(option.id,))
    for trap in item.traps:
        if item.answer is None or abs(trap.value - item.answer) > item.tolerance:
            return Response(number=trap.value)
    return None


def add_person(repos: Repos, org: Organisation, email: str, roles: set[Role],
               manager_id: int | None = None) -> Person:
    person = repos.people.add_person(org.id, PersonFields(
        email=email, name=email.split("@")[0].title(), external_id=None,
        timezone="Europe/Berlin", working_hours="09:00-17:00", manager_id=manager_id), NOW)
    repos.people.set_roles(person.id, frozenset(roles))
    found = repos.people.person(org.id, person.id)
    assert found is not None
    return found


@dataclass
class World:
    org: Organisation
    learner: Person
    manager: Person
    other: Person


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with transaction(sessions) as repos:
        org = repos.people.add_organisation("acme", "Acme", "Europe/Berlin", 5, False, NOW)
        manager = add_person(repos, org, "mia@acme.test", {Role.LEARNER, Role.MANAGER})
        learner = add_person(repos, org, "leo@acme.test", {Role.LEARNER}, manager.id)
        other = add_person(repos, org, "ola@acme.test", {Role.LEARNER})
        content.publish(repos.content, org.id, None, _READING, NOW)
    return World(org, learner, manager, other)


@pytest.fixture
def driver(sessions: sessionmaker[Session], world: World) -> Driver:
    return Driver(sessions, world.org, world.learner)
