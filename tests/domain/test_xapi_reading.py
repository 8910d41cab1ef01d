"""Reading statements back: activity ids, actors, times and events, ours and outside tools'."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.learner.events import (
    Answered,
    Assigned,
    LessonCompleted,
    LessonLaunched,
    PulseGiven,
    SectionViewed,
)
from learnloop.domain.xapi import profile
from learnloop.domain.xapi import statements as xs
from learnloop.domain.xapi.profile import ActivityRef, Extension, parse_activity
from learnloop.domain.xapi.reading import ActorRef, actor_of, parse_time, read_event

AT = datetime(2026, 11, 2, 9, 30, 15, 123000, tzinfo=UTC)
ORG, PACK = "northwind", "marketing-essentials"
SCOPE = xs.Scope(ORG, PACK, 3)
SID = "2f1c6a5e-8c1b-4e7a-9d55-1f0a7c3b9e21"
REG = "6b8f2d4a-0c3e-4f71-8a9b-5d2e1c7f3a60"
ADL = "http://adlnet.gov/expapi/verbs/"
LESSON = profile.lesson_id(ORG, PACK, "bounces-and-complaints")
SECTION = profile.section_id(ORG, PACK, "bounces-and-complaints", "hard-and-soft-bounces")
ITEM = profile.family_id(ORG, PACK, "bounce-hard-or-soft")
VARIANT = profile.variant_id(ORG, PACK, "bounce-hard-or-soft", 3)
SKILL = profile.skill_id(ORG, PACK, "deliverability")


# -- activity ids (profile) --------------------------------------------------------------------


@pytest.mark.parametrize(("iri", "ref"), [
    (profile.pack_id(ORG, PACK), ActivityRef(ORG, PACK, "pack")),
    (LESSON, ActivityRef(ORG, PACK, "lesson", lesson="bounces-and-complaints")),
    (SECTION, ActivityRef(ORG, PACK, "section", lesson="bounces-and-complaints",
                          section="hard-and-soft-bounces")),
    (ITEM, ActivityRef(ORG, PACK, "item", family="bounce-hard-or-soft")),
    (VARIANT, ActivityRef(ORG, PACK, "variant", family="bounce-hard-or-soft", variant=3)),
    (SKILL, ActivityRef(ORG, PACK, "skill", skill="deliverability")),
])
def test_every_builder_id_round_trips(iri: str, ref: ActivityRef) -> None:
    assert iri.startswith("https://learnloop.dev/xapi/activities/northwind/")
    assert parse_activity(iri) == ref


slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)


@given(slugs, slugs, slugs, slugs, st.integers(min_value=0, max_value=999_999))
def test_any_slugs_round_trip(org: str, pack: str, a: str, b: str, variant: int) -> None:
    assert parse_activity(profile.pack_id(org, pack)) == ActivityRef(org, pack, "pack")
    assert parse_activity(profile.lesson_id(org, pack, a)) == \
        ActivityRef(org, pack, "lesson", lesson=a)
    assert parse_activity(profile.section_id(org, pack, a, b)) == \
        ActivityRef(org, pack, "section", lesson=a, section=b)
    assert parse_activity(profile.family_id(org, pack, a)) == \
        ActivityRef(org, pack, "item", family=a)
    assert parse_activity(profile.variant_id(org, pack, a, variant)) == \
        ActivityRef(org, pack, "variant", family=a, variant=variant)
    assert parse_activity(profile.skill_id(org, pack, b)) == \
        ActivityRef(org, pack, "skill", skill=b)


BASE = "https://learnloop.dev/xapi/activities"


@pytest.mark.parametrize("iri", [
    "",
    "https://learnloop.dev/xapi/activities",
    "https://learnloop.dev/xapi/activities/",
    f"{BASE}/northwind",  # no pack
    f"{BASE}/northwind/",  # an empty pack
    f"{BASE}//marketing-essentials",  # an empty organisation
    f"{BASE}/northwind/marketing-essentials/",  # a trailing slash
    f"{BASE}/northwind/marketing-essentials/lessons",  # the lesson is missing
    f"{BASE}/northwind/marketing-essentials/lessons/",
    f"{BASE}/northwind/marketing-essentials/lessons//sections/x",
    f"{BASE}/northwind/marketing-essentials/lessons/a/sections",
    f"{BASE}/northwind/marketing-essentials/lessons/a/sections/b/more",  # an extra segment
    f"{BASE}/northwind/marketing-essentials/lessons/a/extra",
    f"{BASE}/northwind/marketing-essentials/items/f/variants",
    f"{BASE}/northwind/marketing-essentials/items/f/variants/",
    f"{BASE}/northwind/marketing-essentials/items/f/variants/x1",  # not digits
    f"{BASE}/northwind/marketing-essentials/items/f/variants/-1",
    f"{BASE}/northwind/marketing-essentials/items/f/variants/1.5",
    f"{BASE}/northwind/marketing-essentials/items/f/variants/ 1",
    f"{BASE}/northwind/marketing-essentials/items/f/variants/\u00b2",  # a superscript two
    f"{BASE}/northwind/marketing-essentials/items/f/variants/\u0663",  # an Arabic-Indic three
    f"{BASE}/northwind/marketing-essentials/items/f/variants/1234567",  # too big
    f"{BASE}/northwind/marketing-essentials/items/f/variants/{'9' * 400}",
    f"{BASE}/northwind/marketing-essentials/items/f/variants/3/more",
    f"{BASE}/northwind/marketing-essentials/items/f/other/3",
    f"{BASE}/northwind/marketing-essentials/skills",
    f"{BASE}/northwind/marketing-essentials/skills/a/b",
    f"{BASE}/northwind/marketing-essentials/widgets/a",
    f"{BASE}/northwind/marketing-essentials/Lessons/a",  # segment names are exact
    "https://example.com/xapi/activities/northwind/marketing-essentials/lessons/a",
    "http://learnloop.dev/xapi/activities/northwind/marketing-essentials",  # not https
    "https://learnloop.dev.evil.com/xapi/activities/northwind/marketing-essentials",
    "https://learnloop.dev/xapi/activitiesx/northwind/marketing-essentials",
    "https://learnloop.dev/xapi/verbs/rated",
    "https://LEARNLOOP.dev/xapi/activities/northwind/marketing-essentials",
    "urn:uuid:2f1c6a5e-8c1b-4e7a-9d55-1f0a7c3b9e21",
    " https://learnloop.dev/xapi/activities/northwind/marketing-essentials",
])
def test_malformed_or_foreign_ids_are_not_ours(iri: str) -> None:
    assert parse_activity(iri) is None


def test_the_largest_variant_number_accepted() -> None:
    ref = parse_activity(profile.variant_id(ORG, PACK, "f", 999_999))
    assert ref is not None
    assert ref.variant == 999_999
    assert parse_activity(f"{ITEM}/variants/007") == ActivityRef(ORG, PACK, "variant",
                                                                 family="bounce-hard-or-soft",
                                                                 variant=7)


@given(st.text())
def test_parse_activity_never_raises_on_any_text(text: str) -> None:
    ref = parse_activity(text)
    assert ref is None or text.startswith(profile.ACTIVITIES + "/")


segments = st.text(max_size=6) | st.sampled_from(
    ["", "0", "12", "007", "999999", "1234567", "-1", "\u00b2", "\u0663", "\uff11", "a b"])
SHAPES: list[tuple[str | int, ...]] = [
    (), ("lessons", 0), ("lessons", 0, "sections", 1), ("items", 0),
    ("items", 0, "variants", 1), ("skills", 0), ("lessons", 0, "sections", 1, 0),
    ("items", 0, "variants", 1, "variants", 0)]  # an int is a slot for a generated segment


@given(segments, segments, st.sampled_from(SHAPES), segments, segments)
def test_parse_activity_never_raises_on_our_prefix_and_any_segments(
        org: str, pack: str, shape: tuple[str | int, ...], a: str, b: str) -> None:
    parts = [org, pack, *(p if isinstance(p, str) else (a, b)[p] for p in shape)]
    iri = profile.ACTIVITIES + "/" + "/".join(parts)
    ref = parse_activity(iri)
    if ref is None:
        return
    assert ref.org
    assert ref.pack
    assert "/" not in ref.org + ref.pack
    if ref.variant is not None:
        assert 0 <= ref.variant < 1_000_000
        number = iri.rsplit("/", 1)[1]
        assert number.isascii()
        assert int(number) == ref.variant


# -- actors ------------------------------------------------------------------------------------


def test_our_actor_is_an_account() -> None:
    statement = {"actor": xs.agent(ORG, 42)}
    assert actor_of(statement) == ActorRef(
        account_home="https://learnloop.dev/xapi/organisations/northwind", account_name="42")


@pytest.mark.parametrize("mbox", ["mailto:ann@example.com", "MAILTO:Ann@Example.COM",
                                  "Mailto: ann@EXAMPLE.com "])
def test_an_email_actor_is_case_insensitive(mbox: str) -> None:
    assert actor_of({"actor": {"objectType": "Agent", "mbox": mbox}}) == \
        ActorRef(mbox="ann@example.com")


def test_an_account_wins_over_an_email() -> None:
    actor = {"account": {"homePage": "https://hr.example.com", "name": "ann"},
             "mbox": "mailto:ann@example.com"}
    assert actor_of({"actor": actor}) == ActorRef(account_home="https://hr.example.com",
                                                  account_name="ann")


def test_a_half_account_falls_back_to_the_email() -> None:
    actor = {"account": {"homePage": "https://hr.example.com", "name": 7},
             "mbox": "mailto:ann@example.com"}
    assert actor_of({"actor": actor}) == ActorRef(mbox="ann@example.com")


@pytest.mark.parametrize("actor", [
    None, "ann@example.com", 42, ["mailto:ann@example.com"], {},
    {"mbox": "ann@example.com"}, {"mbox": 42}, {"mbox_sha1sum": "abc"},
    {"openid": "https://example.com/ann"}, {"account": "ann"},
    {"account": {"homePage": "https://hr.example.com"}},
    {"account": {"name": "ann"}},
    {"objectType": "Group", "member": [{"mbox": "mailto:ann@example.com"}]},
])
def test_unknown_actors_are_none(actor: object) -> None:
    assert actor_of({"actor": actor}) is None


def test_a_statement_without_an_actor_has_none() -> None:
    assert actor_of({}) is None


# -- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "moment"), [
    ("2026-11-02T09:30:15.123Z", AT),
    ("2026-11-02T09:30:15.123+00:00", AT),
    ("2026-11-02T10:30:15.123+01:00", AT),
    ("2026-11-02T04:30:15.123-05:00", AT),
    ("2026-11-02T09:30:15.123", AT),  # naive: read as UTC
    ("2026-11-02", datetime(2026, 11, 2, tzinfo=UTC)),
])
def test_parse_time_reads_iso_8601_into_utc(text: str, moment: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == moment
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", [
    None, 1730539815, 1.5, ["2026-11-02"], {}, True, "", "yesterday", "2026-13-01T00:00:00Z",
    "2026-11-02T25:00:00Z", "02/11/2026", "2026-11-02T09:30:15+25:00", "\x00",
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
])
def test_parse_time_garbage_is_none(text: object) -> None:
    assert parse_time(text) is None


def test_parse_time_at_the_edges_of_the_calendar() -> None:
    assert parse_time("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)
    assert parse_time("9999-12-31T23:59:59Z") == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


# -- our own statements ------------------------------------------------------------------------


def record(**changes: Any) -> xs.AnswerRecord:
    fields: dict[str, Any] = {
        "family": "bounce-hard-or-soft", "variant": 3, "skill": "deliverability",
        "interaction_type": "choice", "stem": "Which bounce is hard?", "response": "b",
        "score": 0.0, "success": False, "seconds": 20.0,
        "misconceptions": ("soft-hard-bounce-confused",)}
    fields.update(changes)
    return xs.AnswerRecord(**fields)


def test_our_lesson_statements_read_back() -> None:
    launched = xs.lesson_launched(SID, SCOPE, 1, "bounces-and-complaints", "B", REG, AT)
    viewed = xs.section_viewed(SID, SCOPE, 1, "bounces-and-complaints",
                               "hard-and-soft-bounces", "H", REG, AT)
    completed = xs.lesson_completed(SID, SCOPE, 1, "bounces-and-complaints", "B", REG, AT, 60)
    assert read_event(launched) == (ORG, LessonLaunched(PACK, "bounces-and-complaints", AT))
    assert read_event(viewed) == (ORG, SectionViewed(PACK, "bounces-and-complaints",
                                                     "hard-and-soft-bounces", AT))
    assert read_event(completed) == (ORG, LessonCompleted(PACK, "bounces-and-complaints", AT))


def test_our_answers_read_back_with_variant_score_and_misconceptions() -> None:
    wrong = xs.item_answered(SID, SCOPE, 1, record(), REG, "a1", "lesson", AT)
    assert read_event(wrong) == (ORG, Answered(PACK, "bounce-hard-or-soft", 3, AT, 0.0, False,
                                               ("soft-hard-bounce-confused",)))
    partial = xs.item_answered(SID, SCOPE, 1, record(score=0.6667, success=True,
                                                     misconceptions=()), REG, "a2",
                               "practice", AT)
    assert read_event(partial) == (ORG, Answered(PACK, "bounce-hard-or-soft", 3, AT, 0.6667,
                                                 True, ()))


def test_our_pulses_read_back() -> None:
    lesson_target = xs.lesson_activity(SCOPE, "bounces-and-complaints", "B")
    on_lesson = xs.pulse_given(SID, SCOPE, 1, "lesson", lesson_target, 2, 5, "ok", -0.25,
                               REG, AT)
    assert read_event(on_lesson) == (ORG, PulseGiven(PACK, "lesson", "bounces-and-complaints",
                                                     None, AT, 2, 5, -0.25))
    skill_target = xs.skill_activity(SCOPE, "deliverability")
    on_check = xs.pulse_given(SID, SCOPE, 1, "check", skill_target, 4, 3, None, None, REG, AT)
    assert read_event(on_check) == (ORG, PulseGiven(PACK, "check", None, "deliverability", AT,
                                                    4, 3, None))


def test_our_assignment_reads_back_and_became_due_changes_nothing() -> None:
    target = xs.lesson_activity(SCOPE, "bounces-and-complaints")
    assigned = xs.assigned(SID, SCOPE, 1, target, "lesson", "Next.", REG, AT)
    assert read_event(assigned) == (ORG, Assigned(PACK, AT))
    due = xs.became_due(SID, SCOPE, 1, "bounce-hard-or-soft", AT + timedelta(days=1), REG, AT)
    assert read_event(due) is None


# -- outside statements ------------------------------------------------------------------------


def outside(verb: str, iri: str, result: object = None, **more: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": verb if verb.startswith("http") else ADL + verb},
        "object": {"id": iri},
        "timestamp": "2026-11-02T09:30:15.123Z",
    }
    if result is not None:
        statement["result"] = result
    statement.update(more)
    return statement


def answered_of(statement: dict[str, Any]) -> Answered:
    read = read_event(statement)
    assert read is not None
    org, event = read
    assert org == ORG
    assert isinstance(event, Answered)
    return event


ANSWER_VERBS = ["answered", "attempted", "passed", "failed", "responded"]


@pytest.mark.parametrize("verb", ANSWER_VERBS)
@pytest.mark.parametrize(("iri", "variant"), [(ITEM, None), (VARIANT, 3)])
def test_an_outside_answer_with_success_only(verb: str, iri: str, variant: int | None) -> None:
    right = answered_of(outside(verb, iri, {"success": True}))
    assert (right.family, right.variant, right.score, right.success) == \
        ("bounce-hard-or-soft", variant, 1.0, True)
    wrong = answered_of(outside(verb, iri, {"success": False}))
    assert (wrong.score, wrong.success) == (0.0, False)
    assert wrong.misconceptions == ()
    assert wrong.at == AT


@pytest.mark.parametrize("verb", ANSWER_VERBS)
@pytest.mark.parametrize(("scaled", "score", "success"), [
    (0.8, 0.8, True), (0.5, 0.5, True), (0.49, 0.49, False), (0, 0.0, False),
    (1, 1.0, True), (1.7, 1.0, True), (-0.3, 0.0, False), (10**6, 1.0, True),
    (-(10**6), 0.0, False),
])
def test_an_outside_answer_with_a_score_only(verb: str, scaled: float, score: float,
                                             success: bool) -> None:
    event = answered_of(outside(verb, VARIANT, {"score": {"scaled": scaled}}))
    assert event.score == score
    assert event.success is success


def test_success_and_score_together_are_both_kept() -> None:
    event = answered_of(outside("passed", ITEM, {"success": False, "score": {"scaled": 0.7}}))
    assert (event.score, event.success) == (0.7, False)


HUGE = pytest.param(10**400, id="huge-int")
MINUS_HUGE = pytest.param(-(10**400), id="minus-huge-int")


@pytest.mark.parametrize("scaled", [math.nan, math.inf, -math.inf, True, False, "0.8", None,
                                    [0.8], {"value": 0.8}, HUGE, MINUS_HUGE])
def test_a_score_that_is_not_a_finite_number_is_ignored(scaled: object) -> None:
    assert read_event(outside("answered", ITEM, {"score": {"scaled": scaled}})) is None
    event = answered_of(outside("answered", ITEM, {"score": {"scaled": scaled},
                                                   "success": True}))
    assert (event.score, event.success) == (1.0, True)


@pytest.mark.parametrize("result", [
    {}, {"completion": True}, {"response": "b"}, {"score": {"raw": 8, "max": 10}},
    {"score": 0.8}, {"success": "true"}, {"success": 1}, "passed", [True], 0.9,
])
def test_an_outside_answer_without_success_or_scaled_score_is_ignored(result: object) -> None:
    for verb in ANSWER_VERBS:
        assert read_event(outside(verb, ITEM, result)) is None
    assert read_event(outside("answered", ITEM)) is None  # no result at all


def test_outside_misconceptions_keep_only_strings() -> None:
    extensions = {Extension.MISCONCEPTIONS.value: ["a", 3, None, "b", {"c": 1}]}
    event = answered_of(outside("answered", ITEM, {"success": False,
                                                   "extensions": extensions}))
    assert event.misconceptions == ("a", "b")
    for odd in ("a", {"a": 1}, 3, None):
        event = answered_of(outside("answered", ITEM, {
            "success": False, "extensions": {Extension.MISCONCEPTIONS.value: odd}}))
        assert event.misconceptions == ()
    event = answered_of(outside("answered", ITEM, {"success": False, "extensions": [1]}))
    assert event.misconceptions == ()


@pytest.mark.parametrize("verb", [*ANSWER_VERBS, "completed", "launched", "experienced"])
@pytest.mark.parametrize("iri", [profile.pack_id(ORG, PACK), SKILL])
def test_answers_on_things_that_are_not_items_are_ignored(verb: str, iri: str) -> None:
    assert read_event(outside(verb, iri, {"success": True})) is None


@pytest.mark.parametrize("verb", ["completed", "launched", "experienced", "scored",
                                  "http://example.com/verbs/answered", "mastered"])
def test_other_verbs_on_items_are_ignored(verb: str) -> None:
    assert read_event(outside(verb, ITEM, {"success": True, "score": {"scaled": 1}})) is None


def test_outside_lesson_completion_and_launch() -> None:
    assert read_event(outside("completed", LESSON)) == \
        (ORG, LessonCompleted(PACK, "bounces-and-complaints", AT))
    assert read_event(outside("completed", LESSON, {"completion": True, "success": False})) == \
        (ORG, LessonCompleted(PACK, "bounces-and-complaints", AT))
    assert read_event(outside("launched", LESSON)) == \
        (ORG, LessonLaunched(PACK, "bounces-and-complaints", AT))


@pytest.mark.parametrize("iri", [SECTION, ITEM, VARIANT, SKILL, profile.pack_id(ORG, PACK)])
def test_completed_and_launched_only_count_on_lessons(iri: str) -> None:
    assert read_event(outside("completed", iri)) is None
    assert read_event(outside("launched", iri)) is None


def test_experienced_counts_on_sections_only() -> None:
    assert read_event(outside("experienced", SECTION)) == \
        (ORG, SectionViewed(PACK, "bounces-and-complaints", "hard-and-soft-bounces", AT))
    assert read_event(outside("experienced", LESSON)) is None
    assert read_event(outside("experienced", ITEM)) is None


def rated(confidence: object, relevance: object, iri: str = LESSON, sentiment: object = None,
          on: object = None) -> dict[str, Any]:
    extensions: dict[str, Any] = {Extension.CONFIDENCE.value: confidence,
                                  Extension.RELEVANCE.value: relevance}
    if sentiment is not None:
        extensions[Extension.SENTIMENT.value] = sentiment
    statement = outside(profile.RATED.id, iri, {"extensions": extensions})
    if on is not None:
        statement["context"] = {"extensions": {Extension.PULSE_ON.value: on}}
    return statement


def pulse_of(statement: dict[str, Any]) -> PulseGiven:
    read = read_event(statement)
    assert read is not None
    assert isinstance(read[1], PulseGiven)
    return read[1]


def test_a_rating_on_a_lesson_or_skill_is_a_pulse() -> None:
    on_lesson = pulse_of(rated(1, 5))
    assert (on_lesson.on, on_lesson.lesson, on_lesson.skill) == \
        ("lesson", "bounces-and-complaints", None)
    assert (on_lesson.confidence, on_lesson.relevance, on_lesson.sentiment) == (1, 5, None)
    on_skill = pulse_of(rated(5, 1, SKILL, sentiment=0.5))
    assert (on_skill.on, on_skill.lesson, on_skill.skill, on_skill.sentiment) == \
        ("check", None, "deliverability", 0.5)


def test_the_pulse_context_says_what_it_was_on() -> None:
    assert pulse_of(rated(3, 3, SKILL, on="lesson")).on == "lesson"
    assert pulse_of(rated(3, 3, LESSON, on="check")).on == "check"
    assert pulse_of(rated(3, 3, LESSON, on="something-else")).on == "lesson"
    assert pulse_of(rated(3, 3, SKILL, on=["check"])).on == "check"


@pytest.mark.parametrize(("confidence", "relevance"), [
    (0, 3), (6, 3), (3, 0), (3, 6), (-1, 3), (3.0, 3), (3, 2.5), (True, 3), (3, False),
    ("3", 3), (None, 3), (3, None), pytest.param(10**400, 3, id="huge-int"), (math.nan, 3),
])
def test_a_rating_out_of_range_or_of_the_wrong_type_is_ignored(confidence: object,
                                                              relevance: object) -> None:
    assert read_event(rated(confidence, relevance)) is None


@pytest.mark.parametrize("sentiment", ["0.5", True, [0.5], math.nan, math.inf, -math.inf,
                                       HUGE, MINUS_HUGE])
def test_a_sentiment_that_is_not_a_finite_number_is_dropped(sentiment: object) -> None:
    assert pulse_of(rated(3, 4, sentiment=sentiment)).sentiment is None


@pytest.mark.parametrize("iri", [SECTION, ITEM, VARIANT, profile.pack_id(ORG, PACK)])
def test_ratings_on_other_activities_are_ignored(iri: str) -> None:
    assert read_event(rated(3, 3, iri)) is None


def test_an_assignment_on_any_of_our_activities_is_read() -> None:
    for iri in (LESSON, ITEM, SKILL, profile.pack_id(ORG, PACK)):
        assert read_event(outside(profile.ASSIGNED.id, iri)) == (ORG, Assigned(PACK, AT))


# -- wrong types everywhere --------------------------------------------------------------------


def test_a_naive_timestamp_is_utc() -> None:
    statement = outside("completed", LESSON, timestamp="2026-11-02T09:30:15.123")
    assert read_event(statement) == (ORG, LessonCompleted(PACK, "bounces-and-complaints", AT))


def test_an_offset_timestamp_becomes_utc() -> None:
    statement = outside("completed", LESSON, timestamp="2026-11-02T11:30:15.123+02:00")
    read = read_event(statement)
    assert read is not None
    assert read[1] == LessonCompleted(PACK, "bounces-and-complaints", AT)
    assert read[1].at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("timestamp", [None, "garbage", 1730539815, "", [], {},
                                       "0001-01-01T00:00:00+05:00"])
def test_a_statement_without_a_usable_timestamp_is_ignored(timestamp: object) -> None:
    assert read_event(outside("completed", LESSON, timestamp=timestamp)) is None


@pytest.mark.parametrize("verb", [None, "answered", {}, {"id": None}, {"id": 3}, [ADL],
                                  {"display": {"en-US": "answered"}}])
def test_a_missing_or_broken_verb_is_ignored(verb: object) -> None:
    statement = outside("answered", ITEM, {"success": True})
    statement["verb"] = verb
    assert read_event(statement) is None


@pytest.mark.parametrize("obj", [
    None, ITEM, [ITEM], {}, {"id": None}, {"id": 5},
    {"objectType": "SubStatement", "id": ITEM},
    {"objectType": "Agent", "id": ITEM, "mbox": "mailto:a@example.com"},
    {"objectType": "StatementRef", "id": ITEM},
    {"objectType": "Group", "id": ITEM},
    {"objectType": None, "id": ITEM},
    {"objectType": ["Activity"], "id": ITEM},
    {"id": "https://example.com/items/bounce-hard-or-soft"},
])
def test_an_object_that_is_not_one_of_our_activities_is_ignored(obj: object) -> None:
    statement = outside("answered", ITEM, {"success": True})
    statement["object"] = obj
    assert read_event(statement) is None


def test_an_explicit_activity_object_type_is_read() -> None:
    statement = outside("answered", ITEM, {"success": True})
    statement["object"] = {"objectType": "Activity", "id": ITEM}
    assert answered_of(statement).success is True


@pytest.mark.parametrize("part", ["result", "context"])
@pytest.mark.parametrize("value", [None, "x", 3, [1, 2], {"extensions": "x"},
                                   {"extensions": [1]}])
def test_a_broken_result_or_context_never_raises(part: str, value: object) -> None:
    for statement in (outside("answered", ITEM), rated(3, 3),
                      outside("completed", LESSON)):
        statement[part] = value
        read_event(statement)  # may or may not be an event; must not raise
    lesson = outside("completed", LESSON)
    lesson[part] = value
    assert read_event(lesson) == (ORG, LessonCompleted(PACK, "bounces-and-complaints", AT))


def test_actor_of_and_read_event_ignore_a_wrong_actor() -> None:
    statement = outside("completed", LESSON)
    statement["actor"] = "ann"
    assert actor_of(statement) is None
    assert read_event(statement) is not None  # the actor is matched elsewhere


# -- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)

KEYS = ["id", "actor", "verb", "object", "result", "context", "timestamp", "objectType",
        "score", "scaled", "success", "extensions", "mbox", "account", "homePage", "name",
        *[e.value for e in Extension]]
near_keys = st.sampled_from(KEYS) | st.text(max_size=8)
near_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from([10**400, -(10**400), math.nan, math.inf])
    | st.sampled_from([ITEM, VARIANT, LESSON, SECTION, SKILL, "Activity", "SubStatement",
                       "2026-11-02T09:30:15Z", "0001-01-01T00:00:00+01:00", "mailto:A@B.C",
                       f"{ITEM}/variants/\u00b2", *[v.id for v in profile.VERBS],
                       *[ADL + v for v in ANSWER_VERBS]]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(near_keys, inner, max_size=5),
    max_leaves=25)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_read_event_never_raises_on_any_json_object(statement: dict[str, Any]) -> None:
    read_event(statement)
    actor_of(statement)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid shape, sometimes anything."""
    return st.one_of(valid, valid, valid, near_values)


