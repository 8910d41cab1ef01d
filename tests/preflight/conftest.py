"""Hypothesis settings for the property tests: no example database left in the work tree."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("learnloop", database=None, deadline=None)
settings.load_profile("learnloop")
