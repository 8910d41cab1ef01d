"""The three shapes GET /statements returns a statement in: exact, ids and canonical (pure).

- exact: as stored (the LRS's own fields set, context activities as arrays);
- ids: agents, groups, activities and verbs cut down to what identifies them (Comm 2.1.3);
- canonical: activities carry the LRS's merged definition and every language map keeps the
  one entry the request's Accept-Language prefers (Comm 2.1.3.s4).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

Json = dict[str, Any]
LANGUAGE_MAPS = ("name", "description")
COMPONENTS = ("choices", "scale", "source", "target", "steps")


class Format(StrEnum):
    EXACT = "exact"
    IDS = "ids"
    CANONICAL = "canonical"


IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


def _agent_ids(agent: object) -> object:
    if not isinstance(agent, dict):
        return agent
    out: Json = {k: agent[k] for k in IFI_KEYS if k in agent}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    if not any(k in agent for k in IFI_KEYS) and isinstance(agent.get("member"), list):
        out["member"] = [_agent_ids(m) for m in agent["member"]]  # anonymous: who is in it
    return out


def _activity_ids(activity: object) -> object:
    """An activity's one identifier is its id; `objectType` goes too (Activity is the default)."""
    if not isinstance(activity, dict):
        return activity
    return {"id": activity.get("id")}


def _walk(statement: Json, agent: Callable[[object], object],
          activity: Callable[[object], object], verb: Callable[[object], object]) -> Json:
    out = dict(statement)
    if "actor" in out:
        out["actor"] = agent(out["actor"])
    if "authority" in out:
        out["authority"] = agent(out["authority"])
    if "verb" in out:
        out["verb"] = verb(out["verb"])
    obj = out.get("object")
    if isinstance(obj, dict):
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            out["object"] = activity(obj)
        elif kind in ("Agent", "Group"):
            out["object"] = agent(obj)
        elif kind == "SubStatement":
            out["object"] = _walk(obj, agent, activity, verb)
    context = out.get("context")
    if isinstance(context, dict):
        context = dict(context)
        for role in ("instructor", "team"):
            if role in context:
                context[role] = agent(context[role])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            context["contextActivities"] = {
                k: [activity(a) for a in v] if isinstance(v, list) else activity(v)
                for k, v in activities.items()}
        out["context"] = context
    return out


def ids(statement: Json) -> Json:
    return _walk(statement, _agent_ids, _activity_ids,
                 lambda v: {"id": v.get("id")} if isinstance(v, dict) else v)


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges by preference (RFC 2616 14.4); '*' matches anything."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def pick(language_map: Mapping[str, object], preferred: list[str]) -> Json:
    """The single entry of a language map the preferences choose (the first entry if none)."""
    if not language_map:
        return {}
    lowered = {k.lower(): k for k in language_map}
    for wanted in preferred:
        if wanted == "*":
            break
        if wanted in lowered:
            chosen = lowered[wanted]
            return {chosen: language_map[chosen]}
        for low, original in lowered.items():
            if low.startswith(wanted + "-") or wanted.startswith(low + "-"):
                return {original: language_map[original]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def canonical(statement: Json, definitions: Mapping[str, Json], preferred: list[str]) -> Json:
    """`definitions` maps activity ids to the LRS's merged definitions."""

    def activity(value: object) -> object:
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            return value
        out = dict(value)
        definition = definitions.get(value["id"], value.get("definition"))
        if isinstance(definition, dict):
            out["definition"] = _one_language(definition, preferred)
        return out

    def verb(value: object) -> object:
        if isinstance(value, dict) and isinstance(value.get("display"), dict):
            return {**value, "display": pick(value["display"], preferred)}
        return value

    return _walk(statement, lambda a: a, activity, verb)


def _one_language(definition: Json, preferred: list[str]) -> Json:
    out = copy.deepcopy(definition)
    for key in LANGUAGE_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = pick(out[key], preferred)
    for key in COMPONENTS:
        if isinstance(out.get(key), list):
            for component in out[key]:
                if isinstance(component, dict) and isinstance(component.get("description"),
                                                              dict):
                    component["description"] = pick(component["description"], preferred)
    return out


def merge_definition(old: Json | None, new: Json) -> Json:
    """The LRS's definition of an activity after a statement brings `new`: language maps gain
    the new entries, other fields take the new value (Comm 2.5: the LRS may merge)."""
    if old is None:
        return copy.deepcopy(new)
    if _covers(old, new):
        return old  # nothing new: most statements repeat the definition they were built with
    out = copy.deepcopy(old)
    for field, value in new.items():
        mergeable = field in (*LANGUAGE_MAPS, "extensions")
        if mergeable and isinstance(value, dict) and isinstance(out.get(field), dict):
            out[field] = {**out[field], **value}
        else:
            out[field] = copy.deepcopy(value)
    return out


def _covers(old: Json, new: Json) -> bool:
    for field, value in new.items():
        if field in (*LANGUAGE_MAPS, "extensions") and isinstance(value, dict) \
                and isinstance(old.get(field), dict):
            current = old[field]
            if any(current.get(k, _MISSING) != v for k, v in value.items()):
                return False
        elif old.get(field, _MISSING) != value:
            return False
    return True


_MISSING = object()


def activity_definitions(statement: Json) -> list[tuple[str, Json]]:
    """(activity id, definition) for every activity in a statement that carries one."""
    found: list[tuple[str, Json]] = []

    def collect(value: object) -> object:
        if isinstance(value, dict) and isinstance(value.get("id"), str) and isinstance(
                value.get("definition"), dict):
            found.append((value["id"], value["definition"]))
        return value

    _walk(statement, lambda a: a, collect, lambda v: v)
    return found
