"""The parameters of the xAPI resources, checked, and the `more` token of a statement page (pure).

Every resource takes a fixed set of parameters, spelt exactly (Comm 3.2: an unknown parameter,
or a known one in the wrong case, is a 400). Values are checked to the same standard as the
same type inside a statement (Data 2.2.s4.b4).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem
from learnloop.domain.xapi import keys as xkeys
from learnloop.domain.xapi.formats import Format
from learnloop.domain.xapi.reading import parse_time
from learnloop.domain.xapi.validation import (
    IRI_RE,
    TIMESTAMP_RE,
    UUID_RE,
    check_agent,
)

MAX_PAGE = 500  # statements per page; `limit=0` asks for this many

STATEMENT_GET = frozenset({
    "statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
    "related_activities", "related_agents", "since", "until", "limit", "format",
    "attachments", "ascending"})
SINGLE_ONLY_WITH = frozenset({"attachments", "format"})


def _problem(name: str, message: str) -> Problem:
    return Problem("query", message, field=name)


def check_names(params: Mapping[str, str], allowed: frozenset[str]) -> None:
    """Reject unknown parameters, naming the right spelling when only the case is wrong."""
    problems = []
    lowered = {a.lower(): a for a in allowed}
    for name in params:
        if name in allowed:
            continue
        right = lowered.get(name.lower())
        hint = f"; parameters are case-sensitive: '{right}'" if right else ""
        problems.append(_problem(name, f"is not a parameter of this resource{hint}"))
    if problems:
        raise InvalidInput(problems, "the request has parameters this resource does not take")


def _matching(params: Mapping[str, str], name: str, pattern: re.Pattern[str], rule: str,
              required: bool) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise InvalidInput([_problem(name, "is required")])
        return None
    if not pattern.match(value):
        raise InvalidInput([_problem(name, f"must be {rule}")])
    return value


def uuid_param(params: Mapping[str, str], name: str, required: bool = False) -> str | None:
    value = _matching(params, name, UUID_RE, "a UUID", required)
    return value.lower() if value is not None else None


def iri_param(params: Mapping[str, str], name: str, required: bool = False) -> str | None:
    return _matching(params, name, IRI_RE, "an IRI with a scheme", required)


def string_param(params: Mapping[str, str], name: str, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None and required:
        raise InvalidInput([_problem(name, "is required")])
    return value


def time_param(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    moment = parse_time(value) if TIMESTAMP_RE.match(value) else None
    if moment is None:
        raise InvalidInput([_problem(name, "must be an ISO 8601 timestamp")])
    return moment


def bool_param(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise InvalidInput([_problem(name, "must be true or false")])
    return value == "true"


def agent_param(params: Mapping[str, str], name: str = "agent",
                required: bool = False) -> dict[str, Any] | None:
    """An Agent or identified Group given as JSON, checked like one in a statement."""
    text = params.get(name)
    if text is None:
        if required:
            raise InvalidInput([_problem(name, "is required")])
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInput([_problem(name, "must be an Agent as JSON")]) from None
    problems = check_agent(value, name)
    if problems:
        raise InvalidInput(problems, f"'{name}' is not a valid Agent or Group")
    if xkeys.ifi(value) is None:
        raise InvalidInput([_problem(name, "must be an Agent or identified Group")])
    assert isinstance(value, dict)
    return value


@dataclass(frozen=True, slots=True)
class StatementFilters:
    """A list query of GET /statements, and where its next page starts."""

    agent: str | None = None          # IFI string (domain.xapi.keys.ifi)
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None          # ISO 8601 as given
    until: str | None = None
    limit: int = MAX_PAGE
    format: str = Format.EXACT.value
    attachments: bool = False
    ascending: bool = False
    after: tuple[str, int] | None = None  # (stored ISO, seq) of the last statement served

    def keys(self, org_id: int) -> tuple[int, ...]:
        """The filter keys, the most selective first."""
        out = []
        if self.registration is not None:
            out.append(xkeys.key(org_id, xkeys.Kind.REGISTRATION, self.registration))
        if self.agent is not None:
            kind = xkeys.Kind.RELATED_AGENT if self.related_agents else xkeys.Kind.AGENT
            out.append(xkeys.key(org_id, kind, self.agent))
        if self.activity is not None:
            kind = (xkeys.Kind.RELATED_ACTIVITY if self.related_activities
                    else xkeys.Kind.ACTIVITY)
            out.append(xkeys.key(org_id, kind, self.activity))
        if self.verb is not None:
            out.append(xkeys.key(org_id, xkeys.Kind.VERB, self.verb))
        return tuple(out)

    def since_time(self) -> datetime | None:
        return parse_time(self.since) if self.since else None

    def until_time(self) -> datetime | None:
        return parse_time(self.until) if self.until else None

    def next_page(self, stored: str, seq: int) -> StatementFilters:
        return replace(self, after=(stored, seq))


@dataclass(frozen=True, slots=True)
class SingleStatement:
    statement_id: str
    voided: bool
    format: str
    attachments: bool


def format_param(params: Mapping[str, str]) -> str:
    value = params.get("format", Format.EXACT.value)
    if value not in {f.value for f in Format}:
        raise InvalidInput([_problem("format", "must be ids, exact or canonical")])
    return value


def statement_get(params: Mapping[str, str]) -> StatementFilters | SingleStatement:
    check_names(params, STATEMENT_GET)
    single = [n for n in ("statementId", "voidedStatementId") if n in params]
    if len(single) == 2:
        raise InvalidInput([_problem("voidedStatementId",
                                     "give statementId or voidedStatementId, not both")])
    if single:
        others = sorted(set(params) - set(single) - SINGLE_ONLY_WITH)
        if others:
            raise InvalidInput([_problem(n, f"cannot be combined with {single[0]}")
                                for n in others])
        sid = uuid_param(params, single[0], required=True)
        assert sid is not None
        return SingleStatement(sid, single[0] == "voidedStatementId", format_param(params),
                               bool_param(params, "attachments"))
    agent = agent_param(params)
    limit_text = params.get("limit", "0")
    if not limit_text.isdigit():
        raise InvalidInput([_problem("limit", "must be a whole number, 0 or more")])
    limit = int(limit_text)
    for name in ("since", "until"):
        time_param(params, name)
    return StatementFilters(
        agent=xkeys.ifi(agent) if agent else None,
        verb=iri_param(params, "verb"),
        activity=iri_param(params, "activity"),
        registration=uuid_param(params, "registration"),
        related_activities=bool_param(params, "related_activities"),
        related_agents=bool_param(params, "related_agents"),
        since=params.get("since"),
        until=params.get("until"),
        limit=MAX_PAGE if limit == 0 else min(limit, MAX_PAGE),
        format=format_param(params),
        attachments=bool_param(params, "attachments"),
        ascending=bool_param(params, "ascending"))


def encode_more(filters: StatementFilters) -> str:
    raw = json.dumps(asdict(filters), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_more(token: str) -> StatementFilters:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
        if not isinstance(fields, dict):
            raise ValueError
        after = fields.get("after")
        fields["after"] = (str(after[0]), int(after[1])) if after else None
        filters = StatementFilters(**fields)
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput([Problem("more", "is not a page link this LRS gave out",
                                    field="more")]) from None
    return filters
