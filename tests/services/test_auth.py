"""Sign-in, sessions and API tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from learnloop.domain.people import Organisation, Person, Role
from learnloop.security.passwords import Argon2Passwords
from learnloop.services import auth, people
from learnloop.store.unit import transaction
from tests.conftest import NOW

PASSWORD = "correct horse battery"
HOURS = 12


@pytest.fixture
def tokens() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"token-{next(counter):04d}-0123456789abcdef"


@pytest.fixture
def ann(sessions: sessionmaker[Session], org: Organisation,
        passwords: Argon2Passwords) -> Person:
    with transaction(sessions) as repos:
        people.import_csv(repos.people, org, None,
                          "email,name,roles\nann@acme.example,Ann Lee,\n"
                          "ada@acme.example,Ada Admin,admin\n", NOW)
        person = repos.people.person_by_email(org.id, "ann@acme.example")
        assert person is not None
        auth.set_password(repos.auth, passwords, person, PASSWORD, NOW)
        return person


def sign_in(sessions: sessionmaker[Session], passwords: Argon2Passwords,
            tokens: Callable[[], str], email: str, password: str,
            hours: float = 0) -> auth.SignedIn:
    """Sign in as the web page does: a refusal still commits (it counts wrong passwords)."""
    refused: NotAuthenticated | None = None
    with transaction(sessions) as repos:
        try:
            return auth.sign_in(repos.people, repos.auth, passwords, email, password,
                                NOW + timedelta(hours=hours), tokens, HOURS)
        except NotAuthenticated as exc:
            refused = exc
    assert refused is not None
    raise refused


def test_sign_in_opens_a_session(sessions: sessionmaker[Session], passwords: Argon2Passwords,
                                 tokens: Callable[[], str], ann: Person) -> None:
    signed = sign_in(sessions, passwords, tokens, "  Ann@Acme.Example ", PASSWORD)
    assert signed.person.id == ann.id
    assert signed.expires_at == NOW + timedelta(hours=HOURS)
    with transaction(sessions) as repos:
        user = auth.session_user(repos.people, repos.auth, signed.token, NOW)
    assert user.person.id == ann.id
    assert user.actor.roles == {Role.LEARNER}
    assert user.csrf_token == signed.csrf_token


def test_wrong_password_and_unknown_email_fail_alike(sessions: sessionmaker[Session],
                                                     passwords: Argon2Passwords,
                                                     tokens: Callable[[], str],
                                                     ann: Person) -> None:
    with pytest.raises(NotAuthenticated) as wrong:
        sign_in(sessions, passwords, tokens, "ann@acme.example", "not the password")
    with pytest.raises(NotAuthenticated) as unknown:
        sign_in(sessions, passwords, tokens, "nobody@acme.example", PASSWORD)
    with pytest.raises(NotAuthenticated) as no_password:
        sign_in(sessions, passwords, tokens, "ada@acme.example", PASSWORD)
    assert wrong.value.message == unknown.value.message == no_password.value.message
    assert wrong.value.message == auth.WRONG_CREDENTIALS


def test_a_deactivated_person_cannot_sign_in(sessions: sessionmaker[Session],
                                             passwords: Argon2Passwords,
                                             tokens: Callable[[], str], ann: Person) -> None:
    signed = sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    with transaction(sessions) as repos:
        repos.people.set_active(ann.id, False, NOW)
    with pytest.raises(NotAuthenticated, match="The email or password is not right"):
        sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    with pytest.raises(NotAuthenticated, match="deactivated"), \
            transaction(sessions) as repos:
        auth.session_user(repos.people, repos.auth, signed.token, NOW)


def test_an_expired_session_is_rejected(sessions: sessionmaker[Session],
                                        passwords: Argon2Passwords,
                                        tokens: Callable[[], str], ann: Person) -> None:
    signed = sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    with transaction(sessions) as repos:
        auth.session_user(repos.people, repos.auth, signed.token,
                          signed.expires_at - timedelta(seconds=1))
    with pytest.raises(NotAuthenticated, match="session has ended"), \
            transaction(sessions) as repos:
        auth.session_user(repos.people, repos.auth, signed.token, signed.expires_at)


def test_signing_out_ends_the_session(sessions: sessionmaker[Session],
                                      passwords: Argon2Passwords, tokens: Callable[[], str],
                                      ann: Person) -> None:
    signed = sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    with transaction(sessions) as repos:
        auth.sign_out(repos.auth, signed.token)
    with pytest.raises(NotAuthenticated), transaction(sessions) as repos:
        auth.session_user(repos.people, repos.auth, signed.token, NOW)


def test_an_unknown_session_token_is_rejected(sessions: sessionmaker[Session],
                                              ann: Person) -> None:
    with pytest.raises(NotAuthenticated), transaction(sessions) as repos:
        auth.session_user(repos.people, repos.auth, "made-up", NOW)


def test_five_wrong_passwords_pause_sign_in(sessions: sessionmaker[Session],
                                            passwords: Argon2Passwords,
                                            tokens: Callable[[], str], ann: Person) -> None:
    for _ in range(5):
        with pytest.raises(NotAuthenticated, match="not right"):
            sign_in(sessions, passwords, tokens, "ann@acme.example", "wrong password")
    with pytest.raises(NotAuthenticated) as paused:
        sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD, hours=0.2)
    assert paused.value.message == auth.WRONG_CREDENTIALS  # a pause reads like a wrong password
    signed = sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD, hours=0.25)
    assert signed.person.id == ann.id


def test_session_and_token_are_stored_only_as_hashes(engine: Engine,
                                                     sessions: sessionmaker[Session],
                                                     passwords: Argon2Passwords,
                                                     tokens: Callable[[], str],
                                                     ann: Person) -> None:
    signed = sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    with transaction(sessions) as repos:
        plain, stored = auth.create_token(repos.people, repos.auth, None, ann, "laptop", NOW,
                                          tokens)
    assert plain.startswith("ll_")
    assert stored.prefix == plain[:10]
    with engine.connect() as conn:
        rows = [
            " ".join(str(v) for v in row)
            for table in ("web_sessions", "api_tokens", "accounts")
            for row in conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
        ]
    dump = "\n".join(rows)
    assert auth.digest(plain) in dump
    assert auth.digest(signed.token) in dump
    assert plain not in dump
    assert signed.token not in dump
    assert PASSWORD not in dump


def test_a_tokens_last_use_is_recorded_to_the_minute(sessions: sessionmaker[Session],
                                                      tokens: Callable[[], str],
                                                      ann: Person) -> None:
    with transaction(sessions) as repos:
        plain, _ = auth.create_token(repos.people, repos.auth, None, ann, "script", NOW, tokens)
    for seconds, recorded in ((0, NOW), (30, NOW), (59, NOW), (60, NOW + timedelta(seconds=60)),
                              (90, NOW + timedelta(seconds=60)),
                              (125, NOW + timedelta(seconds=125))):
        with transaction(sessions) as repos:
            auth.token_user(repos.people, repos.auth, plain, NOW + timedelta(seconds=seconds))
        with transaction(sessions) as repos:
            assert repos.auth.tokens(ann.id)[0].last_used_at == recorded, seconds


def test_api_token_works_then_fails_after_revoke(sessions: sessionmaker[Session],
                                                 tokens: Callable[[], str],
                                                 ann: Person) -> None:
    with transaction(sessions) as repos:
        plain, stored = auth.create_token(repos.people, repos.auth, None, ann, "script", NOW,
                                          tokens)
    later = NOW + timedelta(hours=1)
    with transaction(sessions) as repos:
        user = auth.token_user(repos.people, repos.auth, plain, later)
        assert user.person.id == ann.id
        assert repos.auth.tokens(ann.id)[0].last_used_at == later
        actor = people.actor_for(repos.people, ann)
        auth.revoke_token(repos.auth, actor, ann, stored.id, later)
    with pytest.raises(NotAuthenticated, match="revoked"), transaction(sessions) as repos:
        auth.token_user(repos.people, repos.auth, plain, later)


@pytest.mark.parametrize("token", ["", "ll_", "ll_guess", "not-a-token"])
def test_made_up_tokens_are_rejected(sessions: sessionmaker[Session], ann: Person,
                                     token: str) -> None:
    with pytest.raises(NotAuthenticated), transaction(sessions) as repos:
        auth.token_user(repos.people, repos.auth, token, NOW)


def test_nobody_revokes_another_persons_token(sessions: sessionmaker[Session],
                                              tokens: Callable[[], str], org: Organisation,
                                              ann: Person) -> None:
    with transaction(sessions) as repos:
        plain, stored = auth.create_token(repos.people, repos.auth, None, ann, "script", NOW,
                                          tokens)
        ada = repos.people.person_by_email(org.id, "ada@acme.example")
        assert ada is not None
        as_ann = people.actor_for(repos.people, ann)
    with pytest.raises(NotFound), transaction(sessions) as repos:
        auth.revoke_token(repos.auth, as_ann, ann, stored.id + 1000, NOW)
    with pytest.raises(Forbidden), transaction(sessions) as repos:
        auth.create_token(repos.people, repos.auth, as_ann, ada, "sneaky", NOW, tokens)
    with transaction(sessions) as repos:
        assert auth.token_user(repos.people, repos.auth, plain, NOW).person.id == ann.id
        assert repos.auth.tokens(ada.id) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_names_are_one_to_a_hundred_characters(sessions: sessionmaker[Session],
                                                      tokens: Callable[[], str], ann: Person,
                                                      name: str) -> None:
    with pytest.raises(InvalidInput), transaction(sessions) as repos:
        auth.create_token(repos.people, repos.auth, None, ann, name, NOW, tokens)


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_short_passwords_are_rejected(sessions: sessionmaker[Session],
                                      passwords: Argon2Passwords, ann: Person,
                                      password: str) -> None:
    with pytest.raises(InvalidInput) as info, transaction(sessions) as repos:
        auth.set_password(repos.auth, passwords, ann, password, NOW)
    assert [(p.field, p.message) for p in info.value.problems] == [
        ("password", "must be at least 10 characters")]
    with transaction(sessions) as repos:
        assert passwords.verify(repos.auth.password_hash(ann.id) or "", PASSWORD)


def test_a_new_password_replaces_the_old(sessions: sessionmaker[Session],
                                         passwords: Argon2Passwords, tokens: Callable[[], str],
                                         ann: Person) -> None:
    with transaction(sessions) as repos:
        auth.set_password(repos.auth, passwords, ann, "an entirely new one", NOW)
    with pytest.raises(NotAuthenticated):
        sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    assert sign_in(sessions, passwords, tokens, "ann@acme.example",
                   "an entirely new one").person.id == ann.id


def test_one_email_in_two_organisations_needs_the_organisation(
        sessions: sessionmaker[Session], passwords: Argon2Passwords,
        tokens: Callable[[], str], other_org: Organisation, ann: Person) -> None:
    with transaction(sessions) as repos:
        people.import_csv(repos.people, other_org, None, "email,name\nann@acme.example,Ann\n",
                          NOW)
        twin = repos.people.person_by_email(other_org.id, "ann@acme.example")
        assert twin is not None
        auth.set_password(repos.auth, passwords, twin, PASSWORD, NOW)
    with pytest.raises(NotAuthenticated, match="several organisations"):
        sign_in(sessions, passwords, tokens, "ann@acme.example", PASSWORD)
    with transaction(sessions) as repos:
        signed = auth.sign_in(repos.people, repos.auth, passwords, "ann@acme.example",
                              PASSWORD, NOW, tokens, HOURS, org_slug="globex")
    assert signed.person.id == twin.id
