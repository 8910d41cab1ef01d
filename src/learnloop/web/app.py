"""The app factory: everything the web app needs is built here from settings, nothing at import."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import Engine

from learnloop import __version__, sentiment
from learnloop.packs.cache import PackCache
from learnloop.security.passwords import Argon2Passwords
from learnloop.settings import Settings
from learnloop.store.engine import make_engine, session_factory
from learnloop.web import calibration, errors, headers
from learnloop.web.api import content as api_content
from learnloop.web.api import feedback as api_feedback
from learnloop.web.api import loop as api_loop
from learnloop.web.api import people as api_people
from learnloop.web.api import preflight as api_preflight
from learnloop.web.checkers import SharedCheckers
from learnloop.web.pages import admin, author, feedback, home, learn, loop, signin
from learnloop.web.pages import preflight as preflight_pages
from learnloop.web.xapi import routes as xapi_routes

HERE = Path(__file__).parent
def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def create_app(settings: Settings, *, engine: Engine | None = None,
               clock: Callable[[], datetime] = _utc_now,
               passwords: Argon2Passwords | None = None,
               new_id: Callable[[], str] = _new_id,
               randomness: Callable[[], random.Random] = random.Random) -> FastAPI:
    """`new_id` makes statement and step ids; `randomness` gives each request its generator
    (tests pass seeded ones)."""
    settings.check_production()
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        minutes = app.state.settings.calibrate_every_minutes
        rounds = asyncio.create_task(calibration.every(
            minutes, app.state.sessions, app.state.packs, app.state.clock)) if minutes else None
        yield
        if rounds is not None:
            rounds.cancel()
            with suppress(asyncio.CancelledError):
                await rounds
        app.state.checkers.close()  # the warm Chromium and spamd of pre-flight

    app = FastAPI(
        lifespan=lifespan,
        title="learnloop",
        version=__version__,
        description="Team training as a measured loop. JSON API for people, teams and content.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    engine = engine or make_engine(settings.resolved_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.clock = clock
    app.state.passwords = passwords or Argon2Passwords()
    app.state.packs = PackCache()
    app.state.new_id = new_id
    app.state.random = randomness
    app.state.sentiment = sentiment.compound
    app.state.checkers = SharedCheckers(settings)

    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["markdown"] = lambda text: Markup(markdown.render(text or ""))  # noqa: S704 - html disabled in the renderer
    templates.env.globals["version"] = __version__
    app.state.templates = templates

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI for the API, from the vendored copy in /static (no CDN)."""
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json", title="learnloop API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="data:,")

    errors.install(app)
    errors.document(app)
    app.add_middleware(headers.SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in (signin.router, home.router, learn.router, loop.router, author.router,
                   admin.router, preflight_pages.router, feedback.router, api_people.router,
                   api_content.router, api_loop.router, api_preflight.router,
                   api_feedback.router, xapi_routes.router):
        app.include_router(router)
    # The unversioned name for the check, kept out of the schema: the same handler.
    app.add_api_route("/api/preflight", api_preflight.check, methods=["POST"], status_code=201,
                      include_in_schema=False)
    return app
