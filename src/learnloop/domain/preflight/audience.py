"""A campaign's audience in a small rule language, and the questions the segmentation rules ask.

An audience is a list of `include` conditions and a list of `exclude` conditions; a contact is
in it when it matches at least one include condition (or there are none) and no exclude
condition. A condition compares contact fields with values:

    include: lists contains "newsletter" and email_consent in (granted, soft_opt_in)
    exclude: unsubscribed = true or hard_bounced = true or complained = true
    exclude: suppression_lists is set
    exclude: last_engaged older than 12 months

The grammar, the fields and the method are in `docs/audience.md`. In brief:

- `parse_audience` reads the adapter's plain data (a mapping of lists, or text with one
  `include:` / `exclude:` line per condition) and reports every problem at once;
- `matches` says whether one contact is in the audience, given `today`;
- `can_include` answers "can any contact with these field values be in the audience?" by an
  exact, bounded search over representative values of every field the audience mentions;
- `analyse` asks the questions of rules S1-S4 and C7 through that search;
- `describe` renders the conditions one per line for a report.

Nothing here reads a clock: relative dates (`within 90 days`) are counted back from the
`today` the caller passes.
"""

from __future__ import annotations

import calendar
import contextlib
import difflib
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import combinations, pairwise
from types import MappingProxyType
from typing import TypeVar

from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem, Severity, has_nul

MAX_CHARS = 20_000  # characters in all conditions together
MAX_CONDITIONS = 200
MAX_DEPTH = 20  # levels of parentheses and `not` in one condition
MAX_FIELDS = 50  # different fields named in one audience
MAX_AMOUNT = 10_000  # the largest number in `within N days` / `older than N months`
MAX_SUBSET_VALUES = 8  # `contains` values per field the search splits exactly (2**8 subsets)
SEARCH_BUDGET = 200_000  # expression nodes one `can_include` may evaluate
ANALYSIS_BUDGET = 2_000_000  # expression nodes one `analyse` may evaluate in all

DEFAULT_SEED_PATTERNS = ("seed", "test", "qa")

_T = TypeVar("_T")


# --- Fields -------------------------------------------------------------------------------


class Kind(StrEnum):
    """The type of a contact field."""

    TEXT = "text"
    CHOICE = "choice"  # one of a fixed set of words (email_consent)
    BOOL = "true or false"
    DATE = "date"
    NUMBER = "number"
    LIST = "list"
    TEXT_OR_LIST = "text or list"  # a custom field compared with words: text or a list of them


CONSENT_VALUES = ("granted", "soft_opt_in", "denied", "unknown")

FIELDS: Mapping[str, Kind] = MappingProxyType({
    "email": Kind.TEXT,
    "email_consent": Kind.CHOICE,
    "consent_source": Kind.TEXT,
    "unsubscribed": Kind.BOOL,
    "hard_bounced": Kind.BOOL,
    "complained": Kind.BOOL,
    "last_engaged": Kind.DATE,
    "created": Kind.DATE,
    "country": Kind.TEXT,
    "lists": Kind.LIST,
    "suppression_lists": Kind.LIST,
    "tags": Kind.LIST,
})

# Fields that only keep the audience mailable (consent, hygiene, engagement, seed addresses):
# conditions on them alone do not target anyone (rule S4).
HYGIENE_FIELDS = frozenset({
    "email", "email_consent", "consent_source", "unsubscribed", "hard_bounced", "complained",
    "suppression_lists", "last_engaged", "created",
})


# --- The expression tree ------------------------------------------------------------------


class Op(StrEnum):
    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    SET = "is set"
    NOT_SET = "is not set"
    CONTAINS = "contains"
    NOT_CONTAINS = "not contains"
    WITHIN = "within"
    OLDER = "older than"


# Each negative operator is `not` of its positive one, for every value including a missing one:
# `country != GB` matches a contact with no country.
_POSITIVE = {Op.NE: Op.EQ, Op.NOT_IN: Op.IN, Op.NOT_SET: Op.SET, Op.NOT_CONTAINS: Op.CONTAINS}
_ORDER = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
_EQUALITY = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})
_RELATIVE = frozenset({Op.WITHIN, Op.OLDER})
_CONTAINMENT = frozenset({Op.CONTAINS, Op.NOT_CONTAINS})

UNITS = ("days", "weeks", "months", "years")

Scalar = bool | float | date | str


@dataclass(frozen=True, slots=True)
class Compare:
    """`field op value`: values are normalised (text casefolded, numbers as floats);
    `shown` keeps them as written, for rendering."""

    field: str
    op: Op
    values: tuple[Scalar, ...] = ()
    shown: tuple[str, ...] = ()
    amount: int = 0  # within / older than
    unit: str = ""

    def render(self) -> str:
        if self.op in (Op.SET, Op.NOT_SET):
            return f"{self.field} {self.op}"
        if self.op in (Op.IN, Op.NOT_IN):
            return f"{self.field} {self.op} ({', '.join(self.shown)})"
        if self.op in _RELATIVE:
            unit = self.unit[:-1] if self.amount == 1 else self.unit
            return f"{self.field} {self.op} {self.amount} {unit}"
        return f"{self.field} {self.op} {self.shown[0]}"


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr


@dataclass(frozen=True, slots=True)
class AllOf:
    """`and`; with no items it is true."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """`or`; with no items it is false."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Everyone:
    """The condition `everyone`: every contact."""


Expr = Compare | Not | AllOf | AnyOf | Everyone


