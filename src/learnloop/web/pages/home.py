"""The home page: the person's own learning (next step, due re-checks, mastery), then what
else their roles let them do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from learnloop.domain.access import Action, Target, can
from learnloop.services import content, people, retention
from learnloop.web.deps import CurrentUser, LoopDep, NowDep, PackQuery, ReposDep
from learnloop.web.pages.common import render
from learnloop.web.pages.loop import learner_home

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, repos: ReposDep, ctx: LoopDep, user: CurrentUser, now: NowDep,
         pack: PackQuery = None) -> HTMLResponse:
    actor = user.actor
    org = repos.people.organisation(actor.org_id)
    reports = []
    if actor.reports:
        visible = people.list_people(repos.people, actor)
        reports = [p for p in visible if p.id in actor.reports]
    manager = (repos.people.person(actor.org_id, user.person.manager_id)
               if user.person.manager_id else None)
    teams = {t.id: t for t in repos.people.teams(actor.org_id)}
    my_teams = [teams[tid] for tid in repos.people.memberships(actor.org_id).get(
        user.person.id, set()) if tid in teams]
    packs = content.latest_versions(repos.content, actor)
    recall = {r.person_id: r for r in retention.reports_retention(repos, actor)} \
        if reports else {}
    team_recall = [(t, retention.team_retention(repos, actor, t.id)) for t in my_teams] \
        if can(actor, Action.VIEW_AGGREGATES, Target(actor.org_id)) else []
    return render(request, "home.html", user, org=org, packs=packs, recall=recall,
                  team_recall=team_recall,
                  learning=learner_home(ctx, user, now, pack) if packs else None,
                  reports=reports, manager=manager, my_teams=my_teams,
                  can_author=can(actor, Action.BROWSE_CONTENT, Target(actor.org_id)),
                  can_admin=can(actor, Action.MANAGE_PEOPLE, Target(actor.org_id)))
