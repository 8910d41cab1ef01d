"""Admin pages: people, teams and LRS clients."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from learnloop.domain.access import Action, LrsScope, Target, require
from learnloop.domain.errors import InvalidInput
from learnloop.domain.people import Team
from learnloop.domain.problems import Problem
from learnloop.services import lrs_clients, lrs_forwarding
from learnloop.services import people as people_service
from learnloop.services.ports import StoredClient
from learnloop.web import csrf
from learnloop.web.deps import CurrentUser, NowDep, ReposDep, RowId
from learnloop.web.pages.common import render

MAX_CSV_BYTES = 5_000_000

router = APIRouter(include_in_schema=False)


@router.get("/admin/people", response_class=HTMLResponse)
def admin_people(request: Request, repos: ReposDep, user: CurrentUser, q: str = "",
                 imported: str | None = None) -> HTMLResponse:
    require(user.actor, Action.MANAGE_PEOPLE, Target(user.actor.org_id))
    return _people_page(request, repos, user, q, notice=_import_notice(imported))


def _import_notice(counts: str | None) -> str | None:
    """The summary after an upload, rebuilt from four numbers (never text from the URL)."""
    parts = (counts or "").split("-")
    if len(parts) != 4 or not all(p.isdigit() and len(p) < 10 for p in parts):
        return None
    rows, created, updated, teams = (int(p) for p in parts)
    return (f"{rows} row{'' if rows == 1 else 's'}: {created} created, {updated} updated, "
            f"{teams} new teams")


def _people_page(request: Request, repos: ReposDep, user: CurrentUser, q: str = "",
                 notice: str | None = None, problems: list[Problem] | None = None,
                 status_code: int = 200) -> HTMLResponse:
    everyone = repos.people.people(user.actor.org_id)
    by_id = {p.id: p for p in everyone}
    teams = {t.id: t for t in repos.people.teams(user.actor.org_id)}
    memberships = repos.people.memberships(user.actor.org_id)
    needle = q.strip().lower()
    shown = [p for p in everyone
             if not needle or needle in p.name.lower() or needle in p.email]
    rows = [
        {
            "person": p,
            "manager": by_id.get(p.manager_id) if p.manager_id else None,
            "teams": sorted(teams[t].name for t in memberships.get(p.id, set()) if t in teams),
            "roles": sorted(r.value for r in p.roles),
        }
        for p in shown
    ]
    template = "people_rows.html" if request.headers.get("hx-request") else "admin_people.html"
    return render(request, template, user, status_code=status_code, rows=rows, q=q,
                  total=len(everyone), notice=notice, problems=problems or [])


@router.post("/admin/people/import", response_class=HTMLResponse)
async def admin_import(request: Request, repos: ReposDep, user: CurrentUser, now: NowDep,
                       file: UploadFile, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Upload a people CSV; on any problem nothing is written and every line is listed."""
    csrf.check_session(user, csrf_token)
    require(user.actor, Action.MANAGE_PEOPLE, Target(user.actor.org_id))
    org = people_service.own_organisation(repos.people, user.actor)
    name = file.filename or "upload.csv"
    raw = await file.read(MAX_CSV_BYTES + 1)
    problems: list[Problem] = []
    if len(raw) > MAX_CSV_BYTES:
        problems.append(Problem(name, f"the file is larger than {MAX_CSV_BYTES} bytes"))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(name, "the file is not UTF-8 text"))
        else:
            try:
                result = people_service.import_csv(repos.people, org, user.actor, text, now,
                                                   where=name)
            except InvalidInput as exc:
                problems = exc.problems
            else:
                counts = f"{result.rows}-{result.created}-{result.updated}-{result.teams_created}"
                return RedirectResponse(f"/admin/people?imported={counts}", status_code=303)
    return _people_page(request, repos, user, problems=problems, status_code=400)


def _tree(teams: list[Team]) -> list[tuple[int, Team]]:
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)
    out: list[tuple[int, Team]] = []

    def walk(parent: int | None, depth: int) -> None:
        for team in sorted(children.get(parent, []), key=lambda t: t.name):
            out.append((depth, team))
            walk(team.id, depth + 1)

    walk(None, 0)
    return out


