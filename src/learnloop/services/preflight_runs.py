"""Pre-flight as a use case: check an artifact for a person, keep the report, record overrides,
and keep each organisation's settings.

A run belongs to its author: the campaign's owner when the owner is a member, else the person
who submitted it. The author is the one coached, and whose evidence it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePath

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.errors import Conflict, InvalidInput, NotFound
from learnloop.domain.people import Organisation, Person
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.coaching import first_time_lessons
from learnloop.domain.preflight.config import PreflightConfig, config_from_data, config_to_data
from learnloop.domain.preflight.evidence import FirstPassRate
from learnloop.domain.preflight.export import report_data
from learnloop.domain.preflight.reading import artifact_to_data
from learnloop.domain.preflight.report import Report
from learnloop.domain.problems import Problem, has_nul
from learnloop.services.loop import catalogues
from learnloop.services.ports import (
    IdMaker,
    LearningStore,
    LoadedPack,
    PackLoader,
    PeopleRepo,
    PreflightRepo,
    PreflightStore,
    StoredOverride,
    StoredRun,
)
from learnloop.services.preflight import Checkers, run_preflight
from learnloop.services.preflight_evidence import first_pass_rates, record_preflight

MIN_REASON = 10
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class Submitted:
    run: StoredRun
    report: Report
    author: Person | None
    first_time: tuple[str, ...]  # lessons offered before the report: a new campaign type


def campaign_key(artifact: Artifact) -> str:
    """What makes two runs attempts at the same campaign: its name, else its file name."""
    name = artifact.campaign.name
    if name and name.strip():
        return name.strip().lower()[:300]
    return PurePath(artifact.source).name.lower()[:300] or "unnamed"


def organisation_config(repo: PreflightRepo, org_id: int) -> PreflightConfig:
    stored = repo.settings(org_id)
    return config_from_data(stored, "the organisation's pre-flight settings") if stored \
        else PreflightConfig()


def _author(people: PeopleRepo, org: Organisation, artifact: Artifact,
            submitter: Person | None) -> tuple[Person | None, str | None]:
    owner = artifact.campaign.owner
    if owner:
        found = people.person_by_email(org.id, owner)
        if found is not None:
            return found, None
        return submitter, (f"The owner {owner} is not a member of {org.name}; the run counts "
                           "for whoever submitted it.")
    return submitter, None


def coaching_pack(store: LearningStore, packs: PackLoader, org_id: int) -> LoadedPack | None:
    """The organisation's pack whose preflight.yaml maps rules to lessons (the latest version
    of the first such pack), or None."""
    latest: dict[str, LoadedPack] = {}
    for version in store.content.versions(org_id):  # newest first within a pack
        if version.pack_slug not in latest:
            latest[version.pack_slug] = packs(version)
    return next((p for p in latest.values() if p.pack.preflight.rules), None)


def submit(store: PreflightStore, packs: PackLoader, org: Organisation, actor: Actor | None,
           submitter: Person | None, artifact: Artifact, checkers: Checkers, now: datetime,
           new_id: IdMaker) -> Submitted:
    """Check `artifact`, keep the run and its screenshots, record each rule's result as a
    statement about the author (projected into their learner state in the same transaction),
    and say which first-time lessons to offer. `actor` None is the operator (the CLI)."""
    if actor is not None:
        require(actor, Action.RUN_PREFLIGHT, Target(org.id, actor.person_id))
    people, repo = store.people, store.preflight
    loaded = coaching_pack(store, packs, org.id)
    pack = loaded.pack if loaded else None
    config = organisation_config(repo, org.id)
    report = run_preflight(artifact, config, checkers, now.date())
    author, note = _author(people, org, artifact, submitter)
    if note:
        report = replace(report, notes=(*report.notes, note))
    key = campaign_key(artifact)
    kind = artifact.campaign.campaign_type
    first_time: tuple[str, ...] = ()
    if author is not None and kind and kind not in repo.campaign_types_shipped(org.id,
                                                                                 author.id):
        first_time = first_time_lessons(pack, kind)
    run = StoredRun(
        new_id(), org.id, author.id if author else None,
        submitter.id if submitter else None, artifact.source[:300], artifact.campaign.name,
        key, kind, artifact.campaign.message_type.value if artifact.campaign.message_type
        else None, repo.attempts(org.id, key) + 1, now,
        "blocked" if report.blocked else "ready",
        {**report_data(report, pack), "first_time_lessons": list(first_time)},
        artifact_to_data(artifact), report.preview,
        tuple((s.width, s.height) for s in report.screenshots))
    repo.add_run(run, [(s.width, s.height, s.png) for s in report.screenshots])
    if author is not None:
        record_preflight(store.statements, store.learner, org, author, report, loaded,
                         run_id=run.id, attempt=run.attempt, campaign=artifact.campaign,
                         now=now, new_id=new_id, config=config, campaign_key=key,
                         catalogues=catalogues(store, packs, org.id))
    return Submitted(run, report, author, first_time)


def _may(actor: Actor | None, action: Action, run: StoredRun) -> None:
    if actor is None or (run.submitted_by is not None and run.submitted_by == actor.person_id):
        return
    require(actor, action, Target(run.org_id, run.author_id))


def get_run(repo: PreflightRepo, org: Organisation, actor: Actor | None,
            run_id: str) -> StoredRun:
    run = repo.run(org.id, run_id)
    if run is None:
        raise NotFound(f"no pre-flight run {run_id}")
    _may(actor, Action.VIEW_PREFLIGHT, run)
    return run


def list_runs(repo: PreflightRepo, org: Organisation, actor: Actor,
              limit: int = 50) -> list[StoredRun]:
    """The actor's own runs (as author), newest first."""
    return repo.runs(org.id, author_id=actor.person_id, limit=limit)


