"""State, activity profile and agent profile documents (Comm 2.2 to 2.7) and their
concurrency rules (Comm 3.1), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.lrs.conftest import ACTIVITY, AGENT, Credentials, TickingClock

STATE = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "bookmark"}
ACTIVITY_PROFILE = {"activityId": ACTIVITY, "profileId": "settings"}
AGENT_PROFILE = {"agent": json.dumps(AGENT), "profileId": "preferences"}
JSON_TYPE = {"Content-Type": "application/json"}


def test_state_put_get_post_merge_and_delete(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00190, XAPI-00188, XAPI-00189, XAPI-00234 and XAPI-00183/00184 (one-level merge),
    XAPI-00187."""
    headers = {**auth, **JSON_TYPE}
    put = xapi.put("/xapi/activities/state", params=STATE, headers=headers,
                   content=b'{"page": 3, "notes": {"a": 1}}')
    assert put.status_code == 204
    got = xapi.get("/xapi/activities/state", params=STATE, headers=auth)
    assert got.status_code == 200
    assert got.json() == {"page": 3, "notes": {"a": 1}}
    assert got.headers["content-type"] == "application/json"
    assert xapi.post("/xapi/activities/state", params=STATE, headers=headers,
                     content=b'{"notes": {"b": 2}, "done": false}').status_code == 204
    merged = xapi.get("/xapi/activities/state", params=STATE, headers=auth).json()
    assert merged == {"page": 3, "notes": {"b": 2}, "done": False}
    assert xapi.delete("/xapi/activities/state", params=STATE,
                       headers=auth).status_code == 204
    assert xapi.get("/xapi/activities/state", params=STATE, headers=auth).status_code == 404


def test_documents_are_opaque_blobs_with_their_type(xapi: TestClient,
                                                    auth: dict[str, str]) -> None:
    data = bytes(range(256))
    assert xapi.put("/xapi/activities/state", params=STATE, content=data,
                    headers={**auth, "Content-Type": "application/octet-stream"}
                    ).status_code == 204
    got = xapi.get("/xapi/activities/state", params=STATE, headers=auth)
    assert got.content == data
    assert got.headers["content-type"] == "application/octet-stream"


def test_state_ids_since_and_delete_all(xapi: TestClient, auth: dict[str, str],
                                        clock: TickingClock) -> None:
    """XAPI-00193, XAPI-00195, XAPI-00221, XAPI-00194; registration scopes state."""
    scope = {k: v for k, v in STATE.items() if k != "stateId"}
    registration = str(uuid.uuid4())
    for state_id in ("a", "b"):
        xapi.put("/xapi/activities/state", params={**scope, "stateId": state_id},
                 headers={**auth, **JSON_TYPE}, content=b"{}")
    between = clock().isoformat()
    xapi.put("/xapi/activities/state", params={**scope, "stateId": "c"},
             headers={**auth, **JSON_TYPE}, content=b"{}")
    xapi.put("/xapi/activities/state", params={**scope, "stateId": "r",
                                               "registration": registration},
             headers={**auth, **JSON_TYPE}, content=b"{}")
    listing = xapi.get("/xapi/activities/state", params=scope, headers=auth)
    assert listing.json() == ["a", "b", "c"]
    assert xapi.get("/xapi/activities/state", params={**scope, "since": between},
                    headers=auth).json() == ["c"]
    assert xapi.get("/xapi/activities/state", params={**scope, "registration": registration},
                    headers=auth).json() == ["r"]
    assert xapi.delete("/xapi/activities/state", params=scope, headers=auth).status_code == 204
    assert xapi.get("/xapi/activities/state", params=scope, headers=auth).json() == []
    assert xapi.get("/xapi/activities/state", params={**scope, "registration": registration},
                    headers=auth).json() == ["r"]


@pytest.mark.parametrize(("params", "field"), [
    ({"agent": json.dumps(AGENT), "stateId": "x"}, "activityId"),            # XAPI-00208
    ({"activityId": ACTIVITY, "stateId": "x"}, "agent"),                     # XAPI-00213
    ({**STATE, "agent": "{not json"}, "agent"),                              # XAPI-00197
    ({**STATE, "agent": json.dumps({"mbox": "sam@example.com"})}, "agent"),
    ({**STATE, "registration": "not-a-uuid"}, "registration"),               # XAPI-00201
    ({**STATE, "activityId": "no scheme"}, "activityId"),
    ({k: v for k, v in STATE.items() if k != "stateId"} | {"since": "yesterday"}, "since"),
    ({**STATE, "StateId": "x"}, "StateId"),
])
def test_bad_state_parameters_are_400s(xapi: TestClient, auth: dict[str, str],
                                       params: dict[str, str], field: str) -> None:
    response = xapi.get("/xapi/activities/state", params=params, headers=auth)
    assert response.status_code == 400, response.text
    assert any(field in json.dumps(p) for p in response.json()["problems"])


