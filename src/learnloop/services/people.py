"""Create and update people and teams, one at a time (API) or from a CSV file (import).

An import checks every row first and reports every problem with its line number; it writes
only when no row is wrong, so a failed import leaves the database as it was.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from learnloop.domain import people as rules
from learnloop.domain.access import Action, Actor, Target, require, visible_people
from learnloop.domain.errors import Conflict, InvalidInput, NotFound
from learnloop.domain.people import Organisation, Person, Role, Team
from learnloop.domain.problems import Problem, has_nul
from learnloop.services.ports import PeopleRepo, PersonFields

COLUMNS = ("email", "name", "external_id", "team", "parent_team", "manager_email", "manages",
           "roles", "timezone", "working_hours")
REQUIRED = ("email", "name")
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class PersonInput:
    email: str
    name: str
    external_id: str | None = None
    team: str | None = None
    parent_team: str | None = None
    manager_email: str | None = None
    manages: tuple[str, ...] = ()
    roles: frozenset[Role] = frozenset({Role.LEARNER})
    roles_given: bool = False  # False: keep a stored person's roles (adding manager if manages)
    timezone: str | None = None
    working_hours: str | None = None
    line: int | None = None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    teams_created: int = 0
    rows: int = 0


def parse_csv(text: str, where: str = "people.csv") -> tuple[list[PersonInput], list[Problem]]:
    """Read a people CSV: a header row naming columns, then one person a row."""
    problems: list[Problem] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    if has_nul(text):
        line = text[:text.index("\x00")].count("\n") + 1
        return [], [Problem(where, "the file contains a NUL character; is it a spreadsheet "
                                   "rather than CSV text?", line=line)]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem(where, "the file is empty; it needs a header row", line=1)]
    except csv.Error as exc:
        return [], [Problem(where, f"not a CSV file: {exc}", line=1)]
    names = [h.strip().lower() for h in header]
    for i, name in enumerate(names):
        if name not in COLUMNS:
            problems.append(Problem(where, f"unknown column {header[i]!r} (known columns: "
                                    f"{', '.join(COLUMNS)})", line=1, field=header[i]))
        elif names.index(name) != i:
            problems.append(Problem(where, f"column {name!r} appears twice", line=1, field=name))
    for required in REQUIRED:
        if required not in names:
            problems.append(Problem(where, f"the header needs a {required!r} column", line=1,
                                    field=required))
    if problems:
        return [], problems
    inputs: list[PersonInput] = []
    try:
        line = reader.line_num + 1  # the line the next row starts on
        for row in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                problems.append(Problem(where, f"expected {len(names)} values, found {len(row)}",
                                        line=row_line))
                continue
            values = {n: c.strip() for n, c in zip(names, row, strict=True)}
            person, row_problems = person_from_row(values, where, row_line)
            problems.extend(row_problems)
            if person is not None:
                inputs.append(person)
    except csv.Error as exc:
        problems.append(Problem(where, f"malformed CSV: {exc}", line=reader.line_num))
    if not inputs and not problems:
        problems.append(Problem(where, "the file has a header but no people", line=2))
    return inputs, problems


def person_from_row(values: dict[str, str], where: str, line: int | None
         ) -> tuple[PersonInput | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(name: str, message: str) -> None:
        problems.append(Problem(where, message, line=line, field=name))

    email = rules.normalise_email(values.get("email", ""))
    if (msg := rules.email_problem(email)) is not None:
        bad("email", msg)
    if (msg := rules.name_problem(values.get("name", ""))) is not None:
        bad("name", msg)
    manager = rules.normalise_email(values.get("manager_email", "")) or None
    if manager is not None and (msg := rules.email_problem(manager)) is not None:
        bad("manager_email", msg)
    if manager is not None and manager == email:
        bad("manager_email", "a person cannot be their own manager")
    roles, unknown = rules.parse_roles(values.get("roles", ""))
    for name in unknown:
        bad("roles", f"unknown role {name!r} (roles: {', '.join(rules.ROLE_VALUES)})")
    timezone = values.get("timezone") or None
    if timezone and (msg := rules.timezone_problem(timezone)) is not None:
        bad("timezone", msg)
    hours = values.get("working_hours") or None
    if hours and (msg := rules.working_hours_problem(hours)) is not None:
        bad("working_hours", msg)
    if values.get("parent_team") and not values.get("team"):
        bad("parent_team", "a parent team needs a team on the same row")
    if values.get("parent_team") and values.get("parent_team") == values.get("team"):
        bad("parent_team", "a team cannot be its own parent")
    manages = tuple(t.strip() for t in values.get("manages", "").split(";") if t.strip())
    for column in ("external_id", "team", "parent_team"):
        if len(values.get(column, "")) > MAX_TEXT:
            bad(column, f"must be at most {MAX_TEXT} characters")
    if any(len(team) > MAX_TEXT for team in manages):
        bad("manages", f"team names must be at most {MAX_TEXT} characters")
    if problems:
        return None, problems
    if manages:
        roles = roles | {Role.MANAGER}
    return PersonInput(
        email=email,
        name=values["name"].strip(),
        external_id=values.get("external_id") or None,
        team=values.get("team") or None,
        parent_team=values.get("parent_team") or None,
        manager_email=manager,
        manages=manages,
        roles=(roles or frozenset({Role.LEARNER})) | {Role.LEARNER},
        roles_given=bool(values.get("roles", "").strip()),
        timezone=timezone,
        working_hours=hours,
        line=line,
    ), []


def check_inputs(repo: PeopleRepo, org: Organisation, inputs: list[PersonInput],
                 where: str) -> list[Problem]:
    """Rules that need the whole file and the database: duplicates, references, cycles."""
    problems: list[Problem] = []
    existing = {p.email: p for p in repo.people(org.id)}
    by_email: dict[str, PersonInput] = {}
    ext_ids: dict[str, str] = {}
    for person in inputs:
        if person.email in by_email:
            problems.append(Problem(where, f"{person.email} already appears on line "
                                    f"{by_email[person.email].line}", line=person.line,
                                    field="email"))
            continue
        by_email[person.email] = person
        if person.external_id:
            owner = ext_ids.get(person.external_id)
            if owner is not None and owner != person.email:
                problems.append(Problem(where, f"external_id {person.external_id!r} is also "
                                        f"used by {owner}", line=person.line,
                                        field="external_id"))
            ext_ids[person.external_id] = person.email
    for stored in existing.values():
        if stored.external_id and stored.external_id in ext_ids \
                and ext_ids[stored.external_id] != stored.email:
            line = by_email[ext_ids[stored.external_id]].line
            problems.append(Problem(where, f"external_id {stored.external_id!r} already "
                                    f"belongs to {stored.email}", line=line,
                                    field="external_id"))
    for person in by_email.values():
        if person.manager_email and person.manager_email not in by_email \
                and person.manager_email not in existing:
            message = (f"no person with email {person.manager_email} in this organisation"
                       if person.line is None else
                       f"manager {person.manager_email} is neither in this file nor already "
                       "stored")
            problems.append(Problem(where, message, line=person.line, field="manager_email"))
    # Line-manager cycles, counting stored managers for people the file does not change.
    stored_managers = {p.email: _email_of(existing, p.manager_id) for p in existing.values()}
    # A blank manager cell keeps the stored manager, so only filled cells override.
    managers = {**stored_managers,
                **{e: p.manager_email for e, p in by_email.items() if p.manager_email}}
    for email, person in by_email.items():
        seen = {email}
        current = managers.get(email)
        while current is not None:
            if current in seen:
                problems.append(Problem(where, f"manager_email makes a loop: {email} reports "
                                        f"(through others) to themselves", line=person.line,
                                        field="manager_email"))
                break
            seen.add(current)
            current = managers.get(current)
    # Team parents must agree across rows and must not loop.
    parents: dict[str, tuple[str, int | None]] = {}
    for person in by_email.values():
        if person.team and person.parent_team:
            previous = parents.get(person.team)
            if previous is not None and previous[0] != person.parent_team:
                problems.append(Problem(where, f"team {person.team!r} has parent "
                                        f"{previous[0]!r} on line {previous[1]}", line=person.line,
                                        field="parent_team"))
            else:
                parents[person.team] = (person.parent_team, person.line)
    stored_teams = {t.id: t for t in repo.teams(org.id)}
    parent_names = {
        t.name: stored_teams[t.parent_id].name
        for t in stored_teams.values() if t.parent_id in stored_teams
    }
    parent_names.update({team: parent for team, (parent, _) in parents.items()})
    for team, (_, line) in parents.items():
        seen_teams = {team}
        current_team = parent_names.get(team)
        while current_team is not None:
            if current_team in seen_teams:
                problems.append(Problem(where, f"parent_team makes a loop through {team!r}",
                                        line=line, field="parent_team"))
                break
            seen_teams.add(current_team)
            current_team = parent_names.get(current_team)
    managed: dict[str, str] = {}
    for person in by_email.values():
        for team in person.manages:
            if team in managed and managed[team] != person.email:
                problems.append(Problem(where, f"team {team!r} is already managed by "
                                        f"{managed[team]} in this file", line=person.line,
                                        field="manages"))
            managed[team] = person.email
    return problems


def _email_of(people: dict[str, Person], person_id: int | None) -> str | None:
    if person_id is None:
        return None
    return next((p.email for p in people.values() if p.id == person_id), None)


def import_people(repo: PeopleRepo, org: Organisation, actor: Actor | None,
                  inputs: list[PersonInput], now: datetime,
                  where: str = "people.csv") -> ImportResult:
    """Create or update people, teams and managers. `actor` None means the operator's CLI."""
    if actor is not None:
        require(actor, Action.MANAGE_PEOPLE, Target(org.id))
    problems = check_inputs(repo, org, inputs, where)
    if problems:
        raise InvalidInput(problems)
    result = ImportResult(rows=len(inputs))
    teams = {t.name: t for t in repo.teams(org.id)}

    def team(name: str) -> Team:
        if name not in teams:
            teams[name] = repo.add_team(org.id, name, now)
            result.teams_created += 1
        return teams[name]

    stored = {p.email: p for p in repo.people(org.id)}
    ids: dict[str, int] = {}
    # First pass: everyone exists, so managers can point at people later in the file.
    for person in inputs:
        current = stored.get(person.email)
        fields = PersonFields(
            email=person.email,
            name=person.name,
            external_id=person.external_id or (current.external_id if current else None),
            timezone=person.timezone or (current.timezone if current else org.default_timezone),
            working_hours=person.working_hours
            or (current.working_hours if current else rules.DEFAULT_WORKING_HOURS),
            manager_id=current.manager_id if current else None,
        )
        if current is None:
            created = repo.add_person(org.id, fields, now)
            ids[person.email] = created.id
            result.created += 1
        else:
            repo.update_person(current.id, fields, now)
            ids[person.email] = current.id
            result.updated += 1
    for email, known in stored.items():
        ids.setdefault(email, known.id)
    # Second pass: managers, roles, teams.
    for person in inputs:
        pid = ids[person.email]
        current = repo.person(org.id, pid)
        assert current is not None
        manager_id = ids[person.manager_email] if person.manager_email else current.manager_id
        repo.update_person(pid, PersonFields(
            current.email, current.name, current.external_id, current.timezone,
            current.working_hours, manager_id), now)
        # A roles cell replaces a stored person's roles; an empty one keeps them.
        keep = current.roles if person.email in stored and not person.roles_given \
            else frozenset()
        repo.set_roles(pid, person.roles | keep)
        if person.team:
            t = team(person.team)
            parent_id = team(person.parent_team).id if person.parent_team else t.parent_id
            repo.update_team(t.id, parent_id, t.manager_id)
            teams[t.name] = Team(t.id, t.org_id, t.name, parent_id, t.manager_id)
            repo.set_memberships(pid, {t.id})  # the file's team replaces the old one
        for name in person.manages:
            t = team(name)
            repo.update_team(t.id, t.parent_id, pid)
            teams[name] = Team(t.id, t.org_id, t.name, t.parent_id, pid)
    return result


