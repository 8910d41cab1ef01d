"""The statement resource (Comm 2.1), on SQLite and PostgreSQL. Ids are the ADL conformance
requirements (XAPI-nnnnn) each test covers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.lrs.conftest import ACTIVITY, AGENT, Credentials, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def post(xapi: TestClient, auth: dict[str, str], body: Any) -> Any:
    response = xapi.post("/xapi/statements", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def get_one(xapi: TestClient, auth: dict[str, str], sid: str, **params: str) -> Any:
    response = xapi.get("/xapi/statements", params={"statementId": sid, **params},
                        headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def listed(xapi: TestClient, auth: dict[str, str], **params: str) -> list[Any]:
    response = xapi.get("/xapi/statements", params=params, headers=auth)
    assert response.status_code == 200, response.text
    statements: list[Any] = response.json()["statements"]
    return statements


def test_post_returns_ids_in_order_and_fills_lrs_fields(xapi: TestClient,
                                                        auth: dict[str, str]) -> None:
    """XAPI-00146, XAPI-00026 (id generated), XAPI-00023 (stored), XAPI-00024 (authority),
    XAPI-00104 (version 1.0.0 when absent)."""
    given = str(uuid.uuid4())
    ids = post(xapi, auth, [statement(id=given), statement()])
    assert ids[0] == given
    assert len(ids) == 2
    assert ids[1] != given
    stored = get_one(xapi, auth, ids[1])
    assert stored["id"] == ids[1]
    assert stored["version"] == "1.0.0"
    assert stored["stored"].endswith("Z")
    assert stored["timestamp"] == stored["stored"]
    assert stored["authority"]["account"]["homePage"].endswith("/organisations/acme/lrs-clients")


def test_client_stored_and_authority_are_overwritten(xapi: TestClient,
                                                     auth: dict[str, str]) -> None:
    """XAPI-00023: the LRS sets stored; Data 2.4.9: authority comes from the credentials."""
    fake = {"objectType": "Agent", "mbox": "mailto:boss@example.com"}
    [sid] = post(xapi, auth, statement(stored="2001-01-01T00:00:00Z", authority=fake))
    stored = get_one(xapi, auth, sid)
    assert stored["stored"] != "2001-01-01T00:00:00Z"
    assert stored["authority"] != fake


def test_put_stores_once_and_never_modifies(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00143, XAPI-00142 (no modification), Comm 2.1.1.s2.b3 (409 on different content)."""
    sid = str(uuid.uuid4())
    first = xapi.put("/xapi/statements", params={"statementId": sid}, json=statement(),
                     headers=auth)
    assert first.status_code == 204
    before = get_one(xapi, auth, sid)
    same = xapi.put("/xapi/statements", params={"statementId": sid}, json=statement(),
                    headers=auth)
    assert same.status_code == 204
    different = statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"})
    clash = xapi.put("/xapi/statements", params={"statementId": sid}, json=different,
                     headers=auth)
    assert clash.status_code == 409
    assert "never changed" in clash.json()["message"]
    assert xapi.post("/xapi/statements", json=dict(different, id=sid),
                     headers=auth).status_code == 409
    assert get_one(xapi, auth, sid) == before


