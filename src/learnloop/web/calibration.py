"""The learner model's calibration, run by the web app itself: every
`calibrate_every_minutes` (first after one interval, not at start-up), each organisation's
people due a memory fit are fitted and its item families recalibrated, in a worker thread so
that requests go on. A failure is logged and the next round tries again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from learnloop.packs.cache import PackCache
from learnloop.services.calibration import OrganisationOutcome, calibrate_organisation
from learnloop.store.unit import transaction

log = logging.getLogger("learnloop.calibrate")


def calibrate_everything(sessions: sessionmaker[Session], packs: PackCache,
                         clock: Callable[[], datetime]) -> list[OrganisationOutcome]:
    with transaction(sessions) as repos:
        orgs = [org.id for org in repos.people.organisations()]
    outcomes = []
    for org_id in orgs:
        outcome = calibrate_organisation(lambda: transaction(sessions),
                                         lambda store: packs.loader(store.content),
                                         org_id, clock())
        if outcome.memory:
            log.info("calibrated %s: %d people fitted, %d on their own parameters",
                     outcome.organisation, len(outcome.memory), outcome.personal)
        for fit in outcome.answers:
            log.info("answer model of %s/%s: %s (%d answers from %d people): %s",
                     outcome.organisation, fit.pack, "own" if fit.record.used else "shipped",
                     fit.record.answers, fit.record.people, fit.record.reason)
        outcomes.append(outcome)
    return outcomes


async def every(minutes: float, sessions: sessionmaker[Session], packs: PackCache,
                clock: Callable[[], datetime]) -> None:
    """Run `calibrate_everything` every `minutes` until cancelled. A round under way when the
    app stops is waited for (a thread cannot be stopped halfway), so that shutdown never
    pulls the database from under it."""
    while True:
        await asyncio.sleep(minutes * 60)
        round_ = asyncio.ensure_future(
            run_in_threadpool(calibrate_everything, sessions, packs, clock))
        try:
            await asyncio.shield(round_)
        except asyncio.CancelledError:
            with suppress(Exception):
                await round_
            raise
        except Exception:  # a bad round must not stop the next: log it and go on
            log.exception("calibration failed; the next round tries again")