def import_csv(repo: PeopleRepo, org: Organisation, actor: Actor | None, text: str,
               now: datetime, where: str = "people.csv") -> ImportResult:
    """Parse, check and import a people CSV: every problem in the file in one InvalidInput."""
    if actor is not None:
        require(actor, Action.MANAGE_PEOPLE, Target(org.id))
    inputs, problems = parse_csv(text, where)
    problems += check_inputs(repo, org, inputs, where)
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: p.line or 0),
                           "the file has problems; nothing was imported")
    return import_people(repo, org, actor, inputs, now, where)


def own_organisation(repo: PeopleRepo, actor: Actor) -> Organisation:
    """The organisation the actor belongs to (gone only if deleted under a live session)."""
    org = repo.organisation(actor.org_id)
    if org is None:
        raise NotFound("Your organisation no longer exists.")
    return org


def actor_for(repo: PeopleRepo, person: Person) -> Actor:
    """The actor for a signed-in person, with everyone who reports to them."""
    reports: frozenset[int] = frozenset()
    if Role.MANAGER in person.roles:
        everyone = repo.people(person.org_id)
        reports = rules.reports_of(
            person.id,
            {p.id: p.manager_id for p in everyone},
            repo.memberships(person.org_id),
            {t.id: t for t in repo.teams(person.org_id)},
        )
    return Actor(person.id, person.org_id, person.roles, reports)


