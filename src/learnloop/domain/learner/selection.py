"""Which variant of a family to show, so that a learner rarely sees the same surface twice."""

from __future__ import annotations

import random
from datetime import datetime


def choose_variant(distinct: tuple[int, ...], seen: list[tuple[int, datetime]],
                   rng: random.Random) -> int:
    """A variant the learner has not been shown, at random; when they have seen every distinct
    surface, the one they saw longest ago (ties broken at random)."""
    if not distinct:
        return 0
    last_seen: dict[int, datetime] = {}
    for variant, at in seen:
        if variant not in last_seen or at > last_seen[variant]:
            last_seen[variant] = at
    fresh = [v for v in distinct if v not in last_seen]
    if fresh:
        return rng.choice(fresh)
    oldest = min(last_seen[v] for v in distinct)
    return rng.choice([v for v in distinct if last_seen[v] == oldest])