class Part(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


@dataclass(frozen=True, slots=True)
class Condition:
    """One include or exclude condition. `number` counts from 1 within its part; `line` is
    the 1-based line where it was written, when known."""

    part: Part
    number: int
    source: str
    expr: Expr
    line: int | None = None

    @property
    def label(self) -> str:
        return f"{self.part}[{self.number}]"

    def describe(self) -> str:
        return f"{self.part}: {render(self.expr)}"


@dataclass(frozen=True, slots=True)
class Audience:
    """A parsed audience. `fields` gives the type of every field the conditions name (custom
    fields typed from how they are used); `warnings` are the non-blocking problems found
    while parsing (unknown field names, say), for the report."""

    includes: tuple[Condition, ...] = ()
    excludes: tuple[Condition, ...] = ()
    fields: Mapping[str, Kind] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[Problem, ...] = ()

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.includes + self.excludes


def render(expr: Expr, parent: str = "") -> str:
    """An expression as text that parses back to the same expression."""
    if isinstance(expr, Compare):
        return expr.render()
    if isinstance(expr, Everyone):
        return "everyone"
    if isinstance(expr, Not):
        return "not " + render(expr.item, "not")
    if isinstance(expr, AllOf):
        text = " and ".join(render(item, "and") for item in expr.items)
        return f"({text})" if parent == "not" else text
    text = " or ".join(render(item, "or") for item in expr.items)
    return f"({text})" if parent in ("and", "not") else text


def describe(audience: Audience) -> str:
    """One line per condition, includes first; `include: everyone` when there are none."""
    lines = [c.describe() for c in audience.includes] or ["include: everyone"]
    lines += [c.describe() for c in audience.excludes]
    return "\n".join(lines)


# --- Tokens -------------------------------------------------------------------------------


class _SyntaxError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "string", "punct" or "end"
    text: str  # a string's text without its quotes

    def shown(self) -> str:
        if self.kind == "end":
            return "the end of the condition"
        if self.kind == "string":
            return f"`{_quote(self.text)}`"
        return f"`{self.text}`"

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.casefold() in words


_END = _Token("end", "")
_STOP = frozenset("()=,!<>\"'#")
_PUNCT = ("!=", "<=", ">=", "==", "(", ")", ",", "=", "<", ">")
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "set", "contains", "within", "older",
                       "than", "everyone"})


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_control(char: str) -> bool:
    return (ord(char) < 32 or 127 <= ord(char) < 160) and not char.isspace()


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":  # a comment runs to the end of its line
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif char in "\"'":
            i = _string(text, i, out)
        elif char == "!" and not text.startswith("!=", i):
            raise _SyntaxError("`!` on its own means nothing here: write `!=` for not equal, "
                               "or the word not")
        elif char in _STOP:
            symbol = next(p for p in _PUNCT if text.startswith(p, i))
            out.append(_Token("punct", "=" if symbol == "==" else symbol))
            i += len(symbol)
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _STOP:
                if _is_control(text[i]):
                    raise _SyntaxError("the condition contains a control character; "
                                       "remove it")
                i += 1
            word = text[start:i]
            if word in ("&&", "||"):
                raise _SyntaxError(f"write `{'and' if word == '&&' else 'or'}` instead of "
                                   f"`{word}`")
            out.append(_Token("word", word))
    return out


def _string(text: str, start: int, out: list[_Token]) -> int:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            char = text[i + 1]
            i += 1
        elif char == quote:
            out.append(_Token("string", "".join(chars)))
            return i + 1
        if ord(char) < 32 or 127 <= ord(char) < 160 or char in "\u2028\u2029":
            raise _SyntaxError("a quoted value contains a line break or a control character")
        chars.append(char)
        i += 1
    raise _SyntaxError(f"a quoted value is not closed: add the closing {quote}")


# --- Parsing one condition ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str
    quoted: bool

    @property
    def kind(self) -> str:
        """string (quoted), bool, number, date or word."""
        if self.quoted:
            return "string"
        if self.text.casefold() in ("true", "false"):
            return "bool"
        if _NUMBER.fullmatch(self.text):
            return "number"
        if _DATE.fullmatch(self.text):
            return "date"
        return "word"

    def shown(self) -> str:
        return _quote(self.text) if self.quoted else self.text


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True, slots=True)
class _Raw:
    """A comparison as written, before its field's type is known."""

    field: str
    op: Op
    literals: tuple[_Literal, ...] = ()
    amount: int = 0
    unit: str = ""

    def shown(self) -> str:
        return Compare(self.field, self.op, shown=tuple(lit.shown() for lit in self.literals),
                       amount=self.amount, unit=self.unit).render()


@dataclass(frozen=True, slots=True)
class _RawNot:
    item: RawExpr


@dataclass(frozen=True, slots=True)
class _RawAll:
    items: tuple[RawExpr, ...]


@dataclass(frozen=True, slots=True)
class _RawAny:
    items: tuple[RawExpr, ...]


RawExpr = _Raw | _RawNot | _RawAll | _RawAny | Everyone


