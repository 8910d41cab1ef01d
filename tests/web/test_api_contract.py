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


def test_the_loop_operations_keep_the_contract_on_a_real_step(
        client: TestClient, token_for: Callable[[str], dict[str, str]]) -> None:
    """The same checks for the learning operations, as a learner with a step and an item
    really in progress: generated bodies reach the answer and pulse rules, not only a 404."""
    headers = token_for("ann")
    step = client.post("/api/v1/me/next-step", headers=headers)
    assert step.status_code == 201, step.text
    step_id = step.json()["id"]
    for path in ("lesson/open", "lesson/complete"):
        assert client.post(f"/api/v1/steps/{step_id}/{path}", headers=headers).status_code == 200
    pulse = client.post(f"/api/v1/steps/{step_id}/pulse", headers=headers,
                        json={"on": "lesson", "confidence": 3, "relevance": 4})
    assert pulse.status_code == 200, pulse.text
    item = client.post(f"/api/v1/steps/{step_id}/items", headers=headers)
    assert item.status_code == 200, item.text
    real = {"step_id": step_id, "attempt_id": item.json()["attempt"], "pack_slug": "starter",
            "lesson_id": "bounces", "section": "hard-bounces"}

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    learning = [op for op in operations if "learning" in (op.definition.raw.get("tags") or [])]
    assert len(learning) >= 12
    failures: list[str] = []
    for operation in learning:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  derandomize=True, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), **headers}
            if case.path_parameters:
                case.path_parameters = {k: real.get(k, v) for k, v in
                                        case.path_parameters.items()}
            case.call_and_validate(
                excluded_checks=[schemathesis.checks.positive_data_acceptance])

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    if failures:
        pytest.fail("\n\n".join(failures))
