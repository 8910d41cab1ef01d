"""The `learnloop` command on a SQLite file: output, exit codes, and what ends up stored.

Exit codes: 0 ok, 1 invalid input, 2 usage, 3 environment, 4 not found, 5 forbidden.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from learnloop.cli import main
from learnloop.services import auth
from learnloop.store.unit import Repos
from tests.cli.conftest import Run, Stored
from tests.conftest import NOW
from tests.packs_fixture import ITEMS_YAML, LESSON_MD, line_of, write_pack

ROSTER = """\
email,name,team,parent_team,manager_email,manages,roles
head@acme.example,Hana Head,Marketing,,,Marketing,manager
lead@acme.example,Leo Lead,Lifecycle,Marketing,head@acme.example,Lifecycle,manager
ann@acme.example,Ann Learner,Lifecycle,Marketing,lead@acme.example,,
ada@acme.example,Ada Admin,,,,,admin
"""

@pytest.fixture
def with_org(run: Run) -> None:
    result = run("org", "create", "acme", "Acme Ltd", "--timezone", "Europe/Berlin")
    assert result.exit_code == 0, result.output


def acme(r: Repos) -> int:
    org = r.people.organisation_by_slug("acme")
    assert org is not None
    return org.id


def write_csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_db_upgrade_migrates_an_empty_database_once(run: Run) -> None:
    first = run("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "(was empty)" in first.stdout
    second = run("db", "upgrade")
    assert second.exit_code == 0
    assert "database at revision" in second.stdout
    assert "(was" not in second.stdout
    current = run("db", "current")
    assert current.exit_code == 0


def test_the_database_url_may_come_from_the_environment(db_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLOOP_DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["org", "create", "acme", "Acme"])
    assert result.exit_code == 0, result.output
    assert "created organisation acme" in result.stdout


def test_org_create(run: Run, repos: Stored) -> None:
    result = run("org", "create", "acme", "Acme Ltd", "--timezone", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    with repos() as r:
        org = r.people.organisation(acme(r))
    assert org is not None
    assert (org.name, org.default_timezone, org.is_demo) == ("Acme Ltd", "Europe/Berlin", False)


@pytest.mark.parametrize(("args", "field"), [
    (["Bad Slug", "Acme"], "slug"),
    (["acme", "Acme", "--timezone", "Mars/Base"], "timezone"),
    (["acme", "A" * 201], "name"),
])
def test_org_create_with_bad_arguments_exits_1(run: Run, args: list[str], field: str,
                                               repos: Stored) -> None:
    assert run("db", "upgrade").exit_code == 0
    result = run("org", "create", *args)
    assert result.exit_code == 1
    assert field in result.stderr
    with repos() as r:
        assert r.people.organisations() == []


def test_org_create_twice_exits_1(run: Run, with_org: None) -> None:
    result = run("org", "create", "acme", "Again")
    assert result.exit_code == 1
    assert "already exists" in result.stderr


def test_missing_arguments_are_a_usage_error(run: Run) -> None:
    assert run("org", "create", "acme", db=False).exit_code == 2
    assert run("no-such-command", db=False).exit_code == 2


def test_content_validate_a_valid_pack(run: Run, tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    result = run("content", "validate", str(folder), db=False)
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    assert "1 skills, 2 lessons, 3 item families, 7 distinct items (4 transfer)" in result.stdout


def test_content_validate_a_broken_pack_reports_file_and_line(run: Run,
                                                              tmp_path: Path) -> None:
    items = ITEMS_YAML.replace("lesson: bounces", "lesson: nowhere")
    lesson = LESSON_MD.replace("minutes: 4", "minutes: 12")
    folder = write_pack(tmp_path, items=items, lesson=lesson)
    result = run("content", "validate", str(folder), db=False)
    assert result.exit_code == 1
    assert f"items/deliverability.yaml:{line_of(items, 'lesson: nowhere')}:" in result.stderr
    assert f"lessons/bounces.md:{line_of(lesson, 'minutes: 12')}:" in result.stderr
    assert "unknown lesson 'nowhere'" in result.stderr
    assert "2 error(s), 0 warning(s)" in result.stderr


def test_content_validate_a_yaml_syntax_error(run: Run, tmp_path: Path) -> None:
    folder = write_pack(tmp_path, pack="id: starter\ntitle: Starter: pack\n")
    result = run("content", "validate", str(folder), db=False)
    assert result.exit_code == 1
    assert "pack.yaml:2:" in result.stderr


def test_content_validate_a_missing_folder(run: Run, tmp_path: Path) -> None:
    result = run("content", "validate", str(tmp_path / "nowhere"), db=False)
    assert result.exit_code == 1
    assert "no such folder" in result.stderr


def test_content_import_then_again_is_unchanged(run: Run, with_org: None, tmp_path: Path,
                                                repos: Stored) -> None:
    folder = write_pack(tmp_path)
    first = run("content", "import", str(folder))
    assert first.exit_code == 0, first.output
    assert "published starter version 1" in first.stdout
    second = run("content", "import", str(folder))
    assert second.exit_code == 0, second.output
    assert "unchanged: starter version 1 already has these files" in second.stdout
    (folder / "lessons" / "bounces.md").write_text(LESSON_MD + "\nMore.\n", encoding="utf-8")
    third = run("content", "import", str(folder), "--org", "acme")
    assert third.exit_code == 0, third.output
    assert "published starter version 2" in third.stdout
    with repos() as r:
        org_id = acme(r)
        assert [v.number for v in r.content.versions(org_id)] == [2, 1]


def test_content_import_of_a_broken_pack_writes_nothing(run: Run, with_org: None,
                                                        tmp_path: Path,
                                                        repos: Stored) -> None:
    items = ITEMS_YAML.replace("lesson: bounces", "lesson: nowhere")
    result = run("content", "import", str(write_pack(tmp_path, items=items)))
    assert result.exit_code == 1
    assert f"items/deliverability.yaml:{line_of(items, 'lesson: nowhere')}:" in result.stderr
    assert "nothing was imported" in result.stderr
    with repos() as r:
        org_id = acme(r)
        assert r.content.versions(org_id) == []


def test_users_import_with_bad_rows_reports_lines_and_writes_nothing(
        run: Run, with_org: None, tmp_path: Path,
        repos: Stored) -> None:
    assert run("users", "import", str(write_csv(tmp_path, ROSTER, "first.csv"))).exit_code == 0
    with repos() as r:
        org_id = acme(r)
        before = (r.people.people(org_id), r.people.teams(org_id))
    bad = ROSTER.replace("Ann Learner", "Ann Renamed") + (
        "bad-email,Bad,,,,,\n"
        "ok@acme.example,Bad Role,,,,,boss\n"
        "ghost@acme.example,Ghost,,,nobody@acme.example,,\n"
        "head@acme.example,Twice,,,,,\n")
    result = run("users", "import", str(write_csv(tmp_path, bad)))
    assert result.exit_code == 1
    for line in (6, 7, 8, 9):
        assert f"people.csv:{line}:" in result.stderr
    assert "nothing was imported" in result.stderr
    with repos() as r:
        assert (r.people.people(org_id), r.people.teams(org_id)) == before


def test_users_import_good_rows(run: Run, with_org: None, tmp_path: Path,
                                repos: Stored) -> None:
    result = run("users", "import", str(write_csv(tmp_path, ROSTER)))
    assert result.exit_code == 0, result.output
    assert "4 rows: 4 created, 0 updated, 2 new teams" in result.stdout
    again = run("users", "import", str(write_csv(tmp_path, ROSTER)))
    assert again.exit_code == 0
    assert "4 rows: 0 created, 4 updated, 0 new teams" in again.stdout
    with repos() as r:
        org_id = acme(r)
        assert len(r.people.people(org_id)) == 4


def test_users_import_of_a_file_with_a_byte_order_mark(run: Run, with_org: None,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + ROSTER).encode("utf-8"))
    result = run("users", "import", str(path))
    assert result.exit_code == 0, result.output


def test_users_import_of_a_non_utf8_file_exits_1(run: Run, with_org: None,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,name\nzoe@acme.example,Zoë\n".encode("latin-1"))
    result = run("users", "import", str(path))
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr


def test_users_token_prints_a_working_token_once(run: Run, with_org: None, tmp_path: Path,
                                                 repos: Stored) -> None:
    assert run("users", "import", str(write_csv(tmp_path, ROSTER))).exit_code == 0
    result = run("users", "token", "Ann@Acme.example", "--name", "laptop")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("ll_")
    with repos() as r:
        user = auth.token_user(r.people, r.auth, token, NOW)
        assert user.person.email == "ann@acme.example"
        assert [t.name for t in r.auth.tokens(user.person.id)] == ["laptop"]


def test_users_token_for_an_unknown_person_exits_4(run: Run, with_org: None) -> None:
    result = run("users", "token", "nobody@acme.example")
    assert result.exit_code == 4
    assert "No person with email nobody@acme.example" in result.stderr


def test_users_set_password(run: Run, with_org: None, tmp_path: Path) -> None:
    assert run("users", "import", str(write_csv(tmp_path, ROSTER))).exit_code == 0
    short = run("users", "set-password", "ann@acme.example", "--password", "short")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.stderr
    ok = run("users", "set-password", "ann@acme.example", "--password", "a-long-password")
    assert ok.exit_code == 0, ok.output


def test_an_unknown_organisation_exits_4(run: Run, with_org: None, tmp_path: Path) -> None:
    csv_file = str(write_csv(tmp_path, ROSTER))
    for args in (["users", "import", csv_file, "--org", "nope"],
                 ["content", "import", str(write_pack(tmp_path)), "--org", "nope"],
                 ["users", "token", "ann@acme.example", "--org", "nope"],
                 ["calibrate", "--org", "nope"]):
        result = run(*args)
        assert result.exit_code == 4, args
        assert "No organisation 'nope'" in result.stderr


def test_no_organisation_yet_exits_4(run: Run, tmp_path: Path) -> None:
    result = run("users", "import", str(write_csv(tmp_path, ROSTER)))
    assert result.exit_code == 4
    assert "No organisation yet" in result.stderr


def test_several_organisations_need_org(run: Run, with_org: None, tmp_path: Path) -> None:
    assert run("org", "create", "globex", "Globex").exit_code == 0
    result = run("users", "import", str(write_csv(tmp_path, ROSTER)))
    assert result.exit_code == 4
    assert "name one with --org (acme, globex)" in result.stderr
    assert run("users", "import", str(write_csv(tmp_path, ROSTER)),
               "--org", "globex").exit_code == 0


def test_an_unusable_database_exits_3(run: Run, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade", "--database-url",
                                       f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"])
    assert result.exit_code == 3
    assert "cannot use the database" in result.stderr


def test_calibrate_reports_what_it_fitted_and_why_not(run: Run, with_org: None,
                                                      tmp_path: Path) -> None:
    assert run("content", "import", str(write_pack(tmp_path))).exit_code == 0
    result = run("calibrate")
    assert result.exit_code == 0, result.output
    assert "memory: 0 people fitted" in result.output
    assert "not calibrated: 0 answered item(s)" in result.output
    assert "answer models: not due (they are fitted once there are 1,000 answers" in \
        result.output
    assert "calibrated acme in" in result.output
