"""What the projectors need to know about a pack: which skill each family and lesson trains,
and which lesson teaches each pre-flight rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from learnloop.domain.content import variants
from learnloop.domain.content.model import ItemFamily, ItemType, Pack


@dataclass(frozen=True, slots=True)
class FamilyFacts:
    skill: str
    difficulty: int
    probes: frozenset[str]  # misconceptions an answer on this family can reveal


@dataclass(frozen=True, slots=True)
class Catalogue:
    pack: str
    skills: frozenset[str]
    families: dict[str, FamilyFacts]
    lessons: dict[str, str]  # lesson -> skill
    sections: dict[str, frozenset[str]]  # lesson -> section slugs
    distinct: dict[str, tuple[int, ...]]  # family -> variants with distinct surfaces
    rules: dict[str, str] = field(default_factory=dict)  # pre-flight rule -> its lesson

    def rule_skill(self, rule: str) -> str | None:
        """The skill a pre-flight rule's lesson trains, when the pack maps the rule."""
        lesson = self.rules.get(rule)
        return self.lessons.get(lesson) if lesson is not None else None


def catalogue_of(pack: Pack) -> Catalogue:
    families = {}
    for family in pack.families:
        probes: set[str] = {o.misconception for o in family.options if o.misconception}
        probes |= {m.misconception for m in family.numeric_misconceptions}
        if family.type is ItemType.FREE_TEXT and family.rubric is not None:
            probes |= {f.misconception for f in family.rubric.forbidden}
        families[family.id] = FamilyFacts(family.skill, family.difficulty, frozenset(probes))
    return Catalogue(
        pack=pack.id, skills=frozenset(s.id for s in pack.skills), families=families,
        lessons={lesson.id: lesson.skill for lesson in pack.lessons},
        sections={lesson.id: frozenset(s.slug for s in lesson.sections)
                  for lesson in pack.lessons},
        distinct={family.id: _distinct(family) for family in pack.families},
        rules=_rule_lessons(pack))


def _rule_lessons(pack: Pack) -> dict[str, str]:
    """Each rule's lesson as `preflight.coaching_for` finds it: the rule's first mapping,
    when that lesson is in the pack."""
    first: dict[str, str] = {}
    for mapping in pack.preflight.rules:
        first.setdefault(mapping.rule, mapping.lesson)
    return {rule: lesson for rule, lesson in first.items() if pack.lesson(lesson)}


def _distinct(family: ItemFamily) -> tuple[int, ...]:
    try:
        return tuple(item.variant for item in variants.distinct_items(family))
    except variants.VariantError:  # a published pack renders; an unchecked one may not
        return (0,)
