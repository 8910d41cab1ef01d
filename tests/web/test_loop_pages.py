"""The learner's loop as pages, through the in-process client on SQLite and PostgreSQL:
home, next step, lesson, pulse, items with feedback, the end of a step and the step after it.

Which item families a check draws is random, so the tests look up the served item (as an
author could) to answer it right or wrong; everything else goes through the pages.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learnloop.demo import DEMO_PACK
from learnloop.domain.content import variants
from learnloop.domain.content.model import ItemType, Pack
from learnloop.domain.content.variants import Item
from learnloop.domain.grading import Response
from learnloop.domain.learner import policy
from learnloop.packs import read_pack
from learnloop.packs.reader import read_pack_files
from learnloop.services import content
from learnloop.store import tables as t
from learnloop.store.unit import transaction
from tests.conftest import NOW
from tests.loop.conftest import right, wrong
from tests.web.conftest import ITEMS, LESSON, SKILLS, csrf_of, sign_in

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
READ = read_pack(DEMO_PACK)
DEMO: Pack = READ.pack  # type: ignore[assignment]
STARTER: Pack = read_pack_files({  # type: ignore[assignment]
    "pack.yaml": "id: starter\ntitle: Starter pack\n", "skills.yaml": SKILLS,
    "lessons/bounces.md": LESSON, "items/deliverability.yaml": ITEMS}).pack
STARTER_LABEL = "You showed a common mix-up: treats a hard bounce as temporary."


@pytest.fixture
def demo(sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    """The demo pack next to the starter pack; the home page shows the first pack by id."""
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        content.publish(repos.content, org.id, None, READ, NOW)


# --- helpers: each one does what a person does on the page ---


def start(client: TestClient, pack: str = "") -> tuple[str, str]:
    """Press Start on the home page; returns the step id and the step page."""
    home = client.get("/")
    assert home.status_code == 200
    response = client.post("/steps/next", data={"csrf_token": csrf_of(home.text),
                                                 "pack": pack}, follow_redirects=False)
    assert response.status_code == 303
    match = re.fullmatch(f"/steps/({UUID})", response.headers["location"])
    assert match, response.headers["location"]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    return match.group(1), page.text


def read_lesson(client: TestClient, step_id: str, page: str) -> str:
    """'Got it' through every section, then 'I've read it'; returns the next page."""
    for _ in range(50):
        got_it = re.search(rf'action="(/steps/{step_id}/sections/[a-z0-9-]+/viewed)"', page)
        if got_it is None:
            break
        response = client.post(got_it.group(1), data={"csrf_token": csrf_of(page)},
                               follow_redirects=False)
        assert response.status_code == 303
        assert "?section=" in response.headers["location"]
        page = client.get(response.headers["location"]).text
    assert "I’ve read it" in page
    section = re.search(r'name="section" value="([^"]*)"', page)
    response = client.post(f"/steps/{step_id}/lesson/complete", data={
        "csrf_token": csrf_of(page), "section": section.group(1) if section else ""})
    assert response.status_code == 200
    return response.text


def pulse(client: TestClient, step_id: str, page: str, confidence: str = "4",
          relevance: str = "5", comment: str = "") -> str:
    response = client.post(f"/steps/{step_id}/pulse", data={
        "csrf_token": csrf_of(page), "confidence": confidence, "relevance": relevance,
        "comment": comment})
    assert response.status_code == 200, response.text
    return response.text


def served(sessions: sessionmaker[Session], page: str) -> tuple[str, Item]:
    """The item on an item page: its attempt id and the variant behind it."""
    match = re.search(f'action="/items/({UUID})/answer"', page)
    assert match, "the page shows an item"
    with sessions() as s:
        row = s.scalars(select(t.AttemptRow).where(t.AttemptRow.id == match.group(1))).one()
        family = DEMO.family(row.family) or STARTER.family(row.family)
        assert family is not None
        return match.group(1), variants.make_item(family, row.variant)


def form_of(response: Response) -> dict[str, Any]:
    if response.choices:
        return {"choice": list(response.choices)}
    if response.number is not None:
        return {"number": format(response.number, "g")}
    return {"text": response.text or ""}


def answer(client: TestClient, step_id: str, page: str, attempt: str,
           data: dict[str, Any]) -> Any:
    return client.post(f"/items/{attempt}/answer",
                       data={"csrf_token": csrf_of(page), "step": step_id, **data})


def family_of(item: Item) -> Any:
    return DEMO.family(item.family_id) or STARTER.family(item.family_id)


# --- the journey ---


def test_home_shows_the_next_step_with_its_reason_and_an_empty_record(
        client: TestClient, demo: None) -> None:
    sign_in(client, "ann")
    page = client.get("/").text
    assert "Your next step" in page
    assert re.search(r'data-testid="next-reason">Next in [^<]+: “', page)
    assert 'action="/steps/next"' in page
    assert ">Start <" in page
    assert "Nothing is due today." in page
    assert "Re-checks are scheduled once you have answered some questions." in page
    assert page.count("not started") == len(DEMO.skills)
    assert "0 <small>of 18</small>" in page
    assert "weeks active in a row" in page
    assert "Your steps will appear here." in page
    assert "Marketing Essentials" in page or "marketing-essentials" in page


