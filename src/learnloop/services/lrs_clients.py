"""LRS clients: the credentials other tools use on /xapi/ (HTTP Basic: key and secret).

An admin creates a client with a name and scopes; the secret is shown once and only its
SHA-256 digest is kept (secrets are 256 random bits, so a fast hash is safe and keeps each
request quick). Revoked clients stop working at once; what they wrote stays.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from learnloop.domain.access import Action, Actor, LrsScope, Target, require
from learnloop.domain.errors import InvalidInput, NotAuthenticated, NotFound
from learnloop.domain.problems import Problem, has_nul
from learnloop.services.auth import TOKEN_USE_PRECISION, digest
from learnloop.services.lrs import Client
from learnloop.services.ports import LrsRepo, StoredClient, TokenMaker

KEY_PREFIX = "lrs_"
SCOPE_HELP = ", ".join(s.value for s in LrsScope)


def parse_scopes(given: list[str] | str) -> tuple[str, ...]:
    """Scopes from a list or a comma- or space-separated string, checked and de-duplicated."""
    items = given.replace(",", " ").split() if isinstance(given, str) else list(given)
    known = {s.value for s in LrsScope}
    unknown = [s for s in items if s not in known]
    if unknown:
        raise InvalidInput([Problem("scopes", f"unknown scope(s) {', '.join(unknown)}; "
                                    f"choose from {SCOPE_HELP}", field="scopes")])
    if not items:
        raise InvalidInput([Problem("scopes", f"give at least one scope: {SCOPE_HELP}",
                                    field="scopes")])
    return tuple(dict.fromkeys(items))


def create(lrs: LrsRepo, actor: Actor | None, org_id: int, name: str,
           scopes: list[str] | str, now: datetime, new_token: TokenMaker
           ) -> tuple[StoredClient, str]:
    """A new client; returns it with its secret, which is not kept and cannot be shown again.
    `actor` None is the command line, run by whoever runs the server."""
    if actor is not None:
        require(actor, Action.MANAGE_LRS_CLIENTS, Target(org_id))
    name = name.strip()
    if not name or len(name) > 100 or has_nul(name):
        raise InvalidInput([Problem("client", "a name of 1 to 100 characters is required",
                                    field="name")])
    checked = parse_scopes(scopes)
    key = KEY_PREFIX + new_token()[:24]
    secret = new_token()
    stored = lrs.add_client(org_id, name, key, digest(secret), checked,
                            actor.person_id if actor else None, now)
    return stored, secret


def clients(lrs: LrsRepo, actor: Actor | None, org_id: int) -> list[StoredClient]:
    if actor is not None:
        require(actor, Action.MANAGE_LRS_CLIENTS, Target(org_id))
    return lrs.clients(org_id)


def revoke(lrs: LrsRepo, actor: Actor | None, org_id: int, client_id: int,
           now: datetime) -> StoredClient:
    if actor is not None:
        require(actor, Action.MANAGE_LRS_CLIENTS, Target(org_id))
    found = lrs.client(org_id, client_id)
    if found is None:
        raise NotFound(f"No LRS client with id {client_id}.")
    lrs.revoke_client(client_id, now)
    return found


def authenticate(lrs: LrsRepo, key: str, secret: str, now: datetime) -> Client:
    """The client a Basic-auth key and secret belong to, or NotAuthenticated."""
    found = lrs.client_by_key(key) if key.startswith(KEY_PREFIX) else None
    if found is None or not hmac.compare_digest(found[1], digest(secret)):
        raise NotAuthenticated("The LRS key or secret is not right.")
    client, _, org = found
    if client.revoked_at is not None:
        raise NotAuthenticated("This LRS client has been revoked.")
    if client.last_used_at is None or now - client.last_used_at >= TOKEN_USE_PRECISION:
        lrs.touch_client(client.id, now)
    return Client(client, org)
