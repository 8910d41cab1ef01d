"""Pre-flight in a real browser against a real server, with the real checkers: a marketer
uploads a real template, reads the report with its screenshots, and overrides a failure.

Needs Chromium (and spamd for D8); skipped without Chromium unless LEARNLOOP_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.demo import DEMO_PACK
from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.services import content
from learnloop.settings import load_settings
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.serving import serving
from tests.shared_data import TEMPLATES
from tests.web.test_browser import (  # noqa: F401 - fixtures used below
    SHOTS,
    _shot,
    _sign_in,
    chromium,
    database_url,
    local_tab,
    seeded,
    sessions,
)

pytestmark = pytest.mark.browser
SIMPLE = TEMPLATES / "mailchimp__email-blueprints" / "templates" / "simple-basic.html"
SIDECAR = b"""campaign:
  name: 2026-12_email_subscribers_winter-sale
  message_type: marketing
  campaign_type: newsletter
  owner: ann@acme.example
email:
  subject: Our December news
  from: Acme <news@acme.example>
"""


@pytest.fixture
def server(database_url: str, seeded: dict[str, int],  # noqa: F811
           sessions: sessionmaker[Session]) -> Iterator[str]:  # noqa: F811
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        content.publish(repos.content, org.id, None, read_pack(DEMO_PACK), NOW)
    settings = load_settings(environment="test", database_url=database_url)
    yield from serving(create_app(settings, passwords=Argon2Passwords(fast=True)))


@pytest.mark.skipif(not SIMPLE.exists(), reason="the shared email templates are not here")
@pytest.mark.parametrize("width", [1280, 375])
def test_a_marketer_checks_a_real_template(server: str, width: int,
                                           tmp_path: Path) -> None:
    html = tmp_path / "simple-basic.html"
    shutil.copy(SIMPLE, html)
    side = tmp_path / "simple-basic.yaml"
    side.write_bytes(SIDECAR)
    for browser in chromium():
        tab = local_tab(browser, server, width=width)
        _sign_in(tab, server, "ann")
        tab.goto(f"{server}/preflight")
        tab.set_input_files("input[name=file]", str(html))
        tab.set_input_files("input[name=sidecar]", str(side))
        tab.click("button:has-text('Run pre-flight')")
        tab.wait_for_load_state()
        assert "Your first newsletter campaign" in tab.content()
        _shot(tab, f"preflight-intro-{width}")
        tab.click("text=Show the report")
        tab.wait_for_load_state()
        assert tab.locator(".verdict").inner_text() == "Blocked"
        assert "(1 image blocked)" in tab.content()  # the template's one remote image
        shots = tab.locator(".shot img")
        assert shots.count() == 2
        for index in range(2):
            loaded = shots.nth(index).evaluate("img => img.complete && img.naturalWidth")
            assert loaded in (375, 600)
        t1 = tab.locator("#rule-T1")
        assert "templateContainer" in t1.inner_text()  # the 600 px table is named
        assert "Checking an email on a phone" in t1.inner_text()  # its lesson
        assert tab.locator("#rule-D8").count() == 1 or "D8" in tab.content()
        scroll = tab.evaluate("document.documentElement.scrollWidth")
        wide = tab.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +
                             Math.round(e.getBoundingClientRect().right))""")
        assert scroll <= width, wide  # the report itself never scrolls sideways
        _shot(tab, f"preflight-report-{width}")
        tab.screenshot(path=str(SHOTS / f"preflight-report-top-{width}.png"))
        t2 = tab.locator("#rule-T2")
        if width == 1280 and t2.count():
            t2.locator("summary:has-text('Launch anyway')").click()
            t2.locator("textarea").fill("The placeholder image is replaced in the ESP.")
            t2.locator("button:has-text('Override')").click()
            tab.wait_for_load_state()
            assert "Overridden: “The placeholder image is replaced in the ESP.”" in \
                tab.locator("#rule-T2").inner_text()
        tab.context.close()
