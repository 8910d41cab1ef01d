"""Reading a pack folder: syntax and shape problems come back with their file and line."""

from __future__ import annotations

from pathlib import Path

from learnloop.domain.content.model import Context, ItemType
from learnloop.domain.problems import Problem
from learnloop.packs import read_pack
from learnloop.packs.reader import files_digest, read_pack_files
from tests.packs_fixture import (
    ITEMS_YAML,
    LESSON_MD,
    PACK_YAML,
    SKILLS_YAML,
    line_of,
    pack_files,
    write_pack,
)


def located(problems: list[Problem]) -> list[tuple[str, int | None, str | None]]:
    return [(p.where, p.line, p.field) for p in problems]


def test_a_valid_pack_reads_without_problems(tmp_path: Path) -> None:
    reading = read_pack(write_pack(tmp_path))
    assert reading.problems == []
    pack = reading.pack
    assert pack is not None
    assert (pack.id, pack.title, pack.language) == ("starter", "Starter pack", "en")
    assert [s.id for s in pack.skills] == ["deliverability"]
    assert [m.id for m in pack.skills[0].misconceptions] == [
        "soft-hard-confused", "wrong-denominator", "footer-enough"]
    assert [x.id for x in pack.lessons] == ["basics", "bounces"]
    assert [(f.id, f.type, f.context) for f in pack.families] == [
        ("bounce-code", ItemType.SINGLE_CHOICE, Context.STANDARD),
        ("bounce-rate", ItemType.NUMERIC, Context.TRANSFER),
        ("explain-unsubscribe", ItemType.FREE_TEXT, Context.STANDARD),
    ]
    assert [r.rule for r in pack.preflight.rules] == ["D1"]


def test_families_keep_their_params_derived_values_and_key_by(tmp_path: Path) -> None:
    pack = read_pack(write_pack(tmp_path)).pack
    assert pack is not None
    code, rate, explain = pack.families
    assert code.rows == (
        (("code", "550 5.1.1"), ("meaning", "mailbox does not exist")),
        (("code", "452 4.2.2"), ("meaning", "mailbox full")),
    )
    assert code.key_by is not None
    assert code.key_by.values == (("mailbox does not exist", ("suppress",)),
                                  ("mailbox full", ("retry",)))
    assert rate.grid == (("sent", (12000, 25000)), ("bounced", (240, 600)))
    assert rate.derived == (("rate", "round(bounced / sent * 100, 2)"),)
    assert (rate.answer, rate.tolerance, rate.unit, rate.difficulty) == (
        "bounced / sent * 100", 0.05, "%", 2)
    assert explain.rubric is not None
    assert [(c.id, c.weight, c.concepts) for c in explain.rubric.criteria] == [
        ("header", 2.0, (("list-unsubscribe", "unsubscribe header"),)),
        ("one-click", 1.0, ()),
    ]


def test_lesson_sections_are_parsed_with_their_lines(tmp_path: Path) -> None:
    pack = read_pack(write_pack(tmp_path)).pack
    assert pack is not None
    lesson = pack.lesson("bounces")
    assert lesson is not None
    assert lesson.intro == "Bounces tell you something."
    assert [(s.slug, s.title, s.line, s.body) for s in lesson.sections] == [
        ("hard-bounces", "Hard bounces", line_of(LESSON_MD, "## Hard bounces"),
         "A 5.x.x code is permanent: suppress the address."),
        ("soft-bounces", "Soft bounces", line_of(LESSON_MD, "## Soft bounces"),
         "A 4.x.x code is temporary: retry, then suppress."),
    ]
    assert (lesson.minutes, lesson.prerequisites) == (4, ("basics",))
    assert lesson.source.line_of("minutes") == line_of(LESSON_MD, "minutes: 4")


