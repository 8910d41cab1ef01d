"""Hostile and broken artifacts through every static check: a finding or a clear error, never
a crash, never a network request, never a hang (the browser's own budget is tested in
test_browser.py)."""

from __future__ import annotations

import socket
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.artifact import Artifact, Campaign, Email, MessageType
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import Outcome
from learnloop.domain.preflight.reading import artifact_from_data
from learnloop.services.preflight import Checkers, run_preflight

TODAY = date(2026, 12, 4)
HOSTILE = """<html><head><script>fetch('https://evil.example/x')</script>
<link rel="stylesheet" href="https://evil.example/a.css"><style>@import url(http://evil.example/b.css);
body { background: url(file:///etc/passwd) }</style></head>
<body onload="alert(1)"><img src="https://tracker.example/p.gif" width="1" height="1">
<img src="file:///etc/shadow"><iframe src="https://evil.example/"></iframe>
<object data="x.swf"></object><form action="https://evil.example/"><input name=a></form>
<a href="javascript:alert(1)">click</a> <a href="file:///C:/secret.txt">file</a>
<a href="http://10.0.0.1:8080/admin">ip</a> <svg><script>alert(2)</script></svg>
<p>Some words of text</p></body></html>"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pre-flight tried to use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def check(html: str | None, text: str | None = None) -> list[tuple[str, Outcome]]:
    artifact = Artifact("x.html", Campaign(message_type=MessageType.MARKETING),
                        Email(html=html, text=text))
    report = run_preflight(artifact, PreflightConfig(), Checkers(), TODAY)
    return [(r.rule, r.outcome) for r in report.results]


@pytest.mark.usefixtures("no_network")
def test_hostile_html_becomes_findings_without_a_request() -> None:
    artifact = Artifact("x.html", Campaign(message_type=MessageType.MARKETING),
                        Email(html=HOSTILE))
    report = run_preflight(artifact, PreflightConfig(), Checkers(), TODAY)
    d12 = report.result("D12")
    assert d12 is not None
    found = " ".join(f.message for f in d12.findings)
    for part in ("<script>", "<iframe>", "<object>", "<form>", "javascript: link",
                 "file: link", "bare IP address"):
        assert part in found, part


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("html", [
    "<div>" * 20_000 + "deep" + "</div>" * 20_000,
    "<table>" * 5_000,
    "<" * 100_000,
    "<p>" + "&#xFFFF;&#0;" * 1_000 + "</p>",
    "<html><body>" + "<a href='#'>x</a>" * 5_000 + "</body></html>",
    "<p>{{ {{ {% *| [Sender_ <% </p>" * 2_000,
    "<p>\ud800 lone surrogate</p>".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
])
def test_pathological_html_gives_a_report(html: str) -> None:
    assert check(html)


def test_a_text_only_email_and_an_empty_body_are_checked() -> None:
    assert ("D7", Outcome.PASSED) in check(None, "Hello")
    assert check("<html></html>")


@given(st.text(max_size=2_000))
def test_any_text_as_html_never_crashes(html: str) -> None:
    if "<" not in html:
        html = "<p>" + html
    check(html)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=30))
def test_any_json_as_an_artifact_is_an_artifact_or_a_clear_error(data: object) -> None:
    problems = []
    try:
        artifact_from_data(data, "body")
    except InvalidInput as exc:
        problems = exc.problems
        assert problems, "an InvalidInput always says what is wrong"
    assert all(p.message and p.where for p in problems)
