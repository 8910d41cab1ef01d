"""Settings, read once from the environment (prefix LEARNLOOP_) and validated together.

Every setting is documented in docs/configuration.md; a test fails when one is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from learnloop.domain.errors import InvalidInput
from learnloop.domain.people import timezone_problem
from learnloop.domain.problems import Problem

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEARNLOOP_", extra="forbid")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite file")
    data_dir: Path = DEFAULT_DATA_DIR
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    auto_migrate: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_timezone: str = "UTC"
    min_group_size: int = Field(default=5, ge=2, le=100)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    xapi_max_body_mb: int = Field(default=32, ge=1, le=1024,
                                  description="largest xAPI request body, in MiB (else 413)")
    xapi_cors_origins: str = Field(
        default="*", max_length=4000,
        description="origins whose pages may call /xapi/ from a browser: *, a comma-separated "
                    "list of origins, or empty for none")
    preflight_visual: bool = Field(
        default=True, description="run the visual pre-flight checks in headless Chromium")
    preflight_spam: bool = Field(
        default=True, description="run the pre-flight spam check through SpamAssassin's spamd")
    chromium: str = Field(default="", max_length=4000,
                          description="the Chromium program; empty: chromium on the PATH")
    spamd: str = Field(default="", max_length=4000,
                       description="the spamd program; empty: spamd on the PATH or /usr/sbin")
    spamd_address: str = Field(
        default="", max_length=300,
        description="host:port of a running spamd to use instead of starting one")
    calibrate_every_minutes: float = Field(
        default=60.0, ge=0.0, le=7 * 24 * 60,
        description="how often `serve` fits the learner model to the record (memory "
                    "parameters of the people due a fit, item calibrations); 0: never")

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        problem = timezone_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'learnloop.db').as_posix()}"

    @property
    def shows_demo_accounts(self) -> bool:
        """The sign-in page lists demo accounts only outside production."""
        return self.environment != "production"

    def check_production(self) -> None:
        if self.environment == "production" and self.cookie_secure == "never":
            raise InvalidInput([Problem(
                "environment", "cookies must not be sent over plain HTTP in production",
                field="LEARNLOOP_COOKIE_SECURE")])


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
