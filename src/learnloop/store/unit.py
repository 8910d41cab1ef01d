"""One transaction, with the repositories that work inside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from learnloop.store.auth import SqlAuth
from learnloop.store.calibration import SqlCalibration
from learnloop.store.content import SqlContent
from learnloop.store.feedback import SqlFeedback
from learnloop.store.learner import SqlLearner
from learnloop.store.lrs import SqlLrs
from learnloop.store.people import SqlPeople
from learnloop.store.preflight import SqlPreflight
from learnloop.store.statements import SqlStatements
from learnloop.store.steps import SqlSteps


@dataclass
class Repos:
    session: Session
    people: SqlPeople
    auth: SqlAuth
    content: SqlContent
    statements: SqlStatements
    learner: SqlLearner
    steps: SqlSteps
    lrs: SqlLrs
    preflight: SqlPreflight
    feedback: SqlFeedback
    calibration: SqlCalibration


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Repos]:
    """Commit when the block ends normally, roll back on any exception."""
    with factory() as session, session.begin():
        yield Repos(session, SqlPeople(session), SqlAuth(session), SqlContent(session),
                    SqlStatements(session), SqlLearner(session), SqlSteps(session),
                    SqlLrs(session), SqlPreflight(session), SqlFeedback(session),
                    SqlCalibration(session))