def test_put_needs_a_matching_statement_id(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00145 (no statementId is a 400), Comm 2.1.1.s3.b3 (the ids must agree)."""
    assert xapi.put("/xapi/statements", json=statement(), headers=auth).status_code == 400
    other = xapi.put("/xapi/statements", params={"statementId": str(uuid.uuid4())},
                     json=statement(id=str(uuid.uuid4())), headers=auth)
    assert other.status_code == 400
    assert "differs" in other.text


def test_a_batch_is_atomic(xapi: TestClient, auth: dict[str, str]) -> None:
    """Comm 2.1.2: one bad statement rejects the batch; duplicate ids in a batch are a 400."""
    good = statement(id=str(uuid.uuid4()))
    bad = statement(verb={"id": "not an iri"})
    response = xapi.post("/xapi/statements", json=[good, bad], headers=auth)
    assert response.status_code == 400
    assert response.json()["problems"][0]["where"] == "statements[1]"
    assert xapi.get("/xapi/statements", params={"statementId": good["id"]},
                    headers=auth).status_code == 404
    twice = xapi.post("/xapi/statements", json=[good, good], headers=auth)
    assert twice.status_code == 400
    assert "same id" in twice.text


def test_a_property_given_twice_is_a_400(xapi: TestClient, auth: dict[str, str]) -> None:
    """Data 2.2.s2.b2: a statement is a JSON object whose property names are unique."""
    body = json.dumps(statement(id=str(uuid.uuid4())))[:-1] + ', "verb": {"id": "http://x.example/v"}}'
    response = xapi.post("/xapi/statements", content=body,
                         headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "'verb' is given twice" in response.text


SUB = {"objectType": "SubStatement", "actor": AGENT,
       "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
       "object": {"id": "http://example.com/activities/q"}}


@pytest.mark.parametrize(("changes", "field"), [
    # XAPI-00049: interactionType is one of the listed strings, never an object or array.
    ({"object": {"id": ACTIVITY, "definition": {"interactionType": {"test": "value"}}}},
     "object.definition.interactionType"),
    ({"object": {"id": ACTIVITY, "definition": {"interactionType": ["choice"]}}},
     "object.definition.interactionType"),
    ({"object": {**SUB, "object": {"id": ACTIVITY, "definition": {
        "interactionType": {"test": "value"}}}}}, "object.object.definition.interactionType"),
    # Data 4.2: a language map has at least one entry.
    ({"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {}}},
     "verb.display"),
    ({"object": {"id": ACTIVITY, "definition": {"name": {}}}}, "object.definition.name"),
    ({"object": {**SUB, "object": {"id": ACTIVITY, "definition": {"description": {}}}}},
     "object.object.definition.description"),
    ({"attachments": [{"usageType": "http://example.com/u", "display": {},
                       "contentType": "text/plain", "length": 1, "sha2": "a" * 64,
                       "fileUrl": "http://example.com/f"}]}, "attachments[0].display"),
    # Data 2.4.6.2: contextActivities holds one or more of parent, grouping, category, other.
    ({"context": {"contextActivities": {}}}, "context.contextActivities"),
    ({"object": {**SUB, "context": {"contextActivities": {}}}},
     "object.context.contextActivities"),
])
def test_malformed_parts_are_named_in_the_400(xapi: TestClient, auth: dict[str, str],
                                              changes: dict[str, Any], field: str) -> None:
    response = xapi.post("/xapi/statements", json=statement(**changes), headers=auth)
    assert response.status_code == 400, response.text
    assert f"$.{field}" in {p["field"] for p in response.json()["problems"]}


def test_filters_match_their_statements(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00164, XAPI-00178 to XAPI-00181: agent, verb, activity and registration."""
    registration = str(uuid.uuid4())
    other_agent = {"mbox": "mailto:kim@example.com"}
    post(xapi, auth, [
        statement(),
        statement(actor=other_agent, context={"registration": registration}),
        statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"}),
        statement(object={"id": "http://example.com/other"}),
    ])
    by_agent = listed(xapi, auth, agent=json.dumps(other_agent))
    assert [s["actor"] for s in by_agent] == [other_agent]
    assert len(listed(xapi, auth, registration=registration)) == 1
    assert len(listed(xapi, auth, verb="http://adlnet.gov/expapi/verbs/passed")) == 1
    assert len(listed(xapi, auth, activity="http://example.com/other")) == 1
    both = listed(xapi, auth, agent=json.dumps(AGENT), activity=ACTIVITY)
    assert len(both) == 2  # the first and the one with "passed"
    assert listed(xapi, auth, agent=json.dumps({"mbox": "mailto:nobody@example.com"})) == []


def test_related_filters_reach_context_authority_and_substatements(
        xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00176 (related_agents), XAPI-00177 (related_activities)."""
    teacher = {"mbox": "mailto:teacher@example.com"}
    parent = "http://example.com/course"
    post(xapi, auth, [
        statement(context={"instructor": teacher, "contextActivities": {"parent": {
            "id": parent}}}),
        statement(object={"objectType": "SubStatement", "actor": teacher,
                          "verb": {"id": "http://example.com/verbs/planned"},
                          "object": {"id": parent}}),
    ])
    assert listed(xapi, auth, agent=json.dumps(teacher)) == []
    assert len(listed(xapi, auth, agent=json.dumps(teacher), related_agents="true")) == 2
    assert listed(xapi, auth, activity=parent) == []
    assert len(listed(xapi, auth, activity=parent, related_activities="true")) == 2


def test_group_members_match_the_agent_filter(xapi: TestClient, auth: dict[str, str]) -> None:
    """Comm 2.1.3: a Group whose members include the agent matches."""
    group = {"objectType": "Group", "member": [AGENT, {"mbox": "mailto:kim@example.com"}]}
    [sid] = post(xapi, auth, statement(actor=group))
    assert [s["id"] for s in listed(xapi, auth, agent=json.dumps(AGENT))] == [sid]


def test_since_until_ascending_and_limit(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00166 (ascending), XAPI-00173 (limit), XAPI-00174 (until), XAPI-00175 (since)."""
    ids = [post(xapi, auth, statement())[0] for _ in range(4)]
    newest_first = listed(xapi, auth)
    assert [s["id"] for s in newest_first] == ids[::-1]
    assert [s["id"] for s in listed(xapi, auth, ascending="true")] == ids
    assert [s["id"] for s in listed(xapi, auth, limit="2")] == ids[:1:-1]
    second = newest_first[2]["stored"]
    assert [s["id"] for s in listed(xapi, auth, since=second)] == ids[:1:-1]
    assert [s["id"] for s in listed(xapi, auth, until=second)] == ids[1::-1]


def test_more_pages_through_everything_once(xapi: TestClient, auth: dict[str, str]) -> None:
    """Data 2.5: `more` is a relative IRL to the next page, empty at the end."""
    ids = post(xapi, auth, [statement() for _ in range(7)])
    seen: list[str] = []
    response = xapi.get("/xapi/statements", params={"limit": "3"}, headers=auth)
    while True:
        body = response.json()
        seen += [s["id"] for s in body["statements"]]
        if not body["more"]:
            break
        assert body["more"].startswith("/xapi/statements/more/")
        post(xapi, auth, statement())  # a new statement does not shift later pages
        response = xapi.get(body["more"], headers=auth)
    assert seen == ids[::-1]
    assert xapi.get("/xapi/statements/more/not-a-token", headers=auth).status_code == 400


def test_voiding_hides_the_target_but_not_what_refers_to_it(xapi: TestClient,
                                                            auth: dict[str, str]) -> None:
    """XAPI-00016 to XAPI-00018 (voiding), XAPI-00155, XAPI-00162, XAPI-00163."""
    [target] = post(xapi, auth, statement())
    ref = {"objectType": "StatementRef", "id": target}
    [voiding] = post(xapi, auth, statement(verb={"id": VOIDED}, object=ref))
    assert xapi.get("/xapi/statements", params={"statementId": target},
                    headers=auth).status_code == 404
    voided = xapi.get("/xapi/statements", params={"voidedStatementId": target}, headers=auth)
    assert voided.status_code == 200
    assert voided.json()["id"] == target
    ids = [s["id"] for s in listed(xapi, auth)]
    assert voiding in ids
    assert target not in ids
    # A voiding statement cannot be voided.
    again = xapi.post("/xapi/statements", json=statement(
        verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voiding}),
        headers=auth)
    assert again.status_code == 400


def test_voiding_before_the_target_arrives(xapi: TestClient, auth: dict[str, str]) -> None:
    """Data 2.3.2.s2.b5: the target need not be there yet; it is stored voided."""
    target = str(uuid.uuid4())
    post(xapi, auth, statement(verb={"id": VOIDED},
                               object={"objectType": "StatementRef", "id": target}))
    post(xapi, auth, statement(id=target))
    assert xapi.get("/xapi/statements", params={"statementId": target},
                    headers=auth).status_code == 404
    assert xapi.get("/xapi/statements", params={"voidedStatementId": target},
                    headers=auth).status_code == 200


def test_statements_targeting_a_match_match_too(xapi: TestClient, auth: dict[str, str]
                                                ) -> None:
    """Comm 2.1.3.s3: a StatementRef to a matching statement matches, through chains and
    whichever of the two arrives first."""
    kim = {"mbox": "mailto:kim@example.com"}
    [original] = post(xapi, auth, statement())
    [comment] = post(xapi, auth, statement(
        actor=kim, verb={"id": "http://example.com/verbs/confirmed"},
        object={"objectType": "StatementRef", "id": original}))
    [chain] = post(xapi, auth, statement(
        actor=kim, verb={"id": "http://example.com/verbs/liked"},
        object={"objectType": "StatementRef", "id": comment}))
    early_target = str(uuid.uuid4())
    [early] = post(xapi, auth, statement(
        actor=kim, verb={"id": "http://example.com/verbs/liked"},
        object={"objectType": "StatementRef", "id": early_target}))
    post(xapi, auth, statement(id=early_target))
    found = {s["id"] for s in listed(xapi, auth, activity=ACTIVITY)}
    assert {original, comment, chain, early, early_target} <= found
    by_verb = {s["id"] for s in listed(xapi, auth, verb="http://example.com/verbs/confirmed")}
    assert by_verb == {comment, chain}


def test_single_statement_parameters_stand_alone(xapi: TestClient, auth: dict[str, str]
                                                 ) -> None:
    """XAPI-00150, XAPI-00151; Comm 2.1.3.s2.b1 (not both ids)."""
    [sid] = post(xapi, auth, statement())
    for params in ({"statementId": sid, "limit": "1"},
                   {"voidedStatementId": sid, "agent": json.dumps(AGENT)},
                   {"statementId": sid, "voidedStatementId": sid}):
        assert xapi.get("/xapi/statements", params=params, headers=auth).status_code == 400
    assert xapi.get("/xapi/statements", params={"statementId": sid, "format": "ids",
                                                "attachments": "false"},
                    headers=auth).status_code == 200


def test_formats_ids_exact_and_canonical(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00168 to XAPI-00172: ids cuts objects to identifiers; canonical picks one language
    by Accept-Language from the definition merged across statements."""
    [sid] = post(xapi, auth, statement(object={"id": ACTIVITY, "definition": {
        "name": {"en-US": "Simulation"}, "type": "http://example.com/types/sim"}}))
    post(xapi, auth, statement(object={"id": ACTIVITY, "definition": {
        "name": {"fr-FR": "Simulation (fr)"}}}))
    ids = get_one(xapi, auth, sid, format="ids")
    assert ids["actor"] == {"objectType": "Agent", "mbox": AGENT["mbox"]}
    assert ids["object"] == {"id": ACTIVITY}
    assert ids["verb"] == {"id": "http://adlnet.gov/expapi/verbs/attempted"}
    # XAPI-00171: a sub-statement's activity is cut to its id as well; groups keep objectType.
    group = {"objectType": "Group", "mbox": "mailto:team@example.com", "name": "Team"}
    [sub] = post(xapi, auth, statement(object={
        "objectType": "SubStatement", "actor": group,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"objectType": "Activity", "id": "http://example.com/activities/map",
                   "definition": {"name": {"en": "Map"}}}}))
    sub_ids = get_one(xapi, auth, sub, format="ids")["object"]
    assert sub_ids["object"] == {"id": "http://example.com/activities/map"}
    assert sub_ids["actor"] == {"objectType": "Group", "mbox": "mailto:team@example.com"}
    exact = get_one(xapi, auth, sid)
    assert exact["object"]["definition"]["name"] == {"en-US": "Simulation"}
    french = xapi.get("/xapi/statements", params={"statementId": sid, "format": "canonical"},
                      headers={**auth, "Accept-Language": "fr-FR, en;q=0.5"}).json()
    assert french["object"]["definition"]["name"] == {"fr-FR": "Simulation (fr)"}
    assert french["object"]["definition"]["type"] == "http://example.com/types/sim"
    assert len(french["verb"]["display"]) == 1
    activity = xapi.get("/xapi/activities", params={"activityId": ACTIVITY}, headers=auth)
    assert activity.json()["definition"]["name"] == {"en-US": "Simulation",
                                                     "fr-FR": "Simulation (fr)"}


def test_context_activities_come_back_as_arrays(xapi: TestClient, auth: dict[str, str]
                                                ) -> None:
    """XAPI-00096 (Data 2.4.6.2.s4.b3)."""
    [sid] = post(xapi, auth, statement(context={"contextActivities": {
        "parent": {"id": "http://example.com/course"}}}))
    parents = get_one(xapi, auth, sid)["context"]["contextActivities"]["parent"]
    assert parents == [{"id": "http://example.com/course"}]


def test_empty_results_and_headers(xapi: TestClient, auth: dict[str, str]) -> None:
    """XAPI-00149 (empty result is 200), XAPI-00153 and XAPI-00160 (Consistent-Through on
    every statements response, errors included), XAPI-00165 (Content-Type)."""
    empty = xapi.get("/xapi/statements", params={"verb": "http://example.com/none"},
                     headers=auth)
    assert empty.json() == {"statements": [], "more": ""}
    assert empty.headers["content-type"] == "application/json"
    for response in (empty, xapi.get("/xapi/statements", params={"nope": "1"}, headers=auth),
                     xapi.get("/xapi/statements", params={"statementId": str(uuid.uuid4())},
                              headers=auth)):
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_scopes_limit_what_a_client_does(xapi: TestClient, credentials: Credentials) -> None:
    """Credentials: read/mine sees only what the client wrote; write-only cannot read."""
    mine = credentials("statements/write,statements/read/mine", name="Quiz tool")
    other = credentials("statements/write")
    reader = credentials("statements/read")
    [own] = post(xapi, mine, statement())
    [theirs] = post(xapi, other, statement())
    assert [s["id"] for s in listed(xapi, mine)] == [own]
    assert xapi.get("/xapi/statements", params={"statementId": theirs},
                    headers=mine).status_code == 404
    assert xapi.get("/xapi/statements", headers=other).status_code == 403
    assert {s["id"] for s in listed(xapi, reader)} == {own, theirs}
    assert xapi.post("/xapi/statements", json=statement(), headers=reader).status_code == 403
    authority = get_one(xapi, reader, own)["authority"]
    assert authority["name"] == "Quiz tool"


def test_organisations_do_not_see_each_other(xapi: TestClient, credentials: Credentials
                                             ) -> None:
    acme, other = credentials("all"), credentials("all", org="other")
    [sid] = post(xapi, acme, statement())
    assert listed(xapi, other) == []
    assert xapi.get("/xapi/statements", params={"statementId": sid},
                    headers=other).status_code == 404
    # Ids are unique across the store: another organisation cannot reuse one, nor learn
    # anything from trying but that it is taken.
    clash = xapi.put("/xapi/statements", params={"statementId": sid},
                     json=statement(verb={"id": "http://example.com/v"}), headers=other)
    assert clash.status_code == 409
    assert get_one(xapi, acme, sid)["verb"]["id"] == "http://adlnet.gov/expapi/verbs/attempted"
