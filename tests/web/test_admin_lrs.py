"""The admin page for LRS clients: create (secret shown once), use, revoke; admins only."""

from __future__ import annotations

import base64
import re

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in


def _basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def test_an_admin_creates_uses_and_revokes_a_client(client: TestClient) -> None:
    sign_in(client, "ada")
    page = client.get("/admin/lrs")
    assert page.status_code == 200
    assert "/xapi/" in page.text
    assert 'href="/admin/lrs"' in page.text  # in the navigation
    created = client.post("/admin/lrs", data={
        "name": "Storyline courses", "scopes": ["statements/write", "statements/read"],
        "csrf_token": csrf_of(page.text)})
    assert created.status_code == 201
    key = re.search(r"<dt>Key</dt><dd><code>([^<]+)</code>", created.text)
    secret = re.search(r"<dt>Secret</dt><dd><code>([^<]+)</code>", created.text)
    assert key
    assert secret
    headers = _basic(key.group(1), secret.group(1))
    assert client.get("/xapi/statements", headers=headers).status_code == 200
    listing = client.get("/admin/lrs")
    assert secret.group(1) not in listing.text  # shown once only
    assert "Storyline courses" in listing.text
    client_id = re.search(r'action="/admin/lrs/(\d+)/revoke"', listing.text)
    assert client_id
    revoked = client.post(f"/admin/lrs/{client_id.group(1)}/revoke",
                          data={"csrf_token": csrf_of(listing.text)}, follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get("/xapi/statements", headers=headers).status_code == 401
    assert "revoked" in client.get("/admin/lrs").text


def test_bad_client_forms_say_why(client: TestClient) -> None:
    sign_in(client, "ada")
    page = client.get("/admin/lrs")
    for data in ({"name": "", "scopes": ["all"]}, {"name": "No scopes"},
                 {"name": "Odd", "scopes": ["statements/delete"]}):
        response = client.post("/admin/lrs", data={**data, "csrf_token": csrf_of(page.text)})
        assert response.status_code == 400
        assert "No client was created" in response.text
    assert client.post("/admin/lrs", data={"name": "x", "scopes": ["all"],
                                           "csrf_token": "wrong"}).status_code == 403


def test_only_admins_manage_clients(client: TestClient) -> None:
    sign_in(client, "ann")
    assert client.get("/admin/lrs").status_code == 403
    assert 'href="/admin/lrs"' not in client.get("/").text


def test_failed_forwarding_shows_and_replays(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    from learnloop.domain.xapi import storing
    from learnloop.services import lrs_forwarding
    from learnloop.services.record import new_statement, own_authority
    from learnloop.store.unit import transaction
    from tests.conftest import NOW

    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        lrs_forwarding.configure(repos.lrs, None, org.id, "http://127.0.0.1:9/xapi/", "k",
                                 "s", True, NOW)
        document = storing.prepare(
            {"actor": {"mbox": "mailto:x@example.com"}, "verb": {"id": "http://e.com/v"},
             "object": {"id": "http://e.com/a"}}, "6f9619ff-8b86-d011-b42d-00c04fc964ff", NOW,
            own_authority(org))
        repos.statements.add([new_statement(org.id, None, document)], NOW)
        [item] = repos.lrs.outbox(org.id, None, 10)
        repos.lrs.update_outbox(item.id, state="failed", attempts=12,
                                last_error="HTTP 500: down")
    sign_in(client, "ada")
    page = client.get("/admin/lrs")
    assert "http://127.0.0.1:9/xapi/" in page.text
    assert "HTTP 500: down" in page.text
    assert "1 failed" in page.text
    replayed = client.post("/admin/lrs/replay", data={"csrf_token": csrf_of(page.text)},
                           follow_redirects=False)
    assert replayed.status_code == 303
    assert "1 pending" in client.get("/admin/lrs").text


def test_an_admin_sets_up_changes_and_stops_forwarding(client: TestClient, sessions) -> None:  # type: ignore[no-untyped-def]
    from learnloop.store.unit import transaction

    sign_in(client, "ada")
    page = client.get("/admin/lrs")
    assert "Set up forwarding" in page.text
    token = csrf_of(page.text)
    for data, field in (({"endpoint": "ftp://lrs.example.com/", "username": "k",
                          "secret": "s"}, "endpoint"),
                        ({"endpoint": "https://lrs.example.com/xapi", "username": "",
                          "secret": "s"}, "username"),
                        ({"endpoint": "https://lrs.example.com/xapi", "username": "k",
                          "secret": ""}, "secret")):
        refused = client.post("/admin/lrs/forwarding",
                              data={**data, "enabled": "on", "csrf_token": token})
        assert refused.status_code == 400
        assert "Forwarding was not changed" in refused.text
        assert f"<strong>{field}</strong>" in refused.text
    assert "Set up forwarding" in client.get("/admin/lrs").text  # nothing was stored
    saved = client.post("/admin/lrs/forwarding", data={
        "endpoint": "https://lrs.example.com/xapi", "username": "key1", "secret": "s3cret",
        "enabled": "on", "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get("/admin/lrs")
    assert "forwarded to <code>https://lrs.example.com/xapi/</code>" in page.text
    assert "s3cret" not in page.text
    # A blank secret keeps the stored one; unticking the box turns forwarding off.
    off = client.post("/admin/lrs/forwarding", data={
        "endpoint": "https://lrs.example.com/xapi/", "username": "key2", "secret": "",
        "csrf_token": token}, follow_redirects=False)
    assert off.status_code == 303
    assert "is off" in client.get("/admin/lrs").text
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        stored = repos.lrs.forwarding(org.id)
    assert stored is not None
    assert (stored.username, stored.secret, stored.enabled) == ("key2", "s3cret", False)
    assert client.post("/admin/lrs/forwarding", data={
        "endpoint": "https://lrs.example.com/xapi/", "username": "k", "secret": "s",
        "csrf_token": "wrong"}).status_code == 403


def test_only_admins_set_forwarding(client: TestClient) -> None:
    sign_in(client, "ann")
    page = client.get("/")
    response = client.post("/admin/lrs/forwarding", data={
        "endpoint": "https://lrs.example.com/xapi/", "username": "k", "secret": "s",
        "enabled": "on", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 403
    assert "Only admins" in response.text