@router.get("/admin/teams", response_class=HTMLResponse)
def admin_teams(request: Request, repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    require(user.actor, Action.MANAGE_PEOPLE, Target(user.actor.org_id))
    teams = repos.people.teams(user.actor.org_id)
    people = {p.id: p for p in repos.people.people(user.actor.org_id)}
    memberships = repos.people.memberships(user.actor.org_id)
    sizes: dict[int, int] = {}
    for tids in memberships.values():
        for tid in tids:
            sizes[tid] = sizes.get(tid, 0) + 1
    return render(request, "admin_teams.html", user, tree=_tree(teams), people=people,
                  sizes=sizes)


# --- LRS clients ------------------------------------------------------------------------------


@router.get("/admin/lrs", response_class=HTMLResponse)
def admin_lrs(request: Request, repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    return _lrs_page(request, repos, user)


def _lrs_page(request: Request, repos: ReposDep, user: CurrentUser,
              created: tuple[StoredClient, str] | None = None,
              problems: list[Problem] | None = None, status_code: int = 200,
              forwarding_problems: list[Problem] | None = None,
              forwarding_form: dict[str, str] | None = None) -> HTMLResponse:
    clients = lrs_clients.clients(repos.lrs, user.actor, user.actor.org_id)
    org_id = user.actor.org_id
    return render(request, "admin_lrs.html", user, status_code=status_code, clients=clients,
                  created=created, problems=problems or [], scopes=list(LrsScope),
                  endpoint=str(request.base_url) + "xapi/",
                  forwarding=repos.lrs.forwarding(org_id),
                  forwarding_problems=forwarding_problems or [],
                  forwarding_form=forwarding_form,
                  outbox=repos.lrs.outbox_counts(org_id),
                  failed=repos.lrs.outbox(org_id, "failed", 50))


@router.post("/admin/lrs", response_class=HTMLResponse)
def admin_lrs_create(request: Request, repos: ReposDep, user: CurrentUser, now: NowDep,
                     name: Annotated[str, Form()] = "",
                     scopes: Annotated[list[str] | None, Form()] = None,
                     csrf_token: Annotated[str, Form()] = "") -> HTMLResponse:
    """Create a client; the page shows its secret once, and never again."""
    csrf.check_session(user, csrf_token)
    try:
        created = lrs_clients.create(repos.lrs, user.actor, user.actor.org_id, name,
                                     scopes or [], now, new_secret)
    except InvalidInput as exc:
        return _lrs_page(request, repos, user, problems=exc.problems, status_code=400)
    return _lrs_page(request, repos, user, created=created, status_code=201)


@router.post("/admin/lrs/{client_id}/revoke")
def admin_lrs_revoke(repos: ReposDep, user: CurrentUser, now: NowDep, client_id: RowId,
                     csrf_token: Annotated[str, Form()] = "") -> Response:
    csrf.check_session(user, csrf_token)
    lrs_clients.revoke(repos.lrs, user.actor, user.actor.org_id, client_id, now)
    return RedirectResponse("/admin/lrs", status_code=303)


@router.post("/admin/lrs/forwarding", response_class=HTMLResponse)
def admin_lrs_forwarding(request: Request, repos: ReposDep, user: CurrentUser, now: NowDep,
                         endpoint: Annotated[str, Form()] = "",
                         username: Annotated[str, Form()] = "",
                         secret: Annotated[str, Form()] = "",
                         enabled: Annotated[str, Form()] = "",
                         csrf_token: Annotated[str, Form()] = "") -> Response:
    """Where the organisation's statements are forwarded; a blank secret keeps the stored one."""
    csrf.check_session(user, csrf_token)
    try:
        lrs_forwarding.configure(repos.lrs, user.actor, user.actor.org_id, endpoint, username,
                                 secret, enabled == "on", now)
    except InvalidInput as exc:
        return _lrs_page(request, repos, user, forwarding_problems=exc.problems,
                         forwarding_form={"endpoint": endpoint, "username": username},
                         status_code=400)
    return RedirectResponse("/admin/lrs", status_code=303)


@router.post("/admin/lrs/replay")
def admin_lrs_replay(repos: ReposDep, user: CurrentUser, now: NowDep,
                     csrf_token: Annotated[str, Form()] = "") -> Response:
    """Queue every failed forwarding delivery again."""
    csrf.check_session(user, csrf_token)
    lrs_forwarding.replay(repos.lrs, user.actor, user.actor.org_id, None, now)
    return RedirectResponse("/admin/lrs", status_code=303)


def new_secret() -> str:
    return secrets.token_urlsafe(32)
