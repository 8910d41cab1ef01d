"""JSON API: the signed-in person, people, teams, imports and API tokens."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, status

from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem
from learnloop.services import auth, people, retention, teams
from learnloop.web.api.schemas import (
    ErrorOut,
    ImportOut,
    MeOut,
    NewTokenOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonRetentionOut,
    TeamIn,
    TeamOut,
    TeamPatch,
    TeamRetentionOut,
    TokenIn,
    TokenOut,
)
from learnloop.web.deps import CurrentUser, NowDep, ReposDep, RowId

ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "The body breaks a rule; every problem is listed"},
    401: {"model": ErrorOut, "description": "No valid token or session"},
    403: {"model": ErrorOut, "description": "The access rules do not allow it"},
    404: {"model": ErrorOut, "description": "No such thing, or not visible to you"},
}
router = APIRouter(prefix="/api/v1", tags=["people"], responses=ERRORS)


@router.get("/me", response_model=MeOut)
def me(repos: ReposDep, user: CurrentUser) -> MeOut:
    org = repos.people.organisation(user.person.org_id)
    base = PersonOut.of(user.person).model_dump()
    return MeOut(**base, organisation=org.slug if org else "",
                 reports=sorted(user.actor.reports))


@router.get("/people", response_model=list[PersonOut])
def list_people(repos: ReposDep, user: CurrentUser) -> list[PersonOut]:
    """The people whose records you may see: yourself, your reports, or everyone (admin)."""
    return [PersonOut.of(p) for p in people.list_people(repos.people, user.actor)]


@router.get("/people/{person_id}", response_model=PersonOut)
def get_person(person_id: RowId, repos: ReposDep, user: CurrentUser) -> PersonOut:
    return PersonOut.of(people.get_person(repos.people, user.actor, person_id))


@router.get("/people/{person_id}/retention", response_model=PersonRetentionOut)
def get_person_retention(person_id: RowId, repos: ReposDep,
                         user: CurrentUser) -> PersonRetentionOut:
    """True retention: the share of due re-checks this person got right, against the target,
    and whether their own memory parameters schedule them (yourself, or your reports)."""
    return PersonRetentionOut.of(retention.person_retention(repos, user.actor, person_id))


def _body_problems(problems: list[Problem]) -> list[Problem]:
    return [Problem("body", p.message, field=f"$.{p.field}" if p.field else "$",
                    severity=p.severity) for p in problems]


@router.post("/people", response_model=PersonOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"model": ErrorOut, "description": "The email is taken"}})
def create_person(body: PersonIn, repos: ReposDep, user: CurrentUser,
                  now: NowDep) -> PersonOut:
    """Create a person (admins). Team, manager and roles work as in the CSV import."""
    org = people.own_organisation(repos.people, user.actor)
    row = {
        "email": body.email, "name": body.name, "external_id": body.external_id or "",
        "team": body.team or "", "parent_team": body.parent_team or "",
        "manager_email": body.manager_email or "", "manages": ";".join(body.manages),
        "roles": ";".join(body.roles), "timezone": body.timezone or "",
        "working_hours": body.working_hours or "",
    }
    person, problems = people.person_from_row(row, "body", None)
    if problems or person is None:
        raise InvalidInput(_body_problems(problems))
    try:
        created = people.create_person(repos.people, org, user.actor, person, now)
    except InvalidInput as exc:
        raise InvalidInput(_body_problems(exc.problems)) from None
    return PersonOut.of(created)


@router.patch("/people/{person_id}", response_model=PersonOut)
def patch_person(person_id: RowId, body: PersonPatch, repos: ReposDep, user: CurrentUser,
                 now: NowDep) -> PersonOut:
    """Change a person's name, ids, time zone, working hours, manager, roles or status
    (admins)."""
    changes = body.model_dump(exclude_unset=True)
    nulls = [Problem("body", "must not be null", field=f"$.{key}")
             for key in ("name", "timezone", "working_hours", "roles", "active")
             if key in changes and changes[key] is None]
    if nulls:
        raise InvalidInput(nulls)
    try:
        updated = people.update_person(repos.people, user.actor, person_id, changes, now)
    except InvalidInput as exc:
        raise InvalidInput(_body_problems(exc.problems)) from None
    return PersonOut.of(updated)


@router.post("/people/import", response_model=ImportOut,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {
                 "type": "string"}}}, "required": True}})
async def import_people(request: Request, repos: ReposDep, user: CurrentUser,
                        now: NowDep) -> ImportOut:
    """Create or update people from a CSV body (admins); nothing is written on any error."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([Problem("body", "the CSV must be UTF-8 text")]) from None
    org = people.own_organisation(repos.people, user.actor)
    result = people.import_csv(repos.people, org, user.actor, text, now, where="body")
    return ImportOut(rows=result.rows, created=result.created, updated=result.updated,
                     teams_created=result.teams_created)


