"""The small interfaces services use to reach storage, hashing and pack reading."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from learnloop.domain.content.model import Pack
from learnloop.domain.learner.answer_model import AnswerModel, LearnerTrace
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.learner.irt import Calibration, ItemParameters
from learnloop.domain.learner.memory import FamilyMemory, Retention
from learnloop.domain.learner.memory_fit import Decision
from learnloop.domain.learner.projection import LessonProgress, SkillState
from learnloop.domain.lockout import Attempts
from learnloop.domain.people import Organisation, Person, Role, Team
from learnloop.domain.problems import Problem

Clock = Callable[[], datetime]
TokenMaker = Callable[[], str]


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, stored_hash: str, password: str) -> bool: ...
    def needs_rehash(self, stored_hash: str) -> bool: ...


class PackReading(Protocol):
    pack: Pack | None
    problems: list[Problem]
    files: dict[str, str]

    @property
    def digest(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PersonFields:
    email: str
    name: str
    external_id: str | None
    timezone: str
    working_hours: str
    manager_id: int | None


class PeopleRepo(Protocol):
    def organisations(self) -> list[Organisation]: ...
    def organisation(self, org_id: int) -> Organisation | None: ...
    def organisation_by_slug(self, slug: str) -> Organisation | None: ...
    def add_organisation(self, slug: str, name: str, default_timezone: str,
                         min_group_size: int, is_demo: bool, now: datetime) -> Organisation: ...
    def person(self, org_id: int, person_id: int) -> Person | None: ...
    def person_by_id(self, person_id: int) -> Person | None: ...
    def person_by_email(self, org_id: int, email: str) -> Person | None: ...
    def people_by_emails(self, org_id: int, emails: list[str]) -> dict[str, Person]: ...
    def people_with_email(self, email: str) -> list[Person]: ...
    def people(self, org_id: int) -> list[Person]: ...
    def add_person(self, org_id: int, fields: PersonFields, now: datetime) -> Person: ...
    def update_person(self, person_id: int, fields: PersonFields, now: datetime) -> None: ...
    def set_roles(self, person_id: int, roles: frozenset[Role]) -> None: ...
    def set_active(self, person_id: int, active: bool, now: datetime) -> None: ...
    def teams(self, org_id: int) -> list[Team]: ...
    def add_team(self, org_id: int, name: str, now: datetime) -> Team: ...
    def update_team(self, team_id: int, parent_id: int | None,
                    manager_id: int | None) -> None: ...
    def rename_team(self, team_id: int, name: str) -> None: ...
    def memberships(self, org_id: int) -> dict[int, set[int]]: ...
    def set_memberships(self, person_id: int, team_ids: set[int]) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredSession:
    person_id: int
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StoredToken:
    id: int
    person_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class AuthRepo(Protocol):
    def password_hash(self, person_id: int) -> str | None: ...
    def attempts(self, person_id: int) -> Attempts: ...
    def set_attempts(self, person_id: int, attempts: Attempts) -> None: ...
    def set_password_hash(self, person_id: int, password_hash: str, now: datetime) -> None: ...
    def add_session(self, token_hash: str, person_id: int, csrf_token: str, now: datetime,
                    expires_at: datetime) -> None: ...
    def find_session(self, token_hash: str) -> StoredSession | None: ...
    def delete_session(self, token_hash: str) -> None: ...
    def delete_expired_sessions(self, now: datetime) -> int: ...
    def add_token(self, person_id: int, name: str, token_hash: str, prefix: str,
                  now: datetime) -> StoredToken: ...
    def token_by_hash(self, token_hash: str) -> StoredToken | None: ...
    def touch_token(self, token_id: int, now: datetime) -> None: ...
    def tokens(self, person_id: int) -> list[StoredToken]: ...
    def revoke_token(self, token_id: int, now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredVersion:
    id: int
    pack_slug: str
    number: int
    digest: str
    title: str
    summary: dict[str, Any]
    published_at: datetime
    published_by: int | None


class ContentRepo(Protocol):
    def latest_version(self, org_id: int, pack_slug: str) -> StoredVersion | None: ...
    def versions(self, org_id: int) -> list[StoredVersion]: ...
    def version(self, org_id: int, pack_slug: str, number: int) -> StoredVersion | None: ...
    def version_by_id(self, org_id: int, version_id: int) -> StoredVersion | None: ...
    def version_files(self, version_id: int) -> dict[str, str]: ...
    def publish(self, org_id: int, pack: Pack, files: dict[str, str], digest: str,
                summary: dict[str, Any], published_by: int | None,
                now: datetime) -> StoredVersion: ...


# --- the learning record and the loop ---


@dataclass(frozen=True, slots=True)
class NewStatement:
    id: str
    org_id: int
    person_id: int | None
    verb: str
    activity_id: str | None
    registration: str | None
    timestamp: datetime
    document: dict[str, Any]
    client_id: int | None = None  # the LRS client that wrote it; None for learnloop's own


@dataclass(frozen=True, slots=True)
class StoredStatement:
    seq: int
    id: str
    person_id: int | None
    verb: str
    activity_id: str | None
    registration: str | None
    timestamp: datetime
    stored: datetime
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StatementQuery:
    """A filtered read of the statement store, in stored order. Every key must match
    (see domain.xapi.keys); `after` is the (stored, seq) a previous page ended at."""

    org_id: int
    keys: tuple[int, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    limit: int = 100
    after: tuple[datetime, int] | None = None


@dataclass(frozen=True, slots=True)
class FoundStatement:
    """A statement as the LRS reads it back: its JSON text, unparsed, and its position."""

    seq: int
    stored: datetime
    voided: bool
    voiding: bool
    client_id: int | None
    text: str


class StatementsRepo(Protocol):
    def add(self, statements: list[NewStatement], stored: datetime) -> None: ...
    def found(self, org_id: int, statement_ids: list[str]) -> dict[str, FoundStatement]: ...
    def query(self, query: StatementQuery) -> list[FoundStatement]: ...
    def last_stored(self) -> datetime | None: ...
    def people_of(self, org_id: int, statement_ids: list[str]) -> list[int | None]: ...
    def stream_person(self, person_id: int) -> Iterator[dict[str, Any]]: ...
    def exists(self, statement_id: str) -> bool: ...
    def get(self, statement_id: str) -> StoredStatement | None: ...
    def count(self, org_id: int | None = None) -> int: ...
    def for_person(self, person_id: int, limit: int = 50) -> list[StoredStatement]: ...
    def stream(self, org_id: int, batch: int = 5000) -> Iterator[tuple[int | None, Any]]: ...


class LearnerState(Protocol):
    """What the projectors read and write: one learner's rows, one at a time."""

    def memory(self, person_id: int, pack: str, family: str) -> FamilyMemory | None: ...
    def memories(self, person_id: int, pack: str) -> dict[str, FamilyMemory]: ...
    def skill(self, person_id: int, pack: str, skill: str) -> SkillState | None: ...
    def skills(self, person_id: int, pack: str) -> dict[str, SkillState]: ...
    def lesson(self, person_id: int, pack: str, lesson: str) -> LessonProgress | None: ...
    def lessons(self, person_id: int, pack: str) -> dict[str, LessonProgress]: ...
    def weeks(self, person_id: int) -> set[date]: ...
    def memory_parameters(self, person_id: int) -> tuple[float, ...]: ...
    def trace(self, person_id: int, pack: str) -> LearnerTrace | None: ...
    def answer_model(self, person_id: int, pack: str) -> AnswerModel: ...
    def save_trace(self, person_id: int, pack: str, trace: LearnerTrace) -> None: ...
    def save_memory(self, person_id: int, pack: str, family: str, m: FamilyMemory) -> None: ...
    def save_skill(self, person_id: int, pack: str, skill: str, s: SkillState) -> None: ...
    def save_lesson(self, person_id: int, pack: str, lesson: str,
                    p: LessonProgress) -> None: ...
    def count_week(self, person_id: int, week: date) -> None: ...


