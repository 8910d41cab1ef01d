"""Accounts, sessions and API tokens in SQL. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from learnloop.domain.lockout import Attempts
from learnloop.services.ports import StoredSession, StoredToken
from learnloop.store import tables as t


def _token(row: t.ApiToken) -> StoredToken:
    return StoredToken(row.id, row.person_id, row.name, row.prefix, row.created_at,
                       row.last_used_at, row.revoked_at)


class SqlAuth:
    def __init__(self, session: Session) -> None:
        self.db = session

    def password_hash(self, person_id: int) -> str | None:
        row = self.db.get(t.Account, person_id)
        return row.password_hash if row else None

    def attempts(self, person_id: int) -> Attempts:
        row = self.db.get(t.Account, person_id)
        if row is None:
            return Attempts()
        return Attempts(row.failed_attempts, row.locked_until)

    def set_attempts(self, person_id: int, attempts: Attempts) -> None:
        row = self.db.get(t.Account, person_id)
        if row is not None:
            row.failed_attempts, row.locked_until = attempts.failures, attempts.locked_until
            self.db.flush()

    def set_password_hash(self, person_id: int, password_hash: str, now: datetime) -> None:
        row = self.db.get(t.Account, person_id)
        if row is None:
            self.db.add(t.Account(person_id=person_id, password_hash=password_hash,
                                  updated_at=now, failed_attempts=0, locked_until=None))
        else:
            row.password_hash, row.updated_at = password_hash, now
        self.db.flush()

    def add_session(self, token_hash: str, person_id: int, csrf_token: str, now: datetime,
                    expires_at: datetime) -> None:
        self.db.add(t.WebSession(token_hash=token_hash, person_id=person_id,
                                      csrf_token=csrf_token, created_at=now,
                                      expires_at=expires_at))
        self.db.flush()

    def find_session(self, token_hash: str) -> StoredSession | None:
        row = self.db.get(t.WebSession, token_hash)
        return StoredSession(row.person_id, row.csrf_token, row.expires_at) if row else None

    def delete_session(self, token_hash: str) -> None:
        self.db.execute(delete(t.WebSession).where(t.WebSession.token_hash == token_hash))

    def delete_expired_sessions(self, now: datetime) -> int:
        result = self.db.execute(delete(t.WebSession).where(t.WebSession.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    def add_token(self, person_id: int, name: str, token_hash: str, prefix: str,
                  now: datetime) -> StoredToken:
        row = t.ApiToken(person_id=person_id, name=name, token_hash=token_hash, prefix=prefix,
                         created_at=now)
        self.db.add(row)
        self.db.flush()
        return _token(row)

    def token_by_hash(self, token_hash: str) -> StoredToken | None:
        row = self.db.scalar(select(t.ApiToken).where(t.ApiToken.token_hash == token_hash))
        return _token(row) if row else None

    def touch_token(self, token_id: int, now: datetime) -> None:
        self.db.execute(update(t.ApiToken).where(t.ApiToken.id == token_id)
                        .values(last_used_at=now))

    def tokens(self, person_id: int) -> list[StoredToken]:
        rows = self.db.scalars(select(t.ApiToken).where(t.ApiToken.person_id == person_id)
                                    .order_by(t.ApiToken.id))
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: int, now: datetime) -> None:
        row = self.db.get(t.ApiToken, token_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = now
            self.db.flush()
