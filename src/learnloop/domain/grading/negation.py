"""Which words of an answer are said in a negated (denied) context.

"You do not need List-Unsubscribe headers" mentions the headers only to deny them, so that
mention must not count as evidence that the learner knows they are needed. This module marks
every token that stands in the scope of a negation; concepts and patterns that start on a
marked token do not count. The heuristic, in small steps:

1. Clause negators: not, no, never, none, nobody, nothing, neither, nor, without, cannot, any
   word ending in n't (don't, isn't, needn't...) or typed without the apostrophe (dont,
   doesnt...), and the pairs "rather than" and "instead of". Their scope runs from just after
   the negator to the end of its clause. Clauses end at `, : — –`, at sentence ends
   (`. ! ? ;` and new lines) and at the words and, but, so, then, because, however, although,
   though, yet, whereas, while. A comma that goes on with a short list ending in "or" ("no
   need for X, Y or Z") does not end the clause.
2. Not a denial: "not enough / sufficient / only / just / merely / necessarily / simply /
   always" and "no more / later / less than" limit a claim, they do not deny the thing that
   follows ("it is not enough to add a footer link" still talks about a footer link); nor do
   "or not" (whether or not), "no matter", "no doubt" and "not to mention".
3. Double negation: a privative verb after a negator (forget, skip, omit, ignore, neglect,
   overlook, miss) cancels it: "don't forget the List-Unsubscribe header" affirms it. Two
   negators in one scope cancel as well.
4. Scopes end early at a relative word (who, whom, whose, which, that, but not "think that",
   "say that"...): in "it must not go to people who unsubscribed" the unsubscribe is
   affirmed. A negator inside a subordinate clause (after who, which, that, if, when,
   unless, until, once, anyone...) stops at the next main verb-like word (is, are, will,
   must, should, can, get(s), move(s), go(es), receive(s), has, have...): in "anyone who
   does not click is suppressed" the suppression is affirmed.
5. Checks and purposes are not denials: after "make sure", "ensure", "check", "test",
   "verify", "confirm", "avoid", "prevent", "so that" or "in case" in the same clause, a
   negator states what is guarded against ("make sure no links point to staging", "so that
   Gmail does not clip it"), so it is ignored.
6. Inactivity conditions are not denials: in a clause with a time window ("in 6 months",
   "for a year", "within the last 90 days"), "no click" or "hasn't bought" describes who the
   rule applies to, so that clause's negators are ignored.
7. Denied predicates reach back: "X is not needed", "X doesn't matter", "X and Y are not a
   concern" deny X and Y, back to the last break or contrast word (across and / or). Only
   need, require(d), necessary, mandatory, essential, matter, important, relevant, apply,
   concern, problem and issue count as such predicates, right after the negator (allowing
   "be", "a", "really"...) and with no object after them ("you do not need X" denies X
   only); "a footer link is not enough" keeps the footer link.
8. Sentence negators: "it is not true that ...", "it's a myth that ...", "it is false that
   ..." deny everything after them up to the end of the sentence or a contrast word (but,
   however, although, though, yet, whereas), across commas. A clause negation inside that
   scope flips it back.

Known limits: there is no parser, so scopes are approximate. Any other negated verb denies
what follows it, not its subject ("MPP does not inflate opens" still mentions MPP). "And"
ends a scope ("no X, Y and Z" leaves Y and Z affirmed). Verbs that deny without a negator ("skip the
headers", "drop DKIM") and denials after the claim ("... is a myth") are not recognised; a
purpose written with plain "so" ("so Gmail doesn't clip it") reads as a denial; sarcasm and
hypotheticals are read literally.
"""

from __future__ import annotations

from collections.abc import Sequence

from learnloop.domain.grading.text import Token

NEGATORS = frozenset({
    "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot",
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "wont", "shouldnt",
    "wouldnt", "couldnt", "mustnt", "neednt", "havent", "hasnt", "hadnt",
})
PAIRS = frozenset({("rather", "than"), ("instead", "of")})
LIMITERS = frozenset({"enough", "sufficient", "only", "just", "merely", "necessarily", "simply",
                      "always"})
NOT_DENIALS = frozenset({("or", "not"), ("no", "matter"), ("no", "doubt"), ("not", "to"),
                         ("no", "more"), ("no", "later"), ("no", "less"), ("no", "fewer"),
                         ("not", "more"), ("not", "later"), ("not", "less")})
