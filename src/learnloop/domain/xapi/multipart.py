"""multipart/mixed for statements with attachments (Comm 1.5.2; RFC 2046 5.1) (pure).

A request's first part holds the statements as application/json; every other part is one
attachment's raw octets, with `Content-Transfer-Encoding: binary` and `X-Experience-API-Hash`
naming the SHA-2 of those octets, which must be the sha2 of an attachment in the statements.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from learnloop.domain.errors import InvalidInput
from learnloop.domain.problems import Problem

BOUNDARY_RE = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
CRLF = b"\r\n"


@dataclass(frozen=True, slots=True)
class Part:
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "text/plain")


def _bad(message: str) -> InvalidInput:
    return InvalidInput([Problem("body", message, field="multipart/mixed")],
                        "the multipart/mixed request is malformed: no statement was stored")


def boundary_of(content_type: str) -> str:
    match = BOUNDARY_RE.search(content_type)
    if match is None:
        raise _bad("the Content-Type header has no boundary parameter")
    return match.group(1) or match.group(2)


def parse(body: bytes, content_type: str) -> list[Part]:
    boundary = boundary_of(content_type).encode("latin-1")
    delimiter = CRLF + b"--" + boundary
    chunks = (CRLF + body).split(delimiter)
    if len(chunks) < 3:
        raise _bad("the body has no parts delimited by the boundary")
    closing = chunks[-1]
    if not closing.startswith(b"--"):
        raise _bad("the body does not end with the closing boundary")
    parts = []
    for chunk in chunks[1:-1]:
        chunk = chunk.lstrip(b" \t")
        if not chunk.startswith(CRLF):
            raise _bad("a boundary line must end with CRLF")
        head, sep, content = chunk[2:].partition(CRLF + CRLF)
        if not sep:
            if chunk[2:].startswith(CRLF):  # a part with no headers
                head, content = b"", chunk[4:]
            else:
                raise _bad("a part's headers must end with an empty line")
        parts.append(Part(_headers(head), content))
    return parts


def _headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.split(CRLF):
        if not line:
            continue
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip():
            raise _bad(f"'{line[:60]!r}' is not a part header")
        headers[name.strip().lower()] = value.strip()
    return headers


def sha2(data: bytes, like: str) -> str:
    """The SHA-2 digest of `data` with the length of the hex digest `like` (224 to 512)."""
    algorithm = {56: hashlib.sha224, 96: hashlib.sha384, 128: hashlib.sha512}.get(
        len(like), hashlib.sha256)
    return algorithm(data).hexdigest()


def attachments(parts: list[Part]) -> dict[str, tuple[str, bytes]]:
    """The attachment parts (all but the first), keyed by their checked hash."""
    found: dict[str, tuple[str, bytes]] = {}
    for i, part in enumerate(parts[1:], start=2):
        given = part.headers.get("x-experience-api-hash")
        if not given:
            raise _bad(f"part {i} has no X-Experience-API-Hash header")
        if part.headers.get("content-transfer-encoding", "").lower() != "binary":
            raise _bad(f"part {i} must have Content-Transfer-Encoding: binary")
        given = given.lower()
        if sha2(part.body, given) != given:
            raise _bad(f"part {i}'s data does not match its X-Experience-API-Hash")
        found[given] = (part.content_type, part.body)
    return found


def build(first: bytes, files: Iterable[tuple[str, str, bytes]], boundary: str) -> bytes:
    """A multipart/mixed body: the JSON part, then one part per (sha2, type, data)."""
    out = [b"--" + boundary.encode() + CRLF + b"Content-Type: application/json" + CRLF + CRLF
           + first]
    for digest, kind, data in files:
        out.append(b"--" + boundary.encode() + CRLF
                   + f"Content-Type: {kind}".encode() + CRLF
                   + b"Content-Transfer-Encoding: binary" + CRLF
                   + f"X-Experience-API-Hash: {digest}".encode() + CRLF + CRLF + data)
    return CRLF.join(out) + CRLF + b"--" + boundary.encode() + b"--"
