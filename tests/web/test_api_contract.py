"""Schemathesis drives every API operation with generated requests, valid and invalid.

No request may cause a server error, and every answer must match the OpenAPI document (status
codes, content types, response schemas). "Schema-valid request rejected" is not checked: the
schema cannot express every rule (a valid time zone, an existing manager), and those answers are
400s with problems, which is the behaviour we want.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
import schemathesis.checks
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

EXAMPLES_PER_OPERATION = 40


def test_no_operation_fails_the_contract(client: TestClient,
                                         token_for: Callable[[str], dict[str, str]]) -> None:
    headers = token_for("ada")
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), **headers}
            case.call_and_validate(
                excluded_checks=[schemathesis.checks.positive_data_acceptance])

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    if failures:
        pytest.fail("\n\n".join(failures))
