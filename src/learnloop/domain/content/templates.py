"""Item templates: ``{name}`` placeholders filled from a variant's values."""

from __future__ import annotations

import string
from collections.abc import Mapping

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template is malformed or names a value the variant does not have."""


def fields_in(template: str) -> set[str]:
    """The placeholder names a template uses; raise TemplateError when it is malformed."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateError(f"malformed template: {exc}") from None
    names: set[str] = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise TemplateError(f"placeholder {{{name}}} must be a plain name")
        if spec or conversion:
            raise TemplateError(f"placeholder {{{name}}} must not carry a format or conversion")
        names.add(name)
    return names


def show(value: object) -> str:
    """How a value appears in learner-facing text."""
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
        grouping = "," if abs(value) >= 10000 else ""
        return f"{value:{grouping}.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


def render(template: str, values: Mapping[str, object]) -> str:
    missing = fields_in(template) - set(values)
    if missing:
        raise TemplateError(f"unknown placeholder {{{sorted(missing)[0]}}}")
    return template.format_map({k: show(v) for k, v in values.items()})
