"""The one place that maps errors to HTTP responses.

API paths (/api/...) get JSON: ``{"error": code, "message": ..., "problems": [...]}``; pages
get an HTML error page, and a page that needs a signed-in person redirects to the sign-in form.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from learnloop.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LearnloopError,
    NotAuthenticated,
    NotFound,
    PreconditionFailed,
    TooLarge,
)
from learnloop.domain.problems import Problem
from learnloop.web import headers
from learnloop.web.pages.common import render

log = logging.getLogger("learnloop.web")

STATUS: dict[type[LearnloopError], int] = {
    InvalidInput: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    TooLarge: 413,
}


def status_for(exc: LearnloopError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", headers.XAPI_PATH))


def problem_json(problem: Problem) -> dict[str, Any]:
    out: dict[str, Any] = {"where": problem.where, "message": problem.message,
                           "severity": problem.severity.value}
    if problem.field is not None:
        out["field"] = problem.field
    if problem.line is not None:
        out["line"] = problem.line
    return out


def _json_path(loc: tuple[Any, ...]) -> str:
    parts = list(loc)
    root = parts.pop(0) if parts else "body"
    path = "$" if root == "body" else f"{root}"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validation_problems(exc: RequestValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            position = f" at character {loc[1]}" if len(loc) > 1 else ""
            problems.append(Problem(where="body", field="$",
                                    message=f"the body is not valid JSON{position}"))
            continue
        field = _json_path(loc)
        problems.append(Problem(
            where=str(loc[0]) if loc else "body",
            field=field,
            message=str(error.get("msg", "invalid")),
        ))
    return problems


def _render(request: Request, status: int, code: str, message: str,
            problems: list[Problem] | None = None,
            extra_headers: dict[str, str] | None = None) -> Response:
    if is_api(request):
        body: dict[str, Any] = {"error": code, "message": message}
        if problems is not None:
            body["problems"] = [problem_json(p) for p in problems]
        sent = dict(extra_headers or {})
        if status == 401:
            xapi = request.url.path.startswith(headers.XAPI_PATH)
            sent["WWW-Authenticate"] = 'Basic realm="learnloop xAPI"' if xapi else "Bearer"
        return JSONResponse(body, status_code=status, headers=sent or None)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
    return render(request, "error.html", getattr(request.state, "user", None),
                  status_code=status, status=status, message=message,
                  problems=problems or [])


def install(app: FastAPI) -> None:
    @app.exception_handler(LearnloopError)
    async def learnloop_error(request: Request, exc: LearnloopError) -> Response:
        problems = exc.problems if isinstance(exc, InvalidInput) else None
        return _render(request, status_for(exc), exc.code, exc.message, problems)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = validation_problems(exc)
        return _render(request, 400, InvalidInput.code,
                       f"{len(problems)} problem(s) in the request", problems)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        # Two requests raced for the same unique value (a person's email, a version number).
        return _render(request, 409, Conflict.code,
                       "This clashes with something saved at the same moment; try again.")

    @app.exception_handler(ClientDisconnect)
    async def client_left(request: Request, exc: ClientDisconnect) -> Response:
        # The client went away before sending the whole body: nothing was read, so nothing
        # was written; there is no one to answer.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # Answered outside the middleware stack, so the security headers are added here.
        return headers.apply(_render(request, 500, "internal_error",
                                     "Something went wrong on our side; it has been logged."),
                             request.url.path, request.app.state.clock())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        message = str(exc.detail) if exc.status_code != 404 else "There is nothing here."
        return _render(request, exc.status_code, code, message,
                       extra_headers=dict(exc.headers or {}))


def document(app: FastAPI) -> None:
    """Make the OpenAPI document say what `install` does: a request that fails validation is
    a 400 with problems (declared by each router), never FastAPI's default 422."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
