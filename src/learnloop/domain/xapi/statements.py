"""Build the xAPI 1.0.3 statements learnloop writes for a learner's events (pure).

Every builder takes the statement id and the time: nothing here draws random numbers or reads
the clock. Actors are identified by an account on their organisation (no names or emails in
the record: spec 2.4.2.4, "account" IFI), so statements can be shared without personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from learnloop.domain.xapi import profile
from learnloop.domain.xapi.profile import ActivityType, Extension, Verb

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an event happened: the organisation, the pack and the pack version."""

    org: str
    pack: str
    version: int


def account_home(org: str) -> str:
    return f"{profile.BASE}/organisations/{org}"


def agent(org: str, person_id: int) -> Json:
    return {"objectType": "Agent",
            "account": {"homePage": account_home(org), "name": str(person_id)}}


def iso(at: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the spec's examples write it."""
    moment = at.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def duration(seconds: float) -> str:
    """An ISO 8601 duration with centisecond precision (spec 4.6: "PT1.23S")."""
    total = max(0.0, round(seconds, 2))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if secs or out == "PT":
        out += f"{secs:.2f}".rstrip("0").rstrip(".") + "S"
    return out


def activity(iri: str, kind: ActivityType, name: str | None = None,
             extra: Json | None = None) -> Json:
    definition: Json = {"type": kind.value}
    if name:
        definition["name"] = {"en-US": name}
    if extra:
        definition.update(extra)
    return {"objectType": "Activity", "id": iri, "definition": definition}


def _context(scope: Scope, registration: str | None, parents: list[Json],
             extensions: Json | None = None) -> Json:
    context: Json = {
        "contextActivities": {
            "grouping": [activity(profile.pack_id(scope.org, scope.pack), ActivityType.PACK)],
        },
        "extensions": {Extension.PACK_VERSION.value: scope.version, **(extensions or {})},
    }
    if parents:
        context["contextActivities"]["parent"] = parents
    if registration is not None:
        context["registration"] = registration
    return context


def build(statement_id: str, actor: Json, verb: Verb, obj: Json, at: datetime,
          context: Json, result: Json | None = None) -> Json:
    statement: Json = {
        "id": statement_id,
        "actor": actor,
        "verb": verb.as_json(),
        "object": obj,
        "context": context,
        "timestamp": iso(at),
    }  # no "version": the spec says a provider SHOULD NOT set it (the LRS does)
    if result is not None:
        statement["result"] = result
    return statement


def lesson_activity(scope: Scope, lesson: str, title: str | None = None) -> Json:
    return activity(profile.lesson_id(scope.org, scope.pack, lesson), ActivityType.LESSON,
                    title)


def section_activity(scope: Scope, lesson: str, section: str, title: str | None = None
                     ) -> Json:
    return activity(profile.section_id(scope.org, scope.pack, lesson, section),
                    ActivityType.SECTION, title)


def skill_activity(scope: Scope, skill: str, name: str | None = None) -> Json:
    return activity(profile.skill_id(scope.org, scope.pack, skill), ActivityType.SKILL, name)


def lesson_launched(sid: str, scope: Scope, person_id: int, lesson: str, title: str,
                    registration: str, at: datetime) -> Json:
    return build(sid, agent(scope.org, person_id), profile.LAUNCHED,
                 lesson_activity(scope, lesson, title), at,
                 _context(scope, registration, []))


def section_viewed(sid: str, scope: Scope, person_id: int, lesson: str, section: str,
                   title: str, registration: str, at: datetime) -> Json:
    obj = section_activity(scope, lesson, section, title)
    return build(sid, agent(scope.org, person_id), profile.EXPERIENCED, obj, at,
                 _context(scope, registration, [lesson_activity(scope, lesson)]))


def lesson_completed(sid: str, scope: Scope, person_id: int, lesson: str, title: str,
                     registration: str, at: datetime, seconds: float) -> Json:
    return build(sid, agent(scope.org, person_id), profile.COMPLETED,
                 lesson_activity(scope, lesson, title), at,
                 _context(scope, registration, []),
                 {"completion": True, "duration": duration(seconds)})


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """What an answered statement says about one graded response."""

    family: str
    variant: int
    skill: str
    interaction_type: str  # choice, numeric, long-fill-in
    stem: str
    response: str
    score: float
    success: bool
    seconds: float
    misconceptions: tuple[str, ...] = ()
    criteria_met: tuple[str, ...] = ()
    criteria_missed: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()  # (id, text) of a choice item
    correct_pattern: str | None = None


def item_answered(sid: str, scope: Scope, person_id: int, answer: AnswerRecord,
                  registration: str, attempt: str, step_kind: str, at: datetime) -> Json:
    definition: Json = {"interactionType": answer.interaction_type,
                        "description": {"en-US": answer.stem}}
    if answer.choices:
        definition["choices"] = [{"id": cid, "description": {"en-US": text}}
                                 for cid, text in answer.choices]
    if answer.correct_pattern is not None:
        definition["correctResponsesPattern"] = [answer.correct_pattern]
    obj = activity(profile.variant_id(scope.org, scope.pack, answer.family, answer.variant),
                   ActivityType.QUESTION, None, definition)
    extensions: Json = {}
    if answer.misconceptions:
        extensions[Extension.MISCONCEPTIONS.value] = list(answer.misconceptions)
    if answer.criteria_met or answer.criteria_missed:
        extensions[Extension.CRITERIA_MET.value] = list(answer.criteria_met)
        extensions[Extension.CRITERIA_MISSED.value] = list(answer.criteria_missed)
    result: Json = {
        "response": answer.response,
        "score": {"scaled": round(answer.score, 4), "raw": round(answer.score, 4),
                  "min": 0, "max": 1},
        "success": answer.success,
        "completion": True,
        "duration": duration(answer.seconds),
    }
    if extensions:
        result["extensions"] = extensions
    parents = [activity(profile.family_id(scope.org, scope.pack, answer.family),
                        ActivityType.ITEM_FAMILY)]
    context = _context(scope, registration, parents, {
        Extension.ATTEMPT.value: attempt, Extension.VARIANT.value: answer.variant,
        Extension.STEP_KIND.value: step_kind})
    context["contextActivities"]["grouping"].append(skill_activity(scope, answer.skill))
    return build(sid, agent(scope.org, person_id), profile.ANSWERED, obj, at, context, result)


def pulse_given(sid: str, scope: Scope, person_id: int, on: str, target: Json,
                confidence: int, relevance: int, comment: str | None,
                sentiment: float | None, registration: str, at: datetime) -> Json:
    extensions: Json = {Extension.CONFIDENCE.value: confidence,
                        Extension.RELEVANCE.value: relevance}
    if sentiment is not None:
        extensions[Extension.SENTIMENT.value] = round(sentiment, 4)
    result: Json = {"extensions": extensions}
    if comment:
        result["response"] = comment
    return build(sid, agent(scope.org, person_id), profile.RATED, target, at,
                 _context(scope, registration, [], {Extension.PULSE_ON.value: on}), result)


def assigned(sid: str, scope: Scope, person_id: int, target: Json, step_kind: str,
             reason: str, registration: str, at: datetime) -> Json:
    return build(sid, agent(scope.org, person_id), profile.ASSIGNED, target, at,
                 _context(scope, registration, [], {Extension.STEP_KIND.value: step_kind}),
                 {"extensions": {Extension.REASON.value: reason}})


def became_due(sid: str, scope: Scope, person_id: int, family: str, due: datetime,
               registration: str, at: datetime) -> Json:
    obj = activity(profile.family_id(scope.org, scope.pack, family), ActivityType.ITEM_FAMILY)
    return build(sid, agent(scope.org, person_id), profile.BECAME_DUE, obj, at,
                 _context(scope, registration, []),
                 {"extensions": {Extension.DUE.value: iso(due)}})