class _Parser:
    """Recursive descent over the grammar in docs/audience.md; nesting is limited to
    MAX_DEPTH levels, so no input can exhaust the stack."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else _END

    def take(self) -> _Token:
        token = self.peek()
        self.pos += 1
        return token

    def parse(self) -> RawExpr:
        if not self.tokens:
            raise _SyntaxError("the condition is empty")
        expr = self.either()
        if self.peek() is not _END:
            raise _SyntaxError(f"expected and, or or the end of the condition, found "
                               f"{self.peek().shown()}")
        return expr

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _SyntaxError(f"the condition is nested more than {MAX_DEPTH} levels deep "
                               "(parentheses and not); simplify it")

    def either(self) -> RawExpr:
        items = [self.both()]
        while self.peek().is_word("or"):
            self.take()
            items.append(self.both())
        if len(items) == 1:
            return items[0]
        return _RawAny(tuple(i for item in items
                             for i in (item.items if isinstance(item, _RawAny) else (item,))))

    def both(self) -> RawExpr:
        items = [self.negation()]
        while self.peek().is_word("and"):
            self.take()
            items.append(self.negation())
        if len(items) == 1:
            return items[0]
        return _RawAll(tuple(i for item in items
                             for i in (item.items if isinstance(item, _RawAll) else (item,))))

    def negation(self) -> RawExpr:
        if self.peek().is_word("not"):
            self.take()
            self.enter()
            item = self.negation()
            self.depth -= 1
            return _RawNot(item)
        return self.primary()

    def primary(self) -> RawExpr:
        token = self.take()
        if token.kind == "punct" and token.text == "(":
            self.enter()
            expr = self.either()
            closing = self.take()
            if not (closing.kind == "punct" and closing.text == ")"):
                raise _SyntaxError(f"expected `)`, found {closing.shown()}")
            self.depth -= 1
            return expr
        if token.is_word("everyone"):
            return Everyone()
        if token.kind != "word" or token.text.casefold() in _KEYWORDS:
            raise _SyntaxError(f"expected a field name, found {token.shown()}")
        if not _FIELD.fullmatch(token.text):
            raise _SyntaxError(f"`{token.text}` is not a field name: use letters, digits, _ "
                               "and ., starting with a letter")
        return self.comparison(token.text)

    def comparison(self, name: str) -> _Raw:
        token = self.take()
        if token.kind == "punct" and token.text in ("=", "!=", "<", "<=", ">", ">="):
            return _Raw(name, Op(token.text), (self.value(f"{name} {token.text}"),))
        if token.is_word("in"):
            return _Raw(name, Op.IN, self.values(f"{name} in"))
        if token.is_word("contains"):
            return _Raw(name, Op.CONTAINS, (self.value(f"{name} contains"),))
        if token.is_word("is"):
            if self.peek().is_word("not"):
                self.take()
                self.expect_word("set", f"{name} is not")
                return _Raw(name, Op.NOT_SET)
            self.expect_word("set", f"{name} is", "`set` or `not set`")
            return _Raw(name, Op.SET)
        if token.is_word("not"):
            after = self.take()
            if after.is_word("in"):
                return _Raw(name, Op.NOT_IN, self.values(f"{name} not in"))
            if after.is_word("contains"):
                return _Raw(name, Op.NOT_CONTAINS, (self.value(f"{name} not contains"),))
            raise _SyntaxError(f"expected `in` or `contains` after `{name} not`, found "
                               f"{after.shown()}")
        if token.is_word("within"):
            return self.relative(name, Op.WITHIN)
        if token.is_word("older"):
            self.expect_word("than", f"{name} older")
            return self.relative(name, Op.OLDER)
        raise _SyntaxError(f"expected an operator after `{name}` (=, !=, in, not in, <, <=, "
                           f">, >=, is set, is not set, contains, within, older than), found "
                           f"{token.shown()}")

    def expect_word(self, word: str, after: str, wanted: str | None = None) -> None:
        token = self.take()
        if not token.is_word(word):
            raise _SyntaxError(f"expected {wanted or f'`{word}`'} after `{after}`, found "
                               f"{token.shown()}")

    def value(self, after: str) -> _Literal:
        token = self.take()
        if token.kind == "string":
            return _Literal(token.text, quoted=True)
        if token.kind == "word" and not token.is_word("and", "or", "not"):
            return _Literal(token.text, quoted=False)
        raise _SyntaxError(f"expected a value after `{after}`, found {token.shown()}")

    def values(self, after: str) -> tuple[_Literal, ...]:
        opening = self.take()
        if not (opening.kind == "punct" and opening.text == "("):
            raise _SyntaxError(f"put the values after `{after}` in parentheses, e.g. "
                               f"`{after} (a, b)`")
        out = [self.value(f"{after} (")]
        while True:
            token = self.take()
            if token.kind == "punct" and token.text == ")":
                return tuple(out)
            if not (token.kind == "punct" and token.text == ","):
                raise _SyntaxError(f"expected `,` or `)` in the list after `{after}`, found "
                                   f"{token.shown()}")
            out.append(self.value(f"{after} (..."))

    def relative(self, name: str, op: Op) -> _Raw:
        after = f"{name} {op}"
        amount = self.take()
        if amount.kind != "word" or not amount.text.isdigit() or not amount.text.isascii():
            raise _SyntaxError(f"expected a whole number after `{after}`, e.g. "
                               f"`{after} 90 days`, found {amount.shown()}")
        number = int(amount.text) if len(amount.text) <= 6 else MAX_AMOUNT + 1
        if number > MAX_AMOUNT:
            raise _SyntaxError(f"`{after} {amount.text}` is too far back: use at most "
                               f"{MAX_AMOUNT:,}")
        unit = self.take()
        word = unit.text.casefold() if unit.kind == "word" else ""
        plural = word if word.endswith("s") else word + "s"
        if plural not in UNITS:
            raise _SyntaxError(f"expected days, weeks, months or years after `{after} "
                               f"{number}`, found {unit.shown()}")
        return _Raw(name, op, amount=number, unit=plural)


# --- Types of fields and values -----------------------------------------------------------


def _raw_leaves(expr: RawExpr) -> Iterator[_Raw]:
    stack: list[RawExpr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, _Raw):
            yield node
        elif isinstance(node, _RawNot):
            stack.append(node.item)
        elif isinstance(node, _RawAll | _RawAny):
            stack.extend(reversed(node.items))


def compares(expr: Expr) -> Iterator[Compare]:
    """The comparisons in an expression, left to right."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Compare):
            yield node
        elif isinstance(node, Not):
            stack.append(node.item)
        elif isinstance(node, AllOf | AnyOf):
            stack.extend(reversed(node.items))


def _infer(uses: list[_Raw]) -> Kind:
    """The type of a custom field, from how the audience uses it."""
    if any(raw.op in _RELATIVE for raw in uses):
        return Kind.DATE
    kinds = {lit.kind for raw in uses for lit in raw.literals}
    for single, kind in (("date", Kind.DATE), ("number", Kind.NUMBER), ("bool", Kind.BOOL)):
        if kinds == {single}:
            return kind
    return Kind.TEXT_OR_LIST


def _examples(name: str, kind: Kind) -> str:
    if kind is Kind.BOOL:
        return f"{name} is true or false"
    if kind is Kind.DATE:
        return (f"{name} is a date: write it as YYYY-MM-DD (e.g. 2025-01-31), or use "
                f"`{name} within 90 days` / `{name} older than 6 months`")
    if kind is Kind.NUMBER:
        return f"{name} is compared with numbers elsewhere, so this value must be a number"
    if kind is Kind.CHOICE:
        return f"{name} is one of {', '.join(CONSENT_VALUES)}"
    return f"{name} is {kind}"


@dataclass(frozen=True, slots=True)
class _Bad:
    message: str


def _convert(lit: _Literal, kind: Kind, name: str) -> Scalar | _Bad:
    """The value normalised for its field (text casefolded), or what is wrong with it."""
    text = lit.text.strip()
    if kind is Kind.BOOL:
        if text.casefold() in ("true", "false"):
            return text.casefold() == "true"
        return _Bad(_examples(name, kind))
    if kind is Kind.DATE:
        if not _DATE.fullmatch(text):
            return _Bad(_examples(name, kind))
        try:
            return date.fromisoformat(text)
        except ValueError:
            return _Bad(f"{text} is not a date")
    if kind is Kind.NUMBER:
        number = float(text) if _NUMBER.fullmatch(text) else math.nan
        return number if math.isfinite(number) else _Bad(_examples(name, kind))
    if not text:
        return _Bad("an empty value never matches: use `is not set` for a missing value")
    if kind is Kind.CHOICE:
        choice = _choice(text)
        return choice if choice in CONSENT_VALUES else _Bad(_examples(name, kind))
    if name == "country" and not (len(text) == 2 and text.isascii() and text.isalpha()):
        return _Bad("country is a two-letter ISO 3166 code, such as GB or DE")
    return text.casefold()


