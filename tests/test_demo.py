"""The demo pack meets the bar the product promises, and `learnloop demo` builds the demo org."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from learnloop.cli import main
from learnloop.demo import DEMO_PACK
from learnloop.domain.access import Actor
from learnloop.domain.content import variants
from learnloop.domain.content.model import Context, ItemType
from learnloop.domain.problems import errors_in
from learnloop.packs import read_pack
from learnloop.packs.cache import PackCache
from learnloop.services import content, loop
from learnloop.store.unit import transaction

SKILLS = {"deliverability", "segmentation", "template-qa", "reporting-accuracy", "compliance"}


@pytest.fixture(scope="module")
def reading():  # type: ignore[no-untyped-def]
    return read_pack(DEMO_PACK)


def test_demo_pack_has_no_problems(reading) -> None:  # type: ignore[no-untyped-def]
    problems = content.check(reading)
    assert [str(p) for p in problems] == []


def test_five_skills_each_with_three_lessons_and_forty_items(reading) -> None:  # type: ignore[no-untyped-def]
    pack = reading.pack
    assert {s.id for s in pack.skills} == SKILLS
    for skill in SKILLS:
        lessons = [x for x in pack.lessons if x.skill == skill]
        assert len(lessons) >= 3, skill
        assert all(3 <= x.minutes <= 7 for x in lessons)
        families = [f for f in pack.families if f.skill == skill]
        items = [i for f in families for i in variants.distinct_items(f)]
        assert len(items) >= 40, skill
        assert any(i.context is Context.TRANSFER for i in items), skill
        assert {f.type for f in families} >= {ItemType.SINGLE_CHOICE, ItemType.FREE_TEXT}, skill


def test_every_distractor_names_a_misconception_of_the_pack(reading) -> None:  # type: ignore[no-untyped-def]
    known = set(reading.pack.misconceptions())
    for family in reading.pack.families:
        for item in variants.distinct_items(family):
            for option in item.options:
                if not option.correct:
                    assert option.misconception in known, (family.id, option.id)
                    assert option.feedback, (family.id, option.id)


def test_preflight_mapping_points_at_real_lessons(reading) -> None:  # type: ignore[no-untyped-def]
    pre = reading.pack.preflight
    assert pre.first_time
    assert pre.rules
    assert errors_in(content.check(reading)) == []


def test_demo_command_builds_the_organisation_and_is_repeatable(
        database_url: str, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--database-url", database_url])
    assert first.exit_code == 0, first.output + first.stderr
    assert "created demo organisation" in first.stdout
    assert "learnloop-demo" in first.stdout
    assert "simulated 3 weeks of learning" in first.stdout
    assert "checked 3 demo campaigns in pre-flight" in first.stdout
    with transaction(sessions) as repos:
        found = repos.people.organisation_by_slug("northwind")
        assert found is not None
        everyone = [p.id for p in repos.people.people(found.id)]
        stored = repos.statements.count(found.id)
        state = repos.learner.dump(everyone)
    assert stored > 1000
    assert all(state[table] for table in state)  # history in every kind of learner state
    second = runner.invoke(main, ["demo", "--database-url", database_url])
    assert second.exit_code == 0
    assert "refreshed demo organisation" in second.stdout
    assert "simulated" not in second.stdout  # the history is made once
    assert "demo campaigns" not in second.stdout
    with transaction(sessions) as repos:
        aisha = repos.people.person_by_email(found.id, "aisha.bello@northwind.example")
        assert aisha is not None
        runs = repos.preflight.runs(found.id, author_id=aisha.id)
        assert sorted(r.verdict for r in runs) == ["blocked", "blocked"]
        actor = Actor(aisha.id, found.id, frozenset(aisha.roles))
        packs = PackCache().loader(repos.content)
        step = loop.home(repos, packs, actor, datetime.now(UTC)).next_step
        assert step is not None
        assert step.kind.value == "remediation"  # the same alt text missed twice at work
        assert step.lesson == "images-and-alt-text"
    # the simulated history was made through the loop: rebuilding it gives the same state
    rebuilt = runner.invoke(main, ["rebuild", "--database-url", database_url])
    assert rebuilt.exit_code == 0, rebuilt.output + rebuilt.stderr
    with transaction(sessions) as repos:
        assert repos.statements.count(found.id) == stored
        assert repos.learner.dump(everyone) == state
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("northwind")
        assert org is not None
        assert org.is_demo
        people = repos.people.people(org.id)
        teams = {t.name: t for t in repos.people.teams(org.id)}
        assert len(people) == 25
        assert set(teams) == {"Marketing", "Lifecycle & CRM", "Acquisition",
                              "Marketing Operations"}
        assert all(t.manager_id is not None for t in teams.values())
        assert {teams[n].parent_id for n in teams if n != "Marketing"} == {
            teams["Marketing"].id}
        assert [v.number for v in repos.content.versions(org.id)] == [1]
        assert all(repos.auth.password_hash(p.id) for p in people)

