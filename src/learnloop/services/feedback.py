"""The feedback library: a reviewer saves a real pre-flight failure as an anonymised example,
linked to its skill, and turns it into a knowledge-check item for the content pack.

Saving is a two-step approval. `preview` shows the anonymised excerpt and what was replaced,
with its digest; `save` scrubs the run again and keeps the example only when the digest is
the one the reviewer approved, so what is stored is exactly what was shown. When the run, the
organisation's settings or its members changed in between, the excerpt changes, the digest
no longer matches, and the reviewer is asked to look again (409).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.content.model import Misconception, Pack
from learnloop.domain.errors import Conflict, InvalidInput, NotFound
from learnloop.domain.people import Organisation
from learnloop.domain.preflight.catalogue import BY_ID, RULES, Rule
from learnloop.domain.preflight.coaching import coaching_for
from learnloop.domain.preflight.scrub import (
    Known,
    ScrubbedExample,
    excerpt_language,
    replaced_data,
    scrub_example,
)
from learnloop.domain.problems import Problem, has_nul
from learnloop.services.ports import (
    ExampleDraft,
    FeedbackRepo,
    FeedbackStore,
    StoredExample,
    StoredRun,
)
from learnloop.services.preflight_runs import get_run, organisation_config

MAX_TITLE = 200
MAX_NOTE = 4000
DISTRACTORS = 3
DIGEST = re.compile(r"^[0-9a-f]{64}$")
SAVABLE = ("failed", "warned")


def _result(run: StoredRun, rule: str) -> dict[str, Any]:
    """The rule's result in the run, when it failed or warned there."""
    if rule not in BY_ID:
        raise InvalidInput([Problem("query", f"{rule!r} is not a pre-flight rule",
                                    field="rule")])
    results = run.report.get("results", [])
    found: dict[str, Any] | None = next((r for r in results if r.get("rule") == rule), None)
    if found is None or found.get("outcome") not in SAVABLE:
        savable = [r["rule"] for r in results if r.get("outcome") in SAVABLE]
        outcome = found.get("outcome", "not run").replace("_", " ") if found else "not run"
        raise InvalidInput([Problem(
            "query", f"{rule} {outcome} in this run; only a rule that failed or warned can "
            "become an example (here: " + (", ".join(savable) or "none") + ")",
            field="rule")])
    return found


def _known(store: FeedbackStore, org: Organisation) -> Known:
    config = organisation_config(store.preflight, org.id)
    return Known(config.brand_names, (*config.sender_domains, *config.utm.owned_domains),
                 tuple(p.name for p in store.people.people(org.id)))


def _preview(store: FeedbackStore, org: Organisation, actor: Actor | None, run_id: str,
             rule: str) -> tuple[StoredRun, dict[str, Any], ScrubbedExample]:
    if actor is not None:
        require(actor, Action.CURATE_FEEDBACK, Target(org.id))
    run = get_run(store.preflight, org, actor, run_id)
    result = _result(run, rule)
    example = scrub_example(run.artifact, rule, result.get("findings", []),
                            _known(store, org))
    return run, result, example


def preview(store: FeedbackStore, org: Organisation, actor: Actor | None, run_id: str,
            rule: str) -> ScrubbedExample:
    """The anonymised example of `rule` in the run, for the reviewer to approve. The reviewer
    must be allowed to curate the library and to see the run; the rule must have failed or
    warned in it."""
    return _preview(store, org, actor, run_id, rule)[2]


def _text_problems(title: str, note: str, digest: str) -> list[Problem]:
    problems: list[Problem] = []
    if has_nul(title) or has_nul(note):
        problems.append(Problem("body", "contains a NUL character",
                                field="title" if has_nul(title) else "note"))
    if not title.strip():
        problems.append(Problem("body", "give the example a title", field="title"))
    elif len(title.strip()) > MAX_TITLE:
        problems.append(Problem("body", f"at most {MAX_TITLE} characters", field="title"))
    elif re.search(r"[\x00-\x1f\x7f]", title.strip()):
        problems.append(Problem("body", "one line of text, without line breaks or tabs",
                                field="title"))
    if len(note.strip()) > MAX_NOTE:
        problems.append(Problem("body", f"at most {MAX_NOTE} characters", field="note"))
    if not DIGEST.match(digest):
        problems.append(Problem("body", "the digest of the preview you approved (64 hex "
                                "characters, as the preview gives it)", field="digest"))
    return problems


