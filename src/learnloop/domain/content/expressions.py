"""A small, safe arithmetic language for derived values and numeric answers.

Item families compute values from their parameters (``round(bounced / sent * 100, 2)``).
Only numbers, names, arithmetic operators, parentheses and a few functions are allowed;
anything else is rejected before evaluation, so a content pack can never run code.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache

Number = int | float
MAX_BITS = 1024  # integers beyond a float's range are refused, not computed


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 \
            and abs(base) > 1 and (abs(base).bit_length() - 1) * exponent > MAX_BITS:
        raise OverflowError("integer power too large")
    result: Number = operator.pow(base, exponent)
    return result


_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


MAX_DIGITS = 15  # a float carries about 15 significant digits; more rounds nothing


def _round(value: Number, digits: Number = 0) -> Number:
    # round() with a huge digit count builds 10**digits and can run for ever: refuse it.
    if isinstance(digits, float) and not digits.is_integer():
        raise ValueError("digits must be a whole number")
    if not -MAX_DIGITS <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between -{MAX_DIGITS} and {MAX_DIGITS}")
    return round(value, int(digits))


_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "round": _round,
    "min": min,
    "max": max,
    "abs": abs,
}


class ExpressionError(ValueError):
    """An expression is not allowed or cannot be evaluated with the given values."""


@lru_cache(maxsize=1024)
def parse(source: str) -> ast.Expression:
    """Parse and vet an expression; raise ExpressionError naming what is not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                raise ExpressionError(
                    "only the functions round, min, max and abs may be called"
                )
            if node.keywords:
                raise ExpressionError("functions take positional arguments only")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError(f"only numbers are allowed, not {node.value!r}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError("operator not allowed; use + - * / // % **")
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise ExpressionError("operator not allowed; use + - * / // % **")
        elif not isinstance(node, ast.Expression | ast.Name | ast.Load | ast.operator
                            | ast.unaryop):
            raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")
    return tree


def names_in(source: str) -> set[str]:
    """The variable names an expression reads (function names excluded)."""
    tree = parse(source)
    called = {
        id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)
    }
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def evaluate(source: str, values: Mapping[str, object]) -> Number:
    """Evaluate a vetted expression over numeric values."""
    tree = parse(source)

    def ev(node: ast.AST) -> Number:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise ExpressionError(f"unknown name {node.id!r}")
            value = values[node.id]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ExpressionError(f"{node.id!r} is not a number ({value!r})")
            return value
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            try:
                result = _BINARY[type(node.op)](left, right)
            except ZeroDivisionError:
                raise ExpressionError("division by zero") from None
            except OverflowError:
                raise ExpressionError("number too large") from None
            if isinstance(result, complex):
                raise ExpressionError("result is not a real number")
            if isinstance(result, int) and result.bit_length() > MAX_BITS:
                raise ExpressionError("number too large")
            return result
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args = [ev(a) for a in node.args]
            try:
                return _FUNCTIONS[node.func.id](*args)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ExpressionError(f"{node.func.id}(): {exc}") from None
        raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover

    try:
        result = ev(tree)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    if isinstance(result, float) and not math.isfinite(result):
        raise ExpressionError("result is not a finite number")
    return result
