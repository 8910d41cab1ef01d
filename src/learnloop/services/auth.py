"""Sign-in with local accounts, browser sessions and API tokens.

Session and API tokens are random strings handed to the client once; only their SHA-256
digests are stored, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.errors import InvalidInput, NotAuthenticated, NotFound
from learnloop.domain.lockout import Attempts
from learnloop.domain.people import Person
from learnloop.domain.problems import Problem, has_nul
from learnloop.services.people import actor_for
from learnloop.services.ports import (
    AuthRepo,
    PasswordHasher,
    PeopleRepo,
    StoredToken,
    TokenMaker,
)

TOKEN_PREFIX = "ll_"  # noqa: S105 - a prefix, not a secret
# A token's last use is recorded to the minute: a script calling many times a minute writes it
# once, not on every request.
TOKEN_USE_PRECISION = timedelta(minutes=1)
MIN_PASSWORD = 10
WRONG_CREDENTIALS = ("The email or password is not right. After five wrong tries in a row, "
                     "sign-in pauses for 15 minutes.")
# An Argon2id hash (library defaults) of a random string nobody knows: checked when no account
# matches, so an unknown email costs the same time as a wrong password.
UNKNOWN_ACCOUNT_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$ZtWNPsLXXwL4DZhxoZQGgg$"
                        "EbAfUY0KFbVYS738z9Pn+sVWZKWpbKjDPJ7iAGar4Q0")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OrganisationNeeded(NotAuthenticated):
    """The email and password match accounts in more than one organisation."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    csrf_token: str
    person: Person
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Authenticated:
    person: Person
    actor: Actor
    csrf_token: str | None = None


def password_problem(password: str, field: str = "password") -> Problem | None:
    if len(password) < MIN_PASSWORD:
        return Problem("body", f"must be at least {MIN_PASSWORD} characters", field=field)
    if len(password) > 1024:
        return Problem("body", "must be at most 1024 characters", field=field)
    return None


def set_password(auth: AuthRepo, hasher: PasswordHasher, person: Person, password: str,
                 now: datetime) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise InvalidInput([problem])
    auth.set_password_hash(person.id, hasher.hash(password), now)


def sign_in(people: PeopleRepo, auth: AuthRepo, hasher: PasswordHasher, email: str,
            password: str, now: datetime, new_token: TokenMaker, session_hours: int,
            org_slug: str | None = None) -> SignedIn:
    """Check a password and open a session.

    Every refusal reads the same and takes about the same time, whether the email is unknown,
    the password wrong, or the account paused after repeated wrong passwords: nothing tells an
    outsider which accounts exist.
    """
    if has_nul(email) or has_nul(password) or has_nul(org_slug or ""):
        raise NotAuthenticated(WRONG_CREDENTIALS)
    candidates = [p for p in people.people_with_email(email.strip().lower()) if p.active]
    if org_slug:
        org = people.organisation_by_slug(org_slug)
        candidates = [p for p in candidates if org is not None and p.org_id == org.id]
    matches = []
    verified = False
    for person in candidates:
        stored = auth.password_hash(person.id)
        if stored is None:
            continue
        attempts = auth.attempts(person.id)
        right = hasher.verify(stored, password)
        verified = True
        if attempts.is_locked(now):
            continue  # paused: even the right password is refused, with the same message
        if right:
            matches.append((person, stored))
            if attempts.failures:
                auth.set_attempts(person.id, Attempts())
        else:
            auth.set_attempts(person.id, attempts.after_failure(now))
    if not verified:
        hasher.verify(UNKNOWN_ACCOUNT_HASH, password)  # as slow as a real check: no timing tell
    if len(matches) != 1:
        if len(matches) > 1:
            raise OrganisationNeeded("This email belongs to several organisations; "
                                     "name the organisation.")
        raise NotAuthenticated(WRONG_CREDENTIALS)
    person, stored = matches[0]
    if hasher.needs_rehash(stored):
        auth.set_password_hash(person.id, hasher.hash(password), now)
    auth.delete_expired_sessions(now)
    token, csrf = new_token(), new_token()
    expires = now + timedelta(hours=session_hours)
    auth.add_session(digest(token), person.id, csrf, now, expires)
    return SignedIn(token, csrf, person, expires)


def session_user(people: PeopleRepo, auth: AuthRepo, token: str, now: datetime
                 ) -> Authenticated:
    stored = auth.find_session(digest(token))
    if stored is None or stored.expires_at <= now:
        raise NotAuthenticated("Your session has ended; please sign in again.")
    person = _active_person(people, stored.person_id)
    return Authenticated(person, actor_for(people, person), stored.csrf_token)


def sign_out(auth: AuthRepo, token: str) -> None:
    auth.delete_session(digest(token))


def _active_person(people: PeopleRepo, person_id: int) -> Person:
    person = people.person_by_id(person_id)
    if person is None:
        raise NotAuthenticated("This account no longer exists.")
    if not person.active:
        raise NotAuthenticated("This account is deactivated.")
    return person


def create_token(people: PeopleRepo, auth: AuthRepo, actor: Actor | None, person: Person,
                 name: str, now: datetime, new_token: TokenMaker) -> tuple[str, StoredToken]:
    """A new API token for `person`; the plain token is returned once and never stored."""
    if actor is not None:
        require(actor, Action.MANAGE_TOKENS, Target(person.org_id, person.id))
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput([Problem("body", "must be 1 to 100 characters", field="name")])
    plain = TOKEN_PREFIX + new_token()
    stored = auth.add_token(person.id, name, digest(plain), plain[:10], now)
    return plain, stored


def token_user(people: PeopleRepo, auth: AuthRepo, token: str, now: datetime
               ) -> Authenticated:
    if not token.startswith(TOKEN_PREFIX):
        raise NotAuthenticated("The API token is not valid.")
    stored = auth.token_by_hash(digest(token))
    if stored is None or stored.revoked_at is not None:
        raise NotAuthenticated("The API token is not valid or has been revoked.")
    if stored.last_used_at is None or now - stored.last_used_at >= TOKEN_USE_PRECISION:
        auth.touch_token(stored.id, now)
    person = _active_person(people, stored.person_id)
    return Authenticated(person, actor_for(people, person))


def revoke_token(auth: AuthRepo, actor: Actor, person: Person, token_id: int,
                 now: datetime) -> None:
    require(actor, Action.MANAGE_TOKENS, Target(person.org_id, person.id))
    if not any(t.id == token_id for t in auth.tokens(person.id)):
        raise NotFound(f"No token with id {token_id}.")
    auth.revoke_token(token_id, now)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
