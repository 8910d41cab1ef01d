"""The author view: a pack's skills, lessons and items, every variant as learners will see it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from learnloop.domain.access import Action, Target, require
from learnloop.domain.content import variants
from learnloop.domain.errors import NotFound
from learnloop.services import content
from learnloop.web.deps import CurrentUser, ReposDep, Slug, VersionNumber
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)
MAX_VARIANTS_SHOWN = 60


@router.get("/author", response_class=HTMLResponse)
def author_index(request: Request, repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    require(user.actor, Action.BROWSE_CONTENT, Target(user.actor.org_id))
    versions = repos.content.versions(user.actor.org_id)
    people = {p.id: p for p in repos.people.people(user.actor.org_id)}
    return render(request, "author_index.html", user, versions=versions, people=people)


@router.get("/author/{pack_slug}/v/{number}", response_class=HTMLResponse)
def author_pack(request: Request, pack_slug: Slug, number: VersionNumber, repos: ReposDep,
                user: CurrentUser, skill: str | None = None) -> HTMLResponse:
    require(user.actor, Action.BROWSE_CONTENT, Target(user.actor.org_id))
    version = content.find_version(repos.content, user.actor, pack_slug, number)
    pack = request.app.state.packs.get(repos.content, version)
    if skill is not None and pack.skill(skill) is None:
        raise NotFound(f"No skill {skill!r} in this pack.")
    counts = {f.id: variants.variant_count(f) for f in pack.families}
    first = {f.id: variants.make_item(f, 0).stem for f in pack.families}
    calibrated = repos.calibration.items(user.actor.org_id, pack.id)
    flagged = sorted(fid for fid, item in calibrated.items() if item.flag)
    return render(request, "author_pack.html", user, version=version, pack=pack,
                  selected=skill, counts=counts, first=first, calibrated=calibrated,
                  flagged=flagged)


@router.get("/author/{pack_slug}/v/{number}/families/{family_id}",
            response_class=HTMLResponse)
def author_family(request: Request, pack_slug: Slug, number: VersionNumber, family_id: str,
                  repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    require(user.actor, Action.BROWSE_CONTENT, Target(user.actor.org_id))
    version = content.find_version(repos.content, user.actor, pack_slug, number)
    pack = request.app.state.packs.get(repos.content, version)
    family = pack.family(family_id)
    if family is None:
        raise NotFound(f"No item family {family_id!r} in this pack.")
    items = variants.distinct_items(family)
    misconceptions = pack.misconceptions()
    calibration = repos.calibration.items(user.actor.org_id, pack.id).get(family.id)
    return render(request, "author_family.html", user, version=version, pack=pack,
                  calibration=calibration,
                  family=family, items=items[:MAX_VARIANTS_SHOWN], total=len(items),
                  misconceptions=misconceptions, skill=pack.skill(family.skill),
                  lesson=pack.lesson(family.lesson) if family.lesson else None)
