"""JSON API for the feedback library: preview a run's failed rule as an anonymised example,
save the example the reviewer approved, and read the library with each example's item."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import Field

from learnloop.domain.content.model import Pack
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.scrub import (
    ScrubbedExample,
    excerpt_language,
    replaced_from_data,
)
from learnloop.services import feedback, preflight_runs
from learnloop.services.ports import StoredExample
from learnloop.store.unit import Repos
from learnloop.web.api.people import ERRORS
from learnloop.web.api.schemas import RequestBody
from learnloop.web.deps import UUID_PATTERN, CurrentUser, NowDep, ReposDep, RowId, RunId

router = APIRouter(prefix="/api/v1/preflight", tags=["pre-flight"], responses=ERRORS)
RuleQuery = Annotated[str, Query(min_length=1, max_length=8,
                                 description="A rule id that failed or warned in the run")]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The preview changed since it was approved; look again"}}


class ExampleIn(RequestBody):
    run_id: str = Field(pattern=UUID_PATTERN, description="The run the example comes from")
    rule: str = Field(min_length=1, max_length=8, description="A rule that failed or warned")
    title: str = Field(max_length=1000, description="A one-line title (up to 200 characters)")
    note: str = Field(default="", max_length=8000,
                      description="Why it is a good example (up to 4000 characters)")
    digest: str = Field(max_length=200, description="The digest of the approved preview")


def _replaced(data: object) -> list[dict[str, Any]]:
    return [{"kind": r.kind, "count": r.count, "label": r.label}
            for r in replaced_from_data(data)]


def preview_data(run_id: str, example: ScrubbedExample) -> dict[str, Any]:
    return {"run_id": run_id, "rule": example.rule, "rule_title": BY_ID[example.rule].title,
            "excerpt": example.excerpt, "language": example.language,
            "replaced": [{"kind": r.kind, "count": r.count, "label": r.label}
                         for r in example.replaced],
            "digest": example.digest(run_id)}


def example_data(example: StoredExample, *, item: str | None = None) -> dict[str, Any]:
    rule = BY_ID.get(example.rule)
    data: dict[str, Any] = {
        "id": example.id, "run_id": example.run_id, "rule": example.rule,
        "rule_title": rule.title if rule else None, "skill": example.skill,
        "title": example.title, "excerpt": example.excerpt,
        "language": excerpt_language(example.excerpt), "replaced": _replaced(example.replaced),
        "note": example.note, "created_by": example.created_by,
        "created_at": example.created_at.isoformat(),
        "family_id": feedback.family_id(example), "url": f"/preflight/library/{example.id}"}
    if item is not None or example.item_yaml is not None:
        data["item_yaml"] = item if item is not None else example.item_yaml
    return data


def coaching_pack(request: Request, repos: Repos, org_id: int) -> Pack | None:
    """The pack whose preflight.yaml gives the rules' lessons (the items are made for it)."""
    loaded = preflight_runs.coaching_pack(repos, request.app.state.packs.loader(repos.content),
                                          org_id)
    return loaded.pack if loaded else None


@router.get("/runs/{run_id}/examples/preview")
def preview(run_id: RunId, rule: RuleQuery, repos: ReposDep,
            user: CurrentUser) -> dict[str, Any]:
    """The anonymised example of a failed or warned rule, with what was replaced and the
    digest to send back when saving it (reviewers and admins)."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    return preview_data(run_id, feedback.preview(repos, org, user.actor, run_id, rule))


@router.post("/library", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def save(request: Request, body: ExampleIn, repos: ReposDep, user: CurrentUser,
         now: NowDep) -> dict[str, Any]:
    """Save the approved preview to the library; 409 when it is no longer what the preview
    shows."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    stored = feedback.save(repos, org, user.actor, body.run_id, body.rule, body.title,
                           body.note, body.digest, now,
                           pack=coaching_pack(request, repos, org.id))
    return example_data(stored)


@router.get("/library")
def library(repos: ReposDep, user: CurrentUser,
            rule: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
    """The organisation's examples, newest first (reviewers, authors and admins)."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    return [example_data(e) for e in feedback.list_examples(repos.feedback, org, user.actor,
                                                            rule=rule)]


@router.get("/library/{example_id}")
def get_example(request: Request, example_id: RowId, repos: ReposDep,
                user: CurrentUser) -> dict[str, Any]:
    """One example with its item family for the content pack (`item_yaml`)."""
    org = repos.people.organisation(user.person.org_id)
    assert org is not None
    example = feedback.get_example(repos.feedback, org, user.actor, example_id)
    item = feedback.item_yaml(repos, example, coaching_pack(request, repos, org.id))
    return example_data(example, item=item)
