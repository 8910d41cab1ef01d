"""Every access decision, as a table, on a small organisation chart.

    Marketing (team 100, managed by Hana)
    ├── Lifecycle (team 101, managed by Leo): Ann, Dan
    └── Acquisition (team 102, no manager): Bob, Cara

    line managers: Leo -> Hana, Ann -> Leo, Cara -> Hana

Hana sees everyone under Marketing; Leo sees Ann (line) and Dan (team only); Cara is Leo's
peer and Hana is Leo's own manager, so Leo sees neither.
"""

from __future__ import annotations

import pytest

from learnloop.domain.access import (
    Action,
    Actor,
    Target,
    can,
    decide,
    require,
    visible_people,
)
from learnloop.domain.errors import Forbidden
from learnloop.domain.people import Role, Team, reports_of

ORG, OTHER_ORG = 1, 2
HANA, LEO, ANN, BOB, CARA, DAN, ANA, AMY, REX, ADA = range(1, 11)
EVERYONE = [HANA, LEO, ANN, BOB, CARA, DAN, ANA, AMY, REX, ADA]
MANAGERS: dict[int, int | None] = dict.fromkeys(EVERYONE) | {LEO: HANA, ANN: LEO,
                                                                 CARA: HANA}
TEAMS = {
    100: Team(100, ORG, "Marketing", None, HANA),
    101: Team(101, ORG, "Lifecycle", 100, LEO),
    102: Team(102, ORG, "Acquisition", 100, None),
}
TEAM_OF = {ANN: {101}, DAN: {101}, BOB: {102}, CARA: {102}}

L, M, AN, AU, RV, AD = Role.LEARNER, Role.MANAGER, Role.ANALYST, Role.AUTHOR, Role.REVIEWER, \
    Role.ADMIN
WHO = {  # the person each role set is played by in the table
    frozenset({L}): ANN,
    frozenset({L, M}): LEO,
    frozenset({L, AN}): ANA,
    frozenset({L, AU}): AMY,
    frozenset({L, RV}): REX,
    frozenset({L, AD}): ADA,
}


def actor(person: int, roles: frozenset[Role], org: int = ORG) -> Actor:
    reports = reports_of(person, MANAGERS, TEAM_OF, TEAMS) if M in roles else frozenset()
    return Actor(person, org, roles, reports)


def target(relation: str, me: int) -> Target:
    """The person a relation names, seen from `me` (Leo for the manager rows)."""
    person = {
        "org": None,
        "self": me,
        "direct report": ANN,
        "team report": DAN,
        "peer": CARA,
        "own manager": HANA,
        "someone": BOB,
    }[relation]
    return Target(ORG, person)


TABLE = [
    # learner: only their own records
    ({L}, "self", Action.VIEW_PERSON, True),
    ({L}, "peer", Action.VIEW_PERSON, False),
    ({L}, "own manager", Action.VIEW_PERSON, False),
    ({L}, "someone", Action.VIEW_PERSON, False),
    ({L}, "self", Action.MANAGE_TOKENS, True),
    ({L}, "someone", Action.MANAGE_TOKENS, False),
    ({L}, "org", Action.VIEW_PERSON, False),
    ({L}, "org", Action.LIST_PEOPLE, True),
    ({L}, "org", Action.VIEW_AGGREGATES, False),
    ({L}, "org", Action.VIEW_TEAMS, False),
    ({L}, "org", Action.LEARN, True),
    ({L}, "org", Action.PUBLISH_CONTENT, False),
    ({L}, "org", Action.BROWSE_CONTENT, False),
    ({L}, "org", Action.REVIEW_CONTENT, False),
    ({L}, "org", Action.MANAGE_PEOPLE, False),
    # manager: reports (line and team hierarchy), not peers or their own manager
    ({L, M}, "self", Action.VIEW_PERSON, True),
    ({L, M}, "direct report", Action.VIEW_PERSON, True),
    ({L, M}, "team report", Action.VIEW_PERSON, True),
    ({L, M}, "peer", Action.VIEW_PERSON, False),
    ({L, M}, "own manager", Action.VIEW_PERSON, False),
    ({L, M}, "someone", Action.VIEW_PERSON, False),
    ({L, M}, "direct report", Action.MANAGE_TOKENS, False),
    ({L, M}, "org", Action.VIEW_AGGREGATES, True),
    ({L, M}, "org", Action.VIEW_TEAMS, True),
    ({L, M}, "org", Action.MANAGE_PEOPLE, False),
    ({L, M}, "org", Action.PUBLISH_CONTENT, False),
    # analyst: aggregates, never one person's records
    ({L, AN}, "self", Action.VIEW_PERSON, True),
    ({L, AN}, "someone", Action.VIEW_PERSON, False),
    ({L, AN}, "direct report", Action.VIEW_PERSON, False),
    ({L, AN}, "org", Action.VIEW_AGGREGATES, True),
    ({L, AN}, "org", Action.VIEW_TEAMS, True),
    ({L, AN}, "org", Action.MANAGE_PEOPLE, False),
    ({L, AN}, "org", Action.BROWSE_CONTENT, False),
    # author publishes and browses; does not review
    ({L, AU}, "org", Action.PUBLISH_CONTENT, True),
    ({L, AU}, "org", Action.BROWSE_CONTENT, True),
    ({L, AU}, "org", Action.REVIEW_CONTENT, False),
    ({L, AU}, "someone", Action.VIEW_PERSON, False),
    ({L, AU}, "org", Action.VIEW_AGGREGATES, False),
    # reviewer reviews and browses; does not publish
    ({L, RV}, "org", Action.REVIEW_CONTENT, True),
    ({L, RV}, "org", Action.BROWSE_CONTENT, True),
    ({L, RV}, "org", Action.PUBLISH_CONTENT, False),
    ({L, RV}, "someone", Action.VIEW_PERSON, False),
    # admin: everything within the organisation, except acting as someone else
    *[({L, AD}, relation, action, True)
      for action in Action if action is not Action.TAKE_STEP
      for relation in ("org", "self", "someone", "own manager")
      if not (relation == "org" and action in (Action.VIEW_PERSON, Action.MANAGE_TOKENS))],
    # only the learner takes their own steps: answers, readings and pulses are theirs alone
    *[(roles, "self", Action.TAKE_STEP, True) for roles in ({L}, {L, M}, {L, AD})],
    *[(roles, relation, Action.TAKE_STEP, False)
      for roles in ({L}, {L, M}, {L, AN}, {L, AD})
      for relation in ("someone", "org")],
    ({L, M}, "direct report", Action.TAKE_STEP, False),
    ({L, AD}, "direct report", Action.TAKE_STEP, False),
]


