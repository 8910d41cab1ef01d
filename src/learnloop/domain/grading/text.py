"""Free text as the grader reads it: normalised characters, word tokens and breaks.

A token is either a word (letters with inner apostrophes, a number, or `%`) or a break: the
punctuation that ends a clause (`, : — –` and the arrows `-> => →`) or a sentence
(`. ! ? ;` and a new line). Hyphens and underscores split words, so "one-click", "one click"
and "first_name" tokenise the same way; concept matching (see `concepts`) also joins
neighbouring words, so "oneclick" and "re-engage" / "reengage" meet too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnloop.domain.grading.stemming import stem

_CHARACTERS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
    "\u2010": "-", "\u2011": "-", "\u00a0": " ", "\u202f": " ", "\t": " ", "\r": "\n",
})
_SPACES = re.compile(r"[ \f\v]+")

_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<percent>%)"
    r"|(?P<brk>->|=>|[.;:,!?\n\u2014\u2013\u2192])"
)

SENTENCE_BREAKS = frozenset({".", "!", "?", ";", "\n"})

_STOPWORD_LIST = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing done during each either else
etc even ever every few for from further had has have having he her here hers herself him
himself his how however i if in into is it its itself just least less let like many may me
might more most much must my myself neither no nor not now of off on once one only or other
others our ours ourselves out over own per quite rather really same shall she should since so
some such than that the their theirs them themselves then there these they this those
though through thus to too under until up upon us very was we were what when where whether
which while who whom whose why will with within without would yet you your yours yourself
yourselves i'd i'll i'm i've you'd you'll you're you've we'd we'll we're we've they'd
they'll they're they've it's that's there's here's what's let's he's she's
don't doesn't didn't isn't aren't wasn't weren't won't wouldn't can't cannot couldn't
shouldn't mustn't needn't haven't hasn't hadn't
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())


def normalise(text: str) -> str:
    """Straight quotes, plain hyphens and single spaces; line breaks are kept."""
    text = text.replace("\r\n", "\n").translate(_CHARACTERS)
    return _SPACES.sub(" ", text)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # lower case
    stem: str
    start: int  # character offsets in the normalised text
    end: int
    is_break: bool = False

    @property
    def is_word(self) -> bool:
        return not self.is_break

    @property
    def is_content(self) -> bool:
        """A word that carries meaning (not a stopword, not a break)."""
        return not self.is_break and self.text not in STOPWORDS

    @property
    def ends_sentence(self) -> bool:
        return self.is_break and self.text in SENTENCE_BREAKS


def tokenize(text: str) -> list[Token]:
    """The tokens of an already normalised text."""
    tokens = []
    for match in _TOKEN.finditer(text):
        raw = match.group().lower()
        kind = match.lastgroup
        if kind == "brk":
            tokens.append(Token(raw, raw, match.start(), match.end(), is_break=True))
        elif kind == "number":
            tokens.append(Token(raw, raw.replace(",", ""), match.start(), match.end()))
        else:
            tokens.append(Token(raw, stem(raw), match.start(), match.end()))
    return tokens


def words(text: str) -> list[Token]:
    """The word tokens of a text (a concept's synonym, say), normalising it first."""
    return [t for t in tokenize(normalise(text.strip().lower())) if t.is_word]
