"""Read a pack from a folder (or from its files in memory) into a `Pack`.

The reader reports syntax and shape problems (YAML errors, missing or ill-typed fields, unknown
fields) with file and line; `learnloop.domain.content.validation` then checks the pack as a
whole. A published version stores its files, and is read back through the same code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from learnloop.domain.content.model import (
    Context,
    Criterion,
    FirstTimeLessons,
    Forbidden,
    ItemFamily,
    ItemType,
    KeyBy,
    Lesson,
    Misconception,
    NumericMisconception,
    Option,
    Pack,
    Preflight,
    Rubric,
    RuleLesson,
    Scalar,
    Section,
    Skill,
    Source,
)
from learnloop.domain.problems import Problem, Severity, has_nul
from learnloop.packs import located_yaml
from learnloop.packs.shape import Shape

MAX_FILE_BYTES = 2_000_000


@dataclass
class PackReading:
    pack: Pack | None
    problems: list[Problem]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return files_digest(self.files)


def files_digest(files: Mapping[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(b"\0")
        h.update(files[name].encode())
        h.update(b"\0")
    return h.hexdigest()


def is_pack_file(rel: str) -> bool:
    if rel in ("pack.yaml", "skills.yaml", "preflight.yaml"):
        return True
    if rel.startswith("lessons/") and rel.endswith(".md") and rel.count("/") == 1:
        return True
    return rel.startswith("items/") and rel.endswith((".yaml", ".yml")) and rel.count("/") == 1


def _looks_like_content(rel: str) -> bool:
    """A file that was probably meant to be read: in lessons/ or items/, or YAML at the top."""
    if any(part.startswith(".") for part in rel.split("/")):
        return False
    if rel.startswith(("lessons/", "items/")):
        return True
    return "/" not in rel and rel.lower().endswith((".yaml", ".yml"))


def read_pack(folder: Path) -> PackReading:
    """Read a pack folder; every problem comes back in `problems`, nothing is raised."""
    problems: list[Problem] = []
    if not folder.is_dir():
        return PackReading(None, [Problem(str(folder), "no such folder")])
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        if not is_pack_file(rel):
            if _looks_like_content(rel):
                problems.append(Problem(
                    rel, "this file is not read: lessons are lessons/NAME.md, item families "
                         "items/NAME.yaml, and the pack's own files pack.yaml, skills.yaml and "
                         "preflight.yaml", severity=Severity.WARNING))
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(rel, f"file is larger than {MAX_FILE_BYTES} bytes"))
            continue
        try:
            files[rel] = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel, f"file is not UTF-8 text ({exc.reason})"))
    reading = read_pack_files(files)
    reading.problems[:0] = problems
    return reading


def read_pack_files(files: Mapping[str, str]) -> PackReading:
    problems: list[Problem] = []
    files = dict(files)
    for name in sorted(files):
        if has_nul(files[name]):
            line = files[name][:files[name].index("\x00")].count("\n") + 1
            problems.append(Problem(name, "the file contains a NUL character", line=line))
            del files[name]
    if "pack.yaml" not in files:
        problems.append(Problem("pack.yaml", "a pack needs a pack.yaml file"))
        return PackReading(None, problems, files)

    doc = _load(files["pack.yaml"], "pack.yaml", problems)
    head = Shape(doc, (), "pack.yaml", problems, "pack.yaml") if doc else None
    pack_id = head.text("id") if head else ""
    title = head.text("title") if head else ""
    description = head.text("description", required=False) if head else ""
    language = head.text("language", required=False, default="en") if head else "en"
    if head:
        head.finish()

    skills = _read_skills(files, problems)
    lessons = [
        lesson
        for name in sorted(files)
        if name.startswith("lessons/")
        for lesson in [_read_lesson(name, files[name], problems)]
        if lesson is not None
    ]
    families: list[ItemFamily] = []
    for name in sorted(files):
        if name.startswith("items/"):
            families.extend(_read_families(name, files[name], problems))
    preflight = _read_preflight(files, problems)

    pack = Pack(
        id=pack_id,
        title=title,
        description=description,
        language=language,
        skills=tuple(skills),
        lessons=tuple(lessons),
        families=tuple(families),
        preflight=preflight,
        source=Source("pack.yaml", 1, head.field_lines() if head else ()),
    )
    return PackReading(pack, problems, files)


def _load(text: str, file: str, problems: list[Problem], offset: int = 0
          ) -> located_yaml.Located | None:
    try:
        return located_yaml.load(text, offset)
    except located_yaml.YamlSyntaxError as exc:
        problems.append(Problem(file, f"YAML syntax error: {exc}", line=exc.line))
        return None


def _read_skills(files: Mapping[str, str], problems: list[Problem]) -> list[Skill]:
    if "skills.yaml" not in files:
        problems.append(Problem("skills.yaml", "a pack needs a skills.yaml file"))
        return []
    doc = _load(files["skills.yaml"], "skills.yaml", problems)
    if doc is None:
        return []
    top = Shape(doc, (), "skills.yaml", problems, "skills.yaml")
    out = []
    for s in top.each("skills", what="a skill", required=True):
        skill_id = s.text("id")
        misconceptions = []
        for m in s.each("misconceptions", what="a misconception"):
            remedy = m.opt_text("remedy")
            lesson, _, section = (remedy or "").partition("#")
            misconceptions.append(Misconception(
                id=m.text("id"),
                skill=skill_id,
                description=m.text("description"),
                label=m.opt_text("label"),
                remedy_lesson=lesson or None,
                remedy_section=section or None,
                source=Source("skills.yaml", m.line(), m.field_lines()),
            ))
        out.append(Skill(
            id=skill_id,
            name=s.text("name"),
            behaviour=s.text("behaviour"),
            in_work=s.text("in_work"),
            misconceptions=tuple(misconceptions),
            source=Source("skills.yaml", s.line(), s.field_lines()),
        ))
    top.finish()
    return out


_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug or "section"


def _read_lesson(name: str, text: str, problems: list[Problem]) -> Lesson | None:
    match = _FRONT.match(text)
    if match is None:
        problems.append(Problem(name, "a lesson starts with YAML front matter between '---' "
                                      "lines", line=1))
        return None
    doc = _load(match.group(1), name, problems, offset=1)
    if doc is None:
        return None
    f = Shape(doc, (), name, problems, "the lesson's front matter")
    if not f.ok:
        return None
    body_start = match.group(0).count("\n") + 1
    intro, sections = _sections(text[match.end():], body_start)
    lesson = Lesson(
        id=f.text("id"),
        skill=f.text("skill"),
        title=f.text("title"),
        objective=f.text("objective"),
        minutes=f.integer("minutes", 0, required=True),
        prerequisites=f.text_list("prerequisites"),
        intro=intro,
        sections=tuple(sections),
        source=Source(name, 1, f.field_lines()),
    )
    f.finish()
    return lesson


def _sections(body: str, first_line: int) -> tuple[str, list[Section]]:
    intro: list[str] = []
    sections: list[Section] = []
    current: list[str] | None = None
    title = ""
    start = 0
    in_fence = False
    for offset, line in enumerate(body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if current is not None:
                sections.append(Section(slugify(title), title, "\n".join(current).strip(), start))
            title = line[3:].strip()
            start = first_line + offset
            current = []
        elif current is None:
            intro.append(line)
        else:
            current.append(line)
    if current is not None:
        sections.append(Section(slugify(title), title, "\n".join(current).strip(), start))
    return "\n".join(intro).strip(), sections


def _scalar_list(s: Shape, name: str, values: object) -> tuple[Scalar, ...] | None:
    if not isinstance(values, list):
        s.problem(name, "must be a list of values")
        return None
    out: list[Scalar] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            s.problem(name, f"values must be text or numbers (got {v!r})")
            return None
        out.append(v)
    return tuple(out)


def _read_params(f: Shape) -> tuple[tuple[tuple[str, tuple[Scalar, ...]], ...],
                                    tuple[tuple[tuple[str, Scalar], ...], ...]]:
    raw = f.get("params")
    if raw is None:
        return (), ()
    p = f.child("params", what="params")
    if not p.ok:
        return (), ()
    grid: list[tuple[str, tuple[Scalar, ...]]] = []
    graw = p.get("grid")
    if graw is not None:
        g = p.child("grid", what="params.grid")
        for name, values in g.raw.items():
            g.read.add(name)
            vals = _scalar_list(g, name, values)
            if vals is not None:
                grid.append((name, vals))
    rows: list[tuple[tuple[str, Scalar], ...]] = []
    for i in p.mapping_list("rows"):
        r = p.child("rows", i, what="a params row")
        row: list[tuple[str, Scalar]] = []
        for name, value in r.raw.items():
            r.read.add(name)
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                r.problem(name, f"values must be text or numbers (got {value!r})")
                continue
            row.append((name, value))
        rows.append(tuple(row))
    p.finish()
    return tuple(grid), tuple(rows)


def _enum(f: Shape, name: str, kind: type[ItemType] | type[Context], default: str) -> str:
    value = f.text(name, required=kind is ItemType, default=default)
    allowed = [e.value for e in kind]
    if value and value not in allowed:
        f.problem(name, f"must be one of {', '.join(allowed)} (got {value!r})")
        return default
    return value or default


def _read_families(name: str, text: str, problems: list[Problem]) -> list[ItemFamily]:
    doc = _load(text, name, problems)
    if doc is None:
        return []
    top = Shape(doc, (), name, problems, "an items file")
    out = []
    for f in top.each("families", what="an item family", required=True):
        family = _read_family(f, name)
        if family is not None:
            out.append(family)
    top.finish()
    return out


def _read_family(f: Shape, name: str) -> ItemFamily | None:
    grid, rows = _read_params(f)
    derived: list[tuple[str, str]] = []
    if f.get("derived") is not None:
        d = f.child("derived", what="derived")
        for dname, value in d.raw.items():
            d.read.add(dname)
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                d.problem(dname, "must be an arithmetic expression")
                continue
            derived.append((dname, str(value)))
    options = []
    for o in f.each("options", what="an option"):
        options.append(Option(
            id=o.text("id"),
            text=o.text("text"),
            misconception=o.opt_text("misconception"),
            feedback=o.opt_text("feedback"),
            line=o.line(),
        ))
    key = f.text_list("key")
    key_by = None
    if f.get("key_by") is not None:
        kb = f.child("key_by", what="key_by")
        values: list[tuple[str, tuple[str, ...]]] = []
        if kb.get("values") is not None:
            kv = kb.child("values", what="key_by.values")
            for raw_value in kv.raw:
                values.append((raw_value, kv.text_list(raw_value)))
        else:
            kb.problem("values", "key_by needs 'values'", kb.line())
        key_by = KeyBy(param=kb.text("param"), values=tuple(values), line=kb.line())
        kb.finish()
    answer = None
    if f.get("answer") is not None:
        raw_answer = f.get("answer")
        if isinstance(raw_answer, bool) or not isinstance(raw_answer, str | int | float):
            f.problem("answer", "must be a number or an arithmetic expression")
        else:
            answer = str(raw_answer)
    traps = []
    for t in f.each("misconceptions", what="a numeric misconception"):
        raw_trap = t.get("answer")
        traps.append(NumericMisconception(
            answer=str(raw_trap) if isinstance(raw_trap, str | int | float) else "",
            misconception=t.text("misconception"),
            feedback=t.text("feedback"),
            line=t.line(),
        ))
        if raw_trap is None:
            t.problem("answer", "needs 'answer' (the wrong answer, as an expression)", t.line())
    rubric = _read_rubric(f) if f.get("rubric") is not None else None
    return ItemFamily(
        id=f.text("id"),
        skill=f.text("skill"),
        type=ItemType(_enum(f, "type", ItemType, ItemType.SINGLE_CHOICE.value)),
        stem=f.text("stem"),
        context=Context(_enum(f, "context", Context, Context.STANDARD.value)),
        lesson=f.opt_text("lesson"),
        difficulty=f.integer("difficulty", 3),
        grid=grid,
        rows=rows,
        derived=tuple(derived),
        feedback=f.opt_text("feedback"),
        options=tuple(options),
        key=key,
        key_by=key_by,
        answer=answer,
        tolerance=f.number("tolerance", 0.0),
        unit=f.opt_text("unit"),
        numeric_misconceptions=tuple(traps),
        rubric=rubric,
        source=Source(name, f.line(), f.field_lines()),
    )


def _read_rubric(f: Shape) -> Rubric | None:
    r = f.child("rubric", what="a rubric")
    if not r.ok:
        return None
    criteria = []
    for c in r.each("criteria", what="a criterion", required=True):
        concepts: list[tuple[str, ...]] = []
        raw_concepts = c.get("concepts")
        if raw_concepts is not None:
            if not isinstance(raw_concepts, list):
                c.problem("concepts", "must be a list of synonym lists")
            else:
                for j, concept in enumerate(raw_concepts):
                    terms = concept if isinstance(concept, list) else [concept]
                    if not all(isinstance(t, str) for t in terms):
                        c.problem("concepts", f"concept {j + 1} must be a list of text terms",
                                  c.line_at("concepts", j))
                        continue
                    concepts.append(tuple(str(t).strip().lower() for t in terms))
        criteria.append(Criterion(
            id=c.text("id"),
            description=c.text("description"),
            weight=c.number("weight", 1.0),
            concepts=tuple(concepts),
            patterns=c.text_list("patterns"),
            line=c.line(),
        ))
    forbidden = []
    for b in r.each("forbidden", what="a forbidden answer"):
        forbidden.append(Forbidden(
            misconception=b.text("misconception"),
            patterns=b.text_list("patterns"),
            feedback=b.text("feedback"),
            line=b.line(),
        ))
    rubric = Rubric(
        criteria=tuple(criteria),
        reference_answers=r.text_list("reference_answers"),
        forbidden=tuple(forbidden),
        pass_score=r.number("pass_score", 0.6),
        line=r.line(),
    )
    r.finish()
    return rubric


def _read_preflight(files: Mapping[str, str], problems: list[Problem]) -> Preflight:
    if "preflight.yaml" not in files:
        return Preflight()
    doc = _load(files["preflight.yaml"], "preflight.yaml", problems)
    if doc is None:
        return Preflight()
    top = Shape(doc, (), "preflight.yaml", problems, "preflight.yaml")
    first = []
    for s in top.each("first_time", what="a first_time entry"):
        first.append(FirstTimeLessons(s.text("campaign_type"), s.text_list("lessons"), s.line()))
        if not s.has("lessons"):
            s.problem("lessons", "needs at least one lesson", s.line())
    rules = []
    for s in top.each("rules", what="a rule entry"):
        rules.append(RuleLesson(s.text("rule"), s.text("lesson"), s.line()))
    top.finish()
    return Preflight(tuple(first), tuple(rules), Source("preflight.yaml", 1))
