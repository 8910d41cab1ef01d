"""Pre-flight results into the learning record, and the first-pass rate read back from it.

`record_preflight` writes one statement per rule that ran and projects them into the author's
learner state, in the caller's transaction (the one that stores the run). `first_pass_rates`
reads the statements back by their verbs (and actor), each filter one index range of the
statement store, as the LRS's own GET is, and reads each as the projectors do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.learner.events import PreflightChecked
from learnloop.domain.people import Organisation, Person
from learnloop.domain.preflight import evidence
from learnloop.domain.preflight.artifact import Campaign
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.evidence import FirstPassRate
from learnloop.domain.preflight.report import Report
from learnloop.domain.xapi import keys as xkeys
from learnloop.domain.xapi import profile
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi.reading import ActorRef, actor_of, read_event
from learnloop.services.ports import (
    IdMaker,
    LearnerRepo,
    LoadedPack,
    PeopleRepo,
    StatementQuery,
    StatementsRepo,
)
from learnloop.services.record import record, resolve_actor

Json = dict[str, Any]
PAGE = 500


def record_preflight(statements: StatementsRepo, learner: LearnerRepo, org: Organisation,
                     author: Person, report: Report, pack: LoadedPack | None, *, run_id: str,
                     attempt: int, campaign: Campaign, now: datetime, new_id: IdMaker,
                     config: PreflightConfig | None = None, campaign_key: str | None = None,
                     catalogues: dict[str, Catalogue] | None = None) -> list[Json]:
    """Store the run's rule results as statements about `author` and update their mastery,
    work counts and repeated failures from them; returns the statements written.

    `pack` is the published version whose `preflight.yaml` maps rules to lessons, normally
    the pack's latest; None when the organisation has none: the statements are stored and
    change no state. `catalogues` are what the statements are projected against, the latest
    version of every pack (`loop.catalogues`); by default `pack`'s. `run_id` is the run's
    UUID (the statements' registration); `attempt` is 1 for a campaign's first pre-flight, 2
    for the next, and so on; `campaign_key` names the campaign across its runs (else its
    name does). Nothing is committed here."""
    documents = evidence.statements_for(
        report, org=org.slug, person_id=author.id, pack=pack.pack if pack else None,
        version=pack.version.number if pack else None, run_id=run_id, attempt=attempt,
        campaign=campaign, at=now, ids=new_id, config=config, campaign_key=campaign_key)
    if catalogues is None:
        catalogues = {pack.pack.id: pack.catalogue} if pack else {}
    if documents:
        record(statements, learner, org, author, documents, catalogues, now)
    return documents


def first_pass_rates(statements: StatementsRepo, people: PeopleRepo, org: Organisation, *,
                     person: Person | None = None,
                     catalogues: dict[str, Catalogue] | None = None,
                     since: datetime | None = None,
                     until: datetime | None = None) -> list[FirstPassRate]:
    """First-pass rate per person and skill from the stored pre-flight statements (voided
    ones left out), for everyone in `org` or for one `person`, stored after `since` and up
    to `until`. With `catalogues`, a rule's skill is the one its pack maps it to now (as the
    projectors read it); otherwise the skill the statement names."""
    found: list[tuple[int, PreflightChecked]] = []
    refs: dict[ActorRef, Person | None] = {}
    for document in _preflight_statements(statements, org, person, since, until):
        read = read_event(document)
        if read is None or read[0] != org.slug or not isinstance(read[1], PreflightChecked):
            continue
        ref = actor_of(document)
        if ref is None:
            continue
        if ref not in refs:
            refs[ref] = resolve_actor(people, org, ref)
        who = refs[ref]
        if who is None or (person is not None and who.id != person.id):
            continue
        event = read[1]
        catalogue = (catalogues or {}).get(event.pack)
        mapped = catalogue.rule_skill(event.rule) if catalogue else None
        if mapped is not None and mapped != event.skill:
            event = PreflightChecked(event.pack, event.rule, mapped, event.success, event.at,
                                     event.attempt)
        found.append((who.id, event))
    return evidence.first_pass_rates(found)


def _preflight_statements(statements: StatementsRepo, org: Organisation,
                          person: Person | None, since: datetime | None,
                          until: datetime | None) -> Iterator[Json]:
    """The statements that can be rule results: those with ADL's `passed` or `failed` (ours
    and other tools', with the pre-flight category or without), everyone's or one person's
    (named by our account, or by their email as learnloop stores it)."""
    agents: list[int | None] = [None]
    if person is not None:
        names = [xkeys.ifi(xs.agent(org.slug, person.id)),
                 xkeys.ifi({"mbox": f"mailto:{person.email}"})]
        agents = [xkeys.key(org.id, xkeys.Kind.AGENT, n) for n in names if n is not None]
    seen: set[str] = set()
    for verb in (profile.PASSED.id, profile.FAILED.id):
        verb_key = xkeys.key(org.id, xkeys.Kind.VERB, verb)
        for agent in agents:
            keys = (verb_key,) if agent is None else (verb_key, agent)
            for document in _pages(statements, org, keys, since, until):
                sid = document.get("id")
                if len(agents) == 1 or (isinstance(sid, str) and sid not in seen):
                    seen.add(sid if isinstance(sid, str) else "")
                    yield document


def _pages(statements: StatementsRepo, org: Organisation, keys: tuple[int, ...],
           since: datetime | None, until: datetime | None) -> Iterator[Json]:
    after: tuple[datetime, int] | None = None
    while True:
        page = statements.query(StatementQuery(org.id, keys, since, until, ascending=True,
                                               limit=PAGE, after=after))
        for found in page:
            document = json.loads(found.text)
            if isinstance(document, dict):
                yield document
        if len(page) < PAGE:
            return
        after = (page[-1].stored, page[-1].seq)
