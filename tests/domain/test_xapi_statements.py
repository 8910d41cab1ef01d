"""The xAPI statements learnloop writes: shape, times, durations and answer details."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.xapi import profile
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi.profile import ActivityType, Extension

AT = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
SCOPE = xs.Scope(org="northwind", pack="marketing-essentials", version=3)
SID = "2f1c6a5e-8c1b-4e7a-9d55-1f0a7c3b9e21"
REG = "6b8f2d4a-0c3e-4f71-8a9b-5d2e1c7f3a60"
PERSON = 42
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# -- duration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "PT0S"),
    (0.0, "PT0S"),
    (30, "PT30S"),
    (240, "PT4M"),
    (3600, "PT1H"),
    (3723.5, "PT1H2M3.5S"),
    (61, "PT1M1S"),
    (7200.5, "PT2H0.5S"),
    (90061, "PT25H1M1S"),  # hours are not folded into days
    (1.234, "PT1.23S"),
    (1.236, "PT1.24S"),
    (12.1, "PT12.1S"),
    (0.004, "PT0S"),
    (59.999, "PT1M"),  # rounding carries into the minutes
    (3599.996, "PT1H"),
    (-5, "PT0S"),
])
def test_duration(seconds: float, text: str) -> None:
    assert xs.duration(seconds) == text


DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?$")


@given(st.floats(min_value=0.0, max_value=1e7, allow_nan=False))
def test_duration_is_iso_8601_with_centiseconds(seconds: float) -> None:
    text = xs.duration(seconds)
    match = DURATION.match(text)
    assert match is not None, text
    assert text != "PT"
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    assert minutes < 60
    assert secs < 60
    fraction = (match.group(3) or "").partition(".")[2]
    assert not fraction.endswith("0")  # "PT1.5S", never "PT1.50S"
    assert hours * 3600 + minutes * 60 + secs == pytest.approx(round(seconds, 2), abs=1e-6)


# -- iso ---------------------------------------------------------------------------------------


def test_iso_is_utc_with_milliseconds_and_z() -> None:
    assert xs.iso(AT) == "2026-11-02T09:30:15.123Z"
    assert xs.iso(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"


def test_iso_truncates_to_milliseconds() -> None:
    assert xs.iso(AT.replace(microsecond=999_999)) == "2026-11-02T09:30:15.999Z"
    assert xs.iso(AT.replace(microsecond=999)) == "2026-11-02T09:30:15.000Z"


def test_iso_converts_other_zones_to_utc() -> None:
    berlin = datetime(2026, 7, 1, 0, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    assert xs.iso(berlin) == "2026-06-30T22:15:00.000Z"
    offset = datetime(2026, 1, 1, 5, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert xs.iso(offset) == "2025-12-31T23:30:00.000Z"


EPOCH = datetime(1970, 1, 2, tzinfo=UTC)
MICROSECONDS_TO_9999 = (datetime(9999, 12, 30, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


@given(st.integers(min_value=0, max_value=MICROSECONDS_TO_9999)
       .map(lambda us: EPOCH + timedelta(microseconds=us)))
def test_iso_round_trips_to_the_millisecond(at: datetime) -> None:
    text = xs.iso(at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text)
    back = datetime.fromisoformat(text)
    assert back == at.replace(microsecond=at.microsecond // 1000 * 1000)


# -- every builder -----------------------------------------------------------------------------


def answer_record(**changes: Any) -> xs.AnswerRecord:
    fields: dict[str, Any] = {
        "family": "bounce-hard-or-soft", "variant": 4, "skill": "deliverability",
        "interaction_type": "choice", "stem": "Which of these bounces is hard?",
        "response": "b", "score": 0.0, "success": False, "seconds": 42.5,
        "misconceptions": ("soft-hard-bounce-confused",),
        "choices": (("a", "4.2.2 mailbox full"), ("b", "5.1.1 user unknown")),
        "correct_pattern": "b",
    }
    fields.update(changes)
    return xs.AnswerRecord(**fields)


LESSON_TARGET = xs.lesson_activity(SCOPE, "bounces-and-complaints", "Bounces")

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "launched": lambda: xs.lesson_launched(SID, SCOPE, PERSON, "bounces-and-complaints",
                                           "Bounces", REG, AT),
    "experienced": lambda: xs.section_viewed(SID, SCOPE, PERSON, "bounces-and-complaints",
                                             "hard-and-soft-bounces", "Hard and soft", REG,
                                             AT),
    "completed": lambda: xs.lesson_completed(SID, SCOPE, PERSON, "bounces-and-complaints",
                                             "Bounces", REG, AT, 245.5),
    "answered": lambda: xs.item_answered(SID, SCOPE, PERSON, answer_record(), REG,
                                         "attempt-1", "lesson", AT),
    "rated": lambda: xs.pulse_given(SID, SCOPE, PERSON, "lesson", LESSON_TARGET, 4, 5,
                                    "Useful.", 0.61234, REG, AT),
    "assigned": lambda: xs.assigned(SID, SCOPE, PERSON, LESSON_TARGET, "lesson",
                                    "Next in Deliverability.", REG, AT),
    "became-due": lambda: xs.became_due(SID, SCOPE, PERSON, "bounce-hard-or-soft",
                                        AT + timedelta(days=2), REG, AT),
}
VERBS = {"launched": profile.LAUNCHED, "experienced": profile.EXPERIENCED,
         "completed": profile.COMPLETED, "answered": profile.ANSWERED, "rated": profile.RATED,
         "assigned": profile.ASSIGNED, "became-due": profile.BECAME_DUE}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_statement_has_the_required_parts(name: str) -> None:
    statement = BUILDERS[name]()
    assert statement["id"] == SID
    assert UUID.match(statement["id"])
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://learnloop.dev/xapi/organisations/northwind",
                    "name": "42"}}
    verb = VERBS[name]
    assert statement["verb"] == {"id": verb.id, "display": {"en-US": verb.display}}
    obj = statement["object"]
    assert obj["objectType"] == "Activity"
    assert obj["id"].startswith(profile.ACTIVITIES + "/northwind/marketing-essentials/")
    assert obj["definition"]["type"] in {t.value for t in ActivityType}
    assert profile.parse_activity(obj["id"]) is not None
    context = statement["context"]
    assert context["registration"] == REG
    assert context["contextActivities"]["grouping"][0] == {
        "objectType": "Activity",
        "id": profile.pack_id("northwind", "marketing-essentials"),
        "definition": {"type": ActivityType.PACK.value}}
    assert context["extensions"][Extension.PACK_VERSION.value] == 3
    assert statement["timestamp"] == "2026-11-02T09:30:15.123Z"
    assert "version" not in statement  # the LRS sets it
    assert "stored" not in statement
    assert "authority" not in statement


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_statements_are_plain_json(name: str) -> None:
    statement = BUILDERS[name]()
    assert json.loads(json.dumps(statement)) == statement


def test_builders_are_pure() -> None:
    for build in BUILDERS.values():
        assert build() == build()


def test_the_registration_is_optional_in_the_context() -> None:
    context = xs._context(SCOPE, None, [])
    assert "registration" not in context
    assert "parent" not in context["contextActivities"]


def test_lesson_launched_names_the_lesson() -> None:
    obj = BUILDERS["launched"]()["object"]
    assert obj["id"] == profile.lesson_id("northwind", "marketing-essentials",
                                          "bounces-and-complaints")
    assert obj["definition"] == {"type": ActivityType.LESSON.value, "name": {"en-US": "Bounces"}}


def test_section_viewed_has_its_lesson_as_parent() -> None:
    statement = BUILDERS["experienced"]()
    assert statement["object"]["id"].endswith(
        "/lessons/bounces-and-complaints/sections/hard-and-soft-bounces")
    assert statement["object"]["definition"]["type"] == ActivityType.SECTION.value
    parents = statement["context"]["contextActivities"]["parent"]
    assert [p["id"] for p in parents] == [
        profile.lesson_id("northwind", "marketing-essentials", "bounces-and-complaints")]


def test_lesson_completed_has_completion_and_duration() -> None:
    assert BUILDERS["completed"]()["result"] == {"completion": True, "duration": "PT4M5.5S"}


def test_item_answered_describes_the_interaction() -> None:
    statement = BUILDERS["answered"]()
    obj = statement["object"]
    assert obj["id"] == profile.variant_id("northwind", "marketing-essentials",
                                           "bounce-hard-or-soft", 4)
    definition = obj["definition"]
    assert definition["type"] == ActivityType.QUESTION.value
    assert definition["interactionType"] == "choice"
    assert definition["description"] == {"en-US": "Which of these bounces is hard?"}
    assert definition["choices"] == [
        {"id": "a", "description": {"en-US": "4.2.2 mailbox full"}},
        {"id": "b", "description": {"en-US": "5.1.1 user unknown"}}]
    assert definition["correctResponsesPattern"] == ["b"]
    assert "name" not in definition


def test_item_answered_result() -> None:
    result = BUILDERS["answered"]()["result"]
    assert result["response"] == "b"
    assert result["score"] == {"scaled": 0.0, "raw": 0.0, "min": 0, "max": 1}
    assert result["success"] is False
    assert result["completion"] is True
    assert result["duration"] == "PT42.5S"
    assert result["extensions"] == {
        Extension.MISCONCEPTIONS.value: ["soft-hard-bounce-confused"]}


def test_item_answered_context() -> None:
    context = BUILDERS["answered"]()["context"]
    activities = context["contextActivities"]
    assert [p["id"] for p in activities["parent"]] == [
        profile.family_id("northwind", "marketing-essentials", "bounce-hard-or-soft")]
    assert activities["parent"][0]["definition"]["type"] == ActivityType.ITEM_FAMILY.value
    assert [g["id"] for g in activities["grouping"]] == [
        profile.pack_id("northwind", "marketing-essentials"),
        profile.skill_id("northwind", "marketing-essentials", "deliverability")]
    assert activities["grouping"][1]["definition"]["type"] == ActivityType.SKILL.value
    assert context["extensions"] == {Extension.PACK_VERSION.value: 3,
                                     Extension.ATTEMPT.value: "attempt-1",
                                     Extension.VARIANT.value: 4,
                                     Extension.STEP_KIND.value: "lesson"}


def test_item_answered_rounds_the_score_and_records_criteria() -> None:
    record = answer_record(interaction_type="long-fill-in", choices=(), correct_pattern=None,
                           score=2 / 3, success=True, misconceptions=(),
                           criteria_met=("names-both-headers",),
                           criteria_missed=("mentions-dkim",), seconds=0.0)
    statement = xs.item_answered(SID, SCOPE, PERSON, record, REG, "a", "practice", AT)
    definition = statement["object"]["definition"]
    assert definition["interactionType"] == "long-fill-in"
    assert "choices" not in definition
    assert "correctResponsesPattern" not in definition
    result = statement["result"]
    assert result["score"]["scaled"] == 0.6667
    assert result["score"]["raw"] == 0.6667
    assert result["success"] is True
    assert result["duration"] == "PT0S"
    assert result["extensions"] == {Extension.CRITERIA_MET.value: ["names-both-headers"],
                                    Extension.CRITERIA_MISSED.value: ["mentions-dkim"]}


def test_item_answered_without_findings_has_no_extensions() -> None:
    record = answer_record(misconceptions=(), score=1.0, success=True)
    result = xs.item_answered(SID, SCOPE, PERSON, record, REG, "a", "lesson", AT)["result"]
    assert "extensions" not in result
    assert result["score"]["scaled"] == 1.0


def test_pulse_given_carries_the_ratings() -> None:
    statement = BUILDERS["rated"]()
    assert statement["object"] == LESSON_TARGET
    assert statement["result"] == {
        "extensions": {Extension.CONFIDENCE.value: 4, Extension.RELEVANCE.value: 5,
                       Extension.SENTIMENT.value: 0.6123},
        "response": "Useful."}
    assert statement["context"]["extensions"][Extension.PULSE_ON.value] == "lesson"


def test_pulse_given_without_comment_or_sentiment() -> None:
    target = xs.skill_activity(SCOPE, "deliverability", "Deliverability")
    statement = xs.pulse_given(SID, SCOPE, PERSON, "check", target, 2, 3, None, None, REG, AT)
    assert statement["result"] == {"extensions": {Extension.CONFIDENCE.value: 2,
                                                  Extension.RELEVANCE.value: 3}}
    assert statement["object"]["definition"] == {"type": ActivityType.SKILL.value,
                                                 "name": {"en-US": "Deliverability"}}


def test_assigned_gives_the_reason() -> None:
    statement = BUILDERS["assigned"]()
    assert statement["result"] == {"extensions": {
        Extension.REASON.value: "Next in Deliverability."}}
    assert statement["context"]["extensions"][Extension.STEP_KIND.value] == "lesson"


def test_became_due_gives_the_due_time() -> None:
    statement = BUILDERS["became-due"]()
    assert statement["object"]["id"] == profile.family_id("northwind", "marketing-essentials",
                                                          "bounce-hard-or-soft")
    assert statement["object"]["definition"]["type"] == ActivityType.ITEM_FAMILY.value
    assert statement["result"] == {"extensions": {
        Extension.DUE.value: "2026-11-04T09:30:15.123Z"}}


def test_an_activity_without_a_name_has_only_a_type() -> None:
    assert xs.activity("https://example.com/a", ActivityType.LESSON) == {
        "objectType": "Activity", "id": "https://example.com/a",
        "definition": {"type": ActivityType.LESSON.value}}
    assert xs.activity("x", ActivityType.LESSON, "")["definition"] == {
        "type": ActivityType.LESSON.value}


def test_verbs_have_english_displays() -> None:
    for verb in profile.VERBS:
        assert verb.as_json() == {"id": verb.id, "display": {"en-US": verb.display}}
        assert verb.id.startswith(("http://adlnet.gov/expapi/verbs/", profile.BASE + "/verbs/"))
    assert len({v.id for v in profile.VERBS}) == len(profile.VERBS)
