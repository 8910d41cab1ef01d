"""A small, valid content pack as text, for tests that read, validate or publish packs.

`pack_files(**overrides)` gives the files as a mapping (for `read_pack_files`);
`write_pack(tmp_path, **overrides)` writes them into a folder and returns it.

Overrides name a file by keyword: `pack`, `skills`, `lesson` (lessons/bounces.md), `basics`
(lessons/basics.md), `items` (items/deliverability.yaml), `preflight`. A text replaces the
file; None removes it. `extra={"lessons/x.md": "..."}` adds or replaces files by path.
"""

from __future__ import annotations

from pathlib import Path

PACK_YAML = """\
id: starter
title: Starter pack
description: A pack small enough to read in one go.
"""

SKILLS_YAML = """\
skills:
  - id: deliverability
    name: Deliverability
    behaviour: Sends only wanted, authenticated mail.
    in_work: Campaigns carry one-click unsubscribe headers.
    misconceptions:
      - id: soft-hard-confused
        description: Treats a hard bounce as temporary.
      - id: wrong-denominator
        description: Divides by delivered mail instead of sent mail.
      - id: footer-enough
        description: Thinks a footer link is all an unsubscribe needs.
"""

BASICS_MD = """\
---
id: basics
skill: deliverability
title: Delivery basics
objective: Explain what a mailbox provider checks first.
minutes: 3
---

## Authentication
SPF, DKIM and DMARC tell the receiver who sent the mail.
"""

LESSON_MD = """\
---
id: bounces
skill: deliverability
title: Soft and hard bounces
objective: Decide whether to retry or suppress an address.
minutes: 4
prerequisites: [basics]
---
Bounces tell you something.

## Hard bounces
A 5.x.x code is permanent: suppress the address.

## Soft bounces
A 4.x.x code is temporary: retry, then suppress.
"""

ITEMS_YAML = """\
families:
  - id: bounce-code
    skill: deliverability
    lesson: bounces
    type: single_choice
    params:
      rows:
        - {code: "550 5.1.1", meaning: "mailbox does not exist"}
        - {code: "452 4.2.2", meaning: "mailbox full"}
    stem: The server answered "{code}". What do you do with the address?
    options:
      - id: suppress
        text: Suppress the address at once.
        misconception: soft-hard-confused
        feedback: A 4.x.x code is temporary; the mailbox may accept mail tomorrow.
      - id: retry
        text: Retry for 72 hours, then suppress if it still fails.
        misconception: soft-hard-confused
        feedback: A 5.x.x code is permanent; retrying hurts your reputation.
    key_by:
      param: meaning
      values:
        "mailbox does not exist": suppress
        "mailbox full": retry

  - id: bounce-rate
    skill: deliverability
    type: numeric
    context: transfer
    difficulty: 2
    params:
      grid:
        sent: [12000, 25000]
        bounced: [240, 600]
    derived:
      rate: round(bounced / sent * 100, 2)
    stem: A campaign went to {sent} addresses and {bounced} bounced. What is the bounce rate?
    answer: bounced / sent * 100
    tolerance: 0.05
    unit: "%"
    feedback: Bounce rate = {bounced} / {sent} = {rate}%.
    misconceptions:
      - answer: bounced / (sent - bounced) * 100
        misconception: wrong-denominator
        feedback: You divided by delivered mail; the rate is over everything you sent.

  - id: explain-unsubscribe
    skill: deliverability
    type: free_text
    stem: A colleague says a footer link is enough for unsubscribes. What do you tell them?
    rubric:
      criteria:
        - id: header
          description: Names the List-Unsubscribe header.
          weight: 2
          concepts:
            - [list-unsubscribe, unsubscribe header]
        - id: one-click
          description: Mentions one-click unsubscribe.
          patterns: ["one[- ]click"]
      forbidden:
        - misconception: footer-enough
          patterns: ["footer (link )?is (enough|fine)"]
          feedback: A footer link is good practice, but the header is required.
      reference_answers:
        - Add the List-Unsubscribe header with one-click support; a footer link alone fails.
"""

PREFLIGHT_YAML = """\
first_time:
  - campaign_type: newsletter
    lessons: [basics, bounces]
rules:
  - rule: D1
    lesson: bounces
"""

FILES = {
    "pack": ("pack.yaml", PACK_YAML),
    "skills": ("skills.yaml", SKILLS_YAML),
    "basics": ("lessons/basics.md", BASICS_MD),
    "lesson": ("lessons/bounces.md", LESSON_MD),
    "items": ("items/deliverability.yaml", ITEMS_YAML),
    "preflight": ("preflight.yaml", PREFLIGHT_YAML),
}


def pack_files(extra: dict[str, str] | None = None, **overrides: str | None) -> dict[str, str]:
    unknown = set(overrides) - set(FILES)
    if unknown:
        raise TypeError(f"unknown pack file override(s): {sorted(unknown)}")
    files: dict[str, str] = {}
    for key, (path, text) in FILES.items():
        chosen = overrides.get(key, text)
        if chosen is not None:
            files[path] = chosen
    files.update(extra or {})
    return files


def write_pack(tmp_path: Path, extra: dict[str, str] | None = None, *, folder: str = "pack",
               **overrides: str | None) -> Path:
    root = tmp_path / folder
    root.mkdir(parents=True, exist_ok=True)
    for path, text in pack_files(extra, **overrides).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing `needle` (so tests name lines by content)."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    if len(hits) < occurrence:
        raise AssertionError(f"{needle!r} occurs {len(hits)} time(s), not {occurrence}")
    return hits[occurrence - 1]
