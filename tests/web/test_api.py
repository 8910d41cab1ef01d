"""The JSON API: tokens, access rules, strict bodies with JSON paths, no partial writes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.web.conftest import ITEMS, LESSON, SKILLS, sign_in

Headers = Callable[[str], dict[str, str]]


def test_no_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "not_authenticated"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer ll_nope"}
                      ).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_learner_sees_only_themselves(client: TestClient, token_for: Headers,
                                      seeded: dict[str, int]) -> None:
    headers = token_for("ann")
    listed = client.get("/api/v1/people", headers=headers).json()
    assert [p["email"] for p in listed] == ["ann@acme.example"]
    assert client.get(f"/api/v1/people/{seeded['bob']}", headers=headers).status_code == 403
    assert client.get("/api/v1/teams", headers=headers).status_code == 403


def test_manager_sees_reports_not_peers_or_their_manager(client: TestClient, token_for: Headers,
                                                         seeded: dict[str, int]) -> None:
    headers = token_for("lead")
    emails = {p["email"] for p in client.get("/api/v1/people", headers=headers).json()}
    assert emails == {"lead@acme.example", "ann@acme.example"}
    assert client.get(f"/api/v1/people/{seeded['ann']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/people/{seeded['head']}", headers=headers).status_code == 403
    assert client.get("/api/v1/people/99999", headers=headers).status_code == 404


def test_analyst_gets_no_individual_records(client: TestClient, token_for: Headers,
                                            seeded: dict[str, int]) -> None:
    headers = token_for("ana")
    response = client.get(f"/api/v1/people/{seeded['ann']}", headers=headers)
    assert response.status_code == 403
    assert "aggregates" in response.json()["message"]


def test_bad_person_body_names_every_field_by_json_path(client: TestClient,
                                                        token_for: Headers) -> None:
    headers = token_for("ada")
    response = client.post("/api/v1/people", headers=headers, json={
        "email": "not-an-email", "name": "X", "timezone": "Mars/Base", "roles": ["king"],
        "working_hours": "17:00-17:00"})
    assert response.status_code == 400
    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {"$.email", "$.timezone", "$.roles", "$.working_hours"}
    strict = client.post("/api/v1/people", headers=headers,
                         json={"email": 5, "name": "X", "colour": "red"})
    assert strict.status_code == 400
    assert {p["field"] for p in strict.json()["problems"]} == {"$.email", "$.colour"}
    assert client.post("/api/v1/people", headers=headers, content=b"{",
                       ).status_code == 400


def test_create_person_then_conflict(client: TestClient, token_for: Headers) -> None:
    headers = token_for("ada")
    body = {"email": "new@acme.example", "name": "New Person", "team": "Lifecycle",
            "manager_email": "lead@acme.example"}
    created = client.post("/api/v1/people", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["learner"]
    assert client.post("/api/v1/people", headers=headers, json=body).status_code == 409
    assert client.post("/api/v1/people", headers=token_for("lead"),
                       json={"email": "x@acme.example", "name": "X"}).status_code == 403


def test_csv_import_with_bad_rows_writes_nothing(client: TestClient,
                                                 token_for: Headers) -> None:
    headers = {**token_for("ada"), "Content-Type": "text/csv"}
    before = client.get("/api/v1/people", headers=headers).json()
    csv = ("email,name,roles\nfresh@acme.example,Fresh One,learner\n"
           "broken,Broken,learner\nother@acme.example,,wizard\n")
    response = client.post("/api/v1/people/import", headers=headers, content=csv.encode())
    assert response.status_code == 400
    lines = sorted({p["line"] for p in response.json()["problems"]})
    assert lines == [3, 4]
    assert client.get("/api/v1/people", headers=headers).json() == before
    good = client.post("/api/v1/people/import", headers=headers,
                       content=b"email,name\nfresh@acme.example,Fresh One\n")
    assert good.json() == {"rows": 1, "created": 1, "updated": 0, "teams_created": 0}


def test_browser_session_may_read_the_api_but_not_change_it(client: TestClient) -> None:
    sign_in(client, "ada")
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/people", json={"email": "s@acme.example", "name": "S"}
                       ).status_code == 401


def test_tokens_are_listed_by_prefix_and_revocable(client: TestClient,
                                                   token_for: Headers) -> None:
    headers = token_for("ann")
    made = client.post("/api/v1/me/tokens", headers=headers, json={"name": "laptop"})
    assert made.status_code == 201
    token = made.json()["token"]
    listed = client.get("/api/v1/me/tokens", headers=headers).json()
    assert all("token" not in t for t in listed)
    new_headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=new_headers).status_code == 200
    assert client.delete(f"/api/v1/me/tokens/{made.json()['id']}", headers=headers
                         ).status_code == 204
    assert client.get("/api/v1/me", headers=new_headers).status_code == 401


def _files(**changes: str) -> dict[str, str]:
    files = {"pack.yaml": "id: starter\ntitle: Starter pack\n", "skills.yaml": SKILLS,
             "lessons/bounces.md": LESSON, "items/deliverability.yaml": ITEMS}
    files.update(changes)
    return files


def test_publish_pack_over_the_api(client: TestClient, token_for: Headers) -> None:
    headers = token_for("amy")
    same = client.post("/api/v1/content/packs", headers=headers, json={"files": _files()})
    assert same.status_code == 200
    assert same.json()["unchanged"] is True
    changed = client.post("/api/v1/content/packs", headers=headers, json={
        "files": _files(**{"pack.yaml": "id: starter\ntitle: Starter pack, revised\n"})})
    assert changed.status_code == 201
    assert changed.json()["version"]["number"] == 2
    stray = client.post("/api/v1/content/packs", headers=headers,
                        json={"files": _files(**{"notes/todo.txt": "x"})})
    assert stray.status_code == 400
    assert stray.json()["problems"][0]["field"] == "$.files['notes/todo.txt']"
    assert client.post("/api/v1/content/packs", headers=token_for("ann"),
                       json={"files": _files()}).status_code == 403


def test_invalid_pack_is_rejected_with_file_and_line(client: TestClient,
                                                     token_for: Headers) -> None:
    headers = token_for("amy")
    broken = ITEMS.replace("key: suppress", "key: nowhere")
    response = client.post("/api/v1/content/packs", headers=headers,
                           json={"files": _files(**{"items/deliverability.yaml": broken})})
    assert response.status_code == 400
    problems = response.json()["problems"]
    key = next(p for p in problems if "not among the options" in p["message"])
    assert (key["where"], key["line"], key["field"]) == ("items/deliverability.yaml", 18, "key")
    unkeyed = next(p for p in problems if "needs a misconception" in p["message"])
    assert unkeyed["line"] == 12
    versions = client.get("/api/v1/content/packs", headers=headers).json()
    assert [v["number"] for v in versions] == [1]


def test_items_hide_keys_from_learners(client: TestClient, token_for: Headers) -> None:
    path = "/api/v1/content/packs/starter/versions/1/families/bounce-code/items"
    learner = client.get(path, headers=token_for("ann")).json()
    author = client.get(path, headers=token_for("amy")).json()
    assert all(o["correct"] is None for item in learner for o in item["options"])
    assert [o["correct"] for o in author[0]["options"]] == [True, False]


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/people" in spec["paths"]
    assert "/api/v1/content/packs" in spec["paths"]


def test_patch_person_changes_only_what_is_sent(client: TestClient, token_for: Headers,
                                                seeded: dict[str, int]) -> None:
    headers = token_for("ada")
    path = f"/api/v1/people/{seeded['ann']}"
    response = client.patch(path, headers=headers, json={
        "timezone": "Europe/Berlin", "manager_email": "head@acme.example",
        "roles": ["learner", "reviewer"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["timezone"], body["manager_id"], body["roles"]) == (
        "Europe/Berlin", seeded["head"], ["learner", "reviewer"])
    assert body["name"] == "Ann Learner"
    cleared = client.patch(path, headers=headers, json={"manager_email": None})
    assert cleared.json()["manager_id"] is None


def test_patch_person_reports_every_bad_field(client: TestClient, token_for: Headers,
                                              seeded: dict[str, int]) -> None:
    headers = token_for("ada")
    response = client.patch(f"/api/v1/people/{seeded['head']}", headers=headers, json={
        "timezone": "Nowhere/City", "working_hours": "9-5", "manager_email": "ann@acme.example",
        "roles": ["pilot"], "name": None})
    assert response.status_code == 400
    assert [p["field"] for p in response.json()["problems"]] == ["$.name"]
    response = client.patch(f"/api/v1/people/{seeded['head']}", headers=headers, json={
        "timezone": "Nowhere/City", "working_hours": "9-5", "manager_email": "ann@acme.example",
        "roles": ["pilot"]})
    fields = sorted(p["field"] for p in response.json()["problems"])
    assert fields == ["$.manager_email", "$.roles", "$.timezone", "$.working_hours"]
    assert "loop" in next(p["message"] for p in response.json()["problems"]
                          if p["field"] == "$.manager_email")
    after = client.get(f"/api/v1/people/{seeded['head']}", headers=headers).json()
    assert after["timezone"] == "UTC"


def test_admin_cannot_lock_themselves_out(client: TestClient, token_for: Headers,
                                          seeded: dict[str, int]) -> None:
    headers = token_for("ada")
    path = f"/api/v1/people/{seeded['ada']}"
    response = client.patch(path, headers=headers, json={"active": False, "roles": ["learner"]})
    assert sorted(p["field"] for p in response.json()["problems"]) == ["$.active", "$.roles"]


def test_deactivated_person_loses_api_access(client: TestClient, token_for: Headers,
                                             seeded: dict[str, int]) -> None:
    bob = token_for("bob")
    assert client.get("/api/v1/me", headers=bob).status_code == 200
    client.patch(f"/api/v1/people/{seeded['bob']}", headers=token_for("ada"),
                 json={"active": False})
    response = client.get("/api/v1/me", headers=bob)
    assert response.status_code == 401
    assert "deactivated" in response.json()["message"]
    assert client.patch(f"/api/v1/people/{seeded['bob']}", headers=token_for("lead"),
                        json={"active": True}).status_code == 403


def test_csv_import_reports_row_and_file_problems_in_one_answer(client: TestClient,
                                                                token_for: Headers) -> None:
    headers = {**token_for("ada"), "Content-Type": "text/csv"}
    csv = ("email,name,manager_email\nx1@acme.example,X One,nobody@acme.example\n"
           "not-an-email,Y,\n")
    response = client.post("/api/v1/people/import", headers=headers, content=csv.encode())
    assert response.status_code == 400
    problems = {(p["line"], p["field"]) for p in response.json()["problems"]}
    assert problems == {(2, "manager_email"), (3, "email")}


def test_admin_creates_and_reshapes_teams(client: TestClient, token_for: Headers) -> None:
    headers = token_for("ada")
    teams = {t["name"]: t for t in client.get("/api/v1/teams", headers=headers).json()}
    made = client.post("/api/v1/teams", headers=headers, json={
        "name": "Paid Social", "parent_id": teams["Acquisition"]["id"],
        "manager_email": "bob@acme.example"})
    assert made.status_code == 201, made.text
    social = made.json()
    assert social["parent_id"] == teams["Acquisition"]["id"]
    moved = client.patch(f"/api/v1/teams/{social['id']}", headers=headers,
                         json={"parent_id": None, "manager_email": None, "name": "Social"})
    assert moved.json() == {"id": social["id"], "name": "Social", "parent_id": None,
                            "manager_id": None}
    taken = client.post("/api/v1/teams", headers=headers, json={"name": "Social"})
    assert taken.status_code == 409


def test_team_problems_are_all_reported_and_loops_refused(client: TestClient,
                                                          token_for: Headers) -> None:
    headers = token_for("ada")
    teams = {t["name"]: t for t in client.get("/api/v1/teams", headers=headers).json()}
    bad = client.post("/api/v1/teams", headers=headers, json={
        "name": " ", "parent_id": 9999, "manager_email": "ghost@acme.example"})
    assert bad.status_code == 400
    assert sorted(p["field"] for p in bad.json()["problems"]) == [
        "$.manager_email", "$.name", "$.parent_id"]
    loop = client.patch(f"/api/v1/teams/{teams['Marketing']['id']}", headers=headers,
                        json={"parent_id": teams["Lifecycle"]["id"]})
    assert loop.status_code == 400
    assert "inside itself" in loop.json()["problems"][0]["message"]
    after = {t["name"]: t for t in client.get("/api/v1/teams", headers=headers).json()}
    assert after == teams
    assert client.post("/api/v1/teams", headers=token_for("lead"),
                       json={"name": "Rogue"}).status_code == 403
    assert client.patch("/api/v1/teams/9999", headers=headers,
                        json={"name": "X"}).status_code == 404


def test_patch_moves_a_person_to_another_team(client: TestClient, token_for: Headers,
                                              seeded: dict[str, int]) -> None:
    headers, lead_headers = token_for("ada"), token_for("lead")
    path = f"/api/v1/people/{seeded['ann']}"
    assert client.patch(path, headers=headers, json={"team": "Acquisition"}).status_code == 200
    lead = {p["email"] for p in client.get("/api/v1/people", headers=lead_headers).json()}
    assert "ann@acme.example" in lead  # still Leo's line report
    client.patch(path, headers=headers, json={"manager_email": "head@acme.example"})
    lead = {p["email"] for p in client.get("/api/v1/people", headers=lead_headers).json()}
    assert "ann@acme.example" not in lead  # neither line nor team reports to Leo now
    missing = client.patch(path, headers=headers, json={"team": "Nowhere"})
    assert missing.status_code == 400
    assert missing.json()["problems"][0]["field"] == "$.team"


def test_nul_characters_are_refused_at_every_edge(client: TestClient, token_for: Headers,
                                                  seeded: dict[str, int]) -> None:
    """PostgreSQL cannot store NUL; every way in answers 400 (or a refused sign-in)."""
    headers = token_for("ada")
    token = client.post("/api/v1/me/tokens", headers=headers, json={"name": "a\x00b"})
    assert token.status_code == 400
    assert token.json()["problems"][0]["field"] == "$.name"
    person = client.patch(f"/api/v1/people/{seeded['ann']}", headers=headers,
                          json={"roles": ["learner\x00"]})
    assert person.status_code == 400
    pack = client.post("/api/v1/content/packs", headers=token_for("amy"),
                       json={"files": _files(**{"pack.yaml": "id: starter\x00\n"})})
    assert pack.status_code == 400
    csv = client.post("/api/v1/people/import", headers={**headers, "Content-Type": "text/csv"},
                      content=b"email,name\nx@acme.example,X\x00\n")
    assert csv.status_code == 400
    assert csv.json()["problems"][0]["line"] == 2
    assert client.get("/api/v1/content/packs/star%00ter", headers=headers).status_code == 400


def test_a_team_manager_set_over_the_api_sees_the_team(client: TestClient, token_for: Headers,
                                                       seeded: dict[str, int]) -> None:
    headers, ann = token_for("ada"), token_for("ann")
    squad = client.post("/api/v1/teams", headers=headers,
                        json={"name": "Squad", "manager_email": "ann@acme.example"})
    assert squad.status_code == 201
    client.patch(f"/api/v1/people/{seeded['bob']}", headers=headers, json={"team": "Squad"})
    me = client.get("/api/v1/me", headers=ann).json()
    assert "manager" in me["roles"]
    assert me["reports"] == [seeded["bob"]]


def test_malformed_json_is_reported_at_the_root(client: TestClient, token_for: Headers) -> None:
    response = client.post("/api/v1/people", headers={**token_for("ada"),
                                                      "Content-Type": "application/json"},
                           content=b'{"email": ')
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["field"] == "$"
    assert "not valid JSON" in problem["message"]


def test_unknown_manager_in_a_body_is_named_plainly(client: TestClient,
                                                    token_for: Headers) -> None:
    response = client.post("/api/v1/people", headers=token_for("ada"), json={
        "email": "new2@acme.example", "name": "New", "manager_email": "ghost@acme.example"})
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["field"] == "$.manager_email"
    assert problem["message"] == "no person with email ghost@acme.example in this organisation"


def test_an_unexpected_error_is_a_500_without_internals(client: TestClient,
                                                        token_for: Headers) -> None:
    app = client.app

    @app.get("/api/v1/boom", include_in_schema=False)  # type: ignore[attr-defined, untyped-decorator]
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    quiet = TestClient(app, raise_server_exceptions=False)
    response = quiet.get("/api/v1/boom", headers=token_for("ada"))
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error",
                               "message": "Something went wrong on our side; it has been logged."}
    assert "hunter2" not in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_openapi_document_declares_400_for_bad_input_and_never_422(
        client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert operations
    assert all("400" in op["responses"] for op in operations)
    assert not any("422" in op["responses"] for op in operations)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_retention_follows_the_access_rules(client: TestClient, token_for: Headers,
                                            seeded: dict[str, int]) -> None:
    ann, lead, ana = token_for("ann"), token_for("lead"), token_for("ana")
    mine = client.get(f"/api/v1/people/{seeded['ann']}/retention", headers=ann)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["retention"] == {"due_rechecks": 0, "recalled": 0, "measured": None,
                                 "interval": None, "expected": None, "target": 0.9}
    assert body["personal_parameters"] is False
    assert "no fit tried yet" in body["reason"]
    assert client.get(f"/api/v1/people/{seeded['ann']}/retention",
                      headers=lead).status_code == 200
    assert client.get(f"/api/v1/people/{seeded['bob']}/retention",
                      headers=ann).status_code == 403
    assert client.get(f"/api/v1/people/{seeded['ann']}/retention",
                      headers=ana).status_code == 403
    bad = client.get("/api/v1/people/0/retention", headers=lead)
    assert bad.status_code == 400
    assert "person_id" in bad.text
    teams = client.get("/api/v1/teams", headers=lead).json()
    team = next(t for t in teams if t["name"] == "Lifecycle")
    figure = client.get(f"/api/v1/teams/{team['id']}/retention", headers=ana)
    assert figure.status_code == 200, figure.text
    assert figure.json() == {"team_id": team["id"], "members": 2, "counted": 0,
                             "retention": None, "personal_parameters": 0}
    assert client.get(f"/api/v1/teams/{team['id']}/retention",
                      headers=ann).status_code == 403
    assert client.get("/api/v1/teams/99999/retention", headers=lead).status_code == 404