@dataclass(frozen=True, slots=True)
class MemoryFitRecord:
    decision: Decision
    answers_at_fit: int
    fitted_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerModelRecord:
    """The last answer-model fit of one pack in one organisation: `used` when the fit beat the
    shipped model on held-out people, else the shipped model goes on scoring."""

    used: bool
    reason: str
    answers: int
    people: int
    held_out_loss_fitted: float | None
    held_out_loss_shipped: float | None
    fitted_at: datetime


@dataclass(frozen=True, slots=True)
class StoredItem:
    parameters: ItemParameters
    flag: str | None
    fitted_at: datetime


class CalibrationRepo(Protocol):
    def memory_fit(self, person_id: int) -> MemoryFitRecord | None: ...
    def save_memory_fit(self, person_id: int, decision: Decision, answers: int,
                        at: datetime) -> None: ...
    def answers(self, org_id: int) -> dict[int, tuple[int, int | None]]: ...
    def retention(self, person_ids: Iterable[int]) -> dict[int, Retention]: ...
    def answer_model_records(self, org_id: int) -> dict[str, AnswerModelRecord]: ...
    def save_answer_model(self, org_id: int, pack: str, model: AnswerModel | None,
                          record: AnswerModelRecord) -> None: ...
    def first_answers(self, org_id: int, pack: str) -> list[tuple[int, str, bool]]: ...
    def replace_items(self, org_id: int, pack: str, calibration: Calibration,
                      at: datetime) -> None: ...
    def items(self, org_id: int, pack: str) -> dict[str, StoredItem]: ...


