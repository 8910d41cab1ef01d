"""Bytes to an artifact.

Accepted forms:

- `campaign.json`: the whole artifact (`campaign`, `email` with `html` and `text`, `audience`,
  `sample`).
- `email.html` with an optional sidecar `email.yaml`, `email.yml` or `email.json` (or the same
  names after the full file name, `email.html.yaml`) holding everything but the HTML.
- `message.eml`: a MIME message (headers, text and HTML parts), with an optional sidecar for the
  campaign and the audience.

Anything else, a file over the size limit, binary data or a message with no text parts is
refused with a problem that names the file and the rule.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.reading import artifact_from_data
from learnloop.domain.problems import Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SIDECAR_BYTES = 256 * 1024
KINDS = {".json": "json", ".html": "html", ".htm": "html", ".eml": "eml"}
SIDECARS = (".yaml", ".yml", ".json")


def _refuse(where: str, message: str, field: str | None = None) -> InvalidInput:
    return InvalidInput([Problem(where, message, field=field)], f"{where}: {message}")


def kind_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise _refuse(name, "not a pre-flight artifact: use .html (with an optional .yaml "
                      "sidecar), .eml or .json")
    return KINDS[suffix]


def decode(raw: bytes, where: str) -> str:
    """Text from bytes: UTF-8 (with or without a BOM), else Windows-1252 when the bytes look
    like text. Binary data is refused."""
    if b"\x00" in raw[:65536]:
        raise _refuse(where, "is binary data, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    odd = sum(1 for c in text[:65536] if c == "\ufffd" or (ord(c) < 32 and c not in "\t\r\n\f"))
    if odd > max(8, len(text[:65536]) // 100):
        raise _refuse(where, "is binary data or in an unknown encoding; save it as UTF-8")
    return text


def _structured(text: str, where: str, as_json: bool) -> Any:
    try:
        if as_json:
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(where, f"not valid JSON: {exc.msg}", line=exc.lineno)],
                           f"{where}: not valid JSON") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InvalidInput([Problem(where, f"not valid YAML: {problem}", line=line)],
                           f"{where}: not valid YAML") from None
    except RecursionError:
        raise _refuse(where, "is nested too deeply") from None


def read_upload(name: str, raw: bytes, sidecar: tuple[str, bytes] | None = None) -> Artifact:
    """An artifact from a file's name and bytes, with its sidecar's name and bytes."""
    if len(raw) > MAX_FILE_BYTES:
        raise _refuse(name, f"is {len(raw) / 1024 / 1024:.1f} MB; the limit is "
                      f"{MAX_FILE_BYTES // 1024 // 1024} MB")
    if not raw.strip():
        raise _refuse(name, "is empty")
    kind = kind_of(name)
    data: Any = None
    if sidecar is not None:
        side_name, side_raw = sidecar
        if len(side_raw) > MAX_SIDECAR_BYTES:
            raise _refuse(side_name, f"is larger than {MAX_SIDECAR_BYTES // 1024} KB")
        data = _structured(decode(side_raw, side_name), side_name,
                           side_name.lower().endswith(".json"))
    if kind == "json":
        if sidecar is not None:
            raise _refuse(sidecar[0], "a JSON artifact carries its own metadata; no sidecar")
        return artifact_from_data(_structured(decode(raw, name), name, True), name)
    if kind == "html":
        return artifact_from_data(data, name, html=decode(raw, name))
    return _from_eml(name, raw, data)


def _from_eml(name: str, raw: bytes, data: Any) -> Artifact:
    if b"\x00" in raw[:65536]:
        raise _refuse(name, "is binary data, not a MIME message")
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    headers: list[tuple[str, str]] = []
    for key, value in message.items():
        try:
            headers.append((key, " ".join(str(value).split())))
        except Exception:  # a header the parser cannot decode
            headers.append((key, ""))
    if not headers or not any(k.lower() in ("from", "subject", "content-type", "to", "date")
                              for k, _ in headers):
        raise _refuse(name, "is not a MIME message: no From, Subject or Content-Type header "
                      "before the first blank line")
    html = _part(message, "html", name)
    text = _part(message, "plain", name)
    if html is None and text is None:
        raise _refuse(name, "has no text/html or text/plain part")
    return artifact_from_data(data, name, html=html, text=text, headers=headers)


def _part(message: EmailMessage, subtype: str, name: str) -> str | None:
    try:
        body = message.get_body(preferencelist=(subtype,))
    except (KeyError, LookupError):
        return None
    if body is None or not isinstance(body, EmailMessage):
        return None
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = body.get_payload(decode=True)
        content = decode(payload, name) if isinstance(payload, bytes) else None
    return content if isinstance(content, str) else None


def sidecar_for(path: Path) -> Path | None:
    """`email.yaml` (or .yml, .json) beside `email.html`, or `email.html.yaml`."""
    for suffix in SIDECARS:
        for candidate in (path.with_suffix(suffix), path.with_name(path.name + suffix)):
            if candidate != path and candidate.is_file():
                return candidate
    return None


def read_artifact(path: Path, sidecar: Path | None = None) -> Artifact:
    """An artifact from a file, with its sidecar found beside it unless one is given."""
    where = str(path)
    if not path.is_file():
        raise _refuse(where, "no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _refuse(where, f"is {size / 1024 / 1024:.1f} MB; the limit is "
                      f"{MAX_FILE_BYTES // 1024 // 1024} MB")
    kind = kind_of(path.name)
    side = sidecar if sidecar is not None else (sidecar_for(path) if kind != "json" else None)
    side_data = (str(side), side.read_bytes()[:MAX_SIDECAR_BYTES + 1]) if side else None
    return read_upload(where, path.read_bytes(), side_data)
