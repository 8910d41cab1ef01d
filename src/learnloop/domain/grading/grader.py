"""One entry point: check the response's shape, then grade it by the item's type."""

from __future__ import annotations

from learnloop.domain.content.model import ItemFamily, ItemType
from learnloop.domain.content.variants import Item
from learnloop.domain.errors import InvalidInput
from learnloop.domain.grading.choice import grade_multiple, grade_single
from learnloop.domain.grading.freetext import grade_free_text
from learnloop.domain.grading.numeric import grade_numeric
from learnloop.domain.grading.response import Grade, Response, check_response


def grade(family: ItemFamily, item: Item, response: Response) -> Grade:
    """Grade one response to one variant of a family.

    Raise InvalidInput with every problem of `check_response` when the response is malformed,
    and ValueError when the item is not a variant of the family (a caller's mistake).
    """
    if item.family_id != family.id or item.type is not family.type:
        raise ValueError(f"item {item.family_id!r} ({item.type.value}) is not a variant of "
                         f"family {family.id!r} ({family.type.value})")
    problems = check_response(item, response)
    if problems:
        raise InvalidInput(problems, "the answer is not valid")
    if item.type is ItemType.SINGLE_CHOICE:
        return grade_single(item, response)
    if item.type is ItemType.MULTIPLE_CHOICE:
        return grade_multiple(item, response)
    if item.type is ItemType.NUMERIC:
        if item.answer is None:
            raise ValueError(f"numeric item {item.family_id!r} has no answer")
        return grade_numeric(item, response)
    return grade_free_text(family, item, response)
