"""The xAPI 1.0.3 endpoint under /xapi/: every resource of the Communication part.

One route takes every request below /xapi/ so that the alternate request syntax, HEAD, 405s
and the version rules work the same on every resource. The body is read (with its size limit)
on the event loop; the resource then runs in a worker thread inside one transaction, which
commits before the response is sent.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from learnloop.domain.errors import InvalidInput, NotAuthenticated, NotFound
from learnloop.domain.learner.catalogue import Catalogue
from learnloop.domain.problems import Problem
from learnloop.domain.xapi import documents as xd
from learnloop.domain.xapi import keys as xkeys
from learnloop.domain.xapi import multipart
from learnloop.domain.xapi import query as xq
from learnloop.domain.xapi.formats import parse_accept_language
from learnloop.services import loop as loop_service
from learnloop.services import lrs, lrs_clients, lrs_documents
from learnloop.store.unit import Repos, transaction
from learnloop.web.xapi.request import XapiRequest, check_version, read_body, unpack

router = APIRouter(include_in_schema=False)
ABOUT_VERSIONS = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]


@dataclass
class Context:
    request: Request
    xreq: XapiRequest
    repos: Repos
    now: datetime
    client: lrs.Client

    @cached_property
    def store(self) -> lrs.LrsStore:
        return lrs.LrsStore(self.repos.people, self.repos.statements, self.repos.learner,
                            self.repos.lrs)

    def catalogues(self) -> dict[str, Catalogue]:
        packs = self.request.app.state.packs.loader(self.repos.content)
        return loop_service.catalogues(self.repos, packs, self.client.org.id)

    @property
    def languages(self) -> list[str]:
        return parse_accept_language(self.xreq.header("accept-language"))


Handler = Callable[[Context], Response]


def _json(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(body, status, headers, media_type="application/json")


def _parse_json(body: bytes, where: str = "body") -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity, no property given twice (Data 2.2.s2.b2)."""
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):  # rare: find the name given twice for the message
            names = [k for k, _ in items]
            twice = next(k for i, k in enumerate(names) if k in names[:i])
            raise ValueError(f"the property '{twice}' is given twice")
        return out

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=pairs,
                          parse_constant=constant)
    except UnicodeDecodeError:
        raise InvalidInput([Problem(where, "is not UTF-8", field="$")]) from None
    except RecursionError:
        raise InvalidInput([Problem(where, "is nested too deeply", field="$")]) from None
    except ValueError as exc:
        raise InvalidInput([Problem(where, f"is not valid JSON: {exc}", field="$")]) from None


# --- statements -------------------------------------------------------------------------------


def _statements_in(ctx: Context) -> tuple[list[Any], dict[str, tuple[str, bytes]]]:
    kind = (ctx.xreq.content_type or "").split(";")[0].strip().lower()
    if kind == "application/json":
        return _as_list(_parse_json(ctx.xreq.body)), {}
    if kind == "multipart/mixed":
        assert ctx.xreq.content_type is not None
        parts = multipart.parse(ctx.xreq.body, ctx.xreq.content_type)
        if parts[0].content_type.split(";")[0].strip().lower() != "application/json":
            raise InvalidInput([Problem("body", "the first part must be application/json "
                                        "holding the statements", field="multipart/mixed")])
        return _as_list(_parse_json(parts[0].body)), multipart.attachments(parts)
    raise InvalidInput([Problem("request", "statements are sent as application/json or "
                                "multipart/mixed", field="Content-Type")])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def put_statement(ctx: Context) -> Response:
    xq.check_names(ctx.xreq.params, frozenset({"statementId"}))
    statement_id = xq.uuid_param(ctx.xreq.params, "statementId", required=True)
    received, attachments = _statements_in(ctx)
    if len(received) != 1 or not isinstance(received[0], dict):
        raise InvalidInput([Problem("body", "a PUT stores one statement object", field="$")])
    lrs.store_statements(ctx.store, ctx.client, received, attachments, ctx.catalogues,
                         ctx.now, ctx.request.app.state.new_id, statement_id)
    return Response(status_code=204)


def post_statements(ctx: Context) -> Response:
    if ctx.xreq.alternate and not ctx.xreq.body and ctx.xreq.params:
        return get_statements(ctx)  # a GET with its parameters in the form (Comm 1.3)
    xq.check_names(ctx.xreq.params, frozenset())
    received, attachments = _statements_in(ctx)
    ids = lrs.store_statements(ctx.store, ctx.client, received, attachments, ctx.catalogues,
                               ctx.now, ctx.request.app.state.new_id)
    return _json(ids)


