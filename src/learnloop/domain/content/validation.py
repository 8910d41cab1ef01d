"""Whole-pack checks: identifiers, references, keys, templates, rubrics.

`validate_pack` returns every problem it finds; it never stops at the first. The pack reader
(`learnloop.packs`) reports syntax and shape problems; this module reports what only makes
sense once the whole pack is known.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from learnloop.domain.content import expressions, templates, variants
from learnloop.domain.content.model import (
    ItemFamily,
    ItemType,
    Lesson,
    Misconception,
    Pack,
    Source,
)
from learnloop.domain.problems import Problem, Severity

SLUG = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
MIN_MINUTES, MAX_MINUTES = 3, 7
MAX_TITLE = 200  # titles and names are stored in columns of this length
MAX_VARIANTS = 10_000  # a grid is a product: a few long lists multiply fast


def is_slug(value: str) -> bool:
    return bool(SLUG.match(value))


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def _add(self, severity: Severity, source: Source, field: str | None, message: str,
             line: int | None) -> None:
        if line is None:
            line = source.line_of(field) if field else source.line
        self.problems.append(Problem(where=source.file, line=line, field=field,
                                     message=message, severity=severity))

    def error(self, source: Source, field: str | None, message: str,
              line: int | None = None) -> None:
        self._add(Severity.ERROR, source, field, message, line)

    def warning(self, source: Source, field: str | None, message: str,
                line: int | None = None) -> None:
        self._add(Severity.WARNING, source, field, message, line)


def _slug_rule(report: _Report, source: Source, field: str, value: str,
               line: int | None = None) -> None:
    if not is_slug(value):
        report.error(
            source, field,
            f"{value!r} is not a valid id (lower-case letters, digits and '-', "
            "starting with a letter, at most 64 characters)",
            line,
        )


def _title_rule(report: _Report, source: Source, field: str, value: str) -> None:
    if len(value) > MAX_TITLE:
        report.error(source, field, f"must be at most {MAX_TITLE} characters "
                                    f"(got {len(value)})")


def _duplicates(report: _Report, kind: str,
                entries: Iterable[tuple[str, Source, int | None]]) -> None:
    entries = list(entries)
    counts = Counter(entry_id for entry_id, _, _ in entries)
    seen: set[str] = set()
    for entry_id, source, line in entries:
        if counts[entry_id] > 1:
            if entry_id in seen:
                report.error(source, "id", f"duplicate {kind} id {entry_id!r}", line)
            seen.add(entry_id)


def validate_pack(pack: Pack) -> list[Problem]:
    report = _Report()
    _slug_rule(report, pack.source, "id", pack.id)
    _title_rule(report, pack.source, "title", pack.title)
    if not pack.skills:
        report.error(pack.source, None, "a pack needs at least one skill")

    skill_ids = {s.id for s in pack.skills}
    misconceptions = pack.misconceptions()
    lessons = {lesson.id: lesson for lesson in pack.lessons}

    for skill in pack.skills:
        _slug_rule(report, skill.source, "id", skill.id)
        _title_rule(report, skill.source, "name", skill.name)
        for m in skill.misconceptions:
            _slug_rule(report, m.source, "id", m.id)
    _duplicates(report, "skill", ((s.id, s.source, None) for s in pack.skills))
    _duplicates(report, "misconception",
                ((m.id, m.source, None) for s in pack.skills for m in s.misconceptions))
    _duplicates(report, "lesson", ((x.id, x.source, None) for x in pack.lessons))
    _duplicates(report, "item family", ((f.id, f.source, None) for f in pack.families))

    for lesson in pack.lessons:
        _check_lesson(report, lesson, skill_ids, lessons)
    for skill in pack.skills:
        for m in skill.misconceptions:
            _check_remedy(report, m, lessons)
    _check_cycles(report, pack.lessons)

    for family in pack.families:
        _check_family(report, family, skill_ids, lessons, set(misconceptions))

    pre = pack.preflight
    seen_types: set[str] = set()
    for first in pre.first_time:
        if first.campaign_type in seen_types:
            report.error(pre.source, "campaign_type",
                         f"campaign type {first.campaign_type!r} is listed twice", first.line)
        seen_types.add(first.campaign_type)
        for lesson_id in first.lessons:
            if lesson_id not in lessons:
                report.error(pre.source, "lessons", f"unknown lesson {lesson_id!r}", first.line)
    for rule in pre.rules:
        if rule.lesson not in lessons:
            report.error(pre.source, "lesson", f"unknown lesson {rule.lesson!r}", rule.line)
    return report.problems


def _check_lesson(report: _Report, lesson: Lesson, skill_ids: set[str],
                  lessons: dict[str, Lesson]) -> None:
    src = lesson.source
    _slug_rule(report, src, "id", lesson.id)
    _title_rule(report, src, "title", lesson.title)
    if lesson.skill not in skill_ids:
        report.error(src, "skill", f"unknown skill {lesson.skill!r}")
    if not MIN_MINUTES <= lesson.minutes <= MAX_MINUTES:
        report.error(src, "minutes",
                     f"must be between {MIN_MINUTES} and {MAX_MINUTES} (got {lesson.minutes})")
    if not lesson.sections:
        report.error(src, None, "a lesson needs at least one section (a '## ' heading)")
    for prereq in lesson.prerequisites:
        if prereq == lesson.id:
            report.error(src, "prerequisites", "a lesson cannot be its own prerequisite")
        elif prereq not in lessons:
            report.error(src, "prerequisites", f"unknown lesson {prereq!r}")
    slugs = Counter(s.slug for s in lesson.sections)
    for section in lesson.sections:
        if slugs[section.slug] > 1:
            report.warning(src, None, f"two sections share the heading {section.title!r}",
                           section.line)


def _check_cycles(report: _Report, lessons: tuple[Lesson, ...]) -> None:
    graph = {lesson.id: lesson.prerequisites for lesson in lessons}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if nxt not in graph or nxt == node:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    lesson = next(x for x in lessons if x.id == nxt)
                    report.error(lesson.source, "prerequisites",
                                 "prerequisites form a cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for lesson in lessons:
        if lesson.id not in state:
            visit(lesson.id, [lesson.id])


def _check_regex(report: _Report, src: Source, field: str, pattern: str,
                 line: int | None) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        report.error(src, field, f"invalid regular expression {pattern!r}: {exc}", line)


def _check_family(report: _Report, family: ItemFamily, skill_ids: set[str],
                  lessons: dict[str, Lesson], misconception_ids: set[str]) -> None:
    src = family.source
    before = len(report.problems)
    _slug_rule(report, src, "id", family.id)
    if family.skill not in skill_ids:
        report.error(src, "skill", f"unknown skill {family.skill!r}")
    if family.lesson is not None and family.lesson not in lessons:
        report.error(src, "lesson", f"unknown lesson {family.lesson!r}")
    if not 1 <= family.difficulty <= 5:
        report.error(src, "difficulty", f"must be between 1 and 5 (got {family.difficulty})")

    known = family.param_names()
    for name, values in family.grid:
        if not values:
            report.error(src, "params", f"grid parameter {name!r} has no values")
    count = variants.variant_count(family)
    if count > MAX_VARIANTS:
        report.error(src, "params", f"the family has {count:,} variants; at most "
                     f"{MAX_VARIANTS:,} are allowed (shorten the grid's lists)")
    for name, source in family.derived:
        if name in known:
            report.error(src, "derived", f"derived value {name!r} shadows a parameter")
        try:
            unknown = expressions.names_in(source) - known
        except expressions.ExpressionError as exc:
            report.error(src, "derived", f"{name}: {exc}")
        else:
            if unknown:
                report.error(src, "derived",
                             f"{name}: unknown name {sorted(unknown)[0]!r} "
                             "(use a parameter or an earlier derived value)")
        known = known | {name}

    texts: list[tuple[str, str | None, int | None]] = [
        ("stem", family.stem, None), ("feedback", family.feedback, None)]
    texts += [(f"options.{o.id}", o.text, o.line) for o in family.options]
    texts += [(f"options.{o.id}.feedback", o.feedback, o.line) for o in family.options]
    template_ok = True
    for field, text, line in texts:
        if text is None:
            continue
        try:
            unknown = templates.fields_in(text) - known
        except templates.TemplateError as exc:
            report.error(src, field.split(".")[0], _label(field, str(exc)), line)
            template_ok = False
            continue
        if unknown:
            report.error(src, field.split(".")[0],
                         _label(field, "template cannot be filled: unknown placeholder "
                                f"{{{sorted(unknown)[0]}}}"), line)
            template_ok = False

    if family.is_choice:
        _check_choice(report, family, misconception_ids, known)
    else:
        if family.options or family.key or family.key_by:
            report.error(src, "options", f"{family.type.value} items take no options or key")
    if family.type is ItemType.NUMERIC:
        _check_numeric(report, family, misconception_ids, known)
    elif family.answer is not None:
        report.error(src, "answer", "only numeric items take an answer expression")
    if family.type is ItemType.FREE_TEXT:
        _check_rubric(report, family, misconception_ids)
    elif family.rubric is not None:
        report.error(src, "rubric", "only free_text items take a rubric")

    if template_ok and not any(p.is_error for p in report.problems[before:]):
        _check_variants(report, family)


def _label(field: str, message: str) -> str:
    """Prefix a message with the sub-field it concerns (the field itself is named anyway)."""
    return message if "." not in field else f"{field}: {message}"


def _check_remedy(report: _Report, m: Misconception, lessons: dict[str, Lesson]) -> None:
    if m.label is not None and len(m.label) > 120:
        report.error(m.source, "label", "a label is a short phrase: at most 120 characters")
    if m.remedy_lesson is None:
        return
    lesson = lessons.get(m.remedy_lesson)
    if lesson is None:
        report.error(m.source, "remedy", f"unknown lesson {m.remedy_lesson!r}")
    elif m.remedy_section is not None and \
            m.remedy_section not in {s.slug for s in lesson.sections}:
        known = ", ".join(s.slug for s in lesson.sections)
        report.error(m.source, "remedy",
                     f"lesson {lesson.id!r} has no section {m.remedy_section!r} "
                     f"(it has: {known})")


def _check_choice(report: _Report, family: ItemFamily, misconception_ids: set[str],
                  known: set[str]) -> None:
    src = family.source
    option_ids = [o.id for o in family.options]
    if len(option_ids) < 2:
        report.error(src, "options", "a choice item needs at least two options")
    counts = Counter(option_ids)
    for option in family.options:
        _slug_rule(report, src, "options", option.id, option.line)
    for oid, n in counts.items():
        if n > 1:
            report.error(src, "options", f"duplicate option id {oid!r}")

    keys: list[tuple[str, tuple[str, ...], int | None]] = []
    if family.key_by is not None:
        if family.key:
            report.error(src, "key", "use either key or key_by, not both")
        if family.key_by.param not in family.param_names():
            report.error(src, "key_by", f"unknown parameter {family.key_by.param!r}",
                         family.key_by.line)
        keys += [("key_by", k, family.key_by.line) for _, k in family.key_by.values]
    elif not family.key:
        report.error(src, "key", "a choice item needs a key (the id of the right option)")
    else:
        keys.append(("key", family.key, None))
    for field, key, line in keys:
        for oid in key:
            if oid not in counts:
                report.error(src, field,
                             f"answer key {oid!r} is not among the options "
                             f"({', '.join(option_ids) or 'none'})", line)
        if family.type is ItemType.SINGLE_CHOICE and len(key) != 1:
            report.error(src, field, "a single_choice key names exactly one option", line)
        if family.type is ItemType.MULTIPLE_CHOICE and not key:
            report.error(src, field, "a multiple_choice key names at least one option", line)

    always_right = set(family.key) if family.key_by is None else set()
    for option in family.options:
        if option.id in always_right:
            continue
        if option.misconception is None:
            report.error(src, "options",
                         f"distractor {option.id!r} needs a misconception tag", option.line)
        elif option.misconception not in misconception_ids:
            report.error(src, "options",
                         f"option {option.id!r}: unknown misconception "
                         f"{option.misconception!r}", option.line)
        if not option.feedback:
            report.error(src, "options",
                         f"distractor {option.id!r} needs feedback explaining why it is wrong",
                         option.line)


def _check_numeric(report: _Report, family: ItemFamily, misconception_ids: set[str],
                   known: set[str]) -> None:
    src = family.source
    if family.answer is None:
        report.error(src, "answer", "a numeric item needs an answer expression")
    else:
        try:
            unknown = expressions.names_in(family.answer) - known
        except expressions.ExpressionError as exc:
            report.error(src, "answer", str(exc))
        else:
            if unknown:
                report.error(src, "answer", f"unknown name {sorted(unknown)[0]!r}")
    if family.tolerance < 0:
        report.error(src, "tolerance", "must not be negative")
    for trap in family.numeric_misconceptions:
        if trap.misconception not in misconception_ids:
            report.error(src, "misconceptions",
                         f"unknown misconception {trap.misconception!r}", trap.line)
        try:
            unknown = expressions.names_in(trap.answer) - known
        except expressions.ExpressionError as exc:
            report.error(src, "misconceptions", str(exc), trap.line)
        else:
            if unknown:
                report.error(src, "misconceptions", f"unknown name {sorted(unknown)[0]!r}",
                             trap.line)


def _check_rubric(report: _Report, family: ItemFamily, misconception_ids: set[str]) -> None:
    src = family.source
    rubric = family.rubric
    if rubric is None:
        report.error(src, "rubric", "a free_text item needs a rubric")
        return
    if not rubric.criteria:
        report.error(src, "rubric", "a rubric needs at least one criterion", rubric.line)
    if not 0 < rubric.pass_score <= 1:
        report.error(src, "rubric", "pass_score must be above 0 and at most 1", rubric.line)
    if not rubric.reference_answers:
        report.error(src, "rubric", "a rubric needs at least one reference answer", rubric.line)
    counts = Counter(c.id for c in rubric.criteria)
    for criterion in rubric.criteria:
        _slug_rule(report, src, "rubric", criterion.id, criterion.line)
        if counts[criterion.id] > 1:
            report.error(src, "rubric", f"duplicate criterion id {criterion.id!r}",
                         criterion.line)
        if criterion.weight <= 0:
            report.error(src, "rubric", f"criterion {criterion.id!r}: weight must be positive",
                         criterion.line)
        if not criterion.concepts and not criterion.patterns:
            report.error(src, "rubric",
                         f"criterion {criterion.id!r} needs at least one concept or pattern",
                         criterion.line)
        for concept in criterion.concepts:
            if not concept or any(not term.strip() for term in concept):
                report.error(src, "rubric",
                             f"criterion {criterion.id!r}: a concept needs non-empty terms",
                             criterion.line)
        for pattern in criterion.patterns:
            _check_regex(report, src, "rubric", pattern, criterion.line)
    for forbidden in rubric.forbidden:
        if forbidden.misconception not in misconception_ids:
            report.error(src, "rubric",
                         f"forbidden: unknown misconception {forbidden.misconception!r}",
                         forbidden.line)
        if not forbidden.patterns:
            report.error(src, "rubric", "forbidden: needs at least one pattern", forbidden.line)
        for pattern in forbidden.patterns:
            _check_regex(report, src, "rubric", pattern, forbidden.line)


def _check_variants(report: _Report, family: ItemFamily) -> None:
    src = family.source
    failed_fields: set[str] = set()
    stems: Counter[str] = Counter()
    for v in range(variants.variant_count(family)):
        try:
            item = variants.make_item(family, v)
        except variants.VariantError as exc:
            if exc.field not in failed_fields:
                failed_fields.add(exc.field)
                report.error(src, exc.field.split(".")[0].split("[")[0],
                             f"template cannot be filled for variant {v + 1}: "
                             f"{exc.field}: {exc.detail}")
            continue
        stems[item.stem] += 1
    repeated = sum(n - 1 for n in stems.values() if n > 1)
    if repeated and family.type is not ItemType.NUMERIC:
        report.warning(src, "stem",
                       f"{repeated} variant(s) repeat another variant's stem word for word")
