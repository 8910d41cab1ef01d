"""What a stored statement can be found by: its filter keys (pure).

Every filter of GET /statements (agent, verb, activity, registration, their "related" forms,
and the credential that wrote it) becomes one key per value. A key is a signed 64-bit hash of
(organisation, kind, value), so the store indexes fixed-width integers however long the IRIs
are; the chance that two of ten million distinct keys collide is about three in a million.

A statement whose object is a StatementRef also carries the keys of the statement it targets
(and, through it, of that statement's targets), so "statements that target a matching
statement match too" (Comm 2.1.3.s3) needs no recursive query at read time.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

Json = dict[str, Any]


class Kind(StrEnum):
    AGENT = "agent"                    # actor or object (and members of such groups)
    RELATED_AGENT = "agent+"           # also authority, instructor, team, sub-statement
    VERB = "verb"
    ACTIVITY = "activity"              # the object, when it is an Activity
    RELATED_ACTIVITY = "activity+"     # also context activities and the sub-statement's
    REGISTRATION = "registration"
    CLIENT = "client"                  # the LRS client that wrote it (statements/read/mine)


def ifi(agent: object) -> str | None:
    """The inverse functional identifier of an Agent or identified Group, as one string."""
    if not isinstance(agent, dict):
        return None
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return "mbox:" + _mailto(mbox)
    sha1 = agent.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return "sha1:" + sha1.lower()
    openid = agent.get("openid")
    if isinstance(openid, str):
        return "openid:" + openid
    account = agent.get("account")
    if isinstance(account, dict):
        home, name = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(name, str):
            return f"account:{home}|{name}"
    return None


def _mailto(mbox: str) -> str:
    """The domain of an address is case-insensitive (Data 2.3.1.b7): compare it lowered."""
    local, at, domain = mbox.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else mbox


def agent_ifis(agent: object) -> Iterator[str]:
    """The agent's own identifier and those of a group's members (Comm 2.1.3: a group whose
    members match the agent filter matches)."""
    if not isinstance(agent, dict):
        return
    own = ifi(agent)
    if own is not None:
        yield own
    members = agent.get("member")
    if isinstance(members, list):
        for member in members:
            found = ifi(member)
            if found is not None:
                yield found


def micros(moment: datetime) -> int:
    """A stored time as whole microseconds since 1970 (UTC): how the key index orders it."""
    delta = moment.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=65_536)  # verbs, activities and authorities repeat a lot
def key(org_id: int, kind: Kind, value: str) -> int:
    digest = hashlib.blake2b(f"{org_id}\x1f{kind.value}\x1f{value}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _activity_ids(value: object) -> Iterator[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            yield item["id"]


def _parts(statement: Json) -> Iterator[tuple[Kind, str]]:
    actor = statement.get("actor")
    obj = statement.get("object") if isinstance(statement.get("object"), dict) else {}
    assert isinstance(obj, dict)
    kind = obj.get("objectType", "Activity")
    for found in agent_ifis(actor):
        yield Kind.AGENT, found
        yield Kind.RELATED_AGENT, found
    if kind in ("Agent", "Group"):
        for found in agent_ifis(obj):
            yield Kind.AGENT, found
            yield Kind.RELATED_AGENT, found
    verb = statement.get("verb")
    if isinstance(verb, dict) and isinstance(verb.get("id"), str):
        yield Kind.VERB, verb["id"]
    if kind == "Activity" and isinstance(obj.get("id"), str):
        yield Kind.ACTIVITY, obj["id"]
        yield Kind.RELATED_ACTIVITY, obj["id"]
    for found in agent_ifis(statement.get("authority")):
        yield Kind.RELATED_AGENT, found
    yield from _context_parts(statement.get("context"))
    if kind == "SubStatement":
        yield from _sub_parts(obj)


def _context_parts(context: object) -> Iterator[tuple[Kind, str]]:
    if not isinstance(context, dict):
        return
    if isinstance(context.get("registration"), str):
        yield Kind.REGISTRATION, context["registration"].lower()
    for role in ("instructor", "team"):
        for found in agent_ifis(context.get(role)):
            yield Kind.RELATED_AGENT, found
    activities = context.get("contextActivities")
    if isinstance(activities, dict):
        for value in activities.values():
            for iri in _activity_ids(value):
                yield Kind.RELATED_ACTIVITY, iri


def _sub_parts(sub: Json) -> Iterator[tuple[Kind, str]]:
    """A sub-statement's actor, object and context count for the "related" filters only."""
    for found in agent_ifis(sub.get("actor")):
        yield Kind.RELATED_AGENT, found
    obj = sub.get("object")
    if isinstance(obj, dict):
        if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str):
            yield Kind.RELATED_ACTIVITY, obj["id"]
        elif obj.get("objectType") in ("Agent", "Group"):
            for found in agent_ifis(obj):
                yield Kind.RELATED_AGENT, found
    for kind, value in _context_parts(sub.get("context")):
        if kind is not Kind.REGISTRATION:
            yield kind, value


def statement_keys(org_id: int, statement: Json, client_id: int | None) -> set[int]:
    """The keys of one statement's own content (targets' keys are added by the store)."""
    found = {key(org_id, kind, value) for kind, value in _parts(statement)}
    if client_id is not None:
        found.add(key(org_id, Kind.CLIENT, str(client_id)))
    return found


def client_key(org_id: int, client_id: int) -> int:
    return key(org_id, Kind.CLIENT, str(client_id))


def inherited(org_id: int, target_keys: Iterable[int], target_client: int | None) -> set[int]:
    """The keys a targeting statement takes from its target: all but the target's client."""
    keys = set(target_keys)
    if target_client is not None:
        keys.discard(client_key(org_id, target_client))
    return keys


def target_of(statement: Json) -> str | None:
    """The id of the statement this one targets with a StatementRef object, if any."""
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "StatementRef":
        value = obj.get("id")
        return value.lower() if isinstance(value, str) else None
    return None
