"""The HTTP side of forwarding: PUT one statement to another LRS (standard library only)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from urllib.parse import quote

from learnloop.services.ports import Delivery

TIMEOUT_S = 10.0


def send(endpoint: str, username: str, secret: str, statement_id: str, body: bytes) -> Delivery:
    token = base64.b64encode(f"{username}:{secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the admin sets an http(s) endpoint
        f"{endpoint}statements?statementId={quote(statement_id)}", data=body, method="PUT",
        headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3",
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return Delivery(response.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace")
        return Delivery(exc.code, detail)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Delivery(None, str(getattr(exc, "reason", exc)))
