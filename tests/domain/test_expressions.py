"""The arithmetic language of derived values and numeric answers: numbers in, numbers out."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnloop.domain.content.expressions import ExpressionError, evaluate, names_in

VALUES = {"sent": 12000, "bounced": 240, "rate": 2.5, "zero": 0}


@pytest.mark.parametrize(("source", "expected"), [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("bounced / sent * 100", 2.0),
    ("7 // 2", 3),
    ("7 % 4", 3),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("-sent + +bounced", -11760),
    ("round(bounced / (sent - bounced) * 100, 2)", 2.04),
    ("round(2.567)", 3),
    ("min(sent, bounced, 5)", 5),
    ("max(rate, 1)", 2.5),
    ("abs(bounced - sent)", 11760),
    ("1_000 + 0x10", 1016),
    ("  sent  ", 12000),
])
def test_arithmetic_over_names(source: str, expected: float) -> None:
    assert evaluate(source, VALUES) == pytest.approx(expected)


def test_integer_arithmetic_stays_integer() -> None:
    result = evaluate("sent - bounced", VALUES)
    assert isinstance(result, int)


@pytest.mark.parametrize(("source", "message"), [
    ("__import__('os').system('true')", "only the functions round, min, max and abs"),
    ("open('x')", "only the functions round, min, max and abs"),
    ("sent.bit_length()", "only the functions round, min, max and abs"),
    ("sent.real", "Attribute is not allowed"),
    ("lambda: 1", "Lambda is not allowed"),
    ("[1, 2]", "List is not allowed"),
    ("(1, 2)", "Tuple is not allowed"),
    ("{1: 2}", "Dict is not allowed"),
    ("sent if rate else bounced", "IfExp is not allowed"),
    ("sent < bounced", "Compare is not allowed"),
    ("sent and bounced", "BoolOp is not allowed"),
    ("values[0]", "Subscript is not allowed"),
    ("'text'", "only numbers are allowed"),
    ("True + 1", "only numbers are allowed"),
    ("None", "only numbers are allowed"),
    ("1j", "only numbers are allowed"),
    ("~sent", "operator not allowed"),
    ("not sent", "operator not allowed"),
    ("sent << 2", "operator not allowed"),
    ("sent & 1", "operator not allowed"),
    ("round(sent, ndigits=2)", "positional arguments only"),
    ("round(*[sent])", "Starred is not allowed"),
    ("(x := 1)", "NamedExpr is not allowed"),
    ("sent +", "not a valid expression"),
    ("", "not a valid expression"),
    ("1; 2", "not a valid expression"),
])
def test_anything_but_arithmetic_is_rejected_before_evaluation(source: str,
                                                               message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        names_in(source)


@pytest.mark.parametrize(("source", "message"), [
    ("sent / zero", "division by zero"),
    ("sent // zero", "division by zero"),
    ("sent % zero", "division by zero"),
    ("zero ** -1", "division by zero"),
    ("missing + 1", "unknown name 'missing'"),
    ("label * 2", "'label' is not a number"),
    ("flag + 1", "'flag' is not a number"),
    ("(-1) ** 0.5", "not a real number"),
    ("2.0 ** 10000", "number too large"),
    ("1e308 * 10", "not a finite number"),
    ("1e308 * 10 - 1e308 * 10", "not a finite number"),
    ("round(1, 2, 3)", "round()"),
    ("min()", "min()"),
    ("min(1)", "min()"),
])
def test_evaluation_failures_are_expression_errors(source: str, message: str) -> None:
    values = {**VALUES, "label": "550 5.1.1", "flag": True}
    with pytest.raises(ExpressionError, match=message):
        evaluate(source, values)


@pytest.mark.parametrize("source", [
    "round(1, 1e308 * 10)",                 # round() cannot take an infinite digit count
    "round(1, 1e308 * 10 - 1e308 * 10)",    # ... nor a NaN one
    "9 ** 9 ** 9",                          # an integer too large to compute in any time
    "(2 ** 1000) ** 1000",
    "-" * 5000 + "1",                       # nesting deeper than Python's parser allows
    "+".join(["1"] * 5000),
])
def test_pathological_expressions_fail_cleanly(source: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(source, VALUES)


def test_names_in_excludes_function_names() -> None:
    assert names_in("round(bounced / sent * 100, digits) + max(a, b)") == {
        "bounced", "sent", "digits", "a", "b"}


ARITHMETIC_CHARS = "0123456789+-*/%().,_ eaxbjrondmiuls\n'[]<=~!@"
names = st.sampled_from(["sent", "bounced", "rate", "zero", "x", "round", "min", "max", "abs"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=40),
    st.text(alphabet=ARITHMETIC_CHARS, max_size=40),
    st.lists(st.one_of(names, st.sampled_from(list("0123456789+-*/%(),. ")),
                       st.sampled_from(["**", "//", "1e308", "0.5"])),
             max_size=25).map("".join),
))
def test_evaluate_only_ever_returns_a_number_or_raises_expression_error(source: str) -> None:
    try:
        result = evaluate(source, VALUES)
    except ExpressionError:
        return
    assert isinstance(result, int | float)
    assert not isinstance(result, bool)
    assert not isinstance(result, float) or math.isfinite(result)


@pytest.mark.parametrize("source", ["round(5, -(2**1000))", "round(5, 10**7)", "round(2.5, 1.5)"])
def test_round_refuses_digit_counts_that_would_run_for_ever(source: str) -> None:
    with pytest.raises(ExpressionError, match="digits"):
        evaluate(source, {})
