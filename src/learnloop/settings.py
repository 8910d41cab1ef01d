"""Settings, read once from the environment (prefix LEARNLOOP_) and validated together.

Every setting is documented in docs/configuration.md; a test fails when one is not.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem

DEFAULT_DATA_DIR = Path("var")
INSECURE_KEY = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEARNLOOP_", extra="forbid")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite file")
    data_dir: Path = DEFAULT_DATA_DIR
    secret_key: str = INSECURE_KEY
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    auto_migrate: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_timezone: str = "UTC"
    min_group_size: int = Field(default=5, ge=2, le=100)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("secret_key")
    @classmethod
    def _key_length(cls, value: str) -> str:
        if value != INSECURE_KEY and len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'learnloop.db').as_posix()}"

    def effective_secret_key(self) -> str:
        """The signing key; a random one per process in development when none is set."""
        if self.secret_key != INSECURE_KEY:
            return self.secret_key
        return _DEV_KEY

    def check_production(self) -> None:
        if self.environment == "production" and self.secret_key == INSECURE_KEY:
            raise InvalidInput([Problem(
                "environment", "LEARNLOOP_SECRET_KEY must be set (32+ characters) in production",
                field="LEARNLOOP_SECRET_KEY")])


_DEV_KEY = secrets.token_urlsafe(48)


def load_settings(**overrides: object) -> Settings:
    """Read settings; report every bad value at once as InvalidInput."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            Problem(
                "environment",
                error["msg"],
                field="LEARNLOOP_" + "_".join(str(p) for p in error["loc"]).upper(),
            )
            for error in exc.errors()
        ]
        raise InvalidInput(problems, "invalid settings") from None
    settings.check_production()
    return settings
