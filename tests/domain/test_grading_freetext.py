"""Free-text grading on small hand-built rubrics: criteria, negation, copies, forbidden, score."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.content import variants
from learnloop.domain.content.model import Criterion, Forbidden, ItemFamily, ItemType, Rubric
from learnloop.domain.errors import InvalidInput
from learnloop.domain.grading import MAX_TEXT, Grade, Response, grade
from learnloop.domain.grading.freetext import COPIED_FEEDBACK, SIMILARITY_WEIGHT
from learnloop.domain.grading.similarity import best_similarity

REFERENCE = ("Add the List-Unsubscribe header with one-click support and sign it with DKIM; a "
             "footer link alone fails.")

UNSUBSCRIBE = ItemFamily(
    id="explain-unsubscribe",
    skill="deliverability",
    type=ItemType.FREE_TEXT,
    stem="A colleague on the {team} team says a footer link is enough for unsubscribes. What do "
         "you tell them?",
    rows=((("team", "growth"),), (("team", "lifecycle"),)),
    feedback="Gmail and Yahoo want one-click headers on bulk mail.",
    rubric=Rubric(
        criteria=(
            Criterion("header", "Names the List-Unsubscribe header.", weight=2,
                      concepts=(("list-unsubscribe", "unsubscribe header"),)),
            Criterion("one-click", "Mentions one-click unsubscribe.", patterns=(r"one[- ]click",)),
            Criterion("dkim", "Signs the headers with DKIM.",
                      concepts=(("dkim",), ("sign", "cover"))),
        ),
        forbidden=(
            Forbidden("footer-enough", (r"footer (link )?is (enough|fine)",),
                      "A footer link is good practice, but the header is required."),
        ),
        reference_answers=(REFERENCE,),
    ),
)


def item(family: ItemFamily = UNSUBSCRIBE, variant: int = 0) -> variants.Item:
    return variants.make_item(family, variant)


def graded(text: str, family: ItemFamily = UNSUBSCRIBE, variant: int = 0) -> Grade:
    return grade(family, item(family, variant), Response(text=text))


def with_rubric(**changes: object) -> ItemFamily:
    assert UNSUBSCRIBE.rubric is not None
    return dataclasses.replace(UNSUBSCRIBE,
                               rubric=dataclasses.replace(UNSUBSCRIBE.rubric, **changes))


# -- criteria and score -----------------------------------------------------------------------


def test_the_reference_answer_scores_one_with_a_good_line() -> None:
    assert graded(REFERENCE) == Grade(
        score=1.0,
        success=True,
        misconceptions=(),
        feedback=(
            "Good: names the List-Unsubscribe header; mentions one-click unsubscribe; signs the "
            "headers with DKIM.",
            "Gmail and Yahoo want one-click headers on bulk mail.",
        ),
        criteria_met=("header", "one-click", "dkim"),
        criteria_missed=(),
        correct_answer=REFERENCE,
    )


def test_a_paraphrase_meeting_every_criterion_scores_one() -> None:
    result = graded("Gmail wants an unsubscribe header offering one click, covered by DKIM.")
    assert (result.score, result.success) == (1.0, True)


def test_a_partial_answer_lists_what_is_missing_in_rubric_order() -> None:
    text = "Put a List-Unsubscribe header in every message."
    result = graded(text)
    assert result.criteria_met == ("header",)
    assert result.criteria_missed == ("one-click", "dkim")
    assert result.feedback == ("Missing: Mentions one-click unsubscribe.",
                               "Missing: Signs the headers with DKIM.",
                               "Gmail and Yahoo want one-click headers on bulk mail.")
    similarity = best_similarity(text, [REFERENCE])
    assert 0 < similarity < 1
    assert result.score == round(0.5 + SIMILARITY_WEIGHT * similarity * 0.5, 4)
    assert not result.success


def test_weights_count() -> None:
    # one-click and dkim are 2 of 4 weight; the header alone is the other 2.
    assert graded("Use one-click unsubscribe, signed with DKIM.").criteria_met == (
        "one-click", "dkim")
    assert graded("Use one-click unsubscribe, signed with DKIM.").score < 0.6
    assert graded("One-click List-Unsubscribe header.").success


def test_every_concept_group_is_needed() -> None:
    assert "dkim" not in graded("Use DKIM.").criteria_met
    assert "dkim" in graded("DKIM must cover it.").criteria_met


def test_a_criterion_needs_its_concepts_and_one_of_its_patterns() -> None:
    family = with_rubric(criteria=(
        Criterion("footer", "Says a footer link is not enough.", concepts=(("footer",),),
                  patterns=(r"\bnot (enough|sufficient)", r"\balone\b")),
    ))
    assert graded("A footer link is not enough.", family).criteria_met == ("footer",)
    assert graded("A footer link alone fails.", family).criteria_met == ("footer",)
    assert graded("A footer link is great.", family).criteria_met == ()
    assert graded("It is not enough.", family).criteria_met == ()


def test_the_pass_score_is_the_authors() -> None:
    lenient = with_rubric(pass_score=0.5)
    assert graded("Put a List-Unsubscribe header in every message.", lenient).success
    strict = with_rubric(pass_score=1.0)
    assert not graded("One-click List-Unsubscribe header.", strict).success
    assert graded(REFERENCE, strict).success


@given(st.text(max_size=300).filter(lambda t: t.strip() and "\x00" not in t))
def test_scores_stay_in_range_and_success_means_a_clean_pass(text: str) -> None:
    result = graded(text)
    assert 0.0 <= result.score <= 1.0
    if result.success:
        assert result.score >= 0.6
        assert result.misconceptions == ()
    assert set(result.criteria_met) | set(result.criteria_missed) == {
        "header", "one-click", "dkim"}


# -- negation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "You do not need the List-Unsubscribe header or one-click; DKIM is not needed.",
    "There is no need for a List-Unsubscribe header, one-click or DKIM signing.",
    "It is not true that you need a List-Unsubscribe header with one-click, signed by DKIM.",
    "Never add a List-Unsubscribe header with one-click support or sign it with DKIM.",
    "Don't add the List-Unsubscribe header with one-click support and don't sign with DKIM.",
])
def test_a_denied_answer_meets_nothing(text: str) -> None:
    result = graded(text)
    assert result.criteria_met == ()
    assert not result.success
    assert result.score < 0.2


def test_a_negated_clause_elsewhere_does_not_hurt_a_good_answer() -> None:
    result = graded(REFERENCE + " It does not matter which team sends it; no ESP change needed.")
    assert (result.score, result.success) == (1.0, True)
    result = graded("No, that is not how it works: add a one-click List-Unsubscribe header "
                    "signed with DKIM.")
    assert result.criteria_missed == ()


def test_double_negation_and_checks_are_not_denials() -> None:
    result = graded("Don't forget the List-Unsubscribe header; make sure no one-click request "
                    "fails and never leave it without a DKIM signature that covers it.")
    assert result.criteria_met == ("header", "one-click", "dkim")


# -- copies of the stem -----------------------------------------------------------------------


@pytest.mark.parametrize("variant", [0, 1])
@pytest.mark.parametrize("suffix", ["", "?", "??", " What do you tell them?"])
def test_the_stem_pasted_back_scores_zero(variant: int, suffix: str) -> None:
    stem = item(variant=variant).stem
    result = graded(stem + suffix, variant=variant)
    assert (result.score, result.success, result.criteria_met) == (0.0, False, ())
    assert result.misconceptions == ()  # "a footer link is enough" is the question's claim
    assert result.feedback[0] == COPIED_FEEDBACK


def test_the_stem_pasted_back_does_not_count_as_evidence() -> None:
    family = with_rubric(criteria=(
        Criterion("footer", "Talks about the footer link.", concepts=(("footer link",),)),
        Criterion("header", "Names the List-Unsubscribe header.",
                  concepts=(("list-unsubscribe",),)),
    ))
    result = graded(item().stem, family)
    assert result.criteria_met == ()
    result = graded(item().stem + " Add a List-Unsubscribe header.", family)
    assert result.criteria_met == ("header",)
    assert result.feedback[0] != COPIED_FEEDBACK


def test_a_short_echo_of_the_question_still_counts() -> None:
    family = with_rubric(criteria=(
        Criterion("footer", "Talks about the footer link.", concepts=(("footer link",),)),
    ))
    assert graded("The footer link stays, and that's it.", family).criteria_met == ("footer",)


def test_the_question_shuffled_into_a_mostly_copied_answer_gets_nothing() -> None:
    result = graded("Unsubscribes: footer link enough? Colleague says enough, team says so.")
    assert (result.score, result.criteria_met) == (0.0, ())
    assert result.feedback[0] == COPIED_FEEDBACK


# -- forbidden --------------------------------------------------------------------------------


def test_a_forbidden_statement_names_its_misconception_and_caps_the_score() -> None:
    result = graded("The footer link is fine. " + REFERENCE)
    assert result.criteria_missed == ()
    assert result.misconceptions == ("footer-enough",)
    assert not result.success
    assert result.score == 0.5
    assert result.feedback == ("A footer link is good practice, but the header is required.",
                               "Gmail and Yahoo want one-click headers on bulk mail.")


def test_a_forbidden_statement_always_lands_below_the_pass_score() -> None:
    family = with_rubric(pass_score=0.3)
    result = graded("The footer link is fine. " + REFERENCE, family)
    assert result.score == 0.29
    assert not result.success


@pytest.mark.parametrize("text", [
    "It's a myth that the footer link is enough. " + REFERENCE,
    "It is not true that a footer link is fine. " + REFERENCE,
    "Nobody should think the footer link is enough. " + REFERENCE,
])
def test_a_denied_forbidden_statement_does_not_fire(text: str) -> None:
    result = graded(text)
    assert result.misconceptions == ()
    assert result.success


def test_two_forbidden_entries_for_one_misconception_report_it_once() -> None:
    assert UNSUBSCRIBE.rubric is not None
    family = with_rubric(forbidden=(
        *UNSUBSCRIBE.rubric.forbidden,
        Forbidden("footer-enough", (r"no headers? needed",), "Headers are needed."),
    ))
    result = graded("The footer is fine, no header needed.", family)
    assert result.misconceptions == ("footer-enough",)
    assert result.feedback[:2] == ("A footer link is good practice, but the header is required.",
                                   "Headers are needed.")


# -- rendering and input ----------------------------------------------------------------------


def test_reference_answers_are_rendered_when_their_placeholders_are_known() -> None:
    family = with_rubric(reference_answers=(
        "Tell the {team} team: add a one-click List-Unsubscribe header with DKIM.",
        "No raw {{ or {% may be left.",
    ))
    assert graded("Add it.", family, variant=1).correct_answer == (
        "Tell the lifecycle team: add a one-click List-Unsubscribe header with DKIM.")
    family = with_rubric(reference_answers=("No raw {{ or {% may be left in {team}.",))
    assert graded("Add it.", family).correct_answer == "No raw {{ or {% may be left in {team}."


@pytest.mark.parametrize(("text", "message"), [
    ("", "an answer is required"),
    (" \n ", "an answer is required"),
    ("a" * (MAX_TEXT + 1), "the answer must be at most 2000 characters (it has 2001)"),
    ("List-Unsubscribe\x00", "the answer must not contain NUL characters"),
])
def test_malformed_text_is_invalid_input_naming_answer_text(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        graded(text)
    assert [(p.where, p.field, p.message) for p in raised.value.problems] == [
        ("answer", "answer.text", message)]


def test_the_longest_allowed_answer_is_graded() -> None:
    text = (REFERENCE + " ") * (MAX_TEXT // (len(REFERENCE) + 1))
    assert len(text) <= MAX_TEXT
    assert graded(text).success


def test_a_free_text_family_without_a_rubric_is_a_caller_error() -> None:
    family = dataclasses.replace(UNSUBSCRIBE, rubric=None)
    with pytest.raises(ValueError, match="no rubric"):
        graded("Add the header.", family)
