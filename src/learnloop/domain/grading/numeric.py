"""Grading numeric items: the answer within its tolerance, and the traps that reveal a
misconception.

Float arithmetic leaves noise (300 / 5200 * 100 is not exactly what a person types), so a
tiny relative epsilon is added to the tolerance: a learner who types the answer to the
tolerance's edge is not failed by the last bit of a float.
"""

from __future__ import annotations

import math

from learnloop.domain.content.templates import show
from learnloop.domain.content.variants import Item
from learnloop.domain.grading.response import Grade, Response

RELATIVE_EPSILON = 1e-9


def within(number: float, target: float, tolerance: float) -> bool:
    """|number - target| <= tolerance, forgiving float noise."""
    slack = RELATIVE_EPSILON * max(1.0, abs(target), abs(number))
    return abs(number - target) <= tolerance + slack


def _decimals(tolerance: float) -> int | None:
    """How many decimals make sense to show for an answer given to this tolerance."""
    if tolerance <= 0:
        return None
    return max(0, -math.floor(math.log10(tolerance)))


def describe_answer(item: Item) -> str:
    """"42 (±0.5) %": the answer, rounded to the tolerance, with the tolerance and unit."""
    if item.answer is None:
        return ""
    decimals = _decimals(item.tolerance)
    value = item.answer if decimals is None else round(item.answer, decimals)
    text = show(float(value))
    if item.tolerance > 0:
        text += f" (±{show(float(item.tolerance))})"
    if item.unit:
        text += f" {item.unit}"
    return text


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def grade_numeric(item: Item, response: Response) -> Grade:
    """Right within the tolerance; otherwise every trap it matches names its misconception.

    An answer within the tolerance of the right value is right even when a trap has the same
    value (a trap describes a wrong path that happens to land there in this variant).
    """
    assert response.number is not None
    assert item.answer is not None
    number = float(response.number)
    general = [item.feedback.strip()] if item.feedback else []
    if within(number, item.answer, item.tolerance):
        return Grade(score=1.0, success=True, misconceptions=(), feedback=_unique(general),
                     correct_answer=describe_answer(item))
    traps = [t for t in item.traps if within(number, t.value, item.tolerance)]
    return Grade(
        score=0.0,
        success=False,
        misconceptions=_unique([t.misconception for t in traps]),
        feedback=_unique([t.feedback.strip() for t in traps] + general),
        correct_answer=describe_answer(item),
    )
