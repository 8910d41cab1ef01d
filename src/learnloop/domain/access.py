"""Every access decision in learnloop is made here.

Callers describe who is asking (`Actor`), what they want to do (`Action`) and to what
(`Target`); `decide` answers with a `Decision` that carries its reason. Routes and services
call `require`, which raises `Forbidden`. Nothing else in the code base checks roles.

The rules:
- nobody acts across organisations;
- an admin may do everything within their organisation;
- a person's own records are theirs to see;
- a manager sees the records of the people who report to them (line or team hierarchy);
- an analyst sees aggregates, never one person's records;
- authors publish content; authors and reviewers browse it with its answer keys;
- any member of the organisation may see published content as a learner does;
- only the learner takes their own steps: nobody answers or rates for someone else;
- admins manage the LRS clients of their organisation;
- reviewers save anonymised pre-flight failures to the feedback library; reviewers and
  authors (who turn them into items) read it;
- an LRS client may do what its scopes grant (`lrs_decide`), within its organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from learnloop.domain.errors import Forbidden
from learnloop.domain.people import Role


class Action(StrEnum):
    VIEW_PERSON = "view_person"            # one person's profile and records
    VIEW_AGGREGATES = "view_aggregates"    # team and organisation figures
    LIST_PEOPLE = "list_people"            # the directory, filtered by VIEW_PERSON
    MANAGE_PEOPLE = "manage_people"        # create, update, import people and teams
    VIEW_TEAMS = "view_teams"
    PUBLISH_CONTENT = "publish_content"    # import a content pack version
    BROWSE_CONTENT = "browse_content"      # author view: items with keys and rubrics
    REVIEW_CONTENT = "review_content"
    LEARN = "learn"                        # see published lessons as a learner
    MANAGE_TOKENS = "manage_tokens"        # API tokens of one person
    TAKE_STEP = "take_step"                # answer, read, rate: only ever as oneself
    MANAGE_LRS_CLIENTS = "manage_lrs_clients"  # xAPI credentials of the organisation
    RUN_PREFLIGHT = "run_preflight"        # check a campaign before it launches
    VIEW_PREFLIGHT = "view_preflight"      # one pre-flight run (target: its author)
    OVERRIDE_PREFLIGHT = "override_preflight"  # launch despite a failed rule, with a reason
    MANAGE_PREFLIGHT = "manage_preflight"  # the organisation's pre-flight settings
    READ_FEEDBACK = "read_feedback"        # the feedback library of anonymised failures
    CURATE_FEEDBACK = "curate_feedback"    # save a run's failure to the feedback library


@dataclass(frozen=True, slots=True)
class Actor:
    person_id: int
    org_id: int
    roles: frozenset[Role]
    reports: frozenset[int] = frozenset()

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class Target:
    org_id: int
    person_id: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _yes(reason: str) -> Decision:
    return Decision(True, reason)


def _no(reason: str) -> Decision:
    return Decision(False, reason)


def decide(actor: Actor, action: Action, target: Target) -> Decision:
    if actor.org_id != target.org_id:
        return _no("it belongs to another organisation")
    if action is Action.TAKE_STEP:
        if target.person_id == actor.person_id:
            return _yes("this is your own learning")
        return _no("nobody answers or rates for someone else, admins included")
    if actor.has(Role.ADMIN):
        return _yes("admins may do everything in their organisation")

    if action in (Action.VIEW_PERSON, Action.MANAGE_TOKENS):
        if target.person_id is None:
            return _no("no person was named")
        if target.person_id == actor.person_id:
            return _yes("these are your own records")
        if action is Action.VIEW_PERSON and actor.has(Role.MANAGER) \
                and target.person_id in actor.reports:
            return _yes("this person reports to you")
        if actor.has(Role.ANALYST):
            return _no("analysts see aggregates, not one person's records")
        return _no("you may see only your own records and those of your reports")
    if action is Action.LIST_PEOPLE:
        return _yes("the list shows only the people you may see")
    if action is Action.VIEW_AGGREGATES:
        if actor.has(Role.ANALYST) or actor.has(Role.MANAGER):
            return _yes("analysts and managers see aggregates")
        return _no("aggregates are for managers and analysts")
    if action is Action.VIEW_TEAMS:
        if actor.roles & {Role.MANAGER, Role.ANALYST}:
            return _yes("managers and analysts see the team structure")
        return _no("the team structure is for managers, analysts and admins")
    if action is Action.MANAGE_PEOPLE:
        return _no("only admins manage people and teams")
    if action is Action.MANAGE_LRS_CLIENTS:
        return _no("only admins manage LRS clients")
    if action is Action.PUBLISH_CONTENT:
        if actor.has(Role.AUTHOR):
            return _yes("authors publish content")
        return _no("only authors and admins publish content")
    if action is Action.BROWSE_CONTENT:
        if actor.roles & {Role.AUTHOR, Role.REVIEWER}:
            return _yes("authors and reviewers browse content with its keys")
        return _no("the author view is for authors, reviewers and admins")
    if action is Action.REVIEW_CONTENT:
        if actor.has(Role.REVIEWER):
            return _yes("reviewers review content")
        return _no("only reviewers and admins review content")
    if action is Action.LEARN:
        return _yes("every member learns")
    if action is Action.RUN_PREFLIGHT:
        return _yes("every member checks their own campaigns")
    if action in (Action.VIEW_PREFLIGHT, Action.OVERRIDE_PREFLIGHT):
        if target.person_id == actor.person_id:
            return _yes("this is your own campaign")
        if actor.has(Role.MANAGER) and target.person_id in actor.reports:
            return _yes("the campaign's author reports to you")
        if action is Action.VIEW_PREFLIGHT and actor.has(Role.REVIEWER):
            return _yes("reviewers read pre-flight reports to build the feedback library")
        return _no("pre-flight reports are seen by their author, the author's managers, "
                   "reviewers and admins")
    if action is Action.MANAGE_PREFLIGHT:
        return _no("only admins change the pre-flight settings")
    if action is Action.READ_FEEDBACK:
        if actor.roles & {Role.REVIEWER, Role.AUTHOR}:
            return _yes("reviewers and authors read the feedback library")
        return _no("the feedback library is for reviewers, authors and admins")
    if action is Action.CURATE_FEEDBACK:
        if actor.has(Role.REVIEWER):
            return _yes("reviewers save examples to the feedback library")
        return _no("only reviewers and admins save examples to the feedback library")
    return _no("no rule allows this")  # pragma: no cover - every action is handled above


def require(actor: Actor, action: Action, target: Target) -> None:
    decision = decide(actor, action, target)
    if not decision.allowed:
        raise Forbidden(f"{decision.reason[0].upper()}{decision.reason[1:]}.")


def can(actor: Actor, action: Action, target: Target) -> bool:
    return decide(actor, action, target).allowed


def visible_people(actor: Actor, people: list[int]) -> list[int]:
    """The people (of the actor's organisation) whose records the actor may see."""
    target_org = actor.org_id
    return [p for p in people if can(actor, Action.VIEW_PERSON, Target(target_org, p))]


# --- LRS clients: what a credential's scopes allow on the xAPI resources ---


class LrsScope(StrEnum):
    STATEMENTS_WRITE = "statements/write"
    STATEMENTS_READ = "statements/read"
    STATEMENTS_READ_MINE = "statements/read/mine"
    STATE = "state"
    PROFILE = "profile"
    ALL_READ = "all/read"
    ALL = "all"


class LrsAction(StrEnum):
    WRITE_STATEMENTS = "write_statements"
    READ_STATEMENTS = "read_statements"
    READ_STATE = "read_state"
    WRITE_STATE = "write_state"
    READ_PROFILES = "read_profiles"        # activity and agent profiles
    WRITE_PROFILES = "write_profiles"
    READ_DESCRIPTIONS = "read_descriptions"  # the agents and activities resources


_GRANTS: dict[LrsScope, frozenset[LrsAction]] = {
    LrsScope.ALL: frozenset(LrsAction),
    LrsScope.ALL_READ: frozenset({LrsAction.READ_STATEMENTS, LrsAction.READ_STATE,
                                  LrsAction.READ_PROFILES, LrsAction.READ_DESCRIPTIONS}),
    LrsScope.STATEMENTS_WRITE: frozenset({LrsAction.WRITE_STATEMENTS}),
    LrsScope.STATEMENTS_READ: frozenset({LrsAction.READ_STATEMENTS,
                                         LrsAction.READ_DESCRIPTIONS}),
    LrsScope.STATEMENTS_READ_MINE: frozenset({LrsAction.READ_STATEMENTS}),
    LrsScope.STATE: frozenset({LrsAction.READ_STATE, LrsAction.WRITE_STATE}),
    LrsScope.PROFILE: frozenset({LrsAction.READ_PROFILES, LrsAction.WRITE_PROFILES,
                                 LrsAction.READ_DESCRIPTIONS}),
}


def lrs_decide(scopes: frozenset[LrsScope], action: LrsAction) -> Decision:
    for scope in scopes:
        if action in _GRANTS[scope]:
            return _yes(f"the client's scope '{scope.value}' allows this")
    return _no(f"the client's scopes ({', '.join(sorted(s.value for s in scopes)) or 'none'})"
               f" do not allow {action.value.replace('_', ' ')}")


def lrs_require(scopes: frozenset[LrsScope], action: LrsAction) -> None:
    decision = lrs_decide(scopes, action)
    if not decision.allowed:
        raise Forbidden(f"{decision.reason[0].upper()}{decision.reason[1:]}.")


def reads_only_own(scopes: frozenset[LrsScope]) -> bool:
    """A client whose only statement-reading scope is read/mine sees what it wrote, no more."""
    return not any(LrsAction.READ_STATEMENTS in _GRANTS[s] for s in scopes
                   if s is not LrsScope.STATEMENTS_READ_MINE)
