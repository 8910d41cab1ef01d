"""Finding a rubric concept in an answer: any of its synonyms, said and not denied.

A synonym matches at a word boundary, case-insensitively, word by word, where two words match
when their Porter stems are equal ("clicks" / "clicked" / "click"), or when the synonym's word
has five letters or more and the answer's word starts with it (so a synonym written as a
truncated stem, "personalis" or "exaggerat", matches "personalised" and "exaggerated"; short
words such as "bot" or "alt" must match exactly, so "both" and "although" do not count).
Neighbouring words are also tried joined, so "one-click", "one click" and "oneclick" are the
same, as are "re-engage" and "reengage".

A match that starts in a negated context (see `negation`) does not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from learnloop.domain.grading.stemming import stem
from learnloop.domain.grading.text import Token, words

PREFIX_MIN = 5
MAX_JOIN = 3


@dataclass(frozen=True, slots=True)
class Synonym:
    words: tuple[str, ...]
    stems: tuple[str, ...]
    joined: str


@lru_cache(maxsize=4096)
def synonym(term: str) -> Synonym:
    tokens = words(term)
    joined = "".join(t.text for t in tokens)
    return Synonym(tuple(t.text for t in tokens), tuple(t.stem for t in tokens), joined)


def _word_matches(token: Token, word: str, word_stem: str) -> bool:
    if token.stem == word_stem:
        return True
    return len(word) >= PREFIX_MIN and token.text.startswith(word)


def _joined_matches(joined: str, target: str) -> bool:
    if joined == target or stem(joined) == stem(target):
        return True
    return len(target) >= PREFIX_MIN and joined.startswith(target)


def _matches_at(tokens: Sequence[Token], i: int, syn: Synonym) -> bool:
    n = len(syn.words)
    if i + n <= len(tokens) and all(
        tokens[i + j].is_word and _word_matches(tokens[i + j], syn.words[j], syn.stems[j])
        for j in range(n)
    ):
        return True
    joined = ""
    for k in range(MAX_JOIN):
        if i + k >= len(tokens) or tokens[i + k].is_break:
            return False
        joined += tokens[i + k].text
        if (k > 0 or n > 1) and _joined_matches(joined, syn.joined):
            return True
        if len(joined) > len(syn.joined) + 8:
            return False
    return False


def find(tokens: Sequence[Token], denied: Sequence[bool], term: str) -> int | None:
    """The index of the first token where `term` is said and not denied, or None."""
    syn = synonym(term)
    if not syn.words:
        return None
    for i, token in enumerate(tokens):
        if token.is_word and not denied[i] and _matches_at(tokens, i, syn):
            return i
    return None


def concept_present(tokens: Sequence[Token], denied: Sequence[bool],
                    terms: Sequence[str]) -> bool:
    """Whether any synonym of the concept is said, and not denied, in the answer."""
    return any(find(tokens, denied, term) is not None for term in terms)
