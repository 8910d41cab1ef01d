"""Read a stored statement back into a learner event (or None when it changes no state).

This is the one door into the learner model: our own statements and an outside tool's take the
same path. An outside statement is read generously: an answer on a known item family counts
when it has `result.success` or `result.score.scaled`; a completion of a known lesson counts;
a pre-flight rule's result counts when its grouping names a pack (or a pack's skill).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from learnloop.domain.learner.events import (
    Answered,
    Assigned,
    Event,
    LessonCompleted,
    LessonLaunched,
    PreflightChecked,
    PulseGiven,
    SectionViewed,
)
from learnloop.domain.xapi import profile
from learnloop.domain.xapi.profile import ActivityRef, Extension

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActorRef:
    """How a statement names its actor: our account, or an email address."""

    account_home: str | None = None
    account_name: str | None = None
    mbox: str | None = None


def actor_of(statement: Json) -> ActorRef | None:
    actor = statement.get("actor")
    if not isinstance(actor, dict):
        return None
    account = actor.get("account")
    if isinstance(account, dict):
        home, name = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(name, str):
            return ActorRef(account_home=home, account_name=name)
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        return ActorRef(mbox=mbox[len("mailto:"):].strip().lower())
    return None


def parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before year 1 in UTC
        return None


def _object_ref(statement: Json) -> ActivityRef | None:
    obj = statement.get("object")
    if not isinstance(obj, dict) or obj.get("objectType", "Activity") != "Activity":
        return None
    iri = obj.get("id")
    return profile.parse_activity(iri) if isinstance(iri, str) else None


def _extensions(part: object) -> Json:
    if isinstance(part, dict):
        found = part.get("extensions")
        if isinstance(found, dict):
            return found
    return {}


def _finite(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else (bools, NaN, inf, huge ints)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _score(result: Json) -> tuple[float, bool] | None:
    success = result.get("success")
    score = result.get("score")
    scaled = _finite(score.get("scaled")) if isinstance(score, dict) else None
    if scaled is None and not isinstance(success, bool):
        return None
    value = min(1.0, max(0.0, scaled)) if scaled is not None else float(bool(success))
    return value, bool(success) if isinstance(success, bool) else value >= 0.5


def _int_1_to_5(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    return None


def read_event(statement: Json) -> tuple[str, Event] | None:
    """(organisation slug, event) for a statement that changes learner state, else None."""
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    ref = _object_ref(statement)
    at = parse_time(statement.get("timestamp"))
    if ref is None or at is None or not isinstance(verb_id, str):
        return None
    result = statement.get("result") if isinstance(statement.get("result"), dict) else {}
    context = statement.get("context") if isinstance(statement.get("context"), dict) else {}
    assert isinstance(result, dict)
    assert isinstance(context, dict)
    event: Event | None = None
    if verb_id == profile.LAUNCHED.id and ref.kind == "lesson" and ref.lesson:
        event = LessonLaunched(ref.pack, ref.lesson, at)
    elif verb_id == profile.EXPERIENCED.id and ref.kind == "section" and ref.lesson \
            and ref.section:
        event = SectionViewed(ref.pack, ref.lesson, ref.section, at)
    elif verb_id == profile.COMPLETED.id and ref.kind == "lesson" and ref.lesson:
        event = LessonCompleted(ref.pack, ref.lesson, at)
    elif ref.kind in ("item", "variant") and ref.family and verb_id in _ANSWER_VERBS:
        scored = _score(result)
        if scored is not None:
            found = _extensions(result).get(Extension.MISCONCEPTIONS.value, [])
            misconceptions = tuple(m for m in found if isinstance(m, str)) \
                if isinstance(found, list) else ()
            event = Answered(ref.pack, ref.family, ref.variant, at, scored[0], scored[1],
                             misconceptions)
    elif verb_id == profile.RATED.id and ref.kind in ("lesson", "skill"):
        ext = _extensions(result)
        confidence = _int_1_to_5(ext.get(Extension.CONFIDENCE.value))
        relevance = _int_1_to_5(ext.get(Extension.RELEVANCE.value))
        sentiment = ext.get(Extension.SENTIMENT.value)
        on = _extensions(context).get(Extension.PULSE_ON.value)
        if confidence is not None and relevance is not None:
            event = PulseGiven(
                ref.pack, on if on in ("lesson", "check") else
                "lesson" if ref.kind == "lesson" else "check", ref.lesson, ref.skill,
                at, confidence, relevance, _finite(sentiment))
    elif verb_id in _RULE_VERBS and ref.kind == "rule" and ref.rule:
        event = _preflight_checked(ref, verb_id, result, context, at)
    elif verb_id == profile.ASSIGNED.id:
        event = Assigned(ref.pack, at)
    return (ref.org, event) if event is not None else None


def _grouping(context: Json) -> list[ActivityRef]:
    activities = context.get("contextActivities")
    found = activities.get("grouping") if isinstance(activities, dict) else None
    items = found if isinstance(found, list) else [found] if isinstance(found, dict) else []
    refs = []
    for item in items:
        iri = item.get("id") if isinstance(item, dict) else None
        ref = profile.parse_activity(iri) if isinstance(iri, str) else None
        if ref is not None:
            refs.append(ref)
    return refs


def _preflight_checked(ref: ActivityRef, verb_id: str, result: Json, context: Json,
                       at: datetime) -> PreflightChecked | None:
    """A rule's result: its pack and skill from the grouping (the skill, else the pack, of
    the same organisation), success from `result.success` or else the verb."""
    assert ref.rule is not None
    grouping = [g for g in _grouping(context) if g.org == ref.org]
    skill = next((g for g in grouping if g.kind == "skill" and g.skill), None)
    pack = skill or next((g for g in grouping if g.kind == "pack"), None)
    if pack is None:
        return None  # about no pack: stored, but it changes no learner state
    success = result.get("success")
    if not isinstance(success, bool):
        success = verb_id == profile.PASSED.id
    attempt = _extensions(context).get(Extension.CAMPAIGN_ATTEMPT.value)
    if not (isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1):
        attempt = None
    return PreflightChecked(pack.pack, ref.rule, skill.skill if skill else None, success, at,
                            attempt)


# A rule's result is ADL's "passed" or "failed".
_RULE_VERBS = frozenset({profile.PASSED.id, profile.FAILED.id})

# An outside tool may say "answered" or ADL's "attempted"/"passed"/"failed" about an item.
_ANSWER_VERBS = frozenset({
    profile.ANSWERED.id,
    "http://adlnet.gov/expapi/verbs/attempted",
    profile.PASSED.id,
    profile.FAILED.id,
    "http://adlnet.gov/expapi/verbs/responded",
})
