"""The `learnloop` command's fixtures: a SQLite file, a runner, and a look at what it stored."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from learnloop.cli import main
from learnloop.store.engine import make_engine, session_factory
from learnloop.store.unit import Repos, transaction

Run = Callable[..., Result]
Stored = Callable[[], AbstractContextManager[Repos]]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in [n for n in os.environ if n.startswith("LEARNLOOP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path / "data"))
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def run(db_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str, db: bool = True) -> Result:
        return runner.invoke(main, [*args, *(["--database-url", db_url] if db else [])])

    return invoke


@pytest.fixture
def repos(db_url: str) -> Stored:
    """Look at what the CLI stored, through the repositories."""

    @contextmanager
    def open_repos() -> Iterator[Repos]:
        engine = make_engine(db_url)
        try:
            with transaction(session_factory(engine)) as r:
                yield r
        finally:
            engine.dispose()

    return open_repos