extensions = st.dictionaries(st.sampled_from([e.value for e in Extension]), near_values,
                             max_size=4)
statements = st.fixed_dictionaries({}, optional={
    "actor": maybe(st.fixed_dictionaries({}, optional={
        "mbox": near_values, "account": maybe(st.fixed_dictionaries({}, optional={
            "homePage": near_values, "name": near_values}))})),
    "verb": maybe(st.fixed_dictionaries({"id": st.sampled_from(
        [v.id for v in profile.VERBS] + [ADL + v for v in ANSWER_VERBS])})),
    "object": maybe(st.fixed_dictionaries(
        {"id": st.sampled_from([ITEM, VARIANT, LESSON, SECTION, SKILL,
                                profile.pack_id(ORG, PACK), f"{ITEM}/variants/\u00b2"])},
        optional={"objectType": st.sampled_from(["Activity", "SubStatement", "Agent"])})),
    "timestamp": maybe(st.sampled_from([
        "2026-11-02T09:30:15Z", "2026-11-02T09:30:15", "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00", "2026-02-30T00:00:00Z"])),
    "result": maybe(st.fixed_dictionaries({}, optional={
        "success": near_values, "extensions": maybe(extensions),
        "score": maybe(st.fixed_dictionaries({}, optional={"scaled": near_values}))})),
    "context": maybe(st.fixed_dictionaries({}, optional={"extensions": maybe(extensions)})),
})