def _choice(text: str) -> str:
    return text.strip().casefold().replace("-", "_").replace(" ", "_")


_ALLOWED: Mapping[Op, frozenset[Kind]] = MappingProxyType({
    **{op: frozenset({Kind.TEXT, Kind.CHOICE, Kind.BOOL, Kind.DATE, Kind.NUMBER,
                      Kind.TEXT_OR_LIST}) for op in _EQUALITY},
    **{op: frozenset({Kind.DATE, Kind.NUMBER}) for op in _ORDER},
    **{op: frozenset(Kind) for op in (Op.SET, Op.NOT_SET)},
    **{op: frozenset({Kind.TEXT, Kind.LIST, Kind.TEXT_OR_LIST}) for op in _CONTAINMENT},
    **{op: frozenset({Kind.DATE}) for op in _RELATIVE},
})


def _wrong_op(raw: _Raw, kind: Kind) -> str:
    name = raw.field
    if kind is Kind.LIST:
        return (f"{name} is a list: write `{name} contains \"x\"` (or `not contains`), "
                f"or `{name} is set`")
    if raw.op in _ORDER and kind is Kind.TEXT_OR_LIST:
        return (f"{raw.op} compares dates or numbers, but {name} is also compared with text, "
                "so it is read as text")
    if raw.op in _ORDER:
        return f"{raw.op} compares dates or numbers, and {_examples(name, kind)}"
    if raw.op in _RELATIVE:
        return f"{raw.op} counts back from today on a date field, and {name} is {kind}"
    if kind is Kind.CHOICE:
        return f"{name} is one of {', '.join(CONSENT_VALUES)}: compare it with = or in"
    return f"{raw.op} needs a text or list field, and {name} is {kind}"


# --- Parsing an audience ------------------------------------------------------------------


@dataclass
class _Source:
    part: Part
    number: int
    text: str
    line: int | None

    @property
    def label(self) -> str:
        return f"{self.part}[{self.number}]"


class _Collector:
    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None = None, label: str | None = None,
            severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(self.where, message, line, label, severity))

    def in_order(self) -> list[Problem]:
        """The problems by line, then condition (include[1], include[2], ..., exclude[1])."""
        def key(problem: Problem) -> tuple[int, int, int]:
            match = _LABEL.fullmatch(problem.field or "")
            if match is None:
                return (problem.line or 0, -1, 0)
            return (problem.line or 0, match.group(1) == "exclude", int(match.group(2)))
        return sorted(self.problems, key=key)


_LABEL = re.compile(r"(include|exclude)\[(\d+)\]")


_SHAPE = ("an audience is a mapping with `include` and `exclude` lists of conditions, or text "
          "with one `include:` or `exclude:` line per condition")
_TOO_LONG = (f"the audience is longer than {MAX_CHARS:,} characters: build the segment in your "
             "email platform and name it here (e.g. `lists contains \"spring-sale\"`)")
_LINE = re.compile(r"\s*(include|exclude)\s*:(.*)", re.IGNORECASE | re.DOTALL)

LineOf = Callable[[tuple[str | int, ...]], int | None]


def parse_audience(data: object, where: str, *, line_of: LineOf | None = None) -> Audience:
    """Read an audience from the adapter's plain data; raise InvalidInput with every problem.

    `data` is a mapping `{"include": [str, ...], "exclude": [str, ...]}` (a single string for
    either key is one condition; a missing or null key is no conditions), or text with one
    `include: ...` or `exclude: ...` line per condition, blank lines and `#` comments.
    `line_of`, when the adapter knows where the mapping's values were (a YAML file), gives the
    1-based line of a path such as `("include", 0)`.
    Warnings (unknown field names) do not stop parsing: they come back in
    `Audience.warnings`, and with the errors when there are any.
    """
    out = _Collector(where)
    sources = _sources(data, out, line_of)
    if sources is None:
        raise InvalidInput(out.in_order())
    if not sources and not out.problems:
        out.add("the audience has no include or exclude conditions: write at least one, e.g. "
                "`include: lists contains \"newsletter\"` or `include: everyone`")
    if sum(len(s.text) for s in sources) > MAX_CHARS:
        out.add(_TOO_LONG)
        raise InvalidInput(out.in_order())
    if len(sources) > MAX_CONDITIONS:
        out.add(f"the audience has {len(sources)} conditions; the limit is {MAX_CONDITIONS}")
        raise InvalidInput(out.in_order())
    parsed: list[tuple[_Source, RawExpr]] = []
    for source in sources:
        if has_nul(source.text):
            out.add("the condition contains a NUL character", source.line, source.label)
            continue
        try:
            parsed.append((source, _Parser(_tokens(source.text)).parse()))
        except _SyntaxError as exc:
            out.add(str(exc), source.line, source.label)
    kinds = _field_kinds(parsed, out)
    conditions = [_condition(source, raw, kinds, out) for source, raw in parsed]
    if any(p.is_error for p in out.problems):
        raise InvalidInput(out.in_order())
    built = [c for c in conditions if c is not None]
    return Audience(
        includes=tuple(c for c in built if c.part is Part.INCLUDE),
        excludes=tuple(c for c in built if c.part is Part.EXCLUDE),
        fields=MappingProxyType(kinds),
        warnings=tuple(out.in_order()),
    )


def _sources(data: object, out: _Collector, line_of: LineOf | None) -> list[_Source] | None:
    if isinstance(data, str):
        return _text_sources(data, out)
    if not isinstance(data, Mapping):
        out.add(_SHAPE)
        return None
    if sum(len(v) for v in data.values() if isinstance(v, str)) > MAX_CHARS:
        out.add(_TOO_LONG)
        return None
    sources: list[_Source] = []
    for key, value in data.items():
        if key not in ("include", "exclude"):
            shown = str(key)[:40]
            hint = difflib.get_close_matches(shown.casefold(), ["include", "exclude"], 1, 0.6)
            more = f"; did you mean {hint[0]}?" if hint else ": use include and exclude"
            out.add(f"unknown key `{shown}`{more}", line_of((shown,)) if line_of else None,
                    shown)
            continue
        part = Part(key)
        items: Sequence[object]
        if value is None:
            items = ()
        elif isinstance(value, str):
            items = (value,)
        elif isinstance(value, list | tuple):
            items = value
            if len(items) > MAX_CONDITIONS:
                out.add(f"{part} has {len(items)} conditions; the limit is {MAX_CONDITIONS}")
                return None
        else:
            out.add(f"{part} must be a list of conditions written as text", None, part.value)
            continue
        for index, item in enumerate(items):
            line = line_of((part.value, index) if not isinstance(value, str)
                           else (part.value,)) if line_of else None
            if not isinstance(item, str):
                out.add("a condition must be text, e.g. `unsubscribed = true`", line,
                        f"{part}[{index + 1}]")
                continue
            sources.append(_Source(part, index + 1, item, line))
    return sources