def list_people(repo: PeopleRepo, actor: Actor) -> list[Person]:
    require(actor, Action.LIST_PEOPLE, Target(actor.org_id))
    everyone = repo.people(actor.org_id)
    allowed = set(visible_people(actor, [p.id for p in everyone]))
    return [p for p in everyone if p.id in allowed]


def get_person(repo: PeopleRepo, actor: Actor, person_id: int) -> Person:
    person = repo.person(actor.org_id, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    require(actor, Action.VIEW_PERSON, Target(actor.org_id, person_id))
    return person


def list_teams(repo: PeopleRepo, actor: Actor) -> list[Team]:
    require(actor, Action.VIEW_TEAMS, Target(actor.org_id))
    return repo.teams(actor.org_id)


def create_person(repo: PeopleRepo, org: Organisation, actor: Actor, person: PersonInput,
                  now: datetime) -> Person:
    require(actor, Action.MANAGE_PEOPLE, Target(org.id))
    if repo.person_by_email(org.id, person.email) is not None:
        raise Conflict(f"A person with email {person.email} already exists.")
    import_people(repo, org, actor, [person], now, where="body")
    created = repo.person_by_email(org.id, person.email)
    assert created is not None
    return created


UPDATABLE = ("name", "external_id", "timezone", "working_hours", "manager_email", "roles",
             "active", "team")


def update_person(repo: PeopleRepo, actor: Actor, person_id: int, changes: dict[str, object],
                  now: datetime) -> Person:
    """Change some fields of one person (admins). Every problem is reported, by field.

    `changes` holds only the fields the caller sent; `manager_email` None removes the manager,
    `team` names the one team the person is in from now on (None: no team).
    An admin cannot deactivate themselves or drop their own admin role (nobody could undo it).
    """
    require(actor, Action.MANAGE_PEOPLE, Target(actor.org_id))
    person = repo.person(actor.org_id, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    problems: list[Problem] = []

    def bad(name: str, message: str) -> None:
        problems.append(Problem("body", message, field=name))

    for name in changes:
        if name not in UPDATABLE:
            bad(name, f"cannot be changed here (changeable: {', '.join(UPDATABLE)})")
    name = str(changes.get("name", person.name))
    if (msg := rules.name_problem(name)) is not None:
        bad("name", msg)
    timezone = str(changes.get("timezone", person.timezone))
    if (msg := rules.timezone_problem(timezone)) is not None:
        bad("timezone", msg)
    hours = str(changes.get("working_hours", person.working_hours))
    if (msg := rules.working_hours_problem(hours)) is not None:
        bad("working_hours", msg)
    external_id = changes.get("external_id", person.external_id)
    external_id = str(external_id) if external_id else None
    if external_id and external_id != person.external_id:
        clash = next((p for p in repo.people(actor.org_id)
                      if p.external_id == external_id and p.id != person.id), None)
        if clash is not None:
            bad("external_id", f"{external_id!r} already belongs to {clash.email}")
    manager_id = person.manager_id
    if "manager_email" in changes:
        raw = changes["manager_email"]
        if raw is None or raw == "":
            manager_id = None
        else:
            manager = repo.person_by_email(actor.org_id, rules.normalise_email(str(raw)))
            if manager is None:
                bad("manager_email", f"no person with email {raw} in this organisation")
            elif manager.id == person.id:
                bad("manager_email", "a person cannot be their own manager")
            else:
                line = {p.id: p.manager_id for p in repo.people(actor.org_id)}
                current: int | None = manager.id
                seen = {person.id}
                while current is not None and current not in seen:
                    seen.add(current)
                    current = line.get(current)
                if current == person.id:
                    bad("manager_email", f"{manager.email} reports (through others) to "
                        f"{person.email}; that would make a loop")
                else:
                    manager_id = manager.id
    roles = person.roles
    if "roles" in changes:
        raw_roles = changes["roles"]
        names = raw_roles if isinstance(raw_roles, list) else []
        roles, unknown = rules.parse_roles(";".join(str(r) for r in names))
        for unknown_name in unknown:
            bad("roles", f"unknown role {unknown_name!r} (roles: {', '.join(rules.ROLE_VALUES)})")
        roles = roles | {Role.LEARNER}
        if person.id == actor.person_id and Role.ADMIN in person.roles \
                and Role.ADMIN not in roles:
            bad("roles", "you cannot remove your own admin role; ask another admin")
    active = bool(changes.get("active", person.active))
    if not active and person.id == actor.person_id:
        bad("active", "you cannot deactivate yourself")
    team_ids: set[int] | None = None
    if "team" in changes:
        raw_team = changes["team"]
        if raw_team is None or raw_team == "":
            team_ids = set()
        else:
            found = next((t for t in repo.teams(actor.org_id) if t.name == raw_team), None)
            if found is None:
                bad("team", f"no team named {raw_team!r} (create it with POST /api/v1/teams)")
            else:
                team_ids = {found.id}
    if problems:
        raise InvalidInput(problems)
    repo.update_person(person.id, PersonFields(person.email, name, external_id, timezone, hours,
                                               manager_id), now)
    if roles != person.roles:
        repo.set_roles(person.id, roles)
    repo.set_active(person.id, active, now)
    if team_ids is not None:
        repo.set_memberships(person.id, team_ids)
    updated = repo.person(actor.org_id, person.id)
    assert updated is not None
    return updated
