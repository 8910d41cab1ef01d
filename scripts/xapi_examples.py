"""Generate the example statements of docs/xapi-profile.md with learnloop's own code.

    .venv/bin/python scripts/xapi_examples.py          # rewrite the examples in the doc
    .venv/bin/python scripts/xapi_examples.py --check  # exit 1 when the doc is out of date

Every example is built by the same builders, grader and policy the product uses, with fixed
ids and times, so the doc shows exactly what learnloop writes. tests/test_docs.py runs the check.
"""

from __future__ import annotations

import json
import random
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from learnloop.demo import DEMO_PACK
from learnloop.domain.content import variants
from learnloop.domain.grading import Response, grade
from learnloop.domain.learner import policy
from learnloop.domain.learner.policy import LearnerView
from learnloop.domain.learner.projection import MisconceptionSeen, SkillState
from learnloop.domain.preflight.artifact import Campaign
from learnloop.domain.preflight.evidence import statements_for
from learnloop.domain.preflight.findings import Finding, Severity, result_of
from learnloop.domain.preflight.report import Report
from learnloop.domain.xapi import statements as xs
from learnloop.packs import read_pack
from learnloop.sentiment import compound
from learnloop.services.loop import answer_record

DOC = Path(__file__).resolve().parents[1] / "docs" / "xapi-profile.md"


def examples() -> dict[str, Any]:
    pack = read_pack(DEMO_PACK).pack
    scope = xs.Scope("northwind", pack.id, 3)
    PERSON = 17
    STEP = "0b6f2e57-5d1a-4c3e-9a52-3f1d0c8e7a41"  # a lesson step: its id is the registration
    REMEDIATION = "5c2a9d13-8e4b-4f6a-b1c7-2d9e0f3a6b58"    # a remediation step
    RECHECK = "9e7d4c21-3b5a-4d8f-a6e2-1c0b9f8d7e63"        # a re-check step
    T0 = datetime(2025, 3, 10, 9, 14, 0, tzinfo=UTC)

    def sid(n: int) -> str:
        return f"e3b1c2d4-7a6f-4b8e-9c0d-{n:012d}"

    lesson = pack.lesson("bounces-and-complaints")
    section = lesson.sections[0]
    out: dict[str, object] = {}

    out["launched"] = xs.lesson_launched(sid(1), scope, PERSON, lesson.id, lesson.title, STEP,
                                         T0 + timedelta(seconds=5))
    out["experienced"] = xs.section_viewed(sid(2), scope, PERSON, lesson.id, section.slug,
                                           section.title, STEP, T0 + timedelta(seconds=40))
    out["completed"] = xs.lesson_completed(sid(3), scope, PERSON, lesson.id, lesson.title, STEP,
                                           T0 + timedelta(minutes=4, seconds=12), 247.3)
    out["rated_lesson"] = xs.pulse_given(sid(4), scope, PERSON, "lesson",
                                         xs.lesson_activity(scope, lesson.id), 4, 5, None, None,
                                         STEP, T0 + timedelta(minutes=4, seconds=20))

    def answered(n, family_id, variant, response, seconds, at):
        """Graded by learnloop's own grader, recorded as services/loop.py `answer` records it."""
        family = pack.family(family_id)
        item = variants.make_item(family, variant)
        graded = grade(family, item, response)
        record = answer_record(item, response, graded, seconds)
        return xs.item_answered(sid(n), scope, PERSON, record, STEP,
                                f"a4c8e1f2-6b3d-4e9a-8f7c-{n:012d}", "lesson", at)

    out["answered_choice"] = answered(
        5, "bulk-sender-requirements", 0,
        Response(choices=("spf-dkim", "one-click", "spam-rate", "dmarc-reject")), 38.42,
        T0 + timedelta(minutes=5))
    out["answered_numeric"] = answered(
        6, "spam-rate-calc", 2, Response(number=0.525), 61.0, T0 + timedelta(minutes=6, seconds=5))
    text = ("This is marketing mail to Gmail users, so it needs the List-Unsubscribe and "
            "List-Unsubscribe-Post headers for one-click unsubscribe. The footer link is good, "
            "but on its own it is not enough.")
    out["answered_long_fill_in"] = answered(
        7, "explain-one-click", 2, Response(text=text), 142.5,
        T0 + timedelta(minutes=8, seconds=30))
    comment = "Useful: the worked example made the spam rate clear."
    out["rated_check"] = xs.pulse_given(sid(8), scope, PERSON, "check",
                                        xs.skill_activity(scope, lesson.skill), 3, 5, comment,
                                        compound(comment), STEP,
                                        T0 + timedelta(minutes=8, seconds=50))

    # The policy's own choice for a learner whose last answer revealed a misconception.
    seen = T0 + timedelta(days=1, hours=1)
    view = LearnerView({"deliverability": SkillState(misconceptions=(
        ("soft-hard-bounce-confused", MisconceptionSeen(1, seen)),))}, {}, {})
    chosen = policy.next_step(pack, view, seen, random.Random(0),  # noqa: S311
                              "bounce-hard-or-soft")
    assert chosen.kind.value == "remediation"
    assert chosen.lesson == lesson.id
    reason = chosen.reason
    assert chosen.lesson is not None
    assert chosen.section is not None
    target = xs.section_activity(scope, chosen.lesson, chosen.section)
    out["was_assigned"] = xs.assigned(sid(9), scope, PERSON, target,
                                      chosen.kind.value, reason, REMEDIATION,
                                      T0 + timedelta(days=1, hours=2))
    out["became_due"] = xs.became_due(sid(10), scope, PERSON, "bounce-hard-or-soft",
                                      T0 + timedelta(days=6, hours=7), RECHECK,
                                      T0 + timedelta(days=7, hours=1))

    # A pre-flight run whose placeholder-link rule failed, as the pre-flight service records it.
    run = "3d9c1b7e-2a4f-4c8d-9e6b-7f1a0c5d2e94"
    findings = [Finding("T9", Severity.FAIL, "The link goes nowhere.", "link 3: #", "#"),
                Finding("T9", Severity.FAIL, "The link points at example.com.",
                        "link 5: https://example.com/offer", "https://example.com/offer")]
    report = Report("spring-sale.json", (result_of("T9", findings),))
    out["preflight_failed"] = statements_for(
        report, org="northwind", person_id=PERSON, pack=pack, version=3, run_id=run,
        attempt=1, campaign=Campaign(name="2025-03_email_all_spring-sale",
                                     campaign_type="promotional"),
        at=T0 + timedelta(days=8, hours=5, minutes=40), ids=lambda: sid(11))[0]
    return out


def render(doc: str, out: dict[str, Any]) -> str:
    """Replace each JSON block in the doc by the example with the same statement id."""
    by_id = {value["id"]: value for value in out.values()}

    def swap(match: re.Match[str]) -> str:
        found = json.loads(match.group(1))
        fresh = by_id.get(found.get("id")) if isinstance(found, dict) else None
        if fresh is None:
            return match.group(0)
        return "```json\n" + json.dumps(fresh, indent=2, ensure_ascii=False) + "\n```"

    return re.sub(r"```json\n(.*?)\n```", swap, doc, flags=re.DOTALL)


def main() -> None:
    doc = DOC.read_text(encoding="utf-8")
    fresh = render(doc, examples())
    if "--check" in sys.argv:
        if fresh != doc:
            print("docs/xapi-profile.md: the examples are out of date; run "
                  "scripts/xapi_examples.py")
            sys.exit(1)
        return
    DOC.write_text(fresh, encoding="utf-8")


if __name__ == "__main__":
    main()
