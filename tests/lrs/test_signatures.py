"""Signed statements (Data 2.6): a JWS attachment whose payload is the statement, RS256 to
RS512, verified against its x5c certificate when it has one."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from tests.lrs.conftest import statement
from tests.lrs.test_protocol import _multipart

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "learnloop test signer")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(1)
                   .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
                   .sign(key, hashes.SHA256()))
    der = certificate.public_bytes(serialization.Encoding.DER)
    return key, base64.b64encode(der).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jws(key: rsa.RSAPrivateKey, payload: dict[str, Any], alg: Any = "RS256",
         x5c: str | None = None) -> bytes:
    header: dict[str, Any] = {"alg": alg}
    if x5c:
        header["x5c"] = [x5c]
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(),
              "RS512": hashes.SHA512()}.get(alg if isinstance(alg, str) else "", hashes.SHA256())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{_b64(signature)}".encode()


def _post_signed(xapi: TestClient, auth: dict[str, str], original: dict[str, Any],
                 jws: bytes, content_type: str = "application/octet-stream") -> int:
    digest = hashlib.sha256(jws).hexdigest()
    signed = dict(original, attachments=[{
        "usageType": SIGNATURE, "display": {"en-US": "Signature"},
        "contentType": content_type, "length": len(jws), "sha2": digest}])
    body, kind = _multipart([signed], [(jws, {
        "Content-Type": "application/octet-stream", "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": digest})])
    return xapi.post("/xapi/statements", content=body,
                     headers={**auth, "Content-Type": kind}).status_code


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_valid_signature_is_accepted(xapi: TestClient, auth: dict[str, str], signer: Any,
                                       alg: str) -> None:
    key, x5c = signer
    original = statement()
    assert _post_signed(xapi, auth, original, _jws(key, original, alg, x5c)) == 200
    assert _post_signed(xapi, auth, original, _jws(key, original, alg)) == 200


def test_bad_signatures_are_400s(xapi: TestClient, auth: dict[str, str], signer: Any) -> None:
    key, x5c = signer
    original = statement()
    tampered = dict(original, verb={"id": "http://adlnet.gov/expapi/verbs/passed"})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _post_signed(xapi, auth, original, _jws(key, tampered, "RS256", x5c)) == 400
    assert _post_signed(xapi, auth, original, _jws(key, original, "HS256")) == 400
    assert _post_signed(xapi, auth, original, _jws(other_key, original, "RS256", x5c)) == 400
    assert _post_signed(xapi, auth, original, b"not a jws") == 400
    assert _post_signed(xapi, auth, original, _jws(key, original, ["RS256"])) == 400
    assert _post_signed(xapi, auth, original, _jws(key, original, {"RS": 256})) == 400
    assert _post_signed(xapi, auth, original, _jws(key, original, "RS256", x5c),
                        content_type="application/jose") == 400
    assert xapi.get("/xapi/statements", headers=auth).json()["statements"] == []
