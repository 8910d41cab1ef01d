"""What the pre-flight API and pages share: reading an upload, the coaching pack, a run's
report as plain data for templates and JSON."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from learnloop.artifacts.reader import MAX_FILE_BYTES, MAX_SIDECAR_BYTES, read_upload
from learnloop.domain.errors import InvalidInput, TooLarge
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.reading import artifact_from_data
from learnloop.domain.problems import Problem
from learnloop.services.ports import StoredRun

MAX_REQUEST = MAX_FILE_BYTES + MAX_SIDECAR_BYTES + 64 * 1024


def _too_large(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_REQUEST:
        raise TooLarge(f"The request is {int(declared):,} bytes; a pre-flight takes at most "
                       f"{MAX_REQUEST:,} (a {MAX_FILE_BYTES // 2**20} MB file and its sidecar).")


async def _file(form_value: object, field: str, limit: int) -> tuple[str, bytes] | None:
    if form_value is None or form_value == "":
        return None
    if not isinstance(form_value, UploadFile):
        raise InvalidInput([Problem("body", "must be a file", field=field)])
    raw = await form_value.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"{field} is larger than {limit // 1024:,} KB")
    return (form_value.filename or field), raw


async def artifact_from_request(request: Request) -> Artifact:
    """A JSON body (the artifact as data), or a multipart upload with `file` and an optional
    `sidecar`."""
    _too_large(request)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "application/json":
        raw = await request.body()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput([Problem("body", f"not valid JSON: {exc}")]) from None
        except RecursionError:
            raise InvalidInput([Problem("body", "nested too deeply")]) from None
        return artifact_from_data(data, "body")
    if kind == "multipart/form-data":
        async with request.form(max_files=2, max_fields=10) as form:
            upload = await _file(form.get("file"), "file", MAX_FILE_BYTES)
            sidecar = await _file(form.get("sidecar"), "sidecar", MAX_SIDECAR_BYTES)
        if upload is None:
            raise InvalidInput([Problem("body", "choose an .html, .eml or .json file",
                                        field="file")])
        return read_upload(upload[0], upload[1], sidecar)
    raise InvalidInput([Problem("request", "send JSON (application/json) or an upload "
                                "(multipart/form-data)", field="Content-Type")])


def run_data(run: StoredRun, first_time: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": run.id, "created_at": run.created_at.isoformat(), "author_id": run.author_id,
        "submitted_by": run.submitted_by, "source": run.source,
        "campaign": {"name": run.campaign_name, "campaign_type": run.campaign_type,
                     "message_type": run.message_type},
        "attempt": run.attempt, "verdict": run.verdict,
        "first_time_lessons": list(first_time),
        "screenshots": [{"width": w, "height": h,
                         "url": f"/api/v1/preflight/runs/{run.id}/screenshots/{w}.png"}
                        for w, h in run.screenshots],
        "overrides": [{"rule": o.rule, "reason": o.reason, "person_id": o.person_id,
                       "at": o.at.isoformat()} for o in run.overrides],
        "report": run.report,
    }
