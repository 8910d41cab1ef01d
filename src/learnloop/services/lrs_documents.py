"""The xAPI document resources: state, activity profile and agent profile (Comm 2.2 to 2.7).

Concurrency (Comm 3.1): every write honours If-Match and If-None-Match (412 when they fail);
a PUT that would overwrite a profile document without either header is a 409, so two tools
editing one profile cannot silently lose each other's changes.
"""

from __future__ import annotations

from datetime import datetime

from learnloop.domain.access import LrsAction, lrs_require
from learnloop.domain.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from learnloop.domain.problems import Problem
from learnloop.domain.xapi import documents as xd
from learnloop.domain.xapi.documents import Address, Resource
from learnloop.services.lrs import Client, LrsStore
from learnloop.services.ports import StoredDocument

PROFILES = frozenset({Resource.ACTIVITY_PROFILE, Resource.AGENT_PROFILE})


def _allow(client: Client, address: Address, write: bool) -> None:
    if address.resource is Resource.STATE:
        lrs_require(client.scopes, LrsAction.WRITE_STATE if write else LrsAction.READ_STATE)
    else:
        lrs_require(client.scopes,
                    LrsAction.WRITE_PROFILES if write else LrsAction.READ_PROFILES)


def get(store: LrsStore, client: Client, address: Address) -> StoredDocument:
    _allow(client, address, write=False)
    found = store.lrs.document(address.key(client.org.id))
    if found is None:
        raise NotFound(f"There is no document '{address.doc_id}' here.")
    return found


def ids(store: LrsStore, client: Client, address: Address, since: datetime | None
        ) -> list[str]:
    _allow(client, address, write=False)
    return store.lrs.document_ids(address.scope(client.org.id), since)


def _conditions(address: Address, current: StoredDocument | None, if_match: str | None,
                if_none_match: str | None, is_put: bool) -> None:
    etag = current.etag if current else None
    if not xd.matches(etag, if_match, if_none_match):
        raise PreconditionFailed("The document has changed since you read it (its ETag does "
                                 "not match If-Match, or If-None-Match found it); nothing was "
                                 "changed.")
    if is_put and address.resource in PROFILES and if_match is None and if_none_match is None:
        if current is not None:  # Comm 3.1: overwriting blind is a conflict
            raise Conflict("This profile document exists: send If-Match with its ETag to "
                           "replace it.")
        # Comm 2.6.s3, 2.7 (XAPI-00273, XAPI-00293): a profile PUT names what it expects.
        raise InvalidInput([Problem("request", "a PUT of a profile document needs If-Match "
                                    "(to replace it) or If-None-Match: * (to create it)",
                                    field="If-None-Match")])


def put(store: LrsStore, client: Client, address: Address, content: bytes,
        content_type: str | None, if_match: str | None, if_none_match: str | None,
        now: datetime) -> None:
    _allow(client, address, write=True)
    key = address.key(client.org.id)
    current = store.lrs.document(key)
    document = xd.check_put(content, content_type)
    _conditions(address, current, if_match, if_none_match, is_put=True)
    _save(store, client, address, key, document, now)


def post(store: LrsStore, client: Client, address: Address, content: bytes,
         content_type: str | None, if_match: str | None, if_none_match: str | None,
         now: datetime) -> None:
    _allow(client, address, write=True)
    key = address.key(client.org.id)
    current = store.lrs.document(key)
    old = xd.Document(current.content, current.content_type) if current else None
    document = xd.merged(old, content, content_type)
    _conditions(address, current, if_match, if_none_match, is_put=False)
    _save(store, client, address, key, document, now)


def _save(store: LrsStore, client: Client, address: Address, key: int,
          document: xd.Document, now: datetime) -> None:
    assert address.doc_id is not None
    store.lrs.save_document(key, address.scope(client.org.id), client.org.id,
                            address.resource.value, address.doc_id, document.content,
                            document.content_type, document.etag, now)


def delete(store: LrsStore, client: Client, address: Address, if_match: str | None,
           if_none_match: str | None) -> None:
    """Delete one document, or (state only, no stateId) every document of the scope."""
    _allow(client, address, write=True)
    if address.doc_id is None:
        store.lrs.delete_documents(scope=address.scope(client.org.id))
        return
    key = address.key(client.org.id)
    current = store.lrs.document(key)
    _conditions(address, current, if_match, if_none_match, is_put=False)
    if current is not None:
        store.lrs.delete_documents([key])
