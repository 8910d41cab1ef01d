"""JSON API: content packs, their versions, skills, lessons and items."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from learnloop.domain.access import Action, Target, can
from learnloop.domain.content import variants
from learnloop.domain.content.model import Pack
from learnloop.domain.errors import InvalidInput, NotFound
from learnloop.domain.problems import Problem
from learnloop.packs.reader import is_pack_file, read_pack_files
from learnloop.services import content
from learnloop.services.ports import StoredVersion
from learnloop.web.api.people import ERRORS
from learnloop.web.api.schemas import (
    ItemOut,
    LessonOut,
    OptionOut,
    PackIn,
    ProblemOut,
    PublishOut,
    SectionOut,
    SkillOut,
    VersionOut,
)
from learnloop.web.deps import CurrentUser, NowDep, ReposDep, Slug, VersionNumber
from learnloop.web.errors import problem_json

router = APIRouter(prefix="/api/v1/content", tags=["content"], responses=ERRORS)
MAX_FILES = 2000


def _version(v: StoredVersion) -> VersionOut:
    return VersionOut(pack=v.pack_slug, number=v.number, title=v.title, digest=v.digest,
                      published_at=v.published_at, summary=v.summary)


@router.get("/packs", response_model=list[VersionOut])
def list_versions(repos: ReposDep, user: CurrentUser) -> list[VersionOut]:
    """Every published version of every pack, newest first within a pack."""
    return [_version(v) for v in repos.content.versions(user.actor.org_id)]


@router.post("/packs", response_model=PublishOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": PublishOut,
                              "description": "The latest version already has these files"}})
def publish(body: PackIn, repos: ReposDep, user: CurrentUser, now: NowDep,
            response: Response) -> PublishOut:
    """Publish a pack's files as a new immutable version (authors); nothing on any error.

    201 with the new version; 200 when the latest version already has exactly these files."""
    if len(body.files) > MAX_FILES:
        raise InvalidInput([Problem("body", f"at most {MAX_FILES} files", field="$.files")])
    strays = [Problem("body", "not a pack file (pack.yaml, skills.yaml, preflight.yaml, "
                              "lessons/*.md, items/*.yaml)", field=f"$.files[{path!r}]")
              for path in sorted(body.files) if not is_pack_file(path)]
    if strays:
        raise InvalidInput(strays)
    reading = read_pack_files(body.files)
    outcome = content.publish(repos.content, user.actor.org_id, user.actor, reading, now)
    if outcome.unchanged:
        response.status_code = status.HTTP_200_OK
    return PublishOut(version=_version(outcome.version), unchanged=outcome.unchanged,
                      warnings=[ProblemOut(**problem_json(p)) for p in outcome.warnings])


def _pack(request: Request, repos: ReposDep, user: CurrentUser, slug: Slug,
          number: int | None) -> tuple[StoredVersion, Pack]:
    version = content.find_version(repos.content, user.actor, slug, number)
    return version, request.app.state.packs.get(repos.content, version)


@router.get("/packs/{slug}", response_model=VersionOut)
def latest(slug: Slug, repos: ReposDep, user: CurrentUser) -> VersionOut:
    return _version(content.find_version(repos.content, user.actor, slug))


@router.get("/packs/{slug}/versions/{number}/skills", response_model=list[SkillOut])
def skills(request: Request, slug: Slug, number: VersionNumber, repos: ReposDep,
           user: CurrentUser) -> list[SkillOut]:
    _, pack = _pack(request, repos, user, slug, number)
    return [SkillOut(id=s.id, name=s.name, behaviour=s.behaviour, in_work=s.in_work,
                     lessons=[x.id for x in pack.lessons if x.skill == s.id])
            for s in pack.skills]


@router.get("/packs/{slug}/versions/{number}/lessons/{lesson_id}", response_model=LessonOut)
def lesson(request: Request, slug: Slug, number: VersionNumber, lesson_id: str, repos: ReposDep,
           user: CurrentUser) -> LessonOut:
    _, pack = _pack(request, repos, user, slug, number)
    found = pack.lesson(lesson_id)
    if found is None:
        raise NotFound(f"No lesson {lesson_id!r} in {slug} version {number}.")
    return LessonOut(id=found.id, skill=found.skill, title=found.title,
                     objective=found.objective, minutes=found.minutes,
                     prerequisites=list(found.prerequisites), intro=found.intro,
                     sections=[SectionOut(slug=s.slug, title=s.title, markdown=s.body)
                               for s in found.sections])


@router.get("/packs/{slug}/versions/{number}/families/{family_id}/items",
            response_model=list[ItemOut])
def items(request: Request, slug: Slug, number: VersionNumber, family_id: str, repos: ReposDep,
          user: CurrentUser) -> list[ItemOut]:
    """Every distinct variant of an item family. Keys and feedback only for authors and
    reviewers: learners would otherwise read the answers."""
    _, pack = _pack(request, repos, user, slug, number)
    family = pack.family(family_id)
    if family is None:
        raise NotFound(f"No item family {family_id!r} in {slug} version {number}.")
    with_keys = can(user.actor, Action.BROWSE_CONTENT, Target(user.actor.org_id))
    out = []
    for item in variants.distinct_items(family):
        out.append(ItemOut(
            family=item.family_id, variant=item.variant, skill=item.skill,
            type=item.type.value, context=item.context.value, stem=item.stem,
            options=[OptionOut(id=o.id, text=o.text,
                               correct=o.correct if with_keys else None,
                               misconception=o.misconception if with_keys else None,
                               feedback=o.feedback if with_keys else None)
                     for o in item.options],
            unit=item.unit,
            answer=item.answer if with_keys else None,
            tolerance=item.tolerance if with_keys else None,
            feedback=item.feedback if with_keys else None,
        ))
    return out
