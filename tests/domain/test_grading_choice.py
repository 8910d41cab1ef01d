"""Choice and numeric grading, and the shape rules every response must meet first."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.content import variants
from learnloop.domain.content.model import (
    Criterion,
    ItemFamily,
    ItemType,
    KeyBy,
    NumericMisconception,
    Option,
    Rubric,
)
from learnloop.domain.errors import InvalidInput
from learnloop.domain.grading import MAX_TEXT, Grade, Response, check_response, grade

BOUNCE = ItemFamily(
    id="bounce-code",
    skill="deliverability",
    type=ItemType.SINGLE_CHOICE,
    stem='The server answered "{code}". What do you do with the address?',
    rows=((("code", "550 5.1.1"), ("meaning", "gone")),
          (("code", "452 4.2.2"), ("meaning", "full"))),
    options=(
        Option("suppress", "Suppress the address at once.", "soft-hard-confused",
               "A 4.x.x code ({code}) is temporary."),
        Option("retry", "Retry for 72 hours, then suppress.", "soft-hard-confused",
               "A 5.x.x code ({code}) is permanent."),
        Option("ignore", "Keep mailing it as usual.", "bounces-ignored",
               "Every bounce needs handling."),
    ),
    key_by=KeyBy("meaning", (("gone", ("suppress",)), ("full", ("retry",)))),
    feedback="Permanent failures are suppressed; temporary ones retried.",
)

CAN_SPAM = ItemFamily(
    id="can-spam",
    skill="compliance",
    type=ItemType.MULTIPLE_CHOICE,
    stem="Which does CAN-SPAM require?",
    options=(
        Option("address", "A postal address."),
        Option("opt-out", "A working opt-out.", feedback="The opt-out is the core requirement."),
        Option("honest", "Honest headers."),
        Option("b2b", "Nothing for B2B mail.", "b2b-exempt", "B2B mail is covered too."),
        Option("login", "An opt-out behind a login.", "opt-out-hurdles", "No login walls."),
    ),
    key=("address", "opt-out", "honest"),
    feedback="CAN-SPAM covers B2C and B2B alike.",
)

RATE = ItemFamily(
    id="bounce-rate",
    skill="reporting",
    type=ItemType.NUMERIC,
    stem="Sent {sent}, bounced {bounced}: what is the bounce rate?",
    rows=((("sent", 1000), ("bounced", 100)), (("sent", 2000), ("bounced", 500))),
    answer="bounced / sent * 100",
    tolerance=0.05,
    unit="%",
    feedback="Bounce rate = bounced / sent.",
    numeric_misconceptions=(
        NumericMisconception("bounced / (sent - bounced) * 100", "wrong-denominator",
                             "You divided by delivered mail ({sent} - {bounced})."),
        NumericMisconception("bounced / sent", "forgot-percent", "That is a fraction, not %."),
    ),
)

PIPELINE = ItemFamily(
    id="pipeline",
    skill="compliance",
    type=ItemType.NUMERIC,
    stem="Steps of {a}, {b} and {c} hours: worst case?",
    rows=((("a", 24), ("b", 12), ("c", 2)),),
    answer="a + b + c",
    unit="hours",
    numeric_misconceptions=(
        NumericMisconception("max(a, b, c)", "hurdles-ok", "The delays add up."),
        NumericMisconception("a", "hurdles-ok", "The first system is not the last."),
    ),
)

# A trap that lands on the right answer in this variant: the right answer still wins.
COINCIDENT = ItemFamily(
    id="coincident",
    skill="reporting",
    type=ItemType.NUMERIC,
    stem="What is {x} times one?",
    rows=((("x", 7),),),
    answer="x * 1",
    numeric_misconceptions=(NumericMisconception("x", "identity-confused", "Same value."),),
)

FREE = ItemFamily(
    id="free",
    skill="deliverability",
    type=ItemType.FREE_TEXT,
    stem="Why does a hard bounce get suppressed?",
    rubric=Rubric(criteria=(Criterion("permanent", "Says it is permanent.",
                                      concepts=(("permanent",),)),),
                  reference_answers=("A hard bounce is permanent.",)),
)


def item(family: ItemFamily, variant: int = 0) -> variants.Item:
    return variants.make_item(family, variant)


def problems_of(family: ItemFamily, response: Response, variant: int = 0) -> list[tuple[str, str]]:
    return [(p.field or "", p.message) for p in check_response(item(family, variant), response)]


# -- check_response ---------------------------------------------------------------------------


def test_every_problem_names_the_answer_and_its_field() -> None:
    problems = check_response(item(BOUNCE), Response(choices=("x", "y"), number=3.0, text="hi"))
    assert {p.where for p in problems} == {"answer"}
    assert {p.field for p in problems} == {"answer.choices", "answer.number", "answer.text"}
    assert all(p.is_error for p in problems)


def test_a_valid_single_choice_has_no_problems() -> None:
    assert check_response(item(BOUNCE), Response(choices=("retry",))) == []


def test_single_choice_needs_a_choice() -> None:
    assert problems_of(BOUNCE, Response()) == [("answer.choices", "choose an option")]


def test_single_choice_takes_exactly_one() -> None:
    assert problems_of(BOUNCE, Response(choices=("retry", "suppress"))) == [
        ("answer.choices", "choose exactly one option (got 2)")]


def test_unknown_option_ids_are_named_with_the_valid_ones() -> None:
    [(field, message)] = problems_of(BOUNCE, Response(choices=("delete",)))
    assert field == "answer.choices"
    assert "'delete'" in message
    assert "suppress, retry, ignore" in message


def test_multiple_choice_needs_at_least_one_choice() -> None:
    assert problems_of(CAN_SPAM, Response()) == [("answer.choices", "choose at least one option")]


def test_multiple_choice_refuses_duplicates_and_unknown_ids_together() -> None:
    problems = problems_of(CAN_SPAM, Response(choices=("address", "address", "fax", "fax")))
    assert problems == [
        ("answer.choices", "option(s) chosen more than once: 'address', 'fax'"),
        ("answer.choices",
         "unknown option(s) 'fax'; the options are: address, opt-out, honest, b2b, login"),
    ]


def test_choice_items_take_nothing_but_choices() -> None:
    problems = problems_of(CAN_SPAM, Response(choices=("address",), number=1.0, text="also"))
    assert problems == [("answer.number", "a multiple_choice item takes no number"),
                        ("answer.text", "a multiple_choice item takes no text")]


def test_numeric_needs_a_number() -> None:
    assert problems_of(RATE, Response()) == [("answer.number", "a number is required")]


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_numeric_needs_a_finite_number(number: float) -> None:
    assert problems_of(RATE, Response(number=number)) == [
        ("answer.number", "the number must be finite")]


def test_numeric_refuses_a_boolean() -> None:
    assert problems_of(RATE, Response(number=True)) == [
        ("answer.number", "the answer must be a number")]


def test_numeric_takes_no_choices_or_text() -> None:
    assert problems_of(RATE, Response(choices=("a",), number=1.5, text="1.5")) == [
        ("answer.choices", "a numeric item takes no choices"),
        ("answer.text", "a numeric item takes no text"),
    ]


@pytest.mark.parametrize("text", [None, "", "   \n\t "])
def test_free_text_needs_non_blank_text(text: str | None) -> None:
    assert problems_of(FREE, Response(text=text)) == [("answer.text", "an answer is required")]


def test_free_text_has_a_length_limit() -> None:
    assert problems_of(FREE, Response(text="a" * MAX_TEXT)) == []
    assert problems_of(FREE, Response(text="a" * (MAX_TEXT + 1))) == [
        ("answer.text", f"the answer must be at most {MAX_TEXT} characters (it has 2001)")]


def test_free_text_refuses_nul() -> None:
    assert problems_of(FREE, Response(text="permanent\x00")) == [
        ("answer.text", "the answer must not contain NUL characters")]


def test_free_text_takes_no_choices_or_number() -> None:
    assert problems_of(FREE, Response(choices=("a",), number=2.0, text="ok")) == [
        ("answer.choices", "a free_text item takes no choices"),
        ("answer.number", "a free_text item takes no number"),
    ]


def test_grade_raises_invalid_input_with_every_problem() -> None:
    with pytest.raises(InvalidInput) as raised:
        grade(CAN_SPAM, item(CAN_SPAM), Response(choices=("fax", "fax"), text="x"))
    assert [p.field for p in raised.value.problems] == [
        "answer.text", "answer.choices", "answer.choices"]


def test_grade_refuses_an_item_of_another_family() -> None:
    with pytest.raises(ValueError, match="not a variant"):
        grade(CAN_SPAM, item(BOUNCE), Response(choices=("retry",)))


# -- single choice ----------------------------------------------------------------------------


def test_single_choice_right_option_scores_one_with_the_key_explanation() -> None:
    result = grade(BOUNCE, item(BOUNCE, 1), Response(choices=("retry",)))
    assert result == Grade(
        score=1.0,
        success=True,
        misconceptions=(),
        feedback=("A 5.x.x code (452 4.2.2) is permanent.",
                  "Permanent failures are suppressed; temporary ones retried."),
        correct_answer="Retry for 72 hours, then suppress.",
    )


def test_single_choice_wrong_option_brings_its_misconception_then_the_key_then_general() -> None:
    result = grade(BOUNCE, item(BOUNCE, 0), Response(choices=("retry",)))
    assert result.score == 0.0
    assert not result.success
    assert result.misconceptions == ("soft-hard-confused",)
    assert result.feedback == (
        "A 5.x.x code (550 5.1.1) is permanent.",
        "A 4.x.x code (550 5.1.1) is temporary.",
        "Permanent failures are suppressed; temporary ones retried.",
    )
    assert result.correct_answer == "Suppress the address at once."


def test_single_choice_key_follows_the_variant() -> None:
    assert grade(BOUNCE, item(BOUNCE, 0), Response(choices=("suppress",))).success
    assert not grade(BOUNCE, item(BOUNCE, 1), Response(choices=("suppress",))).success


# -- multiple choice --------------------------------------------------------------------------


def test_multiple_choice_exact_key_succeeds() -> None:
    result = grade(CAN_SPAM, item(CAN_SPAM), Response(choices=("honest", "address", "opt-out")))
    assert (result.score, result.success, result.misconceptions) == (1.0, True, ())
    assert result.feedback == ("CAN-SPAM covers B2C and B2B alike.",)
    assert result.correct_answer == "A postal address.; A working opt-out.; Honest headers."


def test_multiple_choice_partial_credit_for_a_subset() -> None:
    result = grade(CAN_SPAM, item(CAN_SPAM), Response(choices=("address", "honest")))
    assert result.score == pytest.approx(2 / 3)
    assert not result.success
    assert result.misconceptions == ()
    assert result.feedback == ("The opt-out is the core requirement.",
                               "CAN-SPAM covers B2C and B2B alike.")


def test_multiple_choice_wrong_picks_cost_credit_and_name_misconceptions() -> None:
    result = grade(CAN_SPAM, item(CAN_SPAM),
                   Response(choices=("login", "address", "opt-out", "honest", "b2b")))
    assert result.score == pytest.approx(1 / 3)
    assert not result.success
    assert result.misconceptions == ("b2b-exempt", "opt-out-hurdles")
    assert result.feedback == ("B2B mail is covered too.", "No login walls.",
                               "CAN-SPAM covers B2C and B2B alike.")


def test_multiple_choice_credit_never_goes_below_zero() -> None:
    result = grade(CAN_SPAM, item(CAN_SPAM), Response(choices=("b2b", "login", "address")))
    assert result.score == 0.0
    assert result.feedback[:3] == ("B2B mail is covered too.", "No login walls.",
                                   "The opt-out is the core requirement.")


@given(st.sets(st.sampled_from(["address", "opt-out", "honest", "b2b", "login"]), min_size=1))
def test_multiple_choice_scores_stay_in_range(picked: set[str]) -> None:
    result = grade(CAN_SPAM, item(CAN_SPAM), Response(choices=tuple(sorted(picked))))
    assert 0.0 <= result.score <= 1.0
    assert result.success == (picked == {"address", "opt-out", "honest"})
    assert result.success == (result.score == 1.0)


# -- numeric ----------------------------------------------------------------------------------


def test_numeric_exact_answer_is_right() -> None:
    result = grade(RATE, item(RATE), Response(number=10))
    assert result == Grade(score=1.0, success=True, misconceptions=(),
                           feedback=("Bounce rate = bounced / sent.",),
                           correct_answer="10 (±0.05) %")


@pytest.mark.parametrize("number", [9.95, 10.05, 9.9500000001])
def test_numeric_tolerance_edges_are_inside(number: float) -> None:
    assert grade(RATE, item(RATE), Response(number=number)).success


@pytest.mark.parametrize("number", [9.9499, 10.0501, -10.0])
def test_numeric_just_outside_the_tolerance_is_wrong(number: float) -> None:
    result = grade(RATE, item(RATE), Response(number=number))
    assert (result.score, result.success, result.misconceptions) == (0.0, False, ())
    assert result.feedback == ("Bounce rate = bounced / sent.",)


def test_numeric_zero_tolerance_forgives_only_float_noise() -> None:
    family = ItemFamily(id="third", skill="s", type=ItemType.NUMERIC, stem="A third of 0.3?",
                        answer="0.1 + 0.2 - 0.2")
    assert grade(family, item(family), Response(number=0.1)).success
    assert not grade(family, item(family), Response(number=0.1000001)).success


def test_numeric_trap_reports_its_misconception_and_feedback() -> None:
    # 100 / (1000 - 100) * 100 = 11.11...
    result = grade(RATE, item(RATE), Response(number=11.1))
    assert not result.success
    assert result.misconceptions == ("wrong-denominator",)
    assert result.feedback == ("You divided by delivered mail (1000 - 100).",
                               "Bounce rate = bounced / sent.")


def test_numeric_trap_matches_within_the_same_tolerance() -> None:
    assert grade(RATE, item(RATE), Response(number=0.1)).misconceptions == ("forgot-percent",)
    assert grade(RATE, item(RATE), Response(number=0.149)).misconceptions == ("forgot-percent",)
    assert grade(RATE, item(RATE), Response(number=0.1501)).misconceptions == ()


def test_numeric_traps_per_variant() -> None:
    # 500 / 1500 * 100 = 33.33...
    result = grade(RATE, item(RATE, 1), Response(number=33.3))
    assert result.misconceptions == ("wrong-denominator",)
    assert result.correct_answer == "25 (±0.05) %"
    assert grade(RATE, item(RATE, 1), Response(number=11.1)).misconceptions == ()


def test_numeric_two_traps_with_one_value_report_one_misconception_and_both_feedbacks() -> None:
    result = grade(PIPELINE, item(PIPELINE), Response(number=24))
    assert result.misconceptions == ("hurdles-ok",)
    assert result.feedback == ("The delays add up.", "The first system is not the last.")
    assert result.correct_answer == "38 hours"


def test_numeric_right_answer_wins_over_a_trap_with_the_same_value() -> None:
    result = grade(COINCIDENT, item(COINCIDENT), Response(number=7))
    assert (result.success, result.misconceptions) == (True, ())


def test_numeric_correct_answer_is_rounded_to_the_tolerance() -> None:
    family = ItemFamily(id="share", skill="s", type=ItemType.NUMERIC, stem="Share?",
                        answer="300 / 5200 * 100", tolerance=0.06, unit="%")
    assert grade(family, item(family), Response(number=5.77)).correct_answer == "5.77 (±0.06) %"
