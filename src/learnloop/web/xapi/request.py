"""One xAPI request, read once: method, parameters, headers and body, whichever syntax it used.

The alternate request syntax (Comm 1.3) lets a browser send any method as a POST with
`?method=X` and the headers, parameters and content as form fields; it is unpacked here, so
the resources see one shape of request. The version header is checked here too (Comm 3.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request

from learnloop.domain.errors import InvalidInput, TooLarge
from learnloop.domain.problems import Problem

VERSION = "1.0.3"
VERSION_RE = re.compile(r"^1\.0(?:\.\d+)?$")
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
FORM = "application/x-www-form-urlencoded"
# Form fields of the alternate syntax that are headers, not parameters (Comm 1.3.s3.b4).
HEADER_FIELDS = frozenset({"authorization", "x-experience-api-version", "content-type",
                           "content-length", "if-match", "if-none-match"})


@dataclass
class XapiRequest:
    method: str
    resource: str                # the path below /xapi/, e.g. "statements"
    params: dict[str, str]
    headers: dict[str, str]      # names lower-cased
    body: bytes
    alternate: bool = False

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput([Problem("request", message, field=field)], message)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than `limit` bytes before reading them all (413)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The request body is {int(declared):,} bytes; this LRS takes at most "
                       f"{limit:,} (LEARNLOOP_XAPI_MAX_BODY_MB).")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The request body is over {limit:,} bytes, the most this LRS "
                           "takes (LEARNLOOP_XAPI_MAX_BODY_MB).")
        chunks.append(chunk)
    return b"".join(chunks)


def _single(pairs: list[tuple[str, str]], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        if name in out:
            raise _bad(name, f"the {where} parameter '{name}' is given more than once")
        out[name] = value
    return out


def unpack(request: Request, resource: str, body: bytes) -> XapiRequest:
    headers = {k.lower(): v for k, v in request.headers.items()}
    params = _single(request.query_params.multi_items(), "query")
    method = request.method.upper()
    if "method" not in params:
        return XapiRequest(method, resource, params, headers, body)
    # --- the alternate request syntax ---
    if method != "POST":
        raise _bad("method", "the alternate request syntax (?method=) is only for POST")
    if set(params) != {"method"}:
        extra = sorted(set(params) - {"method"})
        raise _bad(extra[0], "with ?method=, every parameter goes in the form body, not the "
                   "query string")
    target = params["method"].upper()
    if target not in METHODS - {"HEAD"}:
        raise _bad("method", "method must be GET, PUT, POST or DELETE")
    if (headers.get("content-type") or "").split(";")[0].strip().lower() != FORM:
        raise _bad("Content-Type", f"the alternate request syntax needs a {FORM} body")
    try:
        fields = _single(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                   strict_parsing=bool(body)), "form")
    except (UnicodeDecodeError, ValueError):
        raise _bad("body", "the form body is not valid application/x-www-form-urlencoded "
                   "UTF-8") from None
    content = fields.pop("content", "").encode("utf-8")
    new_headers = {k: v for k, v in headers.items() if k not in ("content-type",
                                                                 "content-length")}
    form_params: dict[str, str] = {}
    for name, value in fields.items():
        if name.lower() in HEADER_FIELDS:
            new_headers[name.lower()] = value
        else:
            form_params[name] = value
    if content and resource == "statements" and "content-type" not in new_headers:
        # The Content-Type field is a SHOULD (Comm 1.3.s3.b10); statements in a form are JSON.
        new_headers["content-type"] = "application/json"
    return XapiRequest(target, resource, form_params, new_headers, content, alternate=True)


def check_version(xreq: XapiRequest) -> None:
    """Every request but GET /about names the xAPI version it speaks: 1.0 or 1.0.x."""
    given = xreq.header("x-experience-api-version")
    if given is None:
        raise _bad("X-Experience-API-Version", "the X-Experience-API-Version header is "
                   f"required (this LRS speaks {VERSION})")
    if not VERSION_RE.match(given.strip()):
        raise _bad("X-Experience-API-Version", f"version '{given}' is not supported; this "
                   f"LRS speaks 1.0.x (1.0.0 to {VERSION})")
