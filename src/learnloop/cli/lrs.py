"""`learnloop lrs`: the credentials other tools use on the xAPI endpoint."""

from __future__ import annotations

import time

import click
from rich.table import Table

from learnloop.cli.output import console, handled
from learnloop.cli.runtime import (
    DB_OPTION,
    ORG_OPTION,
    Runtime,
    new_token,
    pick_organisation,
    utc_now,
)
from learnloop.services import lrs_clients, lrs_forwarding
from learnloop.store.unit import transaction


@click.group("lrs")
def lrs_group() -> None:
    """The xAPI Learning Record Store at /xapi/."""


@lrs_group.group("clients")
def clients_group() -> None:
    """LRS clients: a key and secret (HTTP Basic) with scopes."""


@clients_group.command("add")
@click.argument("name")
@click.option("--scopes", default="statements/write,statements/read/mine", show_default=True,
              help=f"Comma-separated: {lrs_clients.SCOPE_HELP}.")
@ORG_OPTION
@DB_OPTION
def clients_add(name: str, scopes: str, org_slug: str | None, database_url: str | None) -> None:
    """Create a client; its secret is shown once."""
    with handled():
        rt = Runtime.start(database_url)
        with transaction(rt.sessions) as repos:
            org = pick_organisation(repos, org_slug)
            client, secret = lrs_clients.create(repos.lrs, None, org.id, name, scopes,
                                                utc_now(), new_token)
        console.print(f"created LRS client {client.id} '{client.name}' for {org.slug} "
                      f"with scopes {', '.join(client.scopes)}")
        click.echo(f"key:    {client.key}")
        click.echo(f"secret: {secret}")
        console.print("[dim]The secret is shown only now; the endpoint is /xapi/ with HTTP "
                      "Basic auth (key as user, secret as password).[/dim]")
        rt.close()


@clients_group.command("list")
@ORG_OPTION
@DB_OPTION
def clients_list(org_slug: str | None, database_url: str | None) -> None:
    """The organisation's clients, with their scopes and last use."""
    with handled():
        rt = Runtime.start(database_url)
        with transaction(rt.sessions) as repos:
            org = pick_organisation(repos, org_slug)
            found = lrs_clients.clients(repos.lrs, None, org.id)
        table = Table("id", "name", "key", "scopes", "last used", "revoked")
        for c in found:
            table.add_row(str(c.id), c.name, c.key, ", ".join(c.scopes),
                          f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never",
                          f"{c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "")
        console.print(table if found else f"{org.slug} has no LRS clients yet")
        rt.close()


@clients_group.command("revoke")
@click.argument("client_id", type=int)
@ORG_OPTION
@DB_OPTION
def clients_revoke(client_id: int, org_slug: str | None, database_url: str | None) -> None:
    """Revoke a client: its key stops working at once; what it wrote stays."""
    with handled():
        rt = Runtime.start(database_url)
        with transaction(rt.sessions) as repos:
            org = pick_organisation(repos, org_slug)
            client = lrs_clients.revoke(repos.lrs, None, org.id, client_id, utc_now())
        console.print(f"revoked LRS client {client.id} '{client.name}'")
        rt.close()


# --- forwarding ------------------------------------------------------------------------------


@lrs_group.command("forward-to")
@click.argument("endpoint")
@click.option("--username", required=True, help="The other LRS's key (Basic user name).")
@click.option("--secret", prompt=True, hide_input=True, help="The other LRS's secret.")
@click.option("--off", is_flag=True, help="Stop forwarding (what is queued stays queued).")
@ORG_OPTION
@DB_OPTION
def forward_to(endpoint: str, username: str, secret: str, off: bool, org_slug: str | None,
               database_url: str | None) -> None:
    """Forward every statement stored from now on to another LRS's xAPI ENDPOINT."""
    with handled():
        rt = Runtime.start(database_url)
        with transaction(rt.sessions) as repos:
            org = pick_organisation(repos, org_slug)
            lrs_forwarding.configure(repos.lrs, None, org.id, endpoint, username, secret,
                                     not off, utc_now())
        state = "off" if off else "on"
        console.print(f"forwarding for {org.slug} is {state}: {endpoint}")
        rt.close()


@lrs_group.command("forward")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@DB_OPTION
def forward(once: bool, interval: float, database_url: str | None) -> None:
    """Deliver queued statements to the other LRS, with retries and backoff (a worker)."""
    from learnloop.forwarder import send

    with handled():
        rt = Runtime.start(database_url)
        try:
            while True:
                with transaction(rt.sessions) as repos:
                    done = lrs_forwarding.deliver(repos.lrs, repos.statements, send, utc_now())
                if done.delivered or done.retrying or done.failed or once:
                    console.print(f"delivered {done.delivered}, retrying {done.retrying}, "
                                  f"failed {done.failed}")
                if once:
                    break
                if not (done.delivered or done.retrying or done.failed):
                    time.sleep(interval)
        except KeyboardInterrupt:
            pass
        rt.close()


@lrs_group.command("outbox")
@click.option("--state", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@click.option("--limit", default=50, show_default=True)
@ORG_OPTION
@DB_OPTION
def outbox(state: str | None, limit: int, org_slug: str | None,
           database_url: str | None) -> None:
    """What is queued for forwarding, delivered or failed, newest first."""
    with handled():
        rt = Runtime.start(database_url)
        with transaction(rt.sessions) as repos:
            org = pick_organisation(repos, org_slug)
            counts = repos.lrs.outbox_counts(org.id)
            items = repos.lrs.outbox(org.id, state, limit)
        console.print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty")
        table = Table("id", "statement", "state", "tries", "next try", "last error")
        for i in items:
            table.add_row(str(i.id), i.statement_id, i.state, str(i.attempts),
                          f"{i.next_attempt_at:%Y-%m-%d %H:%M:%S}" if i.state == "pending"
                          else "", i.last_error or "")
        if items:
            console.print(table)
        rt.close()


@lrs_group.command("replay")
@click.argument("item_ids", nargs=-1, type=int)
@ORG_OPTION
@DB_OPTION
def replay(item_ids: tuple[int, ...], org_slug: str | None, database_url: str | None) -> None:
    """Queue failed deliveries again: the ones named, or all of them."""
    with handled():
        rt = Runtime.start(database_url)
        with transaction(rt.sessions) as repos:
            org = pick_organisation(repos, org_slug)
            count = lrs_forwarding.replay(repos.lrs, None, org.id,
                                          list(item_ids) if item_ids else None, utc_now())
        console.print(f"queued {count} failed deliver{'y' if count == 1 else 'ies'} again")
        rt.close()