def _text_sources(text: str, out: _Collector) -> list[_Source] | None:
    if len(text) > MAX_CHARS:
        out.add(_TOO_LONG)
        return None
    sources: list[_Source] = []
    numbers = {Part.INCLUDE: 0, Part.EXCLUDE: 0}
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            first = re.split(r"[\s:]", line.strip(), maxsplit=1)[0][:40]
            hint = difflib.get_close_matches(first.casefold(), ["include", "exclude"], 1, 0.6)
            more = f" (did you mean `{hint[0]}:`?)" if hint else ""
            out.add(f"each line starts with `include:` or `exclude:`{more}", number)
            continue
        part = Part(match.group(1).casefold())
        numbers[part] += 1
        body = match.group(2)
        if not _tokens_or_empty(body):
            out.add(f"`{part}:` has no condition after it", number,
                    f"{part}[{numbers[part]}]")
            continue
        sources.append(_Source(part, numbers[part], body.strip(), number))
    return sources


def _tokens_or_empty(body: str) -> bool:
    """True when the body holds anything but spaces and a comment."""
    stripped = body.strip()
    return bool(stripped) and not stripped.startswith("#")


def _field_kinds(parsed: list[tuple[_Source, RawExpr]], out: _Collector) -> dict[str, Kind]:
    uses: dict[str, list[_Raw]] = {}
    first: dict[str, _Source] = {}
    for source, raw in parsed:
        for leaf in _raw_leaves(raw):
            uses.setdefault(leaf.field, []).append(leaf)
            first.setdefault(leaf.field, source)
    if len(uses) > MAX_FIELDS:
        out.add(f"the audience names {len(uses)} different fields; the limit is {MAX_FIELDS}")
    kinds: dict[str, Kind] = {}
    for name, used in uses.items():
        if name in FIELDS:
            kinds[name] = FIELDS[name]
            continue
        kinds[name] = _infer(used)
        source = first[name]
        hint = difflib.get_close_matches(name.casefold(), list(FIELDS), 1, 0.75)
        message = (f"unknown field `{name}`; did you mean {hint[0]}?" if hint else
                   f"`{name}` is not a standard field: it is read as a custom field of the "
                   f"contact ({kinds[name]})")
        out.add(message, source.line, source.label, Severity.WARNING)
    return kinds


def _condition(source: _Source, raw: RawExpr, kinds: Mapping[str, Kind],
               out: _Collector) -> Condition | None:
    failed = False

    def typed(node: RawExpr) -> Expr:
        nonlocal failed
        if isinstance(node, _Raw):
            result = _typed(node, kinds[node.field])
            if isinstance(result, _Bad):
                failed = True
                out.add(f"`{node.shown()}`: {result.message}", source.line, source.label)
                return Everyone()
            for message in _advice(node):
                out.add(f"`{node.shown()}`: {message}", source.line, source.label,
                        Severity.WARNING)
            return result
        if isinstance(node, _RawNot):
            return Not(typed(node.item))
        if isinstance(node, _RawAll):
            return AllOf(tuple(typed(i) for i in node.items))
        if isinstance(node, _RawAny):
            return AnyOf(tuple(typed(i) for i in node.items))
        return node

    expr = typed(raw)
    if failed:
        return None
    return Condition(source.part, source.number, source.text, expr, source.line)


def _typed(raw: _Raw, kind: Kind) -> Compare | _Bad:
    if kind not in _ALLOWED[raw.op]:
        return _Bad(_wrong_op(raw, kind))
    values: list[Scalar] = []
    for lit in raw.literals:
        value = _convert(lit, kind, raw.field)
        if isinstance(value, _Bad):
            return value
        values.append(value)
    return Compare(raw.field, raw.op, tuple(values), tuple(lit.shown() for lit in raw.literals),
                   raw.amount, raw.unit)


def _advice(raw: _Raw) -> list[str]:
    if raw.field == "country" and any(lit.text.strip().casefold() == "uk"
                                      for lit in raw.literals):
        return ["UK is not an ISO 3166 code: the United Kingdom is GB (keep UK only if your "
                "contact data really stores it)"]
    return []


# --- Reading contact values ---------------------------------------------------------------


class _Missing:
    """A field with no value, or one that cannot be read as the field's type."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
Value = bool | float | date | str | frozenset[str] | _Missing

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?", re.DOTALL)


def read_value(kind: Kind, raw: object) -> Value:
    """A contact's value as the field's type, or MISSING. Text is stripped and casefolded;
    an empty text or list is MISSING."""
    if raw is None or isinstance(raw, _Missing):
        return MISSING
    if kind is Kind.BOOL:
        if isinstance(raw, bool):
            return raw
        text = _text(raw)
        return True if text in _TRUE else False if text in _FALSE else MISSING
    if kind is Kind.DATE:
        return _date(raw)
    if kind is Kind.NUMBER:
        return _number(raw)
    if kind is Kind.LIST or (kind is Kind.TEXT_OR_LIST
                             and isinstance(raw, list | tuple | set | frozenset)):
        return _list(raw)
    text = _text(raw)
    if text is None:
        return MISSING
    return _choice(text) if kind is Kind.CHOICE else text


def _text(raw: object) -> str | None:
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, int):
        try:
            text = str(raw)
        except ValueError:  # more digits than Python prints
            return None
    elif isinstance(raw, float):
        text = repr(raw) if math.isfinite(raw) else ""
    elif isinstance(raw, date):
        text = raw.isoformat()
    else:
        return None
    folded = text.strip().casefold()
    return folded or None


def _date(raw: object) -> Value:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        match = _DATE_PREFIX.fullmatch(raw.strip())
        if match:
            try:
                return date.fromisoformat(match.group(1))
            except ValueError:
                return MISSING
    return MISSING


def _number(raw: object) -> Value:
    if isinstance(raw, bool):
        return MISSING
    try:
        if isinstance(raw, int | float):
            number = float(raw)
        elif isinstance(raw, str):
            number = float(raw.strip())
        else:
            return MISSING
    except (ValueError, OverflowError):
        return MISSING
    return number if math.isfinite(number) else MISSING


def _list(raw: object) -> Value:
    items: list[object]
    if isinstance(raw, str):
        items = list(re.split(r"[,;]", raw))
    elif isinstance(raw, list | tuple | set | frozenset):
        items = list(raw)
    else:
        return MISSING
    texts = frozenset(t for t in (_text(item) for item in items) if t is not None)
    return texts or MISSING


def _kind(audience: Audience, name: str) -> Kind | None:
    return audience.fields.get(name) or FIELDS.get(name)


def _contact(audience: Audience, contact: Mapping[str, object]) -> dict[str, Value]:
    """The contact's values of the fields the audience names, read as their types."""
    out: dict[str, Value] = {}
    for name, kind in audience.fields.items():
        out[name] = read_value(kind, contact.get(name))
    return out


