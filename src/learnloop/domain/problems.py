"""Problems found while checking input: each names where it is and which rule it breaks.

Validation in learnloop never stops at the first problem. Every checker returns a list of
`Problem`s so that a person fixing a content pack, a CSV file or an API body sees all of them
at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input.

    `where` is the file (content packs, CSV) or the JSON path of a body; `line` is 1-based
    where a line is known; `field` names the field; `message` states the rule that was broken.
    """

    where: str
    message: str
    line: int | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        return f"{self.where}:{self.line}" if self.line is not None else self.where

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.location()}: {self.severity.value}:{field} {self.message}"


NUL = "\x00"


def has_nul(text: str) -> bool:
    """Text with a NUL character cannot be stored (PostgreSQL refuses it) and is never valid."""
    return NUL in text


def errors_in(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.where, p.line or 0, p.field or "", p.message))
