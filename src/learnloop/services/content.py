"""Validate and publish content packs; summarise what a pack holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.content import variants
from learnloop.domain.content.model import Context, Pack
from learnloop.domain.content.validation import validate_pack
from learnloop.domain.errors import InvalidInput, NotFound
from learnloop.domain.problems import Problem, errors_in, sort_problems
from learnloop.services.ports import ContentRepo, PackReading, StoredVersion


def check(reading: PackReading) -> list[Problem]:
    """Every problem in a pack: reading problems first, then whole-pack rules."""
    problems = list(reading.problems)
    if reading.pack is not None:
        problems += validate_pack(reading.pack)
    return sort_problems(problems)


def summarise(pack: Pack) -> dict[str, Any]:
    """Counts a person wants to see after validating or importing a pack."""
    per_skill: dict[str, dict[str, int]] = {
        s.id: {"lessons": 0, "families": 0, "items": 0, "transfer_items": 0}
        for s in pack.skills
    }
    for lesson in pack.lessons:
        per_skill.setdefault(lesson.skill, Counter())["lessons"] += 1
    types: Counter[str] = Counter()
    for family in pack.families:
        entry = per_skill.setdefault(family.skill, Counter())
        entry["families"] += 1
        types[family.type.value] += 1
        try:
            count = len(variants.distinct_items(family))
        except variants.VariantError:
            count = 0
        entry["items"] += count
        if family.context is Context.TRANSFER:
            entry["transfer_items"] += count
    return {
        "skills": len(pack.skills),
        "lessons": len(pack.lessons),
        "families": len(pack.families),
        "items": sum(e["items"] for e in per_skill.values()),
        "transfer_items": sum(e["transfer_items"] for e in per_skill.values()),
        "item_types": dict(sorted(types.items())),
        "per_skill": per_skill,
    }


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    version: StoredVersion
    unchanged: bool
    warnings: list[Problem]


def publish(repo: ContentRepo, org_id: int, actor: Actor | None, reading: PackReading,
            now: datetime) -> PublishOutcome:
    """Publish a new immutable version; change nothing when any problem is an error.

    Publishing the same files as the latest version changes nothing and says so.
    `actor` None means the operator's CLI.
    """
    if actor is not None:
        require(actor, Action.PUBLISH_CONTENT, Target(org_id))
    problems = check(reading)
    if errors_in(problems) or reading.pack is None:
        raise InvalidInput(problems, "the pack has problems; nothing was imported")
    pack = reading.pack
    latest = repo.latest_version(org_id, pack.id)
    warnings = [p for p in problems if not p.is_error]
    if latest is not None and latest.digest == reading.digest:
        return PublishOutcome(latest, True, warnings)
    version = repo.publish(
        org_id, pack, dict(reading.files), reading.digest, summarise(pack),
        actor.person_id if actor else None, now,
    )
    return PublishOutcome(version, False, warnings)


def latest_versions(repo: ContentRepo, actor: Actor) -> list[StoredVersion]:
    """The newest published version of each pack, as learners see them."""
    require(actor, Action.LEARN, Target(actor.org_id))
    latest: dict[str, StoredVersion] = {}
    for version in repo.versions(actor.org_id):  # newest first within a pack
        latest.setdefault(version.pack_slug, version)
    return list(latest.values())


def find_version(repo: ContentRepo, actor: Actor, pack_slug: str,
                 number: int | None = None) -> StoredVersion:
    require(actor, Action.LEARN, Target(actor.org_id))
    version = (repo.latest_version(actor.org_id, pack_slug) if number is None
               else repo.version(actor.org_id, pack_slug, number))
    if version is None:
        what = f"version {number} of " if number is not None else ""
        raise NotFound(f"No {what}content pack {pack_slug!r}.")
    return version
