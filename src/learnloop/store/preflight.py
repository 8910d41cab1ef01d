"""Pre-flight runs, screenshots, overrides and settings in SQL. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from learnloop.services.ports import StoredOverride, StoredRun
from learnloop.store import tables as t


def _override(row: t.PreflightOverrideRow) -> StoredOverride:
    return StoredOverride(row.rule, row.reason, row.person_id, row.at)


class SqlPreflight:
    def __init__(self, session: Session) -> None:
        self.db = session

    def settings(self, org_id: int) -> dict[str, Any] | None:
        row = self.db.get(t.PreflightSettingsRow, org_id)
        return dict(row.settings) if row is not None else None

    def save_settings(self, org_id: int, settings: dict[str, Any], by: int | None,
                      at: datetime) -> None:
        row = self.db.get(t.PreflightSettingsRow, org_id)
        if row is None:
            self.db.add(t.PreflightSettingsRow(org_id=org_id, settings=settings, updated_at=at,
                                               updated_by=by))
        else:
            row.settings, row.updated_at, row.updated_by = settings, at, by
        self.db.flush()

    def attempts(self, org_id: int, campaign_key: str) -> int:
        count = self.db.scalar(select(func.count()).select_from(t.PreflightRunRow).where(
            t.PreflightRunRow.org_id == org_id, t.PreflightRunRow.campaign_key == campaign_key))
        return int(count or 0)

    def campaign_types_shipped(self, org_id: int, author_id: int) -> set[str]:
        rows = self.db.scalars(select(t.PreflightRunRow.campaign_type).distinct().where(
            t.PreflightRunRow.org_id == org_id, t.PreflightRunRow.author_id == author_id,
            t.PreflightRunRow.campaign_type.is_not(None)))
        return {row for row in rows if row}

    def add_run(self, run: StoredRun, screenshots: list[tuple[int, int, bytes]]) -> None:
        self.db.add(t.PreflightRunRow(
            id=run.id, org_id=run.org_id, author_id=run.author_id,
            submitted_by=run.submitted_by, source=run.source, campaign_name=run.campaign_name,
            campaign_key=run.campaign_key, campaign_type=run.campaign_type,
            message_type=run.message_type, attempt=run.attempt, created_at=run.created_at,
            verdict=run.verdict, report=run.report, artifact=run.artifact, preview=run.preview))
        self.db.flush()
        for width, height, png in screenshots:
            self.db.add(t.PreflightScreenshotRow(run_id=run.id, width=width, height=height,
                                                 png=png))
        self.db.flush()

    def _stored(self, row: t.PreflightRunRow, *, full: bool) -> StoredRun:
        shots = tuple((int(w), int(h)) for w, h in self.db.execute(
            select(t.PreflightScreenshotRow.width, t.PreflightScreenshotRow.height)
            .where(t.PreflightScreenshotRow.run_id == row.id)
            .order_by(t.PreflightScreenshotRow.width))) if full else ()
        overrides = tuple(_override(o) for o in self.db.scalars(
            select(t.PreflightOverrideRow).where(t.PreflightOverrideRow.run_id == row.id)
            .order_by(t.PreflightOverrideRow.id)))
        return StoredRun(row.id, row.org_id, row.author_id, row.submitted_by, row.source,
                         row.campaign_name, row.campaign_key, row.campaign_type,
                         row.message_type, row.attempt, row.created_at, row.verdict,
                         dict(row.report), dict(row.artifact) if full else {},
                         row.preview if full else None, shots, overrides)

    def run(self, org_id: int, run_id: str) -> StoredRun | None:
        row = self.db.get(t.PreflightRunRow, run_id)
        if row is None or row.org_id != org_id:
            return None
        return self._stored(row, full=True)

    def runs(self, org_id: int, *, author_id: int | None = None,
             limit: int = 50) -> list[StoredRun]:
        query = select(t.PreflightRunRow).where(t.PreflightRunRow.org_id == org_id)
        if author_id is not None:
            query = query.where(t.PreflightRunRow.author_id == author_id)
        rows = self.db.scalars(query.order_by(t.PreflightRunRow.created_at.desc(),
                                              t.PreflightRunRow.id).limit(limit))
        return [self._stored(row, full=False) for row in rows]

    def screenshot(self, run_id: str, width: int) -> bytes | None:
        return self.db.scalar(select(t.PreflightScreenshotRow.png).where(
            t.PreflightScreenshotRow.run_id == run_id, t.PreflightScreenshotRow.width == width))

    def add_override(self, run_id: str, override: StoredOverride) -> None:
        self.db.add(t.PreflightOverrideRow(run_id=run_id, rule=override.rule,
                                           reason=override.reason,
                                           person_id=override.person_id, at=override.at))
        self.db.flush()

    def set_verdict(self, run_id: str, verdict: str) -> None:
        self.db.execute(update(t.PreflightRunRow).where(t.PreflightRunRow.id == run_id)
                        .values(verdict=verdict))