def test_headings_inside_code_fences_do_not_start_sections(tmp_path: Path) -> None:
    lesson = LESSON_MD + "```markdown\n## Not a section\n```\n\n## Last\nEnd.\n"
    pack = read_pack(write_pack(tmp_path, lesson=lesson)).pack
    assert pack is not None
    bounces = pack.lesson("bounces")
    assert bounces is not None
    assert [s.title for s in bounces.sections] == ["Hard bounces", "Soft bounces", "Last"]
    assert "## Not a section" in bounces.sections[1].body


def test_yaml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    pack_yaml = "id: starter\ntitle: Starter: the pack\n"
    reading = read_pack(write_pack(tmp_path, pack=pack_yaml))
    [problem] = reading.problems
    assert (problem.where, problem.line) == ("pack.yaml", 2)
    assert problem.message.startswith("YAML syntax error: mapping values are not allowed")


def test_yaml_syntax_error_in_an_items_file(tmp_path: Path) -> None:
    items = ITEMS_YAML.replace("    stem: The server", "   stem: The server")
    [problem] = read_pack(write_pack(tmp_path, items=items)).problems
    assert (problem.where, problem.line) == (
        "items/deliverability.yaml", line_of(items, "   stem: The server"))
    assert problem.message.startswith("YAML syntax error")


def test_yaml_syntax_error_in_front_matter_counts_lines_from_the_top_of_the_file(
        tmp_path: Path) -> None:
    lesson = LESSON_MD.replace("title: Soft and hard bounces", "title: Bounces: soft: hard")
    [problem] = read_pack(write_pack(tmp_path, lesson=lesson)).problems
    assert (problem.where, problem.line) == ("lessons/bounces.md", line_of(lesson, "title:"))
    assert problem.message.startswith("YAML syntax error")


def test_a_tab_in_yaml_is_a_syntax_error_at_its_line(tmp_path: Path) -> None:
    [problem] = read_pack(write_pack(tmp_path, pack="id: x\n\ttitle: y\n")).problems
    assert (problem.where, problem.line) == ("pack.yaml", 2)


def test_duplicate_keys_are_a_syntax_error_at_the_second(tmp_path: Path) -> None:
    pack_yaml = PACK_YAML + "title: Again\n"
    [problem] = read_pack(write_pack(tmp_path, pack=pack_yaml)).problems
    assert (problem.where, problem.line) == ("pack.yaml", line_of(pack_yaml, "title: Again"))
    assert problem.message == "YAML syntax error: duplicate key 'title'"


def test_unknown_field_is_reported_with_its_line(tmp_path: Path) -> None:
    items = ITEMS_YAML.replace("    difficulty: 2\n", "    difficulty: 2\n    dificulty: 3\n")
    [problem] = read_pack(write_pack(tmp_path, items=items)).problems
    assert located([problem]) == [
        ("items/deliverability.yaml", line_of(items, "dificulty: 3"), "dificulty")]
    assert problem.message.startswith("unknown field in an item family (allowed here: ")
    assert "difficulty" in problem.message


def test_unknown_fields_in_every_file_are_all_reported(tmp_path: Path) -> None:
    pack_yaml = PACK_YAML + "version: 2\n"
    skills = SKILLS_YAML.replace("    in_work:", "    owner: Ann\n    in_work:")
    lesson = LESSON_MD.replace("minutes: 4\n", "minutes: 4\nduration: 5\n")
    reading = read_pack(write_pack(tmp_path, pack=pack_yaml, skills=skills, lesson=lesson))
    assert located(reading.problems) == [
        ("pack.yaml", line_of(pack_yaml, "version: 2"), "version"),
        ("skills.yaml", line_of(skills, "owner: Ann"), "owner"),
        ("lessons/bounces.md", line_of(lesson, "duration: 5"), "duration"),
    ]


def test_missing_required_field_names_the_entry_line(tmp_path: Path) -> None:
    items = ITEMS_YAML.replace("    stem: A campaign went to {sent} addresses and {bounced} "
                               "bounced. What is the bounce rate?\n", "")
    [problem] = read_pack(write_pack(tmp_path, items=items)).problems
    assert located([problem]) == [
        ("items/deliverability.yaml", line_of(items, "- id: bounce-rate"), "stem")]
    assert problem.message == "an item family needs 'stem'"


