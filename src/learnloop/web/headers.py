"""Security headers, set on every response (the middleware) and on 500s (the error handler)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DOCS_PATH = "/api/docs"  # Swagger UI starts itself with an inline script


def apply(response: Response, path: str) -> Response:
    """Pages may not be framed or load anything from elsewhere; browsers must not sniff types."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if path != DOCS_PATH:
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    return response


async def middleware(request: Request,
                     call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    return apply(await call_next(request), request.url.path)
