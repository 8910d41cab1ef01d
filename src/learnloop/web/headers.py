"""Security headers, set on every response (the middleware) and on 500s (the error handler)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import Request, Response

from learnloop.domain.xapi.statements import iso

PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DOCS_PATH = "/api/docs"  # Swagger UI starts itself with an inline script
XAPI_PATH = "/xapi/"
XAPI_VERSION = "1.0.3"


def apply(response: Response, path: str, now: datetime | None = None) -> Response:
    """Pages may not be framed or load anything from elsewhere; browsers must not sniff types.
    Every xAPI response names the version (Comm 3.3); every statements response says up to
    when the store is consistent (Comm 2.1.3.s2.b5): writes commit before they are answered,
    so that is the moment of the response."""
    if path.startswith(XAPI_PATH):
        response.headers["X-Experience-API-Version"] = XAPI_VERSION
        if path.startswith(XAPI_PATH + "statements"):
            response.headers["X-Experience-API-Consistent-Through"] = iso(
                now or datetime.now(UTC))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if path != DOCS_PATH:
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    return response


async def middleware(request: Request,
                     call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    now = request.app.state.clock() if request.url.path.startswith(XAPI_PATH) else None
    return apply(response, request.url.path, now)