def save(store: FeedbackStore, org: Organisation, actor: Actor | None, run_id: str, rule: str,
         title: str, note: str, approved_excerpt_digest: str, now: datetime, *,
         pack: Pack | None = None) -> StoredExample:
    """Keep the example the reviewer approved. Every problem with the input is reported at
    once (400); a digest that is not the current preview's is a 409, and nothing is kept.
    With a `pack`, the item family made from the example is kept with it."""
    problems = _text_problems(title, note, approved_excerpt_digest)
    try:
        run, result, example = _preview(store, org, actor, run_id, rule)
    except InvalidInput as exc:
        raise InvalidInput([*exc.problems, *problems]) from None
    if problems:
        raise InvalidInput(problems)
    if example.digest(run.id) != approved_excerpt_digest:
        raise Conflict("The example is not the one you approved: the run, the pre-flight "
                       "settings or the organisation's people changed since the preview. "
                       "Look at the preview again and approve what it shows.")
    stored = store.feedback.add(ExampleDraft(
        org.id, run.id, rule, str(result.get("skill") or BY_ID[rule].skill),
        title.strip(), example.excerpt, replaced_data(example.replaced), note.strip(),
        actor.person_id if actor else None, now))
    if pack is None:
        return stored
    try:
        item = to_item(stored, pack, avoid=also_shown(run, rule))
    except InvalidInput:
        return stored  # the pack cannot hold it (no such skill); the example is kept
    store.feedback.set_item(stored.id, item)
    return replace(stored, item_yaml=item)


def list_examples(repo: FeedbackRepo, org: Organisation, actor: Actor | None, *,
                  rule: str | None = None) -> list[StoredExample]:
    if actor is not None:
        require(actor, Action.READ_FEEDBACK, Target(org.id))
    return repo.examples(org.id, rule=rule)


def get_example(repo: FeedbackRepo, org: Organisation, actor: Actor | None,
                example_id: int) -> StoredExample:
    if actor is not None:
        require(actor, Action.READ_FEEDBACK, Target(org.id))
    example = repo.example(org.id, example_id)
    if example is None:
        raise NotFound(f"no example {example_id} in the feedback library")
    return example


def item_yaml(store: FeedbackStore, example: StoredExample, pack: Pack | None) -> str | None:
    """The example's item family: as kept when it was saved, else made now from `pack`."""
    if example.item_yaml is not None or pack is None:
        return example.item_yaml
    run = store.preflight.run(example.org_id, example.run_id) if example.run_id else None
    try:
        return to_item(example, pack, avoid=also_shown(run, example.rule) if run else ())
    except InvalidInput:
        return None


# --- the item family ---


def also_shown(run: StoredRun, rule: str) -> list[str]:
    """The other rules that failed or warned at a place the rule's findings point at (the
    same link, image, header ...): the excerpt shows their fault too, so they would be right
    answers as well and make poor wrong options."""
    results = run.report.get("results", [])
    mine = {f.get("where") for r in results if r.get("rule") == rule
            for f in r.get("findings", []) if f.get("where")}
    return [r["rule"] for r in results if r.get("outcome") in SAVABLE and r.get("rule") != rule
            and any(f.get("where") in mine for f in r.get("findings", []))]


def family_id(example: StoredExample) -> str:
    return f"feedback-{example.rule.lower()}-{example.id}"


def _misconception(pack: Pack, skill: str, lesson: str | None) -> Misconception:
    """The misconception a wrong answer reveals: the skill's one whose remedy is the rule's
    lesson, else the skill's first, else the pack's first."""
    found = pack.skill(skill)
    own = found.misconceptions if found else ()
    chosen = next((m for m in own if lesson and m.remedy_lesson == lesson), None) or \
        (own[0] if own else None) or next(iter(pack.misconceptions().values()), None)
    if chosen is None:
        raise InvalidInput([Problem("pack", "the pack declares no misconceptions, and an "
                                    "item's wrong options need one", field="misconceptions")])
    return chosen


