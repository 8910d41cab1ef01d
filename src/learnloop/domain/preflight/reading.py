"""An artifact from plain data: the one place that checks a campaign's fields.

Adapters turn a JSON body, a YAML or JSON sidecar or an `.eml` file into plain Python values;
`artifact_from_data` checks every field and returns the artifact, or raises `InvalidInput` with
every problem at once. Missing metadata is not an error: the rules report it as findings
(C6 for the message type, R5 for the name), so an author can check a draft early.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.artifact import Artifact, Campaign, Email, MessageType
from learnloop.domain.preflight.audience import describe, parse_audience
from learnloop.domain.problems import Problem, has_nul

MAX_HTML_BYTES = 2 * 1024 * 1024
MAX_FIELD = 2_000
MAX_HEADERS = 200
TOP = ("campaign", "email", "audience", "sample")
CAMPAIGN = ("name", "message_type", "channel", "campaign_type", "send_date", "owner")
EMAIL = ("subject", "preheader", "from", "reply_to", "headers", "html", "text")


class _Check:
    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.where, message, field=field))

    def text(self, data: Mapping[str, Any], key: str, prefix: str,
             limit: int = MAX_FIELD) -> str | None:
        value = data.get(key)
        name = f"{prefix}.{key}"
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(name, f"must be text, not {type(value).__name__}")
            return None
        if has_nul(value):
            self.add(name, "contains a NUL character")
            return None
        if len(value.encode("utf-8")) > limit:
            self.add(name, f"is longer than {limit:,} bytes")
            return None
        return value

    def unknown(self, data: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{prefix}.{key}" if prefix else str(key)
                self.add(where, "unknown field; expected one of " + ", ".join(allowed))


def artifact_from_data(data: object, source: str, *, html: str | None = None,
                       text: str | None = None, headers: list[tuple[str, str]] | None = None
                       ) -> Artifact:
    """`html`, `text` and `headers` come from the file itself (an `.html` or `.eml`); the data
    (the sidecar or a JSON body) adds to them and may not contradict them."""
    check = _Check(source)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidInput([Problem(source, "must be an object with campaign, email, audience "
                                    "and sample")])
    check.unknown(data, TOP, "")
    campaign = _campaign(check, data.get("campaign"))
    email = _email(check, data.get("email"), html, text, headers or [])
    audience_data = data.get("audience")
    audience = None
    audience_text = None
    if audience_data is not None:
        try:
            audience = parse_audience(audience_data, f"{source}: audience")
        except InvalidInput as exc:
            check.problems.extend(exc.problems)
        audience_text = describe(audience) if audience is not None else None
    sample = _sample(check, data.get("sample"))
    errors = [p for p in check.problems if p.is_error]
    if errors:
        raise InvalidInput(check.problems, f"{len(errors)} problem(s) in {source}")
    warnings = tuple(p for p in check.problems if not p.is_error)
    if audience is not None:
        warnings += audience.warnings
    return Artifact(source, campaign, email, audience, audience_text, sample, warnings)


def _campaign(check: _Check, data: object) -> Campaign:
    if data is None:
        return Campaign()
    if not isinstance(data, Mapping):
        check.add("campaign", "must be an object")
        return Campaign()
    check.unknown(data, CAMPAIGN, "campaign")
    name = check.text(data, "name", "campaign", 200)
    kind = check.text(data, "message_type", "campaign", 40)
    message_type = None
    if kind is not None:
        try:
            message_type = MessageType(kind.strip().lower())
        except ValueError:
            check.add("campaign.message_type", "must be marketing or transactional")
    channel = check.text(data, "channel", "campaign", 40) or "email"
    if channel.strip().lower() != "email":
        check.add("campaign.channel", "only email campaigns can be checked")
    campaign_type = check.text(data, "campaign_type", "campaign", 80)
    send = data.get("send_date")
    send_date = None
    if isinstance(send, date):
        send_date = send
    elif isinstance(send, str):
        try:
            send_date = date.fromisoformat(send.strip())
        except ValueError:
            check.add("campaign.send_date", "must be a date as YYYY-MM-DD")
    elif send is not None:
        check.add("campaign.send_date", "must be a date as YYYY-MM-DD")
    owner = check.text(data, "owner", "campaign", 320)
    if owner is not None and "@" not in owner:
        check.add("campaign.owner", "must be the owner's email address")
    return Campaign(name.strip() if name else None, message_type, "email",
                    campaign_type.strip().lower() if campaign_type else None, send_date,
                    owner.strip().lower() if owner else None)


def _email(check: _Check, data: object, html: str | None, text: str | None,
           file_headers: list[tuple[str, str]]) -> Email:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        check.add("email", "must be an object")
        data = {}
    check.unknown(data, EMAIL, "email")
    given_html = check.text(data, "html", "email", MAX_HTML_BYTES)
    if given_html is not None and html is not None:
        check.add("email.html", "is given twice: by the file and by the metadata")
    html = html if html is not None else given_html
    given_text = check.text(data, "text", "email", MAX_HTML_BYTES)
    text = text if text is not None else given_text
    if html is None and text is None:
        check.add("email.html", "the email has neither an HTML nor a text part")
    if html is not None and "<" not in html:
        check.add("email.html", "does not look like HTML (it has no tags); put plain text in "
                  "email.text")
    headers = list(file_headers)
    raw = data.get("headers")
    if isinstance(raw, Mapping):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for index, item in enumerate(raw):
            if isinstance(item, Mapping) and set(item) == {"name", "value"}:
                items.append((item["name"], item["value"]))
            else:
                check.add(f"email.headers[{index}]", "must be {name, value}")
    elif raw is None:
        items = []
    else:
        check.add("email.headers", "must be an object of header names to values")
        items = []
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, str):
            check.add(f"email.headers.{name}", "header names and values must be text")
        elif any(c in name for c in ":\r\n ") or not name:
            check.add(f"email.headers.{name}", "is not a valid header name")
        elif "\r" in value or "\n" in value or has_nul(value):
            check.add(f"email.headers.{name}", "a header value may not contain line breaks")
        else:
            headers.append((name, value))
    if len(headers) > MAX_HEADERS:
        check.add("email.headers", f"more than {MAX_HEADERS} headers")
    values = {key: check.text(data, key, "email", 2000)
              for key in ("subject", "preheader", "from", "reply_to")}
    for key, header in (("subject", "Subject"), ("from", "From"), ("reply_to", "Reply-To")):
        if values[key] is None:
            values[key] = next((v for k, v in headers if k.lower() == header.lower()), None)
    kept = tuple((k, v) for k, v in headers
                 if k.lower() not in ("subject", "from", "reply-to"))
    return Email(values["subject"], values["preheader"], values["from"], values["reply_to"],
                 kept, html, text)


def _sample(check: _Check, data: object) -> Mapping[str, str]:
    if data is None:
        return MappingProxyType({})
    if not isinstance(data, Mapping):
        check.add("sample", "must be an object of merge-tag names to values")
        return MappingProxyType({})
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or isinstance(value, (dict, list)) or value is None:
            check.add(f"sample.{key}", "must be a name with a text or number value")
            continue
        out[key] = str(value)
    return MappingProxyType(out)


def artifact_to_data(artifact: Artifact) -> dict[str, Any]:
    """The artifact as plain data that `artifact_from_data` reads back to an equal artifact
    (the audience as its one-condition-per-line text)."""
    campaign = artifact.campaign
    email = artifact.email
    data: dict[str, Any] = {
        "campaign": {key: value for key, value in (
            ("name", campaign.name),
            ("message_type", campaign.message_type.value if campaign.message_type else None),
            ("channel", campaign.channel), ("campaign_type", campaign.campaign_type),
            ("send_date", campaign.send_date.isoformat() if campaign.send_date else None),
            ("owner", campaign.owner)) if value is not None},
        "email": {key: value for key, value in (
            ("subject", email.subject), ("preheader", email.preheader), ("from", email.from_),
            ("reply_to", email.reply_to), ("html", email.html), ("text", email.text))
            if value is not None},
    }
    if email.headers:
        data["email"]["headers"] = [{"name": k, "value": v} for k, v in email.headers]
    if artifact.audience_text is not None:
        data["audience"] = artifact.audience_text
    if artifact.sample:
        data["sample"] = dict(artifact.sample)
    return data
