"""`learnloop calibrate`: fit the learner model to the organisation's own learning record.

Two fits, both from what is already stored:

- **memory**: each person with enough answers gets a fit of the FSRS-6 parameters to their own
  reviews (`memory_fit.personal_parameters`): used only when it predicts their most recent
  reviews, held out of the fit, at least as well as the population defaults. Their memory rows
  are then rescheduled by replaying their answers with the chosen parameters, through the same
  projector the live path and `learnloop rebuild` use, so all three agree.
- **items**: each pack's item families get 2PL difficulty and discrimination from everyone's
  first answer to them (`irt.fit_2pl`, with the weak prior), for item selection and for the
  content owner's diagnostics.
- **answers**: each pack's answer model (mastery) is fitted to the organisation's own answers,
  item and skill terms included (`answer_model.organisation_model`), and used only when it
  predicts held-out people better than the shipped model. When a pack's model changes, the
  organisation's learner state is rebuilt from its statements, so every trace is what the
  model in force would have built answer by answer.

Nothing here changes a statement. A person is due a memory fit once they have at least
`MIN_SCORED_REVIEWS` answers and `REFIT_EVERY` more answers than at their last attempt (fit or
refusal): fitting again after every answer would cost much and change little.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from learnloop.domain.learner import answer_model, memory
from learnloop.domain.learner.answer_model import Answer
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.learner.events import Answered
from learnloop.domain.learner.irt import WEAK_PRIOR, InsufficientData, fit_2pl, item_flag
from learnloop.domain.learner.memory_fit import (
    MIN_SCORED_REVIEWS,
    Decision,
    Review,
    personal_parameters,
)
from learnloop.domain.people import Organisation
from learnloop.domain.xapi.reading import read_event
from learnloop.services.loop import catalogues
from learnloop.services.ports import (
    AnswerModelRecord,
    CalibrationRepo,
    LearnerRepo,
    LearningStore,
    PackLoader,
    StatementsRepo,
)
from learnloop.services.projection import MemoryLearner, project
from learnloop.services.rebuild import rebuild

REFIT_EVERY = 100
# The answer model is fitted again once the organisation has a fifth more answers than at the
# last fit: the fit reads every answer, and a few more change little.
ANSWERS_GROWTH = 1.2


@dataclass(frozen=True, slots=True)
class MemoryOutcome:
    person_id: int
    decision: Decision
    answers: int
    rescheduled: int  # memory rows rewritten with new parameters (0 when they did not change)


@dataclass(frozen=True, slots=True)
class ItemsOutcome:
    pack: str
    calibrated: int
    flagged: int
    responses: int
    refused: str | None = None


def due_for_fit(answers: dict[int, tuple[int, int | None]], minimum: int = MIN_SCORED_REVIEWS,
                every: int = REFIT_EVERY) -> list[int]:
    """The people due a memory fit: enough answers (an answer that can be scored needs one
    before it, so `minimum` answers is the least that could hold `minimum` scored reviews),
    and `every` more than at their last attempt."""
    return sorted(pid for pid, (count, at_fit) in answers.items()
                  if count >= minimum and (at_fit is None or count - at_fit >= every))


def _replay(statements: StatementsRepo, person_id: int, org: Organisation,
            catalogues: dict[str, Catalogue], parameters: tuple[float, ...]
            ) -> tuple[list[Review], MemoryLearner]:
    """The person's answers as reviews, and their memory rows scheduled with `parameters`, by
    the projector itself over their statements in stored order."""
    state = MemoryLearner(parameters={person_id: parameters})
    reviews: list[Review] = []
    for document in statements.stream_person(person_id):
        read = read_event(document)
        if read is None or read[0] != org.slug or not isinstance(read[1], Answered):
            continue
        event = read[1]
        if project(state, person_id, "UTC", event, catalogues):
            rating = memory.rating_for(event.score, event.success)
            reviews.append(Review(f"{event.pack}/{event.family}", event.at, int(rating)))
    return reviews, state


def calibrate_memory(statements: StatementsRepo, learner: LearnerRepo,
                     calibration: CalibrationRepo, org: Organisation,
                     catalogues: dict[str, Catalogue], now: datetime,
                     people: Iterable[int] | None = None) -> list[MemoryOutcome]:
    """Fit the people due a fit (or exactly `people`), store each verdict, and reschedule the
    memory of those whose parameters changed."""
    chosen = list(people) if people is not None else due_for_fit(calibration.answers(org.id))
    outcomes: list[MemoryOutcome] = []
    for person_id in chosen:
        before = learner.memory_parameters(person_id)
        reviews, _ = _replay(statements, person_id, org, catalogues, before)
        decision = personal_parameters(reviews)
        calibration.save_memory_fit(person_id, decision, len(reviews), now)
        rescheduled = 0
        if decision.parameters != before:
            _, state = _replay(statements, person_id, org, catalogues, decision.parameters)
            for (pid, pack, family), row in state.memory_rows.items():
                learner.save_memory(pid, pack, family, row)
            rescheduled = len(state.memory_rows)
        outcomes.append(MemoryOutcome(person_id, decision, len(reviews), rescheduled))
    return outcomes


def calibrate_items(calibration: CalibrationRepo, org: Organisation,
                    catalogues: dict[str, Catalogue], now: datetime) -> list[ItemsOutcome]:
    """Calibrate each pack's families from first answers; a pack whose answers cannot support
    a fit keeps its previous calibration, and the outcome says why."""
    outcomes: list[ItemsOutcome] = []
    for pack, catalogue in sorted(catalogues.items()):
        responses = [(str(pid), family, right)
                     for pid, family, right in calibration.first_answers(org.id, pack)
                     if family in catalogue.families]
        try:
            fit = fit_2pl(responses, prior=WEAK_PRIOR, bank=catalogue.families)
        except InsufficientData as exc:
            outcomes.append(ItemsOutcome(pack, 0, 0, len(responses), str(exc)))
            continue
        calibration.replace_items(org.id, pack, fit, now)
        flagged = sum(1 for item in fit.items if item_flag(item) is not None)
        outcomes.append(ItemsOutcome(pack, len(fit.items), flagged, len(responses)))
    return outcomes


@dataclass(frozen=True, slots=True)
class AnswersOutcome:
    pack: str
    record: AnswerModelRecord
    changed: bool  # the model in force changed (and the learner state was rebuilt)


def answers_due(total_answers: int, records: dict[str, AnswerModelRecord]) -> bool:
    """Whether the organisation's answer models are due a fit: enough answers, and a fifth more
    than at the last fit."""
    if total_answers < answer_model.MIN_ANSWERS:
        return False
    fitted = sum(r.answers for r in records.values())
    return not records or total_answers >= ANSWERS_GROWTH * fitted


def answer_sequences(statements: StatementsRepo, org: Organisation,
                     catalogues: dict[str, Catalogue]) -> dict[str, dict[int, list[Answer]]]:
    """Every person's answers per pack, in stored order, as the answer model reads them."""
    out: dict[str, dict[int, list[Answer]]] = {}
    for person_id, document in statements.stream(org.id):
        read = read_event(document)
        if person_id is None or read is None or read[0] != org.slug:
            continue
        event = read[1]
        if not isinstance(event, Answered):
            continue
        catalogue = catalogues.get(event.pack)
        facts = catalogue.families.get(event.family) if catalogue else None
        if facts is None:
            continue
        out.setdefault(event.pack, {}).setdefault(person_id, []).append(
            Answer(event.family, (facts.skill,), event.score, event.success, facts.skill))
    return out


