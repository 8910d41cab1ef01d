"""What every xAPI request shares: versions, authentication, HEAD, the alternate request
syntax, content types, multipart attachments and size limits (Comm 1 and 3)."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.lrs.conftest import ACTIVITY, AGENT, VERSION, Credentials, statement


def test_about_needs_no_credentials_or_version(xapi: TestClient) -> None:
    """Comm 2.8 (XAPI-00314 and around): versions are 1.0.x only; every response names 1.0.3."""
    about = xapi.get("/xapi/about")
    assert about.status_code == 200
    assert about.json()["version"][0] == "1.0.3"
    assert all(v.startswith("1.0.") for v in about.json()["version"])
    assert about.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize("version", [None, "0.9", "0.95", "1.1.0", "2.0.0", "1.0.x"])
def test_unsupported_versions_are_400s(xapi: TestClient, auth: dict[str, str],
                                       version: str | None) -> None:
    """Comm 3.3: a missing or unsupported X-Experience-API-Version is a 400."""
    headers = {"Authorization": auth["Authorization"]}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    response = xapi.get("/xapi/statements", headers=headers)
    assert response.status_code == 400
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.2", "1.0.3", "1.0.9"])
def test_any_1_0_version_is_accepted(xapi: TestClient, auth: dict[str, str],
                                     version: str) -> None:
    headers = {**auth, "X-Experience-API-Version": version}
    assert xapi.get("/xapi/statements", headers=headers).status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer abc", "Basic !!!", "Basic " +
                                           "bHJzX25vYm9keTp3cm9uZw=="])
def test_wrong_credentials_are_401s(xapi: TestClient, authorization: str | None) -> None:
    """Comm 4.0: missing or wrong credentials are a 401 with a Basic challenge."""
    headers = dict(VERSION)
    if authorization:
        headers["Authorization"] = authorization
    response = xapi.get("/xapi/statements", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_revoked_client_stops_at_once(xapi: TestClient, credentials: Credentials,
                                        sessions) -> None:  # type: ignore[no-untyped-def]
    from learnloop.services import lrs_clients
    from learnloop.store.unit import transaction
    from tests.conftest import NOW

    headers = credentials("all", name="Old tool")
    assert xapi.get("/xapi/statements", headers=headers).status_code == 200
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        [client] = [c for c in repos.lrs.clients(org.id) if c.name == "Old tool"]
        lrs_clients.revoke(repos.lrs, None, org.id, client.id, NOW)
    assert xapi.get("/xapi/statements", headers=headers).status_code == 401


def test_unknown_resources_and_methods(xapi: TestClient, auth: dict[str, str]) -> None:
    assert xapi.get("/xapi/nothing", headers=auth).status_code == 404
    response = xapi.delete("/xapi/statements", headers=auth)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_head_answers_like_get_without_a_body(xapi: TestClient, auth: dict[str, str]) -> None:
    """Comm 1.1: HEAD on every GET resource."""
    for path, params in (("/xapi/statements", {}), ("/xapi/about", {}),
                         ("/xapi/activities", {"activityId": ACTIVITY}),
                         ("/xapi/agents", {"agent": json.dumps(AGENT)})):
        head = xapi.head(path, params=params, headers=auth)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["X-Experience-API-Version"] == "1.0.3"
    assert xapi.head("/xapi/statements", params={"statementId": "nope"},
                     headers=auth).status_code == 400


def test_agents_resource_returns_a_person(xapi: TestClient, auth: dict[str, str]) -> None:
    """Comm 2.4: a Person object whose properties are arrays; 400 without a valid agent."""
    person = xapi.get("/xapi/agents", params={"agent": json.dumps(AGENT)}, headers=auth).json()
    assert person == {"objectType": "Person", "name": ["Sam"], "mbox": [AGENT["mbox"]]}
    assert xapi.get("/xapi/agents", headers=auth).status_code == 400
    assert xapi.get("/xapi/agents", params={"agent": '{"name": "no ifi"}'},
                    headers=auth).status_code == 400


def test_a_learner_is_one_person_by_email_and_by_account(xapi: TestClient,
                                                         auth: dict[str, str]) -> None:
    """Comm 2.4: the Person object joins what the LRS knows of a learner, so a tool that
    knows Ann's email finds her learnloop account, and the other way round."""
    by_email = xapi.get("/xapi/agents", params={"agent": json.dumps(
        {"mbox": "mailto:Ann@acme.example"})}, headers=auth).json()
    assert by_email["name"] == ["Ann Learner"]
    assert by_email["mbox"] == ["mailto:Ann@acme.example", "mailto:ann@acme.example"]
    digest = hashlib.sha1(b"mailto:ann@acme.example").hexdigest()  # noqa: S324
    assert by_email["mbox_sha1sum"] == [digest]
    [account] = by_email["account"]
    assert account["homePage"].endswith("/acme")
    by_account = xapi.get("/xapi/agents", params={"agent": json.dumps(
        {"account": account})}, headers=auth).json()
    assert by_account["mbox"] == ["mailto:ann@acme.example"]
    assert by_account["account"] == [account]
    stranger = xapi.get("/xapi/agents", params={"agent": json.dumps(
        {"mbox": "mailto:nobody@elsewhere.example"})}, headers=auth).json()
    assert stranger == {"objectType": "Person", "mbox": ["mailto:nobody@elsewhere.example"]}


