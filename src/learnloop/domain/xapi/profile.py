"""The learnloop xAPI profile: verbs, activity types, extension IRIs and activity ids.

Documented for people in `docs/xapi-profile.md`; a test keeps the two in step. ADL's verbs
and activity types are used where one means the same thing; learnloop's own IRIs live under
`BASE`. Activity ids name what a content pack holds, scoped by organisation and pack, so a
statement about one of them (ours or an outside tool's) can be traced back to the pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

BASE = "https://learnloop.dev/xapi"
ACTIVITIES = f"{BASE}/activities"


@dataclass(frozen=True, slots=True)
class Verb:
    id: str
    display: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "display": {"en-US": self.display}}


LAUNCHED = Verb("http://adlnet.gov/expapi/verbs/launched", "launched")
EXPERIENCED = Verb("http://adlnet.gov/expapi/verbs/experienced", "experienced")
COMPLETED = Verb("http://adlnet.gov/expapi/verbs/completed", "completed")
ANSWERED = Verb("http://adlnet.gov/expapi/verbs/answered", "answered")
RATED = Verb(f"{BASE}/verbs/rated", "rated")
ASSIGNED = Verb(f"{BASE}/verbs/was-assigned", "was assigned")
BECAME_DUE = Verb(f"{BASE}/verbs/became-due", "became due for")
VOIDED = Verb("http://adlnet.gov/expapi/verbs/voided", "voided")

VERBS = (LAUNCHED, EXPERIENCED, COMPLETED, ANSWERED, RATED, ASSIGNED, BECAME_DUE)


class ActivityType(StrEnum):
    LESSON = "http://adlnet.gov/expapi/activities/lesson"
    SECTION = f"{BASE}/activity-types/lesson-section"
    QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
    ITEM_FAMILY = f"{BASE}/activity-types/item-family"
    SKILL = "http://adlnet.gov/expapi/activities/objective"
    PACK = "http://adlnet.gov/expapi/activities/course"


class Extension(StrEnum):
    """Extension IRIs: result extensions first, then context extensions."""

    MISCONCEPTIONS = f"{BASE}/extensions/misconceptions"
    CRITERIA_MET = f"{BASE}/extensions/criteria-met"
    CRITERIA_MISSED = f"{BASE}/extensions/criteria-missed"
    CONFIDENCE = f"{BASE}/extensions/confidence"
    RELEVANCE = f"{BASE}/extensions/relevance"
    SENTIMENT = f"{BASE}/extensions/sentiment"
    DUE = f"{BASE}/extensions/due"
    REASON = f"{BASE}/extensions/reason"
    # context
    STEP_KIND = f"{BASE}/extensions/step-kind"
    PULSE_ON = f"{BASE}/extensions/pulse-on"
    ATTEMPT = f"{BASE}/extensions/attempt"
    VARIANT = f"{BASE}/extensions/variant"
    PACK_VERSION = f"{BASE}/extensions/pack-version"


@dataclass(frozen=True, slots=True)
class ActivityRef:
    """What an activity id points at inside an organisation's content."""

    org: str
    pack: str
    kind: str  # "pack", "lesson", "section", "item", "variant", "skill"
    lesson: str | None = None
    section: str | None = None
    family: str | None = None
    variant: int | None = None
    skill: str | None = None


def pack_id(org: str, pack: str) -> str:
    return f"{ACTIVITIES}/{org}/{pack}"


def lesson_id(org: str, pack: str, lesson: str) -> str:
    return f"{pack_id(org, pack)}/lessons/{lesson}"


def section_id(org: str, pack: str, lesson: str, section: str) -> str:
    return f"{lesson_id(org, pack, lesson)}/sections/{section}"


def family_id(org: str, pack: str, family: str) -> str:
    return f"{pack_id(org, pack)}/items/{family}"


def variant_id(org: str, pack: str, family: str, variant: int) -> str:
    return f"{family_id(org, pack, family)}/variants/{variant}"


def skill_id(org: str, pack: str, skill: str) -> str:
    return f"{pack_id(org, pack)}/skills/{skill}"


def parse_activity(iri: str) -> ActivityRef | None:
    """The content an activity id names, or None when it is not a learnloop content id."""
    prefix = ACTIVITIES + "/"
    if not iri.startswith(prefix):
        return None
    parts = iri[len(prefix):].split("/")
    if len(parts) < 2 or not all(parts):
        return None
    org, pack, rest = parts[0], parts[1], parts[2:]
    match rest:
        case []:
            return ActivityRef(org, pack, "pack")
        case ["lessons", lesson]:
            return ActivityRef(org, pack, "lesson", lesson=lesson)
        case ["lessons", lesson, "sections", section]:
            return ActivityRef(org, pack, "section", lesson=lesson, section=section)
        case ["items", family]:
            return ActivityRef(org, pack, "item", family=family)
        case ["items", family, "variants", number] if number.isascii() and number.isdigit() \
                and len(number) < 7:
            return ActivityRef(org, pack, "variant", family=family, variant=int(number))
        case ["skills", skill]:
            return ActivityRef(org, pack, "skill", skill=skill)
    return None
