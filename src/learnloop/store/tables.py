"""The relational schema. Alembic migrations in `migrations/` create exactly this."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from learnloop.store.types import JsonDoc, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    min_group_size: Mapped[int] = mapped_column(Integer, default=5)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("org_id", "email", name="uq_people_org_email"),
        UniqueConstraint("org_id", "external_id", name="uq_people_org_external_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    working_hours: Mapped[str] = mapped_column(String(11))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleGrant(Base):
    __tablename__ = "role_grants"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class TeamRow(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_teams_org_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        index=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)


class Account(Base):
    """A local sign-in. Single sign-on (OIDC) will add identities beside it, not replace it."""

    __tablename__ = "accounts"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ContentPack(Base):
    __tablename__ = "content_packs"
    __table_args__ = (UniqueConstraint("org_id", "slug", name="uq_content_packs_org_slug"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PackVersion(Base):
    """A published version of a pack. Rows here are never updated: a change is a new version."""

    __tablename__ = "content_pack_versions"
    __table_args__ = (UniqueConstraint("pack_id", "number", name="uq_pack_versions_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("content_packs.id", ondelete="CASCADE"),
                                         index=True)
    number: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    files: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    summary: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))


# --- The learning record: xAPI statements (the source of truth for everything learners did) ---

SEQ = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class StatementRow(Base):
    """One xAPI statement. `document` is the statement as JSON text, exactly as stored; the
    other columns are copies of its fields that queries and projectors filter on."""

    __tablename__ = "statements"
    # Most statements from other tools name no learner and target no statement: the person and
    # target indexes hold only the rows that do (partial indexes), so writes skip them.
    __table_args__ = (Index("ix_statements_person_seq", "person_id", "seq",
                            sqlite_where=text("person_id IS NOT NULL"),
                            postgresql_where=text("person_id IS NOT NULL")),
                      Index("ix_statements_org_stored", "org_id", "stored", "seq"),
                      Index("ix_statements_target", "target",
                            sqlite_where=text("target IS NOT NULL"),
                            postgresql_where=text("target IS NOT NULL")))
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    verb: Mapped[str] = mapped_column(String(512))
    activity_id: Mapped[str | None] = mapped_column(String(2048))
    registration: Mapped[str | None] = mapped_column(String(36))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    stored: Mapped[datetime] = mapped_column(UTCDateTime())
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[str] = mapped_column(Text)
    # The LRS client that wrote it (None: learnloop's own record), the statement its
    # StatementRef object targets, and whether it voids that target.
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("lrs_clients.id", ondelete="SET NULL"))
    target: Mapped[str | None] = mapped_column(String(36))
    voiding: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StatementKeyRow(Base):
    """What a statement can be found by: one row per filter key (see domain.xapi.keys), with
    the stored time (microseconds since 1970, UTC), so every filtered query is one index range
    in stored order. Three integers a row: cheap to write, compact to index."""

    __tablename__ = "statement_keys"
    __table_args__ = ({"sqlite_with_rowid": False},)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    stored_us: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)


class LrsClient(Base):
    """A credential for the xAPI endpoint: a key and a secret (kept as a hash) with scopes."""

    __tablename__ = "lrs_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        index=True)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ActivityRow(Base):
    """The LRS's merged definition of an activity (GET /xapi/activities, canonical format)."""

    __tablename__ = "xapi_activities"
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    iri: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)
    updated: Mapped[datetime] = mapped_column(UTCDateTime())


class DocumentRow(Base):
    """A state, activity profile or agent profile document. `key` hashes the resource, its
    scope (activity, agent, registration) and the document id; `scope` hashes all but the id,
    for listing ids and deleting a whole state scope."""

    __tablename__ = "xapi_documents"
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scope: Mapped[int] = mapped_column(BigInteger, index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(20))
    doc_id: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    etag: Mapped[str] = mapped_column(String(42))
    updated: Mapped[datetime] = mapped_column(UTCDateTime())


