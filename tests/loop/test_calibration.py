"""`learnloop calibrate` on a real database: personal memory parameters earn their place and
reschedule, rebuild agrees with them, and item families get 2PL calibrations with flags."""

from __future__ import annotations

import math
import random
import time
import uuid
from datetime import timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.learner import answer_model, fsrs, memory
from learnloop.domain.people import Role
from learnloop.domain.xapi import profile
from learnloop.packs.cache import PackCache
from learnloop.services import loop, lrs
from learnloop.services.calibration import OrganisationOutcome, calibrate_organisation
from learnloop.services.rebuild import rebuild
from learnloop.settings import load_settings
from learnloop.store.unit import Repos, transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.loop.conftest import World, add_person

PACK = "marketing-essentials"
# A person who forgets fast: first memories a third as stable as the defaults say, each
# recall growing stability 0.37 times as much.
FAST = tuple(v / (3.0 if i in (0, 1, 2, 3) else 1.0) - (1.0 if i == 8 else 0.0)
             for i, v in enumerate(fsrs.DEFAULT_PARAMETERS))


def _families(sessions: sessionmaker[Session], world: World) -> list[str]:
    with transaction(sessions) as repos:
        catalogue = _catalogues(repos, world)[PACK]
    return sorted(catalogue.families)


def _catalogues(repos: Repos, world: World) -> dict[str, object]:
    return dict(loop.catalogues(repos, PackCache().loader(repos.content), world.org.id))


def _answer(email: str, family: str, at: object, success: bool) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "actor": {"mbox": f"mailto:{email}"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": profile.family_id("acme", PACK, family)},
            "result": {"success": success, "score": {"scaled": 1.0 if success else 0.0}},
            "timestamp": at.isoformat().replace("+00:00", "Z")}  # type: ignore[attr-defined]


def _import(sessions: sessionmaker[Session], world: World, docs: list[dict[str, object]]) -> None:
    for start in range(0, len(docs), 500):
        with transaction(sessions) as repos:
            store = lrs.LrsStore(repos.people, repos.statements, repos.learner, repos.lrs)
            lrs.import_statements(store, world.org, docs[start:start + 500],
                                  lambda r=repos: _catalogues(r, world),  # type: ignore[misc]
                                  NOW, lambda: str(uuid.uuid4()))


def _calibrate(sessions: sessionmaker[Session], world: World, at: object,
               everyone: bool = False) -> OrganisationOutcome:
    cache = PackCache()
    return calibrate_organisation(lambda: transaction(sessions),
                                  lambda store: cache.loader(store.content),  # type: ignore[attr-defined]
                                  world.org.id, at, everyone=everyone)  # type: ignore[arg-type]


def _fast_learner(families: list[str], rng: random.Random) -> list[tuple[str, object, bool]]:
    """A year of answers by a person who forgets like FAST, each re-check answered when the
    product (on the defaults) schedules it, give or take a day or two."""
    out: list[tuple[str, object, bool]] = []
    start = NOW - timedelta(days=400)
    for k, family in enumerate(families):
        at = start + timedelta(days=k, hours=rng.uniform(0, 8))
        true: memory.FamilyMemory | None = None
        shown: memory.FamilyMemory | None = None
        while at < NOW - timedelta(days=1):
            p = 0.7 if true is None else memory.recall_probability(true, at, FAST)
            right = rng.random() < p
            true = memory.review(true, 1.0, right, at, FAST)
            shown = memory.review(shown, 1.0, right, at)
            out.append((f"{family}", at, right))
            at = shown.due + timedelta(hours=rng.uniform(-4, 40))
    return sorted(out, key=lambda a: a[1])  # type: ignore[arg-type,return-value]


