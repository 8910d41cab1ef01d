"""Headless Chromium against a real server: a person signs in and browses what their role allows.

Uses Debian's chromium (Playwright cannot download browsers here). Skipped when chromium is
missing, unless LEARNLOOP_REQUIRE_BROWSER=1 (set by .ci/run). Every test keeps a screenshot of
the pages it reaches in `var/screenshots/` (or LEARNLOOP_SCREENSHOTS=DIR), for a person to look
at; the learner's journey through the loop is `loop-*.png`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.security.passwords import Argon2Passwords
from learnloop.settings import load_settings
from learnloop.store.engine import make_engine, session_factory
from learnloop.web.app import create_app
from tests.serving import serving
from tests.web.conftest import PASSWORD, seeded  # noqa: F401 - fixture used below

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run"]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """The browser tests use SQLite only; the same pages run on PostgreSQL in test_pages."""
    path = tmp_path / "learnloop.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def chromium():  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright; skipped (or failed, when required) if missing."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("LEARNLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required but not installed")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def local_tab(browser, server: str, width: int = 1280, height: int = 800):  # type: ignore[no-untyped-def]
    """A new tab that may reach `server` only."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(server) else route.abort())
    return context.new_page()


@pytest.fixture
def server(database_url: str, seeded: dict[str, int]) -> Iterator[str]:  # noqa: F811
    settings = load_settings(environment="test", database_url=database_url)
    yield from serving(create_app(settings, passwords=Argon2Passwords(fast=True)))


@pytest.fixture
def page(server: str):  # type: ignore[no-untyped-def]
    for browser in chromium():
        tab = local_tab(browser, server)
        yield tab
        tab.context.close()


SHOTS = Path(os.environ.get("LEARNLOOP_SCREENSHOTS")
             or Path(__file__).resolve().parents[2] / "var" / "screenshots")


def _shot(tab, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(tab, server: str, who: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"{server}/author")
    assert "/signin" in tab.url
    _shot(tab, "signin")
    tab.fill("input[name=email]", f"{who}@acme.example")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()


def test_author_signs_in_and_browses_items(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, server, "amy")
    assert page.url == f"{server}/author"  # back where they were going
    page.click("text=Starter pack")
    page.click("text=bounce-code")
    assert page.locator("article.item").count() == 2
    assert page.locator("li.correct").count() == 2
    _shot(page, "author-family")
    page.click("text=Sign out")
    page.wait_for_url(f"{server}/signin")


def test_learner_reads_a_lesson_and_cannot_open_admin(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, server, "ann")
    page.goto(f"{server}/learn")
    page.click("text=Soft and hard bounces")
    assert page.locator("section#hard-bounces h2").inner_text() == "Hard bounces"
    _shot(page, "lesson")
    response = page.goto(f"{server}/admin/people")
    assert response is not None
    assert response.status == 403
    assert "Not allowed" in page.content()


def test_admin_filters_people_with_htmx(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, server, "ada")
    page.goto(f"{server}/admin/people")
    assert page.locator("#people-rows tr").count() == 7
    page.fill("input[type=search]", "bob")
    from playwright.sync_api import expect

    expect(page.locator("#people-rows tr")).to_have_count(1)  # htmx swapped the rows
    assert "Bob Peer" in page.locator("#people-rows").inner_text()
    _shot(page, "people")


def test_wrong_password_shows_an_error(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/signin")
    page.fill("input[name=email]", "ann@acme.example")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith(
        "The email or password is not right.")


def test_api_docs_render_offline(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "learnloop" in page.locator(".swagger-ui .info .title").inner_text()
