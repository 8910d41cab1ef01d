"""Where the workplace's shared data is: `../shared` beside the repository, else the
workplace's own copy (a fresh clone elsewhere), or LEARNLOOP_SHARED_DIR."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    chosen = os.environ.get("LEARNLOOP_SHARED_DIR")
    candidates = [Path(chosen)] if chosen else []
    candidates += [ROOT.parent / "shared", Path("/work/shared")]
    return next((c for c in candidates if (c / "data").is_dir()), candidates[0])


TEMPLATES = shared_dir() / "data" / "email-templates"
