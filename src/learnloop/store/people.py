"""People, teams, roles and organisations in SQL. Never commits: the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from learnloop.domain.people import Organisation, Person, Role, Team
from learnloop.services.ports import PersonFields
from learnloop.store import bulk
from learnloop.store import tables as t


def org_of(row: t.Organisation) -> Organisation:
    return Organisation(row.id, row.slug, row.name, row.default_timezone, row.min_group_size,
                        row.is_demo)


def _team(row: t.TeamRow) -> Team:
    return Team(row.id, row.org_id, row.name, row.parent_id, row.manager_id)


class SqlPeople:
    def __init__(self, session: Session) -> None:
        self.db = session

    def organisations(self) -> list[Organisation]:
        rows = self.db.scalars(select(t.Organisation).order_by(t.Organisation.id))
        return [org_of(r) for r in rows]

    def organisation(self, org_id: int) -> Organisation | None:
        row = self.db.get(t.Organisation, org_id)
        return org_of(row) if row else None

    def organisation_by_slug(self, slug: str) -> Organisation | None:
        row = self.db.scalar(select(t.Organisation).where(t.Organisation.slug == slug))
        return org_of(row) if row else None

    def add_organisation(self, slug: str, name: str, default_timezone: str,
                         min_group_size: int, is_demo: bool, now: datetime) -> Organisation:
        row = t.Organisation(slug=slug, name=name, default_timezone=default_timezone,
                             min_group_size=min_group_size, is_demo=is_demo, created_at=now)
        self.db.add(row)
        self.db.flush()
        return org_of(row)

    def _roles(self, person_ids: list[int]) -> dict[int, set[Role]]:
        out: dict[int, set[Role]] = {pid: set() for pid in person_ids}
        if not person_ids:
            return out
        rows = self.db.execute(
            select(t.RoleGrant.person_id, t.RoleGrant.role)
            .where(t.RoleGrant.person_id.in_(person_ids)))
        for pid, role in rows:
            out[pid].add(Role(role))
        return out

    def _people(self, rows: list[t.PersonRow]) -> list[Person]:
        roles = self._roles([r.id for r in rows])
        return [
            Person(r.id, r.org_id, r.email, r.name, r.external_id, r.timezone, r.working_hours,
                   r.manager_id, frozenset(roles[r.id]), r.active)
            for r in rows
        ]

    def person(self, org_id: int, person_id: int) -> Person | None:
        row = self.db.get(t.PersonRow, person_id)
        if row is None or row.org_id != org_id:
            return None
        return self._people([row])[0]

    def person_by_id(self, person_id: int) -> Person | None:
        row = self.db.get(t.PersonRow, person_id)
        return self._people([row])[0] if row else None

    def person_by_email(self, org_id: int, email: str) -> Person | None:
        row = self.db.scalar(select(t.PersonRow).where(
            t.PersonRow.org_id == org_id, t.PersonRow.email == email))
        return self._people([row])[0] if row else None

    def people_by_emails(self, org_id: int, emails: list[str]) -> dict[str, Person]:
        if not emails:
            return {}
        rows = list(self.db.scalars(select(t.PersonRow).where(
            t.PersonRow.org_id == org_id, bulk.among(self.db, t.PersonRow.email, emails))))
        return {p.email: p for p in self._people(rows)}

    def people_with_email(self, email: str) -> list[Person]:
        rows = list(self.db.scalars(select(t.PersonRow).where(t.PersonRow.email == email)))
        return self._people(rows)

    def people(self, org_id: int) -> list[Person]:
        rows = list(self.db.scalars(
            select(t.PersonRow).where(t.PersonRow.org_id == org_id)
            .order_by(t.PersonRow.name, t.PersonRow.id)))
        return self._people(rows)

    def add_person(self, org_id: int, fields: PersonFields, now: datetime) -> Person:
        row = t.PersonRow(org_id=org_id, email=fields.email, name=fields.name,
                          external_id=fields.external_id, timezone=fields.timezone,
                          working_hours=fields.working_hours, manager_id=fields.manager_id,
                          active=True, created_at=now, updated_at=now)
        self.db.add(row)
        self.db.flush()
        return self._people([row])[0]

    def update_person(self, person_id: int, fields: PersonFields, now: datetime) -> None:
        row = self.db.get(t.PersonRow, person_id)
        assert row is not None
        changed = (row.email, row.name, row.external_id, row.timezone, row.working_hours,
                   row.manager_id) != (fields.email, fields.name, fields.external_id,
                                       fields.timezone, fields.working_hours, fields.manager_id)
        if changed:
            row.email, row.name, row.external_id = fields.email, fields.name, fields.external_id
            row.timezone, row.working_hours = fields.timezone, fields.working_hours
            row.manager_id = fields.manager_id
            row.updated_at = now
            self.db.flush()

    def set_active(self, person_id: int, active: bool, now: datetime) -> None:
        row = self.db.get(t.PersonRow, person_id)
        assert row is not None
        if row.active != active:
            row.active, row.updated_at = active, now
            self.db.flush()

    def set_roles(self, person_id: int, roles: frozenset[Role]) -> None:
        self.db.execute(delete(t.RoleGrant).where(t.RoleGrant.person_id == person_id))
        self.db.add_all(t.RoleGrant(person_id=person_id, role=r.value) for r in roles)
        self.db.flush()

    def teams(self, org_id: int) -> list[Team]:
        rows = self.db.scalars(
            select(t.TeamRow).where(t.TeamRow.org_id == org_id).order_by(t.TeamRow.name))
        return [_team(r) for r in rows]

    def add_team(self, org_id: int, name: str, now: datetime) -> Team:
        row = t.TeamRow(org_id=org_id, name=name, created_at=now)
        self.db.add(row)
        self.db.flush()
        return _team(row)

    def update_team(self, team_id: int, parent_id: int | None, manager_id: int | None) -> None:
        row = self.db.get(t.TeamRow, team_id)
        assert row is not None
        row.parent_id, row.manager_id = parent_id, manager_id
        self.db.flush()

    def rename_team(self, team_id: int, name: str) -> None:
        row = self.db.get(t.TeamRow, team_id)
        assert row is not None
        row.name = name
        self.db.flush()

    def memberships(self, org_id: int) -> dict[int, set[int]]:
        rows = self.db.execute(
            select(t.TeamMember.person_id, t.TeamMember.team_id)
            .join(t.TeamRow, t.TeamRow.id == t.TeamMember.team_id)
            .where(t.TeamRow.org_id == org_id))
        out: dict[int, set[int]] = {}
        for pid, tid in rows:
            out.setdefault(pid, set()).add(tid)
        return out

    def set_memberships(self, person_id: int, team_ids: set[int]) -> None:
        self.db.execute(delete(t.TeamMember).where(t.TeamMember.person_id == person_id))
        self.db.add_all(t.TeamMember(person_id=person_id, team_id=tid)
                             for tid in sorted(team_ids))
        self.db.flush()
