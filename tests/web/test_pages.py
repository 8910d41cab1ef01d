"""Pages through the in-process client: sign-in with CSRF, and what each role may open."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.learner.irt import WEAK_PRIOR, Calibration, ItemParameters
from learnloop.services import people
from learnloop.settings import load_settings
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def test_signed_out_pages_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/author", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/author"


def test_sign_in_needs_the_form_csrf_token(client: TestClient) -> None:
    client.get("/signin")
    response = client.post("/signin", data={"email": "ann@acme.example", "password": PASSWORD,
                                             "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert "did not come from this site" in response.text


def test_wrong_password_and_unknown_email_read_the_same(client: TestClient) -> None:
    texts = []
    for email, password in [("ann@acme.example", "wrong-password"),
                            ("nobody@acme.example", PASSWORD)]:
        token = csrf_of(client.get("/signin").text)
        response = client.post("/signin", data={"email": email, "password": password,
                                                 "csrf_token": token})
        assert response.status_code == 401
        texts.append("The email or password is not right." in response.text)
    assert texts == [True, True]


def test_session_cookie_is_http_only_and_sign_out_needs_csrf(client: TestClient) -> None:
    page = client.get("/signin")
    response = client.post("/signin", data={
        "email": "ann@acme.example", "password": PASSWORD, "csrf_token": csrf_of(page.text),
        "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"  # an open redirect is refused
    cookie = response.headers["set-cookie"]
    assert "ll_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    home = client.get("/")
    assert "Hello, Ann" in home.text
    assert client.post("/signout", data={"csrf_token": "nope"}).status_code == 403
    out = client.post("/signout", data={"csrf_token": csrf_of(home.text)},
                      follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("who", "path", "status"), [
    ("ann", "/", 200), ("ann", "/learn", 200), ("ann", "/learn/starter/lessons/bounces", 200),
    ("ann", "/author", 403), ("ann", "/admin/people", 403), ("ann", "/admin/teams", 403),
    ("amy", "/author", 200), ("amy", "/author/starter/v/1", 200),
    ("amy", "/author/starter/v/1/families/bounce-code", 200), ("amy", "/admin/people", 403),
    ("ada", "/admin/people", 200), ("ada", "/admin/teams", 200), ("ada", "/author", 200),
    ("ana", "/author", 403), ("lead", "/admin/people", 403),
    ("amy", "/author/starter/v/9", 404), ("ann", "/learn/starter/lessons/missing", 404),
])
def test_each_role_opens_what_it_may(client: TestClient, who: str, path: str,
                                     status: int) -> None:
    sign_in(client, who)
    assert client.get(path).status_code == status


def test_author_sees_every_variant_with_keys_and_misconceptions(client: TestClient) -> None:
    sign_in(client, "amy")
    page = client.get("/author/starter/v/1/families/bounce-code").text
    assert "The server answered 550 5.1.1. What do you do?" in page
    assert "The server answered 552 5.2.2. What do you do?" in page
    assert "soft-hard-confused" in page
    assert "2 distinct variants" in page


def test_lesson_renders_markdown_sections_without_raw_html(client: TestClient) -> None:
    sign_in(client, "ann")
    page = client.get("/learn/starter/lessons/bounces").text
    assert '<section id="hard-bounces"' in page
    assert "<strong>You will be able to:</strong>" in page


def test_manager_home_lists_reports_through_the_hierarchy(client: TestClient) -> None:
    sign_in(client, "head")
    page = client.get("/").text
    for name in ("Leo Lead", "Ann Learner", "Bob Peer"):
        assert name in page
    assert "Ada Admin" not in page


def test_admin_people_filter_answers_htmx_with_rows_only(client: TestClient) -> None:
    sign_in(client, "ada")
    partial = client.get("/admin/people?q=bob", headers={"HX-Request": "true"}).text
    assert "Bob Peer" in partial
    assert "Ann Learner" not in partial
    assert "<html" not in partial


def test_static_htmx_is_served_locally(client: TestClient) -> None:
    response = client.get("/static/htmx.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:2000]


def test_five_wrong_passwords_pause_sign_in_for_that_account(client: TestClient) -> None:
    def attempt(password: str) -> str:
        token = csrf_of(client.get("/signin").text)
        return client.post("/signin", data={"email": "bob@acme.example", "password": password,
                                              "csrf_token": token}).text

    for _ in range(5):
        assert "The email or password is not right." in attempt("wrong-password")
    paused = attempt(PASSWORD)  # the right password, while paused: refused with the same words
    assert "The email or password is not right." in paused
    assert "Hello" not in paused
    sign_in(client, "ann")  # other accounts are not affected


def test_admin_uploads_a_people_csv(client: TestClient) -> None:
    sign_in(client, "ada")
    token = csrf_of(client.get("/admin/people").text)
    bad = client.post("/admin/people/import", data={"csrf_token": token}, files={
        "file": ("team.csv", b"email,name,roles\nnew@acme.example,New,learner\nx,Y,boss\n",
                 "text/csv")})
    assert bad.status_code == 400
    assert "Nothing was imported" in bad.text
    assert "line 3" in bad.text
    assert "unknown role" in bad.text
    assert "New" not in client.get("/admin/people?q=new@").text.split("people-rows")[1]
    good = client.post("/admin/people/import", data={"csrf_token": token}, files={
        "file": ("team.csv", b"email,name\nnew@acme.example,Nia New\n", "text/csv")})
    assert good.status_code == 200
    assert "1 row: 1 created" in good.text
    assert "Nia New" in good.text
    forged = client.post("/admin/people/import", data={"csrf_token": "x"}, files={
        "file": ("team.csv", b"email,name\nz@acme.example,Z\n", "text/csv")})
    assert forged.status_code == 403


def test_sign_in_with_a_nul_character_is_simply_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/signin").text)
    response = client.post("/signin", data={"email": "ann@acme.example\x00",
                                             "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401
    assert "The email or password is not right." in response.text


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/signin")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_api_docs_load_only_local_files(client: TestClient) -> None:
    page = client.get("/api/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/swagger/swagger-ui-bundle.js" in sources
    assert all(s.startswith(("/static/", "data:")) for s in sources)
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_import_notice_is_rebuilt_from_numbers_only(client: TestClient) -> None:
    sign_in(client, "ada")
    assert "3 rows: 1 created, 2 updated, 0 new teams" in client.get(
        "/admin/people?imported=3-1-2-0").text
    spoof = client.get("/admin/people?imported=Your+account+is+suspended").text
    assert "suspended" not in spoof.split('id="people-rows"')[0]


def test_sign_in_lists_demo_accounts_outside_production_only(
        client: TestClient, engine: Engine, sessions: sessionmaker[Session]) -> None:
    assert "Demo accounts" not in client.get("/signin").text  # no demo organisation yet
    with transaction(sessions) as repos:
        org = repos.people.add_organisation("demo", "Demo", "UTC", 5, True, NOW)
        inputs, _ = people.parse_csv("email,name,roles\nboss@demo.example,Boss,admin\n"
                                     "lee@demo.example,Lee,learner\n")
        people.import_people(repos.people, org, None, inputs, NOW)
    page = client.get("/signin").text
    assert "admin</span> <code>boss@demo.example" in page
    assert "learner</span> <code>lee@demo.example" in page
    production = create_app(load_settings(environment="production",
                                          database_url=str(engine.url)), engine=engine)
    with TestClient(production) as prod:
        assert "Demo accounts" not in prod.get("/signin").text


def test_the_author_view_shows_item_calibration_and_flags(
        client: TestClient, sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    sign_in(client, "amy")
    page = client.get("/author/starter/v/1")
    assert "Item diagnostics appear once enough learners have answered" in page.text
    weak = ItemParameters("bounce-code", 0.4, 0.12, responses=180, proportion_correct=0.46,
                          difficulty_se=0.9, discrimination_se=0.15)
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        repos.calibration.replace_items(org.id, "starter", Calibration(
            (weak,), -100.0, 10, True, 180, WEAK_PRIOR), NOW)
    page = client.get("/author/starter/v/1")
    assert page.status_code == 200
    assert "1 of 1 item families calibrated" in page.text
    assert "1 flagged" in page.text
    assert "b 0.4 · a 0.12" in page.text
    family = client.get("/author/starter/v/1/families/bounce-code")
    assert "from 180 learners' first answers (46% right)" in family.text
    assert "low discrimination (0.12 &lt; 0.3)" in family.text