def get_statements(ctx: Context) -> Response:
    parsed = xq.statement_get(ctx.xreq.params)
    if isinstance(parsed, xq.SingleStatement):
        page = lrs.get_statement(ctx.store, ctx.client, parsed, ctx.languages)
        return _statement_response(ctx, page.statements[0].encode("utf-8"), page)
    page = lrs.query_statements(ctx.store, ctx.client, parsed, ctx.languages)
    return _page_response(ctx, page)


def more_statements(ctx: Context, token: str) -> Response:
    xq.check_names(ctx.xreq.params, frozenset())
    filters = xq.decode_more(token)
    page = lrs.query_statements(ctx.store, ctx.client, filters, ctx.languages)
    return _page_response(ctx, page)


def _page_response(ctx: Context, page: lrs.Page) -> Response:
    more = f"/xapi/statements/more/{xq.encode_more(page.more)}" if page.more else ""
    body = ('{"statements":[' + ",".join(page.statements) + '],"more":'
            + json.dumps(more) + "}").encode("utf-8")
    return _statement_response(ctx, body, page)


def _statement_response(ctx: Context, body: bytes, page: lrs.Page) -> Response:
    if not page.with_attachments:
        return Response(body, 200, media_type="application/json")
    files = lrs.attachment_parts(ctx.store, ctx.client, page.attachment_hashes)
    boundary = secrets.token_hex(16)
    return Response(multipart.build(body, files, boundary), 200,
                    media_type=f"multipart/mixed; boundary={boundary}")  # a token: no quotes


# --- documents --------------------------------------------------------------------------------


def _address(ctx: Context, resource: xd.Resource) -> tuple[xd.Address, datetime | None]:
    params = ctx.xreq.params
    method = ctx.xreq.method
    id_name = "stateId" if resource is xd.Resource.STATE else "profileId"
    allowed = {id_name}
    if resource is not xd.Resource.AGENT_PROFILE:
        allowed.add("activityId")
    if resource is not xd.Resource.ACTIVITY_PROFILE:
        allowed.add("agent")
    if resource is xd.Resource.STATE:
        allowed.add("registration")
    if method in ("GET", "HEAD") and id_name not in params:
        allowed.add("since")
    xq.check_names(params, frozenset(allowed))
    activity = xq.iri_param(params, "activityId", required=True) \
        if "activityId" in allowed else None
    agent = xq.agent_param(params, required=True) if "agent" in allowed else None
    registration = xq.uuid_param(params, "registration") if "registration" in allowed else None
    needs_id = method in ("PUT", "POST") or (method == "DELETE"
                                             and resource is not xd.Resource.STATE)
    doc_id = xq.string_param(params, id_name, required=needs_id)
    since = xq.time_param(params, "since") if "since" in allowed else None
    return xd.Address(resource, activity, xkeys.ifi(agent) if agent else None, registration,
                      doc_id), since


def _documents(resource: xd.Resource) -> dict[str, Handler]:
    def get(ctx: Context) -> Response:
        address, since = _address(ctx, resource)
        if address.doc_id is None:
            return _json(lrs_documents.ids(ctx.store, ctx.client, address, since))
        found = lrs_documents.get(ctx.store, ctx.client, address)
        return Response(found.content, 200, {"ETag": found.etag,
                                             "Last-Modified": _http_date(found.updated)},
                        media_type=found.content_type)

    def put(ctx: Context) -> Response:
        address, _ = _address(ctx, resource)
        lrs_documents.put(ctx.store, ctx.client, address, ctx.xreq.body, ctx.xreq.content_type,
                          ctx.xreq.header("if-match"), ctx.xreq.header("if-none-match"),
                          ctx.now)
        return Response(status_code=204)

    def post(ctx: Context) -> Response:
        address, _ = _address(ctx, resource)
        lrs_documents.post(ctx.store, ctx.client, address, ctx.xreq.body,
                           ctx.xreq.content_type, ctx.xreq.header("if-match"),
                           ctx.xreq.header("if-none-match"), ctx.now)
        return Response(status_code=204)

    def delete(ctx: Context) -> Response:
        address, _ = _address(ctx, resource)
        lrs_documents.delete(ctx.store, ctx.client, address, ctx.xreq.header("if-match"),
                             ctx.xreq.header("if-none-match"))
        return Response(status_code=204)

    return {"GET": get, "PUT": put, "POST": post, "DELETE": delete}


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- agents, activities, about ----------------------------------------------------------------


