"""The MIME message a spam filter would see for a draft, built from the email's data.

The draft carries the From, Reply-To and Subject, every other header the email was given, and
its parts: multipart/alternative when it has both text and HTML, a single part otherwise, and an
empty text/plain part when it has neither. Nothing here reads a clock or invents an identifier:
a Date or Message-ID is there only when the email's headers hold one (the sending platform adds
both at send time; `spam.judge` leaves the filter's rules about their absence out).

The sending platform also fills in To for each contact; a draft without a To gets the neutral
`DRAFT_TO`, so that SpamAssassin's rules about a missing or bare To (`MISSING_HEADERS`,
`TO_NO_BRKTS_*`) do not score what the author does not write.

Odd input never raises: line breaks and control characters in header values are turned into
spaces, headers with names that are not header names are left out, and a value the standard
library's address parser refuses is kept as unstructured text.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage

from learnloop.domain.preflight.artifact import Email

DRAFT_TO = "Recipient <recipient@example.com>"

# Headers the draft writes itself: the fields of `Email`, and the MIME structure of the parts.
_BUILT = frozenset({"from", "reply-to", "subject", "mime-version", "content-type",
                    "content-transfer-encoding", "content-disposition", "content-id"})
_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field name: printable ASCII except the colon
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_POLICY = policy.SMTP  # CRLF line endings, as the message would travel
_UNSTRUCTURED = HeaderRegistry(default_class=UnstructuredHeader, use_default_map=False)


def clean_header(value: str) -> str:
    """A header value on one line: line breaks, tabs and other control characters become
    single spaces (and a lone surrogate, which cannot be encoded, a question mark)."""
    return " ".join(_text(_CONTROL.sub(" ", value)).split())


def draft(email: Email, *, to: str | None = None) -> bytes:
    """The MIME message for `email`, as bytes with CRLF line endings.

    `to` is the recipient to show the filter (a sample contact); without one, the email's own
    To header, or `DRAFT_TO` when it has none.
    """
    message = EmailMessage(policy=_POLICY)
    from_ = email.from_ if email.from_ is not None else email.header("From")
    reply_to = email.reply_to if email.reply_to is not None else email.header("Reply-To")
    subject = email.subject if email.subject is not None else email.header("Subject")
    given_to = email.header("To")
    _add(message, "From", from_)
    _add(message, "Reply-To", reply_to)
    _add(message, "To", to if to is not None else given_to or DRAFT_TO)
    _add(message, "Subject", subject)
    for name, value in email.headers:
        lowered = name.strip().lower()
        if lowered in _BUILT or lowered == "to" or not _NAME.fullmatch(name.strip()):
            continue
        _add(message, name.strip(), value)
    _set_body(message, email.text, email.html)
    return message.as_bytes(policy=_POLICY)


def _add(message: EmailMessage, name: str, value: str | None) -> None:
    if value is None:
        return
    cleaned = clean_header(value)
    if not cleaned:
        return
    try:
        message[name] = cleaned
        # Address headers are parsed when set and folded when written; a value the parser
        # cannot fold is caught here rather than when the whole message is written.
        message[name].fold(policy=_POLICY)
    except Exception:  # the standard library's parsers raise many kinds of error
        del message[name]
        # A header object is stored as it is, so the value is not parsed as addresses again.
        message[name] = _UNSTRUCTURED(name, cleaned)


def _set_body(message: EmailMessage, text: str | None, html: str | None) -> None:
    if text is not None and html is not None:
        message.set_content(_lines(text), subtype="plain", charset="utf-8")
        message.add_alternative(_lines(html), subtype="html", charset="utf-8")
        message.set_boundary(_boundary(text, html))
    elif html is not None:
        message.set_content(_lines(html), subtype="html", charset="utf-8")
    else:
        message.set_content(_lines(text or ""), subtype="plain", charset="utf-8")


def _boundary(text: str, html: str) -> str:
    """A boundary taken from the parts themselves, so the same email gives the same bytes
    (the standard library would pick a random one)."""
    digest = hashlib.sha256(_text(text + "\0" + html).encode("utf-8")).hexdigest()
    boundary = f"=_draft_{digest[:24]}"
    while boundary in text or boundary in html:
        boundary += digest[len(boundary) % len(digest)]
    return boundary


def _lines(body: str) -> str:
    """The body with one kind of line ending."""
    return _text(body.replace("\r\n", "\n").replace("\r", "\n"))


def _text(value: str) -> str:
    """`value` without lone surrogates, which cannot be encoded."""
    return value.encode("utf-8", "replace").decode("utf-8")
