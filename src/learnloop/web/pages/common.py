"""Helpers shared by the page routes: rendering with the signed-in person and navigation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from learnloop.domain.access import Action, Target, can
from learnloop.services.auth import Authenticated


def nav(user: Authenticated | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    actor = user.actor
    org = Target(actor.org_id)
    items = [("/", "Home"), ("/learn", "Learn")]
    if can(actor, Action.RUN_PREFLIGHT, Target(actor.org_id, actor.person_id)):
        items.append(("/preflight", "Pre-flight"))
    if can(actor, Action.READ_FEEDBACK, org):
        items.append(("/preflight/library", "Library"))
    if can(actor, Action.BROWSE_CONTENT, org):
        items.append(("/author", "Author"))
    if can(actor, Action.MANAGE_PEOPLE, org):
        items.append(("/admin/people", "People"))
        items.append(("/admin/teams", "Teams"))
    if can(actor, Action.MANAGE_LRS_CLIENTS, org):
        items.append(("/admin/lrs", "LRS"))
    return items


def render(request: Request, template: str, user: Authenticated | None,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, template,
        {"user": user, "nav": nav(user), "path": request.url.path, **context},
        status_code=status_code)
