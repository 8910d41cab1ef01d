"""Where the learner-model data is: `../shared/data/learner-model` beside the repository, else
the workplace's own copy (a clone elsewhere), or under LEARNLOOP_SHARED_DIR."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def learner_data() -> Path:
    chosen = os.environ.get("LEARNLOOP_SHARED_DIR")
    candidates = [Path(chosen)] if chosen else []
    candidates += [ROOT.parent / "shared", Path("/work/shared")]
    found = next((c for c in candidates if (c / "data" / "learner-model").is_dir()),
                 candidates[0])
    return found / "data" / "learner-model"