def _distractors(rule: Rule, pack: Pack, skill: str, avoid: Iterable[str]) -> list[Rule]:
    """Other rules of the same skill, starting after the rule in catalogue order; rules the
    artifact shows (not the ones checked outside it) first; never one in `avoid` (a rule
    whose fault the excerpt shows too)."""
    excluded = {rule.id, *avoid}
    start = RULES.index(rule)
    ring = [*RULES[start + 1:], *RULES[:start]]
    same = [r for r in ring if r.id not in excluded and coaching_for(r.id, pack).skill == skill]
    shown = [r for r in same if r.kind != "outside"]
    return [*shown, *[r for r in same if r.kind == "outside"]][:DISTRACTORS]


def _template(text: str) -> str:
    """Literal text for an item template: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(?:\s|$)", text.strip(), re.DOTALL)
    return match.group(1) if match else text.strip()


def to_item(example: StoredExample, pack: Pack, *, avoid: Iterable[str] = ()) -> str:
    """An item family file (YAML) for `pack`: a single-choice question whose stem shows the
    excerpt and asks which check it fails. The key is the rule; the wrong options are other
    rules of the same skill, each with feedback. Skill and lesson come from the pack's
    preflight.yaml. Raises InvalidInput when the pack lacks the skill."""
    rule = BY_ID[example.rule]
    coaching = coaching_for(rule.id, pack)
    skill = coaching.skill
    if pack.skill(skill) is None:
        raise InvalidInput([Problem("pack", f"the pack {pack.id!r} has no skill {skill!r} "
                                    f"for rule {rule.id}", field="skill")])
    misconception = _misconception(pack, skill, coaching.lesson)
    others = _distractors(rule, pack, skill, avoid)
    language = excerpt_language(example.excerpt)
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", example.excerpt)),
                             default=0) + 1)
    stem = (f"Pre-flight flagged this part of a real campaign (names, addresses, brands and "
            f"links are anonymised):\n\n{fence}{language}\n{example.excerpt}\n{fence}\n\n"
            "Which check does it fail?")
    right = f"{rule.id} {rule.title}"
    feedback = f"{right}. {rule.why} Fix: {rule.fix}"
    if example.note:
        feedback += f" Reviewer's note: {example.note}"
    options: list[tuple[str, str, str | None]] = [(rule.id.lower(), right, None)]
    for other in others:
        options.append((other.id.lower(), f"{other.id} {other.title}",
                        f"{other.id} checks something else: {_first_sentence(other.why)} "
                        f"Here the problem is {rule.id}, {rule.title.lower()}. {rule.fix}"))
    options.sort(key=lambda o: o[0])
    lines = [
        f"# From the feedback library: example {example.id}, rule {rule.id}"
        + (f", run {example.run_id}" if example.run_id else "") + ".",
        "# Add the family to one of the pack's items/*.yaml files (or keep this file there).",
        "families:",
        f"  - id: {family_id(example)}",
        f"    skill: {skill}",
    ]
    if coaching.lesson:
        lines.append(f"    lesson: {coaching.lesson}")
    lines += ["    type: single_choice", "    context: transfer",
              f"    stem: {_yaml_text(_template(stem), 6)}", "    options:"]
    for option_id, text, option_feedback in options:
        lines += [f"      - id: {option_id}", f"        text: {_yaml_text(_template(text), 10)}"]
        if option_feedback is not None:
            lines += [f"        misconception: {misconception.id}",
                      f"        feedback: {_yaml_text(_template(option_feedback), 10)}"]
    lines += [f"    key: {rule.id.lower()}",
              f"    feedback: {_yaml_text(_template(feedback), 6)}"]
    return "\n".join(lines) + "\n"


# --- YAML without a YAML library (services do not import one) ---

# What YAML lets stand as it is (its printable set, less the Unicode line separators).
_PRINTABLE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd"
                        "\U00010000-\U0010ffff]")


def _yaml_text(text: str, indent: int) -> str:
    """A YAML scalar for `text`: a literal block when it has several lines that need no
    escaping, else a double-quoted scalar."""
    lines = text.split("\n")
    block_safe = len(lines) > 1 and not _PRINTABLE.search(text) and \
        lines[0].strip() == lines[0] and lines[0] != "" and not text.endswith("\n")
    if block_safe:
        pad = " " * indent
        return "|-\n" + "\n".join(pad + line if line else "" for line in lines)
    return _quoted(text)


def _quoted(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif _PRINTABLE.match(char):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
