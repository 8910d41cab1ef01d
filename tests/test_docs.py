"""Docs that cannot drift: the README's commands, every setting, every CLI command, the
xAPI profile."""

from __future__ import annotations

import re
from pathlib import Path

import click

from learnloop.cli import main
from learnloop.domain.xapi import profile
from learnloop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _quickstart_commands() -> list[str]:
    block = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", block, re.DOTALL)


def test_readme_quickstart_has_exactly_two_commands() -> None:
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "learnloop demo" in commands[0]
    assert "learnloop serve" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert _quickstart_commands()[1] in ci.splitlines()


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields
               if f"`LEARNLOOP_{name.upper()}`" not in doc]
    assert missing == []


def _commands(group: click.Group, prefix: str = "learnloop") -> list[str]:
    out = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out += _commands(command, full)
        else:
            out.append(full)
    return out


def test_every_cli_command_is_documented() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text()
    missing = [c for c in _commands(main) if c not in doc]
    assert missing == []


def test_every_xapi_iri_is_documented() -> None:
    doc = (ROOT / "docs" / "xapi-profile.md").read_text()
    iris = [v.id for v in profile.VERBS] + [t.value for t in profile.ActivityType] \
        + [e.value for e in profile.Extension]
    missing = [iri for iri in iris if f"`{iri}`" not in doc]
    assert missing == []