def test_ill_typed_fields_are_reported_with_their_lines(tmp_path: Path) -> None:
    lesson = LESSON_MD.replace("minutes: 4", "minutes: four")
    items = ITEMS_YAML.replace("tolerance: 0.05", "tolerance: small")
    reading = read_pack(write_pack(tmp_path, lesson=lesson, items=items))
    assert [(p.where, p.line, p.message) for p in reading.problems] == [
        ("lessons/bounces.md", line_of(lesson, "minutes: four"),
         "must be a whole number (got 'four')"),
        ("items/deliverability.yaml", line_of(items, "tolerance: small"),
         "must be a number (got 'small')"),
    ]


def test_unquoted_no_is_read_as_a_boolean_and_explained(tmp_path: Path) -> None:
    items = ITEMS_YAML.replace("- id: retry", "- id: no")
    [problem] = read_pack(write_pack(tmp_path, items=items)).problems
    assert (problem.line, problem.field) == (line_of(items, "- id: no"), "id")
    assert "words like yes, no, on and off need quotes" in problem.message


def test_an_unknown_item_type_is_reported(tmp_path: Path) -> None:
    items = ITEMS_YAML.replace("type: numeric", "type: number")
    [problem] = read_pack(write_pack(tmp_path, items=items)).problems
    assert (problem.line, problem.field) == (line_of(items, "type: number"), "type")
    assert problem.message.startswith("must be one of single_choice, multiple_choice")


def test_lesson_without_front_matter(tmp_path: Path) -> None:
    reading = read_pack(write_pack(tmp_path, lesson="# Bounces\n\n## Hard\nSuppress.\n"))
    assert [(p.where, p.line, p.message) for p in reading.problems] == [
        ("lessons/bounces.md", 1,
         "a lesson starts with YAML front matter between '---' lines")]
    assert reading.pack is not None
    assert [x.id for x in reading.pack.lessons] == ["basics"]


def test_lesson_with_unclosed_front_matter(tmp_path: Path) -> None:
    lesson = LESSON_MD.replace("prerequisites: [basics]\n---\n", "prerequisites: [basics]\n")
    [problem] = read_pack(write_pack(tmp_path, lesson=lesson)).problems
    assert (problem.where, problem.line) == ("lessons/bounces.md", 1)


def test_front_matter_that_is_not_a_mapping(tmp_path: Path) -> None:
    [problem] = read_pack(write_pack(tmp_path, lesson="---\n- a list\n---\n## A\nB\n")).problems
    assert (problem.where, problem.line) == ("lessons/bounces.md", 2)
    assert problem.message == "the lesson's front matter must be a mapping of fields"


def test_a_byte_order_mark_is_not_part_of_the_file(tmp_path: Path) -> None:
    root = write_pack(tmp_path)
    for name, text in (("lessons/bounces.md", LESSON_MD), ("skills.yaml", SKILLS_YAML)):
        (root / name).write_bytes(("\ufeff" + text).encode("utf-8"))
    reading = read_pack(root)
    assert reading.problems == []
    assert reading.files["lessons/bounces.md"] == LESSON_MD


def test_non_utf8_file(tmp_path: Path) -> None:
    root = write_pack(tmp_path)
    (root / "lessons" / "bounces.md").write_bytes(
        LESSON_MD.replace("something", "quelque chose, café").encode("latin-1"))
    reading = read_pack(root)
    assert [(p.where, p.line) for p in reading.problems] == [("lessons/bounces.md", None)]
    assert reading.problems[0].message.startswith("file is not UTF-8 text")
    assert "lessons/bounces.md" not in reading.files


def test_missing_pack_yaml(tmp_path: Path) -> None:
    reading = read_pack(write_pack(tmp_path, pack=None))
    assert reading.pack is None
    assert [(p.where, p.message) for p in reading.problems] == [
        ("pack.yaml", "a pack needs a pack.yaml file")]