def test_a_person_with_enough_history_is_scheduled_from_their_own_fit(
        sessions: sessionmaker[Session], world: World) -> None:
    families = _families(sessions, world)
    answers = _fast_learner(families, random.Random(11))
    _import(sessions, world, [_answer(world.learner.email, f, at, ok) for f, at, ok in answers])
    with transaction(sessions) as repos:
        before = repos.learner.memories(world.learner.id, PACK)
        assert sum(m.reviews for m in before.values()) == len(answers)
    assert len(answers) >= 400

    outcome = _calibrate(sessions, world, NOW)
    assert [m.person_id for m in outcome.memory] == [world.learner.id]  # the others are not due
    fitted = outcome.memory[0]
    assert fitted.decision.personal, fitted.decision.reason
    assert fitted.rescheduled == len(before)
    with transaction(sessions) as repos:
        stored = repos.calibration.memory_fit(world.learner.id)
        assert stored is not None
        assert stored.decision == fitted.decision
        assert stored.answers_at_fit == len(answers)
        assert repos.learner.memory_parameters(world.learner.id) == fitted.decision.parameters
        after = repos.learner.memories(world.learner.id, PACK)
        assert repos.learner.memory_parameters(world.other.id) == fsrs.DEFAULT_PARAMETERS
    # this person forgets faster than the defaults say: their re-checks come sooner
    sooner = sum(after[f].due < before[f].due for f in before)
    assert sooner > len(before) / 2
    assert all(after[f].reviews == before[f].reviews for f in before)

    # nothing new: nobody is due again
    assert _calibrate(sessions, world, NOW + timedelta(days=1)).memory == []

    # rebuild reproduces the rescheduled state from statements and stored parameters
    with transaction(sessions) as repos:
        dump = repos.learner.dump([world.learner.id])
    with transaction(sessions) as repos:
        rebuild(repos.statements, repos.learner, repos.people, world.org,
                _catalogues(repos, world))  # type: ignore[arg-type]
    with transaction(sessions) as repos:
        assert repos.learner.dump([world.learner.id]) == dump

    # the live path schedules the next answer with the personal parameters too
    family = families[0]
    at = after[family].due + timedelta(hours=2)
    _import(sessions, world, [_answer(world.learner.email, family, at, True)])
    with transaction(sessions) as repos:
        live = repos.learner.memory(world.learner.id, PACK, family)
    assert live == memory.review(after[family], 1.0, True, at, fitted.decision.parameters)


def test_short_histories_are_recorded_as_refused(sessions: sessionmaker[Session],
                                                 world: World) -> None:
    families = _families(sessions, world)
    _import(sessions, world, [_answer(world.learner.email, f, NOW - timedelta(days=3), True)
                              for f in families[:5]])
    assert _calibrate(sessions, world, NOW).memory == []  # not due: far too few answers
    outcome = _calibrate(sessions, world, NOW, everyone=True)
    assert [m.person_id for m in outcome.memory] == [world.learner.id]
    assert not outcome.memory[0].decision.personal
    assert "a fit needs at least 400" in outcome.memory[0].decision.reason
    assert outcome.memory[0].rescheduled == 0
    with transaction(sessions) as repos:
        assert repos.learner.memory_parameters(world.learner.id) == fsrs.DEFAULT_PARAMETERS
    assert outcome.items[0].refused is not None
    assert "at least 50 are needed" in outcome.items[0].refused
    (answers,) = outcome.answers
    assert not answers.record.used
    assert answers.record.reason == "answers: 5 answers, at least 1000 needed"
    with transaction(sessions) as repos:
        assert repos.learner.answer_model(world.learner.id, PACK) == answer_model.shipped()
        assert repos.calibration.answer_model_records(world.org.id)[PACK] == answers.record


def _planted(sessions: sessionmaker[Session], world: World) -> tuple[list[str], str,
                                                                     dict[str, float], int]:
    """150 people answer 8 families of planted difficulty once (one family miskeyed), then
    each family again two days later, right."""
    families = _families(sessions, world)[:8]
    rng = random.Random(5)
    difficulty = {f: -1.5 + 3.0 * i / (len(families) - 1) for i, f in enumerate(families)}
    miskeyed = families[3]  # weaker people get it right: a wrong key
    docs = []
    with transaction(sessions) as repos:
        people = [add_person(repos, world.org, f"p{n}@acme.test", {Role.LEARNER})
                  for n in range(150)]
    for person in people:
        theta = rng.gauss(0.0, 1.0)
        for k, family in enumerate(families):
            a = -1.2 if family == miskeyed else 1.5
            p = 1.0 / (1.0 + math.exp(-a * (theta - difficulty[family])))
            at = NOW - timedelta(days=10, minutes=k)
            docs.append(_answer(person.email, family, at, rng.random() < p))
            # a later re-check does not count: only first answers calibrate
            docs.append(_answer(person.email, family, at + timedelta(days=2), True))
    _import(sessions, world, docs)
    return families, miskeyed, difficulty, len(people)


