"""`learnloop preflight`: the report, --json, exit codes for pipelines, and bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from learnloop.cli import main
from tests.shared_data import TEMPLATES

DATA = Path(__file__).parents[1] / "data" / "preflight"
OFFLINE = ("--no-visual", "--no-spam", "--today", "2026-12-04")


def preflight(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["preflight", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def good(tmp_path: Path) -> Path:
    shutil.copy(DATA / "good.html", tmp_path / "sale.html")
    shutil.copy(DATA / "good.yaml", tmp_path / "sale.yaml")
    return tmp_path / "sale.html"


def test_a_ready_campaign_exits_0(good: Path) -> None:
    code, out, _ = preflight(*OFFLINE, str(good))
    assert code == 0, out
    assert "READY" in out
    assert "T1 No sideways scrolling on phones: turned off with --no-visual" in out
    assert "Check yourself" in out


def test_a_blocked_campaign_exits_6_and_says_why(good: Path) -> None:
    good.write_text(good.read_text().replace(' alt="Northwind Outdoor"', ""))
    code, out, _ = preflight(*OFFLINE, str(good))
    assert code == 6
    assert "BLOCKED" in out
    assert "T2 Alt text on images" in out
    assert "Fix: Give every image an alt attribute" in out
    assert "Lesson: Images, alt text and images-off reading" in out


def test_strict_turns_warnings_into_a_block(good: Path) -> None:
    text = (DATA / "good.yaml").read_text()
    start = text.index("  text: |")
    end = text.index("audience:")
    good.with_suffix(".yaml").write_text(text[:start] + text[end:])  # no text part: D7 warns
    assert preflight(*OFFLINE, str(good))[0] == 0
    assert preflight(*OFFLINE, "--strict", str(good))[0] == 6


def test_json_output_is_one_document(good: Path) -> None:
    code, out, _ = preflight(*OFFLINE, "--json", str(good))
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "learnloop.preflight/1"
    [report] = data["reports"]
    assert report["verdict"] == "ready"
    assert {r["rule"] for r in report["results"]} >= {"D1", "T8", "R5", "S2"}


def test_a_folder_is_searched_and_sidecars_are_not_campaigns(good: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a campaign")
    (tmp_path / "broken.eml").write_bytes(b"nothing here")
    code, out, err = preflight(*OFFLINE, "--json", str(tmp_path))
    assert code == 1  # one file could not be read; the other was still checked
    reports = json.loads(out)["reports"]
    assert sorted(Path(r["source"]).name for r in reports) == ["broken.eml", "sale.html"]
    assert "is not a MIME message" in err


def test_a_bad_settings_file_names_the_field(good: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("thresholds:\n  spam_wrn: 2\noverrides:\n  T2: maybe\n")
    code, _, err = preflight(*OFFLINE, "--config", str(settings), str(good))
    assert code == 1
    assert "thresholds.spam_wrn" in err
    assert "overrides.T2" in err


def test_settings_change_the_verdict(good: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("naming_pattern: '{offer}'\n")
    code, out, _ = preflight(*OFFLINE, "--config", str(settings), str(good))
    assert code == 6
    assert "does not follow the pattern {offer}" in out


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("x.pdf", b"%PDF", "not a pre-flight artifact"),
    ("x.html", b"\x00\x01\x02binary", "binary data"),
    ("x.html", b"", "is empty"),
])
def test_bad_files_exit_1(tmp_path: Path, name: str, raw: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    code, _, err = preflight(*OFFLINE, str(path))
    assert code == 1
    assert message in err


def test_a_missing_path_is_a_usage_error() -> None:
    assert preflight(*OFFLINE, "/nowhere/at/all.html")[0] == 2


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SPAMD = shutil.which("spamd") or "/usr/sbin/spamd"


@pytest.mark.browser
@pytest.mark.skipif(not (TEMPLATES / "emailmonday__Cerberus").exists(),
                    reason="the shared email templates are not here")
def test_every_checker_runs_for_real(tmp_path: Path) -> None:
    """Chromium and spamd, as CI installs them: no rule is left not run for want of them."""
    for program, env in ((CHROMIUM, "LEARNLOOP_REQUIRE_BROWSER"), (SPAMD,
                                                                   "LEARNLOOP_REQUIRE_SPAMD")):
        if not Path(program).exists():
            if os.environ.get(env) == "1":
                pytest.fail(f"{program} is required but not installed")
            pytest.skip(f"{program} is not installed")
    template = tmp_path / "cerberus-responsive.html"
    shutil.copy(TEMPLATES / "emailmonday__Cerberus" / "cerberus-responsive.html", template)
    shots = tmp_path / "shots"
    code, out, _ = preflight("--json", "--screenshots", str(shots), str(template))
    assert code == 6
    [report] = json.loads(out)["reports"]
    outcomes = {r["rule"]: r for r in report["results"]}
    for rule in ("T1", "T3", "T4", "D8"):
        assert outcomes[rule]["outcome"] != "not_run", outcomes[rule]
    t1 = outcomes["T1"]
    assert t1["outcome"] == "failed"  # its footer table keeps width="600" on phones
    assert any(f["width"] == 375 for f in t1["findings"])
    assert sorted(p.name for p in shots.iterdir()) == ["cerberus-responsive-375.png",
                                                      "cerberus-responsive-600.png"]
    assert (shots / "cerberus-responsive-375.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_record_keeps_the_run_as_the_owners_evidence(run, repos, good: Path,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:
    from learnloop.demo import DEMO_PACK

    assert run("org", "create", "acme", "Acme Ltd").exit_code == 0
    roster = tmp_path / "people.csv"
    roster.write_text("email,name\nana.lopez@northwind.co.uk,Ana Lopez\n")
    assert run("users", "import", str(roster), "--org", "acme").exit_code == 0
    assert run("content", "import", str(DEMO_PACK), "--org", "acme").exit_code == 0
    good.write_text(good.read_text().replace(' alt="Northwind Outdoor"', ""))
    result = run("preflight", "--record", "--org", "acme", "--no-visual", "--no-spam",
                 str(good))
    assert result.exit_code == 6, result.output
    assert "recorded" in result.stderr
    assert "for ana.lopez@northwind.co.uk (attempt 1" in result.stderr
    with repos() as r:
        org = r.people.organisation_by_slug("acme")
        ana = r.people.person_by_email(org.id, "ana.lopez@northwind.co.uk")
        [kept] = r.preflight.runs(org.id, author_id=ana.id)
        assert kept.verdict == "blocked"
        rules = [s["object"]["id"].rsplit("/", 1)[-1] for s in r.statements.stream_person(ana.id)]
        assert "T2" in rules
    refused = run("preflight", "--record", "--config", str(good), str(good), db=False)
    assert refused.exit_code == 2