# --- Evaluation ---------------------------------------------------------------------------


def cutoff(today: date, amount: int, unit: str) -> date:
    """The day `amount` units before `today` (months and years keep the day of the month, or
    the month's last day); date.min when that is before year 1."""
    try:
        if unit in ("days", "weeks"):
            return today - timedelta(days=amount * (7 if unit == "weeks" else 1))
        months = amount * (12 if unit == "years" else 1)
        year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
        if year < 1:
            return date.min
        day = min(today.day, calendar.monthrange(year, month + 1)[1])
        return date(year, month + 1, day)
    except OverflowError:
        return date.min


class _OutOfBudget(Exception):
    pass


class _Context:
    """Today, the cut-off dates of relative comparisons, and how many expression nodes a
    search may still evaluate."""

    def __init__(self, today: date, budget: int) -> None:
        self.today = today
        self.budget = budget
        self.cutoffs: dict[tuple[int, str], date] = {}
        self.exact = True

    def cutoff(self, atom: Compare) -> date:
        key = (atom.amount, atom.unit)
        found = self.cutoffs.get(key)
        if found is None:
            found = self.cutoffs[key] = cutoff(self.today, atom.amount, atom.unit)
        return found

    def spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _OutOfBudget


def _holds(atom: Compare, value: Value, ctx: _Context) -> bool:
    positive = _POSITIVE.get(atom.op)
    if positive is not None:
        return not _holds_positive(atom, positive, value, ctx)
    return _holds_positive(atom, atom.op, value, ctx)


def _holds_positive(atom: Compare, op: Op, value: Value, ctx: _Context) -> bool:
    if isinstance(value, _Missing):
        return False
    if op is Op.SET:
        return True
    if op is Op.EQ:
        return not isinstance(value, frozenset) and value == atom.values[0]
    if op is Op.IN:
        return not isinstance(value, frozenset) and value in atom.values
    if op is Op.CONTAINS:
        item = atom.values[0]
        return isinstance(item, str) and isinstance(value, str | frozenset) and item in value
    if op in _RELATIVE:
        if not isinstance(value, date):
            return False
        return value >= ctx.cutoff(atom) if op is Op.WITHIN else value < ctx.cutoff(atom)
    return _ordered(op, value, atom.values[0])


def _ordered(op: Op, value: Value, bound: Scalar) -> bool:
    if isinstance(value, date) and isinstance(bound, date):
        left, right = float(value.toordinal()), float(bound.toordinal())
    elif isinstance(value, float) and isinstance(bound, float):
        left, right = value, bound
    else:
        return False
    if op is Op.LT:
        return left < right
    if op is Op.LE:
        return left <= right
    if op is Op.GT:
        return left > right
    return left >= right


def _eval(expr: Expr, values: Mapping[str, Value], ctx: _Context) -> bool | None:
    """Three-valued: True, False, or None when it depends on a field not in `values`."""
    ctx.spend()
    if isinstance(expr, Compare):
        if expr.field not in values:
            return None
        return _holds(expr, values[expr.field], ctx)
    if isinstance(expr, Everyone):
        return True
    if isinstance(expr, Not):
        inner = _eval(expr.item, values, ctx)
        return None if inner is None else not inner
    stop = isinstance(expr, AnyOf)  # the value that decides: True for or, False for and
    unknown = False
    for item in expr.items:
        result = _eval(item, values, ctx)
        if result is stop:
            return stop
        if result is None:
            unknown = True
    return None if unknown else not stop


def _formula(audience: Audience) -> Expr:
    include: Expr = AnyOf(tuple(c.expr for c in audience.includes)) if audience.includes \
        else Everyone()
    return AllOf((include, Not(AnyOf(tuple(c.expr for c in audience.excludes)))))


def matches(audience: Audience, contact: Mapping[str, object], today: date) -> bool:
    """Whether the contact is in the audience: it matches an include condition (or there are
    none) and no exclude condition. Fields the contact lacks, or whose values cannot be read
    as the field's type, are not set."""
    ctx = _Context(today, budget=10**9)
    result = _eval(_formula(audience), _contact(audience, contact), ctx)
    return bool(result)


# --- The search behind can_include --------------------------------------------------------

_FRESH = "\x00"  # a text no condition value contains: conditions cannot hold a NUL


def _representatives(kind: Kind, atoms: list[Compare],
                     ctx: _Context) -> tuple[list[Value], bool]:
    """Values of one field such that any value the field can take behaves, in every one of
    `atoms`, like one of them (docs/audience.md, "How the analysis works"), and whether that
    holds exactly: with more than MAX_SUBSET_VALUES `contains` values on one field only some
    of their combinations are tried."""
    equal = [v for a in atoms if a.op in _EQUALITY for v in a.values]
    if kind is Kind.BOOL:
        return [True, False, MISSING], True
    if kind is Kind.DATE:
        return [*_date_points(atoms, ctx), MISSING], True
    if kind is Kind.NUMBER:
        return [*_number_points(atoms), MISSING], True
    if kind is Kind.CHOICE:
        named = dict.fromkeys([*CONSENT_VALUES, *(str(v) for v in equal)])
        return [*named, _FRESH, MISSING], True
    parts = sorted({str(v) for a in atoms if a.op in _CONTAINMENT for v in a.values})
    exact = len(parts) <= MAX_SUBSET_VALUES
    subsets = [s for size in range(len(parts) + 1) for s in combinations(parts, size)] \
        if exact else [(), *((p,) for p in parts), tuple(parts)]
    out: list[Value] = [MISSING]
    if kind is not Kind.LIST:
        out += dict.fromkeys(str(v) for v in equal)
        # a text that equals no condition value and holds exactly the values of `subset`
        # (and the values inside those): NUL separators stop a value spanning two of them
        out += dict.fromkeys(_FRESH + _FRESH.join(s) for s in subsets)
    if kind is not Kind.TEXT:
        out += dict.fromkeys(frozenset(s) if s else frozenset({_FRESH}) for s in subsets)
    return out, exact


