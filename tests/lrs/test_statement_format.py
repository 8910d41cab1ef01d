"""The statement format (Data 2.2 to 2.4, 4.0), requirement by requirement: each case changes
one part of a valid statement and names the requirement it tests. Refusals are a 400 that
stores nothing; valid but unusual statements are accepted (strict on structure, lax on
meaning)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.lrs.conftest import ACTIVITY, AGENT, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
REF = {"objectType": "StatementRef", "id": "6f9619ff-8b86-d011-b42d-00c04fc964ff"}
GROUP = {"objectType": "Group", "name": "Team", "member": [{"mbox": "mailto:a@example.com"}]}


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid statement with the value at dotted `path` set (or removed, for DELETE)."""
    out = copy.deepcopy(base) if base is not None else statement(
        result={"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": True},
        context={"registration": str(uuid.uuid4()),
                 "contextActivities": {"parent": [{"id": "http://example.com/course"}]}})
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return out


DELETE = object()

REFUSED = [
    ("XAPI-00001", "null outside extensions", "$.verb.display", _with("verb.display", None)),
    ("XAPI-00001", "null in a definition", "$.object.definition.type",
     _with("object.definition.type", None)),
    ("XAPI-00003", "no actor", "$.actor", _with("actor", DELETE)),
    ("XAPI-00004", "no verb", "$.verb", _with("verb", DELETE)),
    ("XAPI-00005", "no object", "$.object", _with("object", DELETE)),
    ("XAPI-00008", "a key in the wrong case", "$.verb.ID",
     _with("verb.ID", "http://example.com/v", {**statement(), "verb": {}})),
    ("XAPI-00009", "an enumerated value in the wrong case", "$.object.objectType",
     _with("object.objectType", "activity")),
    ("XAPI-00009", "interactionType in the wrong case", "$.object.definition.interactionType",
     _with("object.definition", {"interactionType": "Choice"})),
    ("XAPI-00017", "a voiding statement whose object is not a StatementRef", "$.object",
     _with("verb", {"id": VOIDED})),
    ("XAPI-00022", "a timestamp that is not ISO 8601", "$.timestamp",
     _with("timestamp", "yesterday")),
    ("XAPI-00123", "a date in another format", "$.timestamp", _with("timestamp", "12/03/2026")),
    ("XAPI-00023", "a stored that is not a timestamp", "$.stored", _with("stored", "soon")),
    ("XAPI-00035", "an anonymous group without members", "$.actor.member",
     _with("actor", {"objectType": "Group", "name": "Nobody"})),
    ("XAPI-00036", "a member without an identifier", "$.actor.member[0]",
     _with("actor", {"objectType": "Group", "member": [{"name": "Who"}]})),
    ("XAPI-00037", "an identified group with two identifiers", "$.actor",
     _with("actor", {"objectType": "Group", "mbox": "mailto:t@example.com",
                     "account": {"homePage": "http://example.com", "name": "t"}})),
    ("XAPI-00044", "a verb without an id", "$.verb.id",
     _with("verb", {"display": {"en-US": "did"}})),
    ("XAPI-00045", "a verb display that is not a language map", "$.verb.display",
     _with("verb.display", "attempted")),
    ("XAPI-00046", "an unknown objectType", "$.object.objectType",
     _with("object.objectType", "Course")),
    ("XAPI-00047", "an activity without an id", "$.object.id",
     _with("object", {"objectType": "Activity"})),
    ("XAPI-00048", "a definition that is not an object", "$.object.definition",
     _with("object.definition", "x")),
    ("XAPI-00056", "a name that is not a language map", "$.object.definition.name",
     _with("object.definition.name", "x")),
    ("XAPI-00057", "definition extensions that are not an object", "$.object.definition.extensions",
     _with("object.definition.extensions", ["x"])),
    ("XAPI-00059", "a description that is not a language map", "$.object.definition.description",
     _with("object.definition.description", 3)),
    ("XAPI-00060", "an activity type that is not an IRI", "$.object.definition.type",
     _with("object.definition.type", "lesson")),
    ("XAPI-00061", "a moreInfo that is not an IRL", "$.object.definition.moreInfo",
     _with("object.definition.moreInfo", "not a link")),
    ("XAPI-00064", "choices without an interactionType", "$.object.definition.interactionType",
     _with("object.definition.choices", [{"id": "a", "description": {"en-US": "A"}}])),
    ("XAPI-00065", "an agent object without objectType", "$.object.mbox",
     _with("object", {"mbox": "mailto:kim@example.com"})),
    ("XAPI-00072", "a StatementRef without an id", "$.object.id",
     _with("object", {"objectType": "StatementRef"})),
    ("XAPI-00073", "a StatementRef whose id is not a UUID", "$.object.id",
     _with("object", {"objectType": "StatementRef", "id": "12"})),
    ("XAPI-00074", "success that is not a boolean", "$.result.success",
     _with("result.success", "yes")),
    ("XAPI-00075", "completion that is not a boolean", "$.result.completion",
     _with("result.completion", 1)),
    ("XAPI-00076", "a response that is not a string", "$.result.response",
     _with("result.response", 5)),
    ("XAPI-00077", "a duration that is not ISO 8601", "$.result.duration",
     _with("result.duration", "90 seconds")),
    ("XAPI-00078", "result extensions that are not an object", "$.result.extensions",
     _with("result.extensions", "x")),
    ("XAPI-00079", "a score that is not an object", "$.result.score",
     _with("result.score", "high")),
    ("XAPI-00080", "a max that is not a number", "$.result.score.max",
     _with("result.score.max", "10")),
    ("XAPI-00081", "min above max", "$.result.score.min", _with("result.score.min", 20)),
    ("XAPI-00082", "raw outside min and max", "$.result.score.raw", _with("result.score.raw", 11)),
    ("XAPI-00083", "scaled above 1", "$.result.score.scaled", _with("result.score.scaled", 1.5)),
    ("XAPI-00098", "an authority group of three agents", "$.authority",
     _with("authority", {"objectType": "Group", "member": [
         {"mbox": f"mailto:{n}@example.com"} for n in "abc"]})),
    ("Data 2.4.6", "a registration that is not a UUID", "$.context.registration",
     _with("context.registration", "r-1")),
    ("Data 2.4.6", "a team that is not a group", "$.context.team.objectType",
     _with("context.team", AGENT)),
    ("Data 2.4.4.3", "a sub-statement inside a sub-statement", "$.object.object.objectType",
     _with("object", {"objectType": "SubStatement", "actor": AGENT,
                      "verb": {"id": "http://example.com/v"},
                      "object": {"objectType": "SubStatement", "actor": AGENT,
                                 "verb": {"id": "http://example.com/v"},
                                 "object": {"id": ACTIVITY}}})),
    ("Data 4.2", "a language tag that is not RFC 5646", "$.verb.display.not a tag!",
     _with("verb.display", {"not a tag!": "did"})),
    ("Data 2.4.10", "a version that is not 1.0.x", "$.version", _with("version", "2.0.0")),
]

