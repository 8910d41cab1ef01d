"""The feedback library through the API and the pages, on both databases: preview, approve,
save, read, the item made for the content pack (which the pack validator accepts), who may do
what, and every kind of bad input, with nothing half-written."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from learnloop.demo import DEMO_PACK
from learnloop.domain.content.variants import make_item
from learnloop.domain.people import Role
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.problems import Severity
from learnloop.packs import read_pack
from learnloop.security.passwords import Argon2Passwords
from learnloop.services import auth, content, feedback
from learnloop.services.ports import PersonFields, StoredExample
from learnloop.settings import load_settings
from learnloop.store import tables as t
from learnloop.store.unit import transaction
from learnloop.web.app import create_app
from tests.conftest import NOW
from tests.web.conftest import PASSWORD, csrf_of, sign_in

DATA = Path(__file__).parents[1] / "data" / "preflight"
GOOD_HTML = (DATA / "good.html").read_bytes()
GOOD_YAML = (DATA / "good.yaml").read_bytes()
BROKEN = GOOD_HTML.replace(b' alt="Northwind Outdoor"', b"")  # T2 fails, C1 passes
IDS = iter(f"00000000-0000-4000-9000-{n:012d}" for n in range(1, 10**6))
OTHER_RUN = "00000000-0000-4000-9000-999999999999"
Headers = dict[str, str]


@pytest.fixture
def app_client(engine: Engine, seeded: dict[str, int],
               sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """The demo pack published (its preflight.yaml maps rules to lessons), a reviewer, and a
    second organisation with a reviewer of its own. No Chromium or spamd."""
    hasher = Argon2Passwords(fast=True)
    with transaction(sessions) as repos:
        org = repos.people.organisation_by_slug("acme")
        assert org is not None
        content.publish(repos.content, org.id, None, read_pack(DEMO_PACK), NOW)
        other = repos.people.add_organisation("globex", "Globex", "UTC", 5, False, NOW)
        for org_id, email, name in ((org.id, "rex@acme.example", "Rex Reviewer"),
                                    (other.id, "gus@globex.example", "Gus Globex")):
            person = repos.people.add_person(org_id, PersonFields(
                email, name, None, "UTC", "09:00-17:00", None), NOW)
            repos.people.set_roles(person.id, frozenset({Role.LEARNER, Role.REVIEWER}))
            auth.set_password(repos.auth, hasher, person, PASSWORD, NOW)
    settings = load_settings(environment="test", database_url=str(engine.url),
                             preflight_visual=False, preflight_spam=False)
    app = create_app(settings, engine=engine, clock=lambda: NOW,
                     passwords=Argon2Passwords(fast=True), new_id=lambda: next(IDS))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def token(sessions: sessionmaker[Session], app_client: TestClient) -> Callable[[str], Headers]:
    """A bearer token for anyone (`ann`, `gus@globex.example` ...)."""
    def make(who: str) -> Headers:
        email = who if "@" in who else f"{who}@acme.example"
        with transaction(sessions) as repos:
            person = next(p for o in repos.people.organisations()
                          for p in repos.people.people(o.id) if p.email == email)
            plain, _ = auth.create_token(repos.people, repos.auth, None, person, "test", NOW,
                                         lambda: who.split("@")[0] + "-feedback-" + "x" * 20)
        return {"Authorization": f"Bearer {plain}"}

    return make


def sidecar(owner: str = "ann@acme.example") -> bytes:
    return GOOD_YAML.decode().replace("ana.lopez@northwind.co.uk", owner).encode()


def upload(client: TestClient, headers: Headers, html: bytes = BROKEN) -> str:
    response = client.post("/api/v1/preflight", headers=headers, files={
        "file": ("sale.html", html, "text/html"),
        "sidecar": ("sale.yaml", sidecar(), "application/yaml")})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id


def preview(client: TestClient, headers: Headers, run_id: str,
            rule: str = "T2") -> dict[str, Any]:
    response = client.get(f"/api/v1/preflight/runs/{run_id}/examples/preview",
                          params={"rule": rule}, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def body(run_id: str, digest: str, **changes: str) -> dict[str, str]:
    return {"run_id": run_id, "rule": "T2", "title": "A logo without alt text",
            "note": "The logo is the first thing a screen reader meets.", "digest": digest,
            **changes}


def test_a_reviewer_previews_approves_and_saves(app_client: TestClient,
                                                token: Callable[[str], Headers]) -> None:
    ann, rex = token("ann"), token("rex")
    run_id = upload(app_client, ann)
    shown = preview(app_client, rex, run_id)
    assert shown["rule"] == "T2"
    assert shown["rule_title"] == "Alt text on images"
    assert shown["language"] == "html"
    assert re.fullmatch(r"[0-9a-f]{64}", shown["digest"])
    assert "northwind" not in shown["excerpt"].lower()
    assert 'src="https://cdn.brand.example/image1.png"' in shown["excerpt"]
    assert {r["kind"] for r in shown["replaced"]} >= {"image", "link"}
    assert all(r["label"] and r["count"] > 0 for r in shown["replaced"])

    saved = app_client.post("/api/v1/preflight/library", headers=rex,
                            json=body(run_id, shown["digest"]))
    assert saved.status_code == 201, saved.text
    example = saved.json()
    assert example["excerpt"] == shown["excerpt"]  # exactly what was shown
    assert example["replaced"] == shown["replaced"]
    assert example["skill"] == "template-qa"
    assert example["run_id"] == run_id
    assert example["family_id"] == f"feedback-t2-{example['id']}"
    assert example["item_yaml"].startswith("# From the feedback library")

    listed = app_client.get("/api/v1/preflight/library", headers=rex).json()
    assert [e["id"] for e in listed] == [example["id"]]
    assert app_client.get("/api/v1/preflight/library", headers=rex,
                          params={"rule": "R1"}).json() == []
    one = app_client.get(f"/api/v1/preflight/library/{example['id']}", headers=rex).json()
    assert one["item_yaml"] == example["item_yaml"]
    assert one["note"] == "The logo is the first thing a screen reader meets."


def test_who_may_read_and_who_may_save(app_client: TestClient,
                                       token: Callable[[str], Headers]) -> None:
    ann, rex, amy, ada = token("ann"), token("rex"), token("amy"), token("ada")
    run_id = upload(app_client, ann)
    digest = preview(app_client, rex, run_id)["digest"]
    url = f"/api/v1/preflight/runs/{run_id}/examples/preview?rule=T2"
    assert app_client.get(url, headers=amy).status_code == 403  # authors read, never save
    assert app_client.get(url, headers=ann).status_code == 403  # even the run's author
    assert app_client.post("/api/v1/preflight/library", headers=amy,
                           json=body(run_id, digest)).status_code == 403
    assert app_client.post("/api/v1/preflight/library", headers=ada,
                           json=body(run_id, digest)).status_code == 201  # admins may
    assert len(app_client.get("/api/v1/preflight/library", headers=amy).json()) == 1
    assert app_client.get("/api/v1/preflight/library", headers=ann).status_code == 403
    assert app_client.get("/api/v1/preflight/library", headers=token("lead")).status_code \
        == 403


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"rule": "Z9"}, 400, "rule"),  # no such rule
    ({"rule": "C1"}, 400, "rule"),  # passed in this run
    ({"rule": "T1"}, 400, "rule"),  # not run here
    ({"title": "   "}, 400, "title"),
    ({"title": "x" * 201}, 400, "title"),
    ({"title": "two\nlines"}, 400, "title"),
    ({"note": "n" * 4001}, 400, "note"),
    ({"digest": "not-a-digest"}, 400, "digest"),
    ({"digest": "0" * 64}, 409, None),  # well formed, but not what the preview shows
    ({"run_id": OTHER_RUN}, 404, None),
    ({"run_id": "not-a-uuid"}, 400, "$.run_id"),
])
def test_bad_input_is_refused_and_nothing_is_kept(app_client: TestClient,
                                                  token: Callable[[str], Headers],
                                                  change: dict[str, str], status: int,
                                                  field: str | None) -> None:
    rex = token("rex")
    run_id = upload(app_client, token("ann"))
    digest = preview(app_client, rex, run_id)["digest"]
    response = app_client.post("/api/v1/preflight/library", headers=rex,
                               json=body(run_id, digest) | change)
    assert response.status_code == status, response.text
    if field is not None:
        assert field in [p.get("field") for p in response.json()["problems"]]
    assert app_client.get("/api/v1/preflight/library", headers=rex).json() == []


def test_every_problem_is_named_at_once(app_client: TestClient,
                                        token: Callable[[str], Headers]) -> None:
    rex = token("rex")
    run_id = upload(app_client, token("ann"))
    response = app_client.post("/api/v1/preflight/library", headers=rex,
                               json=body(run_id, "nope", rule="C1", title=""))
    assert response.status_code == 400
    assert {p["field"] for p in response.json()["problems"]} == {"rule", "title", "digest"}


@pytest.mark.parametrize(("query", "status"), [
    ("rule=Z9", 400), ("rule=C1", 400), ("", 400), ("rule=T2", 404)])
def test_bad_previews(app_client: TestClient, token: Callable[[str], Headers], query: str,
                      status: int) -> None:
    run_id = upload(app_client, token("ann")) if status != 404 else OTHER_RUN
    response = app_client.get(f"/api/v1/preflight/runs/{run_id}/examples/preview?{query}",
                              headers=token("rex"))
    assert response.status_code == status, response.text


def test_a_run_of_another_organisation_is_not_found(app_client: TestClient,
                                                    token: Callable[[str], Headers]) -> None:
    run_id = upload(app_client, token("ann"))
    gus = token("gus@globex.example")
    response = app_client.get(f"/api/v1/preflight/runs/{run_id}/examples/preview?rule=T2",
                              headers=gus)
    assert response.status_code == 404
    digest = preview(app_client, token("rex"), run_id)["digest"]
    saved = app_client.post("/api/v1/preflight/library", headers=gus,
                            json=body(run_id, digest))
    assert saved.status_code == 404
    assert app_client.get("/api/v1/preflight/library", headers=gus).json() == []


def test_a_change_after_the_preview_is_a_conflict(app_client: TestClient,
                                                  token: Callable[[str], Headers]) -> None:
    """The settings name a brand the excerpt shows: the preview approved before is no longer
    what would be saved."""
    rex = token("rex")
    run_id = upload(app_client, token("ann"))
    before = preview(app_client, rex, run_id)
    changed = app_client.put("/api/v1/preflight/settings", headers=token("ada"),
                             json={"brand_names": ["Coats"]})
    assert changed.status_code == 200
    after = preview(app_client, rex, run_id)
    assert after["digest"] != before["digest"]
    stale = app_client.post("/api/v1/preflight/library", headers=rex,
                            json=body(run_id, before["digest"]))
    assert stale.status_code == 409
    assert "approve what it shows" in stale.json()["message"]
    fresh = app_client.post("/api/v1/preflight/library", headers=rex,
                            json=body(run_id, after["digest"]))
    assert fresh.status_code == 201


def test_an_example_outlives_its_run(app_client: TestClient, token: Callable[[str], Headers],
                                     sessions: sessionmaker[Session]) -> None:
    rex = token("rex")
    run_id = upload(app_client, token("ann"))
    digest = preview(app_client, rex, run_id)["digest"]
    example = app_client.post("/api/v1/preflight/library", headers=rex,
                              json=body(run_id, digest)).json()
    with transaction(sessions) as repos:
        repos.session.execute(delete(t.PreflightRunRow).where(t.PreflightRunRow.id == run_id))
    kept = app_client.get(f"/api/v1/preflight/library/{example['id']}", headers=rex).json()
    assert kept["run_id"] is None
    assert kept["excerpt"] == example["excerpt"]
    assert kept["item_yaml"] == example["item_yaml"]
    assert app_client.get("/api/v1/preflight/library/999999", headers=rex).status_code == 404
    assert app_client.get("/api/v1/preflight/library/0", headers=rex).status_code == 400


def test_an_item_not_made_at_saving_is_made_when_read(app_client: TestClient,
                                                      token: Callable[[str], Headers],
                                                      sessions: sessionmaker[Session]) -> None:
    rex = token("rex")
    run_id = upload(app_client, token("ann"))
    digest = preview(app_client, rex, run_id)["digest"]
    example = app_client.post("/api/v1/preflight/library", headers=rex,
                              json=body(run_id, digest)).json()
    with transaction(sessions) as repos:
        repos.feedback.set_item(example["id"], None)
    again = app_client.get(f"/api/v1/preflight/library/{example['id']}", headers=rex).json()
    assert again["item_yaml"] == example["item_yaml"]


# --- pages ---


def test_the_pages_preview_save_and_show(app_client: TestClient,
                                         token: Callable[[str], Headers]) -> None:
    run_id = upload(app_client, token("ann"))
    sign_in(app_client, "ann")
    own = app_client.get(f"/preflight/runs/{run_id}?report=1")
    assert "Save as an example" not in own.text  # the author is no reviewer
    app_client.cookies.clear()
    sign_in(app_client, "rex")
    report = app_client.get(f"/preflight/runs/{run_id}?report=1")
    new_url = f"/preflight/runs/{run_id}/examples/new?rule=T2"
    assert f'href="{new_url.replace("&", "&amp;")}"' in report.text
    assert "Save as an example" in report.text

    page = app_client.get(new_url)
    assert page.status_code == 200
    assert "Save T2 · Alt text on images as an example" in page.text
    assert "cdn.brand.example/image1.png" in page.text
    assert "northwind" not in page.text.lower()
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page.text)
    assert digest is not None
    form = {"csrf_token": csrf_of(page.text), "rule": "T2", "digest": digest.group(1),
            "note": "A classic."}
    empty = app_client.post(f"/preflight/runs/{run_id}/examples", data=form | {"title": ""})
    assert empty.status_code == 400
    assert "give the example a title" in empty.text
    assert 'aria-invalid="true"' in empty.text
    stale = app_client.post(f"/preflight/runs/{run_id}/examples",
                            data=form | {"title": "Logo", "digest": "0" * 64})
    assert stale.status_code == 409
    assert "approve what it shows" in stale.text
    forged = app_client.post(f"/preflight/runs/{run_id}/examples",
                             data=form | {"title": "Logo", "csrf_token": "nope"})
    assert forged.status_code == 403
    saved = app_client.post(f"/preflight/runs/{run_id}/examples",
                            data=form | {"title": "Logo without alt text"},
                            follow_redirects=False)
    assert saved.status_code == 303
    example_url = saved.headers["location"]
    assert re.fullmatch(r"/preflight/library/\d+", example_url)

    library = app_client.get("/preflight/library")
    assert "Logo without alt text" in library.text
    shown = app_client.get(example_url)
    assert shown.status_code == 200
    assert "A classic." in shown.text
    assert "families:" in shown.text
    assert f'href="{example_url}/item.yaml"' in shown.text
    download = app_client.get(example_url + "/item.yaml")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/yaml")
    assert "attachment" in download.headers["content-disposition"]
    assert yaml.safe_load(download.text)["families"][0]["key"] == "t2"
    assert app_client.get("/preflight/library/abc").status_code == 400
    assert app_client.get(f"/preflight/runs/{run_id}/examples/new?rule=C1").status_code == 400


def test_the_library_pages_are_for_reviewers_authors_and_admins(
        app_client: TestClient) -> None:
    sign_in(app_client, "amy")
    assert app_client.get("/preflight/library").status_code == 200
    app_client.cookies.clear()
    sign_in(app_client, "ann")
    assert app_client.get("/preflight/library").status_code == 403


# --- the item for the content pack ---


def validate_with(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """Add files to a copy of the demo pack; every problem the validator reports."""
    pack = tmp_path / "demo-copy"
    shutil.copytree(DEMO_PACK, pack)
    for name, text in files.items():
        (pack / name).write_text(text, encoding="utf-8")
    reading = read_pack(pack)
    return [f"{p.where}:{p.line} {p.field}: {p.message}" for p in content.check(reading)
            if p.severity is Severity.ERROR]


def test_the_saved_example_is_an_item_the_pack_validator_accepts(
        app_client: TestClient, token: Callable[[str], Headers], tmp_path: Path) -> None:
    rex = token("rex")
    run_id = upload(app_client, token("ann"))
    digest = preview(app_client, rex, run_id)["digest"]
    example = app_client.post("/api/v1/preflight/library", headers=rex,
                              json=body(run_id, digest)).json()
    text = example["item_yaml"]
    assert validate_with(tmp_path, {"items/feedback-library.yaml": text}) == []
    family = yaml.safe_load(text)["families"][0]
    assert family["id"] == example["family_id"]
    assert family["skill"] == "template-qa"
    assert family["lesson"] == "images-and-alt-text"
    assert family["type"] == "single_choice"
    assert family["key"] == "t2"
    assert "```html\n" in family["stem"]
    assert example["excerpt"].replace("{", "{{").replace("}", "}}") in family["stem"]
    options = {o["id"]: o for o in family["options"]}
    assert options["t2"]["text"] == "T2 Alt text on images"
    distractors = [o for o in options.values() if o["id"] != "t2"]
    assert len(distractors) == 3
    assert all(o["misconception"] and o["feedback"] for o in distractors)
    assert all(BY_ID[o["id"].upper()].skill == "template-qa" for o in distractors)
    reading = read_pack(tmp_path / "demo-copy")
    assert reading.pack is not None
    made = reading.pack.family(example["family_id"])
    assert made is not None
    assert made.skill == "template-qa"


HARD_EXCERPTS = [
    "From: Brand <person1@brand.example>\nSubject: {{ first_name }}, ``` is on {sale}",
    '<p style="color: {x}">Hi *|FNAME|*</p>\n\t<a href="#">`code` ````</a>\n  indented',
    'campaign.name: "quoted" \\ back\\slash # not a comment: yes',
    "Ünïcödé — “quotes” … \u200b and a very long line " + "x" * 300,
]


@pytest.mark.parametrize("excerpt", HARD_EXCERPTS)
@pytest.mark.parametrize("rule", ["T2", "R1", "C3", "S2", "D1", "T8"])
def test_any_excerpt_makes_a_valid_item(tmp_path: Path, excerpt: str, rule: str) -> None:
    pack = read_pack(DEMO_PACK).pack
    assert pack is not None
    example = StoredExample(42, 1, None, rule, BY_ID[rule].skill, "A title", excerpt, [],
                            'A note with "quotes", {braces} and a\nsecond line.', None,
                            datetime(2026, 12, 4, tzinfo=UTC))
    text = feedback.to_item(example, pack)
    assert validate_with(tmp_path, {"items/feedback-library.yaml": text}) == []
    family = yaml.safe_load(text)["families"][0]
    assert excerpt.replace("{", "{{").replace("}", "}}") in family["stem"]
    assert family["key"] == rule.lower()
    made = read_pack(tmp_path / "demo-copy").pack
    assert made is not None
    item = made.family(f"feedback-{rule.lower()}-42")
    assert item is not None
    assert excerpt in make_item(item, 0).stem  # the learner sees the excerpt as it was
