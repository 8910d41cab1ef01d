"""What the outside checkers (a browser, a spam filter) promise, as plain types.

Adapters in `learnloop.checks` implement these; the service that runs a pre-flight sees only
the protocols, and an adapter's failure arrives as `CheckFailed` with a reason a person can
read ("Chromium is not installed", "the page took longer than 15 s to render").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from learnloop.domain.preflight.spam import SpamReport
from learnloop.domain.preflight.visual import Measurement


class CheckFailed(Exception):
    """A checker could not give an answer; the rules it decides are reported as not run."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Renderer(Protocol):
    def measure(self, html: str, widths: Sequence[int],
                budget_s: float) -> tuple[Measurement, ...]: ...


class SpamChecker(Protocol):
    def check(self, message: bytes, budget_s: float) -> SpamReport: ...
