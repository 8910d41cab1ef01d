"""Sign in and out with a local account."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from learnloop.domain.errors import NotAuthenticated
from learnloop.domain.people import Role
from learnloop.services import auth, demo
from learnloop.web import csrf
from learnloop.web.deps import SESSION_COOKIE, CurrentUser, MaybeUser, NowDep, ReposDep
from learnloop.web.pages.common import render

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    mode = request.app.state.settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


SIGN_IN_HINT_ROLES = (Role.ADMIN, Role.AUTHOR, Role.MANAGER, Role.LEARNER)


def _demo_accounts(request: Request, repos: ReposDep) -> list[tuple[str, str, str]]:
    if not request.app.state.settings.shows_demo_accounts:
        return []
    return demo.demo_accounts(repos.people, SIGN_IN_HINT_ROLES)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, repos: ReposDep, user: MaybeUser,
                next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = csrf.new_or_existing(request)
    response = render(request, "signin.html", None, next=_safe_next(next), error=None,
                      email="", demo=_demo_accounts(request, repos), csrf_token=token,
                      ask_org=False, organisation="")
    csrf.set_pre_session_cookie(response, token, _secure(request))
    return response


@router.post("/signin")
def signin(request: Request, repos: ReposDep, now: NowDep,
           email: Annotated[str, Form(max_length=254)],
           password: Annotated[str, Form(max_length=1024)],
           csrf_token: Annotated[str, Form()] = "",
           next: Annotated[str, Form()] = "/",
           organisation: Annotated[str, Form(max_length=64)] = "") -> Response:
    csrf.check_pre_session(request, csrf_token)
    settings = request.app.state.settings
    try:
        signed = auth.sign_in(repos.people, repos.auth, request.app.state.passwords, email,
                              password, now, lambda: secrets.token_urlsafe(32),
                              settings.session_hours, org_slug=organisation.strip() or None)
    except NotAuthenticated as exc:
        ask_org = isinstance(exc, auth.OrganisationNeeded) or bool(organisation)
        return render(request, "signin.html", None, status_code=401, next=_safe_next(next),
                      error=exc.message, email=email, demo=_demo_accounts(request, repos),
                      csrf_token=csrf_token, ask_org=ask_org, organisation=organisation)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="lax",
                        secure=_secure(request), max_age=settings.session_hours * 3600,
                        path="/")
    response.delete_cookie(csrf.PRE_SESSION_COOKIE)
    return response


@router.post("/signout")
def signout(request: Request, repos: ReposDep, user: CurrentUser,
            csrf_token: Annotated[str, Form()] = "") -> Response:
    csrf.check_session(user, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.sign_out(repos.auth, token)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