def test_items_are_calibrated_from_first_answers_and_a_bad_one_is_flagged(
        sessions: sessionmaker[Session], world: World) -> None:
    families, miskeyed, difficulty, people = _planted(sessions, world)
    outcome = _calibrate(sessions, world, NOW)
    assert outcome.items[0].refused is None, outcome.items[0].refused
    assert outcome.items[0].calibrated == len(families)
    assert outcome.items[0].responses == len(families) * people
    with transaction(sessions) as repos:
        items = repos.calibration.items(world.org.id, PACK)
    assert set(items) == set(families)
    assert items[miskeyed].flag is not None
    assert "discrimination" in items[miskeyed].flag
    good = [f for f in families if f != miskeyed]
    assert all(items[f].flag is None for f in good), {f: items[f].flag for f in good}
    estimated = [items[f].parameters.difficulty for f in good]
    planted = [difficulty[f] for f in good]
    assert float(np.corrcoef(estimated, planted)[0, 1]) > 0.95  # the planted levels come back
    mean_a = float(np.mean([items[f].parameters.discrimination for f in good]))
    assert 1.0 < mean_a < 2.0  # planted 1.5; one item's alone is uncertain (SE about 0.4)
    assert all(abs(items[f].parameters.proportion_correct - 0.5) < 0.5 for f in good)


def test_the_answer_model_is_fitted_to_the_organisation_and_used(
        sessions: sessionmaker[Session], world: World) -> None:
    families, _, difficulty, people = _planted(sessions, world)
    outcome = _calibrate(sessions, world, NOW)
    (fit,) = outcome.answers
    assert fit.record.used, fit.record.reason
    assert fit.record.answers == 2 * len(families) * people
    assert fit.record.people == people
    assert fit.record.held_out_loss_fitted is not None
    assert fit.record.held_out_loss_shipped is not None
    assert fit.record.held_out_loss_fitted < fit.record.held_out_loss_shipped
    assert fit.changed
    with transaction(sessions) as repos:
        person = repos.people.person_by_email(world.org.id, "p0@acme.test")
        assert person is not None
        model = repos.learner.answer_model(person.id, PACK)
        ids = [p.id for p in repos.people.people(world.org.id)]
        dump = repos.learner.dump(ids)
    assert model != answer_model.shipped()
    by_level = sorted(families, key=difficulty.__getitem__)
    easy, hard = by_level[0], by_level[-1]
    assert model.items[easy] > model.items[hard]  # the planted difficulties come back
    # the stored state is what the new model builds from the statements, answer by answer
    with transaction(sessions) as repos:
        rebuild(repos.statements, repos.learner, repos.people, world.org,
                _catalogues(repos, world))  # type: ignore[arg-type]
    with transaction(sessions) as repos:
        assert repos.learner.dump(ids) == dump
    # a few more answers are not a fifth more: no refit
    assert _calibrate(sessions, world, NOW + timedelta(hours=1)).answers == []


def test_the_web_app_calibrates_by_itself(engine: Engine, sessions: sessionmaker[Session],
                                          world: World) -> None:
    families = _families(sessions, world)
    answers = _fast_learner(families, random.Random(11))
    _import(sessions, world, [_answer(world.learner.email, f, at, ok) for f, at, ok in answers])
    settings = load_settings(environment="test", database_url=str(engine.url),
                             calibrate_every_minutes=0.005)  # every 0.3 s
    app = create_app(settings, engine=engine, clock=lambda: NOW)
    with TestClient(app):
        for _ in range(300):
            with transaction(sessions) as repos:
                stored = repos.calibration.memory_fit(world.learner.id)
            if stored is not None:
                break
            time.sleep(0.1)
    assert stored is not None, "the app fitted the learner due a fit"
    assert stored.fitted_at == NOW
    assert stored.answers_at_fit == len(answers)
