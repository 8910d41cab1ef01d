"""Forwarding an organisation's statements to another LRS, through a durable outbox.

Every statement stored while forwarding is on is queued in the same transaction
(`StatementsRepo.add`). `deliver` sends what is due, each statement by PUT with its own id, so
sending one twice changes nothing on the other side. An answer in the 2xx range delivers it; a
4xx refusal that trying again cannot change fails it at once; no answer, a 5xx, a 408 or a 429
is tried again later, waiting twice as long each time, until `MAX_ATTEMPTS`. Failed deliveries
stay in the outbox, where admins see them and replay them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from learnloop.domain.access import Action, Actor, Target, require
from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem
from learnloop.services.ports import Delivery, LrsRepo, StatementSender, StatementsRepo

MAX_ATTEMPTS = 12
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)


def wait_after(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, ... 6 h."""
    wait: timedelta = FIRST_WAIT * (2 ** max(0, attempts - 1))
    return min(wait, LONGEST_WAIT)


def configure(lrs: LrsRepo, actor: Actor | None, org_id: int, endpoint: str, username: str,
              secret: str, enabled: bool, now: datetime) -> None:
    """Set where the organisation's statements go; an empty `secret` keeps the stored one."""
    if actor is not None:
        require(actor, Action.MANAGE_LRS_CLIENTS, Target(org_id))
    problems = []
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(Problem("forwarding", "must be the http(s) address of the other LRS's "
                                "xAPI endpoint, e.g. https://lrs.example.com/xapi/",
                                field="endpoint"))
    if not username.strip() or len(username) > 255:
        problems.append(Problem("forwarding", "a user name (key) of 1 to 255 characters is "
                                "required", field="username"))
    current = lrs.forwarding(org_id)
    if not secret and current is not None:
        secret = current.secret  # left blank: keep the one stored
    if not secret or len(secret) > 255:
        problems.append(Problem("forwarding", "a secret of 1 to 255 characters is required",
                                field="secret"))
    if problems:
        raise InvalidInput(problems, "forwarding was not changed")
    lrs.set_forwarding(org_id, endpoint.strip().rstrip("/") + "/", username.strip(), secret,
                       enabled, now)


@dataclass(frozen=True, slots=True)
class Round:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def deliver(lrs: LrsRepo, statements: StatementsRepo, send: StatementSender, now: datetime,
            limit: int = 100) -> Round:
    """Send what is due (the caller commits). Returns what became of it."""
    delivered = retrying = failed = 0
    for item in lrs.due(now, limit):
        target = lrs.forwarding(item.org_id)
        found = statements.found(item.org_id, [item.statement_id]).get(item.statement_id)
        if target is None or not target.enabled or found is None:
            reason = "forwarding is off" if found is not None else "the statement is gone"
            lrs.update_outbox(item.id, state="failed", last_error=reason)
            failed += 1
            continue
        outcome = _send(send, target.endpoint, target.username, target.secret,
                        item.statement_id, found.text)
        attempts = item.attempts + 1
        if outcome.delivered:
            lrs.update_outbox(item.id, state="delivered", attempts=attempts, delivered_at=now,
                              last_error=None)
            delivered += 1
        elif outcome.permanent or attempts >= MAX_ATTEMPTS:
            lrs.update_outbox(item.id, state="failed", attempts=attempts,
                              last_error=_describe(outcome))
            failed += 1
        else:
            lrs.update_outbox(item.id, attempts=attempts, last_error=_describe(outcome),
                              next_attempt_at=now + wait_after(attempts))
            retrying += 1
    return Round(delivered, retrying, failed)


def _send(send: StatementSender, endpoint: str, username: str, secret: str, sid: str,
          text: str) -> Delivery:
    # The other LRS sets its own stored time and authority (Data 2.4.8, 2.4.9).
    document = {k: v for k, v in json.loads(text).items() if k not in ("stored", "authority")}
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return send(endpoint, username, secret, sid, body)


def _describe(outcome: Delivery) -> str:
    if outcome.status is None:
        return f"no answer: {outcome.error or 'unknown error'}"[:500]
    return f"HTTP {outcome.status}: {outcome.error or ''}".strip()[:500]


def replay(lrs: LrsRepo, actor: Actor | None, org_id: int, item_ids: list[int] | None,
           now: datetime) -> int:
    """Queue failed deliveries again (all of them when `item_ids` is None)."""
    if actor is not None:
        require(actor, Action.MANAGE_LRS_CLIENTS, Target(org_id))
    return lrs.replay(org_id, item_ids, now)
