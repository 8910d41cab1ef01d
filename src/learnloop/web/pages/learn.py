"""Lessons as learners see them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from learnloop.domain.errors import NotFound
from learnloop.services import content
from learnloop.web.deps import CurrentUser, ReposDep, Slug
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)


@router.get("/learn", response_class=HTMLResponse)
def learn_index(request: Request, repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    packs = [(v, request.app.state.packs.get(repos.content, v))
             for v in content.latest_versions(repos.content, user.actor)]
    me = user.person.id
    done = {pack.id: {lid for lid, p in repos.learner.lessons(me, pack.id).items()
                      if p.completed_at is not None} for _v, pack in packs}
    open_lessons = {(s.pack, s.lesson) for s in repos.steps.open_steps(me) if s.lesson}
    return render(request, "learn_index.html", user, packs=packs, done=done,
                  open_lessons=open_lessons)


@router.get("/learn/{pack_slug}/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(request: Request, pack_slug: Slug, lesson_id: str, repos: ReposDep,
                user: CurrentUser) -> HTMLResponse:
    version = content.find_version(repos.content, user.actor, pack_slug)
    pack = request.app.state.packs.get(repos.content, version)
    lesson = pack.lesson(lesson_id)
    if lesson is None:
        raise NotFound(f"No lesson {lesson_id!r} in {pack_slug}.")
    skill = pack.skill(lesson.skill)
    prerequisites = [p for p in (pack.lesson(x) for x in lesson.prerequisites) if p]
    return render(request, "lesson.html", user, version=version, pack=pack, lesson=lesson,
                  skill=skill, prerequisites=prerequisites)
