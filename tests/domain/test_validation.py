"""Whole-pack rules: each problem names the file and the line a person has to fix.

Packs are read from text with the pack reader so that every object knows its file and line;
`line_of` finds the expected line by its content, so the tests say which line they mean.
"""

from __future__ import annotations

import pytest

from learnloop.domain.content.model import ItemFamily, ItemType, Pack, Skill
from learnloop.domain.content.validation import is_slug, validate_pack
from learnloop.domain.problems import Problem, Severity
from learnloop.packs.reader import read_pack_files
from tests.packs_fixture import (
    BASICS_MD,
    FILES,
    ITEMS_YAML,
    LESSON_MD,
    PREFLIGHT_YAML,
    SKILLS_YAML,
    line_of,
    pack_files,
)

ITEMS = "items/deliverability.yaml"
KEY_BY = """\
    key_by:
      param: meaning
      values:
        "mailbox does not exist": suppress
        "mailbox full": retry
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(extra: dict[str, str] | None = None, **overrides: str | None) -> list[Problem]:
    reading = read_pack_files(pack_files(extra, **overrides))
    assert reading.problems == []
    assert reading.pack is not None
    return validate_pack(reading.pack)


def only_error(found: list[Problem]) -> Problem:
    errors = [p for p in found if p.is_error]
    assert len(errors) == 1, [str(p) for p in found]
    return errors[0]


def test_the_fixture_pack_is_valid() -> None:
    assert problems() == []


# -- duplicate ids -------------------------------------------------------------------------
def test_duplicate_skill_id() -> None:
    skills = SKILLS_YAML + """\
  - id: deliverability
    name: Again
    behaviour: Twice.
    in_work: Twice.
"""
    problem = only_error(problems(skills=skills))
    assert (problem.where, problem.line, problem.field) == (
        "skills.yaml", line_of(skills, "- id: deliverability", 2), "id")
    assert problem.message == "duplicate skill id 'deliverability'"


def test_duplicate_misconception_id() -> None:
    skills = SKILLS_YAML + """\
  - id: reporting
    name: Reporting
    behaviour: Reports honestly.
    in_work: Numbers add up.
    misconceptions:
      - id: wrong-denominator
        description: Again.