def _date_points(atoms: list[Compare], ctx: _Context) -> list[date]:
    """Each date the atoms compare with (relative ones counted back from today), the day
    before and the day after it, in order; today alone when there are none."""
    points: set[date] = set()
    for atom in atoms:
        bounds = [ctx.cutoff(atom)] if atom.op in _RELATIVE else \
            [v for v in atom.values if isinstance(v, date)]
        for bound in bounds:
            points.add(bound)
            for step in (-1, 1):
                with contextlib.suppress(OverflowError):
                    points.add(bound + timedelta(days=step))
    return sorted(points) or [ctx.today]


def _number_points(atoms: list[Compare]) -> list[float]:
    """Each number compared with, one between each two, one below and one above them all."""
    bounds = sorted({v for a in atoms for v in a.values if isinstance(v, float)})
    if not bounds:
        return [0.0]
    middles = [(a + b) / 2 for a, b in pairwise(bounds)]
    return sorted({bounds[0] - 1, *bounds, *middles, bounds[-1] + 1})


def _atoms_by_field(expr: Expr) -> dict[str, list[Compare]]:
    out: dict[str, list[Compare]] = {}
    for leaf in compares(expr):
        out.setdefault(leaf.field, []).append(leaf)
    return out


def _search(expr: Expr, kinds: Callable[[str], Kind | None], fixed: Mapping[str, Value],
            ctx: _Context) -> tuple[dict[str, Value] | None, bool]:
    """Values of the fields `expr` names, agreeing with `fixed`, that make it true (None when
    there are none), and whether a None is certain: it is not when the search had to give up
    on a field whose representatives were approximated. Raises _OutOfBudget.

    Depth-first over the free fields, most-used first, trying each representative value; a
    partial assignment is dropped as soon as the three-valued evaluation says false."""
    atoms = _atoms_by_field(expr)
    values = {name: value for name, value in fixed.items() if name in atoms}
    free = sorted((n for n in atoms if n not in values), key=lambda n: (-len(atoms[n]), n))
    choices: list[list[Value]] = []
    whole: list[bool] = []
    for name in free:
        kind = kinds(name)
        found, complete = _representatives(kind, atoms[name], ctx) if kind \
            else ([MISSING], True)
        choices.append(list(found))
        whole.append(complete)
    exact = True  # false once every value tried for an approximated field failed

    def step(index: int) -> bool:
        nonlocal exact
        result = _eval(expr, values, ctx)
        if result is not None:
            return result
        name = free[index]
        for value in choices[index]:
            values[name] = value
            if step(index + 1):
                return True
        del values[name]
        exact = exact and whole[index]
        return False

    return (dict(values), True) if step(0) else (None, exact)


def _possible(audience: Audience, extra: Expr | None, fixed: Mapping[str, Value],
              ctx: _Context) -> bool | None:
    """Whether some contact with the `fixed` values (and `extra` true) is in the audience:
    True, False, or None when the search could not tell (out of budget, or too many
    `contains` values); a None marks the context inexact."""
    expr = _formula(audience) if extra is None else AllOf((_formula(audience), extra))
    try:
        found, exact = _search(expr, lambda name: _kind(audience, name), fixed, ctx)
    except _OutOfBudget:
        found, exact = None, False
    if found is not None:
        return True
    if not exact:
        ctx.exact = False
        return None
    return False