def test_writes_need_an_id_and_post_needs_json_objects(xapi: TestClient,
                                                       auth: dict[str, str]) -> None:
    """XAPI-00206, XAPI-00211, XAPI-00229, XAPI-00232, XAPI-00235, XAPI-00182."""
    scope = {k: v for k, v in STATE.items() if k != "stateId"}
    headers = {**auth, **JSON_TYPE}
    assert xapi.put("/xapi/activities/state", params=scope, headers=headers,
                    content=b"{}").status_code == 400
    assert xapi.post("/xapi/activities/state", params=scope, headers=headers,
                     content=b"{}").status_code == 400
    assert xapi.put("/xapi/activities/state", params=STATE, headers=headers,
                    content=b'{"kept": true}').status_code == 204
    for content, kind in ((b"[1, 2]", "application/json"), (b"{bad", "application/json"),
                          (b'{"a": 1}', "text/plain")):
        response = xapi.post("/xapi/activities/state", params=STATE, content=content,
                             headers={**auth, "Content-Type": kind})
        assert response.status_code == 400, (content, response.text)
    assert xapi.put("/xapi/activities/state", params=STATE, headers=headers,
                    content=b"{bad").status_code == 400
    assert xapi.get("/xapi/activities/state", params=STATE,
                    headers=auth).json() == {"kept": True}
    # A stored document that is not JSON cannot be merged into.
    xapi.put("/xapi/activities/state", params=STATE, content=b"plain",
             headers={**auth, "Content-Type": "text/plain"})
    assert xapi.post("/xapi/activities/state", params=STATE, headers=headers,
                     content=b'{"a": 1}').status_code == 400


@pytest.mark.parametrize(("path", "params"), [
    ("/xapi/activities/profile", ACTIVITY_PROFILE),
    ("/xapi/agents/profile", AGENT_PROFILE),
])
def test_profile_concurrency(xapi: TestClient, auth: dict[str, str], path: str,
                             params: dict[str, str]) -> None:
    """XAPI-00322 and Comm 3.1: ETags are quoted SHA-1s; If-Match and If-None-Match decide
    with 412; overwriting without either is a 409; nothing changes on a refusal."""
    headers = {**auth, **JSON_TYPE}
    # XAPI-00273, XAPI-00293: creating a profile without either header is refused.
    unsure = xapi.put(path, params=params, headers=headers, content=b'{"v": 0}')
    assert unsure.status_code == 400
    assert "If-None-Match" in unsure.text
    assert xapi.get(path, params=params, headers=auth).status_code == 404
    assert xapi.put(path, params=params, headers={**headers, "If-None-Match": "*"},
                    content=b'{"v": 1}').status_code == 204
    got = xapi.get(path, params=params, headers=auth)
    etag = got.headers["etag"]
    assert etag == '"' + hashlib.sha1(b'{"v": 1}').hexdigest() + '"'  # noqa: S324
    assert xapi.put(path, params=params, headers={**headers, "If-None-Match": "*"},
                    content=b'{"v": 2}').status_code == 412
    assert xapi.put(path, params=params, headers={**headers, "If-Match": '"0000"'},
                    content=b'{"v": 2}').status_code == 412
    blind = xapi.put(path, params=params, headers=headers, content=b'{"v": 2}')
    assert blind.status_code == 409
    assert "If-Match" in blind.json()["message"]
    assert xapi.get(path, params=params, headers=auth).json() == {"v": 1}
    assert xapi.put(path, params=params, headers={**headers, "If-Match": etag},
                    content=b'{"v": 2}').status_code == 204
    assert xapi.get(path, params=params, headers=auth).json() == {"v": 2}
    listing = {k: v for k, v in params.items() if k != "profileId"}
    assert xapi.get(path, params=listing, headers=auth).json() == [params["profileId"]]
    head = xapi.head(path, params=params, headers=auth)
    assert head.status_code == 200
    assert head.content == b""
    assert "etag" in head.headers
    assert xapi.delete(path, params=params, headers={**auth, "If-Match": '"stale"'}
                       ).status_code == 412
    assert xapi.delete(path, params=params, headers=auth).status_code == 204


@pytest.mark.parametrize(("path", "params"), [
    ("/xapi/activities/state", STATE),
    ("/xapi/activities/profile", ACTIVITY_PROFILE),
    ("/xapi/agents/profile", AGENT_PROFILE),
])
@pytest.mark.parametrize("content", [b"1", b"true"])
def test_a_post_with_nothing_stored_stores_what_it_sends(xapi: TestClient,
                                                        auth: dict[str, str], path: str,
                                                        params: dict[str, str],
                                                        content: bytes) -> None:
    """Comm 2.2.s4.b2: a POST is not refused for its content when there is nothing to merge
    into; it stores the document as sent, as a PUT would. Merging into it later is a 400."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert xapi.post(path, params=params, content=content,
                     headers={**auth, **form}).status_code == 204
    stored = xapi.get(path, params=params, headers=auth)
    assert stored.content == content
    assert stored.headers["content-type"].startswith("application/x-www-form-urlencoded")
    merge = xapi.post(path, params=params, content=b'{"a": 1}', headers={**auth, **JSON_TYPE})
    assert merge.status_code == 400
    assert xapi.get(path, params=params, headers=auth).content == content


def test_document_scopes(xapi: TestClient, credentials: Credentials) -> None:
    state_only = credentials("state")
    profile_only = credentials("profile")
    headers = {**JSON_TYPE}
    assert xapi.put("/xapi/activities/state", params=STATE, content=b"{}",
                    headers={**state_only, **headers}).status_code == 204
    assert xapi.put("/xapi/activities/profile", params=ACTIVITY_PROFILE, content=b"{}",
                    headers={**state_only, **headers}).status_code == 403
    assert xapi.get("/xapi/activities/state", params=STATE,
                    headers=profile_only).status_code == 403
    other_org = credentials("all", org="other")
    assert xapi.get("/xapi/activities/state", params=STATE,
                    headers=other_org).status_code == 404

