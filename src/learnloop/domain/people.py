"""People, teams and roles as plain data, with the rules a person's fields must follow."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    AUTHOR = "author"
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLE_VALUES = tuple(r.value for r in Role)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WORKING_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
DEFAULT_WORKING_HOURS = "09:00-17:00"
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    org_id: int
    email: str
    name: str
    external_id: str | None
    timezone: str
    working_hours: str
    manager_id: int | None
    roles: frozenset[Role]
    active: bool = True


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    org_id: int
    name: str
    parent_id: int | None
    manager_id: int | None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    if not email:
        return "is required"
    if len(email) > 254 or not EMAIL.match(email):
        return f"{email!r} is not an email address"
    return None


def timezone_problem(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not an IANA time zone (for example Europe/Berlin)"
    return None


def working_hours_problem(value: str) -> str | None:
    """Hours as HH:MM-HH:MM in the person's time zone; an end before the start is a night
    shift that runs past midnight (22:00-06:00)."""
    match = WORKING_HOURS.match(value)
    if not match:
        return f"{value!r} must look like 09:00-17:00"
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if end > 24 * 60:
        return f"{value!r}: the end is at 24:00 at the latest"
    if end == start:
        return f"{value!r}: the start and the end must differ"
    return None


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "is required"
    if len(name) > MAX_NAME:
        return f"must be at most {MAX_NAME} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "must not contain line breaks or other control characters"
    return None


def parse_roles(raw: str) -> tuple[frozenset[Role], list[str]]:
    """Roles from a ';' or ',' separated list; unknown names come back separately."""
    roles: set[Role] = set()
    unknown: list[str] = []
    for part in re.split(r"[;,]", raw):
        name = part.strip().lower()
        if not name:
            continue
        if name in ROLE_VALUES:
            roles.add(Role(name))
        else:
            unknown.append(name)
    return frozenset(roles), unknown


def reports_of(manager_id: int, managers: dict[int, int | None],
               team_of: dict[int, set[int]], teams: dict[int, Team]) -> frozenset[int]:
    """Everyone who reports to `manager_id`, directly or through the line or team hierarchy.

    `managers` maps person -> line manager; `team_of` maps person -> team ids; a manager of a
    team manages every member of that team and of the teams below it.
    """
    children: dict[int, list[int]] = {}
    for pid, mid in managers.items():
        if mid is not None:
            children.setdefault(mid, []).append(pid)
    sub_teams: dict[int, list[int]] = {}
    for team in teams.values():
        if team.parent_id is not None:
            sub_teams.setdefault(team.parent_id, []).append(team.id)
    members: dict[int, list[int]] = {}
    for pid, tids in team_of.items():
        for tid in tids:
            members.setdefault(tid, []).append(pid)

    seen: set[int] = set()
    stack = [manager_id]
    seen_teams: set[int] = set()
    while stack:
        current = stack.pop()
        direct = list(children.get(current, []))
        team_stack = [t.id for t in teams.values() if t.manager_id == current]
        while team_stack:
            tid = team_stack.pop()
            if tid in seen_teams:
                continue
            seen_teams.add(tid)
            direct.extend(members.get(tid, []))
            team_stack.extend(sub_teams.get(tid, []))
        for pid in direct:
            if pid != manager_id and pid not in seen:
                seen.add(pid)
                stack.append(pid)
    return frozenset(seen)


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    slug: str
    name: str
    default_timezone: str = "UTC"
    min_group_size: int = 5
    is_demo: bool = False