class ForwardingRow(Base):
    """Where an organisation's statements are forwarded to (another LRS), if anywhere. The
    secret is kept as given: it must be sent to the other LRS."""

    __tablename__ = "lrs_forwarding"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    username: Mapped[str] = mapped_column(String(255))
    secret: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """One statement to forward: written in the transaction that stores the statement, then
    delivered by `learnloop lrs forward` with retries and backoff."""

    __tablename__ = "lrs_outbox"
    __table_args__ = (Index("ix_lrs_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        index=True)
    statement_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(12))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AttachmentRow(Base):
    """Attachment data, kept once per organisation and SHA-2 however many statements cite it."""

    __tablename__ = "xapi_attachments"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        primary_key=True)
    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored: Mapped[datetime] = mapped_column(UTCDateTime())


# --- Learner state projected from statements (`learnloop rebuild` recomputes all of it) ---


class MemoryRow(Base):
    __tablename__ = "learner_memory"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(64), primary_key=True)
    stability: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review: Mapped[datetime] = mapped_column(UTCDateTime())
    reviews: Mapped[int] = mapped_column(Integer)
    lapses: Mapped[int] = mapped_column(Integer)
    first_correct: Mapped[bool | None] = mapped_column(Boolean)
    due_checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_recalled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_expected: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class MemoryParametersRow(Base):
    """The FSRS-6 parameters that schedule one person, and the last fit's verdict (operational:
    fitted from statements by `learnloop calibrate`; a rebuild reads it, never writes it)."""

    __tablename__ = "memory_parameters"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    parameters: Mapped[list[Any]] = mapped_column(JsonDoc)
    personal: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    scored_reviews: Mapped[int] = mapped_column(Integer)
    held_out: Mapped[int] = mapped_column(Integer)
    held_out_loss_fitted: Mapped[float | None] = mapped_column(Float)
    held_out_loss_default: Mapped[float | None] = mapped_column(Float)
    answers_at_fit: Mapped[int] = mapped_column(Integer)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemCalibrationRow(Base):
    """One item family's 2PL calibration from first answers (operational, like the above)."""

    __tablename__ = "item_calibrations"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        primary_key=True)
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(64), primary_key=True)
    difficulty: Mapped[float] = mapped_column(Float)
    discrimination: Mapped[float] = mapped_column(Float)
    responses: Mapped[int] = mapped_column(Integer)
    proportion_correct: Mapped[float] = mapped_column(Float)
    difficulty_se: Mapped[float | None] = mapped_column(Float)
    discrimination_se: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(Text)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnswerModelRow(Base):
    """The answer model one pack's answers are scored with in one organisation, and the last
    fit's verdict (operational: fitted by `learnloop calibrate`; `used` False keeps the shipped
    model)."""

    __tablename__ = "answer_models"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        primary_key=True)
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    used: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    answers: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    held_out_loss_fitted: Mapped[float | None] = mapped_column(Float)
    held_out_loss_shipped: Mapped[float | None] = mapped_column(Float)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LearnerTraceRow(Base):
    """The answer model's history of one person across one pack."""

    __tablename__ = "learner_traces"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    trace: Mapped[list[Any]] = mapped_column(JsonDoc)


class SkillRow(Base):
    __tablename__ = "learner_skills"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    skill: Mapped[str] = mapped_column(String(64), primary_key=True)
    successes: Mapped[float] = mapped_column(Float)
    failures: Mapped[float] = mapped_column(Float)
    evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[int] = mapped_column(Integer)
    correct: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[int | None] = mapped_column(Integer)
    relevance: Mapped[int | None] = mapped_column(Integer)
    pulse_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    misconceptions: Mapped[list[Any]] = mapped_column(JsonDoc)
    work_passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    work_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rules: Mapped[list[Any]] = mapped_column(JsonDoc, default=list,
                                             server_default=text("'[]'"))
    trace: Mapped[list[Any] | None] = mapped_column(JsonDoc)


