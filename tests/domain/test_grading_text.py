"""The parts of the free-text grader: stems, tokens, concepts, negation, copies, similarity."""

from __future__ import annotations

import pytest

from learnloop.domain.grading.concepts import concept_present
from learnloop.domain.grading.copying import strip_copies
from learnloop.domain.grading.negation import negated
from learnloop.domain.grading.similarity import best_similarity
from learnloop.domain.grading.stemming import stem
from learnloop.domain.grading.text import normalise, tokenize

# -- stemming ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "expected"), [
    # from Porter's paper
    ("caresses", "caress"), ("ponies", "poni"), ("agreed", "agre"), ("hopping", "hop"),
    ("filing", "file"), ("happy", "happi"), ("relational", "relat"), ("generalizations", "gener"),
    ("oscillators", "oscil"), ("adjustment", "adjust"), ("controll", "control"),
    # what the rubrics rely on
    ("clicked", "click"), ("clicking", "click"), ("suppression", "suppress"),
    ("engagement", "engag"), ("engage", "engag"), ("gmail's", "gmail"),
])
def test_porter_stems(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_short_words_and_contractions_are_kept() -> None:
    assert [stem(w) for w in ("is", "no", "doesn't")] == ["is", "no", "doesn't"]


# -- tokens -----------------------------------------------------------------------------------


def test_tokens_split_hyphens_and_keep_numbers_percent_and_breaks() -> None:
    text = normalise("List-Unsubscribe: 96 / 8,000 = 1.2%\u2014don\u2019t   {{first_name}}")
    assert [t.text for t in tokenize(text)] == [
        "list", "unsubscribe", ":", "96", "8,000", "1.2", "%", "\u2014", "don't", "first",
        "name"]
    assert [t.stem for t in tokenize("8,000 and 8000")] == ["8000", "and", "8000"]


# -- concepts ---------------------------------------------------------------------------------


def present(text: str, *terms: str) -> bool:
    tokens = tokenize(normalise(text))
    return concept_present(tokens, negated(tokens), terms)


@pytest.mark.parametrize("text", [
    "Add one-click unsubscribe.", "Add one click unsubscribe.", "Add oneclick unsubscribe.",
    "ONE-CLICK", "one\u2011click",
])
def test_hyphen_space_and_joined_variants_match(text: str) -> None:
    assert present(text, "one-click")
    assert present(text, "one click")


def test_inflections_match_by_stem() -> None:
    assert present("Anyone who clicked in the last month", "click")
    assert present("We re-engaged them", "re-engage")
    assert present("a re-engagement series", "reengage")
    assert present("the unsubscribes", "unsubscribe")


def test_long_synonyms_match_as_prefixes_short_ones_do_not() -> None:
    assert present("check the personalised greeting", "personalis")
    assert present("the open rate was exaggerated", "exaggerat")
    assert not present("both of them", "bot")
    assert not present("although it works", "alt")
    assert present("bots open the email", "bot")


def test_multiword_synonyms_need_their_words_in_order() -> None:
    assert present("watch the spam traps", "spam trap")
    assert not present("traps for spam", "spam trap")
    assert not present("the list. Unsubscribe later", "list-unsubscribe")


def test_synonyms_with_symbols_and_numbers() -> None:
    assert present("that is 1.2%", "%")
    assert present("a 404 page", "404")
    assert present("RFC8058 headers", "rfc 8058")
    assert present("under 102KB", "kb")


def test_a_negated_mention_does_not_count() -> None:
    assert not present("You do not need List-Unsubscribe headers.", "list-unsubscribe")
    assert present("You need List-Unsubscribe headers.", "list-unsubscribe")


def test_a_synonym_that_carries_its_own_negation_matches() -> None:
    assert present("Opens are not proof of reading.", "not proof")
    assert present("It works without a login.", "without a login")
    assert not present("It works with a login.", "without a login")


# -- negation ---------------------------------------------------------------------------------


def denied_words(text: str) -> list[str]:
    tokens = tokenize(normalise(text))
    return [t.text for t, d in zip(tokens, negated(tokens), strict=True) if d and t.is_word]


@pytest.mark.parametrize(("text", "denied"), [
    ("You do not need List-Unsubscribe headers.", ["need", "list", "unsubscribe", "headers"]),
    ("There is no need for DKIM.", ["need", "for", "dkim"]),
    ("This isn't marketing.", ["marketing"]),
    ("Use clicks rather than opens.", ["opens"]),
    ("Never mail them again.", ["mail", "them", "again"]),
    ("Mail without DKIM fails.", ["dkim", "fails"]),
])
def test_clause_negators_deny_what_follows(text: str, denied: list[str]) -> None:
    assert denied_words(text) == denied


@pytest.mark.parametrize("text", [
    "No DKIM, but the List-Unsubscribe header is there.",
    "No DKIM; the List-Unsubscribe header is there.",
    "Not DKIM and the List-Unsubscribe header",
    "No DKIM, so the List-Unsubscribe header is there.",
    "No DKIM -> List-Unsubscribe header.",
    "No DKIM \u2192 List-Unsubscribe header.",
])
def test_a_negation_ends_with_its_clause(text: str) -> None:
    assert "unsubscribe" not in denied_words(text)
    assert "dkim" in denied_words(text)


@pytest.mark.parametrize("text", [
    "It is not enough to add a footer link.",
    "Not only the footer link matters.",
    "Whether or not they read the footer link.",
    "Processed in no more than two days.",
    "Don't forget the footer link.",
    "Make sure no footer link is broken.",
    "Check that the footer link does not 404.",
    "Add it so that Gmail doesn't clip the footer link.",
    "Contacts with no footer link click in 6 months.",
    "Anyone who does not click is shown the footer link.",
    "It must not go to people who saw the footer link.",
])
def test_limits_checks_conditions_and_double_negation_are_not_denials(text: str) -> None:
    assert "footer" not in denied_words(text)
    assert "link" not in denied_words(text)


@pytest.mark.parametrize("text", [
    "List-Unsubscribe headers are not needed.",
    "The List-Unsubscribe header doesn't matter.",
    "DKIM and List-Unsubscribe are not a concern.",
    "It is not true that we need List-Unsubscribe headers.",
    "It's a myth that marketing mail needs List-Unsubscribe, DKIM or https.",
    "I don't think List-Unsubscribe is required.",
])
def test_denied_predicates_and_sentence_negators(text: str) -> None:
    assert "unsubscribe" in denied_words(text)


def test_a_short_list_ending_in_or_stays_denied() -> None:
    assert denied_words("No need for DKIM, https or List-Unsubscribe.")[-2:] == [
        "list", "unsubscribe"]
    assert "unsubscribe" not in denied_words("Without DKIM, you can add List-Unsubscribe or not.")


def test_a_sentence_negator_stops_at_a_contrast_and_at_the_sentence_end() -> None:
    denied = denied_words("It is not true that opens are reliable, but clicks are. Clicks count.")
    assert denied == ["opens", "are", "reliable"]


def test_a_clause_negation_inside_a_denied_sentence_flips_back() -> None:
    assert "headers" not in denied_words("It is not true that you don't need headers.")


# -- copies of the stem -----------------------------------------------------------------------

STEM = ("The engineering team added a Manage email settings link in the footer and say that "
        "covers unsubscribes. What do you tell them?")


def test_the_stem_pasted_back_is_all_cut() -> None:
    copy = strip_copies(STEM, STEM)
    assert copy.copied_share == 1.0
    assert [t for t in tokenize(copy.own_text) if t.is_content] == []
    assert strip_copies(STEM + "?", STEM).copied_share == 1.0


def test_runs_of_four_content_words_are_cut_and_short_echoes_stay() -> None:
    answer = ("A settings link in the footer is not enough. Engineering team added Manage email "
              "settings link, but Gmail wants headers.")
    copy = strip_copies(answer, STEM)
    assert copy.own_text.startswith("A settings link in the footer is not enough. ")
    assert "Manage" not in copy.own_text
    assert copy.own_text.endswith("\n, but Gmail wants headers.")
    assert copy.cut == 7
    assert 0.0 < copy.copied_share < 1.0


def test_copies_are_found_by_stem_and_across_stopwords() -> None:
    copy = strip_copies("They added the Manage-email settings links to a footer.", STEM)
    assert "settings" not in copy.own_text


def test_an_answer_in_its_own_words_keeps_everything() -> None:
    answer = "Add List-Unsubscribe and List-Unsubscribe-Post headers signed with DKIM."
    copy = strip_copies(answer, STEM)
    assert copy.own_text == answer
    assert copy.cut == 0
    assert copy.copied_share == pytest.approx(2 / 9)  # "unsubscribe" twice, a stem word


# -- similarity -------------------------------------------------------------------------------


def test_similarity_is_one_for_the_same_words_and_zero_for_none_shared() -> None:
    assert best_similarity("Suppress the hard bounces.", ["hard bounce suppressed"]) == (
        pytest.approx(1.0))
    assert best_similarity("Retry soft ones.", ["hard bounce suppressed"]) == 0.0
    assert best_similarity("anything", []) == 0.0


def test_similarity_takes_the_best_reference_and_ignores_stopwords() -> None:
    references = ["Clicks over delivered.", "Apple Mail Privacy Protection inflates opens."]
    assert best_similarity("the opens are inflated by Apple", references) > 0.6
    assert best_similarity("the of and to a", references) == 0.0
