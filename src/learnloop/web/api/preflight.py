"""JSON API for pre-flight: check an artifact, read a run and its screenshots, override a
failed rule with a reason, and the organisation's settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, status

from learnloop.domain.errors import NotFound
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.config import config_to_data
from learnloop.services import preflight_runs
from learnloop.web.api.people import ERRORS
from learnloop.web.deps import MAX_ID, CurrentUser, NowDep, ReposDep, RunId
from learnloop.web.preflight_common import artifact_from_request, run_data

router = APIRouter(prefix="/api/v1/preflight", tags=["pre-flight"], responses=ERRORS)
Width = Annotated[int, Path(ge=240, le=1600, description="A screenshot's width in px")]
ArtifactDep = Annotated[Artifact, Depends(artifact_from_request)]

ARTIFACT_BODY: dict[str, Any] = {"requestBody": {"content": {
    "application/json": {"schema": {"type": "object", "description": (
        "The artifact as data: campaign (name, message_type, channel, campaign_type, "
        "send_date, owner), email (subject, preheader, from, reply_to, headers, html, text), "
        "audience (include and exclude conditions) and sample (merge-tag values); see "
        "docs/preflight.md")}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": ".html, .eml or .json, at most 5 MB"},
        "sidecar": {"type": "string", "format": "binary",
                    "description": "YAML or JSON metadata for an .html or .eml file"}}}},
}, "required": True}}


@router.post("", status_code=status.HTTP_201_CREATED, openapi_extra=ARTIFACT_BODY,
             responses={413: {"description": "The upload is over the size limit"}})
def check(request: Request, artifact: ArtifactDep, repos: ReposDep, user: CurrentUser,
          now: NowDep) -> dict[str, Any]:
    """Check a campaign and keep the report; 201 with the run, whatever the verdict."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    done = preflight_runs.submit(repos, request.app.state.packs.loader(repos.content), org,
                                 user.actor, user.person, artifact,
                                 request.app.state.checkers.checkers(), now,
                                 request.app.state.new_id)
    return run_data(done.run, done.first_time)


@router.get("/runs")
def my_runs(repos: ReposDep, user: CurrentUser) -> list[dict[str, Any]]:
    """Your own runs, newest first (50), without their reports' findings."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    out = []
    for run in preflight_runs.list_runs(repos.preflight, org, user.actor):
        data = run_data(run)
        data["report"] = {k: run.report.get(k) for k in ("verdict", "counts", "findings")}
        out.append(data)
    return out


@router.get("/runs/{run_id}")
def get_run(run_id: RunId, repos: ReposDep, user: CurrentUser) -> dict[str, Any]:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    return run_data(preflight_runs.get_run(repos.preflight, org, user.actor, run_id))


@router.get("/runs/{run_id}/screenshots/{width}.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def screenshot(run_id: RunId, width: Width, repos: ReposDep, user: CurrentUser) -> Response:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    preflight_runs.get_run(repos.preflight, org, user.actor, run_id)
    png = repos.preflight.screenshot(run_id, width)
    if png is None:
        raise NotFound(f"no screenshot at {width} px in this run")
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.post("/runs/{run_id}/overrides", status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "The rule is already overridden"}})
def add_override(run_id: RunId, repos: ReposDep, user: CurrentUser, now: NowDep,
                 rule: Annotated[str, Body(max_length=8)],
                 reason: Annotated[str, Body(max_length=4000)]) -> dict[str, Any]:
    """Launch despite a failed rule: the reason (10 characters or more) is kept with your
    name."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    run = preflight_runs.override(repos.preflight, org, user.actor, user.person.id, run_id,
                                  rule, reason, now)
    return run_data(run)


@router.get("/first-pass")
def first_pass(request: Request, repos: ReposDep, user: CurrentUser,
               person_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
               ) -> list[dict[str, Any]]:
    """First-pass rate per skill: of the rule results on the first pre-flight of each
    campaign, the share that passed. Yours, or one of your reports' (managers, admins)."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    rates = preflight_runs.first_pass(repos, request.app.state.packs.loader(repos.content), org,
                                      user.actor, person_id)
    return [{"person_id": r.person_id, "pack": r.pack, "skill": r.skill, "checks": r.checks,
             "passed": r.passed, "rate": round(r.rate, 4)} for r in rates]


@router.get("/settings")
def get_settings(repos: ReposDep, user: CurrentUser) -> dict[str, object]:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    return config_to_data(preflight_runs.settings(repos.preflight, org, user.actor))


@router.put("/settings")
def put_settings(repos: ReposDep, user: CurrentUser, now: NowDep,
                 body: Annotated[dict[str, Any], Body()]) -> dict[str, object]:
    """Replace the organisation's settings (admins); every problem is listed, nothing is kept
    on any error."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    return config_to_data(preflight_runs.save_settings(repos.preflight, org, user.actor, body,
                                                       now))
