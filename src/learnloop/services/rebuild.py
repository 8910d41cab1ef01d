"""`learnloop rebuild`: recompute all learner state of an organisation from its statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.people import Organisation
from learnloop.domain.xapi.reading import read_event
from learnloop.services.ports import LearnerRepo, PeopleRepo, StatementsRepo
from learnloop.services.projection import MemoryLearner, project


@dataclass(frozen=True, slots=True)
class RebuildOutcome:
    statements: int
    projected: int
    people: int


def rebuild(statements: StatementsRepo, learner: LearnerRepo, people: PeopleRepo,
            org: Organisation, catalogues: dict[str, Catalogue],
            tick: Callable[[int], None] = lambda _: None) -> RebuildOutcome:
    """Replay every statement in stored order through the projectors, in memory, then replace
    the stored state of everyone in the organisation with the result. Memory is scheduled with
    each person's stored parameters and answers are scored with the organisation's answer
    models (`learnloop calibrate` chooses both), as they were live."""
    zones = {p.id: p.timezone for p in people.people(org.id)}
    state = MemoryLearner(parameters=learner.parameter_map(zones),
                          models=learner.answer_models(org.id))
    seen = projected = 0
    for person_id, document in statements.stream(org.id):
        seen += 1
        if seen % 10000 == 0:
            tick(10000)
        if person_id is None or person_id not in zones:
            continue
        read = read_event(document)
        if read is None or read[0] != org.slug:
            continue
        projected += project(state, person_id, zones[person_id], read[1], catalogues)
    tick(seen % 10000)
    learner.clear(zones)
    learner.bulk(state.memory_rows, state.skill_rows, state.lesson_rows, state.week_rows,
                 state.trace_rows)
    return RebuildOutcome(seen, projected, len(state.people()))
