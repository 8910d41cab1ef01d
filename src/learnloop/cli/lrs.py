"""`learnloop lrs`: the credentials other tools use on the xAPI endpoint."""

from __future__ import annotations

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
from learnloop.services import lrs_clients
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
