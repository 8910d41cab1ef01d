"""Build the demo organisation: people, teams, managers, accounts and the demo pack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from learnloop.domain.errors import InvalidInput
from learnloop.domain.people import Organisation, Person, Role
from learnloop.services import content, people
from learnloop.services.ports import (
    AuthRepo,
    ContentRepo,
    PackReading,
    PasswordHasher,
    PeopleRepo,
)


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    organisation: Organisation
    created: bool
    people: int
    teams: int
    pack_version: int
    pack_unchanged: bool
    accounts: list[tuple[str, str, str]]  # role shown, name, email


def build_demo(people_repo: PeopleRepo, auth: AuthRepo, content_repo: ContentRepo,
               hasher: PasswordHasher, roster_csv: str, pack: PackReading, password: str,
               slug: str, name: str, default_timezone: str, min_group_size: int,
               now: datetime, tick: Callable[[str], None] = lambda _: None) -> DemoOutcome:
    org = people_repo.organisation_by_slug(slug)
    created = org is None
    if org is None:
        org = people_repo.add_organisation(slug, name, default_timezone, min_group_size, True,
                                           now)
    tick("organisation")
    inputs, problems = people.parse_csv(roster_csv, "demo/people.csv")
    if problems:
        raise InvalidInput(problems, "the demo roster has problems")
    people.import_people(people_repo, org, None, inputs, now, where="demo/people.csv")
    tick("people")
    password_hash = hasher.hash(password)  # one hash, shared: the demo is not for real use
    everyone = people_repo.people(org.id)
    for person in everyone:
        auth.set_password_hash(person.id, password_hash, now)
    tick("accounts")
    outcome = content.publish(content_repo, org.id, None, pack, now)
    tick("content")
    return DemoOutcome(org, created, len(everyone), len(people_repo.teams(org.id)),
                       outcome.version.number, outcome.unchanged, sample_accounts(everyone))


SAMPLE_ROLES = (Role.ADMIN, Role.AUTHOR, Role.REVIEWER, Role.MANAGER, Role.ANALYST, Role.LEARNER)


def sample_accounts(everyone: list[Person], roles: tuple[Role, ...] = SAMPLE_ROLES
                    ) -> list[tuple[str, str, str]]:
    """One demo account to try for each role (role, name, email); the learner has no other."""
    shown = []
    for role in roles:
        chosen = next((p for p in everyone if role in p.roles and
                       (role is not Role.LEARNER or p.roles == {Role.LEARNER})), None)
        if chosen is not None:
            shown.append((role.value, chosen.name, chosen.email))
    return shown


def demo_accounts(people_repo: PeopleRepo, roles: tuple[Role, ...] = SAMPLE_ROLES
                  ) -> list[tuple[str, str, str]]:
    """The sample accounts of the demo organisation, if there is one."""
    org = next((o for o in people_repo.organisations() if o.is_demo), None)
    return sample_accounts(people_repo.people(org.id), roles) if org else []
