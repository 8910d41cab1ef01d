"""The audience language: parsing with every problem reported, matching one contact, and the
search behind `can_include` and `analyse` (docs/audience.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.audience import (
    MAX_CHARS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    Audience,
    AudienceAnalysis,
    Kind,
    Part,
    analyse,
    can_include,
    cutoff,
    describe,
    example,
    matches,
    parse_audience,
    read_value,
)
from learnloop.domain.problems import Problem, Severity

TODAY = date(2025, 6, 15)
FUZZ = settings(database=None, deadline=None, max_examples=300,
                suppress_health_check=[HealthCheck.too_slow])

NEWSLETTER = """\
# The monthly newsletter
include: lists contains "newsletter" and email_consent in (granted, soft_opt_in)
exclude: unsubscribed = true or hard_bounced = true or complained = true
exclude: suppression_lists is set
exclude: last_engaged older than 12 months
exclude: last_engaged is not set and created older than 12 months
"""


def one(text: str) -> Audience:
    return parse_audience(text, "audience.txt")


def problems(data: object) -> list[Problem]:
    with pytest.raises(InvalidInput) as raised:
        parse_audience(data, "audience.txt")
    return raised.value.problems


def error(message: str, line: int | None = 1, field: str | None = "include[1]") -> Problem:
    return Problem("audience.txt", message, line, field, Severity.ERROR)


# --- Parsing ------------------------------------------------------------------------------


def test_the_text_form_keeps_lines_numbers_and_sources() -> None:
    audience = one(NEWSLETTER)
    assert [(c.part, c.number, c.line) for c in audience.conditions] == [
        (Part.INCLUDE, 1, 2), (Part.EXCLUDE, 1, 3), (Part.EXCLUDE, 2, 4), (Part.EXCLUDE, 3, 5),
        (Part.EXCLUDE, 4, 6)]
    assert audience.excludes[1].source == "suppression_lists is set"
    assert audience.excludes[1].label == "exclude[2]"
    assert audience.warnings == ()
    assert audience.fields["lists"] is Kind.LIST


def test_the_mapping_form_means_the_same_as_the_text_form() -> None:
    mapping = parse_audience({
        "include": 'lists contains "newsletter" and email_consent in (granted, soft_opt_in)',
        "exclude": ["unsubscribed = true or hard_bounced = true or complained = true",
                    "suppression_lists is set", "last_engaged older than 12 months",
                    "last_engaged is not set and created older than 12 months"],
    }, "campaign.yaml")
    assert describe(mapping) == describe(one(NEWSLETTER))
    assert [c.line for c in mapping.conditions] == [None] * 5


def test_the_adapter_can_give_the_lines_of_a_mapping() -> None:
    lines = {("include", 0): 7, ("include", 1): 8, ("exclude",): 10}
    audience = parse_audience({"include": ["tags contains vip", "tags contains gold"],
                               "exclude": "unsubscribed = true"}, "campaign.yaml",
                              line_of=lambda path: lines.get(path))
    assert [c.line for c in audience.conditions] == [7, 8, 10]


def test_describe_renders_one_normalised_line_per_condition() -> None:
    audience = one("include:   COUNTRY_code  ==  'GB' AND (tags contains vip OR score>=5)\n"
                   "exclude: not (last_engaged within 1 day)\n"
                   "Exclude : created older than 2 weeks")
    assert describe(audience) == (
        'include: COUNTRY_code = "GB" and (tags contains vip or score >= 5)\n'
        "exclude: not last_engaged within 1 day\n"
        "exclude: created older than 2 weeks")


def test_describe_says_everyone_when_there_are_no_include_lines() -> None:
    assert describe(one("exclude: unsubscribed = true")) == (
        "include: everyone\nexclude: unsubscribed = true")


def test_null_and_empty_keys_are_no_conditions() -> None:
    audience = parse_audience({"include": None, "exclude": ["complained = true"]}, "c.yaml")
    assert audience.includes == ()
    assert len(audience.excludes) == 1


@pytest.mark.parametrize(("condition", "message"), [
    ("unsubscribed = maybe", "`unsubscribed = maybe`: unsubscribed is true or false"),
    ('last_engaged > "soon"', '`last_engaged > "soon"`: last_engaged is a date: write it as '
     "YYYY-MM-DD (e.g. 2025-01-31), or use `last_engaged within 90 days` / `last_engaged "
     "older than 6 months`"),
    ("email_consent = yes", "`email_consent = yes`: email_consent is one of granted, "
     "soft_opt_in, denied, unknown"),
    ("created > 2024-02-30", "`created > 2024-02-30`: 2024-02-30 is not a date"),
    ("lists = newsletter", '`lists = newsletter`: lists is a list: write `lists contains "x"` '
     "(or `not contains`), or `lists is set`"),
    ("unsubscribed < true", "`unsubscribed < true`: < compares dates or numbers, and "
     "unsubscribed is true or false"),
    ("country within 3 days", "`country within 3 days`: within counts back from today on a "
     "date field, and country is text"),
    ("email_consent contains grant", "`email_consent contains grant`: email_consent is one "
     "of granted, soft_opt_in, denied, unknown: compare it with = or in"),
    ("hard_bounced contains true", "`hard_bounced contains true`: contains needs a text or "
     "list field, and hard_bounced is true or false"),
    ("country = GBR", "`country = GBR`: country is a two-letter ISO 3166 code, such as GB or "
     "DE"),
    ('email = ""', '`email = ""`: an empty value never matches: use `is not set` for a '
     "missing value"),
    ("score = high or score > 5", "`score > 5`: > compares dates or numbers, but score is also "
     "compared with text, so it is read as text"),
])
def test_a_value_of_the_wrong_type_is_an_error_naming_the_comparison(condition: str,
                                                                     message: str) -> None:
    found = [p for p in problems(f"include: {condition}") if p.is_error]
    assert found == [error(message)]


@pytest.mark.parametrize(("condition", "message"), [
    ("(unsubscribed = true", "expected `)`, found the end of the condition"),
    ("unsubscribed true", "expected an operator after `unsubscribed` (=, !=, in, not in, <, "
     "<=, >, >=, is set, is not set, contains, within, older than), found `true`"),
    ("unsubscribed =", "expected a value after `unsubscribed =`, found the end of the "
     "condition"),
    ("= true", "expected a field name, found `=`"),
    ("and = 1", "expected a field name, found `and`"),
    ("2x = 1", "`2x` is not a field name: use letters, digits, _ and ., starting with a "
     "letter"),
    ("country = GB DE", "expected and, or or the end of the condition, found `DE`"),
    ("country in GB, DE", "put the values after `country in` in parentheses, e.g. "
     "`country in (a, b)`"),
    ("country in (GB DE)", "expected `,` or `)` in the list after `country in`, found `DE`"),
    ("country in ()", "expected a value after `country in (`, found `)`"),
    ("country not GB", "expected `in` or `contains` after `country not`, found `GB`"),
    ("tags is empty", "expected `set` or `not set` after `tags is`, found `empty`"),
    ("last_engaged within soon", "expected a whole number after `last_engaged within`, e.g. "
     "`last_engaged within 90 days`, found `soon`"),
    ("last_engaged within 3 fortnights", "expected days, weeks, months or years after "
     "`last_engaged within 3`, found `fortnights`"),
    ("last_engaged within 10001 days", "`last_engaged within 10001` is too far back: use at "
     "most 10,000"),
    ("last_engaged older 3 days", "expected `than` after `last_engaged older`, found `3`"),
    ('email = "test', "a quoted value is not closed: add the closing \""),
    ("unsubscribed ! true", "`!` on its own means nothing here: write `!=` for not equal, or "
     "the word not"),
    ("tags contains a && tags contains b", "write `and` instead of `&&`"),
    ("tags contains a\x07b", "the condition contains a control character; remove it"),
])
def test_a_syntax_error_names_what_was_expected(condition: str, message: str) -> None:
    assert problems(f"include: {condition}") == [error(message)]


def test_every_problem_is_reported_in_order_of_the_lines() -> None:
    text = ("include: unsubscribed = maybe\n"
            "# a comment\n"
            "exclude: (complained = true\n"
            "include: unsubcribed = true\n"
            "excluded: tags contains x\n"
            "include:   # nothing here\n")
    assert problems(text) == [
        error("`unsubscribed = maybe`: unsubscribed is true or false"),
        error("expected `)`, found the end of the condition", 3, "exclude[1]"),
        Problem("audience.txt", "unknown field `unsubcribed`; did you mean unsubscribed?", 4,
                "include[2]", Severity.WARNING),
        error("each line starts with `include:` or `exclude:` (did you mean `exclude:`?)", 5,
              None),
        error("`include:` has no condition after it", 6, "include[3]"),
    ]


def test_unknown_fields_are_custom_fields_with_a_warning() -> None:
    audience = one("include: plan = gold and score > 5\nexclude: vip = true")
    assert audience.warnings == (
        Problem("audience.txt", "`plan` is not a standard field: it is read as a custom field "
                "of the contact (text or list)", 1, "include[1]", Severity.WARNING),
        Problem("audience.txt", "`score` is not a standard field: it is read as a custom field "
                "of the contact (number)", 1, "include[1]", Severity.WARNING),
        Problem("audience.txt", "`vip` is not a standard field: it is read as a custom field "
                "of the contact (true or false)", 2, "exclude[1]", Severity.WARNING),
    )
    assert audience.fields == {"plan": Kind.TEXT_OR_LIST, "score": Kind.NUMBER,
                               "vip": Kind.BOOL}


def test_uk_is_accepted_with_a_warning() -> None:
    assert one("include: country = UK").warnings == (
        Problem("audience.txt", "`country = UK`: UK is not an ISO 3166 code: the United Kingdom "
                "is GB (keep UK only if your contact data really stores it)", 1, "include[1]",
                Severity.WARNING),)


def test_warnings_come_with_the_errors() -> None:
    found = problems("include: unsubcribed = true\ninclude: hard_bounced = 2")
    assert [p.severity for p in found] == [Severity.WARNING, Severity.ERROR]


@pytest.mark.parametrize(("data", "message", "field"), [
    (42, "an audience is a mapping with `include` and `exclude` lists of conditions, or text "
     "with one `include:` or `exclude:` line per condition", None),
    ({"includes": ["a = 1"]}, "unknown key `includes`; did you mean include?", "includes"),
    ({"segment": "a = 1"}, "unknown key `segment`: use include and exclude", "segment"),
    ({"include": {"a": 1}}, "include must be a list of conditions written as text", "include"),
    ({"include": ["tags contains x", 7]}, "a condition must be text, e.g. `unsubscribed = "
     "true`", "include[2]"),
    ({"include": "tags contains \x00"}, "the condition contains a NUL character", "include[1]"),
    ({}, "the audience has no include or exclude conditions: write at least one, e.g. "
     "`include: lists contains \"newsletter\"` or `include: everyone`", None),
    ("# nothing but a comment\n\n", "the audience has no include or exclude conditions: write "
     "at least one, e.g. `include: lists contains \"newsletter\"` or `include: everyone`", None),
])
def test_a_badly_shaped_audience_is_an_error(data: object, message: str,
                                             field: str | None) -> None:
    assert problems(data) == [Problem("audience.txt", message, None, field)]


def test_too_long_an_audience_is_refused_without_parsing_it() -> None:
    text = "include: " + "tags contains x or " * (MAX_CHARS // 19) + "tags contains x"
    assert len(text) > MAX_CHARS
    assert problems(text) == [Problem(
        "audience.txt", "the audience is longer than 20,000 characters: build the segment in "
        "your email platform and name it here (e.g. `lists contains \"spring-sale\"`)")]
    assert len(problems({"include": [text]})) == 1


def test_too_many_conditions_are_refused() -> None:
    lines = [f"exclude: tags contains t{i}" for i in range(MAX_CONDITIONS + 1)]
    assert problems("\n".join(lines)) == [Problem(
        "audience.txt", "the audience has 201 conditions; the limit is 200")]
    assert problems({"exclude": lines}) == [Problem(
        "audience.txt", "exclude has 201 conditions; the limit is 200")]
    assert len(one("\n".join(lines[:MAX_CONDITIONS])).excludes) == MAX_CONDITIONS


@pytest.mark.parametrize("condition", [
    "(" * (MAX_DEPTH + 1) + "tags contains x" + ")" * (MAX_DEPTH + 1),
    "not " * (MAX_DEPTH + 1) + "tags contains x",
    "(" * 5000 + "tags contains x" + ")" * 5000,
])
def test_deep_nesting_is_refused_without_exhausting_the_stack(condition: str) -> None:
    assert problems({"include": [condition]}) == [error(
        "the condition is nested more than 20 levels deep (parentheses and not); simplify it",
        None)]


def test_nesting_up_to_the_limit_is_fine() -> None:
    condition = "(" * MAX_DEPTH + "tags contains x" + ")" * MAX_DEPTH
    audience = one(f"include: {condition}")
    assert matches(audience, {"tags": ["x"]}, TODAY)


def test_too_many_fields_are_refused() -> None:
    condition = " or ".join(f"f{i} = 1" for i in range(51))
    assert Problem("audience.txt", "the audience names 51 different fields; the limit is 50") \
        in problems(f"include: {condition}")


def _parsed_or_problems(data: object) -> Audience | list[Problem]:
    try:
        return parse_audience(data, "fuzz")
    except InvalidInput as exc:
        return exc.problems


_PIECES = st.sampled_from([
    "include:", "exclude:", "\n", " ", "(", ")", "=", "!=", "<", ">=", ",", '"', "'", "#",
    "and", "or", "not", "in", "is", "set", "contains", "within", "older than", "days",
    "unsubscribed", "email_consent", "last_engaged", "lists", "score", "granted", "true",
    "2024-01-01", "12", "-3.5", "\\", "\x00", "\u2028", "é", "ß", "everyone",
])


@FUZZ
@given(st.one_of(
    st.text(max_size=300),
    st.lists(_PIECES, max_size=40).map(" ".join),
    st.lists(_PIECES, max_size=40).map("".join),
    st.dictionaries(
        st.one_of(st.sampled_from(["include", "exclude"]), st.text(max_size=5)),
        st.one_of(st.none(), st.integers(), st.lists(_PIECES, max_size=30).map(" ".join),
                  st.lists(st.one_of(st.lists(_PIECES, max_size=20).map(" ".join),
                                     st.integers(), st.none()), max_size=5))),
    st.lists(st.integers()), st.none(),
))
def test_any_input_gives_an_audience_or_invalid_input(data: object) -> None:
    audience = _parsed_or_problems(data)
    if isinstance(audience, list):
        assert any(p.is_error for p in audience)
        return
    text = describe(audience)
    assert describe(parse_audience(text, "again")) == text
    analyse(audience, TODAY, 365)


# --- Matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(("condition", "contact", "expected"), [
    ("unsubscribed = true", {"unsubscribed": True}, True),
    ("unsubscribed = true", {"unsubscribed": "Yes"}, True),
    ("unsubscribed = true", {"unsubscribed": 0}, False),
    ("unsubscribed = true", {"unsubscribed": "maybe"}, False),
    ("unsubscribed = true", {}, False),
    ("unsubscribed != true", {}, True),
    ("unsubscribed is not set", {"unsubscribed": "maybe"}, True),
    ("email_consent = soft_opt_in", {"email_consent": "Soft opt-in"}, True),
    ("email_consent in (granted, soft_opt_in)", {"email_consent": "opted"}, False),
    ("email_consent not in (granted, soft_opt_in)", {"email_consent": "opted"}, True),
    ("email_consent not in (granted, soft_opt_in)", {}, True),
    ("country = GB", {"country": " gb "}, True),
    ("country != GB", {"country": None}, True),
    ('email contains "TEST"', {"email": "qa.test@brand.example"}, True),
    ('email contains "test"', {"email": ["test@x"]}, False),
    ('lists contains "Newsletter"', {"lists": ["newsletter", "offers"]}, True),
    ('lists contains "newsletter"', {"lists": "offers; newsletter"}, True),
    ('lists contains "news"', {"lists": ["newsletter"]}, False),
    ('lists not contains "news"', {}, True),
    ("lists is set", {"lists": []}, False),
    ("lists is set", {"lists": [""]}, False),
    ("email is set", {"email": "   "}, False),
    ("last_engaged > 2025-01-01", {"last_engaged": "2025-01-02T10:00:00Z"}, True),
    ("last_engaged > 2025-01-01", {"last_engaged": datetime(2025, 1, 1, 23, tzinfo=UTC)}, False),
    ("last_engaged <= 2025-01-01", {"last_engaged": date(2025, 1, 1)}, True),
    ("last_engaged < 2025-01-01", {"last_engaged": "soon"}, False),
    ("last_engaged is set", {"last_engaged": "soon"}, False),
    ("last_engaged within 30 days", {"last_engaged": date(2025, 5, 16)}, True),
    ("last_engaged within 30 days", {"last_engaged": date(2025, 5, 15)}, False),
    ("last_engaged within 2 weeks", {"last_engaged": date(2025, 6, 1)}, True),
    ("last_engaged older than 6 months", {"last_engaged": date(2024, 12, 14)}, True),
    ("last_engaged older than 6 months", {"last_engaged": date(2024, 12, 15)}, False),
    ("last_engaged older than 6 months", {}, False),
    ("score > 5", {"score": "7.5"}, True),
    ("score > 5", {"score": True}, False),
    ("score in (1, 2)", {"score": 2}, True),
    ("plan = gold", {"plan": "GOLD"}, True),
    ("plan = gold", {"plan": ["gold"]}, False),
    ("plan contains gold", {"plan": ["gold", "x"]}, True),
    ("plan contains gold", {"plan": "goldfish"}, True),
    ("zip = 12345", {"zip": 12345}, True),
    ("everyone", {}, True),
    ("not (tags contains a or tags contains b) and not not tags is set", {"tags": ["c"]}, True),
    ("tags contains a or tags contains b and tags contains c", {"tags": ["a"]}, True),
    ("(tags contains a or tags contains b) and tags contains c", {"tags": ["a"]}, False),
])
def test_one_contact_matches_or_not(condition: str, contact: Mapping[str, object],
                                    expected: bool) -> None:
    assert matches(one(f"include: {condition}"), contact, TODAY) is expected


def test_a_contact_is_in_when_an_include_matches_and_no_exclude_does() -> None:
    audience = one(NEWSLETTER)
    member = {"lists": ["newsletter"], "email_consent": "granted",
              "last_engaged": date(2025, 3, 1)}
    assert matches(audience, member, TODAY)
    assert not matches(audience, {**member, "lists": ["offers"]}, TODAY)
    assert not matches(audience, {**member, "email_consent": "denied"}, TODAY)
    assert not matches(audience, {**member, "complained": True}, TODAY)
    assert not matches(audience, {**member, "suppression_lists": ["global"]}, TODAY)
    assert not matches(audience, {**member, "last_engaged": date(2024, 6, 14)}, TODAY)
    assert matches(audience, {**member, "last_engaged": date(2024, 6, 15)}, TODAY)
    new = {k: v for k, v in member.items() if k != "last_engaged"}
    assert matches(audience, {**new, "created": date(2025, 1, 1)}, TODAY)
    assert not matches(audience, {**new, "created": date(2023, 1, 1)}, TODAY)


def test_relative_dates_count_back_from_the_day_passed_in() -> None:
    audience = one("include: last_engaged within 90 days")
    contact = {"last_engaged": date(2025, 1, 1)}
    assert matches(audience, contact, date(2025, 3, 1))
    assert not matches(audience, contact, date(2025, 6, 1))


@pytest.mark.parametrize(("today", "amount", "unit", "expected"), [
    (date(2025, 3, 31), 1, "months", date(2025, 2, 28)),
    (date(2024, 3, 31), 1, "months", date(2024, 2, 29)),
    (date(2024, 2, 29), 1, "years", date(2023, 2, 28)),
    (date(2025, 1, 15), 13, "months", date(2023, 12, 15)),
    (date(2025, 1, 15), 2, "weeks", date(2025, 1, 1)),
    (date(2025, 1, 15), 10_000, "years", date.min),
    (date(5, 1, 1), 10_000, "days", date.min),
])
def test_cutoff_keeps_the_day_of_the_month(today: date, amount: int, unit: str,
                                           expected: date) -> None:
    assert cutoff(today, amount, unit) == expected


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    (Kind.NUMBER, "1e400", None), (Kind.NUMBER, float("nan"), None), (Kind.NUMBER, 10**400, None),
    (Kind.DATE, "2025-02-30", None), (Kind.LIST, 5, None),
    (Kind.BOOL, "N", False), (Kind.CHOICE, "Soft-Opt-In", "soft_opt_in"),
    (Kind.TEXT, 2.5, "2.5"), (Kind.LIST, ("A", None, " b "), frozenset({"a", "b"})),
])
def test_contact_values_that_cannot_be_read_are_not_set(kind: Kind, raw: object,
                                                         expected: object) -> None:
    value = read_value(kind, raw)
    assert (None if repr(value) == "MISSING" else value) == expected


def test_an_integer_too_long_to_print_is_not_set() -> None:
    assert repr(read_value(Kind.TEXT, 10**5000)) == "MISSING"


# --- can_include and the analysis ---------------------------------------------------------


def test_can_include_answers_for_partial_contacts() -> None:
    excludes = one("exclude: unsubscribed = true")
    assert not can_include(excludes, {"unsubscribed": True}, TODAY)
    assert can_include(excludes, {"unsubscribed": False}, TODAY)
    assert can_include(excludes, {}, TODAY)
    only_subscribed = one("include: unsubscribed = false and lists contains news")
    assert not can_include(only_subscribed, {"unsubscribed": True}, TODAY)
    assert not can_include(only_subscribed, {"unsubscribed": None}, TODAY)
    assert can_include(only_subscribed, {"unsubscribed": "no"}, TODAY)
    assert not can_include(only_subscribed, {"lists": ["offers"]}, TODAY)
    assert can_include(only_subscribed, {"lists": ["offers", "news"], "other": 1}, TODAY)


def test_can_include_sees_through_contradictions() -> None:
    audience = one("include: last_engaged within 30 days and last_engaged older than 2 months")
    assert not can_include(audience, {}, TODAY)
    assert example(audience, {}, TODAY) is None
    everything = one("include: score > 5 or score <= 5 or score is not set")
    assert analyse(everything, TODAY, 365).is_everyone


def test_can_include_splits_text_values_by_what_they_contain() -> None:
    audience = one('include: email contains "test" and not email contains "es"')
    assert not can_include(audience, {}, TODAY)  # every text containing "test" contains "es"
    audience = one('include: email contains "te" and email contains "st" and email != "test"')
    found = example(audience, {}, TODAY)
    assert found is not None
    assert matches(audience, found, TODAY)


def test_example_gives_a_contact_the_audience_includes() -> None:
    audience = one(NEWSLETTER)
    found = example(audience, {"email_consent": "soft_opt_in"}, TODAY)
    assert found is not None
    assert found["email_consent"] == "soft_opt_in"
    assert found["lists"] == ["newsletter"]
    assert matches(audience, found, TODAY)


def test_a_good_newsletter_audience_is_analysed_as_good() -> None:
    analysis = analyse(one(NEWSLETTER), TODAY, 365)
    assert analysis == AudienceAnalysis(
        matches_nobody=False, is_everyone=False, targeting_fields=("lists",),
        includes_without_consent=False, consent_gaps=(), soft_opt_in_included=True,
        unsubscribed_excluded=True, hard_bounced_excluded=True, complained_excluded=True,
        suppression_honoured=True, sunset=365, stale_included=False,
        never_engaged_included=True, never_engaged_sunset=365,
        stale_never_engaged_included=False, seed_conditions=(), uncertain=())
    assert analysis.exact


def test_a_bad_audience_is_analysed_as_bad() -> None:
    audience = one('include: email_consent != denied or email contains "seed"\n'
                   "exclude: unsubscribed = true\n"
                   'exclude: suppression_lists contains "global"\n'
                   "exclude: last_engaged < 2023-06-15")
    analysis = analyse(audience, TODAY, 365)
    assert analysis.includes_without_consent
    assert analysis.consent_gaps == ("denied", "unknown", "not set", "another value")
    assert analysis.unsubscribed_excluded
    assert not analysis.hard_bounced_excluded
    assert not analysis.complained_excluded
    assert not analysis.suppression_honoured  # a contact on another suppression list gets in
    assert analysis.sunset == 731
    assert analysis.stale_included
    assert analysis.never_engaged_included
    assert analysis.never_engaged_sunset is None
    assert analysis.targeting_fields == ()
    assert not analysis.is_everyone
    assert analysis.seed_conditions == ('include[1]: email contains "seed"',)


def test_consent_gaps_name_each_state_that_gets_in() -> None:
    audience = one("exclude: email_consent in (denied, unknown)\n"
                   "exclude: email_consent is not set")
    assert analyse(audience, TODAY, 365).consent_gaps == ("another value",)
    audience = one("include: email_consent = granted")
    analysis = analyse(audience, TODAY, 365)
    assert (analysis.consent_gaps, analysis.soft_opt_in_included) == ((), False)


def test_suppression_is_honoured_only_when_every_list_is_excluded() -> None:
    def honoured(text: str) -> bool:
        return analyse(one(text), TODAY, 365).suppression_honoured
    assert honoured("exclude: suppression_lists is set")
    assert not honoured("exclude: suppression_lists contains global")
    assert honoured("include: suppression_lists is not set")
    assert not honoured("exclude: suppression_lists is not set")


@pytest.mark.parametrize(("text", "today", "sunset", "stale"), [
    ("exclude: last_engaged older than 12 months", TODAY, 365, False),
    # a year back from 2024-06-15 spans 2024-02-29: 366 days, still within a 365-day sunset
    ("exclude: last_engaged older than 12 months", date(2024, 6, 15), 366, False),
    ("exclude: last_engaged older than 540 days", TODAY, 540, True),
    ("include: last_engaged within 90 days", TODAY, 90, False),
    ("include: last_engaged > 2025-01-01", TODAY, 164, False),
    ("include: last_engaged >= 2025-01-01 or last_engaged = 2020-01-01", TODAY, 1992, True),
    ("exclude: last_engaged < 2025-01-01 and tags contains x", TODAY, None, True),
    ("include: last_engaged is not set", TODAY, 0, False),
    ("exclude: unsubscribed = true", TODAY, None, True),
])
def test_the_sunset_is_the_oldest_engagement_an_included_contact_can_have(
        text: str, today: date, sunset: int | None, stale: bool) -> None:
    analysis = analyse(one(text), today, 365)
    assert (analysis.sunset, analysis.stale_included) == (sunset, stale)


def test_never_engaged_contacts_have_their_own_sunset() -> None:
    audience = one("exclude: last_engaged older than 1 year\n"
                   "exclude: last_engaged is not set and created older than 2 years")
    analysis = analyse(audience, TODAY, 365)
    assert (analysis.never_engaged_included, analysis.never_engaged_sunset) == (True, 731)
    assert analysis.stale_never_engaged_included
    assert not analyse(one("exclude: last_engaged is not set"), TODAY, 365) \
        .never_engaged_included


@pytest.mark.parametrize(("text", "everyone", "nobody"), [
    ("exclude: unsubscribed = true", True, False),
    ("include: everyone", True, False),
    ("include: tags contains x or not tags contains x", True, False),
    ("include: tags contains x", False, False),
    ("include: everyone\nexclude: everyone", True, True),
    ("include: score > 5 and score < 5", False, True),
])
def test_everyone_and_nobody(text: str, everyone: bool, nobody: bool) -> None:
    analysis = analyse(one(text), TODAY, 365)
    assert (analysis.is_everyone, analysis.matches_nobody) == (everyone, nobody)


def test_seed_conditions_are_include_conditions_picking_test_addresses() -> None:
    audience = one('include: email = "qa1@brand.example"\n'
                   'include: lists contains "seed-list" or tags contains "contest"\n'
                   'include: not email contains "test"\n'
                   'exclude: email contains "test"')
    assert analyse(audience, TODAY, 365).seed_conditions == (
        'include[1]: email = "qa1@brand.example"', 'include[2]: lists contains "seed-list"')
    assert analyse(audience, TODAY, 365, seed_patterns=("brand",)).seed_conditions == (
        'include[1]: email = "qa1@brand.example"',)


def test_a_field_with_many_contains_values_is_approximated_towards_including() -> None:
    others = " or ".join(f"tags contains t{i}" for i in range(3, 10))
    audience = one(f"include: tags contains t1 and tags contains t2\nexclude: {others}")
    assert matches(audience, {"tags": ["t1", "t2"]}, TODAY)
    assert can_include(audience, {}, TODAY)  # not proved, but not ruled out either
    analysis = analyse(audience, TODAY, 365)
    assert "matches_nobody" in analysis.uncertain
    assert not analysis.matches_nobody
    assert not analysis.exact


def test_a_search_over_budget_errs_towards_including() -> None:
    # random three-field clauses over 45 fields: a hard satisfiability problem
    import random
    rng = random.Random(1)
    clauses = [" and ".join(f"{'not ' if rng.random() < 0.5 else ''}b{rng.randrange(45)} = true"
                            for _ in range(3)) for _ in range(199)]
    audience = one("\n".join(f"exclude: {c}" for c in clauses))
    assert can_include(audience, {}, TODAY)
    analysis = analyse(audience, TODAY, 365)
    assert not analysis.unsubscribed_excluded
    assert analysis.stale_included
    assert "unsubscribed_excluded" in analysis.uncertain


# --- Soundness: a contact that matches is never ruled out ---------------------------------

_ATOMS = {
    "unsubscribed": ["= true", "= false", "!= true", "is set", "is not set"],
    "email_consent": ["= granted", "in (granted, soft_opt_in)", "not in (denied, unknown)",
                      "!= denied", "is not set"],
    "last_engaged": ["within 30 days", "older than 6 months", "> 2025-01-01",
                     "<= 2024-06-01", "= 2025-06-01", "is set"],
    "lists": ['contains "a"', 'contains "b"', 'not contains "a"', "is set"],
    "email": ['contains "test"', 'contains "es"', '= "test@x.com"', '!= "a@b.c"'],
    "score": ["> 5", "<= 3", "= 4", "in (1, 2)", "is not set"],
    "country": ["= GB", "in (GB, DE)", "!= FR"],
}
_VALUES: dict[str, list[object]] = {
    "unsubscribed": [True, False, None, "yes", "maybe"],
    "email_consent": [*("granted", "soft_opt_in", "denied", "unknown"), "Soft-Opt-In", "x",
                      None],
    "last_engaged": [date(2025, 6, 1), date(2025, 5, 16), date(2025, 5, 15), date(2025, 1, 1),
                     date(2025, 1, 2), date(2024, 12, 14), date(2024, 12, 15),
                     date(2024, 6, 1), date(2020, 1, 1), "2025-01-02", "soon", None],
    "lists": [["a"], ["b"], ["a", "b"], ["c"], [], "a, c", None],
    "email": ["test@x.com", "atest", "es", "x@y", "TEST@X.COM", "", None, "a@b.c"],
    "score": [0, 1, 2, 3, 3.5, 4, 5, 5.5, 6, "4", "x", None],
    "country": ["gb", "GB", "de", "fr", "", None],
}

_atom = st.sampled_from(sorted(_ATOMS)).flatmap(
    lambda name: st.sampled_from(_ATOMS[name]).map(lambda op: f"{name} {op}"))
_condition = st.recursive(
    _atom,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda c: f"not {c}")),
    max_leaves=5)
_audiences = st.tuples(st.lists(_condition, max_size=3), st.lists(_condition, max_size=3)) \
    .filter(lambda parts: bool(parts[0] or parts[1])) \
    .map(lambda parts: "\n".join([*(f"include: {c}" for c in parts[0]),
                                  *(f"exclude: {c}" for c in parts[1])]))
_contacts = st.fixed_dictionaries({}, optional={
    name: st.sampled_from(values) for name, values in _VALUES.items()})


@FUZZ
@given(_audiences, _contacts, st.data())
def test_a_matching_contact_is_never_ruled_out(text: str, contact: dict[str, object],
                                               data: st.DataObject) -> None:
    audience = one(text)
    keys = data.draw(st.lists(st.sampled_from(sorted(_VALUES)), unique=True))
    partial = {k: contact.get(k) for k in keys}
    if matches(audience, contact, TODAY):
        assert can_include(audience, contact, TODAY)
        assert can_include(audience, {k: v for k, v in partial.items() if k in contact},
                           TODAY)


@FUZZ
@given(_audiences, _contacts)
def test_can_include_is_exact_for_a_whole_contact(text: str,
                                                  contact: dict[str, object]) -> None:
    audience = one(text)
    whole = {name: contact.get(name) for name in audience.fields}
    assert can_include(audience, whole, TODAY) is matches(audience, whole, TODAY)


@FUZZ
@given(_audiences, _contacts, st.data())
def test_a_yes_comes_with_an_example_and_a_no_holds_for_every_contact(
        text: str, contact: dict[str, object], data: st.DataObject) -> None:
    audience = one(text)
    keys = data.draw(st.lists(st.sampled_from(sorted(_VALUES)), unique=True))
    where = {k: contact.get(k) for k in keys}
    found = example(audience, where, TODAY)
    if can_include(audience, where, TODAY):
        assert found is not None
        assert matches(audience, found, TODAY)
        assert all(found.get(k) == v for k, v in where.items())
    else:
        assert found is None
        others = data.draw(_contacts)
        assert not matches(audience, {**others, **where}, TODAY)


@FUZZ
@given(_audiences, _contacts)
def test_describe_parses_back_to_the_same_audience(text: str,
                                                   contact: dict[str, object]) -> None:
    audience = one(text)
    again = parse_audience(describe(audience), "described")
    assert describe(again) == describe(audience)
    assert matches(again, contact, TODAY) is matches(audience, contact, TODAY)
