"""Who reads and who curates the feedback library (domain/access.py)."""

from __future__ import annotations

import pytest

from learnloop.domain.access import Action, Actor, Target, decide, require
from learnloop.domain.errors import Forbidden
from learnloop.domain.people import Role

ORG, OTHER_ORG = 1, 2
L, M, AN, AU, RV, AD = Role.LEARNER, Role.MANAGER, Role.ANALYST, Role.AUTHOR, Role.REVIEWER, \
    Role.ADMIN

TABLE = [
    # reading: reviewers (who build it), authors (who turn examples into items), admins
    ({L}, Action.READ_FEEDBACK, False),
    ({L, M}, Action.READ_FEEDBACK, False),
    ({L, AN}, Action.READ_FEEDBACK, False),
    ({L, AU}, Action.READ_FEEDBACK, True),
    ({L, RV}, Action.READ_FEEDBACK, True),
    ({L, AD}, Action.READ_FEEDBACK, True),
    # saving an example: reviewers and admins
    ({L}, Action.CURATE_FEEDBACK, False),
    ({L, M}, Action.CURATE_FEEDBACK, False),
    ({L, AN}, Action.CURATE_FEEDBACK, False),
    ({L, AU}, Action.CURATE_FEEDBACK, False),
    ({L, RV}, Action.CURATE_FEEDBACK, True),
    ({L, AD}, Action.CURATE_FEEDBACK, True),
    # a reviewer reads anyone's runs, to find examples
    ({L, RV}, Action.VIEW_PREFLIGHT, True),
    ({L, AU}, Action.VIEW_PREFLIGHT, False),
]


@pytest.mark.parametrize(("roles", "action", "allowed"), [
    pytest.param(frozenset(r), a, ok, id=f"{'+'.join(sorted(x.value for x in r))}-{a.value}")
    for r, a, ok in TABLE
])
def test_feedback_access_table(roles: frozenset[Role], action: Action, allowed: bool) -> None:
    decision = decide(Actor(7, ORG, roles), action, Target(ORG, 9))
    assert decision.allowed is allowed, decision.reason
    assert decision.reason


@pytest.mark.parametrize("roles", [frozenset({L, RV}), frozenset({L, AU}), frozenset({L, AD})])
@pytest.mark.parametrize("action", [Action.READ_FEEDBACK, Action.CURATE_FEEDBACK])
def test_nobody_reads_or_curates_another_organisations_library(roles: frozenset[Role],
                                                                action: Action) -> None:
    decision = decide(Actor(7, ORG, roles), action, Target(OTHER_ORG))
    assert (decision.allowed, decision.reason) == (False, "it belongs to another organisation")


def test_an_author_is_told_who_saves_examples() -> None:
    with pytest.raises(Forbidden, match=r"^Only reviewers and admins save examples to the "
                                        r"feedback library\.$"):
        require(Actor(7, ORG, frozenset({L, AU})), Action.CURATE_FEEDBACK, Target(ORG))


def test_a_learner_is_told_who_reads_the_library() -> None:
    with pytest.raises(Forbidden, match=r"reviewers, authors and admins"):
        require(Actor(7, ORG, frozenset({L})), Action.READ_FEEDBACK, Target(ORG))
