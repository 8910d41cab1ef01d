"""What a learner sends for one item, what the grader gives back, and the shape rules.

`check_response` is the lax-at-the-edge gate: it reports every problem with the shape of a
response at once (each naming its field, `answer.choices`, `answer.number` or `answer.text`)
so that the graders behind it can rely on well-formed input.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from learnloop.domain.content.model import ItemType
from learnloop.domain.content.variants import Item
from learnloop.domain.problems import Problem, has_nul

MAX_TEXT = 2000
WHERE = "answer"


@dataclass(frozen=True, slots=True)
class Response:
    """What a learner sent for one item."""

    choices: tuple[str, ...] = ()  # option ids, for single/multiple choice
    number: float | None = None  # numeric items
    text: str | None = None  # free text


@dataclass(frozen=True, slots=True)
class Grade:
    """The verdict on one response.

    `feedback` holds the paragraphs to show at once: first the explanation for each
    misconception or wrong choice, then what was missed, then the item's general feedback.
    """

    score: float  # 0.0..1.0
    success: bool
    misconceptions: tuple[str, ...]  # ids detected in this answer, in order, no duplicates
    feedback: tuple[str, ...]
    criteria_met: tuple[str, ...] = ()  # free text: criterion ids met
    criteria_missed: tuple[str, ...] = ()
    correct_answer: str = ""  # a human-readable statement of the right answer


def _problem(field: str, message: str) -> Problem:
    return Problem(WHERE, message, field=f"{WHERE}.{field}")


def _quoted(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids)


def _check_choices(item: Item, response: Response) -> list[Problem]:
    problems: list[Problem] = []
    chosen = list(response.choices)
    single = item.type is ItemType.SINGLE_CHOICE
    if not chosen:
        problems.append(_problem("choices", "choose an option" if single
                                 else "choose at least one option"))
    elif single and len(chosen) != 1:
        problems.append(_problem("choices", f"choose exactly one option (got {len(chosen)})"))
    if not single:
        repeated = [c for c, n in Counter(chosen).items() if n > 1]
        if repeated:
            problems.append(_problem("choices", f"option(s) chosen more than once: "
                                                f"{_quoted(repeated)}"))
    valid = [o.id for o in item.options]
    unknown = list(dict.fromkeys(c for c in chosen if c not in valid))
    if unknown:
        problems.append(_problem("choices", f"unknown option(s) {_quoted(unknown)}; "
                                            f"the options are: {', '.join(valid)}"))
    return problems


def _check_number(response: Response) -> list[Problem]:
    number = response.number
    if number is None:
        return [_problem("number", "a number is required")]
    if isinstance(number, bool) or not isinstance(number, int | float):
        return [_problem("number", "the answer must be a number")]
    if not math.isfinite(number):
        return [_problem("number", "the number must be finite")]
    return []


def _check_text(response: Response) -> list[Problem]:
    text = response.text
    if text is None or not text.strip():
        return [_problem("text", "an answer is required")]
    problems = []
    if len(text) > MAX_TEXT:
        problems.append(_problem("text", f"the answer must be at most {MAX_TEXT} characters "
                                         f"(it has {len(text)})"))
    if has_nul(text):
        problems.append(_problem("text", "the answer must not contain NUL characters"))
    return problems


def _check_extras(item: Item, response: Response) -> list[Problem]:
    """Each item type takes one kind of answer; anything else sent along is a mistake."""
    kind = item.type.value
    problems = []
    if response.choices and not (item.type is ItemType.SINGLE_CHOICE
                                 or item.type is ItemType.MULTIPLE_CHOICE):
        problems.append(_problem("choices", f"a {kind} item takes no choices"))
    if response.number is not None and item.type is not ItemType.NUMERIC:
        problems.append(_problem("number", f"a {kind} item takes no number"))
    if response.text is not None and item.type is not ItemType.FREE_TEXT:
        problems.append(_problem("text", f"a {kind} item takes no text"))
    return problems


def check_response(item: Item, response: Response) -> list[Problem]:
    """Every problem with the shape of a response, each naming its field.

    Choice items need choices and nothing else: single choice exactly one, multiple choice at
    least one and no duplicates, and every id an option of the item. Numeric items need a
    finite number; free text needs non-blank text of at most MAX_TEXT characters without NUL.
    """
    problems = _check_extras(item, response)
    if item.type is ItemType.SINGLE_CHOICE or item.type is ItemType.MULTIPLE_CHOICE:
        problems += _check_choices(item, response)
    elif item.type is ItemType.NUMERIC:
        problems += _check_number(response)
    else:
        problems += _check_text(response)
    return problems
