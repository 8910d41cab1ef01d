"""Item families turn into numbered variants: rows first, then the grid, always the same way."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnloop.domain.content import variants
from learnloop.domain.content.model import (
    Context,
    ItemFamily,
    ItemType,
    KeyBy,
    NumericMisconception,
    Option,
)
from learnloop.domain.content.variants import VariantError

BOUNCE_RATE = ItemFamily(
    id="bounce-rate",
    skill="reporting",
    type=ItemType.NUMERIC,
    context=Context.TRANSFER,
    stem="Sent {sent}, bounced {bounced}: what is the bounce rate?",
    rows=((("sent", 5000), ("bounced", 75)),),
    grid=(("sent", (12000, 25000)), ("bounced", (240, 600))),
    derived=(("delivered", "sent - bounced"), ("rate", "round(bounced / sent * 100, 2)")),
    answer="bounced / sent * 100",
    tolerance=0.05,
    unit="%",
    feedback="{bounced} / {sent} = {rate}%; {delivered} were delivered.",
    numeric_misconceptions=(
        NumericMisconception("bounced / delivered * 100", "wrong-denominator",
                             "You divided by {delivered}, the delivered mail."),
    ),
)

BOUNCE_CODE = ItemFamily(
    id="bounce-code",
    skill="deliverability",
    type=ItemType.SINGLE_CHOICE,
    stem='The server answered "{code}". What do you do?',
    rows=(
        (("code", "550 5.1.1"), ("meaning", "mailbox does not exist")),
        (("code", "452 4.2.2"), ("meaning", "mailbox full")),
    ),
    options=(
        Option("suppress", "Suppress the address.", "soft-hard-confused", "It is temporary."),
        Option("retry", "Retry {code} for 72 hours.", "soft-hard-confused", "It is permanent."),
    ),
    key_by=KeyBy("meaning", (("mailbox does not exist", ("suppress",)),
                             ("mailbox full", ("retry",)))),
)


def test_golden_sequence_rows_first_then_the_grid_in_written_order() -> None:
    rendered = [(i.variant, i.stem, i.answer, i.feedback, [t.value for t in i.traps])
                for i in variants.all_items(BOUNCE_RATE)]
    assert rendered == [
        (0, "Sent 5000, bounced 75: what is the bounce rate?", 1.5,
         "75 / 5000 = 1.5%; 4925 were delivered.", [pytest.approx(1.5228426)]),
        (1, "Sent 12,000, bounced 240: what is the bounce rate?", 2.0,
         "240 / 12,000 = 2%; 11,760 were delivered.", [pytest.approx(2.0408163)]),
        (2, "Sent 12,000, bounced 600: what is the bounce rate?", 5.0,
         "600 / 12,000 = 5%; 11,400 were delivered.", [pytest.approx(5.2631579)]),
        (3, "Sent 25,000, bounced 240: what is the bounce rate?", 0.96,
         "240 / 25,000 = 0.96%; 24,760 were delivered.", [pytest.approx(0.9693053)]),
        (4, "Sent 25,000, bounced 600: what is the bounce rate?", 2.4,
         "600 / 25,000 = 2.4%; 24,400 were delivered.", [pytest.approx(2.4590164)]),
    ]


def test_numeric_items_carry_tolerance_unit_context_and_traps() -> None:
    item = variants.make_item(BOUNCE_RATE, 1)
    assert (item.family_id, item.skill, item.type, item.context) == (
        "bounce-rate", "reporting", ItemType.NUMERIC, Context.TRANSFER)
    assert (item.tolerance, item.unit) == (0.05, "%")
    assert item.traps[0].misconception == "wrong-denominator"
    assert item.traps[0].feedback == "You divided by 11,760, the delivered mail."


def test_derived_values_are_computed_in_order_from_the_parameters() -> None:
    assert variants.values_for(BOUNCE_RATE, 3) == {
        "sent": 25000, "bounced": 240, "delivered": 24760, "rate": 0.96}


def test_the_same_variant_number_always_gives_the_same_item() -> None:
    assert variants.make_item(BOUNCE_RATE, 2) == variants.all_items(BOUNCE_RATE)[2]
    assert variants.make_item(BOUNCE_RATE, 2) == variants.make_item(BOUNCE_RATE, 2)


def test_asking_for_a_variant_past_the_end_is_a_variant_error() -> None:
    with pytest.raises(VariantError, match="only 5 variants"):
        variants.make_item(BOUNCE_RATE, 5)


def test_key_by_chooses_the_key_of_each_variant() -> None:
    first, second = variants.all_items(BOUNCE_CODE)
    assert first.key == ("suppress",)
    assert second.key == ("retry",)


def test_with_key_by_an_option_is_right_in_one_variant_and_a_distractor_in_another() -> None:
    first, second = variants.all_items(BOUNCE_CODE)
    retry_first = next(o for o in first.options if o.id == "retry")
    retry_second = next(o for o in second.options if o.id == "retry")
    assert (retry_first.correct, retry_first.misconception) == (False, "soft-hard-confused")
    assert (retry_second.correct, retry_second.misconception) == (True, None)
    assert retry_second.text == "Retry 452 4.2.2 for 72 hours."


def test_a_fixed_key_marks_the_same_option_right_in_every_variant() -> None:
    family = ItemFamily(
        id="fixed", skill="s", type=ItemType.MULTIPLE_CHOICE, stem="Pick {n}",
        grid=(("n", (1, 2)),),
        options=(Option("a", "A"), Option("b", "B"), Option("c", "C", "m", "no")),
        key=("a", "b"),
    )
    assert [i.key for i in variants.all_items(family)] == [("a", "b"), ("a", "b")]


def test_key_by_without_an_entry_for_the_value_is_a_variant_error() -> None:
    family = ItemFamily(
        id="gap", skill="s", type=ItemType.SINGLE_CHOICE, stem="{meaning}",
        rows=((("meaning", "mailbox full"),), (("meaning", "greylisted"),)),
        options=(Option("suppress", "Suppress.", "m", "Temporary."),
                 Option("retry", "Retry.", "m", "Permanent.")),
        key_by=BOUNCE_CODE.key_by,
    )
    with pytest.raises(VariantError, match="no entry for meaning='greylisted'") as info:
        variants.all_items(family)
    assert (info.value.variant, info.value.field) == (1, "key_by")


def test_a_family_without_params_has_exactly_one_variant() -> None:
    family = ItemFamily(id="plain", skill="s", type=ItemType.FREE_TEXT, stem="Explain.")
    assert variants.variant_count(family) == 1
    assert [i.stem for i in variants.all_items(family)] == ["Explain."]


def test_a_failing_template_names_the_variant_and_field() -> None:
    family = ItemFamily(
        id="ratio", skill="s", type=ItemType.NUMERIC, stem="{a} over {b}?",
        grid=(("a", (1,)), ("b", (2, 0))), derived=(("q", "a / b"),), answer="q",
    )
    assert variants.make_item(family, 0).answer == 0.5
    with pytest.raises(VariantError) as info:
        variants.make_item(family, 1)
    assert (info.value.variant, info.value.field, info.value.detail) == (
        1, "derived.q", "division by zero")


def test_distinct_items_drop_variants_that_look_the_same() -> None:
    family = ItemFamily(
        id="dupes", skill="s", type=ItemType.SINGLE_CHOICE, stem="Is {a} right?",
        grid=(("a", ("x", "y")), ("hidden", (1, 2))),
        options=(Option("yes", "Yes"), Option("no", "No", "m", "Wrong.")), key=("yes",),
    )
    assert variants.variant_count(family) == 4
    assert [i.variant for i in variants.distinct_items(family)] == [0, 2]


scalars = st.one_of(st.integers(-10**6, 10**6), st.text(max_size=5),
                    st.floats(allow_nan=False, allow_infinity=False))
names = st.sampled_from(["a", "b", "c", "d"])


@settings(max_examples=150, deadline=None)
@given(grid=st.dictionaries(names, st.lists(scalars, max_size=3), max_size=3),
       rows=st.lists(st.dictionaries(names, scalars, max_size=3), max_size=4))
def test_variant_count_is_the_number_of_items(grid: dict[str, list[object]],
                                              rows: list[dict[str, object]]) -> None:
    family = ItemFamily(
        id="prop", skill="s", type=ItemType.FREE_TEXT, stem="Question",
        grid=tuple((k, tuple(v)) for k, v in grid.items()),  # type: ignore[misc]
        rows=tuple(tuple(r.items()) for r in rows),  # type: ignore[misc]
    )
    items = variants.all_items(family)
    assert variants.variant_count(family) == len(items)
    assert [i.variant for i in items] == list(range(len(items)))


@settings(max_examples=150, deadline=None)
@given(grid=st.dictionaries(names, st.lists(scalars, min_size=1, max_size=3), max_size=3),
       rows=st.lists(st.dictionaries(names, scalars, max_size=3), max_size=3))
def test_variant_values_are_rows_then_the_grid_in_product_order(
        grid: dict[str, list[object]], rows: list[dict[str, object]]) -> None:
    family = ItemFamily(
        id="prop", skill="s", type=ItemType.FREE_TEXT, stem="Question",
        grid=tuple((k, tuple(v)) for k, v in grid.items()),  # type: ignore[misc]
        rows=tuple(tuple(r.items()) for r in rows),  # type: ignore[misc]
    )
    expected = [dict(r) for r in rows]
    if grid:
        expected += [dict(zip(grid, combo, strict=True))
                     for combo in itertools.product(*grid.values())]
    if not expected:
        expected = [{}]
    assert [variants.values_for(family, v) for v in range(variants.variant_count(family))] == (
        expected)


def test_a_large_grid_renders_every_variant() -> None:
    family = ItemFamily(
        id="big", skill="s", type=ItemType.NUMERIC, stem="{a} {b} {c} {d}",
        grid=tuple((n, tuple(range(10))) for n in "abcd"), answer="a * b + c - d",
    )
    items = variants.all_items(family)  # 10,000: each variant is found directly, not by walking
    assert len(items) == 10000
    assert (items[-1].stem, items[-1].answer) == ("9 9 9 9", 81.0)