@router.get("/teams", response_model=list[TeamOut])
def list_teams(repos: ReposDep, user: CurrentUser) -> list[TeamOut]:
    """The team structure (managers, analysts and admins)."""
    return [TeamOut.of(t) for t in people.list_teams(repos.people, user.actor)]


@router.get("/teams/{team_id}/retention", response_model=TeamRetentionOut)
def get_team_retention(team_id: RowId, repos: ReposDep, user: CurrentUser) -> TeamRetentionOut:
    """True retention of a team's due re-checks (managers and analysts), shown once enough
    members have some."""
    return TeamRetentionOut.of(retention.team_retention(repos, user.actor, team_id))


@router.post("/teams", response_model=TeamOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"model": ErrorOut, "description": "The name is taken"}})
def create_team(body: TeamIn, repos: ReposDep, user: CurrentUser, now: NowDep) -> TeamOut:
    """Create a team, optionally under a parent team and with a manager (admins)."""
    changes = teams.TeamChanges(**body.model_dump(exclude_unset=True))
    try:
        return TeamOut.of(teams.create_team(repos.people, user.actor, changes, now))
    except InvalidInput as exc:
        raise InvalidInput(_body_problems(exc.problems)) from None


@router.patch("/teams/{team_id}", response_model=TeamOut)
def patch_team(team_id: RowId, body: TeamPatch, repos: ReposDep, user: CurrentUser) -> TeamOut:
    """Rename a team, move it under another parent, or change its manager (admins)."""
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise InvalidInput([Problem("body", "must not be null", field="$.name")])
    try:
        return TeamOut.of(teams.update_team(repos.people, user.actor, team_id,
                                            teams.TeamChanges(**changes)))
    except InvalidInput as exc:
        raise InvalidInput(_body_problems(exc.problems)) from None


@router.get("/me/tokens", response_model=list[TokenOut])
def my_tokens(repos: ReposDep, user: CurrentUser) -> list[TokenOut]:
    return [TokenOut(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at,
                     last_used_at=t.last_used_at, revoked_at=t.revoked_at)
            for t in repos.auth.tokens(user.person.id)]


@router.post("/me/tokens", response_model=NewTokenOut, status_code=status.HTTP_201_CREATED)
def new_token(body: TokenIn, repos: ReposDep, user: CurrentUser, now: NowDep) -> NewTokenOut:
    try:
        plain, t = auth.create_token(repos.people, repos.auth, user.actor, user.person,
                                     body.name, now, lambda: secrets.token_urlsafe(32))
    except InvalidInput as exc:
        raise InvalidInput(_body_problems(exc.problems)) from None
    return NewTokenOut(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at,
                       last_used_at=t.last_used_at, revoked_at=t.revoked_at, token=plain)


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke(token_id: RowId, repos: ReposDep, user: CurrentUser, now: NowDep) -> None:
    auth.revoke_token(repos.auth, user.actor, user.person, token_id, now)

