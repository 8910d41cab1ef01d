"""Check that a statement is valid xAPI 1.0.3: strict on structure, lax on meaning (pure).

The checker follows the Data part of the specification (sections 2.2 to 2.6 and 4): it rejects
nulls outside extensions, wrong JSON types, keys in the wrong case or not in the spec, values
that break a required format (IRI, mailto IRI, UUID, RFC 5646 tag, ISO 8601 timestamp and
duration), and the structural rules of agents, groups, activities, sub-statements, results,
contexts and attachments. It never rejects a statement for the value of an extension or for a
meaning it cannot judge. Every problem names the JSON path of the value and the rule it breaks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from learnloop.domain.problems import Problem

Json = dict[str, Any]
MAX_PROBLEMS = 50
MAX_DEPTH = 100  # how deeply an extension's value may nest objects and arrays

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# An IRI needs a scheme and something after it (best effort, spec 2.2.s4.b6).
IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
IRL_RE = IRI_RE
MAILTO_RE = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")
SHA2_RE = re.compile(r"^[0-9a-fA-F]{56}$|^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{96}$|^[0-9a-fA-F]{128}$")
# ISO 8601 combined date and time; a zone is optional, "-00:00" is not a zone (RFC 3339 4.3).
TIMESTAMP_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$")
# ISO 8601:2004 4.4.3.2 durations: PnYnMnDTnHnMnS or PnW; only the last unit may be decimal.
_N = r"\d+(?:[.,]\d+)?"
DURATION_RE = re.compile(
    rf"^P(?:(?:{_N}Y)?(?:{_N}M)?(?:{_N}D)?(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?|{_N}W)$")
# RFC 5646 language tags: the token-length sequence (spec 2.2.s4.b2), case-insensitive.
LANGUAGE_RE = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+"
    r"|[Ii]-(?:default|mingo|enochian|navajo|klingon|lux|hak|tao|tay|pwn|bnn|ami|tsu)"
    r"|[Ii]-(?:[A-Za-z]{2,8}))$")
VERSION_RE = re.compile(r"^1\.0(?:\.\d+)?$")

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

INTERACTION_TYPES = frozenset({
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
    "sequencing", "likert", "numeric", "other"})
# Which component lists each interaction type may carry (Data 2.4.4.1, interaction components).
COMPONENTS: dict[str, frozenset[str]] = {
    "choice": frozenset({"choices"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
}
COMPONENT_KEYS = ("choices", "scale", "source", "target", "steps")

STATEMENT_KEYS = frozenset({"id", "actor", "verb", "object", "result", "context", "timestamp",
                            "stored", "authority", "version", "attachments"})
SUBSTATEMENT_KEYS = frozenset({"objectType", "actor", "verb", "object", "result", "context",
                               "timestamp", "attachments"})
AGENT_KEYS = frozenset({"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
GROUP_KEYS = AGENT_KEYS | {"member"}
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
DEFINITION_KEYS = frozenset({"name", "description", "type", "moreInfo", "extensions",
                             "interactionType", "correctResponsesPattern", *COMPONENT_KEYS})
RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration",
                         "extensions"})
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
CONTEXT_KEYS = frozenset({"registration", "instructor", "team", "contextActivities",
                          "revision", "platform", "language", "statement", "extensions"})
CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
ATTACHMENT_KEYS = frozenset({"usageType", "display", "description", "contentType", "length",
                             "sha2", "fileUrl"})


class TooMany(Exception):
    """Raised inside the checker once enough problems are found to answer."""


class Checker:
    """Collects the problems of one request's statements; `where` names the statement."""

    def __init__(self, where: str = "statement") -> None:
        self.where = where
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.where, message, field=path))
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooMany

    # --- shapes -----------------------------------------------------------------------------

    def obj(self, value: object, path: str, allowed: frozenset[str]) -> dict[str, Any] | None:
        """`value` as a JSON object whose keys are all `allowed` and none null."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a JSON object, not {_kind(value)}")
            return None
        for key, item in value.items():
            if key not in allowed:
                hint = _case_hint(key, allowed)
                self.fail(f"{path}.{key}", f"is not a property here{hint}")
            elif item is None:
                self.fail(f"{path}.{key}", "must not be null")
        return value

    def string(self, value: object, path: str, pattern: re.Pattern[str] | None = None,
               rule: str = "") -> bool:
        if not isinstance(value, str):
            self.fail(path, f"must be a string, not {_kind(value)}")
            return False
        if pattern is not None and not pattern.match(value):
            self.fail(path, f"must be {rule}" if rule else "has the wrong format")
            return False
        return True

    def iri(self, value: object, path: str) -> bool:
        return self.string(value, path, IRI_RE, "an IRI with a scheme")

    def uuid(self, value: object, path: str) -> bool:
        return self.string(value, path, UUID_RE, "a UUID (8-4-4-4-12 hex digits)")

    def boolean(self, value: object, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {_kind(value)}")

    def number(self, value: object, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"must be a number, not {_kind(value)}")
            return None
        try:
            number = float(value)
        except OverflowError:
            self.fail(path, "is too large")
            return None
        if not math.isfinite(number):
            self.fail(path, "must be a finite number")
            return None
        return number

    def language_map(self, value: object, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, f"must be a language map (a JSON object), not {_kind(value)}")
            return
        if not value:  # Data 4.2: a map of one or more language tag and string pairs
            self.fail(path, "a language map needs at least one entry")
        for tag, text in value.items():
            if not LANGUAGE_RE.match(tag):
                self.fail(f"{path}.{tag}", "is not an RFC 5646 language tag")
            if not isinstance(text, str):
                self.fail(f"{path}.{tag}", f"must be a string, not {_kind(text)}")

    def extensions(self, value: object, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, f"must be a JSON object, not {_kind(value)}")
            return
        for key, item in value.items():  # any value, null and "" too (Data 4.1.s3.b2)
            if not IRI_RE.match(key):
                self.fail(f"{path}.{key}", "extension keys must be IRIs")
            if _deeper_than(item, MAX_DEPTH):
                self.fail(f"{path}.{key}", f"nests more than {MAX_DEPTH} levels deep")

    def timestamp(self, value: object, path: str) -> None:
        if self.string(value, path, TIMESTAMP_RE, "an ISO 8601 timestamp"):
            assert isinstance(value, str)
            if not _real_moment(value):
                self.fail(path, "is not a real date and time")

    # --- actors -----------------------------------------------------------------------------

    def actor(self, value: object, path: str, *, as_object: bool = False) -> None:
        if not isinstance(value, dict):
            self.fail(path, f"must be an Agent or Group object, not {_kind(value)}")
            return
        kind = value.get("objectType", None if as_object else "Agent")
        if kind == "Group":
            self.group(value, path)
        elif kind == "Agent":
            self.agent(value, path)
        elif kind is None:
            self.fail(f"{path}.objectType", "is required when the object is an Agent or Group")
        else:
            self.fail(f"{path}.objectType", "must be 'Agent' or 'Group'")

    def agent(self, value: object, path: str) -> None:
        found = self.obj(value, path, AGENT_KEYS)
        if found is None:
            return
        if "objectType" in found and found["objectType"] != "Agent":
            self.fail(f"{path}.objectType", "must be 'Agent'")
        if "name" in found:
            self.string(found["name"], f"{path}.name")
        ifis = self.ifis(found, path)
        if ifis != 1:
            self.fail(path, "an Agent needs exactly one of mbox, mbox_sha1sum, openid or "
                      f"account (found {ifis})")

    def group(self, value: Json, path: str) -> None:
        found = self.obj(value, path, GROUP_KEYS)
        if found is None:
            return
        if "name" in found:
            self.string(found["name"], f"{path}.name")
        ifis = self.ifis(found, path)
        if ifis > 1:
            self.fail(path, f"an identified Group has exactly one identifier (found {ifis})")
        members = found.get("member")
        if members is None:
            if ifis == 0:
                self.fail(f"{path}.member", "an anonymous Group must list its members")
            return
        if not isinstance(members, list):
            self.fail(f"{path}.member", f"must be an array of Agents, not {_kind(members)}")
            return
        if ifis == 0 and not members:
            self.fail(f"{path}.member", "an anonymous Group must list at least one member")
        for i, member in enumerate(members):
            where = f"{path}.member[{i}]"
            if isinstance(member, dict) and member.get("objectType") == "Group":
                self.fail(f"{where}.objectType", "a Group's members are Agents, not Groups")
            else:
                self.agent(member, where)

    def ifis(self, found: Json, path: str) -> int:
        count = 0
        if "mbox" in found:
            count += 1
            self.string(found["mbox"], f"{path}.mbox", MAILTO_RE, "a 'mailto:' IRI")
        if "mbox_sha1sum" in found:
            count += 1
            self.string(found["mbox_sha1sum"], f"{path}.mbox_sha1sum", SHA1_RE,
                        "the SHA-1 hex digest of a mailto IRI")
        if "openid" in found:
            count += 1
            self.string(found["openid"], f"{path}.openid", IRI_RE, "a URI")
        if "account" in found:
            count += 1
            account = self.obj(found["account"], f"{path}.account",
                               frozenset({"homePage", "name"}))
            if account is not None:
                for key in ("homePage", "name"):
                    if key not in account:
                        self.fail(f"{path}.account.{key}", "is required")
                if "homePage" in account:
                    self.string(account["homePage"], f"{path}.account.homePage", IRL_RE,
                                "an IRL")
                if "name" in account:
                    self.string(account["name"], f"{path}.account.name")
        return count

    # --- the statement ----------------------------------------------------------------------

    def statement(self, value: object, path: str = "$") -> None:
        found = self.obj(value, path, STATEMENT_KEYS)
        if found is None:
            return
        if "id" in found:
            self.uuid(found["id"], f"{path}.id")
        self.core(found, path)
        if "stored" in found:
            self.timestamp(found["stored"], f"{path}.stored")
        if "authority" in found:
            self.authority(found["authority"], f"{path}.authority")
        if "version" in found:
            self.string(found["version"], f"{path}.version", VERSION_RE,
                        "'1.0' or '1.0.x'")
        self.voiding(found, path)

    def core(self, found: Json, path: str, *, sub: bool = False) -> None:
        """What statements and sub-statements share: actor, verb, object and the rest."""
        for key in ("actor", "verb", "object"):
            if key not in found:
                self.fail(f"{path}.{key}", "is required")
        if "actor" in found:
            self.actor(found["actor"], f"{path}.actor")
        if "verb" in found:
            self.verb(found["verb"], f"{path}.verb")
        object_kind = None
        if "object" in found:
            object_kind = self.target(found["object"], f"{path}.object", sub=sub)
        if "result" in found:
            self.result(found["result"], f"{path}.result")
        if "context" in found:
            self.context(found["context"], f"{path}.context", object_kind)
        if "timestamp" in found:
            self.timestamp(found["timestamp"], f"{path}.timestamp")
        if "attachments" in found:
            self.attachments(found["attachments"], f"{path}.attachments")

    def verb(self, value: object, path: str) -> None:
        found = self.obj(value, path, frozenset({"id", "display"}))
        if found is None:
            return
        if "id" not in found:
            self.fail(f"{path}.id", "is required")
        else:
            self.iri(found["id"], f"{path}.id")
        if "display" in found:
            self.language_map(found["display"], f"{path}.display")

    def target(self, value: object, path: str, *, sub: bool = False) -> str | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be a JSON object, not {_kind(value)}")
            return None
        kind = value.get("objectType", "Activity")
        if kind == "Activity":
            self.activity(value, path)
        elif kind in ("Agent", "Group"):
            self.actor(value, path, as_object=True)
        elif kind == "StatementRef":
            found = self.obj(value, path, frozenset({"objectType", "id"}))
            if found is not None:
                if "id" not in found:
                    self.fail(f"{path}.id", "is required")
                else:
                    self.uuid(found["id"], f"{path}.id")
        elif kind == "SubStatement":
            if sub:
                self.fail(f"{path}.objectType", "a SubStatement cannot hold another one")
            else:
                self.substatement(value, path)
        else:
            self.fail(f"{path}.objectType", "must be one of Activity, Agent, Group, "
                      "SubStatement or StatementRef")
            return None
        return str(kind)

    def substatement(self, value: Json, path: str) -> None:
        for key in ("id", "stored", "version", "authority"):
            if key in value:
                self.fail(f"{path}.{key}", "a SubStatement must not have this property")
        found = self.obj(value, path, SUBSTATEMENT_KEYS | {"id", "stored", "version",
                                                           "authority"})
        if found is not None:
            self.core(found, path, sub=True)

    def activity(self, value: object, path: str) -> None:
        found = self.obj(value, path, ACTIVITY_KEYS)
        if found is None:
            return
        if "id" not in found:
            self.fail(f"{path}.id", "is required")
        else:
            self.iri(found["id"], f"{path}.id")
        if "definition" in found:
            self.definition(found["definition"], f"{path}.definition")

    def definition(self, value: object, path: str) -> None:
        found = self.obj(value, path, DEFINITION_KEYS)
        if found is None:
            return
        for key in ("name", "description"):
            if key in found:
                self.language_map(found[key], f"{path}.{key}")
        if "type" in found:
            self.iri(found["type"], f"{path}.type")
        if "moreInfo" in found:
            self.string(found["moreInfo"], f"{path}.moreInfo", IRL_RE, "an IRL")
        if "extensions" in found:
            self.extensions(found["extensions"], f"{path}.extensions")
        kind = found.get("interactionType")
        if "interactionType" in found and (not isinstance(kind, str)
                                           or kind not in INTERACTION_TYPES):
            self.fail(f"{path}.interactionType",
                      "must be one of " + ", ".join(sorted(INTERACTION_TYPES)))
            kind = None
        used = [k for k in COMPONENT_KEYS if k in found]
        if "correctResponsesPattern" in found:
            if "interactionType" not in found:
                self.fail(f"{path}.interactionType",
                          "is required when correctResponsesPattern is given")
            pattern = found["correctResponsesPattern"]
            if not isinstance(pattern, list):
                self.fail(f"{path}.correctResponsesPattern", "must be an array of strings")
            else:
                for i, item in enumerate(pattern):
                    self.string(item, f"{path}.correctResponsesPattern[{i}]")
        if used and "interactionType" not in found:
            self.fail(f"{path}.interactionType",
                      f"is required when {', '.join(used)} {'is' if len(used) == 1 else 'are'}"
                      " given")
        elif used and isinstance(kind, str):
            allowed = COMPONENTS.get(kind, frozenset())
            for key in used:
                if key not in allowed:
                    self.fail(f"{path}.{key}", f"is not used by a '{kind}' interaction")
        for key in used:
            self.components(found[key], f"{path}.{key}")

    def components(self, value: object, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, f"must be an array of interaction components, not {_kind(value)}")
            return
        seen: set[str] = set()
        for i, item in enumerate(value):
            found = self.obj(item, f"{path}[{i}]", frozenset({"id", "description"}))
            if found is None:
                continue
            if "id" not in found:
                self.fail(f"{path}[{i}].id", "is required")
            elif self.string(found["id"], f"{path}[{i}].id"):
                if found["id"] in seen:
                    self.fail(f"{path}[{i}].id", "ids within a component list must differ")
                seen.add(found["id"])
            if "description" in found:
                self.language_map(found["description"], f"{path}[{i}].description")

    def result(self, value: object, path: str) -> None:
        found = self.obj(value, path, RESULT_KEYS)
        if found is None:
            return
        for key in ("success", "completion"):
            if key in found:
                self.boolean(found[key], f"{path}.{key}")
        if "response" in found:
            self.string(found["response"], f"{path}.response")
        if "duration" in found:
            self.string(found["duration"], f"{path}.duration", DURATION_RE,
                        "an ISO 8601 duration such as PT1H30M or PT4.5S")
        if "extensions" in found:
            self.extensions(found["extensions"], f"{path}.extensions")
        if "score" in found:
            self.score(found["score"], f"{path}.score")

    def score(self, value: object, path: str) -> None:
        found = self.obj(value, path, SCORE_KEYS)
        if found is None:
            return
        numbers = {k: self.number(found[k], f"{path}.{k}") for k in SCORE_KEYS if k in found}
        scaled = numbers.get("scaled")
        if scaled is not None and not -1 <= scaled <= 1:
            self.fail(f"{path}.scaled", "must lie between -1 and 1")
        low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
        if low is not None and high is not None and not low < high:
            self.fail(f"{path}.min", "must be less than max")
        if raw is not None and low is not None and raw < low:
            self.fail(f"{path}.raw", "must not be less than min")
        if raw is not None and high is not None and raw > high:
            self.fail(f"{path}.raw", "must not be more than max")

    def context(self, value: object, path: str, object_kind: str | None) -> None:
        found = self.obj(value, path, CONTEXT_KEYS)
        if found is None:
            return
        if "registration" in found:
            self.uuid(found["registration"], f"{path}.registration")
        if "instructor" in found:
            self.actor(found["instructor"], f"{path}.instructor")
        if "team" in found:
            team = found["team"]
            if isinstance(team, dict) and team.get("objectType") != "Group":
                self.fail(f"{path}.team.objectType", "the team must be a Group")
            else:
                self.actor(team, f"{path}.team")
        for key in ("revision", "platform"):
            if key in found:
                self.string(found[key], f"{path}.{key}")
                if object_kind is not None and object_kind != "Activity":
                    self.fail(f"{path}.{key}", "is only allowed when the object is an Activity")
        if "language" in found:
            self.string(found["language"], f"{path}.language", LANGUAGE_RE,
                        "an RFC 5646 language tag")
        if "statement" in found:
            ref = self.obj(found["statement"], f"{path}.statement",
                           frozenset({"objectType", "id"}))
            if ref is not None:
                if ref.get("objectType") != "StatementRef":
                    self.fail(f"{path}.statement.objectType", "must be 'StatementRef'")
                if "id" not in ref:
                    self.fail(f"{path}.statement.id", "is required")
                else:
                    self.uuid(ref["id"], f"{path}.statement.id")
        if "extensions" in found:
            self.extensions(found["extensions"], f"{path}.extensions")
        if "contextActivities" in found:
            activities = self.obj(found["contextActivities"], f"{path}.contextActivities",
                                  CONTEXT_ACTIVITY_KEYS)
            if activities == {}:  # Data 2.4.6.2: one or more of parent, grouping, ...
                self.fail(f"{path}.contextActivities", "must name at least one of "
                          + ", ".join(sorted(CONTEXT_ACTIVITY_KEYS)))
            for key, item in (activities or {}).items():
                if key not in CONTEXT_ACTIVITY_KEYS or item is None:
                    continue
                where = f"{path}.contextActivities.{key}"
                if isinstance(item, list):
                    for i, one in enumerate(item):
                        self.context_activity(one, f"{where}[{i}]")
                else:
                    self.context_activity(item, where)

    def context_activity(self, value: object, path: str) -> None:
        if isinstance(value, dict) and value.get("objectType", "Activity") != "Activity":
            self.fail(f"{path}.objectType", "context activities must be Activities")
            return
        self.activity(value, path)

    def authority(self, value: object, path: str) -> None:
        if isinstance(value, dict) and value.get("objectType") == "Group":
            members = value.get("member")
            ifis = sum(1 for k in IFI_KEYS if k in value)
            if ifis or not isinstance(members, list) or len(members) != 2:
                self.fail(path, "a Group authority is an anonymous Group of exactly two "
                          "Agents (OAuth)")
        self.actor(value, path)

    def attachments(self, value: object, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, f"must be an array of attachments, not {_kind(value)}")
            return
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            found = self.obj(item, where, ATTACHMENT_KEYS)
            if found is None:
                continue
            for key in ("usageType", "display", "contentType", "length", "sha2"):
                if key not in found:
                    self.fail(f"{where}.{key}", "is required")
            if "usageType" in found:
                self.iri(found["usageType"], f"{where}.usageType")
            for key in ("display", "description"):
                if key in found:
                    self.language_map(found[key], f"{where}.{key}")
            if "contentType" in found:
                self.string(found["contentType"], f"{where}.contentType", _MIME_RE,
                            "a MIME type such as text/plain")
            if "length" in found:
                length = found["length"]
                if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                    self.fail(f"{where}.length", "must be a whole number of octets")
            if "sha2" in found:
                self.string(found["sha2"], f"{where}.sha2", SHA2_RE,
                            "the SHA-2 hex digest of the attachment")
            if "fileUrl" in found:
                self.string(found["fileUrl"], f"{where}.fileUrl", IRL_RE, "an IRL")

    def voiding(self, found: Json, path: str) -> None:
        verb = found.get("verb")
        if isinstance(verb, dict) and verb.get("id") == VOIDED:
            obj = found.get("object")
            if not isinstance(obj, dict) or obj.get("objectType") != "StatementRef":
                self.fail(f"{path}.object", "a voiding statement's object must be a "
                          "StatementRef to the statement it voids")


_MIME_RE = re.compile(r"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(?:\s*;.*)?$")


def _deeper_than(value: object, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _case_hint(key: str, allowed: frozenset[str]) -> str:
    for name in allowed:
        if name.lower() == key.lower():
            return f" (did you mean '{name}'? keys are case-sensitive)"
    return ""


def _real_moment(text: str) -> bool:
    match = TIMESTAMP_RE.match(text)
    assert match is not None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    zone = match.group(8) or ""
    if zone.startswith("-") and zone.replace(":", "").strip("-0") == "":
        return False  # "-00:00" means "unknown offset" (RFC 3339), not a zone
    if not (1 <= month <= 12 and hour <= 23 and minute <= 59 and second <= 60):
        return False
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31,
            30, 31, 31, 30, 31, 30, 31]
    return 1 <= day <= days[month - 1]


def _check(run: Callable[[Checker], None], where: str) -> list[Problem]:
    checker = Checker(where)
    try:
        run(checker)
    except TooMany:
        pass
    except RecursionError:
        checker.problems.append(Problem(where, "is nested too deeply", field="$"))
    return checker.problems


def check_statement(value: object, where: str = "statement") -> list[Problem]:
    """Every problem with one statement (empty when it is valid xAPI 1.0.3)."""
    return _check(lambda c: c.statement(value), where)


def check_agent(value: object, where: str = "agent") -> list[Problem]:
    """Problems with an Agent or identified Group given as a parameter (Comm 2.2.s4.b4)."""
    return _check(lambda c: c.actor(value, "$"), where)


def is_voiding(statement: Json) -> bool:
    verb = statement.get("verb")
    return isinstance(verb, dict) and verb.get("id") == VOIDED
