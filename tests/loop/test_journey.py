"""The micro loop end to end through the services: lesson, check, pulse, next step, re-check."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from learnloop.domain.grading import Response
from learnloop.domain.learner.policy import StepKind
from learnloop.domain.people import Role
from learnloop.domain.xapi import profile
from learnloop.services import loop
from learnloop.store import tables as t
from learnloop.store.unit import transaction
from tests.conftest import NOW
from tests.loop.conftest import Driver, World, add_person, right, wrong


def verbs(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as s:
        return [v.rsplit("/", 1)[-1] for v in
                s.scalars(select(t.StatementRow.verb).order_by(t.StatementRow.seq))]


def documents(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    import json
    with sessions() as s:
        return [json.loads(d) for d in
                s.scalars(select(t.StatementRow.document).order_by(t.StatementRow.seq))]


def do_lesson_step(driver: Driver, answer_right: bool = True) -> Any:
    step = driver.start_next()
    assert step.kind == StepKind.LESSON
    view = driver.open_lesson(step.id)
    assert view.stage is loop.Stage.LESSON
    assert view.sections
    driver.run(loop.view_section, step.id, view.sections[0].slug, driver.now, driver.new_id)
    driver.later(minutes=4)
    driver.complete_lesson(step.id)
    driver.pulse(step.id, "lesson")
    answers = []
    for _ in step.families:
        served = driver.serve(step.id)
        family = driver.family(served.item.family_id)
        response = right(served.item, family) if answer_right else \
            (wrong(served.item) or right(served.item, family))
        driver.later(seconds=30)
        answers.append(driver.answer(served.attempt.id, response))
    driver.pulse(step.id, "check", confidence=4, relevance=5, comment="Useful, thanks")
    return step, answers


def test_a_new_learner_is_offered_the_first_lesson_with_a_reason(driver: Driver) -> None:
    home = driver.home()
    assert home.next_step is not None
    assert home.next_step.kind is StepKind.LESSON
    assert home.next_step.reason.startswith("Next in ")
    assert all(s.probability is None for s in home.skills)
    assert home.weeks_in_a_row == 0
    assert home.due_today == []


def test_lesson_check_pulse_records_every_event_as_a_statement(
        driver: Driver, sessions: sessionmaker[Session]) -> None:
    step, answers = do_lesson_step(driver)
    assert all(a.grade.success for a in answers)
    assert answers[-1].next_stage is loop.Stage.PULSE
    n = len(step.families)
    assert verbs(sessions) == ["was-assigned", "launched", "experienced", "completed", "rated",
                               *["answered"] * n, "rated"]
    docs = documents(sessions)
    assert {d["context"]["registration"] for d in docs} == {step.id}
    answered = [d for d in docs if d["verb"]["id"] == profile.ANSWERED.id]
    assert all(d["result"]["success"] is True and d["result"]["score"]["scaled"] == 1
               for d in answered)
    assert all(d["result"]["duration"] == "PT30S" for d in answered)
    completed = next(d for d in docs if d["verb"]["id"] == profile.COMPLETED.id)
    assert completed["result"]["duration"] == "PT4M"
    home = driver.home()
    skill = next(s for s in home.skills if s.id == step.skill)
    assert skill.answers == n
    assert skill.correct == n
    assert skill.confidence == 4
    assert skill.probability is not None
    assert skill.probability > 0.8
    assert home.weeks_in_a_row == 1
    assert home.lessons_done == 1
    assert home.open_step is None
    assert home.due_today == []
    assert len(home.due_later) == n


def test_a_misconception_leads_to_remediation_and_the_next_day_to_a_recheck(
        driver: Driver, sessions: sessionmaker[Session]) -> None:
    _step, answers = do_lesson_step(driver, answer_right=False)
    revealed = [m for a in answers for m, _ in a.labels]
    assert revealed, "the demo pack's first check has distractors with misconceptions"
    remedial = driver.start_next()
    assert remedial.kind == StepKind.REMEDIATION
    assert remedial.reason.startswith("You ")
    assert "section" in remedial.reason
    assert remedial.reason.endswith("practice items.")
    assert remedial.misconception in revealed
    # Read the section, answer both practice items correctly: the misconception clears.
    driver.open_lesson(remedial.id)
    driver.complete_lesson(remedial.id)
    for _ in remedial.families:
        served = driver.serve(remedial.id)
        driver.answer(served.attempt.id, right(served.item, driver.family(served.item.family_id)))
    driver.pulse(remedial.id, "check")
    # The next day the wrongly answered families are due again.
    driver.later(days=1, hours=1)
    home = driver.home()
    assert home.due_today
    assert home.next_step is not None
    assert home.next_step.kind is StepKind.RECHECK
    recheck = driver.start_next()
    assert recheck.kind == StepKind.RECHECK
    assert "re-check" in recheck.reason
    assert "a day ago" in recheck.reason
    assert verbs(sessions)[-len(recheck.families) - 1:] == \
        ["became-due"] * len(recheck.families) + ["was-assigned"]


def test_variants_are_drawn_so_a_learner_rarely_sees_the_same_surface(driver: Driver) -> None:
    seen = []
    for _ in range(3):
        step = driver.start_next()
        if step.lesson:
            driver.open_lesson(step.id)
            driver.complete_lesson(step.id)
            if step.kind == StepKind.LESSON:
                driver.pulse(step.id, "lesson")
        for _ in step.families:
            served = driver.serve(step.id)
            seen.append((served.item.family_id, served.item.variant))
            driver.answer(served.attempt.id,
                          right(served.item, driver.family(served.item.family_id)))
        driver.pulse(step.id, "check")
        driver.later(days=3)
    assert len(seen) == len(set(seen))


def test_serving_again_returns_the_open_item(driver: Driver) -> None:
    step, _ = driver.start_next(), None
    driver.open_lesson(step.id)
    driver.complete_lesson(step.id)
    driver.pulse(step.id, "lesson")
    first = driver.serve(step.id)
    assert driver.serve(step.id).attempt.id == first.attempt.id


# --- bad input ---


def _at_items(driver: Driver) -> Any:
    step = driver.start_next()
    driver.open_lesson(step.id)
    driver.complete_lesson(step.id)
    driver.pulse(step.id, "lesson")
    return step, driver.serve(step.id)


def test_answering_twice_is_a_conflict(driver: Driver) -> None:
    _, served = _at_items(driver)
    response = right(served.item, driver.family(served.item.family_id))
    driver.answer(served.attempt.id, response)
    with pytest.raises(Conflict, match="already answered"):
        driver.answer(served.attempt.id, response)


def test_answering_after_expiry_is_a_conflict(driver: Driver) -> None:
    _, served = _at_items(driver)
    driver.later(minutes=31)
    with pytest.raises(Conflict, match="expired"):
        driver.answer(served.attempt.id, right(served.item,
                                               driver.family(served.item.family_id)))


def test_an_item_served_to_someone_else_is_a_conflict(
        driver: Driver, sessions: sessionmaker[Session], world: World) -> None:
    _, served = _at_items(driver)
    other = Driver(sessions, world.org, world.other)
    with pytest.raises(Conflict, match="not served to you"):
        other.answer(served.attempt.id, Response(choices=("a",)))


def test_unknown_items_and_steps_are_not_found(driver: Driver) -> None:
    with pytest.raises(NotFound):
        driver.answer("00000000-0000-4000-8000-000000000000", Response(choices=("a",)))
    with pytest.raises(NotFound):
        driver.serve("00000000-0000-4000-8000-000000000000")


def test_another_learners_step_and_home_are_forbidden(
        driver: Driver, sessions: sessionmaker[Session], world: World) -> None:
    step, _ = _at_items(driver)
    other = Driver(sessions, world.org, world.other)
    with pytest.raises(Forbidden):
        other.serve(step.id)
    with pytest.raises(Forbidden):
        other.run(loop.home, other.now, world.learner.id)
    manager = Driver(sessions, world.org, world.manager)
    assert manager.run(loop.home, manager.now, world.learner.id).learner.person.id == \
        world.learner.id
    with pytest.raises(Forbidden):  # a manager sees a report's progress, never answers
        manager.serve(step.id)


def test_another_organisations_step_is_not_found(
        driver: Driver, sessions: sessionmaker[Session]) -> None:
    step, _ = _at_items(driver)
    with transaction(sessions) as repos:
        elsewhere = repos.people.add_organisation("globex", "Globex", "UTC", 5, False, NOW)
        admin = add_person(repos, elsewhere, "gil@globex.test", {Role.ADMIN, Role.LEARNER})
    outsider = Driver(sessions, elsewhere, admin)
    with pytest.raises(NotFound):
        outsider.serve(step.id)
    with pytest.raises(NotFound):
        outsider.run(loop.step_view, step.id)


def test_a_section_is_viewed_only_while_the_lesson_is_read(driver: Driver) -> None:
    step = driver.start_next()
    view = driver.open_lesson(step.id)
    driver.run(loop.view_section, step.id, view.sections[0].slug, driver.now, driver.new_id)
    driver.complete_lesson(step.id)
    with pytest.raises(Conflict, match="stage"):
        driver.run(loop.view_section, step.id, view.sections[0].slug, driver.now,
                   driver.new_id)


def test_a_malformed_answer_names_the_field(driver: Driver) -> None:
    _, served = _at_items(driver)
    with pytest.raises(InvalidInput) as caught:
        driver.answer(served.attempt.id, Response(choices=("no-such-option",)))
    assert caught.value.problems[0].field == "answer.choices"
    # nothing was recorded: the item can still be answered
    driver.answer(served.attempt.id, right(served.item, driver.family(served.item.family_id)))


def test_a_pulse_out_of_range_names_the_field(driver: Driver) -> None:
    step = driver.start_next()
    with pytest.raises(InvalidInput) as caught:
        driver.pulse(step.id, "lesson", confidence=6, relevance=0)
    assert {p.field for p in caught.value.problems} == {"confidence", "relevance"}


def test_steps_go_in_order(driver: Driver) -> None:
    step = driver.start_next()
    with pytest.raises(Conflict, match="'lesson' stage"):
        driver.serve(step.id)
    with pytest.raises(Conflict):
        driver.pulse(step.id, "check")


def test_a_crash_while_recording_an_answer_leaves_nothing_half_written(
        driver: Driver, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, served = _at_items(driver)
    before = verbs(sessions)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr("learnloop.services.projection.p.answered_skill", crash)
    with pytest.raises(RuntimeError):
        driver.answer(served.attempt.id, right(served.item, driver.family(served.item.family_id)))
    assert verbs(sessions) == before
    with transaction(sessions) as repos:
        assert repos.learner.memories(driver.person.id, "marketing-essentials") == {}
        attempt = repos.steps.attempt(served.attempt.id)
        assert attempt is not None
        assert attempt.answered_at is None
    monkeypatch.undo()
    answered = driver.answer(served.attempt.id,
                             right(served.item, driver.family(served.item.family_id)))
    assert answered.grade.success
