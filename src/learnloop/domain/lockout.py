"""When repeated wrong passwords lock an account for a while (pure: time is passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Attempts:
    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime) -> Attempts:
        """Count a wrong password; the fifth in a row locks the account for 15 minutes."""
        failures = 0 if self.locked_until is not None and now >= self.locked_until \
            else self.failures
        failures += 1
        if failures >= MAX_FAILURES:
            return Attempts(0, now + LOCK_FOR)
        return Attempts(failures, None)
