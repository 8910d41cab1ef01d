"""D8 with the real SpamAssassin: our own spamd on loopback, started once for the module.

Skipped when spamd is not installed (Debian package spamassassin); with
LEARNLOOP_REQUIRE_SPAMD=1 a missing spamd fails the run instead.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnloop.checks.spamd import (
    NOT_INSTALLED,
    Spamd,
    SpamdClient,
    find_spamd,
    open_spamd,
    parse_address,
)
from learnloop.domain.preflight.artifact import Email
from learnloop.domain.preflight.checkers import CheckFailed
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import Outcome, Severity
from learnloop.domain.preflight.mime import draft
from learnloop.domain.preflight.spam import judge

CONFIG = PreflightConfig()
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

NEWSLETTER_TEXT = (
    "Hi Anna,\n\nHere is what changed in the product this month: the reports page loads "
    "faster and you can now export any report to CSV.\n\nThanks for reading,\nThe Brand "
    "team\n\nBrand Ltd, 1 Main Street, Springfield. Unsubscribe: https://brand.com/u\n")
NEWSLETTER_HTML = (
    "<html><head><title>May news</title></head><body><p>Hi Anna,</p><p>Here is what changed "
    "in the product this month: the reports page loads faster and you can now export any "
    "report to CSV.</p><p>Thanks for reading,<br>The Brand team</p><p>Brand Ltd, 1 Main "
    "Street, Springfield. <a href=\"https://brand.com/u\">Unsubscribe</a></p></body></html>")
NEWSLETTER = Email(subject="What's new in May", from_="Brand <news@brand.com>",
                   text=NEWSLETTER_TEXT, html=NEWSLETTER_HTML)
SPAMMY = Email(
    subject="FREE!!! You WON $1,000,000 - ACT NOW", from_="Winner Dept <winner@example.com>",
    html="<html><body><p>Dear Friend,</p><p>CONGRATULATIONS!!! You have been selected to "
    "receive $1,000,000 USD. CLICK HERE to claim your prize NOW. 100% FREE, no risk, "
    "guaranteed. Limited time offer, act now! Buy cheap viagra online at the lowest price. "
    "Earn extra cash from home, no experience needed!</p><p><a href=\"http://192.168.10.1/"
    "claim\">CLICK HERE</a></p></body></html>")


@pytest.fixture(scope="module")
def spamd() -> Iterator[Spamd]:
    executable = find_spamd()
    if executable is None:
        if os.environ.get("LEARNLOOP_REQUIRE_SPAMD") == "1":
            pytest.fail(f"spamd is required (LEARNLOOP_REQUIRE_SPAMD=1): {NOT_INSTALLED}")
        pytest.skip(NOT_INSTALLED)
    with Spamd(executable) as running:
        yield running


def test_a_legitimate_newsletter_scores_low(spamd: Spamd) -> None:
    report = spamd.check(draft(NEWSLETTER))
    assert report.score < CONFIG.thresholds.spam_warn
    assert report.required == 5.0
    result = judge(report, CONFIG, "unused")
    assert result is not None
    assert result.outcome is Outcome.PASSED


def test_no_points_for_the_headers_the_platform_adds(spamd: Spamd) -> None:
    names = {h.name for h in spamd.check(draft(Email(text="Lunch on Friday?"))).hits}
    assert not names & {"MISSING_DATE", "MISSING_MID", "MISSING_HEADERS"}


def test_html_only_is_named_with_its_description(spamd: Spamd) -> None:
    html_only = Email(subject=NEWSLETTER.subject, from_=NEWSLETTER.from_, html=NEWSLETTER_HTML)
    report = spamd.check(draft(html_only))
    hit = next(h for h in report.hits if h.name == "MIME_HTML_ONLY")
    assert hit.score > 0
    assert hit.description == "BODY: Message only has text/html MIME parts"
    result = judge(report, CONFIG, "unused")
    assert result is not None
    tip = next(f for f in result.findings if f.where == "MIME_HTML_ONLY")
    assert tip.severity is Severity.COACH
    assert tip.evidence == f"MIME_HTML_ONLY +{hit.score:.1f}"


def test_a_spammy_draft_fails(spamd: Spamd) -> None:
    report = spamd.check(draft(SPAMMY))
    assert report.score >= CONFIG.thresholds.spam_fail
    assert {"DEAR_FRIEND", "DRUGS_ERECTILE"} <= {h.name for h in report.hits}
    result = judge(report, CONFIG, "unused")
    assert result is not None
    assert result.outcome is Outcome.FAILED
    assert result.findings[0].severity is Severity.FAIL


def test_gtube_scores_a_thousand(spamd: Spamd) -> None:
    report = spamd.check(draft(Email(subject="Test", from_="qa@brand.com",
                                     text=f"{GTUBE}\n")))
    assert report.score >= 1000
    assert "GTUBE" in {h.name for h in report.hits}


def test_odd_drafts_are_scored(spamd: Spamd) -> None:
    for mail in (Email(), Email(subject="Grüße ☀\nBcc: x@y.z", html="<p>Grüße</p>")):
        report = spamd.check(draft(mail))
        assert report.hits


def test_a_message_over_the_size_limit_is_cut(spamd: Spamd) -> None:
    assert spamd.client is not None
    small = SpamdClient(spamd.client.host, spamd.client.port, max_bytes=4096)
    report = small.check(draft(Email(text="Plain words here.\n" * 2000)))
    assert report.truncated
    result = judge(report, CONFIG, "unused")
    assert result is not None
    assert any("only its beginning" in f.message for f in result.findings)


def test_an_operators_spamd_is_used_by_address(spamd: Spamd) -> None:
    assert spamd.client is not None
    with open_spamd({"LEARNLOOP_SPAMD_ADDRESS": spamd.client.address}) as checker:
        assert isinstance(checker, SpamdClient)
        assert checker.check(draft(NEWSLETTER)).score < 3.0


def test_a_stopped_spamd_is_not_run_and_its_processes_are_gone(spamd: Spamd) -> None:
    own = Spamd(spamd.executable)
    own.start()
    pid, client, log = own.pid, own.client, own.log
    assert pid is not None
    assert client is not None
    assert log is not None
    assert client.ping()
    own.close()
    with pytest.raises(CheckFailed) as stopped:
        own.check(draft(NEWSLETTER))
    result = judge(None, CONFIG, stopped.value.reason)
    assert result is not None
    assert result.outcome is Outcome.NOT_RUN
    assert "not running" in (result.reason or "")
    with pytest.raises(CheckFailed, match="could not be reached"):
        client.check(draft(NEWSLETTER))
    assert not client.ping()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert _live_members(pid) == []
    assert not log.parent.exists()
    own.close()  # a second close does nothing


def _live_members(group: int) -> list[int]:
    """Processes of the process group still running (zombies count as gone: PID 1 reaps
    the children spamd leaves behind)."""
    live = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            live.append(int(entry.name))
    return live


# Without spamd: failures become reasons


def test_nothing_listening_is_a_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CheckFailed, match="could not be reached"):
        SpamdClient("127.0.0.1", port).check(b"Subject: x\r\n\r\nx\r\n", 2.0)


def test_a_silent_server_runs_out_of_time() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        client = SpamdClient("127.0.0.1", silent.getsockname()[1])
        with pytest.raises(CheckFailed, match=r"did not answer within 0\.2 s"):
            client.check(b"Subject: x\r\n\r\nx\r\n", 0.2)


@pytest.mark.parametrize(("answer", "reason"), [
    (b"SPAMD/1.0 76 Bad header line: Content-length\r\n\r\n", "refused the message (76 Bad"),
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", "something other than SPAMD"),
    (b"SPAMD/1.1 0 EX_OK\r\nContent-length: 500\r\nSpam: False ; 0.1 / 5.0\r\n\r\nshort",
     "cut short"),
    (b"SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\n\r\nhello", "could not be read"),
])
def test_a_bad_answer_is_a_reason(answer: bytes, reason: str) -> None:
    with Answering(answer) as port, pytest.raises(CheckFailed, match=re.escape(reason)):
        SpamdClient("127.0.0.1", port).check(b"Subject: x\r\n\r\nx\r\n", 5.0)


class Answering:
    """A one-connection server on loopback that reads the request and sends `answer`."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.server = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            connection.settimeout(5)
            while connection.recv(65536):
                pass
            connection.sendall(self.answer)

    def __enter__(self) -> int:
        self.thread.start()
        port: int = self.server.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        self.thread.join(timeout=10)
        self.server.close()


