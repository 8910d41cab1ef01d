"""Which variant of a family to show: unseen first, else the one seen longest ago."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.learner.selection import choose_variant

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def draws(distinct: tuple[int, ...], seen: list[tuple[int, datetime]],
          seeds: int = 200) -> set[int]:
    return {choose_variant(distinct, seen, random.Random(seed)) for seed in range(seeds)}


def test_nothing_seen_draws_among_all_variants() -> None:
    assert draws((0, 1, 2, 3), []) == {0, 1, 2, 3}


def test_an_unseen_variant_comes_first() -> None:
    seen = [(0, at(0)), (1, at(1)), (3, at(2))]
    assert draws((0, 1, 2, 3), seen) == {2}


def test_unseen_variants_are_drawn_at_random_among_themselves() -> None:
    assert draws((0, 1, 2, 3, 4), [(0, at(0)), (4, at(1))]) == {1, 2, 3}


def test_when_every_variant_was_seen_the_longest_ago_comes_back() -> None:
    seen = [(0, at(3)), (1, at(1)), (2, at(5))]
    assert draws((0, 1, 2), seen) == {1}


def test_the_latest_sighting_of_a_variant_is_what_counts() -> None:
    seen = [(0, at(0)), (1, at(1)), (2, at(2)), (0, at(10))]  # 0 was seen again lately
    assert draws((0, 1, 2), seen) == {1}
    assert draws((0, 1, 2), list(reversed(seen))) == {1}


def test_ties_for_longest_ago_are_broken_at_random_among_the_tied() -> None:
    seen = [(0, at(1)), (1, at(1)), (2, at(4)), (3, at(1))]
    assert draws((0, 1, 2, 3), seen) == {0, 1, 3}


def test_variants_outside_distinct_are_never_returned() -> None:
    seen = [(7, at(-30)), (0, at(1)), (1, at(2))]  # 7 renders like one of the distinct ones
    assert draws((0, 1), seen) == {0}
    assert draws((0, 1, 2), [(9, at(0))]) == {0, 1, 2}


def test_a_single_variant_is_always_the_one() -> None:
    assert draws((5,), []) == {5}
    assert draws((5,), [(5, at(0)), (5, at(3))]) == {5}


def test_no_distinct_variants_falls_back_to_variant_zero() -> None:
    assert choose_variant((), [(3, at(0))], random.Random(1)) == 0


def test_the_same_seed_gives_the_same_variant() -> None:
    distinct = tuple(range(12))
    seen = [(v, at(v % 3)) for v in range(0, 12, 2)]
    first = [choose_variant(distinct, seen, random.Random(seed)) for seed in range(30)]
    again = [choose_variant(distinct, seen, random.Random(seed)) for seed in range(30)]
    assert first == again


def test_the_order_of_the_history_does_not_matter() -> None:
    distinct = (0, 1, 2, 3)
    seen = [(0, at(2)), (1, at(1)), (2, at(1)), (3, at(3)), (1, at(0))]
    for seed in range(20):
        assert choose_variant(distinct, seen, random.Random(seed)) == \
            choose_variant(distinct, list(reversed(seen)), random.Random(seed))


def test_choose_variant_does_not_change_the_history() -> None:
    seen = [(0, at(1)), (1, at(0))]
    copy = list(seen)
    choose_variant((0, 1), seen, random.Random(0))
    assert seen == copy


variants = st.integers(min_value=0, max_value=30)


@given(st.lists(variants, min_size=1, max_size=12, unique=True).map(tuple),
       st.lists(st.tuples(variants, st.integers(-1000, 1000).map(at)), max_size=40),
       st.integers(min_value=0, max_value=2**32))
def test_the_choice_is_always_a_distinct_variant_and_fresh_when_it_can_be(
        distinct: tuple[int, ...], seen: list[tuple[int, datetime]], seed: int) -> None:
    chosen = choose_variant(distinct, seen, random.Random(seed))
    assert chosen in distinct
    shown = {v for v, _ in seen}
    if any(v not in shown for v in distinct):
        assert chosen not in shown
    else:
        last = {v: max(t for w, t in seen if w == v) for v in distinct}
        assert last[chosen] == min(last.values())
    assert chosen == choose_variant(distinct, seen, random.Random(seed))
