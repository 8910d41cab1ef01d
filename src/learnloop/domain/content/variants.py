"""Turn an item family into the concrete items (variants) a learner sees.

Variants are numbered: first the explicit `rows`, in order, then every combination of the
`grid` values, in the order written. The same family version always yields the same variant for
the same number, so learner history can point at (family version, variant).
"""

from __future__ import annotations

from dataclasses import dataclass

from learnloop.domain.content import expressions, templates
from learnloop.domain.content.model import Context, ItemFamily, ItemType, Scalar


class VariantError(ValueError):
    """A variant cannot be made: a template or expression fails for its values."""

    def __init__(self, variant: int, message: str, field: str) -> None:
        super().__init__(f"variant {variant}: {field}: {message}")
        self.variant = variant
        self.field = field
        self.detail = message


@dataclass(frozen=True, slots=True)
class ItemOption:
    id: str
    text: str
    correct: bool
    misconception: str | None
    feedback: str | None


@dataclass(frozen=True, slots=True)
class NumericTrap:
    value: float
    misconception: str
    feedback: str


@dataclass(frozen=True, slots=True)
class Item:
    family_id: str
    variant: int
    skill: str
    type: ItemType
    context: Context
    stem: str
    options: tuple[ItemOption, ...] = ()
    answer: float | None = None
    tolerance: float = 0.0
    unit: str | None = None
    feedback: str | None = None
    traps: tuple[NumericTrap, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options if o.correct)

    def surface(self) -> tuple[str, ...]:
        """What makes two items look the same to a learner."""
        return (self.stem, *sorted(o.text for o in self.options))


def variant_count(family: ItemFamily) -> int:
    if not family.rows and not family.grid:
        return 1
    grid = 1 if family.grid else 0
    for _, values in family.grid:
        grid *= len(values)
    return len(family.rows) + grid


def _raw_at(family: ItemFamily, variant: int) -> dict[str, Scalar] | None:
    """The parameter values of one variant, found directly (not by walking the earlier ones):
    rows first, then the grid in `itertools.product` order (the last parameter varies fastest).
    """
    if variant < 0 or variant >= variant_count(family):
        return None
    if not family.rows and not family.grid:
        return {}
    if variant < len(family.rows):
        return dict(family.rows[variant])
    index = variant - len(family.rows)
    picked: dict[str, Scalar] = {}
    for name, values in reversed(family.grid):
        index, position = divmod(index, len(values))
        picked[name] = values[position]
    return {name: picked[name] for name, _ in family.grid}


def values_for(family: ItemFamily, variant: int) -> dict[str, Scalar]:
    """The parameter and derived values of one variant."""
    raw = _raw_at(family, variant)
    if raw is None:
        raise VariantError(variant, f"the family has only {variant_count(family)} variants",
                           "variant")
    values: dict[str, Scalar] = dict(raw)
    for name, source in family.derived:
        try:
            values[name] = expressions.evaluate(source, values)
        except expressions.ExpressionError as exc:
            raise VariantError(variant, str(exc), f"derived.{name}") from None
    return values


def _fill(text: str | None, values: dict[str, Scalar], variant: int, field: str) -> str | None:
    if text is None:
        return None
    try:
        return templates.render(text, values)
    except templates.TemplateError as exc:
        raise VariantError(variant, str(exc), field) from None


def _number(source: str, values: dict[str, Scalar], variant: int, field: str) -> float:
    try:
        return float(expressions.evaluate(source, values))
    except expressions.ExpressionError as exc:
        raise VariantError(variant, str(exc), field) from None


def make_item(family: ItemFamily, variant: int) -> Item:
    """Render one variant; raise VariantError naming the field that cannot be filled."""
    values = values_for(family, variant)
    stem = _fill(family.stem, values, variant, "stem")
    assert stem is not None
    feedback = _fill(family.feedback, values, variant, "feedback")
    options: tuple[ItemOption, ...] = ()
    if family.is_choice:
        key = family.key
        if family.key_by is not None:
            chosen = family.key_by.key_for(values.get(family.key_by.param))
            if chosen is None:
                raise VariantError(
                    variant,
                    f"key_by has no entry for {family.key_by.param}="
                    f"{values.get(family.key_by.param)!r}",
                    "key_by",
                )
            key = chosen
        options = tuple(
            ItemOption(
                id=o.id,
                text=_fill(o.text, values, variant, f"options.{o.id}.text") or "",
                correct=o.id in key,
                misconception=None if o.id in key else o.misconception,
                feedback=_fill(o.feedback, values, variant, f"options.{o.id}.feedback"),
            )
            for o in family.options
        )
    answer = None
    traps: tuple[NumericTrap, ...] = ()
    if family.type is ItemType.NUMERIC and family.answer is not None:
        answer = _number(family.answer, values, variant, "answer")
        traps = tuple(
            NumericTrap(
                value=_number(m.answer, values, variant, f"misconceptions[{i}].answer"),
                misconception=m.misconception,
                feedback=_fill(m.feedback, values, variant, f"misconceptions[{i}].feedback")
                or "",
            )
            for i, m in enumerate(family.numeric_misconceptions)
        )
    return Item(
        family_id=family.id,
        variant=variant,
        skill=family.skill,
        type=family.type,
        context=family.context,
        stem=stem,
        options=options,
        answer=answer,
        tolerance=family.tolerance,
        unit=family.unit,
        feedback=feedback,
        traps=traps,
    )


def all_items(family: ItemFamily) -> list[Item]:
    """Every variant of a family (raises VariantError on the first that fails)."""
    return [make_item(family, v) for v in range(variant_count(family))]


def distinct_items(family: ItemFamily) -> list[Item]:
    """Variants with distinct surfaces, in variant order."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for item in all_items(family):
        if item.surface() not in seen:
            seen.add(item.surface())
            out.append(item)
    return out
