"""Sentiment of pulse comments with VADER (Hutto and Gilbert, 2014), offline.

VADER reads its lexicon from the package once; the analyser is built on first use, never at
import, and shared after that (it holds no per-call state).
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_ANALYSER: Any = None


def compound(text: str) -> float:
    """VADER's compound score: -1 (most negative) to 1 (most positive), 0 neutral."""
    global _ANALYSER
    with _LOCK:
        if _ANALYSER is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
            _ANALYSER = SentimentIntensityAnalyzer()
        analyser = _ANALYSER
    return float(analyser.polarity_scores(text)["compound"])