ACCEPTED = [
    ("XAPI-00001", "null, empty string and empty object as extension values",
     _with("result.extensions", {"http://example.com/a": None, "http://example.com/b": "",
                                 "http://example.com/c": {}})),
    ("XAPI-00097", "a stored property (the LRS overwrites it)",
     _with("stored", "2020-01-01T00:00:00Z")),
    ("Data 2.4.2.2", "an identified group without members",
     _with("actor", {"objectType": "Group", "mbox": "mailto:team@example.com"})),
    ("Data 2.4.2.2", "an anonymous group", _with("actor", GROUP)),
    ("Data 2.4.6.2", "one context activity given as an object",
     _with("context.contextActivities", {"grouping": {"id": "http://example.com/g"}})),
    ("Data 2.4.7", "a timestamp with an offset", _with("timestamp", "2026-12-03T10:00:00+05:00")),
    ("Data 4.2", "language tags with script and region",
     _with("verb.display", {"en-US": "did", "zh-Hans-CN": "did"})),
    ("Data 2.4.4.1", "an interaction with its components",
     _with("object.definition", {"interactionType": "choice",
                                 "correctResponsesPattern": ["a"],
                                 "choices": [{"id": "a", "description": {"en-US": "A"}}]})),
    ("Data 2.4.4.3", "a StatementRef object", _with("object", REF)),
    ("Data 2.4.5", "a negative scaled score and a raw without bounds",
     _with("result.score", {"scaled": -1, "raw": 1e6})),
]


@pytest.mark.parametrize(("requirement", "case", "field", "body"), REFUSED,
                         ids=[f"{r} {c}" for r, c, _, _ in REFUSED])
def test_malformed_statements_are_400s(xapi: TestClient, auth: dict[str, str],
                                       requirement: str, case: str, field: str,
                                       body: dict[str, Any]) -> None:
    """The 400 names the part that is wrong, and nothing is stored."""
    response = xapi.post("/xapi/statements", json=body, headers=auth)
    assert response.status_code == 400, (requirement, case, response.text)
    assert field in {p["field"] for p in response.json()["problems"]}, response.text
    listed = xapi.get("/xapi/statements", headers=auth).json()["statements"]
    assert listed == []


@pytest.mark.parametrize(("requirement", "case", "body"), ACCEPTED,
                         ids=[f"{r} {c}" for r, c, _ in ACCEPTED])
def test_valid_unusual_statements_are_accepted(xapi: TestClient, auth: dict[str, str],
                                               requirement: str, case: str,
                                               body: dict[str, Any]) -> None:
    response = xapi.post("/xapi/statements", json=body, headers=auth)
    assert response.status_code == 200, (requirement, case, response.text)


def test_numbers_keep_their_precision(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00002: 32-bit floats come back with at least IEEE 754 precision."""
    score = {"scaled": 0.1234567, "raw": 1.2345678, "min": -3.4028235e38, "max": 3.4028235e38}
    [sid] = xapi.post("/xapi/statements", json=statement(result={"score": score}),
                      headers=auth).json()
    back = xapi.get("/xapi/statements", params={"statementId": sid}, headers=auth).json()
    assert back["result"]["score"] == score


def test_the_lrs_sets_stored_and_authority(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00097, XAPI-00099: a stored sent is replaced; a missing authority is the client."""
    [sid] = xapi.post("/xapi/statements", json=_with("stored", "2020-01-01T00:00:00Z"),
                      headers=auth).json()
    back = xapi.get("/xapi/statements", params={"statementId": sid}, headers=auth).json()
    assert not back["stored"].startswith("2020")
    assert back["authority"]["objectType"] == "Agent"
    assert back["authority"]["account"]["homePage"].endswith("/lrs-clients")
