"""The learnloop xAPI profile: verbs, activity types, extension IRIs and activity ids.

Documented for people in `docs/xapi-profile.md`; a test keeps the two in step. ADL's verbs
and activity types are used where one means the same thing; learnloop's own IRIs live under
`BASE`. Activity ids name what a content pack holds, scoped by organisation and pack, so a
statement about one of them (ours or an outside tool's) can be traced back to the pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, unquote

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
PASSED = Verb("http://adlnet.gov/expapi/verbs/passed", "passed")
FAILED = Verb("http://adlnet.gov/expapi/verbs/failed", "failed")
VOIDED = Verb("http://adlnet.gov/expapi/verbs/voided", "voided")

VERBS = (LAUNCHED, EXPERIENCED, COMPLETED, ANSWERED, RATED, ASSIGNED, BECAME_DUE, PASSED,
         FAILED)

# The category of every pre-flight statement (xAPI Profiles: a statement names the profile it
# follows in context.contextActivities.category), so one activity filter finds them all.
PREFLIGHT_PROFILE = f"{BASE}/profiles/preflight"


class ActivityType(StrEnum):
    LESSON = "http://adlnet.gov/expapi/activities/lesson"
    SECTION = f"{BASE}/activity-types/lesson-section"
    QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
    ITEM_FAMILY = f"{BASE}/activity-types/item-family"
    SKILL = "http://adlnet.gov/expapi/activities/objective"
    PACK = "http://adlnet.gov/expapi/activities/course"
    PREFLIGHT_RULE = f"{BASE}/activity-types/preflight-rule"
    CAMPAIGN = f"{BASE}/activity-types/campaign"
    PROFILE = "http://adlnet.gov/expapi/activities/profile"


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
    OUTCOME = f"{BASE}/extensions/outcome"
    FINDINGS = f"{BASE}/extensions/findings"
    # context
    STEP_KIND = f"{BASE}/extensions/step-kind"
    PULSE_ON = f"{BASE}/extensions/pulse-on"
    ATTEMPT = f"{BASE}/extensions/attempt"
    VARIANT = f"{BASE}/extensions/variant"
    PACK_VERSION = f"{BASE}/extensions/pack-version"
    SEVERITY = f"{BASE}/extensions/severity"
    CAMPAIGN_ATTEMPT = f"{BASE}/extensions/campaign-attempt"
    CAMPAIGN_TYPE = f"{BASE}/extensions/campaign-type"


@dataclass(frozen=True, slots=True)
class ActivityRef:
    """What an activity id points at inside an organisation's content. `pack` is empty for
    the organisation's pre-flight rules and campaigns, which belong to no pack."""

    org: str
    pack: str
    kind: str  # "pack", "lesson", "section", "item", "variant", "skill"; "rule", "campaign"
    lesson: str | None = None
    section: str | None = None
    family: str | None = None
    variant: int | None = None
    skill: str | None = None
    rule: str | None = None
    campaign: str | None = None


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


# Pre-flight belongs to the organisation, not to a pack: its ids sit beside the packs' under a
# `preflight` segment with four parts (`<org>/preflight/rules/<rule>`), a shape no pack id has
# (a pack's own ids have two, four or six parts, and their third part is `lessons`, `items` or
# `skills`), so a pack that happens to be called `preflight` keeps its ids.
PREFLIGHT = "preflight"


def rule_id(org: str, rule: str) -> str:
    """A pre-flight rule (an id of the rule catalogue, such as `T9`) in an organisation."""
    return f"{ACTIVITIES}/{org}/{PREFLIGHT}/rules/{rule}"


def campaign_id(org: str, campaign: str) -> str:
    """A campaign checked by pre-flight, named by its campaign name (percent-encoded)."""
    return f"{ACTIVITIES}/{org}/{PREFLIGHT}/campaigns/{quote(campaign, safe='')}"


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
        case ["rules", rule] if pack == PREFLIGHT:
            return ActivityRef(org, "", "rule", rule=rule)
        case ["campaigns", name] if pack == PREFLIGHT:
            return ActivityRef(org, "", "campaign", campaign=unquote(name))
    return None
