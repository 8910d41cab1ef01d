"""`learnloop lrs`: clients, forwarding and the outbox, on a SQLite file."""

from __future__ import annotations

import re

from tests.cli.conftest import Run, Stored


def test_clients_add_list_revoke(run: Run, repos: Stored) -> None:
    assert run("org", "create", "acme", "Acme").exit_code == 0
    added = run("lrs", "clients", "add", "Quiz tool", "--scopes", "statements/write,state")
    assert added.exit_code == 0, added.output
    key = re.search(r"key:\s+(lrs_\S+)", added.output)
    assert key
    assert re.search(r"secret:\s+\S{20,}", added.output)
    listed = run("lrs", "clients", "list")
    assert "Quiz tool" in listed.output
    assert "never" in listed.output
    with repos() as r:
        org = r.people.organisation_by_slug("acme")
        assert org is not None
        [client] = r.lrs.clients(org.id)
        assert client.scopes == ("statements/write", "state")
    assert run("lrs", "clients", "revoke", str(client.id)).exit_code == 0
    with repos() as r:
        assert r.lrs.clients(org.id)[0].revoked_at is not None
    assert run("lrs", "clients", "revoke", "999").exit_code == 4


def test_bad_client_input_exits_1(run: Run) -> None:
    run("org", "create", "acme", "Acme")
    bad = run("lrs", "clients", "add", "Tool", "--scopes", "statements/delete")
    assert bad.exit_code == 1
    assert "unknown scope" in bad.output


def test_forwarding_commands(run: Run, repos: Stored) -> None:
    run("org", "create", "acme", "Acme")
    bad = run("lrs", "forward-to", "ftp://x", "--username", "k", "--secret", "s")
    assert bad.exit_code == 1
    good = run("lrs", "forward-to", "http://127.0.0.1:9/xapi", "--username", "k",
               "--secret", "s")
    assert good.exit_code == 0, good.output
    with repos() as r:
        org = r.people.organisation_by_slug("acme")
        assert org is not None
        forwarding = r.lrs.forwarding(org.id)
        assert forwarding is not None
        assert forwarding.endpoint == "http://127.0.0.1:9/xapi/"
    once = run("lrs", "forward", "--once")
    assert once.exit_code == 0
    assert "delivered 0, retrying 0, failed 0" in once.output
    assert "empty" in run("lrs", "outbox").output
    assert "queued 0 failed deliveries again" in run("lrs", "replay").output
