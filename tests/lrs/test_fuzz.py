"""Fuzzing the statement endpoint: whatever arrives, the answer is never a 500, and a refused
request stores nothing (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lrs.conftest import statement

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["actor", "verb", "object", "id", "mbox", "objectType",
                                       "definition", "result", "score", "context", "member",
                                       "account", "name", "homePage", "extensions",
                                       "contextActivities", "timestamp", "attachments"])
                      | st.text(max_size=10), children, max_size=5),
    max_leaves=25)


INTERACTION = {"name": {"en-US": "Which?"},
               "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
               "interactionType": "choice", "correctResponsesPattern": ["a"],
               "choices": [{"id": "a", "description": {"en-US": "A"}}],
               "extensions": {"http://e.com/x": {"deep": [1, 2]}}}
# Statements that use every part of the format, so a mutation can reach any check.
BASES = [
    statement(result={"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
                      "success": True, "completion": True, "duration": "PT1M",
                      "response": "a", "extensions": {"http://e.com/r": 1}},
              context={"registration": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
                       "instructor": {"mbox": "mailto:i@example.com"},
                       "team": {"objectType": "Group", "member": [{"mbox": "mailto:t@e.com"}]},
                       "contextActivities": {"parent": [{"id": "http://e.com/p"}],
                                             "grouping": {"id": "http://e.com/g"}},
                       "statement": {"objectType": "StatementRef",
                                     "id": "6f9619ff-8b86-d011-b42d-00c04fc964fe"},
                       "language": "en-US", "platform": "fuzz",
                       "extensions": {"http://e.com/c": "x"}},
              timestamp="2026-12-03T10:00:00.000Z"),
    statement(object={"objectType": "Activity", "id": "http://e.com/q1",
                      "definition": INTERACTION}),
    statement(object={"objectType": "SubStatement",
                      "actor": {"objectType": "Agent",
                                "account": {"homePage": "http://e.com", "name": "sub"}},
                      "verb": {"id": "http://e.com/v", "display": {"en-US": "v"}},
                      "object": {"objectType": "Activity", "id": "http://e.com/q2",
                                 "definition": INTERACTION},
                      "context": {"contextActivities": {"other": [{"id": "http://e.com/o"}]}}}),
    statement(attachments=[{"usageType": "http://e.com/u", "display": {"en-US": "file"},
                            "contentType": "text/plain", "length": 3,
                            "sha2": "a" * 64, "fileUrl": "http://e.com/f.txt"}],
              actor={"objectType": "Group", "name": "G",
                     "member": [{"mbox_sha1sum": "a" * 40}, {"openid": "http://e.com/id"}]}),
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(copy[path[0]], path[1:], new)  # type: ignore[index]
    return copy


def _count(xapi: TestClient, auth: dict[str, str]) -> int:
    response = xapi.get("/xapi/statements", params={"limit": "0"}, headers=auth)
    assert response.status_code == 200
    return len(response.json()["statements"])


@FUZZ
@given(body=json_values)
def test_random_json_never_breaks_the_endpoint(xapi: TestClient, auth: dict[str, str],
                                               body: Any) -> None:
    before = _count(xapi, auth)
    response = xapi.post("/xapi/statements", content=json.dumps(body).encode(),
                         headers={**auth, "Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert _count(xapi, auth) == before


@FUZZ
@given(data=st.data())
def test_mutated_statements_are_stored_whole_or_not_at_all(xapi: TestClient,
                                                           auth: dict[str, str],
                                                           data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(BASES))
    path = data.draw(st.sampled_from(_paths(base)[1:]))
    mutated = _replace(base, path, data.draw(json_values))
    batch = [statement(), mutated]
    before = _count(xapi, auth)
    response = xapi.post("/xapi/statements", json=batch, headers=auth)
    assert response.status_code in (200, 400), response.text
    after = _count(xapi, auth)
    assert after == (before + 2 if response.status_code == 200 else before)
    if response.status_code == 200:
        stored = xapi.get("/xapi/statements", params={"statementId": response.json()[1]},
                          headers=auth)
        assert stored.status_code == 200


@FUZZ
@given(raw=st.binary(max_size=300),
       kind=st.sampled_from(["application/json", "multipart/mixed; boundary=x",
                             "multipart/mixed", "text/plain", "application/xml", "",
                             "application/json; charset=utf-16"]))
def test_random_bytes_and_content_types(xapi: TestClient, auth: dict[str, str], raw: bytes,
                                        kind: str) -> None:
    response = xapi.post("/xapi/statements", content=raw,
                         headers={**auth, "Content-Type": kind})
    assert response.status_code in (200, 400), response.text


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from([10_000, 100_000, 1_000_000]), depth=st.integers(10, 3000))
def test_huge_strings_and_deep_nesting(xapi: TestClient, auth: dict[str, str], size: int,
                                       depth: int) -> None:
    """Extension values may nest up to 100 levels; deeper, or a body too deep to parse, is a
    400, never a 500."""
    before = _count(xapi, auth)
    deep = '{"a":' * depth + '"leaf"' + "}" * depth
    huge = json.dumps(statement(result={"response": "é" * size, "extensions": {
        "http://example.com/deep": "DEEP"}})).replace('"DEEP"', deep)
    response = xapi.post("/xapi/statements", content=huge.encode(),
                         headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == (200 if depth <= 100 else 400), response.text[:300]
    deep_ids = "[" * depth + "]" * depth
    response = xapi.post("/xapi/statements", content=deep_ids.encode(),
                         headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert _count(xapi, auth) == before + (1 if depth <= 100 else 0)