def _fixed(audience: Audience, where: Mapping[str, object]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for name, raw in where.items():
        kind = _kind(audience, name)
        if kind is not None:
            out[name] = read_value(kind, raw)
    return out


def can_include(audience: Audience, where: Mapping[str, object], today: date) -> bool:
    """Whether any contact with these field values can be in the audience.

    `where` maps field names to contact values (None: the field is not set); fields it does
    not name can take any value. The answer is exact, except when the audience is too
    complex for the search budget: then it is True ("cannot rule it out"), so a rule built
    on it errs towards a finding rather than a silent pass."""
    ctx = _Context(today, SEARCH_BUDGET)
    return _possible(audience, None, _fixed(audience, where), ctx) is not False


def example(audience: Audience, where: Mapping[str, object],
            today: date) -> dict[str, object] | None:
    """A contact with the `where` values that the audience includes, or None when the search
    finds none. Lists come back as sorted lists; fields left unset are left out. (A text
    value the search made up holds NUL characters, so it stands out as made up.)"""
    ctx = _Context(today, SEARCH_BUDGET)
    try:
        found, _ = _search(_formula(audience), lambda name: _kind(audience, name),
                           _fixed(audience, where), ctx)
    except _OutOfBudget:
        return None
    if found is None:
        return None
    contact: dict[str, object] = dict(where)
    for name, value in found.items():
        if name in where:
            continue
        if isinstance(value, frozenset):
            contact[name] = sorted(value)
        elif not isinstance(value, _Missing):
            contact[name] = value
    return contact


# --- Analysis for the segmentation rules --------------------------------------------------


@dataclass(frozen=True, slots=True)
class AudienceAnalysis:
    """What the segmentation rules need to know about an audience, as plain values.

    `sunset` is the most days before today an included contact can have last engaged (None:
    no limit; 0 when no included contact can have an engagement date); `never_engaged_sunset`
    is the same for `created` among contacts with no `last_engaged`. `stale_included` and
    `stale_never_engaged_included` compare them with the organisation's threshold.
    `uncertain` names the answers the search could not finish (a very complex audience):
    each of them errs towards a finding (a contact "can" be included, the sunset has no
    limit), except `is_everyone` and `matches_nobody`, which err towards False.
    """

    matches_nobody: bool
    is_everyone: bool
    targeting_fields: tuple[str, ...]
    includes_without_consent: bool
    consent_gaps: tuple[str, ...]  # "denied", "unknown", "not set", "another value"
    soft_opt_in_included: bool
    unsubscribed_excluded: bool
    hard_bounced_excluded: bool
    complained_excluded: bool
    suppression_honoured: bool
    sunset: int | None
    stale_included: bool
    never_engaged_included: bool
    never_engaged_sunset: int | None
    stale_never_engaged_included: bool
    seed_conditions: tuple[str, ...]
    uncertain: tuple[str, ...] = ()  # the fields above whose search could not finish

    @property
    def exact(self) -> bool:
        return not self.uncertain


_GAPS: tuple[tuple[str, Value], ...] = (
    ("denied", "denied"), ("unknown", "unknown"), ("not set", MISSING),
    ("another value", _FRESH),
)


def analyse(audience: Audience, today: date, sunset_days: int,
            seed_patterns: Sequence[str] = DEFAULT_SEED_PATTERNS) -> AudienceAnalysis:
    """Answer the questions of rules S1-S4 and C7 about the audience, as of `today`.

    Each answer is one or a few searches like `can_include`'s (docs/audience.md): "can a
    contact whose email_consent is denied be included?", "can a contact on any suppression
    list be included?", "what is the oldest last_engaged an included contact can have?".
    Each question gets at most SEARCH_BUDGET, and all of them ANALYSIS_BUDGET; an answer a
    search could not finish errs towards a finding and is named in `uncertain`."""
    ctx = _Context(today, 0)
    left = ANALYSIS_BUDGET
    uncertain: list[str] = []

    def ask(name: str, question: Callable[[], _T]) -> _T:
        nonlocal left
        ctx.budget, ctx.exact = min(SEARCH_BUDGET, left), True
        start = ctx.budget
        answer = question()
        left -= start - max(ctx.budget, 0)
        if not ctx.exact:
            uncertain.append(name)
        return answer

    def can(fixed: Mapping[str, Value], extra: Expr | None = None) -> bool:
        return _possible(audience, extra, fixed, ctx) is not False

    unsubscribed = ask("unsubscribed_excluded", lambda: can({"unsubscribed": True}))
    bounced = ask("hard_bounced_excluded", lambda: can({"hard_bounced": True}))
    complained = ask("complained_excluded", lambda: can({"complained": True}))
    suppressed = ask("suppression_honoured",
                     lambda: can({}, Compare("suppression_lists", Op.SET)))
    gaps = ask("includes_without_consent", lambda: tuple(
        label for label, value in _GAPS if can({"email_consent": value})))
    soft = ask("soft_opt_in_included", lambda: can({"email_consent": "soft_opt_in"}))
    nobody = ask("matches_nobody", lambda: _possible(audience, None, {}, ctx) is False)
    everyone = ask("is_everyone", lambda: _is_everyone(audience, ctx))
    slack = sunset_days // 365  # a leap day per year: "older than 12 months" can be 366 days
    sunset = ask("stale_included", lambda: _oldest(audience, "last_engaged", {}, ctx))
    never_engaged = ask("never_engaged_included", lambda: can({"last_engaged": MISSING}))
    never_sunset = ask("stale_never_engaged_included", lambda: _oldest(
        audience, "created", {"last_engaged": MISSING}, ctx)) if never_engaged else 0
    return AudienceAnalysis(
        matches_nobody=nobody,
        is_everyone=everyone,
        targeting_fields=tuple(sorted(n for n in audience.fields if n not in HYGIENE_FIELDS)),
        includes_without_consent=bool(gaps),
        consent_gaps=gaps,
        soft_opt_in_included=soft,
        unsubscribed_excluded=not unsubscribed,
        hard_bounced_excluded=not bounced,
        complained_excluded=not complained,
        suppression_honoured=not suppressed,
        sunset=sunset,
        stale_included=sunset is None or sunset > sunset_days + slack,
        never_engaged_included=never_engaged,
        never_engaged_sunset=never_sunset,
        stale_never_engaged_included=never_engaged and (
            never_sunset is None or never_sunset > sunset_days + slack),
        seed_conditions=_seed_conditions(audience, seed_patterns),
        uncertain=tuple(uncertain),
    )


def _oldest(audience: Audience, name: str, fixed: Mapping[str, Value],
            ctx: _Context) -> int | None:
    """The most days before today that an included contact's date `name` can be (None: no
    limit), among contacts that have one; 0 when none can be included with a date.

    The representative dates are each date the conditions name, the day before and the day
    after it; the earliest stands for every date before it, so if it can be included there
    is no limit. Otherwise the earliest representative that can be included is the
    earliest date that can."""
    kind = _kind(audience, name) or Kind.DATE
    atoms = _atoms_by_field(_formula(audience)).get(name, [])
    points = [p for p in _representatives(kind, atoms, ctx)[0] if isinstance(p, date)]
    for index, point in enumerate(points):
        if _possible(audience, None, {**fixed, name: point}, ctx) is not False:
            return None if index == 0 else max(0, (ctx.today - point).days)
    return 0


def _is_everyone(audience: Audience, ctx: _Context) -> bool:
    """No include condition, or the include conditions together match every contact (no
    contact fails them all). An unfinished search counts as "not everyone"."""
    if not audience.includes:
        return True
    nobody_else = Not(AnyOf(tuple(c.expr for c in audience.includes)))
    try:
        found, exact = _search(nobody_else, lambda name: _kind(audience, name), {}, ctx)
    except _OutOfBudget:
        found, exact = None, False
    if found is None and not exact:
        ctx.exact = False
        return False
    return found is None


def _seed_conditions(audience: Audience, patterns: Sequence[str]) -> tuple[str, ...]:
    """Include conditions that pick contacts by a seed or test value, such as
    `email contains "test"` or `lists contains "qa-seeds"` (a pattern as a whole word)."""
    words = [re.compile(rf"(?<![a-z]){re.escape(p.casefold())}(?![a-z])") for p in patterns
             if p.strip()]
    found: list[str] = []
    for condition in audience.includes:
        for atom in _positive_atoms(condition.expr):
            if any(isinstance(v, str) and any(w.search(v) for w in words)
                   for v in atom.values):
                found.append(f"{condition.label}: {atom.render()}")
    return tuple(found)


def _positive_atoms(expr: Expr, negated: bool = False) -> Iterator[Compare]:
    """Comparisons that pick contacts in (`=`, `in`, `contains`, not under a `not`)."""
    if isinstance(expr, Compare):
        if not negated and expr.op in (Op.EQ, Op.IN, Op.CONTAINS):
            yield expr
    elif isinstance(expr, Not):
        yield from _positive_atoms(expr.item, not negated)
    elif isinstance(expr, AllOf | AnyOf):
        for item in expr.items:
            yield from _positive_atoms(item, negated)
