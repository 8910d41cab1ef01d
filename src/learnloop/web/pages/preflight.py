"""Pre-flight pages: upload a campaign, read its report with screenshots, override a failed
rule with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from learnloop.artifacts.reader import MAX_FILE_BYTES, MAX_SIDECAR_BYTES, read_upload
from learnloop.domain.access import Action, Target, can, require
from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.problems import Problem
from learnloop.services import preflight_runs
from learnloop.services.auth import Authenticated
from learnloop.store.unit import Repos
from learnloop.web import csrf
from learnloop.web.deps import CurrentUser, NowDep, ReposDep, RunId
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)
SEVERITY_ORDER = {"fail": 0, "warn": 1, "coach": 2, None: 3}


def _index(request: Request, repos: Repos, user: Authenticated, *,
           problems: list[Problem] | None = None, status_code: int = 200) -> HTMLResponse:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    runs = preflight_runs.list_runs(repos.preflight, org, user.actor, limit=20)
    return render(request, "preflight_index.html", user, status_code=status_code, runs=runs,
                  problems=problems or [], max_mb=MAX_FILE_BYTES // 2**20)


@router.get("/preflight", response_class=HTMLResponse)
def preflight_index(request: Request, repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    require(user.actor, Action.RUN_PREFLIGHT, Target(user.actor.org_id, user.person.id))
    return _index(request, repos, user)


@router.post("/preflight", response_class=HTMLResponse)
async def preflight_upload(request: Request, repos: ReposDep, user: CurrentUser, now: NowDep,
                           file: UploadFile | None = None, sidecar: UploadFile | None = None,
                           csrf_token: Annotated[str, Form()] = "") -> Response:
    csrf.check_session(user, csrf_token)
    problems: list[Problem] = []
    raw = await file.read(MAX_FILE_BYTES + 1) if file is not None else b""
    side = await sidecar.read(MAX_SIDECAR_BYTES + 1) if sidecar is not None else b""
    name = (file.filename if file is not None else None) or ""
    if not name or not raw:
        problems.append(Problem("upload", "choose an .html, .eml or .json file", field="file"))
    elif len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(name, f"the file is larger than "
                                f"{MAX_FILE_BYTES // 2**20} MB", field="file"))
    elif len(side) > MAX_SIDECAR_BYTES:
        problems.append(Problem("sidecar", f"the sidecar is larger than "
                                f"{MAX_SIDECAR_BYTES // 1024} KB", field="sidecar"))
    if problems:
        return _index(request, repos, user, problems=problems, status_code=400)
    side_file = ((sidecar.filename or "sidecar.yaml"), side) if sidecar is not None and side \
        else None
    try:
        artifact = read_upload(name, raw, side_file)
    except InvalidInput as exc:
        return _index(request, repos, user, problems=exc.problems, status_code=400)
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    checkers = request.app.state.checkers
    done = await run_in_threadpool(
        preflight_runs.submit, repos, request.app.state.packs.loader(repos.content), org,
        user.actor, user.person, artifact, checkers.checkers(), now,
        request.app.state.new_id)
    return RedirectResponse(f"/preflight/runs/{done.run.id}", status_code=303)


def _lessons(request: Request, repos: Repos, org_id: int,
             lesson_ids: list[str]) -> list[dict[str, Any]]:
    loaded = preflight_runs.coaching_pack(repos, request.app.state.packs.loader(repos.content),
                                          org_id)
    pack = loaded.pack if loaded else None
    out = []
    for lesson_id in lesson_ids:
        lesson = pack.lesson(lesson_id) if pack else None
        if lesson is not None and pack is not None:
            out.append({"id": lesson.id, "title": lesson.title, "minutes": lesson.minutes,
                        "objective": lesson.objective, "pack": pack.id})
    return out


def _run_page(request: Request, repos: Repos, user: Authenticated, run_id: str, *,
              show_report: bool, problems: list[Problem] | None = None,
              status_code: int = 200) -> HTMLResponse:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    run = preflight_runs.get_run(repos.preflight, org, user.actor, run_id)
    report = run.report
    results = report.get("results", [])
    with_findings = sorted((r for r in results if r.get("findings")),
                           key=lambda r: SEVERITY_ORDER.get(r.get("severity"), 3))
    overridden = {o.rule: o for o in run.overrides}
    first_time = _lessons(request, repos, org.id, report.get("first_time_lessons", []))
    may_override = run.submitted_by == user.person.id or can(
        user.actor, Action.OVERRIDE_PREFLIGHT, Target(org.id, run.author_id))
    return render(
        request, "preflight_run.html", user, notes=report.get("notes", []),
        blocked=report.get("blocked_requests"),
        status_code=status_code, run=run, report=report,
        with_findings=with_findings, overridden=overridden, rules=BY_ID,
        not_run=[r for r in results if r["outcome"] == "not_run" and r["kind"] != "outside"],
        outside=[r for r in results if r["outcome"] == "not_run" and r["kind"] == "outside"],
        passed=[r for r in results if r["outcome"] == "passed" and not r.get("findings")],
        not_applicable=[r for r in results if r["outcome"] == "not_applicable"],
        first_time=first_time, show_intro=bool(first_time) and not show_report,
        may_override=may_override, problems=problems or [],
        may_curate=can(user.actor, Action.CURATE_FEEDBACK, Target(org.id)))


@router.get("/preflight/runs/{run_id}", response_class=HTMLResponse)
def preflight_run(request: Request, run_id: RunId, repos: ReposDep, user: CurrentUser,
                  report: bool = False) -> HTMLResponse:
    return _run_page(request, repos, user, run_id, show_report=report)


@router.post("/preflight/runs/{run_id}/overrides", response_class=HTMLResponse)
def preflight_override(request: Request, run_id: RunId, repos: ReposDep, user: CurrentUser,
                       now: NowDep, rule: Annotated[str, Form(max_length=8)] = "",
                       reason: Annotated[str, Form(max_length=4000)] = "",
                       csrf_token: Annotated[str, Form()] = "") -> Response:
    csrf.check_session(user, csrf_token)
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    try:
        preflight_runs.override(repos.preflight, org, user.actor, user.person.id, run_id, rule,
                                reason, now)
    except InvalidInput as exc:
        return _run_page(request, repos, user, run_id, show_report=True, problems=exc.problems,
                         status_code=400)
    return RedirectResponse(f"/preflight/runs/{run_id}?report=1#rule-{rule}", status_code=303)
