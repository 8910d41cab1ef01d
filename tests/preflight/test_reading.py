"""Reading artifacts: JSON, .html with a sidecar, .eml; and every kind of bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from learnloop.artifacts.reader import MAX_FILE_BYTES, read_artifact, read_upload
from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.artifact import MessageType
from learnloop.domain.preflight.reading import artifact_from_data

HTML = "<html><body><p>Hello</p></body></html>"
SIDECAR = """
campaign:
  name: 2026-12_email_subscribers_winter-sale
  message_type: marketing
  campaign_type: Promotional
  send_date: 2026-12-10
  owner: Ana@Brand.com
email:
  subject: Winter sale
  from: Brand <news@brand.com>
  headers:
    List-Unsubscribe: <https://brand.com/u/1>
audience:
  include: [email_consent = granted]
  exclude: [unsubscribed = true]
sample: {first_name: Ana, points: 12}
"""


def problems(exc: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str | None, str]]:
    return [(p.field, p.message) for p in exc.value.problems]


def test_an_html_file_with_its_yaml_sidecar(tmp_path: Path) -> None:
    (tmp_path / "sale.html").write_text(HTML)
    (tmp_path / "sale.yaml").write_text(SIDECAR)
    artifact = read_artifact(tmp_path / "sale.html")
    assert artifact.campaign.name == "2026-12_email_subscribers_winter-sale"
    assert artifact.campaign.message_type is MessageType.MARKETING
    assert artifact.campaign.campaign_type == "promotional"
    assert artifact.campaign.send_date == date(2026, 12, 10)
    assert artifact.campaign.owner == "ana@brand.com"
    assert artifact.email.subject == "Winter sale"
    assert artifact.email.header("list-unsubscribe") == "<https://brand.com/u/1>"
    assert artifact.email.html == HTML
    assert artifact.audience is not None
    assert artifact.sample == {"first_name": "Ana", "points": "12"}


def test_an_html_file_alone_is_a_draft_with_no_metadata(tmp_path: Path) -> None:
    (tmp_path / "draft.html").write_text(HTML)
    artifact = read_artifact(tmp_path / "draft.html")
    assert artifact.campaign.message_type is None
    assert artifact.audience is None


def test_a_json_artifact() -> None:
    body = json.dumps({"campaign": {"message_type": "transactional"},
                       "email": {"html": HTML, "text": "Hello", "subject": "Receipt"}})
    artifact = read_upload("receipt.json", body.encode())
    assert artifact.campaign.message_type is MessageType.TRANSACTIONAL
    assert artifact.email.text == "Hello"


EML = (b"From: Brand <news@brand.com>\r\nTo: a@b.com\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
       b"List-Unsubscribe: <https://brand.com/u>\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/alternative; boundary=XX\r\n\r\n--XX\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n--XX\r\n"
       b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
       b"\r\n\r\n<p>Hel=\r\nlo</p>\r\n--XX--\r\n")


def test_an_eml_file() -> None:
    artifact = read_upload("m.eml", EML)
    assert artifact.email.subject == "Café"
    assert artifact.email.from_ == "Brand <news@brand.com>"
    assert artifact.email.html is not None
    assert "<p>Hello</p>" in artifact.email.html
    assert artifact.email.text is not None
    assert artifact.email.text.strip() == "Hello"
    assert artifact.email.header("List-Unsubscribe") == "<https://brand.com/u>"


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("x.pdf", b"%PDF-1.4", "not a pre-flight artifact"),
    ("x.html", b"", "is empty"),
    ("x.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ("x.html", bytes(range(128, 256)) * 100, "binary data or in an unknown encoding"),
    ("x.html", b"just words, no tags", "does not look like HTML"),
    ("x.eml", b"this is not a message at all", "is not a MIME message"),
    ("x.eml", b"From: a@b.com\r\nContent-Type: image/png\r\n\r\nxx", "no text/html or "),
    ("x.json", b"{not json", "not valid JSON"),
    ("x.json", b"[1, 2]", "must be an object"),
])
def test_bad_files_are_refused_with_the_rule(name: str, raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        read_upload(name, raw)
    assert any(message in p.message for p in exc.value.problems), exc.value.problems


def test_a_ten_megabyte_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(InvalidInput) as exc:
        read_upload("big.html", b"<p>" + b"x" * (10 * 1024 * 1024))
    assert "the limit is 5 MB" in exc.value.problems[0].message
    assert MAX_FILE_BYTES == 5 * 1024 * 1024


def test_bad_sidecars_name_the_line_or_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        read_upload("x.html", HTML.encode(), ("x.yaml", b"campaign: [\n  oops"))
    assert exc.value.problems[0].line is not None
    with pytest.raises(InvalidInput) as exc:
        read_upload("x.html", HTML.encode(), ("x.yaml", b"campaign:\n  message_type: promo\n"
                                              b"  send_date: next week\n  colour: red\n"))
    assert set(problems(exc)) == {
        ("campaign.message_type", "must be marketing or transactional"),
        ("campaign.send_date", "must be a date as YYYY-MM-DD"),
        ("campaign.colour", "unknown field; expected one of name, message_type, channel, "
                            "campaign_type, send_date, owner"),
    }


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"email": {"html": HTML, "headers": {"Bad Name": "x"}}}, "email.headers.Bad Name",
     "is not a valid header name"),
    ({"email": {"html": HTML, "headers": {"X-A": "a\r\nBcc: evil@x.com"}}}, "email.headers.X-A",
     "a header value may not contain line breaks"),
    ({"email": {"html": 5}}, "email.html", "must be text, not int"),
    ({"email": {}}, "email.html", "the email has neither an HTML nor a text part"),
    ({"email": {"html": "<p>\x00</p>"}}, "email.html", "contains a NUL character"),
    ({"email": {"html": HTML}, "campaign": {"channel": "sms"}}, "campaign.channel",
     "only email campaigns can be checked"),
    ({"email": {"html": HTML}, "campaign": {"owner": "ana"}}, "campaign.owner",
     "must be the owner's email address"),
    ({"email": {"html": HTML}, "sample": {"a": [1]}}, "sample.a",
     "must be a name with a text or number value"),
    ({"email": {"html": HTML}, "extra": 1}, "extra",
     "unknown field; expected one of campaign, email, audience, sample"),
])
def test_bad_fields_are_named(data: object, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        artifact_from_data(data, "body")
    assert (field, message) in problems(exc)


def test_html_given_by_the_file_and_the_sidecar_is_a_conflict() -> None:
    with pytest.raises(InvalidInput) as exc:
        artifact_from_data({"email": {"html": HTML}}, "x.html", html=HTML)
    assert problems(exc) == [("email.html", "is given twice: by the file and by the metadata")]


def test_a_bad_audience_is_reported_with_the_rest() -> None:
    with pytest.raises(InvalidInput) as exc:
        artifact_from_data({"email": {"html": HTML}, "campaign": {"message_type": "x"},
                            "audience": {"include": ["unsubscribed = maybe"]}}, "body")
    fields = [p.field for p in exc.value.problems]
    assert "campaign.message_type" in fields
    assert len(exc.value.problems) >= 2
