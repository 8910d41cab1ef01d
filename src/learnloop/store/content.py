"""Published content pack versions in SQL. A version row is written once and never updated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from learnloop.domain.content.model import Pack
from learnloop.services.ports import StoredVersion
from learnloop.store import tables as t


def _version(row: t.PackVersion, slug: str) -> StoredVersion:
    return StoredVersion(row.id, slug, row.number, row.digest, row.title, dict(row.summary),
                         row.published_at, row.published_by)


class SqlContent:
    def __init__(self, session: Session) -> None:
        self.db = session

    def _pack(self, org_id: int, slug: str) -> t.ContentPack | None:
        return self.db.scalar(select(t.ContentPack).where(
            t.ContentPack.org_id == org_id, t.ContentPack.slug == slug))

    def latest_version(self, org_id: int, pack_slug: str) -> StoredVersion | None:
        pack = self._pack(org_id, pack_slug)
        if pack is None:
            return None
        row = self.db.scalar(select(t.PackVersion).options(defer(t.PackVersion.files))
                             .where(t.PackVersion.pack_id == pack.id)
                                  .order_by(t.PackVersion.number.desc()).limit(1))
        return _version(row, pack.slug) if row else None

    def versions(self, org_id: int) -> list[StoredVersion]:
        rows = self.db.execute(
            select(t.PackVersion, t.ContentPack.slug)
            .options(defer(t.PackVersion.files))
            .join(t.ContentPack, t.ContentPack.id == t.PackVersion.pack_id)
            .where(t.ContentPack.org_id == org_id)
            .order_by(t.ContentPack.slug, t.PackVersion.number.desc()))
        return [_version(row, slug) for row, slug in rows]

    def version_by_id(self, org_id: int, version_id: int) -> StoredVersion | None:
        found = self.db.execute(
            select(t.PackVersion, t.ContentPack.slug)
            .options(defer(t.PackVersion.files))
            .join(t.ContentPack, t.ContentPack.id == t.PackVersion.pack_id)
            .where(t.ContentPack.org_id == org_id, t.PackVersion.id == version_id)).first()
        return _version(found[0], found[1]) if found else None

    def version(self, org_id: int, pack_slug: str, number: int) -> StoredVersion | None:
        pack = self._pack(org_id, pack_slug)
        if pack is None:
            return None
        row = self.db.scalar(select(t.PackVersion).options(defer(t.PackVersion.files)).where(
            t.PackVersion.pack_id == pack.id, t.PackVersion.number == number))
        return _version(row, pack.slug) if row else None

    def version_files(self, version_id: int) -> dict[str, str]:
        row = self.db.get(t.PackVersion, version_id)
        assert row is not None
        return {str(k): str(v) for k, v in row.files.items()}

    def publish(self, org_id: int, pack: Pack, files: dict[str, str], digest: str,
                summary: dict[str, Any], published_by: int | None, now: datetime) -> StoredVersion:
        row = self._pack(org_id, pack.id)
        if row is None:
            row = t.ContentPack(org_id=org_id, slug=pack.id, title=pack.title, created_at=now)
            self.db.add(row)
            self.db.flush()
        else:
            row.title = pack.title
        number = (self.db.scalar(select(func.max(t.PackVersion.number))
                                      .where(t.PackVersion.pack_id == row.id)) or 0) + 1
        version = t.PackVersion(pack_id=row.id, number=number, digest=digest, title=pack.title,
                                files=files, summary=summary, published_at=now,
                                published_by=published_by)
        self.db.add(version)
        self.db.flush()
        return _version(version, row.slug)