def test_missing_skills_yaml(tmp_path: Path) -> None:
    reading = read_pack(write_pack(tmp_path, skills=None))
    assert ("skills.yaml", "a pack needs a skills.yaml file") in [
        (p.where, p.message) for p in reading.problems]


def test_an_empty_pack_yaml_still_names_the_missing_fields(tmp_path: Path) -> None:
    reading = read_pack(write_pack(tmp_path, pack=""))
    assert [(p.where, p.field) for p in reading.problems] == [
        ("pack.yaml", None), ("pack.yaml", "id"), ("pack.yaml", "title")]


def test_missing_folder(tmp_path: Path) -> None:
    reading = read_pack(tmp_path / "no-such-pack")
    assert reading.pack is None
    assert [p.message for p in reading.problems] == ["no such folder"]


def test_files_outside_the_layout_are_not_read(tmp_path: Path) -> None:
    root = write_pack(tmp_path, extra={
        "README.md": "# notes",
        "items/drafts/broken.yaml": ": not yaml [",
        "lessons/notes.txt": "not a lesson",
    })
    (root / "binary.png").write_bytes(b"\x89PNG\xff\xfe")
    reading = read_pack(root)
    assert not any(p.is_error for p in reading.problems)
    assert sorted(p.where for p in reading.problems) == [
        "items/drafts/broken.yaml", "lessons/notes.txt"]  # in content folders: a warning
    assert sorted(reading.files) == sorted(pack_files())


def test_reading_from_files_in_memory_matches_reading_the_folder(tmp_path: Path) -> None:
    from_folder = read_pack(write_pack(tmp_path))
    from_memory = read_pack_files(pack_files())
    assert from_memory.pack == from_folder.pack
    assert from_memory.digest == from_folder.digest == files_digest(pack_files())


def test_the_digest_changes_with_any_file_and_not_with_order() -> None:
    files = pack_files()
    reordered = dict(reversed(list(files.items())))
    changed = pack_files(pack=PACK_YAML.replace("Starter pack", "Starter pack 2"))
    renamed = {("lessons/b.md" if k == "lessons/bounces.md" else k): v for k, v in files.items()}
    assert files_digest(reordered) == files_digest(files)
    assert files_digest(changed) != files_digest(files)
    assert files_digest(renamed) != files_digest(files)


def test_nested_yaml_aliases_do_not_blow_up(tmp_path: Path) -> None:
    # "billion laughs": each level repeats the previous one nine times (9**8 leaves)
    levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)]
    pack_yaml = PACK_YAML + "\n".join(levels) + "\n"
    reading = read_pack(write_pack(tmp_path, pack=pack_yaml))
    assert [(p.field, p.line) for p in reading.problems] == [
        (f"a{i}", line_of(pack_yaml, f"a{i}: &a{i}")) for i in range(8)]


def test_a_file_with_a_nul_character_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    lesson = next((folder / "lessons").glob("*.md"))
    lesson.write_text(lesson.read_text() + "\nbroken \x00 text\n")
    reading = read_pack(folder)
    nul = [p for p in reading.problems if "NUL" in p.message]
    assert len(nul) == 1
    assert nul[0].where == f"lessons/{lesson.name}"
    assert nul[0].line == lesson.read_text().count("\n")
    assert f"lessons/{lesson.name}" not in reading.files


def test_misplaced_files_are_warned_about_and_others_ignored(tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    (folder / "pre-flight.yaml").write_text("rules: []\n")
    (folder / "lessons" / "drafts").mkdir()
    (folder / "lessons" / "drafts" / "new.md").write_text("---\nid: x\n---\n")
    (folder / "items" / "extra.YML").write_text("families: []\n")
    (folder / "README.md").write_text("# About this pack\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]\n")
    reading = read_pack(folder)
    warned = sorted(p.where for p in reading.problems if not p.is_error)
    assert warned == ["items/extra.YML", "lessons/drafts/new.md", "pre-flight.yaml"]
    assert all("not read" in p.message for p in reading.problems if not p.is_error)