def failed_rules(run: StoredRun) -> list[str]:
    return [r["rule"] for r in run.report.get("results", []) if r.get("outcome") == "failed"]


def override(repo: PreflightRepo, org: Organisation, actor: Actor | None, by: int | None,
             run_id: str, rule: str, reason: str, now: datetime) -> StoredRun:
    """Launch despite a failed rule: the reason is required and kept with who gave it. When
    every failed rule is overridden the run is no longer blocked."""
    run = get_run(repo, org, actor, run_id)
    _may(actor, Action.OVERRIDE_PREFLIGHT, run)
    problems: list[Problem] = []
    failed = failed_rules(run)
    if rule not in failed:
        problems.append(Problem("body", f"{rule!r} did not fail in this run; failed: "
                                + (", ".join(failed) or "none"), field="rule"))
    text = reason.strip() if isinstance(reason, str) else ""
    if has_nul(text):
        problems.append(Problem("body", "contains a NUL character", field="reason"))
    elif len(text) < MIN_REASON:
        problems.append(Problem("body", f"say why, in at least {MIN_REASON} characters",
                                field="reason"))
    elif len(text) > MAX_REASON:
        problems.append(Problem("body", f"at most {MAX_REASON} characters", field="reason"))
    if problems:
        raise InvalidInput(problems)
    if any(o.rule == rule for o in run.overrides):
        raise Conflict(f"{rule} is already overridden in this run")
    entry = StoredOverride(rule, text, by, now)
    repo.add_override(run.id, entry)
    overridden = {o.rule for o in run.overrides} | {rule}
    if set(failed) <= overridden:
        repo.set_verdict(run.id, "overridden")
    updated = repo.run(org.id, run.id)
    assert updated is not None
    return updated


def settings(repo: PreflightRepo, org: Organisation, actor: Actor | None) -> PreflightConfig:
    if actor is not None:
        require(actor, Action.RUN_PREFLIGHT, Target(org.id, actor.person_id))
    return organisation_config(repo, org.id)


def save_settings(repo: PreflightRepo, org: Organisation, actor: Actor | None, data: object,
                  now: datetime) -> PreflightConfig:
    if actor is not None:
        require(actor, Action.MANAGE_PREFLIGHT, Target(org.id))
    config = config_from_data(data, "body")
    repo.save_settings(org.id, config_to_data(config), actor.person_id if actor else None, now)
    return config


def first_pass(store: PreflightStore, packs: PackLoader, org: Organisation, actor: Actor,
               person_id: int | None = None) -> list[FirstPassRate]:
    """A person's first-pass rate per skill: yours, or (managers of them, admins) a report's."""
    target = person_id if person_id is not None else actor.person_id
    require(actor, Action.VIEW_PERSON, Target(org.id, target))
    person = store.people.person(org.id, target)
    if person is None:
        raise NotFound(f"no person {target}")
    return first_pass_rates(store.statements, store.people, org, person=person,
                            catalogues=catalogues(store, packs, org.id))