def test_a_spamd_that_stops_while_starting_gives_its_log(tmp_path: Path) -> None:
    fake = _script(tmp_path / "spamd", "echo 'config: cannot open rules directory' >&2\n"
                   "exit 3\n")
    with pytest.raises(CheckFailed) as failed:
        open_spamd({"LEARNLOOP_SPAMD": str(fake)})
    assert "stopped while starting (exit code 3)" in failed.value.reason
    assert "cannot open rules directory" in failed.value.reason


def test_a_spamd_that_never_answers_is_stopped(tmp_path: Path) -> None:
    fake = _script(tmp_path / "spamd", "echo 'loading rules' >&2\n"
                   "exec sleep 60\n")
    spamd = Spamd(str(fake), start_budget_s=0.5)
    with pytest.raises(CheckFailed, match=r"did not answer within 0\.5 s") as failed:
        spamd.start()
    assert "loading rules" in failed.value.reason
    assert spamd.pid is None


def test_a_wrong_path_or_address_is_a_reason(tmp_path: Path) -> None:
    with pytest.raises(CheckFailed, match="names /nowhere/spamd, which is not a program"):
        open_spamd({"LEARNLOOP_SPAMD": "/nowhere/spamd"})
    with pytest.raises(CheckFailed, match="is not host:port"):
        open_spamd({"LEARNLOOP_SPAMD_ADDRESS": "localhost"})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CheckFailed, match=r"no spamd answers at 127\.0\.0\.1:"):
        open_spamd({"LEARNLOOP_SPAMD_ADDRESS": f"127.0.0.1:{port}"})
    assert find_spamd({"LEARNLOOP_SPAMD": str(tmp_path)}) is None


def test_addresses_are_read() -> None:
    assert parse_address("127.0.0.1:783") == ("127.0.0.1", 783)
    assert parse_address("[::1]:7830") == ("::1", 7830)
    for bad in ("", "host", "host:0", "host:x", ":783"):
        with pytest.raises(ValueError, match="host:port"):
            parse_address(bad)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_program_that_cannot_be_run_is_a_reason(tmp_path: Path) -> None:
    not_a_program = tmp_path / "spamd"
    not_a_program.write_text("not a program\n")
    spamd = Spamd(str(not_a_program))
    with pytest.raises(CheckFailed, match="could not be started"):
        spamd.start()
    assert spamd.pid is None
    assert spamd.log is None
