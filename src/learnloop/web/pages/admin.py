"""Admin pages: people and teams."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from learnloop.domain.access import Action, Target, require
from learnloop.domain.people import Team
from learnloop.web.deps import CurrentUser, ReposDep
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/people", response_class=HTMLResponse)
def admin_people(request: Request, repos: ReposDep, user: CurrentUser,
                 q: str = "") -> HTMLResponse:
    require(user.actor, Action.MANAGE_PEOPLE, Target(user.actor.org_id))
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
    return render(request, template, user, rows=rows, q=q, total=len(everyone))


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