@pytest.mark.parametrize(("roles", "relation", "action", "allowed"), [
    pytest.param(frozenset(r), rel, a, ok,
                 id=f"{'+'.join(sorted(x.value for x in r))}-{rel}-{a.value}")
    for r, rel, a, ok in TABLE
])
def test_access_table(roles: frozenset[Role], relation: str, action: Action,
                      allowed: bool) -> None:
    me = WHO[roles]
    decision = decide(actor(me, roles), action, target(relation, me))
    assert decision.allowed is allowed, decision.reason
    assert decision.reason


@pytest.mark.parametrize("roles", list(WHO))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("person", [None, "self", BOB])
def test_nobody_crosses_organisations(roles: frozenset[Role], action: Action,
                                      person: int | str | None) -> None:
    me = WHO[roles]
    target_person = me if person == "self" else person
    assert isinstance(target_person, int | None)
    decision = decide(actor(me, roles), action, Target(OTHER_ORG, target_person))
    assert (decision.allowed, decision.reason) == (False, "it belongs to another organisation")


def test_the_head_sees_everyone_under_her_team_including_sub_teams() -> None:
    head = actor(HANA, frozenset({L, M}))
    assert visible_people(head, EVERYONE) == [HANA, LEO, ANN, BOB, CARA, DAN]


def test_a_manager_sees_only_self_and_reports() -> None:
    lead = actor(LEO, frozenset({L, M}))
    assert visible_people(lead, EVERYONE) == [LEO, ANN, DAN]


def test_reports_without_the_manager_role_grant_nothing() -> None:
    stale = Actor(LEO, ORG, frozenset({L}), frozenset({ANN, DAN}))
    assert not can(stale, Action.VIEW_PERSON, Target(ORG, ANN))


def test_analyst_refusal_says_why() -> None:
    decision = decide(actor(ANA, frozenset({L, AN})), Action.VIEW_PERSON, Target(ORG, BOB))
    assert decision.reason == "analysts see aggregates, not one person's records"


def test_require_raises_forbidden_with_the_reason() -> None:
    with pytest.raises(Forbidden, match=r"(?i)only authors and admins publish content"):
        require(actor(ANN, frozenset({L})), Action.PUBLISH_CONTENT, Target(ORG))


def test_require_returns_quietly_when_allowed() -> None:
    require(actor(AMY, frozenset({L, AU})), Action.PUBLISH_CONTENT, Target(ORG))
    assert can(actor(AMY, frozenset({L, AU})), Action.PUBLISH_CONTENT, Target(ORG))


# -- reports_of ----------------------------------------------------------------------------
@pytest.mark.parametrize(("manager", "reports"), [
    (HANA, {LEO, ANN, BOB, CARA, DAN}),     # line chain + team hierarchy with sub-teams
    (LEO, {ANN, DAN}),                       # Ann by line, Dan only through the team
    (ANN, set()),
    (BOB, set()),
])
def test_reports_of(manager: int, reports: set[int]) -> None:
    assert reports_of(manager, MANAGERS, TEAM_OF, TEAMS) == frozenset(reports)


def test_reports_of_follows_line_managers_of_team_members() -> None:
    # Eve reports to Dan by line; Dan is in Leo's team, so Eve reports to Leo too.
    eve = 11
    managers = MANAGERS | {eve: DAN}
    assert reports_of(LEO, managers, TEAM_OF, TEAMS) == frozenset({ANN, DAN, eve})


def test_a_manager_who_is_a_member_of_their_own_team_is_not_their_own_report() -> None:
    team_of = TEAM_OF | {LEO: {101}}
    assert LEO not in reports_of(LEO, MANAGERS, team_of, TEAMS)


def test_reports_of_stops_at_line_manager_loops() -> None:
    managers: dict[int, int | None] = {1: 2, 2: 3, 3: 1}
    assert reports_of(1, managers, {}, {}) == frozenset({2, 3})


def test_reports_of_stops_at_team_parent_loops() -> None:
    teams = {
        1: Team(1, ORG, "A", 2, 10),
        2: Team(2, ORG, "B", 1, None),
    }
    assert reports_of(10, {}, {20: {1}, 21: {2}}, teams) == frozenset({20, 21})
