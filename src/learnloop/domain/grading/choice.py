"""Grading single- and multiple-choice items against the options of one variant.

The item's options already carry, per variant, whether they are correct and, when they are
not, their misconception and feedback (`variants.make_item` resolves `key_by`).
"""

from __future__ import annotations

from learnloop.domain.content.variants import Item, ItemOption
from learnloop.domain.grading.response import Grade, Response


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def correct_answer(item: Item) -> str:
    """The texts of the correct options, in option order."""
    return "; ".join(o.text.strip() for o in item.options if o.correct)


def _general(item: Item) -> list[str]:
    return [item.feedback.strip()] if item.feedback else []


def grade_single(item: Item, response: Response) -> Grade:
    """Score 1 for the correct option, else 0 with the wrong option's misconception.

    The feedback of the correct option (written for `key_by` families, where an option is the
    key in one variant and a distractor in another) is shown as the explanation, whether the
    learner chose it or missed it.
    """
    chosen = next(o for o in item.options if o.id == response.choices[0])
    key_feedback = [o.feedback.strip() for o in item.options if o.correct and o.feedback]
    if chosen.correct:
        return Grade(score=1.0, success=True, misconceptions=(),
                     feedback=_unique(key_feedback + _general(item)),
                     correct_answer=correct_answer(item))
    wrong = [chosen.feedback.strip()] if chosen.feedback else []
    return Grade(
        score=0.0,
        success=False,
        misconceptions=_unique([chosen.misconception or ""]),
        feedback=_unique(wrong + key_feedback + _general(item)),
        correct_answer=correct_answer(item),
    )


def partial_credit(item: Item, picked: set[str]) -> float:
    """(correct options picked - wrong options picked) / size of the key, at least 0."""
    key = {o.id for o in item.options if o.correct}
    if not key:
        return 0.0
    right = len(picked & key)
    wrong = len(picked - key)
    return max(0.0, (right - wrong) / len(key))


def grade_multiple(item: Item, response: Response) -> Grade:
    """Partial credit; success only for exactly the key.

    Every wrong pick brings its misconception and feedback; every missed correct option that
    carries feedback brings that feedback as what was missed.
    """
    picked = set(response.choices)
    wrong: list[ItemOption] = [o for o in item.options if o.id in picked and not o.correct]
    missed = [o for o in item.options if o.correct and o.id not in picked]
    feedback = [o.feedback.strip() for o in wrong if o.feedback]
    feedback += [o.feedback.strip() for o in missed if o.feedback]
    key = {o.id for o in item.options if o.correct}
    return Grade(
        score=partial_credit(item, picked),
        success=picked == key,
        misconceptions=_unique([o.misconception or "" for o in wrong]),
        feedback=_unique(feedback + _general(item)),
        correct_answer=correct_answer(item),
    )
