"""Importing people from CSV, on SQLite and PostgreSQL: all problems at once, no partial writes."""

from __future__ import annotations

from dataclasses import astuple
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.access import Actor
from learnloop.domain.errors import Forbidden, InvalidInput
from learnloop.domain.people import Organisation, Person, Role
from learnloop.services import people
from learnloop.store.unit import Repos, transaction
from tests.conftest import NOW

ROSTER = """\
email,name,external_id,team,parent_team,manager_email,manages,roles,timezone,working_hours
head@acme.example,Hana Head,E1,Marketing,,,Marketing,,Europe/London,08:00-16:00
lead@acme.example,Leo Lead,E2,Lifecycle,Marketing,head@acme.example,Lifecycle,,,
ann@acme.example,Ann Learner,E3,Lifecycle,Marketing,lead@acme.example,,,,
dan@acme.example,Dan Team,,Lifecycle,Marketing,,,,,
bob@acme.example,Bob Peer,,Acquisition,Marketing,head@acme.example,,learner,,
ada@acme.example,Ada Admin,,,,,,admin;author,,
"""


def state(repos: Repos, org: Organisation) -> tuple[object, ...]:
    """Everything an import may write, as plain data (people, roles, teams, memberships)."""
    return (
        sorted(astuple(p) for p in repos.people.people(org.id)),
        sorted(astuple(t) for t in repos.people.teams(org.id)),
        sorted((pid, sorted(tids)) for pid, tids in repos.people.memberships(org.id).items()),
    )


def run_import(sessions: sessionmaker[Session], org: Organisation, text: str,
               actor: Actor | None = None, days: int = 0) -> people.ImportResult:
    with transaction(sessions) as repos:
        return people.import_csv(repos.people, org, actor, text, NOW + timedelta(days=days))


def by_email(repos: Repos, org: Organisation) -> dict[str, Person]:
    return {p.email: p for p in repos.people.people(org.id)}


def test_import_creates_people_teams_and_managers(sessions: sessionmaker[Session],
                                                  org: Organisation) -> None:
    result = run_import(sessions, org, ROSTER)
    assert (result.rows, result.created, result.updated, result.teams_created) == (6, 6, 0, 3)
    with transaction(sessions) as repos:
        everyone = {p.email: p for p in repos.people.people(org.id)}
        ids = {email.split("@")[0]: p.id for email, p in everyone.items()}
        teams = {t.name: t for t in repos.people.teams(org.id)}
        members = repos.people.memberships(org.id)
    head, lead, ann = (everyone[f"{n}@acme.example"] for n in ("head", "lead", "ann"))
    assert (head.name, head.external_id, head.timezone, head.working_hours) == (
        "Hana Head", "E1", "Europe/London", "08:00-16:00")
    assert (ann.timezone, ann.working_hours) == ("Europe/Berlin", "09:00-17:00")
    assert (head.manager_id, lead.manager_id, ann.manager_id) == (None, ids["head"], ids["lead"])
    assert head.roles == {Role.LEARNER, Role.MANAGER}
    assert ann.roles == {Role.LEARNER}
    assert everyone["ada@acme.example"].roles == {Role.LEARNER, Role.ADMIN, Role.AUTHOR}
    assert {n: (t.parent_id, t.manager_id) for n, t in teams.items()} == {
        "Marketing": (None, ids["head"]),
        "Lifecycle": (teams["Marketing"].id, ids["lead"]),
        "Acquisition": (teams["Marketing"].id, None),
    }
    assert members[ids["ann"]] == {teams["Lifecycle"].id}
    assert ids["ada"] not in members