def calibrate_answers(store: LearningStore, org: Organisation,
                      catalogues: dict[str, Catalogue], now: datetime) -> list[AnswersOutcome]:
    """Fit each pack's answer model, store each verdict, and rebuild the organisation's
    learner state when a model in force changed."""
    before = store.learner.answer_models(org.id)
    outcomes: list[AnswersOutcome] = []
    for pack, sequences in sorted(answer_sequences(store.statements, org, catalogues).items()):
        choice = answer_model.organisation_model(sequences, answer_model.shipped())
        record = AnswerModelRecord(choice.model is not None, choice.reason, choice.answers,
                                   choice.people, choice.held_out_loss_fitted,
                                   choice.held_out_loss_shipped, now)
        store.calibration.save_answer_model(org.id, pack, choice.model, record)
        changed = choice.model is not None or pack in before
        outcomes.append(AnswersOutcome(pack, record, changed))
    if any(o.changed for o in outcomes):
        rebuild(store.statements, store.learner, store.people, org, catalogues)
    return outcomes


@dataclass(frozen=True, slots=True)
class OrganisationOutcome:
    organisation: str
    memory: list[MemoryOutcome]
    items: list[ItemsOutcome]
    answers: list[AnswersOutcome] = field(default_factory=list)

    @property
    def personal(self) -> int:
        return sum(1 for m in self.memory if m.decision.personal)


Transaction = Callable[[], AbstractContextManager[LearningStore]]


def calibrate_organisation(transaction: Transaction,
                           packs: Callable[[LearningStore], PackLoader], org_id: int,
                           now: datetime, *, everyone: bool = False,
                           started: Callable[[int], None] = lambda _: None,
                           tick: Callable[[int], None] = lambda _: None
                           ) -> OrganisationOutcome:
    """Memory fits for the people due one (everyone with an answer when `everyone`), one
    transaction a person so that a long run keeps what it has done, then item calibration in
    one more, then the answer models when due (always with `everyone`) in a last one.
    `started` is told how many people will be fitted."""
    with transaction() as store:
        org = store.people.organisation(org_id)
        if org is None:
            raise ValueError(f"no organisation {org_id}")
        answers = store.calibration.answers(org.id)
        chosen = sorted(answers) if everyone else due_for_fit(answers)
    started(len(chosen))
    memory_outcomes: list[MemoryOutcome] = []
    for person_id in chosen:
        with transaction() as store:
            memory_outcomes += calibrate_memory(
                store.statements, store.learner, store.calibration, org,
                catalogues(store, packs(store), org.id), now, [person_id])
        tick(1)
    with transaction() as store:
        items = calibrate_items(store.calibration, org, catalogues(store, packs(store), org.id),
                                now)
    with transaction() as store:
        total = sum(count for count, _ in store.calibration.answers(org.id).values())
        fits: list[AnswersOutcome] = []
        if everyone or answers_due(total, store.calibration.answer_model_records(org.id)):
            fits = calibrate_answers(store, org, catalogues(store, packs(store), org.id), now)
    return OrganisationOutcome(org.slug, memory_outcomes, items, fits)
