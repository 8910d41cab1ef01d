"""The pre-flight API and pages on both databases: check, read, screenshots, overrides,
settings, first-time lessons, and every kind of bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.demo import DEMO_PACK
from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.services import content
from learnloop.settings import load_settings
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.web.conftest import csrf_of, sign_in

DATA = Path(__file__).parents[1] / "data" / "preflight"
GOOD_HTML = (DATA / "good.html").read_bytes()
GOOD_YAML = (DATA / "good.yaml").read_bytes()
IDS = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 10**6))


@pytest.fixture
def app_client(engine: Engine, seeded: dict[str, int],
               sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """No Chromium or spamd here: their rules are reported as not run (the browser test
    below runs them for real)."""
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        content.publish(repos.content, org.id, None, read_pack(DEMO_PACK), NOW)
    settings = load_settings(environment="test", database_url=str(engine.url),
                             preflight_visual=False, preflight_spam=False)
    app = create_app(settings, engine=engine, clock=lambda: NOW,
                     passwords=Argon2Passwords(fast=True), new_id=lambda: next(IDS))
    with TestClient(app) as test_client:
        yield test_client


def sidecar(owner: str = "ann@acme.example", **campaign: str) -> bytes:
    text = GOOD_YAML.decode().replace("ana.lopez@northwind.co.uk", owner)
    for key, value in campaign.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value}\n  old_{key}: ", 1)
        text = "\n".join(line for line in text.splitlines() if "old_" not in line) + "\n"
    return text.encode()


def upload(client: TestClient, headers: dict[str, str], html: bytes = GOOD_HTML,
           side: bytes | None = None, name: str = "good.html") -> dict[str, object]:
    files: dict[str, tuple[str, bytes, str]] = {"file": (name, html, "text/html")}
    if side is not None:
        files["sidecar"] = ("good.yaml", side, "application/yaml")
    response = client.post("/api/v1/preflight", files=files, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_a_good_campaign_is_ready_and_kept(app_client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    ann = token_for("ann")
    run = upload(app_client, ann, side=sidecar())
    assert run["verdict"] == "ready"
    assert run["attempt"] == 1
    report = run["report"]
    assert isinstance(report, dict)
    outcomes = {r["rule"]: r["outcome"] for r in report["results"]}
    assert outcomes["T1"] == "not_run"
    assert outcomes["D8"] == "not_run"
    t1 = next(r for r in report["results"] if r["rule"] == "T1")
    assert "LEARNLOOP_PREFLIGHT_VISUAL" in t1["reason"]
    again = app_client.get(f"/api/v1/preflight/runs/{run['id']}", headers=ann)
    assert again.status_code == 200
    assert again.json()["report"] == report
    listed = app_client.get("/api/v1/preflight/runs", headers=ann).json()
    assert [r["id"] for r in listed] == [run["id"]]


def test_a_json_body_works_like_an_upload(app_client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    body = {"campaign": {"name": "2026-12_email_all_news", "message_type": "marketing"},
            "email": {"html": "<p>Hello <a href='#'>there</a></p>", "subject": "News"}}
    ann = token_for("ann")
    response = app_client.post("/api/v1/preflight", json=body, headers=ann)
    assert response.status_code == 201
    data = response.json()
    assert data["verdict"] == "blocked"
    failed = {r["rule"] for r in data["report"]["results"] if r["outcome"] == "failed"}
    assert {"T9", "C1", "C2", "D1"} <= failed
    t9 = next(r for r in data["report"]["results"] if r["rule"] == "T9")
    assert t9["lesson"]["id"] == "final-build-checks"
    assert t9["fix"]
    assert t9["why"]
    assert t9["source"]
    alias = app_client.post("/api/preflight", json=body, headers=ann)
    assert alias.status_code == 201
    assert alias.json()["attempt"] == 2


@pytest.mark.parametrize(("kwargs", "status", "field"), [
    ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, None),
    ({"json": {"email": {"html": 5}}}, 400, "email.html"),
    ({"json": {"campaign": {"message_type": "promo"}, "email": {"html": "<p>x</p>"}}}, 400,
     "campaign.message_type"),
    ({"content": b"<p>x</p>", "headers": {"Content-Type": "text/html"}}, 400, "Content-Type"),
    ({"files": {"file": ("x.pdf", b"%PDF", "application/pdf")}}, 400, None),
    ({"files": {"file": ("x.html", b"\x89PNG\x00\x00", "text/html")}}, 400, None),
    ({"files": {"sidecar": ("x.yaml", b"a: 1", "application/yaml")}}, 400, "file"),
    ({"files": {"file": ("x.eml", b"not a message", "message/rfc822")}}, 400, None),
    ({"files": {"file": ("big.html", b"<p>" + b"x" * (6 * 2**20), "text/html")}}, 413, None),
])
def test_bad_input_is_refused_and_nothing_is_kept(app_client: TestClient, token_for,  # type: ignore[no-untyped-def]
                                                   kwargs: dict[str, object], status: int,
                                                   field: str | None) -> None:
    ann = token_for("ann")
    extra = kwargs.pop("headers", {})
    assert isinstance(extra, dict)
    response = app_client.post("/api/v1/preflight", headers={**ann, **extra},
                               **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    body = response.json()
    if field is not None:
        assert field in [p.get("field") for p in body["problems"]], body
    assert app_client.get("/api/v1/preflight/runs", headers=ann).json() == []


def test_overrides_need_a_reason_and_unblock_the_run(app_client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    ann = token_for("ann")
    broken = GOOD_HTML.replace(b' alt="Northwind Outdoor"', b"")
    run = upload(app_client, ann, broken, sidecar())
    assert run["verdict"] == "blocked"
    url = f"/api/v1/preflight/runs/{run['id']}/overrides"
    short = app_client.post(url, json={"rule": "T2", "reason": "ok"}, headers=ann)
    assert short.status_code == 400
    assert short.json()["problems"][0]["field"] == "reason"
    wrong = app_client.post(url, json={"rule": "T1", "reason": "a reason long enough"},
                            headers=ann)
    assert wrong.status_code == 400
    assert wrong.json()["problems"][0]["field"] == "rule"
    bob = app_client.post(url, json={"rule": "T2", "reason": "not my campaign at all"},
                          headers=token_for("bob"))
    assert bob.status_code == 403
    done = app_client.post(url, json={"rule": "T2", "reason": "The logo is decorative here."},
                           headers=ann)
    assert done.status_code == 201
    assert done.json()["verdict"] == "overridden"
    assert done.json()["overrides"][0]["reason"] == "The logo is decorative here."
    twice = app_client.post(url, json={"rule": "T2", "reason": "The logo is decorative here."},
                            headers=ann)
    assert twice.status_code == 409


def test_who_may_see_a_run(app_client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    ann = token_for("ann")
    run = upload(app_client, ann, side=sidecar())
    url = f"/api/v1/preflight/runs/{run['id']}"
    assert app_client.get(url, headers=token_for("lead")).status_code == 200  # ann's manager
    assert app_client.get(url, headers=token_for("ada")).status_code == 200  # admin
    assert app_client.get(url, headers=token_for("bob")).status_code == 403  # a peer
    missing = "/api/v1/preflight/runs/00000000-0000-4000-8000-999999999999"
    assert app_client.get(missing, headers=ann).status_code == 404
    assert app_client.get("/api/v1/preflight/runs/not-a-uuid", headers=ann).status_code == 400


def test_the_owner_is_the_author_when_a_member(app_client: TestClient, token_for,  # type: ignore[no-untyped-def]
                                               seeded: dict[str, int]) -> None:
    lead = token_for("lead")
    run = upload(app_client, lead, side=sidecar(owner="ann@acme.example"))
    assert run["author_id"] == seeded["ann"]
    assert run["submitted_by"] == seeded["lead"]
    outsider = upload(app_client, lead, side=sidecar(owner="x@elsewhere.example"))
    assert outsider["author_id"] == seeded["lead"]
    assert any("not a member" in n for n in outsider["report"]["notes"])  # type: ignore[index]


def test_first_time_lessons_only_for_a_new_campaign_type(app_client: TestClient,  # type: ignore[no-untyped-def]
                                                         token_for) -> None:
    ann = token_for("ann")
    first = upload(app_client, ann, side=sidecar())
    assert first["first_time_lessons"] == ["segment-logic-and-sanity", "can-spam-essentials",
                                           "images-and-alt-text", "rates-and-denominators"]
    second = upload(app_client, ann, side=sidecar())
    assert second["first_time_lessons"] == []
    assert second["attempt"] == 2


def test_settings_are_admin_only_and_checked(app_client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    ada, ann = token_for("ada"), token_for("ann")
    assert app_client.get("/api/v1/preflight/settings", headers=ann).status_code == 200
    body = {"naming_pattern": "{yyyy}_{offer}", "overrides": {"T2": "warn"}}
    assert app_client.put("/api/v1/preflight/settings", json=body,
                          headers=ann).status_code == 403
    bad = app_client.put("/api/v1/preflight/settings", headers=ada,
                         json={"overrides": {"Z9": "warn"}, "thresholds": {"spam_warn": "x"}})
    assert bad.status_code == 400
    assert {p["field"] for p in bad.json()["problems"]} == {"overrides.Z9",
                                                            "thresholds.spam_warn"}
    ok = app_client.put("/api/v1/preflight/settings", json=body, headers=ada)
    assert ok.status_code == 200
    assert ok.json()["overrides"] == {"T2": "warn"}
    broken = GOOD_HTML.replace(b' alt="Northwind Outdoor"', b"")
    run = upload(app_client, ann, broken, sidecar())
    t2 = next(r for r in run["report"]["results"] if r["rule"] == "T2")  # type: ignore[index]
    assert t2["outcome"] == "warned"
    r5 = next(r for r in run["report"]["results"] if r["rule"] == "R5")  # type: ignore[index]
    assert r5["outcome"] == "failed"  # the new naming pattern


def test_the_pages_upload_and_show_the_report(app_client: TestClient) -> None:
    sign_in(app_client, "ann")
    page = app_client.get("/preflight")
    assert page.status_code == 200
    assert "Run pre-flight" in page.text
    token = csrf_of(page.text)
    broken = GOOD_HTML.replace(b' alt="Northwind Outdoor"', b"")
    posted = app_client.post("/preflight", data={"csrf_token": token},
                             files={"file": ("sale.html", broken, "text/html"),
                                    "sidecar": ("sale.yaml", sidecar(), "application/yaml")},
                             follow_redirects=False)
    assert posted.status_code == 303
    run_url = posted.headers["location"]
    intro = app_client.get(run_url)
    assert "Your first promotional campaign" in intro.text
    report = app_client.get(run_url + "?report=1")
    assert "T2 · Alt text on images" in report.text
    assert "Images, alt text and images-off reading" in report.text
    assert "Blocked" in report.text
    override = app_client.post(run_url + "/overrides", data={
        "csrf_token": csrf_of(report.text), "rule": "T2", "reason": "short"})
    assert override.status_code == 400
    assert "at least 10 characters" in override.text
    bad = app_client.post("/preflight", data={"csrf_token": token},
                          files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert bad.status_code == 400
    assert "not a pre-flight artifact" in bad.text
    forged = app_client.post("/preflight", data={"csrf_token": "nope"},
                             files={"file": ("sale.html", GOOD_HTML, "text/html")})
    assert forged.status_code == 403
    listing = app_client.get("/preflight")
    assert "2026-12_email_subscribers_winter-sale" in listing.text


def test_json_results_round_trip(app_client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    run = upload(app_client, token_for("ann"), side=sidecar())
    assert json.loads(json.dumps(run)) == run


def test_results_are_evidence_and_a_repeated_failure_reaches_the_queue(  # type: ignore[no-untyped-def]
        app_client: TestClient, token_for, sessions: sessionmaker[Session],
        seeded: dict[str, int]) -> None:
    ann = token_for("ann")
    broken = GOOD_HTML.replace(b' alt="Northwind Outdoor"', b"")
    upload(app_client, ann, broken, sidecar())
    with transaction(sessions) as repos:
        stored = list(repos.statements.stream_person(seeded["ann"]))
    verbs = {s["object"]["id"].rsplit("/", 1)[-1]: s["verb"]["id"]
             for s in stored if "/preflight/rules/" in s["object"]["id"]}
    assert verbs["T2"] == "http://adlnet.gov/expapi/verbs/failed"
    assert verbs["C1"] == "http://adlnet.gov/expapi/verbs/passed"
    assert "T1" not in verbs  # not run here: no statement
    before = app_client.get("/api/v1/me/next-step", headers=ann).json()
    assert before is None or "pre-flight" not in before["reason"]
    second = sidecar().replace(b"winter-sale", b"spring-sale")  # another campaign, first pass
    upload(app_client, ann, broken, second)
    step = app_client.get("/api/v1/me/next-step", headers=ann).json()
    assert step["kind"] == "remediation"
    assert step["lesson"] == "images-and-alt-text"
    assert "Alt text on images" in step["reason"]
    assert "twice" in step["reason"]


def test_the_first_pass_rate_per_skill(app_client: TestClient, token_for,  # type: ignore[no-untyped-def]
                                       seeded: dict[str, int]) -> None:
    ann, bob, lead = token_for("ann"), token_for("bob"), token_for("lead")
    broken = GOOD_HTML.replace(b' alt="Northwind Outdoor"', b"")
    upload(app_client, ann, broken, sidecar())
    upload(app_client, ann, GOOD_HTML, sidecar())  # the same campaign again: not a first pass
    rates = {r["skill"]: r for r in app_client.get("/api/v1/preflight/first-pass",
                                                    headers=ann).json()}
    template_qa = rates["template-qa"]
    assert template_qa["checks"] > template_qa["passed"]  # T2 failed on the first pass
    assert rates["compliance"]["rate"] == 1.0
    url = f"/api/v1/preflight/first-pass?person_id={seeded['ann']}"
    assert app_client.get(url, headers=lead).status_code == 200  # ann's manager
    assert app_client.get(url, headers=bob).status_code == 403
    assert app_client.get("/api/v1/preflight/first-pass?person_id=0",
                          headers=ann).status_code == 400
