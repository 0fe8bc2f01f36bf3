"""Every API operation, fed inputs generated from its own OpenAPI description (schemathesis): the answer is never
a server error, and every refusal is a problem+json document that says what is wrong."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from .web_helpers import token_for

EXAMPLES_PER_OPERATION = 12


def test_generated_requests_never_cause_a_server_error(app):
    headers = token_for(app, "zhang")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24
    seen: dict[str, set[int]] = {}

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, suppress_health_check=list(HealthCheck), deadline=None,
                  database=None, derandomize=True)
        def check(case):
            response = case.call(headers=headers)
            key = f"{case.method} {operation.path}"
            seen.setdefault(key, set()).add(response.status_code)
            assert response.status_code < 500, (key, case.body, case.query, response.text[:500])
            if response.status_code >= 400:
                assert _content_type(response).startswith("application/problem+json"), (key, response.headers)
                body = response.json()
                assert body["status"] == response.status_code and body["detail"], (key, body)
                if response.status_code == 422:
                    assert body["errors"] and all(e["message"] for e in body["errors"]), (key, body)

        check()
    assert len(seen) == len(operations)


def _content_type(response) -> str:
    value = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    return value[0] if isinstance(value, list) else value
