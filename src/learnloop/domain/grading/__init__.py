"""The answer grader: pure, offline and deterministic.

    check_response(item, response) -> list[Problem]   the shape of an answer, every problem
    grade(family, item, response) -> Grade             raises InvalidInput when malformed

Choice and numeric items are graded against the variant (`choice`, `numeric`); free text
against the family's rubric (`freetext`), with the learner's own words found by cutting out
copies of the question (`copying`), concepts matched by stem and synonym (`concepts`,
`stemming`, `text`) unless they are denied (`negation`), and a little credit for closeness to
a reference answer (`similarity`). docs/content-packs.md explains the free-text rules to
authors.
"""

from learnloop.domain.grading.grader import grade
from learnloop.domain.grading.response import MAX_TEXT, Grade, Response, check_response

__all__ = ["MAX_TEXT", "Grade", "Response", "check_response", "grade"]
