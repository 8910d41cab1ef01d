"""An app on a real database (SQLite and PostgreSQL) with an organisation, people and a pack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.services import auth, content, people
from learnloop.settings import load_settings
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.packs_fixture import SKILLS_YAML

PASSWORD = "a-long-password-1"
PEOPLE_CSV = """email,name,team,parent_team,manager_email,manages,roles
head@acme.example,Hana Head,Marketing,,,Marketing,manager
lead@acme.example,Leo Lead,Lifecycle,Marketing,head@acme.example,Lifecycle,manager
ann@acme.example,Ann Learner,Lifecycle,Marketing,lead@acme.example,,learner
bob@acme.example,Bob Peer,Acquisition,Marketing,head@acme.example,,learner
ada@acme.example,Ada Admin,,,,,admin
amy@acme.example,Amy Author,,,,,author
ana@acme.example,Ana Analyst,,,,,analyst
"""

SKILLS = SKILLS_YAML  # the shared starter skills; the lesson and items below are the web's
LESSON = """---
id: bounces
skill: deliverability
title: Soft and hard bounces
objective: Decide whether to retry or suppress an address.
minutes: 4
---
Bounces tell you something.

## Hard bounces
A 5.x.x code is permanent: suppress the address.

## Soft bounces
A 4.x.x code is temporary: retry, then suppress.
"""
ITEMS = """families:
  - id: bounce-code
    skill: deliverability
    lesson: bounces
    type: single_choice
    params:
      rows:
        - {code: "550 5.1.1"}
        - {code: "552 5.2.2"}
    stem: The server answered {code}. What do you do?
    options:
      - id: suppress
        text: Suppress the address at once.
      - id: retry
        text: Keep retrying for a week.
        misconception: soft-hard-confused
        feedback: A 5.x.x code is permanent; retrying hurts your reputation.
    key: suppress
"""


def write_pack(root: Path) -> Path:
    (root / "lessons").mkdir(parents=True)
    (root / "items").mkdir()
    (root / "pack.yaml").write_text("id: starter\ntitle: Starter pack\n")
    (root / "skills.yaml").write_text(SKILLS)
    (root / "lessons" / "bounces.md").write_text(LESSON)
    (root / "items" / "deliverability.yaml").write_text(ITEMS)
    return root


@pytest.fixture
def seeded(sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    hasher = Argon2Passwords(fast=True)
    with transaction(sessions) as repos:
        org = repos.people.add_organisation("acme", "Acme", "UTC", 5, False, NOW)
        inputs, problems = people.parse_csv(PEOPLE_CSV)
        assert problems == []
        people.import_people(repos.people, org, None, inputs, NOW)
        for person in repos.people.people(org.id):
            auth.set_password(repos.auth, hasher, person, PASSWORD, NOW)
        content.publish(repos.content, org.id, None, read_pack(write_pack(tmp_path / "pack")),
                        NOW)
        return {p.email.split("@")[0]: p.id for p in repos.people.people(org.id)}


@pytest.fixture
def client(engine: Engine, seeded: dict[str, int]) -> Iterator[TestClient]:
    settings = load_settings(environment="test", database_url=str(engine.url))
    app = create_app(settings, engine=engine, clock=lambda: NOW,
                     passwords=Argon2Passwords(fast=True))
    with TestClient(app) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, who: str) -> None:
    page = client.get("/signin")
    response = client.post("/signin", data={
        "email": f"{who}@acme.example", "password": PASSWORD, "csrf_token": csrf_of(page.text),
        "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def token_for(sessions: sessionmaker[Session], seeded: dict[str, int]):  # type: ignore[no-untyped-def]
    def make(who: str) -> dict[str, str]:
        with transaction(sessions) as repos:
            org = repos.people.organisation_by_slug("acme")
            assert org is not None
            person = repos.people.person_by_email(org.id, f"{who}@acme.example")
            assert person is not None
            plain, _ = auth.create_token(repos.people, repos.auth, None, person, "test", NOW,
                                         lambda: who + "-token-" + "x" * 20)
        return {"Authorization": f"Bearer {plain}"}

    return make
