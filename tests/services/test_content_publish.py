"""Publishing content packs as immutable versions, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from learnloop.domain.access import Actor
from learnloop.domain.content import variants
from learnloop.domain.errors import Forbidden, InvalidInput, NotFound
from learnloop.domain.people import Organisation, Role
from learnloop.packs import read_pack
from learnloop.packs.reader import read_pack_files
from learnloop.services import content, people
from learnloop.store import tables as t
from learnloop.store.unit import transaction
from tests.conftest import NOW
from tests.packs_fixture import ITEMS_YAML, LESSON_MD, pack_files, write_pack

CONTENT_TABLES = (t.ContentPack, t.PackVersion)


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                or 0 for table in CONTENT_TABLES}


def publish(sessions: sessionmaker[Session], org: Organisation, folder: Path,
            actor: Actor | None = None) -> content.PublishOutcome:
    reading = read_pack(folder)
    with transaction(sessions) as repos:
        return content.publish(repos.content, org.id, actor, reading, NOW)


def test_a_valid_pack_becomes_version_one(engine: Engine, sessions: sessionmaker[Session],
                                          org: Organisation, tmp_path: Path) -> None:
    outcome = publish(sessions, org, write_pack(tmp_path))
    assert not outcome.unchanged
    assert outcome.warnings == []
    version = outcome.version
    assert (version.pack_slug, version.number, version.title) == ("starter", 1, "Starter pack")
    assert version.published_at == NOW
    assert version.summary["items"] == 7
    assert counts(engine) == {"content_packs": 1, "content_pack_versions": 1}
    with transaction(sessions) as repos:
        assert repos.content.version_files(version.id) == pack_files()
        stored = read_pack_files(repos.content.version_files(version.id)).pack
    assert stored is not None
    assert [(f.id, f.type.value, f.context.value, variants.variant_count(f))
            for f in sorted(stored.families, key=lambda f: f.id)] == [
        ("bounce-code", "single_choice", "standard", 2),
        ("bounce-rate", "numeric", "transfer", 4),
        ("explain-unsubscribe", "free_text", "standard", 1),
    ]


def test_the_same_files_again_change_nothing(engine: Engine, sessions: sessionmaker[Session],
                                             org: Organisation, tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    first = publish(sessions, org, folder)
    before = counts(engine)
    again = publish(sessions, org, folder)
    assert again.unchanged
    assert again.version == first.version
    assert counts(engine) == before
    with transaction(sessions) as repos:
        assert [v.number for v in repos.content.versions(org.id)] == [1]


def test_a_changed_file_makes_version_two_and_leaves_version_one_alone(
        sessions: sessionmaker[Session], org: Organisation, tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    first = publish(sessions, org, folder)
    (folder / "lessons" / "bounces.md").write_text(
        LESSON_MD.replace("retry, then suppress", "retry for 72 hours, then suppress"),
        encoding="utf-8")
    second = publish(sessions, org, folder)
    assert not second.unchanged
    assert second.version.number == 2
    assert second.version.digest != first.version.digest
    with transaction(sessions) as repos:
        assert repos.content.version_files(first.version.id) == pack_files()
        assert "72 hours" in repos.content.version_files(second.version.id)[
            "lessons/bounces.md"]
        one = repos.content.version(org.id, "starter", 1)
        latest = repos.content.latest_version(org.id, "starter")
        assert one == first.version
        assert latest == second.version
        assert [v.number for v in repos.content.versions(org.id)] == [2, 1]


def test_publishing_an_older_state_again_is_a_new_version(sessions: sessionmaker[Session],
                                                          org: Organisation,
                                                          tmp_path: Path) -> None:
    publish(sessions, org, write_pack(tmp_path, folder="a"))
    publish(sessions, org, write_pack(tmp_path, folder="b", lesson=LESSON_MD + "\nMore.\n"))
    third = publish(sessions, org, write_pack(tmp_path, folder="a"))
    assert (third.unchanged, third.version.number) == (False, 3)


def test_an_invalid_pack_raises_and_writes_nothing(engine: Engine,
                                                   sessions: sessionmaker[Session],
                                                   org: Organisation, tmp_path: Path) -> None:
    publish(sessions, org, write_pack(tmp_path, folder="good"))
    before = counts(engine)
    broken = write_pack(tmp_path, folder="bad",
                        items=ITEMS_YAML.replace("lesson: bounces", "lesson: nowhere"),
                        lesson=LESSON_MD.replace("minutes: 4", "minutes: 9"))
    with pytest.raises(InvalidInput) as info:
        publish(sessions, org, broken)
    assert info.value.message == "the pack has problems; nothing was imported"
    assert [(p.where, p.field) for p in info.value.problems] == [
        ("items/deliverability.yaml", "lesson"), ("lessons/bounces.md", "minutes")]
    assert counts(engine) == before


def test_a_pack_that_cannot_be_read_raises_and_writes_nothing(
        engine: Engine, sessions: sessionmaker[Session], org: Organisation,
        tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        publish(sessions, org, write_pack(tmp_path, pack=None))
    assert [p.message for p in info.value.problems] == ["a pack needs a pack.yaml file"]
    assert set(counts(engine).values()) == {0}


def test_warnings_do_not_block_publishing(sessions: sessionmaker[Session], org: Organisation,
                                          tmp_path: Path) -> None:
    items = ITEMS_YAML.replace('The server answered "{code}".', "The server answered.")
    outcome = publish(sessions, org, write_pack(tmp_path, items=items))
    assert outcome.version.number == 1
    assert [p.field for p in outcome.warnings] == ["stem"]


def test_only_authors_and_admins_publish(engine: Engine, sessions: sessionmaker[Session],
                                         org: Organisation, tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    with transaction(sessions) as repos:
        people.import_csv(repos.people, org, None, "email,name,roles\n"
                          "amy@acme.example,Amy Author,author\n"
                          "rex@acme.example,Rex Reviewer,reviewer\n", NOW)
        amy, rex = (repos.people.person_by_email(org.id, f"{n}@acme.example")
                    for n in ("amy", "rex"))
        assert amy is not None
        assert rex is not None
        author, reviewer = people.actor_for(repos.people, amy), people.actor_for(
            repos.people, rex)
    with pytest.raises(Forbidden):
        publish(sessions, org, folder, actor=reviewer)
    outsider = Actor(amy.id, org.id + 1, frozenset({Role.ADMIN}))
    with pytest.raises(Forbidden):
        publish(sessions, org, folder, actor=outsider)
    assert set(counts(engine).values()) == {0}
    assert publish(sessions, org, folder, actor=author).version.published_by == amy.id


def test_versions_belong_to_their_organisation(sessions: sessionmaker[Session],
                                               org: Organisation, other_org: Organisation,
                                               tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    publish(sessions, org, folder)
    theirs = publish(sessions, other_org, folder)
    assert (theirs.unchanged, theirs.version.number) == (False, 1)
    learner = Actor(1, other_org.id, frozenset({Role.LEARNER}))
    with transaction(sessions) as repos:
        assert content.find_version(repos.content, learner, "starter") == theirs.version
        with pytest.raises(NotFound, match="No version 2 of content pack 'starter'"):
            content.find_version(repos.content, learner, "starter", 2)
        with pytest.raises(NotFound, match="No content pack 'other'"):
            content.find_version(repos.content, learner, "other")


def test_a_published_version_reads_back_as_the_same_pack(sessions: sessionmaker[Session],
                                                         org: Organisation,
                                                         tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    outcome = publish(sessions, org, folder)
    with transaction(sessions) as repos:
        files = repos.content.version_files(outcome.version.id)
    assert read_pack_files(files).pack == read_pack(folder).pack


def test_summary_counts_distinct_items_per_skill() -> None:
    pack = read_pack_files(pack_files()).pack
    assert pack is not None
    assert content.summarise(pack) == {
        "skills": 1, "lessons": 2, "families": 3, "items": 7, "transfer_items": 4,
        "item_types": {"free_text": 1, "numeric": 1, "single_choice": 1},
        "per_skill": {"deliverability": {"lessons": 2, "families": 3, "items": 7,
                                         "transfer_items": 4}},
    }


def test_a_title_too_long_to_store_is_a_problem_on_every_backend(
        engine: Engine, sessions: sessionmaker[Session], org: Organisation,
        tmp_path: Path) -> None:
    lesson = LESSON_MD.replace("title: Soft and hard bounces", "title: " + "x" * 250)
    with pytest.raises(InvalidInput) as info:
        publish(sessions, org, write_pack(tmp_path, lesson=lesson))
    assert [(p.where, p.line, p.field) for p in info.value.problems] == [
        ("lessons/bounces.md", 4, "title")]
    assert set(counts(engine).values()) == {0}
