"""What the projectors need to know about a pack: which skill each family and lesson trains."""

from __future__ import annotations

from dataclasses import dataclass

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
        distinct={family.id: _distinct(family) for family in pack.families})


def _distinct(family: ItemFamily) -> tuple[int, ...]:
    try:
        return tuple(item.variant for item in variants.distinct_items(family))
    except variants.VariantError:  # a published pack renders; an unchecked one may not
        return (0,)
