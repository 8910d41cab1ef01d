"""Feedback library pages: preview a run's failed rule as an anonymised example, approve and
save it, list the library, and show one example with its item family for the content pack."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from learnloop.domain.access import Action, Target, can
from learnloop.domain.errors import Conflict, InvalidInput
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.scrub import excerpt_language, replaced_from_data
from learnloop.domain.problems import Problem
from learnloop.services import feedback
from learnloop.services.auth import Authenticated
from learnloop.store.unit import Repos
from learnloop.web import csrf
from learnloop.web.api.feedback import coaching_pack
from learnloop.web.deps import MAX_ID, UUID_PATTERN, CurrentUser, NowDep, ReposDep
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)


def _check_run_id(run_id: str) -> None:
    if not re.fullmatch(UUID_PATTERN, run_id):
        raise InvalidInput([Problem("path", "not a pre-flight run id", field="run_id")])


def _check_example_id(example_id: str) -> int:
    if not example_id.isdigit() or not 1 <= int(example_id) <= MAX_ID:
        raise InvalidInput([Problem("path", "not an example id", field="example_id")])
    return int(example_id)


def _preview_page(request: Request, repos: Repos, user: Authenticated, run_id: str,
                  rule: str, *, title: str = "", note: str = "",
                  problems: list[Problem] | None = None, notice: str | None = None,
                  status_code: int = 200) -> HTMLResponse:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    example = feedback.preview(repos, org, user.actor, run_id, rule)
    return render(request, "feedback_new.html", user, status_code=status_code,
                  run_id=run_id, rule=BY_ID[rule], example=example,
                  digest=example.digest(run_id), title=title, note=note,
                  problems=problems or [], notice=notice,
                  fields={p.field for p in problems or [] if p.field})


@router.get("/preflight/runs/{run_id}/examples/new", response_class=HTMLResponse)
def new_example(request: Request, run_id: str, repos: ReposDep, user: CurrentUser,
                rule: str = "") -> HTMLResponse:
    _check_run_id(run_id)
    return _preview_page(request, repos, user, run_id, rule)


@router.post("/preflight/runs/{run_id}/examples", response_class=HTMLResponse)
def save_example(request: Request, run_id: str, repos: ReposDep, user: CurrentUser,
                 now: NowDep, rule: Annotated[str, Form(max_length=8)] = "",
                 title: Annotated[str, Form(max_length=1000)] = "",
                 note: Annotated[str, Form(max_length=8000)] = "",
                 digest: Annotated[str, Form(max_length=200)] = "",
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    _check_run_id(run_id)
    csrf.check_session(user, csrf_token)
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    try:
        stored = feedback.save(repos, org, user.actor, run_id, rule, title, note, digest, now,
                               pack=coaching_pack(request, repos, org.id))
    except InvalidInput as exc:
        if any(p.field == "rule" for p in exc.problems):
            raise
        return _preview_page(request, repos, user, run_id, rule, title=title, note=note,
                             problems=exc.problems, status_code=400)
    except Conflict as exc:
        return _preview_page(request, repos, user, run_id, rule, title=title, note=note,
                             notice=exc.message, status_code=409)
    return RedirectResponse(f"/preflight/library/{stored.id}", status_code=303)


@router.get("/preflight/library", response_class=HTMLResponse)
def library(request: Request, repos: ReposDep, user: CurrentUser) -> HTMLResponse:
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    examples = feedback.list_examples(repos.feedback, org, user.actor)
    return render(request, "feedback_index.html", user, examples=examples, rules=BY_ID)


@router.get("/preflight/library/{example_id}", response_class=HTMLResponse)
def show_example(request: Request, example_id: str, repos: ReposDep,
                 user: CurrentUser) -> HTMLResponse:
    number = _check_example_id(example_id)
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    example = feedback.get_example(repos.feedback, org, user.actor, number)
    item = feedback.item_yaml(repos, example, coaching_pack(request, repos, org.id))
    run = repos.preflight.run(org.id, example.run_id) if example.run_id else None
    may_see_run = run is not None and (run.submitted_by == user.person.id or can(
        user.actor, Action.VIEW_PREFLIGHT, Target(org.id, run.author_id)))
    return render(request, "feedback_example.html", user, example=example,
                  rule=BY_ID.get(example.rule), item=item,
                  language=excerpt_language(example.excerpt),
                  replaced=replaced_from_data(example.replaced),
                  family_id=feedback.family_id(example), may_see_run=may_see_run)


@router.get("/preflight/library/{example_id}/item.yaml")
def download_item(request: Request, example_id: str, repos: ReposDep,
                  user: CurrentUser) -> Response:
    number = _check_example_id(example_id)
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    example = feedback.get_example(repos.feedback, org, user.actor, number)
    item = feedback.item_yaml(repos, example, coaching_pack(request, repos, org.id))
    if item is None:
        raise Conflict("No item can be made for this example: the organisation has no "
                       "content pack with the rule's skill.")
    name = feedback.family_id(example)
    return Response(item, media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'})