@given(st.one_of(st.dictionaries(near_keys, near_values, max_size=8), statements))
def test_read_event_never_raises_on_statement_like_json(statement: dict[str, Any]) -> None:
    read = read_event(statement)
    actor_of(statement)
    if read is not None:
        org, event = read
        assert isinstance(org, str)
        assert event.at.utcoffset() == timedelta(0)
        if isinstance(event, Answered):
            assert 0.0 <= event.score <= 1.0
            assert isinstance(event.success, bool)
            assert all(isinstance(m, str) for m in event.misconceptions)
        if isinstance(event, PulseGiven):
            assert 1 <= event.confidence <= 5
            assert 1 <= event.relevance <= 5
            assert event.sentiment is None or math.isfinite(event.sentiment)
            assert event.on in ("lesson", "check")


@given(st.sampled_from(ANSWER_VERBS), st.sampled_from([ITEM, VARIANT]),
       st.one_of(st.none(), st.booleans()),
       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3),
                 st.sampled_from([10**400, -(10**400)])))
def test_outside_answers_are_read_when_and_only_when_they_carry_an_outcome(
        verb: str, iri: str, success: bool | None, scaled: object) -> None:
    result: dict[str, Any] = {"score": {"scaled": scaled}}
    if success is not None:
        result["success"] = success
    read = read_event(outside(verb, iri, result))
    usable_score = isinstance(scaled, int | float) and not isinstance(scaled, bool) and \
        abs(scaled) < 1e308  # finite, and an int that fits a float
    if success is None and not usable_score:
        assert read is None
        return
    assert read is not None
    event = read[1]
    assert isinstance(event, Answered)
    assert 0.0 <= event.score <= 1.0
    if success is not None:
        assert event.success is success
    else:
        assert event.success is (event.score >= 0.5)