def test_activities_resource(xapi: TestClient, auth: dict[str, str]) -> None:
    """Comm 2.5: the activity, with no definition when none was ever given; 400 without id."""
    unknown = xapi.get("/xapi/activities", params={"activityId": "http://example.com/x"},
                       headers=auth)
    assert unknown.json() == {"objectType": "Activity", "id": "http://example.com/x"}
    assert xapi.get("/xapi/activities", headers=auth).status_code == 400


def _form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def test_alternate_request_syntax(xapi: TestClient, auth: dict[str, str]) -> None:
    """Comm 1.3: any method as a POST with ?method= and the headers and content as form
    fields; XAPI-00148 (a GET inside a POST)."""
    sid = str(uuid.uuid4())
    form = {"Authorization": auth["Authorization"], "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json", "content": json.dumps(statement()),
            "statementId": sid}
    put = xapi.post("/xapi/statements?method=PUT", content=_form(form),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert put.status_code == 204, put.text
    get = xapi.post("/xapi/statements?method=GET", content=_form({
        "Authorization": auth["Authorization"], "X-Experience-API-Version": "1.0.3",
        "statementId": sid}), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert get.status_code == 200
    assert get.json()["id"] == sid
    as_json = xapi.post("/xapi/statements?method=GET", content=b"{}",
                        headers={**auth, "Content-Type": "application/json"})
    assert as_json.status_code == 400
    not_post = xapi.get("/xapi/statements?method=GET", headers=auth)
    assert not_post.status_code == 400
    # XAPI-00336: the Content-Type form field is a SHOULD; statements content is JSON.
    bare = {k: v for k, v in form.items() if k != "Content-Type"}
    bare_put = xapi.post("/xapi/statements?method=PUT",
                         content=_form({**bare, "statementId": str(uuid.uuid4())}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bare_put.status_code == 204, bare_put.text
    extra = xapi.post(f"/xapi/statements?method=GET&statementId={sid}",
                      content=_form({"Authorization": auth["Authorization"]}),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert extra.status_code == 400


def _multipart(statements: object, parts: list[tuple[bytes, dict[str, str]]],
               boundary: str = "xapi-boundary-123") -> tuple[bytes, str]:
    crlf = b"\r\n"
    out = [b"--" + boundary.encode() + crlf + b"Content-Type: application/json" + crlf + crlf
           + json.dumps(statements).encode()]
    for data, headers in parts:
        head = b"".join(f"{k}: {v}".encode() + crlf for k, v in headers.items())
        out.append(b"--" + boundary.encode() + crlf + head + crlf + data)
    body = crlf.join(out) + crlf + b"--" + boundary.encode() + b"--"
    return body, f'multipart/mixed; boundary="{boundary}"'


def _attached(data: bytes) -> tuple[dict[str, object], dict[str, str]]:
    digest = hashlib.sha256(data).hexdigest()
    meta = {"usageType": "http://example.com/attachment-usage/test",
            "display": {"en-US": "A test attachment"}, "contentType": "text/plain",
            "length": len(data), "sha2": digest}
    part = {"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary",
            "X-Experience-API-Hash": digest}
    return meta, part


def test_attachments_round_trip_and_are_kept_once(xapi: TestClient, auth: dict[str, str],
                                                  sessions) -> None:  # type: ignore[no-untyped-def]
    """Comm 1.5.2, XAPI-00167: multipart in, multipart out with attachments=true."""
    from sqlalchemy import func, select

    from learnloop.store import tables as t

    data = b"here is a simple attachment"
    meta, part = _attached(data)
    body, kind = _multipart([statement(attachments=[meta]), statement(attachments=[meta])],
                            [(data, part)])
    response = xapi.post("/xapi/statements", content=body,
                         headers={**auth, "Content-Type": kind})
    assert response.status_code == 200, response.text
    sid = response.json()[0]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(t.AttachmentRow)) == 1
    plain = xapi.get("/xapi/statements", params={"statementId": sid}, headers=auth)
    assert plain.headers["content-type"] == "application/json"  # XAPI-00161
    multi = xapi.get("/xapi/statements", params={"statementId": sid, "attachments": "true"},
                     headers=auth)
    assert multi.headers["content-type"].startswith("multipart/mixed; boundary=")
    assert data in multi.content
    assert meta["sha2"].encode() in multi.content
    # XAPI-00154, XAPI-00164: a list with attachments=true is multipart too; the boundary is
    # a bare token (clients that do not unquote still find it in the body).
    listed = xapi.get("/xapi/statements", params={"attachments": "true"}, headers=auth)
    boundary = listed.headers["content-type"].split("boundary=")[1]
    assert '"' not in boundary
    first = listed.content.split(b"--" + boundary.encode())[1]
    assert b'"statements"' in first
    assert data in listed.content


@pytest.mark.parametrize("case", ["missing part", "extra part", "wrong hash", "no boundary",
                                  "not binary", "first part not json", "no file url"])
def test_bad_multipart_requests_store_nothing(xapi: TestClient, auth: dict[str, str],
                                              case: str) -> None:
    data = b"attachment data"
    meta, part = _attached(data)
    sid = str(uuid.uuid4())
    statements = [statement(id=sid, attachments=[meta])]
    parts = [(data, part)]
    kind_override = None
    if case == "missing part":
        parts = []
    elif case == "extra part":
        other = b"other"
        parts.append((other, {**part, "X-Experience-API-Hash":
                              hashlib.sha256(other).hexdigest()}))
    elif case == "wrong hash":
        parts = [(b"tampered", part)]
    elif case == "not binary":
        parts = [(data, {k: v for k, v in part.items() if k != "Content-Transfer-Encoding"})]
    body, kind = _multipart(statements, parts)
    if case == "no boundary":
        kind_override = "multipart/mixed"
    if case == "first part not json":
        body = body.replace(b"Content-Type: application/json", b"Content-Type: text/plain", 1)
    if case == "no file url":  # JSON only, but an attachment without fileUrl needs its part
        response = xapi.post("/xapi/statements", json=statements, headers=auth)
    else:
        response = xapi.post("/xapi/statements", content=body,
                             headers={**auth, "Content-Type": kind_override or kind})
    assert response.status_code == 400, response.text
    assert xapi.get("/xapi/statements", params={"statementId": sid},
                    headers=auth).status_code == 404


def test_file_url_attachments_need_no_parts(xapi: TestClient, auth: dict[str, str]) -> None:
    meta, _ = _attached(b"hosted elsewhere")
    meta["fileUrl"] = "https://example.com/files/1"
    response = xapi.post("/xapi/statements", json=statement(attachments=[meta]), headers=auth)
    assert response.status_code == 200


@pytest.mark.parametrize("body", [
    b'{"actor": {"mbox": "mailto:a@example.com"}, "actor": {"mbox": "mailto:b@example.com"}}',
    b'{"result": {"score": {"raw": NaN}}}',
    b"\xff\xfe not utf-8",
    b"[" * 100_000,
    b"",
])
def test_malformed_json_is_a_400(xapi: TestClient, auth: dict[str, str], body: bytes) -> None:
    response = xapi.post("/xapi/statements", content=body,
                         headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text


def test_wrong_content_type_is_a_400(xapi: TestClient, auth: dict[str, str]) -> None:
    response = xapi.post("/xapi/statements", content=json.dumps(statement()).encode(),
                         headers={**auth, "Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "Content-Type" in response.text


def test_too_large_bodies_are_413s(engine, lrs_org, clock, credentials) -> None:  # type: ignore[no-untyped-def]
    """Limits: a body over LEARNLOOP_XAPI_MAX_BODY_MB is refused with a message."""
    from learnloop.security.passwords import Argon2Passwords
    from learnloop.settings import load_settings
    from learnloop.web.app import create_app

    settings = load_settings(environment="test", database_url=str(engine.url),
                             xapi_max_body_mb=1)
    app = create_app(settings, engine=engine, clock=clock, passwords=Argon2Passwords(fast=True))
    with TestClient(app) as client:
        headers = {**credentials("all"), "Content-Type": "application/json"}
        big = json.dumps([statement(result={"response": "x" * 600_000}) for _ in range(2)])
        response = client.post("/xapi/statements", content=big.encode(), headers=headers)
        assert response.status_code == 413
        assert "at most" in response.json()["message"]
        assert client.get("/xapi/statements", headers=headers).json()["statements"] == []


def test_pages_on_other_origins_may_call_the_lrs(xapi: TestClient,
                                                 auth: dict[str, str]) -> None:
    """CORS: content running in a learner's browser posts statements; the preflight needs no
    credentials, and every answer (errors too) lets the page read it."""
    origin = {"Origin": "https://courses.example.com"}
    asked = xapi.options("/xapi/statements", headers={
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-experience-api-version"})
    assert asked.status_code == 204
    assert asked.headers["access-control-allow-origin"] == "*"
    assert "POST" in asked.headers["access-control-allow-methods"]
    assert "X-Experience-API-Version" in asked.headers["access-control-allow-headers"]
    posted = xapi.post("/xapi/statements", json=statement(), headers={**auth, **origin})
    assert posted.status_code == 200
    assert posted.headers["access-control-allow-origin"] == "*"
    assert "X-Experience-API-Consistent-Through" in posted.headers[
        "access-control-expose-headers"]
    refused = xapi.post("/xapi/statements", json={"verb": 1}, headers={**auth, **origin})
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in xapi.get("/xapi/about").headers  # no Origin
    assert "access-control-allow-origin" not in xapi.get("/", headers=origin).headers


@pytest.mark.parametrize(("allowed", "origin", "answer"), [
    ("https://a.example.com, https://b.example.com", "https://b.example.com",
     "https://b.example.com"),
    ("https://a.example.com", "https://evil.example.com", None),
    ("", "https://a.example.com", None),
])
def test_cors_origins_can_be_limited(engine, lrs_org, clock, allowed: str, origin: str,  # type: ignore[no-untyped-def]
                                     answer: str | None) -> None:
    from learnloop.security.passwords import Argon2Passwords
    from learnloop.settings import load_settings
    from learnloop.web.app import create_app

    settings = load_settings(environment="test", database_url=str(engine.url),
                             xapi_cors_origins=allowed)
    app = create_app(settings, engine=engine, clock=clock, passwords=Argon2Passwords(fast=True))
    with TestClient(app) as client:
        response = client.get("/xapi/about", headers={"Origin": origin})
        assert response.headers.get("access-control-allow-origin") == answer
        if answer is not None:
            assert response.headers["vary"] == "Origin"