PRIVATIVES = frozenset({"forget", "forgets", "skip", "skips", "omit", "omits", "ignore",
                        "ignores", "neglect", "neglects", "overlook", "overlooks", "miss",
                        "misses"})
CLAUSE_WORDS = frozenset({"and", "but", "so", "then", "because", "however", "although",
                          "though", "yet", "whereas", "while"})
CONTRASTS = frozenset({"but", "however", "although", "though", "yet", "whereas"})
SUBORDINATORS = frozenset({"who", "whom", "whose", "which", "that", "if", "when", "whenever",
                           "unless", "until", "once", "whoever", "anyone", "anybody"})
RELATIVES = frozenset({"who", "whom", "whose", "which", "that"})
REPORTING = frozenset({"think", "believe", "say", "says", "agree", "claim", "feel", "suppose",
                       "expect", "mean", "means"})
MAIN_VERBS = frozenset({"is", "are", "was", "were", "will", "would", "should", "must", "can",
                        "could", "may", "might", "shall", "get", "gets", "got", "receive",
                        "receives", "go", "goes", "move", "moves", "has", "have"})
PRONOUNS = frozenset({"i", "you", "we", "they", "he", "she", "it", "this", "there", "people",
                      "anyone", "everyone", "someone"})
LIST_ITEM_WORDS = 8
GUARDS = frozenset({"ensure", "ensures", "ensuring", "verify", "verifies", "verifying",
                    "confirm", "confirms", "confirming", "check", "checks", "checking", "test",
                    "tests", "testing", "avoid", "avoids", "avoiding", "prevent", "prevents",
                    "preventing"})
GUARD_PAIRS = frozenset({("make", "sure"), ("makes", "sure"), ("making", "sure"),
                         ("so", "that"), ("in", "case")})
PREDICATES = frozenset({"need", "needs", "needed", "require", "requires", "required",
                        "necessary", "mandatory", "essential", "matter", "matters", "important",
                        "relevant", "apply", "applies", "concern", "problem", "issue"})
FILLERS = frozenset({"be", "a", "an", "really", "strictly", "actually", "even", "very", "so",
                     "that", "any", "much", "of", "to"})
DETERMINERS = frozenset({"no", "without", "than", "of", "nor", "neither", "none", "nothing",
                         "nobody"})
AFTER_PREDICATE = frozenset({"to", "for", "here", "in", "at", "anymore", "either", "much",
                             "now", "today", "unless", "if", "when", "as", "on", "by", "with"})
BACK_STOPS = frozenset({"so", "because", "then", "while", "whereas"}) | CONTRASTS
TIME_PREPOSITIONS = frozenset({"in", "for", "within", "over", "during", "after", "since",
                               "past", "last"})
TIME_UNITS = frozenset({"day", "week", "month", "year", "quarter"})
META_TRUTH = frozenset({"true", "correct", "accurate"})
META_NOUNS = frozenset({"myth", "false", "untrue", "wrong", "nonsense", "incorrect"})


def _word(tokens: Sequence[Token], i: int) -> str:
    """The text of token i when it is a word, "" otherwise (a break or past the end)."""
    if 0 <= i < len(tokens) and tokens[i].is_word:
        return tokens[i].text
    return ""


def _is_plain_negator(text: str) -> bool:
    return text in NEGATORS or text.endswith("n't")


def _meta_end(tokens: Sequence[Token], i: int) -> int | None:
    """If a sentence negator starts at i ("not true that", "a myth that"), the index after it."""
    here = _word(tokens, i)
    if _is_plain_negator(here) and here not in ("no", "without"):
        following = _word(tokens, i + 1)
        end = None
        if following in META_TRUTH:
            end = i + 2
        elif following == "the" and _word(tokens, i + 2) == "case":
            end = i + 3
        if end is not None and _word(tokens, end) == "that":
            return end + 1
    if here in META_NOUNS and _word(tokens, i + 1) == "that":
        return i + 2
    return None


def _negator_width(tokens: Sequence[Token], i: int) -> int:
    """How many tokens the clause negator at i spans (0 when there is none)."""
    here = _word(tokens, i)
    following = _word(tokens, i + 1)
    if (here, following) in PAIRS:
        return 2
    if not _is_plain_negator(here):
        return 0
    if following in LIMITERS or (here, following) in NOT_DENIALS:
        return 0
    if (_word(tokens, i - 1), here) in NOT_DENIALS:
        return 0
    return 1


