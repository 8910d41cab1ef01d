"""Rules of the xAPI document resources: state, activity profile, agent profile (pure).

A document is an opaque blob with a content type. Its ETag is the quoted SHA-1 of its bytes
(Comm 3.1). POST of a JSON object onto a JSON object merges one level deep; POST onto nothing
creates it (Comm 2.2); anything else a POST asks for is a 400.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem

JSON_TYPE = "application/json"


class Resource(StrEnum):
    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


@dataclass(frozen=True, slots=True)
class Document:
    content: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return etag(self.content)


def etag(content: bytes) -> str:
    return '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest() + '"'


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == JSON_TYPE


def json_object(content: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput([Problem(where, f"is not valid JSON: {exc}", field="$")]) from None
    if not isinstance(value, dict):
        raise InvalidInput([Problem(where, "a POST merges JSON objects; this is not one",
                                    field="$")])
    return value


def merged(old: Document | None, content: bytes, content_type: str | None) -> Document:
    """The document a POST leaves. With nothing stored there is nothing to merge, so the POST
    stores what it sends, as a PUT would (the suite's Comm 2.2.s4.b2 tests post `1` and `true`
    as forms); onto a stored document it is the one-level merge of two JSON objects (2.2.s7),
    and anything else is a 400 (2.2.s8.b1)."""
    if old is None:
        return check_put(content, content_type)
    if not is_json(content_type):
        raise InvalidInput([Problem("body", "a POST to a document resource must send "
                                    "application/json", field="Content-Type")])
    new = json_object(content, "body")
    if not is_json(old.content_type):
        raise InvalidInput([Problem("body", "the stored document is not JSON, so a POST "
                                    "cannot merge into it; use PUT", field="$")])
    current = json_object(old.content, "stored document")
    return Document(_dump({**current, **new}), JSON_TYPE)


def _dump(value: object) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise InvalidInput([Problem("body", "the merged document nests too deeply",
                                    field="$")]) from None


def check_put(content: bytes, content_type: str | None) -> Document:
    """A PUT stores what it is given; JSON that claims to be JSON must parse (Comm 2.2)."""
    kind = (content_type or "application/octet-stream").strip()
    if is_json(kind):
        try:
            json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise InvalidInput([Problem("body", f"is not valid JSON: {exc}",
                                        field="$")]) from None
    return Document(content, kind)


@dataclass(frozen=True, slots=True)
class Address:
    """Where a document lives: its resource and scope, and its id (None: every id there)."""

    resource: Resource
    activity_id: str | None = None
    agent: str | None = None          # the agent's IFI (domain.xapi.keys.ifi)
    registration: str | None = None
    doc_id: str | None = None

    def scope(self, org_id: int) -> int:
        return _hash(org_id, self.resource.value, self.activity_id or "", self.agent or "",
                     self.registration or "")

    def key(self, org_id: int) -> int:
        assert self.doc_id is not None
        return _hash(self.scope(org_id), self.doc_id)


def _hash(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def matches(current: str | None, if_match: str | None, if_none_match: str | None) -> bool:
    """Whether the request's conditions hold for the stored ETag (None: nothing stored)."""
    if if_match is not None:
        tags = {t.strip() for t in if_match.split(",")}
        if current is None or not ({"*", current} & tags or _weak(current) & tags):
            return False
    if if_none_match is not None:
        tags = {t.strip() for t in if_none_match.split(",")}
        if current is not None and ("*" in tags or current in tags or _weak(current) & tags):
            return False
    return True


def _weak(tag: str) -> set[str]:
    return {"W/" + tag}
