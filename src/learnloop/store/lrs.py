"""The LRS's own tables in SQL: clients, merged activity definitions, documents, attachments.
Never commits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from learnloop.domain.people import Organisation
from learnloop.domain.xapi import keys as xkeys
from learnloop.services.ports import OutboxItem, StoredClient, StoredDocument, StoredForwarding
from learnloop.store import bulk
from learnloop.store import tables as t
from learnloop.store.people import org_of


def _client(row: t.LrsClient) -> StoredClient:
    return StoredClient(row.id, row.org_id, row.name, row.key, tuple(row.scopes),
                        row.created_at, row.last_used_at, row.revoked_at)


class SqlLrs:
    def __init__(self, session: Session) -> None:
        self.db = session

    # --- clients ----------------------------------------------------------------------------

    def add_client(self, org_id: int, name: str, key: str, secret_hash: str,
                   scopes: tuple[str, ...], created_by: int | None,
                   now: datetime) -> StoredClient:
        row = t.LrsClient(org_id=org_id, name=name, key=key, secret_hash=secret_hash,
                          scopes=list(scopes), created_at=now, created_by=created_by)
        self.db.add(row)
        self.db.flush()
        return _client(row)

    def client_by_key(self, key: str) -> tuple[StoredClient, str, Organisation] | None:
        """The client, its secret's digest and its organisation, in one query (every xAPI
        request asks)."""
        found = self.db.execute(select(t.LrsClient, t.Organisation).join(
            t.Organisation, t.Organisation.id == t.LrsClient.org_id).where(
            t.LrsClient.key == key)).first()
        if found is None:
            return None
        row, org = found
        return _client(row), row.secret_hash, org_of(org)

    def client(self, org_id: int, client_id: int) -> StoredClient | None:
        row = self.db.get(t.LrsClient, client_id)
        return _client(row) if row and row.org_id == org_id else None

    def clients(self, org_id: int) -> list[StoredClient]:
        rows = self.db.scalars(select(t.LrsClient).where(t.LrsClient.org_id == org_id)
                               .order_by(t.LrsClient.id))
        return [_client(r) for r in rows]

    def touch_client(self, client_id: int, now: datetime) -> None:
        self.db.execute(update(t.LrsClient).where(t.LrsClient.id == client_id)
                        .values(last_used_at=now))

    def revoke_client(self, client_id: int, now: datetime) -> None:
        self.db.execute(update(t.LrsClient).where(t.LrsClient.id == client_id,
                                                  t.LrsClient.revoked_at.is_(None))
                        .values(revoked_at=now))

    # --- activity definitions ---------------------------------------------------------------

    def definitions(self, org_id: int, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
        by_key = {xkeys.key(org_id, xkeys.Kind.ACTIVITY, iri): iri for iri in iris}
        if not by_key:
            return {}
        rows = self.db.execute(select(t.ActivityRow.key, t.ActivityRow.definition).where(
            bulk.among(self.db, t.ActivityRow.key, list(by_key)))).all()
        return {by_key[k]: json.loads(d) for k, d in rows}

    def save_definitions(self, org_id: int, definitions: Mapping[str, dict[str, Any]],
                         now: datetime) -> None:
        if not definitions:
            return
        bulk.upsert(self.db, t.ActivityRow, [
            {"key": xkeys.key(org_id, xkeys.Kind.ACTIVITY, iri), "org_id": org_id, "iri": iri,
             "definition": _text(d), "updated": now} for iri, d in definitions.items()],
            key="key", update=("definition", "updated"))

    # --- documents --------------------------------------------------------------------------

    def document(self, key: int) -> StoredDocument | None:
        row = self.db.get(t.DocumentRow, key)
        if row is None:
            return None
        return StoredDocument(row.doc_id, row.content, row.content_type, row.etag, row.updated)

    def save_document(self, key: int, scope: int, org_id: int, resource: str, doc_id: str,
                      content: bytes, content_type: str, etag: str, now: datetime) -> None:
        row = self.db.get(t.DocumentRow, key)
        if row is None:
            self.db.add(t.DocumentRow(key=key, scope=scope, org_id=org_id, resource=resource,
                                      doc_id=doc_id, content=content,
                                      content_type=content_type, etag=etag, updated=now))
        else:
            row.content, row.content_type, row.etag, row.updated = (content, content_type,
                                                                    etag, now)
        self.db.flush()

    def delete_documents(self, keys: Iterable[int] = (), scope: int | None = None) -> None:
        wanted = list(keys)
        if wanted:
            self.db.execute(delete(t.DocumentRow).where(t.DocumentRow.key.in_(wanted)))
        if scope is not None:
            self.db.execute(delete(t.DocumentRow).where(t.DocumentRow.scope == scope))
        self.db.expire_all()

    def document_ids(self, scope: int, since: datetime | None) -> list[str]:
        query = select(t.DocumentRow.doc_id).where(t.DocumentRow.scope == scope)
        if since is not None:
            query = query.where(t.DocumentRow.updated > since)
        return list(self.db.scalars(query.order_by(t.DocumentRow.doc_id)))

    # --- attachments ------------------------------------------------------------------------

    def attachments(self, org_id: int, hashes: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        wanted = list(set(hashes))
        if not wanted:
            return {}
        rows = self.db.execute(select(t.AttachmentRow.sha2, t.AttachmentRow.content_type,
                                      t.AttachmentRow.content).where(
            t.AttachmentRow.org_id == org_id, t.AttachmentRow.sha2.in_(wanted))).all()
        return {sha2: (kind, content) for sha2, kind, content in rows}

    def save_attachments(self, org_id: int, parts: Mapping[str, tuple[str, bytes]],
                         now: datetime) -> None:
        """Keep each attachment once: one already stored under its hash is not written again."""
        have = set(self.attachments(org_id, parts))
        fresh = [{"org_id": org_id, "sha2": sha2, "content_type": kind, "content": content,
                  "stored": now} for sha2, (kind, content) in parts.items() if sha2 not in have]
        if fresh:
            self.db.execute(insert(t.AttachmentRow), fresh)

    # --- forwarding -------------------------------------------------------------------------

    def forwarding(self, org_id: int) -> StoredForwarding | None:
        row = self.db.get(t.ForwardingRow, org_id)
        if row is None:
            return None
        return StoredForwarding(row.org_id, row.endpoint, row.username, row.secret,
                                row.enabled, row.updated)

    def set_forwarding(self, org_id: int, endpoint: str, username: str, secret: str,
                       enabled: bool, now: datetime) -> None:
        row = self.db.get(t.ForwardingRow, org_id)
        if row is None:
            self.db.add(t.ForwardingRow(org_id=org_id, endpoint=endpoint, username=username,
                                        secret=secret, enabled=enabled, updated=now))
        else:
            row.endpoint, row.username, row.secret = endpoint, username, secret
            row.enabled, row.updated = enabled, now
        self.db.flush()

    def due(self, now: datetime, limit: int) -> list[OutboxItem]:
        rows = self.db.scalars(select(t.OutboxRow).where(
            t.OutboxRow.state == "pending", t.OutboxRow.next_attempt_at <= now)
            .order_by(t.OutboxRow.next_attempt_at, t.OutboxRow.id).limit(limit))
        return [_item(r) for r in rows]

    def outbox(self, org_id: int, state: str | None, limit: int) -> list[OutboxItem]:
        query = select(t.OutboxRow).where(t.OutboxRow.org_id == org_id)
        if state is not None:
            query = query.where(t.OutboxRow.state == state)
        rows = self.db.scalars(query.order_by(t.OutboxRow.id.desc()).limit(limit))
        return [_item(r) for r in rows]

    def outbox_counts(self, org_id: int) -> dict[str, int]:
        rows = self.db.execute(select(t.OutboxRow.state, func.count())
                               .where(t.OutboxRow.org_id == org_id)
                               .group_by(t.OutboxRow.state)).all()
        return {state: int(n) for state, n in rows}

    def update_outbox(self, item_id: int, **changes: Any) -> None:
        self.db.execute(update(t.OutboxRow).where(t.OutboxRow.id == item_id).values(**changes))

    def replay(self, org_id: int, item_ids: list[int] | None, now: datetime) -> int:
        query = update(t.OutboxRow).where(t.OutboxRow.org_id == org_id,
                                          t.OutboxRow.state == "failed")
        if item_ids is not None:
            query = query.where(t.OutboxRow.id.in_(item_ids))
        result = self.db.execute(query.values(state="pending", attempts=0,
                                              next_attempt_at=now))
        return int(getattr(result, "rowcount", 0) or 0)


def _item(row: t.OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.org_id, row.statement_id, row.state, row.attempts,
                      row.next_attempt_at, row.last_error, row.created, row.delivered_at)


def _text(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
