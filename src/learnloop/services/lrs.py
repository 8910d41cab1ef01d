"""The Learning Record Store: statements in and out, for LRS clients of one organisation.

Statements posted by other tools take the same path as learnloop's own: one statement store
(`StatementsRepo.add`), and the same projectors, so an outside answer about an item family the
content pack knows updates that learner's memory and mastery. Statements about activities the
pack does not know are stored and kept as outside evidence.

A request is all or nothing: every statement is checked before anything is written, and the
caller's transaction commits the statements, their keys, activity definitions, attachments and
learner state together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learnloop.domain.access import LrsAction, LrsScope, lrs_require, reads_only_own
from learnloop.domain.errors import Conflict, InvalidInput, NotFound
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.people import Organisation, Person
from learnloop.domain.problems import Problem
from learnloop.domain.xapi import formats, keys, signatures, storing
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi.query import SingleStatement, StatementFilters
from learnloop.domain.xapi.reading import ActorRef, actor_of, parse_time
from learnloop.domain.xapi.validation import check_statement, is_voiding
from learnloop.services.ports import (
    FoundStatement,
    IdMaker,
    LearnerRepo,
    LrsRepo,
    NewStatement,
    PeopleRepo,
    StatementQuery,
    StatementsRepo,
    StoredClient,
)
from learnloop.services.record import new_statement, project_statement, resolve_actor

Json = dict[str, Any]
Catalogues = Callable[[], dict[str, Catalogue]]  # the published packs, loaded when needed
MAX_BATCH = 1000  # statements in one POST
SCOPE_NAMES = frozenset(s.value for s in LrsScope)


@dataclass(frozen=True, slots=True)
class Client:
    """The LRS client a request is made with, and the organisation it belongs to."""

    stored: StoredClient
    org: Organisation

    @property
    def scopes(self) -> frozenset[LrsScope]:
        return frozenset(LrsScope(s) for s in self.stored.scopes if s in SCOPE_NAMES)

    @property
    def authority(self) -> Json:
        """Who vouches for what the client writes (Data 2.4.9): the client, by its account."""
        return {"objectType": "Agent", "name": self.stored.name,
                "account": {"homePage": f"{xs.account_home(self.org.slug)}/lrs-clients",
                            "name": self.stored.key}}


@dataclass(frozen=True, slots=True)
class Writer:
    """Who statements are stored for: the organisation, the authority set on them, and the
    LRS client (None for an operator's import on the command line)."""

    org: Organisation
    authority: Json
    client_id: int | None = None

    @classmethod
    def of(cls, client: Client) -> Writer:
        return cls(client.org, client.authority, client.stored.id)

    @classmethod
    def importer(cls, org: Organisation) -> Writer:
        return cls(org, {"objectType": "Agent", "name": "learnloop statements import",
                         "account": {"homePage": xs.account_home(org.slug),
                                     "name": "statements-import"}})


@dataclass
class LrsStore:
    """The repositories one LRS request works with (a transaction's)."""

    people: PeopleRepo
    statements: StatementsRepo
    learner: LearnerRepo
    lrs: LrsRepo


# --- writing ----------------------------------------------------------------------------------


def store_statements(store: LrsStore, client: Client, received: list[Any],
                     attachments: Mapping[str, tuple[str, bytes]],
                     catalogues: Catalogues, now: datetime, new_id: IdMaker,
                     statement_id: str | None = None) -> list[str]:
    """Check and store a batch (or, with `statement_id`, the one statement of a PUT).
    Returns the ids in order. Nothing is written unless every statement is valid."""
    lrs_require(client.scopes, LrsAction.WRITE_STATEMENTS)
    return write(store, Writer.of(client), received, attachments, catalogues, now, new_id,
                 statement_id)[0]


def import_statements(store: LrsStore, org: Organisation, received: list[Any],
                      catalogues: Catalogues, now: datetime, new_id: IdMaker
                      ) -> tuple[list[str], int]:
    """`learnloop statements import`: the LRS's own checks and path, for an operator."""
    return write(store, Writer.importer(org), received, {}, catalogues, now, new_id)


def write(store: LrsStore, writer: Writer, received: list[Any],
          attachments: Mapping[str, tuple[str, bytes]], catalogues: Catalogues,
          now: datetime, new_id: IdMaker, statement_id: str | None = None
          ) -> tuple[list[str], int]:
    """Store statements for `writer`: (ids in order, how many changed learner state).
    `catalogues` is asked for only when a statement is about one of the organisation's
    learners (most statements from other tools are not)."""
    if not received:
        raise InvalidInput([Problem("statements", "send at least one statement", field="$")])
    if len(received) > MAX_BATCH:
        raise InvalidInput([Problem("statements", f"a batch holds at most {MAX_BATCH} "
                                    f"statements; this one has {len(received)}", field="$")])
    problems: list[Problem] = []
    for i, statement in enumerate(received):
        problems += check_statement(statement, f"statements[{i}]" if statement_id is None
                                    else "statement")
    if problems:
        raise InvalidInput(problems, "no statement was stored: "
                           f"{len(problems)} problem(s) in the statements")
    documents: list[Json] = received
    if statement_id is not None:
        given = documents[0].get("id")
        if given is not None and given.lower() != statement_id:
            raise InvalidInput([Problem("statement", "the statement's id differs from the "
                                        "statementId parameter", field="id")])
    ids = [statement_id if statement_id else
           (d["id"].lower() if "id" in d else new_id()) for d in documents]
    _check_ids_differ(ids)
    _check_attachments(documents, attachments)
    _check_signatures(documents, attachments, statement_id is not None)
    stored = store.statements.found(writer.org.id, ids)
    _check_voiding(documents, ids, store.statements, writer.org.id)
    fresh = []
    for sid, document in zip(ids, documents, strict=True):
        if sid in stored:
            if not storing.equivalent(json.loads(stored[sid].text), document):
                raise Conflict(f"Statement {sid} is already stored with different content; "
                               "a statement is never changed (xAPI Comm 2.1.1).")
            continue  # the same statement again: nothing changes
        fresh.append((sid, storing.prepare(document, sid, now, writer.authority)))
    if not fresh:
        return ids, 0
    return ids, _write(store, writer, fresh, attachments, catalogues, now)


def _check_ids_differ(ids: list[str]) -> None:
    seen: dict[str, int] = {}
    problems = []
    for i, sid in enumerate(ids):
        if sid in seen:
            problems.append(Problem(f"statements[{i}]", f"has the same id as statements"
                                    f"[{seen[sid]}]; ids in a batch must differ", field="id"))
        seen.setdefault(sid, i)
    if problems:
        raise InvalidInput(problems, "no statement was stored")


def _check_attachments(documents: list[Json], parts: Mapping[str, tuple[str, bytes]]) -> None:
    """Every attachment without a fileUrl arrives as a part; every part belongs to one."""
    problems = []
    wanted: set[str] = set()
    for i, document in enumerate(documents):
        for j, attachment in enumerate(document.get("attachments", [])):
            sha2 = attachment["sha2"].lower()
            wanted.add(sha2)
            if sha2 not in parts and "fileUrl" not in attachment:
                problems.append(Problem(f"statements[{i}]", "this attachment has no fileUrl "
                                        "and its data was not sent as a part of a "
                                        "multipart/mixed request",
                                        field=f"attachments[{j}].sha2"))
    for sha2 in parts:
        if sha2 not in wanted:
            problems.append(Problem("attachments", f"the part with hash {sha2} belongs to no "
                                    "attachment of the statements", field=sha2))
    if problems:
        raise InvalidInput(problems, "no statement was stored")


def _check_signatures(documents: list[Json], parts: Mapping[str, tuple[str, bytes]],
                      single: bool) -> None:
    problems = []
    for i, document in enumerate(documents):
        if "attachments" in document:
            problems += signatures.check(document, "statement" if single
                                         else f"statements[{i}]", dict(parts))
    if problems:
        raise InvalidInput(problems, "no statement was stored: a signature is not valid")


def _check_voiding(documents: list[Json], ids: list[str], statements: StatementsRepo,
                   org_id: int) -> None:
    """A voiding statement cannot target another voiding statement (Data 2.3.2.s2.b3)."""
    batch = dict(zip(ids, documents, strict=True))
    targets = {keys.target_of(d) for d in documents if is_voiding(d)} - {None}
    if not targets:
        return
    known = statements.found(org_id, [t for t in targets if t and t not in batch])
    problems = []
    for i, document in enumerate(documents):
        target = keys.target_of(document) if is_voiding(document) else None
        if target is None:
            continue
        in_batch = batch.get(target)
        if (in_batch is not None and is_voiding(in_batch)) or (
                target in known and known[target].voiding):
            problems.append(Problem(f"statements[{i}]", "a voiding statement cannot void "
                                    "another voiding statement", field="object.id"))
    if problems:
        raise InvalidInput(problems, "no statement was stored")


def _write(store: LrsStore, writer: Writer, fresh: list[tuple[str, Json]],
           attachments: Mapping[str, tuple[str, bytes]], catalogues: Catalogues,
           now: datetime) -> int:
    org = writer.org
    people = _people_of(store.people, org, [d for _, d in fresh])
    rows = []
    for sid, document in fresh:
        person = people.get(sid)
        row = new_statement(org.id, person.id if person else None, document)
        rows.append(NewStatement(row.id, row.org_id, row.person_id, row.verb,
                                 row.activity_id, row.registration, row.timestamp,
                                 row.document, writer.client_id))
    voided_people = _people_voided(store.statements, org.id, [d for _, d in fresh])
    store.statements.add(rows, now)
    _merge_definitions(store.lrs, org.id, [d for _, d in fresh], now)
    if attachments:
        store.lrs.save_attachments(org.id, attachments, now)
    if not people and not voided_people:
        return 0
    packs = catalogues()
    projected = 0
    for sid, document in fresh:
        person = people.get(sid)
        if person is not None:
            projected += project_statement(store.learner, org, person, document, packs)
    for person_id in voided_people:
        person = store.people.person(org.id, person_id)
        if person is not None:
            replay(store.statements, store.learner, org, person, packs)
    return projected


def _people_of(people: PeopleRepo, org: Organisation, documents: list[Json]
               ) -> dict[str, Person]:
    """The learners the statements are about, by statement id: email addresses are looked up
    together, in one query; our own account names one by one (they are rare from outside)."""
    refs = {d["id"]: ref for d in documents if (ref := actor_of(d)) is not None}
    emails = sorted({r.mbox for r in refs.values() if r.mbox})
    by_email = people.people_by_emails(org.id, emails)
    accounts: dict[ActorRef, Person | None] = {}
    found: dict[str, Person] = {}
    for sid, ref in refs.items():
        if ref.mbox:
            person = by_email.get(ref.mbox)
        else:
            if ref not in accounts:
                accounts[ref] = resolve_actor(people, org, ref)
            person = accounts[ref]
        if person is not None:
            found[sid] = person
    return found


def _people_voided(statements: StatementsRepo, org_id: int, documents: list[Json]
                   ) -> set[int]:
    """The learners whose statements this batch voids: their state is replayed without them."""
    targets = [t for d in documents if is_voiding(d) and (t := keys.target_of(d))]
    if not targets:
        return set()
    return {p for p in statements.people_of(org_id, targets) if p is not None}


def replay(statements: StatementsRepo, learner: LearnerRepo, org: Organisation,
           person: Person, catalogues: dict[str, Catalogue]) -> None:
    """Recompute one learner's state from their statements not voided (after a voiding)."""
    learner.clear([person.id])
    for document in statements.stream_person(person.id):
        project_statement(learner, org, person, document, catalogues)


def _merge_definitions(lrs: LrsRepo, org_id: int, documents: list[Json], now: datetime) -> None:
    incoming: dict[str, list[Json]] = {}
    for document in documents:
        for iri, definition in formats.activity_definitions(document):
            incoming.setdefault(iri, []).append(definition)
    if not incoming:
        return
    current = lrs.definitions(org_id, incoming)
    changed: dict[str, Json] = {}
    for iri, definitions in incoming.items():
        merged = current.get(iri)
        for definition in definitions:
            merged = formats.merge_definition(merged, definition)
        if merged is not None and merged != current.get(iri):
            changed[iri] = merged
    lrs.save_definitions(org_id, changed, now)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    statements: list[str]          # statement JSON texts, in the format asked for
    more: StatementFilters | None  # the next page's query, or None at the end
    attachment_hashes: tuple[str, ...]
    with_attachments: bool = False  # answer as multipart/mixed with the attachments' data


def _visible(client: Client, found: FoundStatement) -> bool:
    return not reads_only_own(client.scopes) or found.client_id == client.stored.id


def get_statement(store: LrsStore, client: Client, single: SingleStatement,
                  languages: list[str]) -> Page:
    lrs_require(client.scopes, LrsAction.READ_STATEMENTS)
    found = store.statements.found(client.org.id, [single.statement_id]).get(
        single.statement_id)
    if found is None or found.voided != single.voided or not _visible(client, found):
        which = "voided statement" if single.voided else "statement"
        raise NotFound(f"There is no {which} {single.statement_id} for this client.")
    text = _shaped(store.lrs, client.org.id, [found.text], single.format, languages)
    return Page(text, None, _hashes([found.text]) if single.attachments else (),
                single.attachments)


def query_statements(store: LrsStore, client: Client, filters: StatementFilters,
                     languages: list[str]) -> Page:
    lrs_require(client.scopes, LrsAction.READ_STATEMENTS)
    org_keys = filters.keys(client.org.id)
    if reads_only_own(client.scopes):
        org_keys = (*org_keys, keys.client_key(client.org.id, client.stored.id))
    after = None
    if filters.after is not None:
        moment = parse_time(filters.after[0])
        if moment is not None:
            after = (moment, filters.after[1])
    rows = store.statements.query(StatementQuery(
        client.org.id, org_keys, filters.since_time(), filters.until_time(),
        filters.ascending, filters.limit + 1, after))
    more = None
    if len(rows) > filters.limit:
        rows = rows[:filters.limit]
        last = rows[-1]
        more = filters.next_page(last.stored.isoformat(), last.seq)
    texts = [r.text for r in rows]
    shaped = _shaped(store.lrs, client.org.id, texts, filters.format, languages)
    return Page(shaped, more, _hashes(texts) if filters.attachments else (),
                filters.attachments)


def _hashes(texts: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for text in texts:
        if '"attachments"' not in text:
            continue
        for attachment in json.loads(text).get("attachments", []):
            if attachment["sha2"] not in found:
                found.append(attachment["sha2"])
    return tuple(found)


def _shaped(lrs: LrsRepo, org_id: int, texts: list[str], shape: str,
            languages: list[str]) -> list[str]:
    if shape == formats.Format.EXACT:
        return texts
    documents = [json.loads(t) for t in texts]
    if shape == formats.Format.IDS:
        return [_dump(formats.ids(d)) for d in documents]
    iris = {iri for d in documents for iri, _ in formats.activity_definitions(d)}
    definitions = lrs.definitions(org_id, iris)
    return [_dump(formats.canonical(d, definitions, languages)) for d in documents]


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def attachment_parts(store: LrsStore, client: Client, hashes: tuple[str, ...]
                     ) -> list[tuple[str, str, bytes]]:
    """(sha2, content type, data) of each attachment a page refers to that the LRS holds."""
    found = store.lrs.attachments(client.org.id, hashes)
    return [(h, found[h][0], found[h][1]) for h in hashes if h in found]


# --- agents and activities --------------------------------------------------------------------


PERSON_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def person_object(store: LrsStore, client: Client, agent: Json) -> Json:
    """The Person object for an agent (Comm 2.4): every identifier the LRS knows for them.
    When the agent is one of the organisation's learners (by email or by learnloop's account
    form), the Person joins both forms, so a tool that knows one can find statements made
    with the other."""
    lrs_require(client.scopes, LrsAction.READ_DESCRIPTIONS)
    found: dict[str, list[Any]] = {"name": [], **{k: [] for k in PERSON_IFIS}}

    def add(kind: str, value: object) -> None:
        if value is not None and value not in found[kind]:
            found[kind].append(value)

    add("name", agent.get("name") if isinstance(agent.get("name"), str) else None)
    for ifi in PERSON_IFIS:
        add(ifi, agent.get(ifi))
    known = resolve_actor(store.people, client.org, actor_of({"actor": agent}))
    if known is not None:
        mbox = f"mailto:{known.email}"
        add("name", known.name)
        add("mbox", mbox)
        add("mbox_sha1sum", hashlib.sha1(mbox.encode()).hexdigest())  # noqa: S324 - the spec's hash
        add("account", xs.agent(client.org.slug, known.id)["account"])
    return {"objectType": "Person", **{k: v for k, v in found.items() if v}}


def activity_object(store: LrsStore, client: Client, iri: str) -> Json:
    """The activity with the definition merged from every statement that described it."""
    lrs_require(client.scopes, LrsAction.READ_DESCRIPTIONS)
    definition = store.lrs.definitions(client.org.id, [iri]).get(iri)
    out: Json = {"objectType": "Activity", "id": iri}
    if definition:
        out["definition"] = definition
    return out
