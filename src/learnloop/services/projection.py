"""Apply learner events to stored state. The live path and the rebuild call `project` alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from learnloop.domain.learner import answer_model
from learnloop.domain.learner import projection as p
from learnloop.domain.learner.answer_model import AnswerModel, LearnerTrace
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.learner.events import (
    LEARNER_ACTIONS,
    Answered,
    Event,
    LessonCompleted,
    LessonLaunched,
    PreflightChecked,
    PulseGiven,
    SectionViewed,
)
from learnloop.domain.learner.memory import DEFAULT_PARAMETERS, FamilyMemory
from learnloop.domain.preflight.catalogue import BY_ID as RULES
from learnloop.services.ports import LearnerState


def project(learner: LearnerState, person_id: int, timezone: str, event: Event,
            catalogues: dict[str, Catalogue]) -> bool:
    """Update one learner's state for one event read from a statement; False when the event
    is about something the organisation's packs do not hold (it is stored, nothing changes)."""
    catalogue = catalogues.get(event.pack)
    if catalogue is None or not _known(event, catalogue):
        return False
    if isinstance(event, LEARNER_ACTIONS):
        learner.count_week(person_id, p.week_of(event.at, timezone))
    match event:
        case Answered():
            facts = catalogue.families[event.family]
            learner.save_memory(person_id, event.pack, event.family, p.answered_memory(
                learner.memory(person_id, event.pack, event.family), event,
                learner.memory_parameters(person_id)))
            skill = learner.skill(person_id, event.pack, facts.skill) or p.SkillState()
            model = learner.answer_model(person_id, event.pack)
            changed, trace = p.answered_skill(
                skill, event, facts, learner.trace(person_id, event.pack) or LearnerTrace(),
                model.rate(event.family))
            learner.save_skill(person_id, event.pack, facts.skill, changed)
            learner.save_trace(person_id, event.pack, trace)
        case LessonLaunched() | SectionViewed() | LessonCompleted():
            progress = learner.lesson(person_id, event.pack, event.lesson) or p.LessonProgress()
            learner.save_lesson(person_id, event.pack, event.lesson,
                                p.lesson_progress(progress, event))
            if isinstance(event, LessonCompleted):
                _clear_rules(learner, person_id, event, catalogue)
        case PreflightChecked():
            skill_id = _rule_skill(event, catalogue)
            assert skill_id is not None
            skill = learner.skill(person_id, event.pack, skill_id) or p.SkillState()
            changed = p.checked_skill(skill, event)
            if changed is not skill:
                learner.save_skill(person_id, event.pack, skill_id, changed)
        case PulseGiven():
            skill_id = _pulse_skill(event, catalogue)
            assert skill_id is not None
            skill = learner.skill(person_id, event.pack, skill_id) or p.SkillState()
            learner.save_skill(person_id, event.pack, skill_id, p.pulsed_skill(skill, event))
    return True


def _clear_rules(learner: LearnerState, person_id: int, event: LessonCompleted,
                 catalogue: Catalogue) -> None:
    """A completed lesson puts right the rules it teaches: their runs of failures restart."""
    rules = frozenset(r for r, lesson in catalogue.rules.items() if lesson == event.lesson)
    if not rules:
        return
    skill_id = catalogue.lessons[event.lesson]
    skill = learner.skill(person_id, event.pack, skill_id)
    if skill is None:
        return
    cleared = p.lesson_cleared_skill(skill, rules, event.at)
    if cleared is not skill:
        learner.save_skill(person_id, event.pack, skill_id, cleared)


def _rule_skill(event: PreflightChecked, catalogue: Catalogue) -> str | None:
    """The pack's mapping decides (the rule's lesson's skill), else the skill the statement
    names; None for a rule the catalogue does not have or a skill the pack does not hold."""
    if event.rule not in RULES:
        return None
    skill = catalogue.rule_skill(event.rule) or event.skill
    return skill if skill in catalogue.skills else None