def test_a_lesson_step_from_start_to_the_next_step(
        client: TestClient, demo: None, sessions: sessionmaker[Session]) -> None:
    sign_in(client, "ann")
    step_id, page = start(client)
    assert "Why this step" in page
    assert "You will be able to:" in page
    assert 'aria-current="step"' in page
    client.get(f"/steps/{step_id}")  # opening the page again records no second launch
    with sessions() as s:
        launched = s.scalars(select(t.StatementRow.verb).where(
            t.StatementRow.registration == step_id)).all()
    assert sum(v.endswith("/launched") for v in launched) == 1

    page = read_lesson(client, step_id, page)
    assert "How did the lesson land?" in page
    assert "<legend>How sure are you?" in page
    assert "<legend>Can you apply this today?" in page
    page = pulse(client, step_id, page)
    assert "Question 1 of 3" in page

    seen_labels = []
    for position in (1, 2, 3):
        assert f"Question {position} of 3" in page
        attempt, item = served(sessions, page)
        family = family_of(item)
        chosen = right(item, family) if position == 1 else (wrong(item) or
                                                            right(item, family))
        feedback = answer(client, step_id, page, attempt, form_of(chosen))
        assert feedback.status_code == 200
        text = feedback.text
        assert "Your answer" in text
        assert "The right answer" in text or "A model answer" in text
        if position == 1:
            assert ">Right<" in text
        labels = [html.unescape(x) for x in re.findall(r"<li>(You [^<]+\.)</li>", text)]
        seen_labels += labels
        if position < 3:
            assert "Next question" in text
        else:
            assert "How did that go?" in text
        page = client.get(f"/steps/{step_id}").text

    assert seen_labels, "a wrong answer to a demo item reveals a misconception"
    known = {policy.label_of(m) for m in DEMO.misconceptions().values()}
    assert all(label[len("You "):-1] in known for label in seen_labels)
    assert "How did that go?" in page
    assert "You got 1 of 3 right" in page or "of 3 right" in page
    done = pulse(client, step_id, page, comment="Clear, thanks")
    assert "Step done" in done
    assert "of 3 right" in done
    assert 'data-testid="next-reason">You ' in done  # the misconception leads to a catch-up
    assert "To work on" in done
    home = client.get("/").text
    assert "1 <small>of 18</small>" in home
    assert "No answers yet" in home  # the other skills
    assert "3 answers, 1 right" in home
    assert "last confidence 4 of 5" in home
    assert "Next re-check:" in home
    assert "1</strong><span>week active in a row" in home


