"""Typed dependencies: one transaction per request, the signed-in person, the clock."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from learnloop.domain.errors import NotAuthenticated
from learnloop.services import auth
from learnloop.services.auth import Authenticated
from learnloop.services.ports import IdMaker, PackLoader, Sentiment
from learnloop.store.unit import Repos, transaction

SESSION_COOKIE = "ll_session"
MAX_ID = 2_147_483_647  # the largest id the databases store; larger ones are a 400, not a 500

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A positive id")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID, description="A version number, from 1")]
SLUG_PATTERN = r"^[a-z][a-z0-9-]{0,63}$"  # pack, lesson and item family ids
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="A pack id")]
PackQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN,
                                        description="A pack id; the first pack if omitted")]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_repos(request: Request) -> Iterator[Repos]:
    """The request's transaction: committed when the handler returns and before the response
    is sent (scope="function"), rolled back on error, so a client never sees a success that a
    failed commit undid."""
    with transaction(request.app.state.sessions) as repos:
        yield repos


ReposDep = Annotated[Repos, Depends(get_repos, scope="function")]


def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


NowDep = Annotated[datetime, Depends(get_now)]


def _authenticate(request: Request, repos: Repos, now: datetime) -> Authenticated | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
        return auth.token_user(repos.people, repos.auth, token.strip(), now)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    if request.url.path.startswith("/api/") and request.method not in SAFE_METHODS:
        raise NotAuthenticated("The API takes a bearer token for changes; a browser session "
                               "may only read.")
    try:
        return auth.session_user(repos.people, repos.auth, cookie, now)
    except NotAuthenticated:
        return None


def optional_user(request: Request, repos: ReposDep, now: NowDep) -> Authenticated | None:
    user = _authenticate(request, repos, now)
    request.state.user = user
    return user


def current_user(request: Request, repos: ReposDep, now: NowDep) -> Authenticated:
    user = optional_user(request, repos, now)
    if user is None:
        raise NotAuthenticated("Please sign in.")
    return user


CurrentUser = Annotated[Authenticated, Depends(current_user)]
MaybeUser = Annotated[Authenticated | None, Depends(optional_user)]


UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
StepId = Annotated[str, Path(pattern=UUID_PATTERN, description="A step id (UUID)")]
RunId = Annotated[str, Path(pattern=UUID_PATTERN, description="A pre-flight run id (UUID)")]
AttemptId = Annotated[str, Path(pattern=UUID_PATTERN, description="A served item's id (UUID)")]
LessonId = Annotated[str, Path(pattern=SLUG_PATTERN, description="A lesson id")]
SectionSlug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,199}$",
                                  description="A section of a lesson")]


@dataclass
class LoopContext:
    """What the learning-loop services need for one request."""

    store: Repos
    packs: PackLoader
    new_id: IdMaker
    rng: random.Random
    sentiment: Sentiment


def get_loop(request: Request, repos: ReposDep) -> LoopContext:
    state = request.app.state
    return LoopContext(repos, state.packs.loader(repos.content), state.new_id,
                       state.random(), state.sentiment)


LoopDep = Annotated[LoopContext, Depends(get_loop)]