def _pulse_skill(event: PulseGiven, catalogue: Catalogue) -> str | None:
    skill = event.skill or catalogue.lessons.get(event.lesson or "")
    return skill if skill in catalogue.skills else None


def _known(event: Event, catalogue: Catalogue) -> bool:
    """Whether the event names content the pack holds (and so changes learner state)."""
    match event:
        case Answered():
            return event.family in catalogue.families
        case SectionViewed():
            return event.section in catalogue.sections.get(event.lesson, frozenset())
        case LessonLaunched() | LessonCompleted():
            return event.lesson in catalogue.lessons
        case PulseGiven():
            return _pulse_skill(event, catalogue) is not None
        case PreflightChecked():
            return _rule_skill(event, catalogue) is not None
    return False


@dataclass
class MemoryLearner:
    """The same repository contract in memory, for rebuilding many learners at once."""

    memory_rows: dict[tuple[int, str, str], FamilyMemory] = field(default_factory=dict)
    skill_rows: dict[tuple[int, str, str], p.SkillState] = field(default_factory=dict)
    lesson_rows: dict[tuple[int, str, str], p.LessonProgress] = field(default_factory=dict)
    week_rows: dict[tuple[int, date], int] = field(default_factory=dict)
    trace_rows: dict[tuple[int, str], LearnerTrace] = field(default_factory=dict)
    parameters: dict[int, tuple[float, ...]] = field(default_factory=dict)  # read, not written
    models: dict[str, AnswerModel] = field(default_factory=dict)  # by pack; read, not written

    def memory(self, person_id: int, pack: str, family: str) -> FamilyMemory | None:
        return self.memory_rows.get((person_id, pack, family))

    def memories(self, person_id: int, pack: str) -> dict[str, FamilyMemory]:
        return {k[2]: v for k, v in self.memory_rows.items() if k[:2] == (person_id, pack)}

    def skill(self, person_id: int, pack: str, skill: str) -> p.SkillState | None:
        return self.skill_rows.get((person_id, pack, skill))

    def skills(self, person_id: int, pack: str) -> dict[str, p.SkillState]:
        return {k[2]: v for k, v in self.skill_rows.items() if k[:2] == (person_id, pack)}

    def lesson(self, person_id: int, pack: str, lesson: str) -> p.LessonProgress | None:
        return self.lesson_rows.get((person_id, pack, lesson))

    def lessons(self, person_id: int, pack: str) -> dict[str, p.LessonProgress]:
        return {k[2]: v for k, v in self.lesson_rows.items() if k[:2] == (person_id, pack)}

    def weeks(self, person_id: int) -> set[date]:
        return {week for (pid, week) in self.week_rows if pid == person_id}

    def memory_parameters(self, person_id: int) -> tuple[float, ...]:
        return self.parameters.get(person_id, DEFAULT_PARAMETERS)

    def trace(self, person_id: int, pack: str) -> LearnerTrace | None:
        return self.trace_rows.get((person_id, pack))

    def answer_model(self, person_id: int, pack: str) -> AnswerModel:
        return self.models.get(pack) or answer_model.shipped()

    def save_trace(self, person_id: int, pack: str, trace: LearnerTrace) -> None:
        self.trace_rows[(person_id, pack)] = trace

    def save_memory(self, person_id: int, pack: str, family: str, m: FamilyMemory) -> None:
        self.memory_rows[(person_id, pack, family)] = m

    def save_skill(self, person_id: int, pack: str, skill: str, s: p.SkillState) -> None:
        self.skill_rows[(person_id, pack, skill)] = s

    def save_lesson(self, person_id: int, pack: str, lesson: str,
                    progress: p.LessonProgress) -> None:
        self.lesson_rows[(person_id, pack, lesson)] = progress

    def count_week(self, person_id: int, week: date) -> None:
        self.week_rows[(person_id, week)] = self.week_rows.get((person_id, week), 0) + 1

    def people(self) -> set[int]:
        return ({k[0] for k in self.memory_rows} | {k[0] for k in self.skill_rows}
                | {k[0] for k in self.lesson_rows} | {k[0] for k in self.week_rows})
