"""From a failed rule to a coaching moment: the lesson and the skill behind it.

A content pack's `preflight.yaml` maps each rule to a lesson, and each lesson names its skill;
a rule the pack does not map falls back to the skill of its family in the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnloop.domain.content.model import Pack
from learnloop.domain.preflight.catalogue import BY_ID


@dataclass(frozen=True, slots=True)
class Coaching:
    rule: str
    skill: str
    lesson: str | None = None
    lesson_title: str | None = None
    minutes: int | None = None
    pack: str | None = None


def coaching_for(rule_id: str, pack: Pack | None) -> Coaching:
    rule = BY_ID[rule_id]
    if pack is None:
        return Coaching(rule_id, rule.skill)
    lesson_id = next((m.lesson for m in pack.preflight.rules if m.rule == rule_id), None)
    lesson = pack.lesson(lesson_id) if lesson_id else None
    if lesson is None:
        return Coaching(rule_id, rule.skill, pack=pack.id)
    return Coaching(rule_id, lesson.skill, lesson.id, lesson.title, lesson.minutes, pack.id)


def first_time_lessons(pack: Pack | None, campaign_type: str | None) -> tuple[str, ...]:
    """The lessons a pack offers before someone's first campaign of this type."""
    if pack is None or not campaign_type:
        return ()
    for entry in pack.preflight.first_time:
        if entry.campaign_type == campaign_type:
            return tuple(lesson for lesson in entry.lessons if pack.lesson(lesson))
    return ()
