"""What the LRS sets on a statement it accepts, and when two statements are the same (pure)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from learnloop.domain.xapi.reading import parse_time
from learnloop.domain.xapi.statements import iso

Json = dict[str, Any]
DEFAULT_VERSION = "1.0.0"
# Properties the LRS assigns or may re-serialise (Data 2.3.1.b1): not compared.
ASSIGNED = ("id", "authority", "stored", "version")


def arrays(context_activities: object) -> object:
    """Context activities come back as arrays even when sent as one object (Data 2.4.6.2)."""
    if not isinstance(context_activities, dict):
        return context_activities
    return {k: v if isinstance(v, list) else [v] for k, v in context_activities.items()}


def _normalise(statement: Json) -> Json:
    out = dict(statement)
    for part in (out, out.get("object")):
        if isinstance(part, dict) and isinstance(part.get("context"), dict) \
                and "contextActivities" in part["context"]:
            part["context"] = {**part["context"],
                               "contextActivities": arrays(part["context"]["contextActivities"])}
    if isinstance(out.get("object"), dict) and out["object"].get("objectType") == "SubStatement":
        out["object"] = _normalise(out["object"])
    return out


def prepare(statement: Json, statement_id: str, stored: datetime, authority: Json) -> Json:
    """The statement as the LRS keeps it: id, stored, authority and version set."""
    out = _normalise(copy.copy(statement))
    out["id"] = statement_id
    out["stored"] = iso(stored)
    out["authority"] = authority
    out.setdefault("version", DEFAULT_VERSION)
    if "timestamp" not in out:
        out["timestamp"] = out["stored"]
    return out


def _comparable(statement: Json) -> Json:
    out = _normalise({k: v for k, v in statement.items() if k not in ASSIGNED})
    moment = parse_time(out.get("timestamp"))
    if moment is not None:
        out["timestamp"] = moment.isoformat()
    result: Json = _unordered_members(out)
    return result


def _unordered_members(value: Any) -> Any:
    """Group members are a set (Data 2.3.1.b5): sort them for comparison."""
    if isinstance(value, dict):
        out = {k: _unordered_members(v) for k, v in value.items()}
        if isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=repr)
        return out
    if isinstance(value, list):
        return [_unordered_members(v) for v in value]
    return value


def equivalent(stored: Json, received: Json) -> bool:
    """Whether `received` is the statement already stored, ignoring what the LRS assigns
    (Data 2.3.1.s9). A received statement without a timestamp matches any stored one."""
    a, b = _comparable(stored), _comparable(received)
    if "timestamp" not in b:
        a.pop("timestamp", None)
    return a == b