"""
    problem = only_error(problems(skills=skills))
    assert (problem.where, problem.line) == (
        "skills.yaml", line_of(skills, "- id: wrong-denominator", 2))
    assert problem.message == "duplicate misconception id 'wrong-denominator'"


def test_duplicate_lesson_id_across_files() -> None:
    copy = edit(BASICS_MD, "title: Delivery basics", "title: Basics again")
    problem = only_error(problems(extra={"lessons/copy.md": copy}))
    # lessons are read in file-name order: basics.md, bounces.md, copy.md
    assert (problem.where, problem.line, problem.field) == (
        "lessons/copy.md", line_of(copy, "id: basics"), "id")
    assert problem.message == "duplicate lesson id 'basics'"


def test_duplicate_item_family_id() -> None:
    items = edit(ITEMS_YAML, "- id: bounce-rate", "- id: bounce-code")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line) == (ITEMS, line_of(items, "- id: bounce-code", 2))
    assert problem.message == "duplicate item family id 'bounce-code'"


def test_duplicate_option_id() -> None:
    items = edit(ITEMS_YAML, "- id: retry", "- id: suppress")
    found = [p for p in problems(items=items) if "duplicate option id" in p.message]
    assert [(p.where, p.line, p.field) for p in found] == [
        (ITEMS, line_of(items, "options:"), "options")]


# -- unknown references --------------------------------------------------------------------
def test_unknown_skill_of_a_lesson() -> None:
    lesson = edit(LESSON_MD, "skill: deliverability", "skill: deliverabilty")
    problem = only_error(problems(lesson=lesson))
    assert (problem.where, problem.line, problem.field) == (
        "lessons/bounces.md", line_of(lesson, "skill: deliverabilty"), "skill")
    assert problem.message == "unknown skill 'deliverabilty'"


def test_unknown_skill_of_an_item_family() -> None:
    items = edit(ITEMS_YAML, "    skill: deliverability\n    type: numeric",
                 "    skill: reporting\n    type: numeric")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "skill: reporting"), "skill")
    assert problem.message == "unknown skill 'reporting'"


def test_unknown_lesson_of_an_item_family() -> None:
    items = edit(ITEMS_YAML, "lesson: bounces", "lesson: bounce-basics")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "lesson: bounce-basics"), "lesson")
    assert problem.message == "unknown lesson 'bounce-basics'"


def test_unknown_lesson_in_preflight() -> None:
    preflight = edit(PREFLIGHT_YAML, "    lesson: bounces", "    lesson: bouncing")
    problem = only_error(problems(preflight=preflight))
    assert (problem.where, problem.line) == ("preflight.yaml", line_of(preflight, "- rule: D1"))
    assert problem.message == "unknown lesson 'bouncing'"


def test_unknown_misconception_of_an_option() -> None:
    items = edit(ITEMS_YAML, "        misconception: soft-hard-confused\n"
                 "        feedback: A 5.x.x",
                 "        misconception: hard-soft-confused\n        feedback: A 5.x.x")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- id: retry"), "options")
    assert problem.message == "option 'retry': unknown misconception 'hard-soft-confused'"


def test_unknown_misconception_of_a_numeric_trap() -> None:
    items = edit(ITEMS_YAML, "misconception: wrong-denominator", "misconception: wrong-base")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- answer: bounced / (sent - bounced)"), "misconceptions")
    assert problem.message == "unknown misconception 'wrong-base'"


def test_unknown_misconception_of_a_forbidden_answer() -> None:
    items = edit(ITEMS_YAML, "misconception: footer-enough", "misconception: footer-ok")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line) == (ITEMS, line_of(items, "- misconception: footer-ok"))
    assert problem.message == "forbidden: unknown misconception 'footer-ok'"


def test_unknown_prerequisite() -> None:
    lesson = edit(LESSON_MD, "prerequisites: [basics]", "prerequisites: [basics, spf]")
    problem = only_error(problems(lesson=lesson))
    assert (problem.where, problem.line, problem.field) == (
        "lessons/bounces.md", line_of(lesson, "prerequisites:"), "prerequisites")
    assert problem.message == "unknown lesson 'spf'"


def test_a_lesson_cannot_be_its_own_prerequisite() -> None:
    lesson = edit(LESSON_MD, "prerequisites: [basics]", "prerequisites: [bounces]")
    problem = only_error(problems(lesson=lesson))
    assert (problem.where, problem.line) == (
        "lessons/bounces.md", line_of(lesson, "prerequisites:"))
    assert problem.message == "a lesson cannot be its own prerequisite"


def test_prerequisite_cycle() -> None:
    basics = edit(BASICS_MD, "minutes: 3\n", "minutes: 3\nprerequisites: [bounces]\n")
    problem = only_error(problems(basics=basics))
    assert (problem.where, problem.line, problem.field) == (
        "lessons/basics.md", line_of(basics, "prerequisites:"), "prerequisites")
    assert problem.message == "prerequisites form a cycle: basics -> bounces -> basics"


def test_a_longer_prerequisite_cycle_is_reported_once() -> None:
    basics = edit(BASICS_MD, "minutes: 3\n", "minutes: 3\nprerequisites: [third]\n")
    third = edit(BASICS_MD, "id: basics", "id: third")
    third = edit(third, "minutes: 3\n", "minutes: 3\nprerequisites: [bounces]\n")
    found = problems(basics=basics, extra={"lessons/third.md": third})
    assert [p.message for p in found] == [
        "prerequisites form a cycle: basics -> third -> bounces -> basics"]


# -- answer keys and distractors -----------------------------------------------------------
def test_key_not_among_the_options() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "    key: delete\n")
    found = [p for p in problems(items=items) if p.field == "key"]
    assert [(p.where, p.line, p.message) for p in found] == [
        (ITEMS, line_of(items, "key: delete"),
         "answer key 'delete' is not among the options (suppress, retry)")]


def test_key_by_value_not_among_the_options() -> None:
    items = edit(ITEMS_YAML, '"mailbox full": retry', '"mailbox full": wait')
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "key_by:"), "key_by")
    assert problem.message.startswith("answer key 'wait' is not among the options")


def test_key_by_an_unknown_parameter() -> None:
    items = edit(ITEMS_YAML, "param: meaning", "param: status")
    found = [p for p in problems(items=items) if p.field == "key_by"]
    assert [(p.line, p.message) for p in found][:1] == [
        (line_of(items, "key_by:"), "unknown parameter 'status'")]


def test_single_choice_key_with_two_ids() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "    key: [suppress, retry]\n")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "key: [suppress, retry]"), "key")
    assert problem.message == "a single_choice key names exactly one option"


def test_multiple_choice_key_with_two_ids_is_fine() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "    key: [suppress, retry]\n")
    items = edit(items, "type: single_choice", "type: multiple_choice")
    assert problems(items=items) == []


def test_choice_item_without_a_key() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line) == (ITEMS, line_of(items, "- id: bounce-code"))
    assert problem.message.startswith("a choice item needs a key")


def test_distractor_without_a_misconception() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "    key: suppress\n")
    items = edit(items, "        misconception: soft-hard-confused\n        feedback: A 5.x.x",
                 "        feedback: A 5.x.x")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- id: retry"), "options")
    assert problem.message == "distractor 'retry' needs a misconception tag"


def test_distractor_without_feedback() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "    key: suppress\n")
    items = edit(items, "        feedback: A 5.x.x code is permanent; retrying hurts your "
                 "reputation.\n", "")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- id: retry"), "options")
    assert problem.message == "distractor 'retry' needs feedback explaining why it is wrong"


def test_with_a_fixed_key_the_right_option_needs_no_misconception() -> None:
    items = edit(ITEMS_YAML, KEY_BY, "    key: suppress\n")
    items = edit(items, "        misconception: soft-hard-confused\n"
                 "        feedback: A 4.x.x code is temporary; the mailbox may accept mail "
                 "tomorrow.\n", "")
    assert problems(items=items) == []


def test_with_key_by_every_option_needs_a_misconception() -> None:
    items = edit(ITEMS_YAML, "        misconception: soft-hard-confused\n"
                 "        feedback: A 4.x.x", "        feedback: A 4.x.x")
    problem = only_error(problems(items=items))
    assert (problem.line, problem.message) == (
        line_of(items, "- id: suppress"), "distractor 'suppress' needs a misconception tag")


# -- lessons -------------------------------------------------------------------------------
@pytest.mark.parametrize("minutes", [0, 2, 8, 30])
def test_minutes_outside_three_to_seven(minutes: int) -> None:
    lesson = edit(LESSON_MD, "minutes: 4", f"minutes: {minutes}")
    problem = only_error(problems(lesson=lesson))
    assert (problem.where, problem.line, problem.field) == (
        "lessons/bounces.md", line_of(lesson, "minutes:"), "minutes")
    assert problem.message == f"must be between 3 and 7 (got {minutes})"


@pytest.mark.parametrize("minutes", [3, 7])
def test_minutes_at_the_bounds_are_fine(minutes: int) -> None:
    assert problems(lesson=edit(LESSON_MD, "minutes: 4", f"minutes: {minutes}")) == []


def test_lesson_without_sections() -> None:
    lesson = LESSON_MD.split("\n## ", 1)[0] + "\n"
    problem = only_error(problems(lesson=lesson))
    assert (problem.where, problem.line) == ("lessons/bounces.md", 1)
    assert problem.message.startswith("a lesson needs at least one section")


def test_two_sections_with_one_heading_is_a_warning_at_each() -> None:
    lesson = LESSON_MD.replace("## Soft bounces", "## Hard bounces")
    found = problems(lesson=lesson)
    assert {p.severity for p in found} == {Severity.WARNING}
    assert [(p.where, p.line) for p in found] == [
        ("lessons/bounces.md", line_of(lesson, "## Hard bounces", 1)),
        ("lessons/bounces.md", line_of(lesson, "## Hard bounces", 2)),
    ]


# -- templates and variants ----------------------------------------------------------------
def test_template_with_an_unknown_placeholder() -> None:
    items = edit(ITEMS_YAML, "and {bounced} bounced", "and {bounces} bounced")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "stem: A campaign went to"), "stem")
    assert problem.message == "template cannot be filled: unknown placeholder {bounces}"


def test_option_template_with_an_unknown_placeholder_names_the_option_line() -> None:
    items = edit(ITEMS_YAML, "text: Suppress the address at once.",
                 "text: Suppress {address} at once.")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- id: suppress"), "options")
    assert problem.message == (
        "options.suppress: template cannot be filled: unknown placeholder {address}")


def test_malformed_template() -> None:
    items = edit(ITEMS_YAML, "Bounce rate = {bounced}", "Bounce rate = {bounced")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "feedback: Bounce rate ="), "feedback")
    assert problem.message.startswith("malformed template")


def test_division_by_zero_in_one_variant() -> None:
    items = edit(ITEMS_YAML, "rate: round(bounced / sent * 100, 2)",
                 "rate: round(bounced / (sent - 12000) * 100, 2)")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "derived:"), "derived")
    assert problem.message == (
        "template cannot be filled for variant 1: derived.rate: division by zero")


def test_answer_that_fails_in_one_variant() -> None:
    items = edit(ITEMS_YAML, "answer: bounced / sent * 100", "answer: bounced / (sent - 25000)")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "answer: bounced / (sent - 25000)"), "answer")
    assert problem.message == (
        "template cannot be filled for variant 3: answer: division by zero")


def test_derived_value_with_an_unknown_name() -> None:
    items = edit(ITEMS_YAML, "rate: round(bounced / sent", "rate: round(bounces / sent")
    found = [p for p in problems(items=items) if p.field == "derived"]
    assert [(p.where, p.line, p.message) for p in found] == [
        (ITEMS, line_of(items, "derived:"),
         "rate: unknown name 'bounces' (use a parameter or an earlier derived value)")]


def test_answer_that_is_not_arithmetic() -> None:
    items = edit(ITEMS_YAML, "answer: bounced / sent * 100", "answer: open('/etc/passwd')")
    problem = only_error(problems(items=items))
    assert (problem.line, problem.field) == (line_of(items, "answer: open("), "answer")
    assert "only the functions round, min, max and abs" in problem.message


def test_identical_stems_are_a_warning_not_an_error() -> None:
    items = edit(ITEMS_YAML, 'The server answered "{code}".', "The server answered.")
    [problem] = problems(items=items)
    assert problem.severity is Severity.WARNING
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "stem: The server answered."), "stem")


# -- free-text rubrics ---------------------------------------------------------------------
def test_invalid_regular_expression_in_a_criterion() -> None:
    items = edit(ITEMS_YAML, 'patterns: ["one[- ]click"]', 'patterns: ["one[- click"]')
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- id: one-click"), "rubric")
    assert problem.message.startswith("invalid regular expression 'one[- click'")


def test_invalid_regular_expression_in_a_forbidden_answer() -> None:
    items = edit(ITEMS_YAML, '"footer (link )?is (enough|fine)"', '"footer (link ?is"')
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line) == (ITEMS, line_of(items, "- misconception: footer"))
    assert problem.message.startswith("invalid regular expression 'footer (link ?is'")


def test_free_text_without_a_reference_answer() -> None:
    items = edit(ITEMS_YAML, "      reference_answers:\n        - Add the List-Unsubscribe "
                 "header with one-click support; a footer link alone fails.\n", "")
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "rubric:"), "rubric")
    assert problem.message == "a rubric needs at least one reference answer"


def test_criterion_without_concepts_or_patterns() -> None:
    items = edit(ITEMS_YAML, '          patterns: ["one[- ]click"]\n', "")
    problem = only_error(problems(items=items))
    assert (problem.line, problem.message) == (
        line_of(items, "- id: one-click"),
        "criterion 'one-click' needs at least one concept or pattern")


def test_free_text_without_a_rubric() -> None:
    items = ITEMS_YAML.split("    rubric:\n", 1)[0]
    problem = only_error(problems(items=items))
    assert (problem.where, problem.line, problem.field) == (
        ITEMS, line_of(items, "- id: explain-unsubscribe"), "rubric")
    assert problem.message == "a free_text item needs a rubric"


# -- ids -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "ok"), [
    ("deliverability", True), ("a", True), ("a1-b2", True), ("a" * 64, True),
    ("a" * 65, False), ("1abc", False), ("Abc", False), ("a_b", False), ("-a", False),
    ("", False), ("a b", False),
])
def test_slug_rule(value: str, ok: bool) -> None:
    assert is_slug(value) is ok


def test_every_problem_is_reported_at_once() -> None:
    pack = Pack(
        id="Bad Pack", title="t", description="",
        skills=(Skill("s", "S", "b", "w"),),
        families=(
            ItemFamily(id="x", skill="nope", type=ItemType.NUMERIC, stem="{y}", answer="z"),
        ),
    )
    messages = [p.message for p in validate_pack(pack)]
    assert any("'Bad Pack' is not a valid id" in m for m in messages)
    assert "unknown skill 'nope'" in messages
    assert "template cannot be filled: unknown placeholder {y}" in messages
    assert "unknown name 'z'" in messages


def test_a_grid_with_too_many_variants_is_refused_without_rendering_them() -> None:
    grid = "\n".join(f"        p{i}: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" for i in range(9))
    items = edit(ITEMS_YAML, "        sent: [12000, 25000]\n        bounced: [240, 600]",
                 f"        sent: [12000, 25000]\n        bounced: [240, 600]\n{grid}")
    problem = only_error(problems(items=items))  # 2 * 2 * 10**9 variants: must not render them
    assert (problem.where, problem.line, problem.field) == (ITEMS, line_of(items, "params:", 2),
                                                            "params")
    assert problem.message == (
        "the family has 4,000,000,000 variants; at most 10,000 are allowed "
        "(shorten the grid's lists)")


@pytest.mark.parametrize(("key", "old", "field"), [
    ("pack", "title: Starter pack", "title"),
    ("skills", "name: Deliverability", "name"),
    ("lesson", "title: Soft and hard bounces", "title"),
])
def test_titles_and_names_are_at_most_200_characters(key: str, old: str, field: str) -> None:
    path, text = FILES[key]
    long_text = edit(text, old, f"{field}: " + "x" * 201)
    problem = only_error(problems(**{key: long_text}))
    assert (problem.where, problem.line, problem.field) == (
        path, line_of(long_text, "x" * 201), field)
    assert problem.message == "must be at most 200 characters (got 201)"
    assert problems(**{key: edit(text, old, f"{field}: " + "x" * 200)}) == []