class LearnerRepo(LearnerState, Protocol):
    def parameter_map(self, person_ids: Iterable[int]) -> dict[int, tuple[float, ...]]: ...
    def clear(self, person_ids: Iterable[int]) -> None: ...
    def answer_models(self, org_id: int) -> dict[str, AnswerModel]: ...
    def bulk(self, memories: Mapping[tuple[int, str, str], FamilyMemory],
             skills: Mapping[tuple[int, str, str], SkillState],
             lessons: Mapping[tuple[int, str, str], LessonProgress],
             weeks: Mapping[tuple[int, date], int],
             traces: Mapping[tuple[int, str], LearnerTrace]) -> None: ...
    def dump(self, person_ids: Iterable[int]) -> dict[str, list[tuple[Any, ...]]]: ...


@dataclass(frozen=True, slots=True)
class StoredStep:
    id: str
    person_id: int
    version_id: int
    pack: str
    kind: str
    skill: str
    lesson: str | None
    section: str | None
    misconception: str | None
    families: tuple[str, ...]
    reason: str
    created_at: datetime
    lesson_started_at: datetime | None = None
    lesson_completed_at: datetime | None = None
    items_answered: int = 0
    lesson_pulse_at: datetime | None = None
    pulse_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    id: str
    step_id: str
    person_id: int
    family: str
    variant: int
    position: int
    served_at: datetime
    expires_at: datetime
    answered_at: datetime | None = None
    statement_id: str | None = None
    grade: dict[str, Any] | None = None


class StepsRepo(Protocol):
    def add_step(self, step: StoredStep) -> None: ...
    def step(self, step_id: str, lock: bool = False) -> StoredStep | None: ...
    def open_steps(self, person_id: int) -> list[StoredStep]: ...
    def recent_steps(self, person_id: int, limit: int = 10) -> list[StoredStep]: ...
    def update_step(self, step_id: str, **changes: Any) -> None: ...
    def add_attempt(self, attempt: StoredAttempt) -> None: ...
    def attempt(self, attempt_id: str, lock: bool = False) -> StoredAttempt | None: ...
    def attempts(self, step_id: str) -> list[StoredAttempt]: ...
    def seen_variants(self, person_id: int, family: str) -> list[tuple[int, datetime]]: ...
    def finish_attempt(self, attempt_id: str, answered_at: datetime, statement_id: str,
                       grade: dict[str, Any]) -> None: ...


class LearningStore(Protocol):
    """The repositories of one transaction that the learning loop works with."""

    @property
    def people(self) -> PeopleRepo: ...
    @property
    def content(self) -> ContentRepo: ...
    @property
    def statements(self) -> StatementsRepo: ...
    @property
    def learner(self) -> LearnerRepo: ...
    @property
    def steps(self) -> StepsRepo: ...
    @property
    def calibration(self) -> CalibrationRepo: ...


@dataclass(frozen=True, slots=True)
class LoadedPack:
    """A published pack version read back, with what the projectors need to know about it."""

    version: StoredVersion
    pack: Pack
    catalogue: Catalogue


PackLoader = Callable[[StoredVersion], LoadedPack]
IdMaker = Callable[[], str]
Sentiment = Callable[[str], float]  # compound sentiment of a comment, -1 (negative) to 1


# --- the LRS: clients, activities, documents, attachments ---


@dataclass(frozen=True, slots=True)
class StoredClient:
    id: int
    org_id: int
    name: str
    key: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredDocument:
    doc_id: str
    content: bytes
    content_type: str
    etag: str
    updated: datetime


@dataclass(frozen=True, slots=True)
class StoredForwarding:
    org_id: int
    endpoint: str
    username: str
    secret: str
    enabled: bool
    updated: datetime


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    org_id: int
    statement_id: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """What another LRS answered to one forwarded statement."""

    status: int | None   # the HTTP status, None when no answer came
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def permanent(self) -> bool:
        """A refusal that trying again will not change (4xx but timeouts and rate limits)."""
        return self.status is not None and 400 <= self.status < 500 \
            and self.status not in (408, 429)


# (endpoint, username, secret, statement id, statement JSON) -> what the other LRS answered
StatementSender = Callable[[str, str, str, str, bytes], Delivery]


