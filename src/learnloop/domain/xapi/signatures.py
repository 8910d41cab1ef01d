"""Signed statements (Data 2.6): a JWS in an attachment, checked before the statement is kept.

A signature attachment has usageType `.../attachments/signature` and contentType
`application/octet-stream`; its data is a compact JWS whose algorithm is RS256, RS384 or
RS512 and whose payload is the statement as it was before the signature was added. When the
JWS header carries an X.509 chain (`x5c`), the signature must verify against its first
certificate. The check catches mistakes, not forgeries: who signed is out of scope (Data 2.6).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from learnloop.domain.problems import Problem
from learnloop.domain.xapi.storing import equivalent

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_TYPE = "application/octet-stream"
ALGORITHMS: dict[str, hashes.HashAlgorithm] = {
    "RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}
Json = dict[str, Any]


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _without_attachments(statement: Json) -> Json:
    return {k: v for k, v in statement.items() if k != "attachments"}


def check(statement: Json, where: str, data: dict[str, tuple[str, bytes]]) -> list[Problem]:
    """Problems with the signatures of one statement; `data` maps SHA-2s to the parts sent."""
    problems = []
    for i, attachment in enumerate(statement.get("attachments", [])):
        if attachment.get("usageType") != SIGNATURE_USAGE:
            continue
        field = f"attachments[{i}]"
        if attachment.get("contentType") != SIGNATURE_TYPE:
            problems.append(Problem(where, f"a signature's contentType must be {SIGNATURE_TYPE}",
                                    field=f"{field}.contentType"))
            continue
        part = data.get(str(attachment.get("sha2", "")).lower())
        if part is None:
            continue  # only a fileUrl: nothing here to check
        message = _check_jws(part[1], statement)
        if message:
            problems.append(Problem(where, message, field=field))
    return problems


def _check_jws(raw: bytes, statement: Json) -> str | None:
    try:
        text = raw.decode("ascii").strip()
        head, body, signature = text.split(".")
        header = json.loads(_b64(head))
        payload = json.loads(_b64(body))
        signed = _b64(signature)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        return "the signature is not a compact JWS (three base64url parts)"
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str) \
            or header["alg"] not in ALGORITHMS:
        return "the JWS algorithm must be RS256, RS384 or RS512"
    if not isinstance(payload, dict) or not equivalent(_without_attachments(payload),
                                                       _without_attachments(statement)):
        return "the JWS payload is not the statement that carries it"
    chain = header.get("x5c")
    if chain is None:
        return None
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        key = certificate.public_key()
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error):
        return "the JWS header's x5c certificate cannot be read"
    if not isinstance(key, rsa.RSAPublicKey):
        return "the x5c certificate does not hold an RSA key"
    try:
        key.verify(signed, f"{head}.{body}".encode("ascii"), padding.PKCS1v15(),
                   ALGORITHMS[header["alg"]])
    except InvalidSignature:
        return "the signature does not verify against the x5c certificate"
    return None
