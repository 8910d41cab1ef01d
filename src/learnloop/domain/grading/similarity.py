"""How close an answer is to a reference answer: cosine over stemmed content words.

Each text becomes a bag of the Porter stems of its content words (stopwords and punctuation
dropped, numbers kept without thousands separators), weighted by sublinear term frequency
(1 + ln n, so a word said five times does not swamp the rest); the similarity is the cosine
of the two bags. It is order-blind and knows no synonyms, so it is only a small part of a
free-text score (see `freetext`): rubric criteria carry the judgement.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from learnloop.domain.grading.text import normalise, tokenize


def bag(text: str) -> dict[str, float]:
    counts = Counter(t.stem for t in tokenize(normalise(text)) if t.is_content)
    return {word: 1.0 + math.log(n) for word, n in counts.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(weight * b[word] for word, weight in a.items() if word in b)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return min(1.0, dot / norm)


def best_similarity(text: str, references: Iterable[str]) -> float:
    """The highest cosine between the text and any of the references (0 when none)."""
    answer = bag(text)
    return max((cosine(answer, bag(ref)) for ref in references), default=0.0)
