"""Security headers, set on every response (the middleware) and on 500s (the error handler)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnloop.domain.xapi.statements import iso

PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DOCS_PATH = "/api/docs"  # Swagger UI starts itself with an inline script
XAPI_PATH = "/xapi/"
XAPI_VERSION = "1.0.3"
# What a page on another origin may read of an xAPI answer (content authored in Storyline,
# Rise or Captivate posts statements from the learner's browser).
XAPI_EXPOSED = ("ETag, Last-Modified, Content-Type, X-Experience-API-Version, "
                "X-Experience-API-Consistent-Through")


def allowed_origin(origin: str | None, allowed: str) -> str | None:
    """The Access-Control-Allow-Origin for a request from `origin` (None: not allowed).
    Credentials travel in the Authorization header, never in cookies, so "*" is safe."""
    wanted = allowed.strip()
    if not origin or not wanted:
        return None
    if wanted == "*":
        return "*"
    return origin if origin in {o.strip() for o in wanted.split(",")} else None


def set_headers(headers: MutableHeaders, path: str, now: datetime | None = None) -> None:
    """Pages may not be framed or load anything from elsewhere; browsers must not sniff types.
    Every xAPI response names the version (Comm 3.3); every statements response says up to
    when the store is consistent (Comm 2.1.3.s2.b5): writes commit before they are answered,
    so that is the moment of the response."""
    if path.startswith(XAPI_PATH):
        headers["X-Experience-API-Version"] = XAPI_VERSION
        if path.startswith(XAPI_PATH + "statements"):
            headers["X-Experience-API-Consistent-Through"] = iso(now or datetime.now(UTC))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if path != DOCS_PATH:
        headers.setdefault("Content-Security-Policy", PAGE_POLICY)


def apply(response: Response, path: str, now: datetime | None = None) -> Response:
    set_headers(response.headers, path, now)
    return response


def _cors(headers: MutableHeaders, scope: Scope, allowed: str) -> None:
    origin = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"), None)
    answer = allowed_origin(origin, allowed)
    if answer is None:
        return
    headers["Access-Control-Allow-Origin"] = answer
    headers["Access-Control-Expose-Headers"] = XAPI_EXPOSED
    if answer != "*":
        headers.add_vary_header("Origin")


class SecurityHeaders:
    """Plain ASGI middleware (no per-request task or body copy, unlike a decorated one): the
    headers are added to the response's start message as it goes out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if path.startswith(XAPI_PATH):
                    state = scope["app"].state
                    set_headers(headers, path, state.clock())
                    _cors(headers, scope, state.settings.xapi_cors_origins)
                else:
                    set_headers(headers, path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
