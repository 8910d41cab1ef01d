"""Grading a free-text answer against its family's rubric, offline and deterministically.

In small steps:

1. Copies of the question are cut out (`copying`): only the learner's own words are evidence.
2. Each criterion is met when every concept group has a synonym said and not denied
   (`concepts`, `negation`) in what is left, and, when the criterion has patterns, at least
   one of them matches (case-insensitive `re.search`) at a place that is not denied either
   ("there is no need to divide by delivered" does not compute a rate over delivered).
3. criteria = weighted share of criteria met; similarity = best cosine to a reference answer
   (`similarity`), 0..1.
4. score = criteria + SIMILARITY_WEIGHT * similarity * (1 - criteria): similarity can win
   back at most a fifth of the credit the criteria missed. Why this blend: the criteria carry
   the judgement because they are explicit and explainable ("Missing: ..."), and an author's
   pass_score is a share of them, so an answer meeting that share passes and one meeting
   them all scores 1 however it is worded (a bag-of-words cosine knows no synonyms and
   would only punish a good paraphrase). Similarity separates answers that meet the same
   criteria and gives some credit to a near miss written close to a model answer, but it
   cannot carry an answer that misses much (with half the criteria, a perfect copy of a
   reference would be needed to reach 0.6).
5. An answer that is mostly the question's own words (more than COPY_LIMIT of its content
   words) and meets no criterion scores 0.
6. A forbidden pattern fires when it matches the learner's own words at a place that is not
   denied ("it's a myth that a footer link is enough" does not fire "footer link is
   enough"). It names its misconception and feedback, halves the score and keeps it below
   the pass score: a complete answer that also states the misconception must not pass, but
   the credit for what it got right still shows.
7. success = score >= pass_score and no forbidden pattern fired.

Rubric text (reference answers, criterion descriptions, forbidden feedback) is rendered with
the variant's values only when it uses `{name}` placeholders that the variant defines; other
braces (a reference answer about "{{ first_name }}" merge tags) are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from learnloop.domain.content import templates
from learnloop.domain.content.model import Criterion, Forbidden, ItemFamily, Rubric, Scalar
from learnloop.domain.content.variants import Item, values_for
from learnloop.domain.grading.concepts import concept_present
from learnloop.domain.grading.copying import strip_copies
from learnloop.domain.grading.negation import negated
from learnloop.domain.grading.response import Grade, Response
from learnloop.domain.grading.similarity import best_similarity
from learnloop.domain.grading.text import Token, tokenize

SIMILARITY_WEIGHT = 0.2
COPY_LIMIT = 0.8
FORBIDDEN_FACTOR = 0.5
BELOW_PASS = 0.01

COPIED_FEEDBACK = ("Most of this answer repeats the question. Say in your own words what you "
                   "would do and why.")


@dataclass(frozen=True, slots=True)
class Assessment:
    """The evidence behind a free-text score, for the grade and for anyone tuning a rubric."""

    met: tuple[Criterion, ...]
    missed: tuple[Criterion, ...]
    fired: tuple[Forbidden, ...]
    criteria: float  # weighted share of criteria met
    similarity: float  # best cosine to a reference answer, on the learner's own words
    copied_share: float
    score: float
    success: bool

    @property
    def mostly_copied(self) -> bool:
        return self.copied_share > COPY_LIMIT and not self.met


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _said_at(tokens: Sequence[Token], denied: Sequence[bool], position: int) -> bool:
    """Whether the text at `position` is said, not denied: judged on the token there (or the
    next one, when the position is between tokens)."""
    for i, token in enumerate(tokens):
        if token.end > position:
            return not denied[i]
    return True


def _pattern_said(pattern: str, tokens: Sequence[Token], denied: Sequence[bool],
                  text: str) -> bool:
    return any(_said_at(tokens, denied, m.start()) for m in _compiled(pattern).finditer(text))


def _criterion_met(criterion: Criterion, tokens: Sequence[Token], denied: Sequence[bool],
                   text: str) -> bool:
    if not all(concept_present(tokens, denied, group) for group in criterion.concepts):
        return False
    return not criterion.patterns or any(_pattern_said(p, tokens, denied, text)
                                         for p in criterion.patterns)


def _fires(forbidden: Forbidden, tokens: Sequence[Token], denied: Sequence[bool],
           text: str) -> bool:
    return any(_pattern_said(p, tokens, denied, text) for p in forbidden.patterns)


def assess(rubric: Rubric, stem: str, answer: str, references: Sequence[str]) -> Assessment:
    """Grade `answer` to the question `stem` by the rubric (references already rendered)."""
    copying = strip_copies(answer, stem)
    own = copying.own_text
    tokens = tokenize(own)
    denied = negated(tokens)
    met = tuple(c for c in rubric.criteria if _criterion_met(c, tokens, denied, own))
    met_ids = {c.id for c in met}
    missed = tuple(c for c in rubric.criteria if c.id not in met_ids)
    total = sum(c.weight for c in rubric.criteria)
    criteria = sum(c.weight for c in met) / total if total > 0 else 0.0
    similarity = best_similarity(own, references)
    score = criteria + SIMILARITY_WEIGHT * similarity * (1.0 - criteria)
    if copying.copied_share > COPY_LIMIT and not met:
        score = 0.0
    fired = tuple(f for f in rubric.forbidden if _fires(f, tokens, denied, own))
    if fired:
        score = min(score * FORBIDDEN_FACTOR, max(0.0, rubric.pass_score - BELOW_PASS))
    score = round(min(1.0, max(0.0, score)), 4)
    return Assessment(
        met=met,
        missed=missed,
        fired=fired,
        criteria=criteria,
        similarity=similarity,
        copied_share=copying.copied_share,
        score=score,
        success=not fired and score >= rubric.pass_score,
    )


def render_soft(text: str, values: Mapping[str, Scalar]) -> str:
    """Fill `{name}` placeholders the variant defines; leave any other text as written."""
    try:
        names = templates.fields_in(text)
    except templates.TemplateError:
        return text
    if not names or not names <= set(values):
        return text
    return templates.render(text, values)


def _plain(text: str) -> str:
    return " ".join(text.split())


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _lower_first(text: str) -> str:
    """"Names the header" -> "names the header"; "RFC 8058 headers" stays as it is."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _good_line(met: Sequence[str]) -> str:
    return "Good: " + "; ".join(_lower_first(d.rstrip(".")) for d in met) + "."


def grade_free_text(family: ItemFamily, item: Item, response: Response) -> Grade:
    rubric = family.rubric
    if rubric is None:
        raise ValueError(f"free-text family {family.id!r} has no rubric")
    assert response.text is not None
    values = values_for(family, item.variant)
    references = [_plain(render_soft(r, values)) for r in rubric.reference_answers]
    result = assess(rubric, item.stem, response.text, references)

    def describe(c: Criterion) -> str:
        return _plain(render_soft(c.description, values))

    feedback = [COPIED_FEEDBACK] if result.mostly_copied else []
    feedback += [_plain(render_soft(f.feedback, values)) for f in result.fired]
    if result.success and result.met:
        feedback.append(_good_line([describe(c) for c in result.met]))
    feedback += [f"Missing: {describe(c)}" for c in result.missed]
    if item.feedback:
        feedback.append(_plain(item.feedback))
    return Grade(
        score=result.score,
        success=result.success,
        misconceptions=_unique([f.misconception for f in result.fired]),
        feedback=_unique(feedback),
        criteria_met=tuple(c.id for c in result.met),
        criteria_missed=tuple(c.id for c in result.missed),
        correct_answer=references[0] if references else "",
    )
