"""CSRF protection for HTML forms.

Signed-in forms carry the session's own CSRF token (stored with the session). The sign-in form,
before any session exists, uses a double-submit cookie: a random value in a SameSite=Strict
cookie that the form must echo. Both compare in constant time.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from learnloop.domain.errors import Forbidden
from learnloop.services.auth import Authenticated, csrf_matches

PRE_SESSION_COOKIE = "ll_csrf"


def new_or_existing(request: Request) -> str:
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)


def set_pre_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(PRE_SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure, max_age=3600)


def check_pre_session(request: Request, given: str | None) -> None:
    if not csrf_matches(request.cookies.get(PRE_SESSION_COOKIE), given):
        raise Forbidden("The form has expired or did not come from this site; reload the page "
                        "and try again.")


def check_session(user: Authenticated, given: str | None) -> None:
    if not csrf_matches(user.csrf_token, given):
        raise Forbidden("The form has expired or did not come from this site; reload the page "
                        "and try again.")