def _continues_a_list(tokens: Sequence[Token], i: int) -> bool:
    """Whether the comma at i goes on with a list ending in "or" ("no need for X, Y or Z"):
    a short run of words up to the next break, with "or" or "nor" and no verb or pronoun."""
    segment = []
    j = i + 1
    while j < len(tokens) and not tokens[j].is_break and tokens[j].text not in CLAUSE_WORDS:
        segment.append(tokens[j].text)
        j += 1
    return (0 < len(segment) <= LIST_ITEM_WORDS and bool({"or", "nor"} & set(segment))
            and not (set(segment) & (MAIN_VERBS | PRONOUNS)))


def _ends_clause(tokens: Sequence[Token], i: int) -> bool:
    token = tokens[i]
    if token.text == "so" and _word(tokens, i + 1) == "that":
        return False
    if token.text == "," and _continues_a_list(tokens, i):
        return False
    return token.is_break or token.text in CLAUSE_WORDS


def _is_guard(tokens: Sequence[Token], i: int) -> bool:
    return tokens[i].text in GUARDS or (tokens[i].text, _word(tokens, i + 1)) in GUARD_PAIRS


def _has_time_window(clause: Sequence[Token]) -> bool:
    for i, token in enumerate(clause):
        if token.stem in TIME_UNITS:
            before = clause[max(0, i - 4):i]
            if any(t.text in TIME_PREPOSITIONS for t in before):
                return True
    return False


def _clauses(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """(start, end) index ranges of the clauses; the breaking token starts no clause."""
    spans = []
    start = 0
    for i in range(len(tokens)):
        if _ends_clause(tokens, i):
            if start < i:
                spans.append((start, i))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _sentence_scope(tokens: Sequence[Token]) -> list[bool]:
    """Tokens denied by a sentence negator ("it is not true that ...")."""
    denied = [False] * len(tokens)
    active = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.ends_sentence or token.text in CONTRASTS:
            active = False
            i += 1
            continue
        end = _meta_end(tokens, i)
        if end is not None:
            active = True
            i = end
            continue
        denied[i] = active
        i += 1
    return denied


def _meta_tokens(tokens: Sequence[Token]) -> set[int]:
    """Indexes of the words that make up sentence negators (not clause negators themselves)."""
    inside: set[int] = set()
    for i in range(len(tokens)):
        end = _meta_end(tokens, i)
        if end is not None:
            inside.update(range(i, end))
    return inside


def _denies_subject(tokens: Sequence[Token], i: int, end: int) -> bool:
    """Whether the negator at i denies a predicate about what comes before it ("X is not
    needed", "X doesn't matter", "X and Y are not a concern"), rather than an object after
    it ("you do not need X", "no need for X")."""
    if tokens[i].text in DETERMINERS:
        return False
    j = i + 1
    while j < end and tokens[j].text in FILLERS:
        j += 1
    if j >= end or tokens[j].text not in PREDICATES:
        return False
    return j + 1 >= end or tokens[j + 1].text in AFTER_PREDICATE


def _subject_start(tokens: Sequence[Token], i: int) -> int:
    """Where the subject of the negated predicate at i starts: back over "and", "or" and
    plain words, to the last break or contrast word."""
    j = i
    while j > 0 and not tokens[j - 1].is_break and tokens[j - 1].text not in BACK_STOPS:
        j -= 1
    return j


def negated(tokens: Sequence[Token]) -> list[bool]:
    """For each token, whether a concept starting there is said in a negated context."""
    sentence = _sentence_scope(tokens)
    meta = _meta_tokens(tokens)
    flags = list(sentence)
    for start, end in _clauses(tokens):
        clause = tokens[start:end]
        if _has_time_window(clause):
            continue
        count = 0
        subordinate = False
        closable = False
        guarded = False
        i = start
        while i < end:
            flags[i] = sentence[i] != (count % 2 == 1)
            text = tokens[i].text
            width = 0 if i in meta or guarded else _negator_width(tokens, i)
            if _is_guard(tokens, i):
                guarded = True
            elif width:
                for j in range(i + 1, min(i + width, end)):
                    flags[j] = flags[i]
                if _denies_subject(tokens, i + width - 1, end):
                    for j in range(_subject_start(tokens, i), i):
                        flags[j] = not sentence[j]
                count += 1
                closable = closable or subordinate
                i += width
                continue
            if count and text in RELATIVES and _word(tokens, i - 1) not in REPORTING:
                count = 0
                closable = False
            if text in SUBORDINATORS:
                subordinate = True
            elif count and text in PRIVATIVES:
                count += 1
            elif count and closable and text in MAIN_VERBS:
                count = 0
                closable = False
            i += 1
    return flags
