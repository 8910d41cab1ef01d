"""What every command needs: settings, an engine, transactions. The CLI is a composition root."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.errors import NotFound
from learnloop.domain.people import Organisation
from learnloop.security.passwords import Argon2Passwords
from learnloop.settings import Settings, load_settings
from learnloop.store import migrate
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.unit import Repos

DB_OPTION = click.option("--database-url", envvar="LEARNLOOP_DATABASE_URL", default=None,
                         help="SQLAlchemy URL (default: SQLite file in LEARNLOOP_DATA_DIR).")
ORG_OPTION = click.option("--org", "org_slug", default=None,
                          help="Organisation slug (may be left out when there is only one).")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    passwords: Argon2Passwords

    @classmethod
    def start(cls, database_url: str | None = None, *, migrate_now: bool | None = None
              ) -> Runtime:
        overrides: dict[str, object] = {}
        if database_url:
            overrides["database_url"] = database_url
        settings = load_settings(**overrides)
        if not settings.database_url:
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        if migrate_now if migrate_now is not None else settings.auto_migrate:
            migrate.upgrade(engine)
        return cls(settings, engine, session_factory(engine), Argon2Passwords())

    def close(self) -> None:
        self.engine.dispose()


def pick_organisation(repos: Repos, slug: str | None) -> Organisation:
    """The named organisation, or the only one when there is exactly one."""
    if slug:
        org = repos.people.organisation_by_slug(slug)
        if org is None:
            raise NotFound(f"No organisation {slug!r}.")
        return org
    orgs = repos.people.organisations()
    if len(orgs) == 1:
        return orgs[0]
    if not orgs:
        raise NotFound("No organisation yet: run `learnloop demo` or "
                       "`learnloop org create SLUG NAME` first.")
    raise NotFound("Several organisations exist; name one with --org ("
                   + ", ".join(o.slug for o in orgs) + ").")
