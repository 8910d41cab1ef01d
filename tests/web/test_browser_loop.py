"""Headless Chromium walks the micro loop as a demo learner would: home, lesson, lesson pulse,
a check with immediate feedback, the closing pulse, the next step; then the learner comes back
the next day to a due re-check. The demo organisation is built by the same service as
`learnloop demo`; the server's clock is moved by the test. Screenshots of every stage are kept
in `var/screenshots/loop-*.png` (or LEARNLOOP_SCREENSHOTS=DIR), on a desktop and a phone width.
"""

from __future__ import annotations

import random
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learnloop.demo import DEMO_ORG_NAME, DEMO_ORG_SLUG, DEMO_PACK, DEMO_PASSWORD, DEMO_PEOPLE
from learnloop.domain.content import variants
from learnloop.domain.content.model import ItemType, Pack
from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.services.demo import build_demo
from learnloop.settings import load_settings
from learnloop.store import tables as t
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.serving import serving
from tests.web.test_browser import _shot, chromium, local_tab

pytestmark = pytest.mark.browser
READING = read_pack(DEMO_PACK)
DEMO: Pack = READING.pack  # type: ignore[assignment]
LEARNER = "aisha.bello@northwind.example"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def demo_db(tmp_path: Path, sqlite_template: Path) -> Iterator[sessionmaker[Session]]:
    path = tmp_path / "demo.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    sessions = session_factory(engine)
    with transaction(sessions) as repos:
        build_demo(repos.people, repos.auth, repos.content, Argon2Passwords(fast=True),
                   DEMO_PEOPLE.read_text(encoding="utf-8"), READING, DEMO_PASSWORD,
                   DEMO_ORG_SLUG, DEMO_ORG_NAME, "Europe/London", 5, NOW)
    yield sessions
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def demo_server(demo_db: sessionmaker[Session], clock: Clock) -> Iterator[str]:
    engine = demo_db.kw["bind"]
    settings = load_settings(environment="test", database_url=str(engine.url))
    seeds = iter(range(1, 1_000_000))
    ids = random.Random(11)
    app = create_app(settings, engine=engine, clock=clock,
                     passwords=Argon2Passwords(fast=True),
                     new_id=lambda: str(uuid.UUID(int=ids.getrandbits(128), version=4)),
                     randomness=lambda: random.Random(next(seeds)))
    yield from serving(app)


@pytest.fixture
def browser(demo_server: str):  # type: ignore[no-untyped-def]
    yield from chromium()


def _sign_in(tab, server: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"{server}/signin")
    tab.fill("input[name=email]", LEARNER)
    tab.fill("input[name=password]", DEMO_PASSWORD)
    tab.click("main button[type=submit]")
    tab.wait_for_url(f"{server}/")


def _wrong_answer(tab, sessions: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    """Answer the item on the page wrongly, as a learner with a misconception would."""
    action = tab.locator("main form[action^='/items/']").get_attribute("action")
    attempt = re.fullmatch(f"/items/({UUID})/answer", action or "")
    assert attempt, action
    with sessions() as s:
        row = s.scalars(select(t.AttemptRow).where(t.AttemptRow.id == attempt.group(1))).one()
    family = DEMO.family(row.family)
    assert family is not None
    item = variants.make_item(family, row.variant)
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE):
        wrong = next(o for o in item.options if not o.correct)
        tab.locator("label.choice", has_text=wrong.text).click()
    elif item.type is ItemType.NUMERIC:
        assert item.answer is not None
        tab.fill("#number", format(item.answer * 2 + 1, "g"))
    else:
        tab.fill("#text", "I am not sure; I would ask the team lead.")


def _any_answer(tab) -> None:  # type: ignore[no-untyped-def]
    if tab.locator("label.choice").count():
        tab.locator("label.choice").first.click()
    elif tab.locator("#number").count():
        tab.fill("#number", "10")
    else:
        tab.fill("#text", "Check the code: a 5.x.x bounce is permanent, so suppress it.")


