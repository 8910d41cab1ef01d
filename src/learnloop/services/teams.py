"""Create and change teams one at a time (the CSV import creates them in bulk).

A team has a unique name in its organisation, at most one parent team and at most one manager.
Parents may not form a loop. Every problem is reported at once, by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.errors import Conflict, InvalidInput, NotFound
from learnloop.domain.people import Role, Team, normalise_email
from learnloop.domain.problems import Problem
from learnloop.services.ports import PeopleRepo

MAX_NAME = 200
UNSET = object()


@dataclass(frozen=True, slots=True)
class TeamChanges:
    """Fields to change; a field left as UNSET keeps its value, None clears parent or manager."""

    name: object = UNSET
    parent_id: object = UNSET
    manager_email: object = UNSET


def _problem(field: str, message: str) -> Problem:
    return Problem("body", message, field=field)


@dataclass(frozen=True, slots=True)
class _Checked:
    problems: list[Problem]
    name_taken: bool
    name: str
    parent_id: int | None
    manager_id: int | None


def _check(repo: PeopleRepo, actor: Actor, team: Team | None, changes: TeamChanges
           ) -> _Checked:
    teams = {t.id: t for t in repo.teams(actor.org_id)}
    problems: list[Problem] = []
    name = team.name if team else ""
    taken = False
    if changes.name is not UNSET:
        name = str(changes.name or "").strip()
        if not name or len(name) > MAX_NAME:
            problems.append(_problem("name", f"must be 1 to {MAX_NAME} characters"))
        elif any(t.name == name and (team is None or t.id != team.id) for t in teams.values()):
            taken = True
            problems.append(_problem("name", f"a team named {name!r} already exists"))
    parent_id = team.parent_id if team else None
    if changes.parent_id is not UNSET:
        raw = changes.parent_id
        parent_id = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if raw is not None and parent_id not in teams:
            problems.append(_problem("parent_id", f"no team with id {raw}"))
            parent_id = None
        elif team is not None and parent_id is not None:
            current: int | None = parent_id
            seen: set[int] = set()
            while current is not None and current not in seen:
                if current == team.id:
                    problems.append(_problem("parent_id", "that parent would put the team "
                                                          "inside itself"))
                    break
                seen.add(current)
                current = teams[current].parent_id
    manager_id = team.manager_id if team else None
    if changes.manager_email is not UNSET:
        raw_email = changes.manager_email
        if raw_email is None or raw_email == "":
            manager_id = None
        else:
            manager = repo.person_by_email(actor.org_id, normalise_email(str(raw_email)))
            if manager is None:
                problems.append(_problem("manager_email",
                                         f"no person with email {raw_email} in this "
                                         "organisation"))
            else:
                manager_id = manager.id
    return _Checked(problems, taken, name, parent_id, manager_id)


def _grant_manager(repo: PeopleRepo, actor: Actor, manager_id: int | None) -> None:
    """Whoever manages a team holds the manager role, as with the CSV's `manages` column."""
    if manager_id is None:
        return
    manager = repo.person(actor.org_id, manager_id)
    if manager is not None and Role.MANAGER not in manager.roles:
        repo.set_roles(manager.id, manager.roles | {Role.MANAGER})


def create_team(repo: PeopleRepo, actor: Actor, changes: TeamChanges, now: datetime) -> Team:
    require(actor, Action.MANAGE_PEOPLE, Target(actor.org_id))
    if changes.name is UNSET:
        raise InvalidInput([_problem("name", "is required")])
    checked = _check(repo, actor, None, changes)
    if checked.name_taken and len(checked.problems) == 1:
        raise Conflict(f"A team named {checked.name!r} already exists.")
    if checked.problems:
        raise InvalidInput(checked.problems)
    team = repo.add_team(actor.org_id, checked.name, now)
    repo.update_team(team.id, checked.parent_id, checked.manager_id)
    _grant_manager(repo, actor, checked.manager_id)
    return Team(team.id, team.org_id, checked.name, checked.parent_id, checked.manager_id)


def update_team(repo: PeopleRepo, actor: Actor, team_id: int, changes: TeamChanges) -> Team:
    require(actor, Action.MANAGE_PEOPLE, Target(actor.org_id))
    team = next((t for t in repo.teams(actor.org_id) if t.id == team_id), None)
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    checked = _check(repo, actor, team, changes)
    if checked.name_taken and len(checked.problems) == 1:
        raise Conflict(f"A team named {checked.name!r} already exists.")
    if checked.problems:
        raise InvalidInput(checked.problems)
    if checked.name != team.name:
        repo.rename_team(team.id, checked.name)
    repo.update_team(team.id, checked.parent_id, checked.manager_id)
    _grant_manager(repo, actor, checked.manager_id)
    return Team(team.id, team.org_id, checked.name, checked.parent_id, checked.manager_id)