def get_agents(ctx: Context) -> Response:
    xq.check_names(ctx.xreq.params, frozenset({"agent"}))
    agent = xq.agent_param(ctx.xreq.params, required=True)
    assert agent is not None
    return _json(lrs.person_object(ctx.store, ctx.client, agent))


def get_activity(ctx: Context) -> Response:
    xq.check_names(ctx.xreq.params, frozenset({"activityId"}))
    iri = xq.iri_param(ctx.xreq.params, "activityId", required=True)
    assert iri is not None
    return _json(lrs.activity_object(ctx.store, ctx.client, iri))


def preflight() -> Response:
    """A browser asks before a cross-origin call (CORS); the origin is answered for by the
    headers middleware (LEARNLOOP_XAPI_CORS_ORIGINS)."""
    return Response(status_code=204, headers={
        "Allow": "GET, HEAD, PUT, POST, DELETE, OPTIONS",
        "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, DELETE",
        "Access-Control-Allow-Headers": ("Authorization, Content-Type, "
                                         "X-Experience-API-Version, If-Match, If-None-Match, "
                                         "Accept-Language"),
        "Access-Control-Max-Age": "86400"})


def about() -> Response:
    return _json({"version": ABOUT_VERSIONS})


RESOURCES: dict[str, dict[str, Handler]] = {
    "statements": {"GET": get_statements, "PUT": put_statement, "POST": post_statements},
    "activities/state": _documents(xd.Resource.STATE),
    "activities/profile": _documents(xd.Resource.ACTIVITY_PROFILE),
    "agents/profile": _documents(xd.Resource.AGENT_PROFILE),
    "agents": {"GET": get_agents},
    "activities": {"GET": get_activity},
}
MORE = "statements/more/"


# --- the one route ----------------------------------------------------------------------------


def _client(repos: Repos, header: str | None, now: datetime) -> lrs.Client:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise NotAuthenticated("The xAPI endpoint takes HTTP Basic authentication with an "
                               "LRS client's key and secret.")
    try:
        key, colon, secret = base64.b64decode(value.strip(), validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticated("The Basic credentials are not valid base64.") from None
    if not colon:
        raise NotAuthenticated("The Basic credentials must be key:secret.")
    return lrs_clients.authenticate(repos.lrs, key, secret, now)


def _handle(request: Request, xreq: XapiRequest) -> Response:
    state = request.app.state
    resource = xreq.resource
    more_token = resource[len(MORE):] if resource.startswith(MORE) else None
    methods: dict[str, Any] = ({"GET": None} if more_token is not None or resource == "about"
                               else RESOURCES.get(resource, {}))
    if not methods:
        raise NotFound(f"There is no xAPI resource '{resource}'.")
    method = "GET" if xreq.method == "HEAD" else xreq.method
    if method not in methods:
        allowed = ", ".join([*methods, "HEAD"] if "GET" in methods else methods)
        raise StarletteHTTPException(405, f"{xreq.method} is not allowed on {resource}; use "
                                          f"{allowed}.", headers={"Allow": allowed})
    if resource == "about":
        xq.check_names(xreq.params, frozenset())
        response = about()
    else:
        check_version(xreq)
        now: datetime = state.clock()
        with transaction(state.sessions) as repos:
            ctx = Context(request, xreq, repos, now,
                          _client(repos, xreq.header("authorization"), now))
            response = (more_statements(ctx, more_token) if more_token is not None
                        else methods[method](ctx))
    if xreq.method == "HEAD":
        response = Response(b"", response.status_code, {
            k: v for k, v in response.headers.items() if k.lower() != "content-length"})
    return response


@router.api_route("/xapi/{resource:path}",
                  methods=["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"])
async def xapi(request: Request, resource: str) -> Response:
    if request.method == "OPTIONS":
        return preflight()
    body = await read_body(request, request.app.state.settings.xapi_max_body_mb * 2**20)
    xreq = unpack(request, resource.strip("/"), body)
    return await run_in_threadpool(_handle, request, xreq)