def test_reimport_updates_rather_than_duplicates(sessions: sessionmaker[Session],
                                                 org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        before = by_email(repos, org)
    changed = ROSTER.replace("Ann Learner,E3", "Ann Lee,E3").replace(
        "bob@acme.example,Bob Peer,,Acquisition,Marketing,head@acme.example",
        "bob@acme.example,Bob Peer,,Acquisition,Marketing,lead@acme.example")
    result = run_import(sessions, org, changed, days=1)
    assert (result.rows, result.created, result.updated, result.teams_created) == (6, 0, 6, 0)
    with transaction(sessions) as repos:
        after = by_email(repos, org)
        assert len(repos.people.teams(org.id)) == 3
    assert set(after) == set(before)
    assert [after[e].id for e in sorted(after)] == [before[e].id for e in sorted(before)]
    ann, bob, lead = (after[f"{n}@acme.example"] for n in ("ann", "bob", "lead"))
    assert ann.name == "Ann Lee"
    assert bob.manager_id == lead.id


def test_reimport_with_blank_cells_keeps_what_is_stored(sessions: sessionmaker[Session],
                                                        org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        before = state(repos, org)
    run_import(sessions, org, "email,name\nhead@acme.example,Hana Head\n", days=1)
    with transaction(sessions) as repos:
        assert state(repos, org) == before


def test_moving_to_another_team_leaves_the_old_one(sessions: sessionmaker[Session],
                                                   org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    run_import(sessions, org, "email,name,team\ndan@acme.example,Dan Team,Acquisition\n")
    with transaction(sessions) as repos:
        teams = {t.id: t.name for t in repos.people.teams(org.id)}
        dan = repos.people.person_by_email(org.id, "dan@acme.example")
        lead = repos.people.person_by_email(org.id, "lead@acme.example")
        assert dan is not None
        assert lead is not None
        members = repos.people.memberships(org.id)
        lead_actor = people.actor_for(repos.people, lead)
    assert {teams[t] for t in members[dan.id]} == {"Acquisition"}
    assert dan.id not in lead_actor.reports


def test_bad_rows_are_all_reported_with_their_lines_in_one_error(
        sessions: sessionmaker[Session], org: Organisation) -> None:
    text = """\
email,name,manager_email,roles,timezone
ok@acme.example,Okay Person,,,
not-an-email,Bad Email,,,
role@acme.example,Bad Role,,boss,
tz@acme.example,Bad Zone,,,Mars/Base
cols@acme.example,Too Few
ok@acme.example,Twice,,,
orphan@acme.example,Orphan,ghost@acme.example,,
a@acme.example,Loop A,b@acme.example,,
b@acme.example,Loop B,a@acme.example,,
"""
    with pytest.raises(InvalidInput) as info:
        run_import(sessions, org, text)
    found = [(p.line, p.field) for p in info.value.problems]
    assert found == [
        (3, "email"),
        (4, "roles"),
        (5, "timezone"),
        (6, None),
        (7, "email"),
        (8, "manager_email"),
        (9, "manager_email"),
        (10, "manager_email"),
    ]
    messages = {p.line: p.message for p in info.value.problems}
    assert messages[3] == "'not-an-email' is not an email address"
    assert messages[4].startswith("unknown role 'boss'")
    assert messages[5].startswith("'Mars/Base' is not an IANA time zone")
    assert messages[6] == "expected 5 values, found 2"
    assert messages[7] == "ok@acme.example already appears on line 2"
    assert messages[8] == (
        "manager ghost@acme.example is neither in this file nor already stored")
    assert messages[9].startswith("manager_email makes a loop")
    assert all(p.where == "people.csv" for p in info.value.problems)
    assert info.value.message == "the file has problems; nothing was imported"


def test_an_unknown_column_is_reported_on_the_header_line(sessions: sessionmaker[Session],
                                                          org: Organisation) -> None:
    with pytest.raises(InvalidInput) as info:
        run_import(sessions, org, "email,name,department\nann@acme.example,Ann,Sales\n")
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (1, "department")
    assert problem.message.startswith("unknown column 'department' (known columns: email,")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("", 1, "the file is empty; it needs a header row"),
    ("email,name\n", 2, "the file has a header but no people"),
    ("name\nAnn\n", 1, "the header needs a 'email' column"),
    ("email,name,email\na@x.io,A,b@x.io\n", 1, "column 'email' appears twice"),
    ("email,name,working_hours\na@x.io,A,17:00-17:00\n", 2,
     "'17:00-17:00': the start and the end must differ"),
    ("email,name,manager_email\na@x.io,A,a@x.io\n", 2, "a person cannot be their own manager"),
    ("email,name,team,parent_team\na@x.io,A,,Top\n", 2,
     "a parent team needs a team on the same row"),
    ("email,name\na@x.io,   \n", 2, "is required"),
])
def test_file_and_row_rules(sessions: sessionmaker[Session], org: Organisation, text: str,
                            line: int, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        run_import(sessions, org, text)
    assert [(p.line, p.message) for p in info.value.problems] == [(line, message)]


def test_a_stored_manager_chain_counts_for_loops(sessions: sessionmaker[Session],
                                                 org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with pytest.raises(InvalidInput) as info:
        run_import(sessions, org, "email,name,manager_email\nhead@acme.example,Hana,"
                                  "ann@acme.example\n")
    assert [(p.line, p.field) for p in info.value.problems] == [(2, "manager_email")]


def test_external_ids_stay_unique(sessions: sessionmaker[Session], org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with pytest.raises(InvalidInput) as info:
        run_import(sessions, org, "email,name,external_id\nbob@acme.example,Bob,E1\n")
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (2, "external_id")
    assert problem.message == "external_id 'E1' already belongs to head@acme.example"


def test_a_failed_import_leaves_the_database_exactly_as_before(
        sessions: sessionmaker[Session], org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        before = state(repos, org)
    bad = ROSTER.replace("Ann Learner", "Ann Renamed") + (
        "new@acme.example,New Person,,NewTeam,Marketing,,,,,\n"
        "zed@acme.example,Zed,,,,nobody@acme.example,,,,\n")
    with pytest.raises(InvalidInput):
        run_import(sessions, org, bad, days=1)
    with transaction(sessions) as repos:
        assert state(repos, org) == before


def test_import_people_checks_the_whole_file_before_writing(sessions: sessionmaker[Session],
                                                           org: Organisation) -> None:
    inputs, problems = people.parse_csv(
        "email,name,manager_email\nfirst@acme.example,First,\n"
        "second@acme.example,Second,missing@acme.example\n")
    assert problems == []
    with pytest.raises(InvalidInput), transaction(sessions) as repos:
        people.import_people(repos.people, org, None, inputs, NOW)
    with transaction(sessions) as repos:
        assert repos.people.people(org.id) == []


def test_only_admins_import(sessions: sessionmaker[Session], org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        before = state(repos, org)
        head = repos.people.person_by_email(org.id, "head@acme.example")
        ada = repos.people.person_by_email(org.id, "ada@acme.example")
        assert head is not None
        assert ada is not None
        manager = people.actor_for(repos.people, head)
        admin = people.actor_for(repos.people, ada)
    with pytest.raises(Forbidden):
        run_import(sessions, org, "email,name\nnew@acme.example,New\n", actor=manager)
    with transaction(sessions) as repos:
        assert state(repos, org) == before
    result = run_import(sessions, org, "email,name\nnew@acme.example,New\n", actor=admin)
    assert result.created == 1


def test_people_of_another_organisation_are_separate(sessions: sessionmaker[Session],
                                                     org: Organisation,
                                                     other_org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    result = run_import(sessions, other_org, "email,name\nann@acme.example,Ann Elsewhere\n")
    assert result.created == 1
    with transaction(sessions) as repos:
        assert len(repos.people.people(org.id)) == 6
        assert [p.name for p in repos.people.people(other_org.id)] == ["Ann Elsewhere"]
        assert repos.people.teams(other_org.id) == []


def test_actor_for_computes_reports(sessions: sessionmaker[Session], org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        ids = {p.email.split("@")[0]: p.id for p in repos.people.people(org.id)}
        actors = {
            name: people.actor_for(repos.people, person)
            for person in repos.people.people(org.id)
            for name in [person.email.split("@")[0]]
        }
    assert actors["head"].reports == {ids[n] for n in ("lead", "ann", "dan", "bob")}
    assert actors["lead"].reports == {ids["ann"], ids["dan"]}
    assert actors["ann"].reports == frozenset()
    assert actors["ada"].reports == frozenset()
    assert actors["ada"].roles == {Role.LEARNER, Role.ADMIN, Role.AUTHOR}
    assert actors["head"].org_id == org.id


def test_list_people_shows_a_manager_only_their_reports(sessions: sessionmaker[Session],
                                                        org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        lead = repos.people.person_by_email(org.id, "lead@acme.example")
        assert lead is not None
        visible = people.list_people(repos.people, people.actor_for(repos.people, lead))
    assert sorted(p.email for p in visible) == [
        "ann@acme.example", "dan@acme.example", "lead@acme.example"]


def test_a_loop_through_a_kept_manager_is_refused(sessions: sessionmaker[Session],
                                                  org: Organisation) -> None:
    # Ann's stored manager is Leo; a blank manager cell keeps him, so Leo -> Ann is a loop.
    run_import(sessions, org, ROSTER)
    with transaction(sessions) as repos:
        before = state(repos, org)
    with pytest.raises(InvalidInput) as info:
        run_import(sessions, org, "email,name,manager_email\n"
                                  "ann@acme.example,Ann Learner,\n"
                                  "lead@acme.example,Leo Lead,ann@acme.example\n")
    assert [(p.line, p.field) for p in info.value.problems] == [
        (2, "manager_email"), (3, "manager_email")]
    with transaction(sessions) as repos:
        assert state(repos, org) == before


def test_a_roles_cell_replaces_stored_roles_and_a_blank_one_keeps_them(
        sessions: sessionmaker[Session], org: Organisation) -> None:
    run_import(sessions, org, ROSTER)
    run_import(sessions, org, "email,name,roles\nada@acme.example,Ada Admin,reviewer\n"
                              "bob@acme.example,Bob Peer,\n", days=1)
    with transaction(sessions) as repos:
        stored = by_email(repos, org)
    assert stored["ada@acme.example"].roles == {Role.REVIEWER, Role.LEARNER}
    assert stored["bob@acme.example"].roles == {Role.LEARNER}
    run_import(sessions, org, "email,name,manages\nbob@acme.example,Bob Peer,Acquisition\n",
               days=2)
    with transaction(sessions) as repos:
        assert by_email(repos, org)["bob@acme.example"].roles == {Role.LEARNER, Role.MANAGER}


def test_a_row_spanning_lines_is_reported_on_the_line_it_starts(
        sessions: sessionmaker[Session], org: Organisation) -> None:
    text = 'email,name\n"bad1","Multi\nLine"\nok@acme.example,Fine\n"bad2",""\n'
    with pytest.raises(InvalidInput) as caught:
        run_import(sessions, org, text)
    found = sorted((p.line, p.field) for p in caught.value.problems)
    assert found == [(2, "email"), (2, "name"), (5, "email"), (5, "name")]
