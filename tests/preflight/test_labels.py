"""The benchmark's data stays honest: corpus.yaml (campaign metadata) and visual-labels.yaml
(hand labels for T1, T3, T4) cover exactly the templates that MANIFEST.md lists, with the
fields and types benchmarks/preflight/corpus.py reads. The tool's precision is measured by the
benchmark, never asserted here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from learnloop.domain.preflight.artifact import MessageType
from learnloop.domain.preflight.config import PreflightConfig
from tests.shared_data import TEMPLATES

DATA = Path(__file__).resolve().parents[1] / "data" / "preflight"
MANIFEST = TEMPLATES / "MANIFEST.md"
WIDTHS = set(PreflightConfig().widths)
RULES = ("T1", "T3", "T4")

needs_templates = pytest.mark.skipif(not MANIFEST.is_file(),
                                     reason="the shared email templates are not here")


def _load(name: str, key: str) -> dict[str, Any]:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert set(data) == {key}, f"{name} has one top-level key, {key}"
    entries = data[key]
    assert isinstance(entries, dict)
    return entries


def manifest_paths() -> set[str]:
    """The local file of every row of MANIFEST.md's table (one row is listed twice)."""
    paths = set()
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].endswith(".html"):
            paths.add(cells[0])
    return paths


@needs_templates
def test_the_manifest_lists_42_templates_that_exist() -> None:
    paths = manifest_paths()
    assert len(paths) == 42
    assert all((TEMPLATES / p).is_file() for p in paths)


@needs_templates
@pytest.mark.parametrize(("name", "key"), [("corpus.yaml", "templates"),
                                           ("visual-labels.yaml", "labels")])
def test_the_data_covers_exactly_the_manifest(name: str, key: str) -> None:
    assert set(_load(name, key)) == manifest_paths()


def test_every_template_has_a_message_and_campaign_type() -> None:
    for path, meta in _load("corpus.yaml", "templates").items():
        assert isinstance(meta, dict), path
        assert set(meta) <= {"message_type", "campaign_type", "note"}, path
        assert meta["message_type"] in {t.value for t in MessageType}, path
        assert isinstance(meta["campaign_type"], str), path
        assert meta["campaign_type"] == meta["campaign_type"].strip().lower(), path
        assert isinstance(meta.get("note", ""), str), path


def test_every_template_is_labelled_at_every_width() -> None:
    for path, widths in _load("visual-labels.yaml", "labels").items():
        assert isinstance(widths, dict), path
        assert set(widths) == WIDTHS, path
        for width, label in widths.items():
            assert set(label) == {*RULES, "note"}, (path, width)
            assert all(type(label[rule]) is bool for rule in RULES), (path, width)
            assert isinstance(label["note"], str), (path, width)
            assert label["note"].strip(), (path, width)
