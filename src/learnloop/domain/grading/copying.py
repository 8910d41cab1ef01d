"""How much of an answer is copied from the question, and the answer without the copies.

Words taken from the question are not evidence that the learner knows anything: a stem that
says "...who unsubscribed from marketing..." pasted back would otherwise meet criteria about
marketing and unsubscribes. So every maximal run of at least RUN content words (stopwords
skipped, compared by stem) that also occurs, in that order, in the stem is cut out of the
answer before concepts, patterns, forbidden patterns and similarity look at it. A cut becomes
a line break, so no pattern can join the words on either side of it into a new sentence.

Short echoes ("the footer link", "the 52% open rate") are kept: answers naturally refer to
what the question is about. `copied_share` is the share of the answer's content words that
are either cut out or occur anywhere in the stem; the grader uses it to give no credit to an
answer that is mostly the question's own words and meets no criterion on what is left.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnloop.domain.grading.text import Token, normalise, tokenize

RUN = 4


@dataclass(frozen=True, slots=True)
class Copying:
    own_text: str  # the normalised answer with the copied runs cut out
    copied_share: float  # 0..1, of the answer's content words
    cut: int  # how many content words were cut out


def _grams(stems: list[str]) -> set[tuple[str, ...]]:
    return {tuple(stems[i:i + RUN]) for i in range(len(stems) - RUN + 1)}


def strip_copies(answer: str, stem_text: str) -> Copying:
    """Cut every run of RUN or more content words copied from `stem_text` out of `answer`."""
    text = normalise(answer)
    stem_content = [t.stem for t in tokenize(normalise(stem_text)) if t.is_content]
    grams = _grams(stem_content)
    vocabulary = set(stem_content)
    content: list[Token] = [t for t in tokenize(text) if t.is_content]
    copied = [False] * len(content)
    for i in range(len(content) - RUN + 1):
        if tuple(t.stem for t in content[i:i + RUN]) in grams:
            for j in range(i, i + RUN):
                copied[j] = True
    pieces = []
    position = 0
    i = 0
    while i < len(content):
        if not copied[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(content) and copied[j + 1]:
            j += 1
        pieces.append(text[position:content[i].start])
        pieces.append("\n")
        position = content[j].end
        i = j + 1
    pieces.append(text[position:])
    echoed = sum(1 for t, cut in zip(content, copied, strict=True)
                 if cut or t.stem in vocabulary)
    share = echoed / len(content) if content else 0.0
    return Copying(own_text="".join(pieces), copied_share=share, cut=sum(copied))