class LrsRepo(Protocol):
    def add_client(self, org_id: int, name: str, key: str, secret_hash: str,
                   scopes: tuple[str, ...], created_by: int | None,
                   now: datetime) -> StoredClient: ...
    def client_by_key(self, key: str) -> tuple[StoredClient, str, Organisation] | None: ...
    def client(self, org_id: int, client_id: int) -> StoredClient | None: ...
    def clients(self, org_id: int) -> list[StoredClient]: ...
    def touch_client(self, client_id: int, now: datetime) -> None: ...
    def revoke_client(self, client_id: int, now: datetime) -> None: ...
    def definitions(self, org_id: int, iris: Iterable[str]) -> dict[str, dict[str, Any]]: ...
    def save_definitions(self, org_id: int, definitions: Mapping[str, dict[str, Any]],
                         now: datetime) -> None: ...
    def document(self, key: int) -> StoredDocument | None: ...
    def save_document(self, key: int, scope: int, org_id: int, resource: str, doc_id: str,
                      content: bytes, content_type: str, etag: str, now: datetime) -> None: ...
    def delete_documents(self, keys: Iterable[int] = (), scope: int | None = None) -> None: ...
    def document_ids(self, scope: int, since: datetime | None) -> list[str]: ...
    def attachments(self, org_id: int, hashes: Iterable[str]) -> dict[str, tuple[str, bytes]]: ...
    def save_attachments(self, org_id: int, parts: Mapping[str, tuple[str, bytes]],
                         now: datetime) -> None: ...
    def forwarding(self, org_id: int) -> StoredForwarding | None: ...
    def set_forwarding(self, org_id: int, endpoint: str, username: str, secret: str,
                       enabled: bool, now: datetime) -> None: ...
    def due(self, now: datetime, limit: int) -> list[OutboxItem]: ...
    def outbox(self, org_id: int, state: str | None, limit: int) -> list[OutboxItem]: ...
    def outbox_counts(self, org_id: int) -> dict[str, int]: ...
    def update_outbox(self, item_id: int, **changes: Any) -> None: ...
    def replay(self, org_id: int, item_ids: list[int] | None, now: datetime) -> int: ...


# --- Pre-flight ---


@dataclass(frozen=True, slots=True)
class StoredOverride:
    rule: str
    reason: str
    person_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredRun:
    id: str
    org_id: int
    author_id: int | None
    submitted_by: int | None
    source: str
    campaign_name: str | None
    campaign_key: str
    campaign_type: str | None
    message_type: str | None
    attempt: int
    created_at: datetime
    verdict: str
    report: dict[str, Any]
    artifact: dict[str, Any]
    preview: str | None = None
    screenshots: tuple[tuple[int, int], ...] = ()  # (width, height)
    overrides: tuple[StoredOverride, ...] = ()


class PreflightRepo(Protocol):
    def settings(self, org_id: int) -> dict[str, Any] | None: ...
    def save_settings(self, org_id: int, settings: dict[str, Any], by: int | None,
                      at: datetime) -> None: ...
    def attempts(self, org_id: int, campaign_key: str) -> int: ...
    def campaign_types_shipped(self, org_id: int, author_id: int) -> set[str]: ...
    def add_run(self, run: StoredRun, screenshots: list[tuple[int, int, bytes]]) -> None: ...
    def run(self, org_id: int, run_id: str) -> StoredRun | None: ...
    def runs(self, org_id: int, *, author_id: int | None = None,
             limit: int = 50) -> list[StoredRun]: ...
    def screenshot(self, run_id: str, width: int) -> bytes | None: ...
    def add_override(self, run_id: str, override: StoredOverride) -> None: ...
    def set_verdict(self, run_id: str, verdict: str) -> None: ...


class PreflightStore(LearningStore, Protocol):
    """The repositories of one transaction that a pre-flight run works with."""

    @property
    def preflight(self) -> PreflightRepo: ...


# --- The feedback library ---


@dataclass(frozen=True, slots=True)
class ExampleDraft:
    """An anonymised example as the reviewer approved it, before it is stored."""

    org_id: int
    run_id: str | None
    rule: str
    skill: str
    title: str
    excerpt: str
    replaced: list[dict[str, Any]]  # [{"kind": "email", "count": 2}, ...]
    note: str
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredExample:
    id: int
    org_id: int
    run_id: str | None  # None once the run is deleted
    rule: str
    skill: str
    title: str
    excerpt: str
    replaced: list[dict[str, Any]]
    note: str
    created_by: int | None
    created_at: datetime
    item_yaml: str | None = None


class FeedbackRepo(Protocol):
    def add(self, draft: ExampleDraft) -> StoredExample: ...
    def set_item(self, example_id: int, item_yaml: str | None) -> None: ...
    def example(self, org_id: int, example_id: int) -> StoredExample | None: ...
    def examples(self, org_id: int, *, rule: str | None = None,
                 limit: int = 200) -> list[StoredExample]: ...


class FeedbackStore(PreflightStore, Protocol):
    """The repositories the feedback library works with."""

    @property
    def feedback(self) -> FeedbackRepo: ...
