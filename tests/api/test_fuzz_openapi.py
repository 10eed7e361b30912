"""schemathesis against our own OpenAPI document: no server errors, no response-schema breaks.

Every operation is fuzzed in-process as a signed-in administrator (who may call everything),
with a fixed seed and a bounded number of examples (LINKAGE_FUZZ_EXAMPLES, default 20).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api import create_app

EXAMPLES = int(os.environ.get("LINKAGE_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance]


def _operations() -> list[tuple[str, str]]:
    # The document does not depend on the database: an in-memory app is enough to list it.
    spec = (
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        .test_client()
        .get("/api/v1/openapi.json")
        .json
    )
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.fixture
def admin_headers(sign_in):
    return sign_in("admin")


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), _operations())
def test_operation_survives_fuzzing(app, admin_headers, method, path):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = (
        schema[path][method].ok() if hasattr(schema[path][method], "ok") else schema[path][method]
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case):
        case.call_and_validate(headers=admin_headers, checks=CHECKS)

    fuzz()