def test_a_demo_learner_goes_lesson_check_pulse_next_step_and_returns_to_a_recheck(
        browser, demo_server: str, demo_db: sessionmaker[Session],  # type: ignore[no-untyped-def]
        clock: Clock) -> None:
    from playwright.sync_api import expect

    server = demo_server
    tab = local_tab(browser, server, 1280, 860)
    _sign_in(tab, server)

    # Home: the next step and why, mastery per skill, nothing due yet.
    reason = tab.get_by_test_id("next-reason")
    expect(reason).to_contain_text("“")  # names the lesson it offers
    first_reason = reason.inner_text()
    assert "Nothing is due today." in tab.locator("main").inner_text()
    _shot(tab, "loop-1-home")

    # The keyboard alone starts the step: skip link, then Tab to the Start button.
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.textContent") == "Skip to content"
    start = tab.locator("form[action='/steps/next'] button")
    start.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(f"{server}/steps/{UUID}"))
    step_url = tab.url

    # The lesson, section by section.
    assert tab.locator("ol.stepper li[aria-current=step]").inner_text().strip().endswith("Read")
    title = tab.locator("h1#lesson-title").inner_text()
    _shot(tab, "loop-2-lesson")
    for _ in range(20):
        if tab.locator("text=I’ve read it").count():
            break
        tab.click("text=Got it: next section")
    tab.click("text=I’ve read it")

    # The lesson pulse, answered with the keyboard: arrow keys move along a 1-to-5 scale.
    expect(tab.locator("h1#pulse-title")).to_have_text("How did the lesson land?")
    tab.focus("input[name=confidence][value='1']")
    for _ in range(3):
        tab.keyboard.press("ArrowRight")
    assert tab.locator("input[name=confidence][value='4']").is_checked()
    tab.locator("input[name=relevance][value='5']").check()
    _shot(tab, "loop-3-lesson-pulse")
    tab.click("text=On to the questions")

    # The check: the first item answered wrongly, the rest as they come; feedback at once.
    answered = 0
    while tab.locator("text=Check my answer").count():
        answered += 1
        expect(tab.locator("p.eyebrow", has_text="Question")).to_contain_text(
            f"Question {answered} of")
        if answered == 1:
            _wrong_answer(tab, demo_db)
            _shot(tab, "loop-4-question")
        else:
            _any_answer(tab)
        tab.click("text=Check my answer")
        verdict = tab.locator("h1#verdict").inner_text()
        assert verdict in ("Right", "Partly right", "Not quite")
        assert tab.locator("dl.answers").count() == 1
        if answered == 1:
            assert verdict == "Not quite"
            _shot(tab, "loop-5-feedback")
        tab.locator("main a.button.primary").click()
    assert answered == 3

    # The closing pulse with a comment, then the end of the step and the step after it.
    expect(tab.locator("h1#pulse-title")).to_have_text("How did that go?")
    tab.locator("input[name=confidence][value='2']").check()
    tab.locator("input[name=relevance][value='4']").check()
    tab.fill("#comment", "Clear, but the alignment question tripped me up.")
    tab.click("text=See my next step")
    expect(tab.locator("h1#done-title")).to_have_text("Step done")
    assert tab.url == step_url
    next_reason = tab.get_by_test_id("next-reason").inner_text()
    assert next_reason
    assert next_reason != first_reason
    _shot(tab, "loop-6-done")

    tab.goto(f"{server}/")
    home = tab.locator("main").inner_text()
    assert "1 of 18" in home  # lessons done
    assert "3 answers" in home
    tab.goto(f"{server}/learn")
    lesson_row = tab.locator(".lesson-list li", has_text=title)
    expect(lesson_row.locator(".status.done")).to_be_visible()

    # The next day: the item answered wrongly is due again, and the next step is the re-check.
    clock.now = NOW + timedelta(days=1)
    tab.goto(f"{server}/")
    if "/signin" in tab.url:  # yesterday's session has expired
        _sign_in(tab, server)
    expect(tab.locator("#due-heading .count")).not_to_have_text("0")
    expect(tab.get_by_test_id("next-reason")).to_contain_text("re-check")
    _shot(tab, "loop-7-next-day")
    tab.locator("form[action='/steps/next'] button").click()
    expect(tab.locator("ol.stepper li[aria-current=step]")).to_contain_text("Questions")
    assert "Re-check" in (tab.locator(".step-head .eyebrow").text_content() or "")
    tab.context.close()

    # The same home on a phone: one column, no sideways scrolling.
    phone = local_tab(browser, server, 390, 844)
    _sign_in(phone, server)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "loop-8-phone-home")
    phone.goto(step_url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()