def test_the_starter_check_shows_the_misconception_and_the_catch_up(
        client: TestClient, sessions: sessionmaker[Session]) -> None:
    sign_in(client, "ann")
    step_id, page = start(client, "starter")
    assert "Soft and hard bounces" in page
    assert "1 of 2 · </span>Hard bounces" in page
    page = read_lesson(client, step_id, page)
    page = pulse(client, step_id, page, confidence="5", relevance="5")
    assert "Question 1 of 1" in page
    assert "Choose one." in page
    attempt, _item = served(sessions, page)
    feedback = answer(client, step_id, page, attempt, {"choice": "retry"})
    assert feedback.status_code == 200
    assert "Not quite" in feedback.text
    assert STARTER_LABEL in feedback.text
    assert "Keep retrying for a week." in feedback.text  # the learner's answer
    assert "Suppress the address at once." in feedback.text  # the right one
    assert "retrying hurts your reputation" in feedback.text
    assert "How did that go?" in feedback.text
    done = pulse(client, step_id, client.get(f"/steps/{step_id}").text)
    assert "0 of 1 right · score 0%" in done
    assert STARTER_LABEL in done
    assert re.search(r'data-testid="next-reason">You showed a common mix-up', done)
    # The Start button on the done page starts that catch-up step.
    response = client.post("/steps/next", data={"csrf_token": csrf_of(done),
                                                 "pack": "starter"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] != f"/steps/{step_id}"
    catch_up = client.get(response.headers["location"]).text
    assert "Catch-up" in catch_up
    assert "Why this step" in catch_up


def test_lesson_list_starts_a_chosen_lesson(client: TestClient) -> None:
    sign_in(client, "ann")
    page = client.get("/learn").text
    assert 'action="/learn/starter/lessons/bounces/start"' in page
    response = client.post("/learn/starter/lessons/bounces/start",
                           data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    step = client.get(response.headers["location"]).text
    assert "You chose “Soft and hard bounces”" in step
    assert "In progress" in client.get("/learn").text
    again = client.post("/learn/starter/lessons/bounces/start",
                        data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert again.headers["location"] == response.headers["location"]  # resumed, not doubled
    assert client.post("/learn/starter/lessons/bounces/start",
                       data={"csrf_token": "forged"}).status_code == 403


# --- what is refused, and how it reads ---


def _to_items(client: TestClient, pack: str = "starter") -> tuple[str, str]:
    step_id, page = start(client, pack)
    page = read_lesson(client, step_id, page)
    return step_id, pulse(client, step_id, page)


def test_another_learners_step_is_403_and_an_unknown_one_404(client: TestClient) -> None:
    sign_in(client, "ann")
    step_id, _page = start(client, "starter")
    assert client.get("/steps/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/steps/not-a-step").status_code in (400, 404)
    client.cookies.clear()
    sign_in(client, "bob")
    other = client.get(f"/steps/{step_id}")
    assert other.status_code == 403
    assert "nobody answers or rates for someone else" in other.text.lower()
    client.cookies.clear()
    sign_in(client, "ada")  # admins included
    assert client.get(f"/steps/{step_id}").status_code == 403


def test_answering_twice_is_a_conflict_with_a_way_back(
        client: TestClient, sessions: sessionmaker[Session]) -> None:
    sign_in(client, "ann")
    step_id, page = _to_items(client)
    attempt, _item = served(sessions, page)
    first = answer(client, step_id, page, attempt, {"choice": "suppress"})
    assert first.status_code == 200
    assert ">Right<" in first.text
    second = answer(client, step_id, page, attempt, {"choice": "retry"})
    assert second.status_code == 409
    assert "already answered" in second.text
    assert f'href="/steps/{step_id}"' in second.text
    assert "Back to the step" in second.text


def test_a_malformed_answer_shows_the_item_again_naming_the_problem(
        client: TestClient, sessions: sessionmaker[Session]) -> None:
    sign_in(client, "ann")
    step_id, page = _to_items(client)
    attempt, _item = served(sessions, page)
    none = answer(client, step_id, page, attempt, {})
    assert none.status_code == 400
    assert "choose an option" in none.text
    assert 'id="answer-error"' in none.text
    assert f'action="/items/{attempt}/answer"' in none.text  # the same item, still open
    unknown = answer(client, step_id, page, attempt, {"choice": "maybe"})
    assert unknown.status_code == 400
    assert "unknown option(s) &#39;maybe&#39;" in unknown.text
    good = answer(client, step_id, page, attempt, {"choice": "suppress"})
    assert good.status_code == 200


def test_a_number_that_is_not_one_is_named_on_a_numeric_item(
        client: TestClient, demo: None, sessions: sessionmaker[Session]) -> None:
    """A numeric item of the demo pack: words instead of a number are refused in place."""
    sign_in(client, "ann")
    page = client.get("/learn").text
    response = client.post("/learn/marketing-essentials/lessons/rates-and-denominators/start",
                           data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    step_id = response.headers["location"].rsplit("/", 1)[1]
    page = read_lesson(client, step_id, client.get(response.headers["location"]).text)
    page = pulse(client, step_id, page)
    attempt, item = served(sessions, page)
    assert item.type is ItemType.NUMERIC
    bad = answer(client, step_id, page, attempt, {"number": "about ten"})
    assert bad.status_code == 400
    assert "“about ten” is not a number" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert 'value="about ten"' in bad.text  # what was typed stays in the field
    empty = answer(client, step_id, page, attempt, {"number": ""})
    assert empty.status_code == 400
    assert "a number is required" in empty.text
    assert item.answer is not None
    good = answer(client, step_id, page, attempt, {"number": format(item.answer, "g")})
    assert ">Right<" in good.text


def test_a_pulse_without_answers_is_400_and_keeps_what_was_given(client: TestClient) -> None:
    sign_in(client, "ann")
    step_id, page = start(client, "starter")
    page = read_lesson(client, step_id, page)
    response = client.post(f"/steps/{step_id}/pulse", data={
        "csrf_token": csrf_of(page), "confidence": "4", "comment": "x" * 1001})
    assert response.status_code == 400
    assert "Choose how much you can apply it today, from 1 to 5." in response.text
    assert "Choose how sure you are" not in response.text
    assert "1000 characters or fewer (it has 1001)" in response.text
    assert re.search(r'value="4"\s+checked', response.text)
    assert client.post(f"/steps/{step_id}/pulse", data={
        "csrf_token": "forged", "confidence": "4", "relevance": "4"}).status_code == 403
    pulse(client, step_id, page)
    twice = client.post(f"/steps/{step_id}/pulse", data={
        "csrf_token": csrf_of(page), "confidence": "4", "relevance": "4"})
    assert twice.status_code == 409
    assert "Back to the step" in twice.text


def test_reading_the_lesson_twice_is_a_conflict_not_an_error(client: TestClient) -> None:
    sign_in(client, "ann")
    step_id, page = start(client, "starter")
    read_lesson(client, step_id, page)
    again = client.post(f"/steps/{step_id}/lesson/complete",
                        data={"csrf_token": csrf_of(page)})
    assert again.status_code == 409
    assert "Back to the step" in again.text


def test_other_roles_keep_their_home_and_see_their_own_learning(client: TestClient) -> None:
    sign_in(client, "head")
    page = client.get("/").text
    assert "Your reports" in page
    assert "Your next step" in page
    assert "Mastery per skill" in page