class LessonRow(Base):
    __tablename__ = "learner_lessons"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    lesson: Mapped[str] = mapped_column(String(64), primary_key=True)
    launches: Mapped[int] = mapped_column(Integer)
    first_launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completions: Mapped[int] = mapped_column(Integer)
    sections: Mapped[list[Any]] = mapped_column(JsonDoc)


class WeekRow(Base):
    __tablename__ = "learner_weeks"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    events: Mapped[int] = mapped_column(Integer)


# --- The loop in progress (operational: not derived from statements) ---


class StepRow(Base):
    """A step the policy chose: its id is the xAPI registration of everything done in it."""

    __tablename__ = "learning_steps"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"),
                                           index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_pack_versions.id", ondelete="CASCADE"))
    pack: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    skill: Mapped[str] = mapped_column(String(64))
    lesson: Mapped[str | None] = mapped_column(String(64))
    section: Mapped[str | None] = mapped_column(String(200))
    misconception: Mapped[str | None] = mapped_column(String(64))
    families: Mapped[list[Any]] = mapped_column(JsonDoc)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lesson_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lesson_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    items_answered: Mapped[int] = mapped_column(Integer, default=0)
    lesson_pulse_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pulse_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AttemptRow(Base):
    """An item served to a learner: it may be answered once, before it expires."""

    __tablename__ = "item_attempts"
    __table_args__ = (Index("ix_item_attempts_person_family", "person_id", "family"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    step_id: Mapped[str] = mapped_column(ForeignKey("learning_steps.id", ondelete="CASCADE"),
                                         index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    family: Mapped[str] = mapped_column(String(64))
    variant: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    served_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statement_id: Mapped[str | None] = mapped_column(String(36))
    grade: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


# --- Pre-flight checks (operational records; their results are also statements) ---


class PreflightRunRow(Base):
    """One pre-flight of one artifact: the report as shown, and the artifact as checked."""

    __tablename__ = "preflight_runs"
    __table_args__ = (
        Index("ix_preflight_runs_org_created", "org_id", "created_at"),
        Index("ix_preflight_runs_org_campaign", "org_id", "campaign_key"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(300))
    campaign_name: Mapped[str | None] = mapped_column(String(200))
    campaign_key: Mapped[str] = mapped_column(String(300))
    campaign_type: Mapped[str | None] = mapped_column(String(80))
    message_type: Mapped[str | None] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verdict: Mapped[str] = mapped_column(String(12))
    report: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    artifact: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    preview: Mapped[str | None] = mapped_column(Text)


class PreflightScreenshotRow(Base):
    __tablename__ = "preflight_screenshots"
    run_id: Mapped[str] = mapped_column(ForeignKey("preflight_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    width: Mapped[int] = mapped_column(Integer, primary_key=True)
    height: Mapped[int] = mapped_column(Integer)
    png: Mapped[bytes] = mapped_column(LargeBinary)


class PreflightOverrideRow(Base):
    """A failed rule someone chose to launch with, and why."""

    __tablename__ = "preflight_overrides"
    __table_args__ = (UniqueConstraint("run_id", "rule", name="uq_preflight_overrides_rule"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("preflight_runs.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PreflightSettingsRow(Base):
    __tablename__ = "preflight_settings"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                        primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


# --- The feedback library ---


class FeedbackExampleRow(Base):
    """A real pre-flight failure, anonymised and approved by a reviewer, linked to its skill;
    `item_yaml` is the item family made from it for the content pack."""

    __tablename__ = "feedback_examples"
    __table_args__ = (Index("ix_feedback_examples_org_created", "org_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("preflight_runs.id", ondelete="SET NULL"), index=True)
    rule: Mapped[str] = mapped_column(String(8))
    skill: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    excerpt: Mapped[str] = mapped_column(Text)
    replaced: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    item_yaml: Mapped[str | None] = mapped_column(Text)
