"""Fuzz every operation of the OpenAPI document with valid tokens: no 5xx, responses match their schemas.

Each documented operation is its own test item; Hypothesis draws requests from the operation's
schema (schemathesis builds the strategies) and every response is checked.
"""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api import create_app
from tests.conftest import TEST_SECRET

CHECKS = [not_a_server_error, response_schema_conformance]


def _operation_labels() -> list[str]:
    """The operations to fuzz, read from a throw-away app (the document needs no database)."""
    app = create_app(
        {
            "env": "test",
            "database_url": "sqlite://",
            "secret_key": TEST_SECRET,
            "instance_path": tempfile.mkdtemp(),
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return sorted(result.ok().label for result in schema.get_all_operations())


LABELS = _operation_labels()


def _operation(app, label):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for result in schema.get_all_operations():
        if result.ok().label == label:
            return result.ok()
    raise AssertionError(f"{label} is no longer documented")


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "customer"])
@pytest.mark.parametrize("label", LABELS)
def test_operation_never_fails_and_keeps_its_schema(app, world, label, role):
    operation = _operation(app, label)

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy())
    def fuzz(case):
        # The world's objects have small integer ids: aim path ids at them so real rows get hit.
        for name, value in list((case.path_parameters or {}).items()):
            if isinstance(value, int):
                case.path_parameters[name] = abs(value) % 9 + 1
        case.call_and_validate(headers=world.h(role), checks=CHECKS)

    fuzz()
